//! The PRC working-day calendar: statutory holidays (法定节假日) and the weekend days worked in their
//! place (调休上班), kept as data per year in `data/workdays/<year>.toml` at the repository root.
//!
//! Rules worded in working days (公示期不少于五个工作日, 发展党员工作细则 第十三条) need this calendar.
//! The State Council publishes each year's arrangement late in the year before, so the calendar
//! covers only the years it has data for; asking about any other year is an error that tells an
//! administrator to add that year, never a silent guess that weekdays are working days.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The years shipped with Zhibu, embedded at build time.
pub const NATIONAL_WORKDAY_FILES: &[(&str, &str)] = &[
    (
        "2025.toml",
        include_str!("../../../data/workdays/2025.toml"),
    ),
    (
        "2026.toml",
        include_str!("../../../data/workdays/2026.toml"),
    ),
];

/// Why a working-day question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkdayError {
    #[error(
        "{year}年的节假日安排尚未录入工作日历（{date}），请管理员按国务院办公厅通知添加该年数据 / the working-day calendar has no data for {year} ({date}): an administrator must add that year from the State Council notice"
    )]
    YearNotCovered { year: i32, date: NaiveDate },
    #[error(
        "工作日历数据有误（{file}，{field}）：{message_zh} / invalid working-day data ({file}, {field}): {message_en}"
    )]
    InvalidData {
        file: String,
        field: String,
        message_zh: String,
        message_en: String,
    },
}

/// One festival's days off as the notice lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpan {
    pub name_zh: String,
    pub name_en: String,
    /// First day off, inclusive.
    pub first_day: NaiveDate,
    /// Last day off, inclusive.
    pub last_day: NaiveDate,
    /// Weekend days worked in exchange (调休上班).
    #[serde(default)]
    pub make_up_working_days: Vec<NaiveDate>,
}

/// One year's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkdayYear {
    pub year: i32,
    /// The State Council notice the data comes from.
    pub notice: String,
    /// Whether someone has compared the data line by line with the published notice.
    pub checked_against_notice: bool,
    pub holidays: Vec<HolidaySpan>,
}

impl WorkdayYear {
    /// Parses and checks one year's TOML. `file` names the input in error messages.
    pub fn parse(file: &str, text: &str) -> Result<WorkdayYear, WorkdayError> {
        let year: WorkdayYear =
            toml::from_str(text).map_err(|error| WorkdayError::InvalidData {
                file: file.to_string(),
                field: "(file)".into(),
                message_zh: error.to_string(),
                message_en: error.to_string(),
            })?;
        year.check(file)?;
        Ok(year)
    }

    fn check(&self, file: &str) -> Result<(), WorkdayError> {
        let invalid =
            |field: String, message_zh: String, message_en: String| WorkdayError::InvalidData {
                file: file.to_string(),
                field,
                message_zh,
                message_en,
            };
        let mut days_off = BTreeSet::new();
        let mut make_up = BTreeSet::new();
        for (index, span) in self.holidays.iter().enumerate() {
            let field = format!("holidays[{index}]");
            // A span may not cross into another year: each year's notice is entered as its own file,
            // and coverage is decided per year.
            if span.first_day.year() != self.year || span.last_day.year() != self.year {
                return Err(invalid(
                    format!("{field}.first_day"),
                    format!("{}的日期不在{}年内", span.name_zh, self.year),
                    format!("{} has dates outside {}", span.name_en, self.year),
                ));
            }
            if span.last_day < span.first_day {
                return Err(invalid(
                    format!("{field}.last_day"),
                    format!("{}的最后一天早于第一天", span.name_zh),
                    format!("{} ends before it starts", span.name_en),
                ));
            }
            for day in span
                .first_day
                .iter_days()
                .take_while(|day| *day <= span.last_day)
            {
                if !days_off.insert(day) {
                    return Err(invalid(
                        format!("{field}.first_day"),
                        format!("{day}在两个假期中重复出现"),
                        format!("{day} appears in two holidays"),
                    ));
                }
            }
            for (make_up_index, day) in span.make_up_working_days.iter().enumerate() {
                let day_field = format!("{field}.make_up_working_days[{make_up_index}]");
                // A make-up working day is by definition a weekend day; a weekday here is a typing error.
                if !is_weekend(*day) {
                    return Err(invalid(
                        day_field,
                        format!("调休上班日{day}不是周末"),
                        format!("the make-up working day {day} is not a weekend day"),
                    ));
                }
                // Make-up days of a year's notice occasionally fall in the previous December; they are
                // accepted only within the file's own year so coverage stays simple and checkable.
                if day.year() != self.year {
                    return Err(invalid(
                        day_field,
                        format!("调休上班日{day}不在{}年内", self.year),
                        format!("the make-up working day {day} is outside {}", self.year),
                    ));
                }
                make_up.insert(*day);
            }
        }
        if let Some(day) = days_off.intersection(&make_up).next() {
            return Err(invalid(
                "holidays".into(),
                format!("{day}既是假日又是调休上班日"),
                format!("{day} is both a day off and a make-up working day"),
            ));
        }
        Ok(())
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The working-day calendar over the years it has data for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkdayCalendar {
    years: BTreeMap<i32, YearDays>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct YearDays {
    days_off: BTreeSet<NaiveDate>,
    make_up_working_days: BTreeSet<NaiveDate>,
    checked_against_notice: bool,
}

impl WorkdayCalendar {
    /// The years shipped with Zhibu. The files are checked by tests, so an error here is a build
    /// defect, reported rather than hidden.
    pub fn national() -> Result<WorkdayCalendar, WorkdayError> {
        let mut calendar = WorkdayCalendar::default();
        for (file, text) in NATIONAL_WORKDAY_FILES {
            calendar.add_year(WorkdayYear::parse(file, text)?)?;
        }
        Ok(calendar)
    }

    /// Adds one year, e.g. the next year's arrangement entered by an administrator. A year already
    /// present is refused rather than replaced, so a correction is a deliberate act.
    pub fn add_year(&mut self, year: WorkdayYear) -> Result<(), WorkdayError> {
        if self.years.contains_key(&year.year) {
            return Err(WorkdayError::InvalidData {
                file: format!("{}.toml", year.year),
                field: "year".into(),
                message_zh: format!("{}年的工作日历已存在", year.year),
                message_en: format!("the calendar already has {}", year.year),
            });
        }
        year.check(&format!("{}.toml", year.year))?;
        let mut days = YearDays {
            days_off: BTreeSet::new(),
            make_up_working_days: BTreeSet::new(),
            checked_against_notice: year.checked_against_notice,
        };
        for span in &year.holidays {
            days.days_off.extend(
                span.first_day
                    .iter_days()
                    .take_while(|day| *day <= span.last_day),
            );
            days.make_up_working_days
                .extend(span.make_up_working_days.iter().copied());
        }
        self.years.insert(year.year, days);
        Ok(())
    }

    /// The years covered, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether a covered year's data has been checked against the published notice.
    pub fn is_checked_against_notice(&self, year: i32) -> Option<bool> {
        self.years
            .get(&year)
            .map(|days| days.checked_against_notice)
    }

    fn year_of(&self, date: NaiveDate) -> Result<&YearDays, WorkdayError> {
        self.years
            .get(&date.year())
            .ok_or(WorkdayError::YearNotCovered {
                year: date.year(),
                date,
            })
    }

    /// A make-up working day is a working day; a day off is not; otherwise Monday to Friday are.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, WorkdayError> {
        let year = self.year_of(date)?;
        if year.make_up_working_days.contains(&date) {
            return Ok(true);
        }
        if year.days_off.contains(&date) {
            return Ok(false);
        }
        Ok(!is_weekend(date))
    }

    /// The day that is `count` working days after `date`, not counting `date` itself. With a count of
    /// zero it is `date`.
    pub fn add_working_days(&self, date: NaiveDate, count: u32) -> Result<NaiveDate, WorkdayError> {
        let mut day = date;
        let mut remaining = count;
        while remaining > 0 {
            day = day.succ_opt().ok_or(WorkdayError::YearNotCovered {
                year: day.year(),
                date: day,
            })?;
            if self.is_working_day(day)? {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// The number of working days from `first` to `last`, both included: the length of a publicity
    /// period (公示期) that runs over those days. Zero when `last` is before `first`.
    pub fn working_days_between(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<u32, WorkdayError> {
        let mut count = 0;
        for day in first.iter_days().take_while(|day| *day <= last) {
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// The last day of a period of `count` working days that starts on `first`: `first` counts when
    /// it is a working day. For 公示期不少于五个工作日 starting on `first`, this is the earliest
    /// day on which the publicity is complete.
    pub fn last_of_working_days_from(
        &self,
        first: NaiveDate,
        count: u32,
    ) -> Result<NaiveDate, WorkdayError> {
        let day_before = first.pred_opt().ok_or(WorkdayError::YearNotCovered {
            year: first.year(),
            date: first,
        })?;
        // The day before `first` is never inspected, so its year needs no data.
        self.add_working_days(day_before, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn the_shipped_years_load() {
        let calendar = WorkdayCalendar::national().expect("embedded years are valid");
        assert_eq!(calendar.years(), vec![2025, 2026]);
    }

    #[test]
    fn holidays_and_make_up_days_decide_working_days() {
        let calendar = WorkdayCalendar::national().expect("calendar");
        // (date, working day?)
        let table = [
            ("2025-01-01", false), // 元旦, a Wednesday
            ("2025-01-26", true),  // Sunday worked for the Spring Festival
            ("2025-02-04", false), // last day of the Spring Festival
            ("2025-02-05", true),
            ("2025-10-08", false),
            ("2025-10-11", true), // Saturday worked
            ("2025-10-12", false),
            ("2026-02-14", true), // Saturday worked
            ("2026-02-23", false),
            ("2026-05-05", false),
            ("2026-05-09", true),
            ("2026-05-10", false),
            ("2026-05-11", true),
            ("2026-09-20", true), // Sunday worked for National Day
            ("2026-10-07", false),
            ("2026-12-31", true),
        ];
        for (date, working) in table {
            assert_eq!(calendar.is_working_day(d(date)), Ok(working), "{date}");
        }
    }

    #[test]
    fn counting_and_adding_working_days() {
        let calendar = WorkdayCalendar::national().expect("calendar");
        // (first, last, working days from first to last inclusive)
        let between = [
            ("2026-05-13", "2026-05-19", 5),
            ("2026-04-29", "2026-05-08", 5),
            ("2026-05-06", "2026-05-11", 5),
            ("2026-05-12", "2026-05-11", 0),
        ];
        for (first, last, days) in between {
            assert_eq!(
                calendar.working_days_between(d(first), d(last)),
                Ok(days),
                "{first}..{last}"
            );
        }
        // (date, n, the n-th working day after it)
        let added = [
            ("2026-04-30", 1, "2026-05-06"),
            ("2026-05-08", 1, "2026-05-09"),
            ("2026-05-08", 2, "2026-05-11"),
            ("2025-09-30", 1, "2025-10-09"),
            ("2026-03-02", 0, "2026-03-02"),
        ];
        for (date, count, expected) in added {
            assert_eq!(
                calendar.add_working_days(d(date), count),
                Ok(d(expected)),
                "{date} + {count}"
            );
        }
        assert_eq!(
            calendar.last_of_working_days_from(d("2026-05-13"), 5),
            Ok(d("2026-05-19"))
        );
    }

    #[test]
    fn a_year_without_data_is_an_error_that_names_it() {
        let calendar = WorkdayCalendar::national().expect("calendar");
        assert_eq!(
            calendar.is_working_day(d("2027-01-04")),
            Err(WorkdayError::YearNotCovered {
                year: 2027,
                date: d("2027-01-04")
            })
        );
        assert_eq!(
            calendar.add_working_days(d("2026-12-30"), 2),
            Err(WorkdayError::YearNotCovered {
                year: 2027,
                date: d("2027-01-01")
            })
        );
        let message = calendar
            .is_working_day(d("2024-06-03"))
            .expect_err("2024 is not shipped")
            .to_string();
        assert!(
            message.contains("2024年的节假日安排尚未录入") && message.contains("no data for 2024"),
            "{message}"
        );
    }

    #[test]
    fn an_administrator_adds_a_year_once() {
        let mut calendar = WorkdayCalendar::national().expect("calendar");
        let text = r#"
            year = 2027
            notice = "test"
            checked_against_notice = false
            [[holidays]]
            name_zh = "元旦"
            name_en = "New Year's Day"
            first_day = "2027-01-01"
            last_day = "2027-01-03"
            make_up_working_days = []
        "#;
        calendar
            .add_year(WorkdayYear::parse("2027.toml", text).expect("valid"))
            .expect("new year");
        assert_eq!(calendar.is_working_day(d("2027-01-04")), Ok(true));
        assert_eq!(calendar.is_checked_against_notice(2027), Some(false));
        assert!(
            calendar
                .add_year(WorkdayYear::parse("2027.toml", text).expect("valid"))
                .is_err(),
            "a year is not replaced silently"
        );
    }

    #[test]
    fn a_make_up_day_must_be_a_weekend() {
        let text = r#"
            year = 2027
            notice = "test"
            checked_against_notice = false
            [[holidays]]
            name_zh = "元旦"
            name_en = "New Year's Day"
            first_day = "2027-01-01"
            last_day = "2027-01-01"
            make_up_working_days = ["2027-01-04"]
        "#;
        let error = WorkdayYear::parse("2027.toml", text).expect_err("2027-01-04 is a Monday");
        assert!(
            matches!(error, WorkdayError::InvalidData { ref field, .. } if field == "holidays[0].make_up_working_days[0]"),
            "{error}"
        );
    }

    #[test]
    fn the_day_before_a_covered_year_is_not_inspected() {
        let calendar = WorkdayCalendar::national().expect("calendar");
        // 2025-01-02 is a Thursday and the first working day of 2025.
        assert_eq!(
            calendar.last_of_working_days_from(d("2025-01-01"), 1),
            Ok(d("2025-01-02"))
        );
    }
}
