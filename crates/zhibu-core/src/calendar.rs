//! Calendar arithmetic in China Standard Time: calendar months, quarters and years, and "within N
//! months" as the regulations use it (the same day N months later, clamped to the month's end).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// China Standard Time, UTC+8, with no daylight saving.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The calendar date in China of an instant.
pub fn china_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&china_standard_time()).date_naive()
}

/// `date` plus `months` calendar months, clamped to the last day of the target month: 31 January
/// plus one month is 28 or 29 February. This is how "within one month" is read (RULES.md, opening
/// decisions).
pub fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + months;
    let year = total.div_euclid(12);
    let month0 = total.rem_euclid(12) as u32;
    let last = last_day_of_month(year, month0 + 1);
    NaiveDate::from_ymd_opt(year, month0 + 1, date.day().min(last)).expect("clamped day is valid")
}

pub fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    add_months(date, years * 12)
}

pub fn last_day_of_month(year: i32, month: u32) -> u32 {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_of_next
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .expect("month is 1..=12")
}

/// The length of a recurring obligation's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PeriodLength {
    Month,
    Quarter,
    Year,
}

/// One calendar period: a month, a quarter or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub length: PeriodLength,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Period {
    /// The period of the given length that contains `date`.
    pub fn containing(length: PeriodLength, date: NaiveDate) -> Period {
        let (year, month) = (date.year(), date.month());
        let (first_month, months) = match length {
            PeriodLength::Month => (month, 1),
            PeriodLength::Quarter => ((month - 1) / 3 * 3 + 1, 3),
            PeriodLength::Year => (1, 12),
        };
        let first_day = NaiveDate::from_ymd_opt(year, first_month, 1).expect("first of month");
        let last_month = first_month + months - 1;
        let last_day =
            NaiveDate::from_ymd_opt(year, last_month, last_day_of_month(year, last_month))
                .expect("last of month");
        Period {
            length,
            first_day,
            last_day,
        }
    }

    pub fn next(&self) -> Period {
        Period::containing(
            self.length,
            self.last_day
                .succ_opt()
                .expect("date after period end exists"),
        )
    }

    /// Every period of this length that overlaps `from..=to`, in order.
    pub fn overlapping(length: PeriodLength, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
        let mut periods = Vec::new();
        if from > to {
            return periods;
        }
        let mut period = Period::containing(length, from);
        while period.first_day <= to {
            periods.push(period);
            period = period.next();
        }
        periods
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }

    /// A stable label: `2026-03`, `2026-Q1`, `2026`.
    pub fn label(&self) -> String {
        match self.length {
            PeriodLength::Month => {
                format!("{}-{:02}", self.first_day.year(), self.first_day.month())
            }
            PeriodLength::Quarter => format!(
                "{}-Q{}",
                self.first_day.year(),
                (self.first_day.month() - 1) / 3 + 1
            ),
            PeriodLength::Year => format!("{}", self.first_day.year()),
        }
    }

    /// How a person reads the period in Chinese: `2026年3月`, `2026年第1季度`, `2026年`.
    pub fn label_zh(&self) -> String {
        match self.length {
            PeriodLength::Month => {
                format!("{}年{}月", self.first_day.year(), self.first_day.month())
            }
            PeriodLength::Quarter => format!(
                "{}年第{}季度",
                self.first_day.year(),
                (self.first_day.month() - 1) / 3 + 1
            ),
            PeriodLength::Year => format!("{}年", self.first_day.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        let table = [
            ("2026-01-31", 1, "2026-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2026-03-31", 1, "2026-04-30"),
            ("2026-12-15", 1, "2027-01-15"),
            ("2024-02-29", 12, "2025-02-28"),
            ("2026-05-11", -6, "2025-11-11"),
        ];
        for (start, months, expected) in table {
            assert_eq!(
                add_months(d(start), months),
                d(expected),
                "{start} + {months} months"
            );
        }
    }

    #[test]
    fn periods_are_calendar_periods() {
        assert_eq!(
            Period::containing(PeriodLength::Quarter, d("2026-03-31")).label(),
            "2026-Q1"
        );
        assert_eq!(
            Period::containing(PeriodLength::Quarter, d("2026-04-01")).label(),
            "2026-Q2"
        );
        assert_eq!(
            Period::containing(PeriodLength::Month, d("2028-02-10")).last_day,
            d("2028-02-29")
        );
        let months = Period::overlapping(PeriodLength::Month, d("2026-01-15"), d("2026-03-01"));
        assert_eq!(
            months.iter().map(Period::label).collect::<Vec<_>>(),
            ["2026-01", "2026-02", "2026-03"]
        );
    }

    #[test]
    fn china_date_crosses_midnight_at_utc_16() {
        let instant = DateTime::parse_from_rfc3339("2026-03-31T16:30:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        assert_eq!(china_date(instant), d("2026-04-01"));
    }
}
