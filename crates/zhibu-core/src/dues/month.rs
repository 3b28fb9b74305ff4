//! A calendar month, the unit in which dues are owed and organizational life is counted.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::last_day_of_month;
use crate::validation::FieldError;

/// A calendar month in China Standard Time: `2026-03`. The fields are private so that a month 13
/// cannot exist; build one with [`YearMonth::new`], [`YearMonth::of`] or [`YearMonth::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// `None` unless `month` is 1–12 and the year is one a record can carry (1900–9999).
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(
            self.year,
            self.month,
            last_day_of_month(self.year, self.month),
        )
        .unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        YearMonth::of(date) == self
    }

    /// Months since year 0, so that differences are plain subtraction.
    fn ordinal(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    fn from_ordinal(ordinal: i64) -> YearMonth {
        let year = ordinal.div_euclid(12);
        let month0 = ordinal.rem_euclid(12);
        YearMonth {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month0 + 1).unwrap_or(1),
        }
    }

    /// This month plus `months` (negative to go back).
    pub fn plus(self, months: i64) -> YearMonth {
        YearMonth::from_ordinal(self.ordinal() + months)
    }

    pub fn next(self) -> YearMonth {
        self.plus(1)
    }

    pub fn previous(self) -> YearMonth {
        self.plus(-1)
    }

    /// How many months `later` is after `self` (negative if it is before).
    pub fn months_until(self, later: YearMonth) -> i64 {
        later.ordinal() - self.ordinal()
    }

    /// Every month from `from` to `to`, both included; empty if `from` is after `to`.
    pub fn range_inclusive(from: YearMonth, to: YearMonth) -> Vec<YearMonth> {
        let count = from.months_until(to) + 1;
        (0..count.max(0)).map(|offset| from.plus(offset)).collect()
    }

    /// The first month of the calendar quarter containing this month (Q1 = January–March).
    pub fn quarter_start(self) -> YearMonth {
        YearMonth {
            year: self.year,
            month: (self.month - 1) / 3 * 3 + 1,
        }
    }

    /// `2026年3月`.
    pub fn label_zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }

    /// Reads `2026-03` (also `2026-3` and `2026/03`).
    pub fn parse(text: &str) -> Result<YearMonth, MonthParseError> {
        let error = || MonthParseError {
            input: text.to_string(),
        };
        let trimmed = text.trim();
        let (year, month) = trimmed
            .split_once('-')
            .or_else(|| trimmed.split_once('/'))
            .ok_or_else(error)?;
        let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if year.len() != 4 || !all_digits(year) || month.len() > 2 || !all_digits(month) {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let month: u32 = month.parse().map_err(|_| error())?;
        YearMonth::new(year, month).ok_or_else(error)
    }
}

impl fmt::Display for YearMonth {
    /// `2026-03`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for YearMonth {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-(0[1-9]|1[0-2])$"))
            .examples([serde_json::json!("2026-03")])
            .description(Some("A calendar month in China Standard Time, YYYY-MM"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for YearMonth {}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<YearMonth, D::Error> {
        let text = String::deserialize(deserializer)?;
        YearMonth::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Text that is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} / {}", self.message_zh(), self.message_en())]
pub struct MonthParseError {
    pub input: String,
}

impl MonthParseError {
    pub fn message_zh(&self) -> String {
        format!("“{}”不是有效的年月，请写作 2026-03", self.input)
    }

    pub fn message_en(&self) -> String {
        format!(
            "\"{}\" is not a valid month: write it as 2026-03",
            self.input
        )
    }

    pub fn to_field_error(&self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, "month_invalid", self.message_zh(), self.message_en())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).expect("test month")
    }

    #[test]
    fn months_step_across_years_and_parse_strictly() {
        assert_eq!(ym(2025, 12).next(), ym(2026, 1));
        assert_eq!(ym(2026, 1).previous(), ym(2025, 12));
        assert_eq!(ym(2025, 11).months_until(ym(2026, 5)), 6);
        assert_eq!(
            YearMonth::range_inclusive(ym(2025, 11), ym(2026, 2)).len(),
            4
        );
        assert!(YearMonth::range_inclusive(ym(2026, 2), ym(2025, 11)).is_empty());
        assert_eq!(ym(2026, 5).quarter_start(), ym(2026, 4));
        assert_eq!(
            ym(2028, 2).last_day(),
            NaiveDate::from_ymd_opt(2028, 2, 29).expect("leap day")
        );
        assert_eq!(YearMonth::parse("2026-03"), Ok(ym(2026, 3)));
        assert_eq!(YearMonth::parse("2026/3"), Ok(ym(2026, 3)));
        for bad in [
            "2026-13",
            "2026-00",
            "26-03",
            "2026",
            "2026-03-01",
            "二〇二六-03",
            "",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
        let text = serde_json::to_string(&ym(2026, 3)).expect("serialize");
        assert_eq!(text, "\"2026-03\"");
        assert_eq!(
            serde_json::from_str::<YearMonth>(&text).expect("read back"),
            ym(2026, 3)
        );
    }
}
