//! Date helpers for the demo calendar: working days, the branch's fixed day of the month and
//! entry instants at office hours in China Standard Time.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use zhibu_core::calendar::{china_standard_time, last_day_of_month};

use crate::rng::Rng;

/// The day `day` of a month, clamped to the month's last day. `month` is always 1..=12 here.
pub(crate) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    let month = month.clamp(1, 12);
    let day = day.clamp(1, last_day_of_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

pub(crate) fn days(count: i64) -> TimeDelta {
    TimeDelta::days(count)
}

pub(crate) fn first_of_month(day: NaiveDate) -> NaiveDate {
    date(day.year(), day.month(), 1)
}

pub(crate) fn last_of_month(day: NaiveDate) -> NaiveDate {
    date(day.year(), day.month(), 31)
}

pub(crate) fn next_month(first: NaiveDate) -> NaiveDate {
    if first.month() == 12 {
        date(first.year() + 1, 1, 1)
    } else {
        date(first.year(), first.month() + 1, 1)
    }
}

pub(crate) fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The same day if it is a working day, else the Monday after.
pub(crate) fn working_day_on_or_after(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day + days(2),
        Weekday::Sun => day + days(1),
        _ => day,
    }
}

/// The Monday of the week containing `day`.
pub(crate) fn monday_of(day: NaiveDate) -> NaiveDate {
    day - days(i64::from(day.weekday().num_days_from_monday()))
}

/// The branch's themed Party day in a month: its preferred day of the month, moved to the nearest
/// Tuesday to Thursday so that the committee meeting the day before and the party group meetings
/// the day after also fall on working days inside the month. `preferred` is 6..=24, so the result
/// lies between the 4th and the 26th.
pub(crate) fn theme_day(year: i32, month: u32, preferred: u32) -> NaiveDate {
    let day = date(year, month, preferred);
    match day.weekday() {
        Weekday::Mon => day + days(1),
        Weekday::Fri => day - days(1),
        Weekday::Sat => day - days(2),
        Weekday::Sun => day + days(2),
        _ => day,
    }
}

/// The day a record of an event on `event` is typed in: the same day or up to `max_delay` days
/// later, moved off weekends, never more than three days late and never after `today`.
pub(crate) fn entry_day(
    rng: &mut Rng,
    event: NaiveDate,
    max_delay: i64,
    today: NaiveDate,
) -> NaiveDate {
    let mut day = working_day_on_or_after(event + days(rng.range(0, max_delay)));
    if (day - event).num_days() > 3 {
        day = event;
    }
    day.min(today).max(event)
}

/// An instant during office hours (09:00–17:59 China time) on `day`, in UTC.
pub(crate) fn office_instant(rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
    let hour = rng.range(9, 17) as u32;
    let minute = rng.range(0, 59) as u32;
    let second = rng.range(0, 59) as u32;
    let local = day.and_hms_opt(hour, minute, second).unwrap_or_default();
    match local.and_local_timezone(china_standard_time()).single() {
        Some(instant) => instant.with_timezone(&Utc),
        // A fixed offset has exactly one instant for every local time; this arm is never taken.
        None => local.and_utc(),
    }
}

/// `hour`:00 China time on `day`, in UTC.
pub(crate) fn fixed_instant(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
    match local.and_local_timezone(china_standard_time()).single() {
        Some(instant) => instant.with_timezone(&Utc),
        None => local.and_utc(),
    }
}

/// `YYYY-MM` of a month.
pub(crate) fn month_label(day: NaiveDate) -> String {
    format!("{}-{:02}", day.year(), day.month())
}

/// `YYYY-Qn` of a quarter.
pub(crate) fn quarter_label(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_day_falls_tuesday_to_thursday_inside_the_month() {
        for year in 2023..=2027 {
            for month in 1..=12 {
                for preferred in 6..=24 {
                    let day = theme_day(year, month, preferred);
                    assert!(
                        matches!(day.weekday(), Weekday::Tue | Weekday::Wed | Weekday::Thu),
                        "{day}"
                    );
                    assert!((4..=26).contains(&day.day()), "{day}");
                    assert_eq!(day.month(), month);
                }
            }
        }
    }

    #[test]
    fn office_instants_are_in_office_hours_china_time() {
        let mut rng = Rng::derive(3, 9, 9);
        let day = date(2025, 6, 10);
        for _ in 0..200 {
            let instant = office_instant(&mut rng, day);
            let local = instant.with_timezone(&china_standard_time());
            assert_eq!(local.date_naive(), day);
            assert!((9..18).contains(&chrono::Timelike::hour(&local)));
        }
    }
}
