//! Money as integer fen (分), never floating point.
//!
//! [`Fen`] is the only money type in the core. Text from a form or a spreadsheet becomes a `Fen`
//! through [`Fen::parse`], which refuses anything that is not a plain non-negative amount in yuan
//! with at most two decimals ("三千", "-5", "1.234"), naming what is wrong in Chinese and English.
//! Arithmetic saturates rather than panicking, because the core must not fail; parsed amounts are
//! capped far below the point where that could matter.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// An amount of money in fen (1 元 = 100 分). Serialized as the integer number of fen, so that an
/// API client never has to guess a decimal convention.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fen(i64);

/// The largest amount [`Fen::parse`] accepts: 十亿元. No income, due or payment of a Party member
/// comes near it, and the cap keeps every sum and product far from `i64` overflow.
pub const MAX_PARSED_FEN: i64 = 100_000_000_000;

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub const fn from_fen(fen: i64) -> Fen {
        Fen(fen)
    }

    /// Whole yuan, saturating at the `i64` limits.
    pub const fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn min(self, other: Fen) -> Fen {
        Fen(self.0.min(other.0))
    }

    pub fn max(self, other: Fen) -> Fen {
        Fen(self.0.max(other.0))
    }

    /// The amount in yuan with exactly two decimals and no unit: `3000.01`, `-0.50`. For exports and
    /// form fields; `Display` adds the unit.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }

    /// Reads an amount in yuan: `3000`, `3000.01`, `3,000.00`, optionally with a leading `¥` or a
    /// trailing `元`. Refused: empty text, negative amounts, Chinese numerals, full-width digits,
    /// more than two decimals, misplaced thousands separators, and amounts above [`MAX_PARSED_FEN`].
    pub fn parse(text: &str) -> Result<Fen, MoneyParseError> {
        let error = |kind| {
            Err(MoneyParseError {
                kind,
                input: text.to_string(),
            })
        };
        let mut body = text.trim();
        body = body
            .strip_prefix('¥')
            .or_else(|| body.strip_prefix('￥'))
            .unwrap_or(body)
            .trim_start();
        body = body.strip_suffix('元').unwrap_or(body).trim_end();
        if body.is_empty() {
            return error(MoneyParseErrorKind::Empty);
        }
        if body.chars().any(is_chinese_numeral) {
            return error(MoneyParseErrorKind::ChineseNumerals);
        }
        if body.chars().any(|c| ('０'..='９').contains(&c)) {
            return error(MoneyParseErrorKind::FullWidthDigits);
        }
        // A minus sign is reported as such rather than as "not a number", so that the person knows
        // the amount itself is the problem, not its spelling.
        if let Some(rest) = body.strip_prefix('-').or_else(|| body.strip_prefix('－')) {
            if !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            {
                return error(MoneyParseErrorKind::Negative);
            }
            return error(MoneyParseErrorKind::NotANumber);
        }
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return error(MoneyParseErrorKind::NotANumber);
        }
        let (whole, fraction) = match body.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (body, None),
        };
        if whole.is_empty() || fraction.is_some_and(|f| f.is_empty() || f.contains('.')) {
            return error(MoneyParseErrorKind::NotANumber);
        }
        if let Some(fraction) = fraction {
            if fraction.contains(',') {
                return error(MoneyParseErrorKind::MisplacedSeparator);
            }
            if fraction.len() > 2 {
                return error(MoneyParseErrorKind::TooManyDecimals);
            }
        }
        let digits = match strip_thousands_separators(whole) {
            Some(digits) => digits,
            None => return error(MoneyParseErrorKind::MisplacedSeparator),
        };
        let mut fen: i64 = 0;
        for c in digits.chars() {
            let digit = i64::from(c.to_digit(10).unwrap_or(0));
            fen = match fen.checked_mul(10).and_then(|f| f.checked_add(digit)) {
                Some(value) if value <= MAX_PARSED_FEN / 100 => value,
                _ => return error(MoneyParseErrorKind::TooLarge),
            };
        }
        fen *= 100;
        if let Some(fraction) = fraction {
            let mut cents = 0;
            for (position, c) in fraction.chars().enumerate() {
                let digit = i64::from(c.to_digit(10).unwrap_or(0));
                cents += if position == 0 { digit * 10 } else { digit };
            }
            fen += cents;
        }
        if fen > MAX_PARSED_FEN {
            return error(MoneyParseErrorKind::TooLarge);
        }
        Ok(Fen(fen))
    }
}

/// `3,000` → `3000`; `None` when the commas are not every three digits from the right.
fn strip_thousands_separators(whole: &str) -> Option<String> {
    if !whole.contains(',') {
        return Some(whole.to_string());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
    if first_ok && rest_ok {
        Some(groups.concat())
    } else {
        None
    }
}

fn is_chinese_numeral(c: char) -> bool {
    "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億".contains(c)
}

impl fmt::Display for Fen {
    /// `3000.01元`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}元", self.to_yuan_string())
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, other: Fen) {
        *self = *self + other;
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, other: Fen) {
        *self = *self - other;
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

/// What is wrong with a piece of text that should have been an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoneyParseErrorKind {
    Empty,
    Negative,
    /// 三千, 叁仟元
    ChineseNumerals,
    /// ３０００
    FullWidthDigits,
    /// 1.234
    TooManyDecimals,
    /// 30,00
    MisplacedSeparator,
    TooLarge,
    NotANumber,
}

/// An amount that could not be read, with the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} / {}", self.message_zh(), self.message_en())]
pub struct MoneyParseError {
    pub kind: MoneyParseErrorKind,
    pub input: String,
}

impl MoneyParseError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            MoneyParseErrorKind::Empty => "amount_required",
            MoneyParseErrorKind::Negative => "amount_negative",
            MoneyParseErrorKind::ChineseNumerals => "amount_chinese_numerals",
            MoneyParseErrorKind::FullWidthDigits => "amount_full_width_digits",
            MoneyParseErrorKind::TooManyDecimals => "amount_too_many_decimals",
            MoneyParseErrorKind::MisplacedSeparator => "amount_misplaced_separator",
            MoneyParseErrorKind::TooLarge => "amount_too_large",
            MoneyParseErrorKind::NotANumber => "amount_not_a_number",
        }
    }

    pub fn message_zh(&self) -> String {
        let input = &self.input;
        match self.kind {
            MoneyParseErrorKind::Empty => "金额不能为空".to_string(),
            MoneyParseErrorKind::Negative => format!("金额“{input}”为负数：金额不能小于零"),
            MoneyParseErrorKind::ChineseNumerals => {
                format!("金额“{input}”使用了汉字数字，请用阿拉伯数字填写，例如 3000.00")
            }
            MoneyParseErrorKind::FullWidthDigits => {
                format!("金额“{input}”使用了全角数字，请改用半角数字，例如 3000.00")
            }
            MoneyParseErrorKind::TooManyDecimals => {
                format!("金额“{input}”的小数超过两位：金额只能精确到分")
            }
            MoneyParseErrorKind::MisplacedSeparator => {
                format!("金额“{input}”的千位分隔符位置不对，例如应写作 3,000.00")
            }
            MoneyParseErrorKind::TooLarge => format!("金额“{input}”过大，请核对"),
            MoneyParseErrorKind::NotANumber => {
                format!("“{input}”不是金额，请填写以元为单位的数字，例如 3000.00")
            }
        }
    }

    pub fn message_en(&self) -> String {
        let input = &self.input;
        match self.kind {
            MoneyParseErrorKind::Empty => "the amount is required".to_string(),
            MoneyParseErrorKind::Negative => {
                format!("the amount \"{input}\" is negative: amounts cannot be below zero")
            }
            MoneyParseErrorKind::ChineseNumerals => {
                format!(
                    "the amount \"{input}\" is written in Chinese numerals: write it in digits, e.g. 3000.00"
                )
            }
            MoneyParseErrorKind::FullWidthDigits => {
                format!(
                    "the amount \"{input}\" uses full-width digits: use ordinary digits, e.g. 3000.00"
                )
            }
            MoneyParseErrorKind::TooManyDecimals => {
                format!(
                    "the amount \"{input}\" has more than two decimals: amounts are exact to the fen"
                )
            }
            MoneyParseErrorKind::MisplacedSeparator => {
                format!(
                    "the amount \"{input}\" has a misplaced thousands separator, e.g. write 3,000.00"
                )
            }
            MoneyParseErrorKind::TooLarge => {
                format!("the amount \"{input}\" is too large; please check it")
            }
            MoneyParseErrorKind::NotANumber => {
                format!("\"{input}\" is not an amount: write a number of yuan, e.g. 3000.00")
            }
        }
    }

    /// The error as a field error, so that an import can report it by row and column.
    pub fn to_field_error(&self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self.code(), self.message_zh(), self.message_en())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_plain_amounts_and_refuses_the_rest() {
        let accepted = [
            ("3000", 300_000),
            ("3000.01", 300_001),
            ("3000.1", 300_010),
            ("3,000.00", 300_000),
            ("1,234,567.89", 123_456_789),
            (" 0.20 ", 20),
            ("¥15.00", 1_500),
            ("15.00元", 1_500),
            ("0", 0),
        ];
        for (text, fen) in accepted {
            assert_eq!(Fen::parse(text), Ok(Fen::from_fen(fen)), "{text}");
        }
        let refused = [
            ("", MoneyParseErrorKind::Empty),
            ("元", MoneyParseErrorKind::Empty),
            ("-5", MoneyParseErrorKind::Negative),
            ("－5.00", MoneyParseErrorKind::Negative),
            ("三千", MoneyParseErrorKind::ChineseNumerals),
            ("叁仟元", MoneyParseErrorKind::ChineseNumerals),
            ("３０００", MoneyParseErrorKind::FullWidthDigits),
            ("1.234", MoneyParseErrorKind::TooManyDecimals),
            ("30,00", MoneyParseErrorKind::MisplacedSeparator),
            (",300", MoneyParseErrorKind::MisplacedSeparator),
            ("3.000,00", MoneyParseErrorKind::MisplacedSeparator),
            ("1.2.3", MoneyParseErrorKind::NotANumber),
            ("3000.", MoneyParseErrorKind::NotANumber),
            (".5", MoneyParseErrorKind::NotANumber),
            ("abc", MoneyParseErrorKind::NotANumber),
            ("+5", MoneyParseErrorKind::NotANumber),
            ("1e3", MoneyParseErrorKind::NotANumber),
            ("99999999999999999999", MoneyParseErrorKind::TooLarge),
            ("1000000001", MoneyParseErrorKind::TooLarge),
        ];
        for (text, kind) in refused {
            assert_eq!(Fen::parse(text).map_err(|e| e.kind), Err(kind), "{text}");
        }
    }

    #[test]
    fn display_is_yuan_with_two_decimals_and_reads_back() {
        for (fen, shown) in [
            (300_001, "3000.01元"),
            (20, "0.20元"),
            (0, "0.00元"),
            (-50, "-0.50元"),
        ] {
            assert_eq!(Fen::from_fen(fen).to_string(), shown);
        }
        assert_eq!(
            Fen::parse(&Fen::from_fen(300_001).to_string()),
            Ok(Fen::from_fen(300_001))
        );
    }

    #[test]
    fn errors_name_the_input_in_both_languages() {
        let error = Fen::parse("三千").expect_err("refused");
        assert!(error.message_zh().contains("三千") && error.message_zh().contains("阿拉伯数字"));
        assert!(error.message_en().contains("Chinese numerals"));
        let field = error.to_field_error("rows[3].monthly_base");
        assert_eq!(
            (field.field.as_str(), field.code.as_str()),
            ("rows[3].monthly_base", "amount_chinese_numerals")
        );
    }
}
