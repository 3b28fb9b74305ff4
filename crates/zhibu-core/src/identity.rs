//! Personal identifiers: the resident identity card number (公民身份号码, GB 11643-1999) and phone
//! numbers. Both are parsed, never merely validated: a value of these types has passed every check.
//!
//! Both are personal information. Their `Display` and `Debug` show only the masked form, so that a
//! log line or an error page cannot leak them; the full value is reached only through
//! `as_full_str`, which storage (encrypting at rest) and an authorized export call on purpose.
//!
//! Masking: an ID number shows its first 6 characters (the region of registration) and its last 4
//! (sequence and check digit) and hides the 8 digits of the birth date: `110105********002X`. The
//! birth date is the part that, with a name, most identifies a person, and the region and last
//! four are what branch staff use to tell two members apart on a list. A mobile number shows its
//! first 3 and last 4 digits (`138****5678`), a landline its area code and last 4 digits.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::domain::Sex;
use crate::validation::{FieldError, ValidationErrors};

/// The first two digits of an ID number: a province-level code of GB/T 2260 (including 71 Taiwan,
/// 81 Hong Kong, 82 Macao and 83, which the residence permits of their residents use). Only the
/// shape is checked: county codes change every year and a lookup table would go stale.
const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// ISO 7064 MOD 11-2 weights of the first 17 digits: 2^(17−i) mod 11.
const CHECK_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each remainder of the weighted sum mod 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character GB 11643 prescribes for 17 leading digits; `None` if they are not 17 ASCII
/// digits.
pub fn id_check_character(first_seventeen: &str) -> Option<char> {
    if first_seventeen.len() != 17 || !first_seventeen.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first_seventeen
        .bytes()
        .zip(CHECK_WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS.get((sum % 11) as usize).copied()
}

/// An 18-character resident identity card number that has passed every check of GB 11643-1999.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNumber {
    /// 17 digits and the check character, `X` in upper case.
    text: String,
    birth_date: NaiveDate,
}

/// One thing wrong with an ID number. Several may be reported together (a bad region, an
/// impossible birth date and a wrong check digit), so that a person fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdCardProblem {
    Empty,
    /// 15-digit numbers were issued before 1999; they are not accepted, the card holder has an
    /// 18-digit number.
    OldFifteenDigits,
    WrongLength {
        found: usize,
    },
    /// Something other than digits, or other than a final digit or X.
    BadCharacters,
    FullWidthCharacters,
    UnknownRegion {
        prefix: String,
    },
    /// The eight birth-date digits are not a date (e.g. 20260230).
    ImpossibleBirthDate {
        digits: String,
    },
    BirthDateInFuture {
        date: NaiveDate,
    },
    BirthDateBefore1900 {
        date: NaiveDate,
    },
    CheckDigitMismatch {
        expected: char,
        found: char,
    },
}

impl IdCardProblem {
    pub fn code(&self) -> &'static str {
        match self {
            IdCardProblem::Empty => "id_required",
            IdCardProblem::OldFifteenDigits => "id_fifteen_digits",
            IdCardProblem::WrongLength { .. } => "id_wrong_length",
            IdCardProblem::BadCharacters => "id_bad_characters",
            IdCardProblem::FullWidthCharacters => "id_full_width",
            IdCardProblem::UnknownRegion { .. } => "id_unknown_region",
            IdCardProblem::ImpossibleBirthDate { .. } => "id_impossible_birth_date",
            IdCardProblem::BirthDateInFuture { .. } => "id_birth_date_in_future",
            IdCardProblem::BirthDateBefore1900 { .. } => "id_birth_date_too_early",
            IdCardProblem::CheckDigitMismatch { .. } => "id_check_digit",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            IdCardProblem::Empty => "身份证号码不能为空".to_string(),
            IdCardProblem::OldFifteenDigits => {
                "这是15位旧身份证号码，请填写18位公民身份号码".to_string()
            }
            IdCardProblem::WrongLength { found } => format!("身份证号码应为18位，现为{found}位"),
            IdCardProblem::BadCharacters => {
                "身份证号码前17位须为数字，最后一位为数字或X".to_string()
            }
            IdCardProblem::FullWidthCharacters => {
                "身份证号码含全角字符，请改用半角数字和X".to_string()
            }
            IdCardProblem::UnknownRegion { prefix } => {
                format!("身份证号码前两位“{prefix}”不是有效的省级行政区划代码")
            }
            IdCardProblem::ImpossibleBirthDate { digits } => {
                format!("身份证号码中的出生日期“{digits}”不是真实的日期")
            }
            IdCardProblem::BirthDateInFuture { date } => {
                format!("身份证号码中的出生日期{date}晚于今天")
            }
            IdCardProblem::BirthDateBefore1900 { date } => {
                format!("身份证号码中的出生日期{date}早于1900年")
            }
            IdCardProblem::CheckDigitMismatch { expected, found } => {
                format!(
                    "身份证号码校验位不符：最后一位应为“{expected}”，现为“{found}”，请核对是否有数字录错"
                )
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            IdCardProblem::Empty => "the ID number is required".to_string(),
            IdCardProblem::OldFifteenDigits => {
                "this is an old 15-digit ID number: give the 18-digit number".to_string()
            }
            IdCardProblem::WrongLength { found } => {
                format!("an ID number has 18 characters, this one has {found}")
            }
            IdCardProblem::BadCharacters => {
                "an ID number is 17 digits followed by a digit or X".to_string()
            }
            IdCardProblem::FullWidthCharacters => {
                "the ID number contains full-width characters: use ordinary digits and X"
                    .to_string()
            }
            IdCardProblem::UnknownRegion { prefix } => {
                format!("the ID number starts with \"{prefix}\", which is not a province code")
            }
            IdCardProblem::ImpossibleBirthDate { digits } => {
                format!("the birth date in the ID number, \"{digits}\", is not a real date")
            }
            IdCardProblem::BirthDateInFuture { date } => {
                format!("the birth date in the ID number, {date}, is after today")
            }
            IdCardProblem::BirthDateBefore1900 { date } => {
                format!("the birth date in the ID number, {date}, is before 1900")
            }
            IdCardProblem::CheckDigitMismatch { expected, found } => {
                format!(
                    "the ID number's check digit does not match: the last character should be \"{expected}\", not \"{found}\"; a digit may be mistyped"
                )
            }
        }
    }
}

/// Every problem found in one ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.problems.iter().map(|p| format!("{} / {}", p.message_zh(), p.message_en())).collect::<Vec<_>>().join("; "))]
pub struct IdCardError {
    pub problems: Vec<IdCardProblem>,
}

impl IdCardError {
    /// One field error per problem, all on `field` (e.g. `rows[7].id_number`).
    pub fn to_validation_errors(&self, field: &str) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        for problem in &self.problems {
            errors.push(FieldError::new(
                field,
                problem.code(),
                problem.message_zh(),
                problem.message_en(),
            ));
        }
        errors
    }
}

impl IdCardNumber {
    /// Reads an 18-character ID number. Spaces are ignored and a lower-case `x` is accepted.
    /// `today` (China Standard Time) is passed in because the core never reads the clock; a birth
    /// date after it is refused.
    pub fn parse(text: &str, today: NaiveDate) -> Result<IdCardNumber, IdCardError> {
        let refuse = |problem| {
            Err(IdCardError {
                problems: vec![problem],
            })
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return refuse(IdCardProblem::Empty);
        }
        if compact
            .chars()
            .any(|c| ('０'..='９').contains(&c) || c == 'Ｘ' || c == 'ｘ')
        {
            return refuse(IdCardProblem::FullWidthCharacters);
        }
        let count = compact.chars().count();
        if count == 15 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return refuse(IdCardProblem::OldFifteenDigits);
        }
        if count != 18 {
            return refuse(IdCardProblem::WrongLength { found: count });
        }
        let canonical = compact.to_ascii_uppercase();
        let (first_seventeen, last) = canonical.split_at(17);
        let last_ok = last.bytes().all(|b| b.is_ascii_digit() || b == b'X');
        let Some(expected) = id_check_character(first_seventeen).filter(|_| last_ok) else {
            return refuse(IdCardProblem::BadCharacters);
        };
        let mut problems = Vec::new();
        let prefix = &canonical[0..2];
        if !PROVINCE_CODES.contains(&prefix) {
            problems.push(IdCardProblem::UnknownRegion {
                prefix: prefix.to_string(),
            });
        }
        let digits = &canonical[6..14];
        let birth_date = NaiveDate::parse_from_str(digits, "%Y%m%d").ok();
        match birth_date {
            None => problems.push(IdCardProblem::ImpossibleBirthDate {
                digits: digits.to_string(),
            }),
            Some(date) if date > today => problems.push(IdCardProblem::BirthDateInFuture { date }),
            Some(date) if date.year() < 1900 => {
                problems.push(IdCardProblem::BirthDateBefore1900 { date })
            }
            Some(_) => {}
        }
        let found = last.chars().next().unwrap_or(' ');
        if found != expected {
            problems.push(IdCardProblem::CheckDigitMismatch { expected, found });
        }
        match birth_date {
            Some(birth_date) if problems.is_empty() => Ok(IdCardNumber {
                text: canonical,
                birth_date,
            }),
            _ => Err(IdCardError { problems }),
        }
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The 17th digit (the last of the sequence code) is odd for men and even for women.
    pub fn sex(&self) -> Sex {
        let digit = self
            .text
            .as_bytes()
            .get(16)
            .map(|b| b.wrapping_sub(b'0'))
            .unwrap_or(0);
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The six-digit administrative division code of the place of registration.
    pub fn region_code(&self) -> &str {
        &self.text[0..6]
    }

    /// `110105********002X`: the region and the last four, the birth date hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.text[0..6], &self.text[14..18])
    }

    /// The full number. Call it only to store (encrypted) or for an authorized export.
    pub fn as_full_str(&self) -> &str {
        &self.text
    }

    /// Checks the number against a member record: the birth date and sex it encodes must be those
    /// recorded (when recorded). Returns every mismatch, on `field`.
    pub fn check_consistent_with(
        &self,
        field: &str,
        birth_date: Option<NaiveDate>,
        sex: Sex,
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if let Some(recorded) = birth_date
            && recorded != self.birth_date
        {
            errors.add(
                field,
                "id_birth_date_differs",
                format!(
                    "身份证号码中的出生日期{}与登记的出生日期{recorded}不一致",
                    self.birth_date
                ),
                format!(
                    "the ID number's birth date {} differs from the recorded birth date {recorded}",
                    self.birth_date
                ),
            );
        }
        if sex != self.sex() {
            errors.add(
                field,
                "id_sex_differs",
                "身份证号码显示的性别与登记的性别不一致",
                "the sex the ID number encodes differs from the recorded sex",
            );
        }
        errors.into_result()
    }
}

impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

/// Mobile or landline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// 11 digits, 1[3-9]xxxxxxxxx.
    Mobile,
    /// Area code (010, 02x, or 0 and three digits) and a 7- or 8-digit number.
    Landline,
}

/// A mainland China phone number that has passed its checks.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    kind: PhoneKind,
    /// Mobile: the 11 digits. Landline: the area code with its leading 0.
    area_code: String,
    /// Landline: the subscriber number. Mobile: empty.
    number: String,
    extension: Option<String>,
}

/// What is wrong with a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneProblem {
    Empty,
    BadCharacters,
    FullWidthDigits,
    /// Starts with 1 but is not 11 digits.
    MobileLength {
        found: usize,
    },
    /// 11 digits starting with 1, but the second digit is not 3–9.
    MobilePrefix,
    /// A landline without its area code.
    MissingAreaCode,
    /// The number after the area code is not 7 or 8 digits starting with 2–9.
    LandlineNumber,
    ExtensionOnMobile,
    BadExtension,
    /// A country code other than +86.
    NotMainland,
}

impl PhoneProblem {
    pub fn code(&self) -> &'static str {
        match self {
            PhoneProblem::Empty => "phone_required",
            PhoneProblem::BadCharacters => "phone_bad_characters",
            PhoneProblem::FullWidthDigits => "phone_full_width",
            PhoneProblem::MobileLength { .. } => "phone_mobile_length",
            PhoneProblem::MobilePrefix => "phone_mobile_prefix",
            PhoneProblem::MissingAreaCode => "phone_missing_area_code",
            PhoneProblem::LandlineNumber => "phone_landline_number",
            PhoneProblem::ExtensionOnMobile => "phone_extension_on_mobile",
            PhoneProblem::BadExtension => "phone_bad_extension",
            PhoneProblem::NotMainland => "phone_not_mainland",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            PhoneProblem::Empty => "电话号码不能为空".to_string(),
            PhoneProblem::BadCharacters => {
                "电话号码只能包含数字，以及可选的+86、空格、连字符和括号".to_string()
            }
            PhoneProblem::FullWidthDigits => "电话号码含全角数字，请改用半角数字".to_string(),
            PhoneProblem::MobileLength { found } => format!("手机号码应为11位，现为{found}位"),
            PhoneProblem::MobilePrefix => "手机号码第二位应为3至9".to_string(),
            PhoneProblem::MissingAreaCode => "固定电话须带区号，例如 010-12345678".to_string(),
            PhoneProblem::LandlineNumber => {
                "固定电话号码（区号之后）应为7或8位，且不以0或1开头".to_string()
            }
            PhoneProblem::ExtensionOnMobile => "手机号码不能带分机号".to_string(),
            PhoneProblem::BadExtension => "分机号应为1至6位数字".to_string(),
            PhoneProblem::NotMainland => "只接受中国大陆电话号码（+86）".to_string(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            PhoneProblem::Empty => "the phone number is required".to_string(),
            PhoneProblem::BadCharacters => "a phone number may contain only digits, an optional +86, spaces, hyphens and brackets".to_string(),
            PhoneProblem::FullWidthDigits => "the phone number uses full-width digits: use ordinary digits".to_string(),
            PhoneProblem::MobileLength { found } => format!("a mobile number has 11 digits, this one has {found}"),
            PhoneProblem::MobilePrefix => "the second digit of a mobile number must be 3 to 9".to_string(),
            PhoneProblem::MissingAreaCode => "a landline number needs its area code, e.g. 010-12345678".to_string(),
            PhoneProblem::LandlineNumber => "the landline number after the area code must be 7 or 8 digits not starting with 0 or 1".to_string(),
            PhoneProblem::ExtensionOnMobile => "a mobile number cannot have an extension".to_string(),
            PhoneProblem::BadExtension => "an extension is 1 to 6 digits".to_string(),
            PhoneProblem::NotMainland => "only mainland China numbers (+86) are accepted".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} / {}", self.problem.message_zh(), self.problem.message_en())]
pub struct PhoneError {
    pub problem: PhoneProblem,
}

impl PhoneError {
    pub fn to_field_error(&self, field: impl Into<String>) -> FieldError {
        FieldError::new(
            field,
            self.problem.code(),
            self.problem.message_zh(),
            self.problem.message_en(),
        )
    }
}

impl PhoneNumber {
    /// Reads a mainland mobile number (`13812345678`, `+86 138 1234 5678`, `138-1234-5678`) or a
    /// landline with its area code (`010-12345678`, `(0571)87654321`, `+86 10 1234 5678`,
    /// `021-12345678转801`).
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneError> {
        let refuse = |problem| Err(PhoneError { problem });
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return refuse(PhoneProblem::Empty);
        }
        if trimmed.chars().any(|c| ('０'..='９').contains(&c)) {
            return refuse(PhoneProblem::FullWidthDigits);
        }
        let lower = trimmed.to_lowercase();
        let (main, extension) = match ["转", "分机", "ext.", "ext"]
            .iter()
            .find_map(|marker| lower.split_once(marker))
        {
            Some((main, extension)) => (main.to_string(), Some(extension.trim().to_string())),
            None => (lower, None),
        };
        if let Some(extension) = &extension
            && (extension.is_empty()
                || extension.len() > 6
                || !extension.bytes().all(|b| b.is_ascii_digit()))
        {
            return refuse(PhoneProblem::BadExtension);
        }
        let mut digits = String::new();
        let mut international = false;
        for (position, c) in main.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if position == 0 => international = true,
                ' ' | '-' | '(' | ')' | '（' | '）' => {}
                _ => return refuse(PhoneProblem::BadCharacters),
            }
        }
        if international {
            match digits.strip_prefix("86") {
                Some(rest) => digits = rest.to_string(),
                None => return refuse(PhoneProblem::NotMainland),
            }
        } else if let Some(rest) = digits.strip_prefix("0086") {
            digits = rest.to_string();
            international = true;
        } else if digits.len() == 13 && digits.starts_with("861") {
            digits = digits[2..].to_string();
        }
        if digits.is_empty() {
            return refuse(PhoneProblem::BadCharacters);
        }
        // Beijing's area code dialled from abroad (+86 10 …) is the only landline starting with 1;
        // no mobile number starts with 10.
        let beijing_from_abroad = international && digits.starts_with("10");
        if digits.starts_with('1') && !beijing_from_abroad {
            if extension.is_some() {
                return refuse(PhoneProblem::ExtensionOnMobile);
            }
            if digits.len() != 11 {
                return refuse(PhoneProblem::MobileLength {
                    found: digits.len(),
                });
            }
            if !matches!(digits.as_bytes().get(1), Some(b'3'..=b'9')) {
                return refuse(PhoneProblem::MobilePrefix);
            }
            return Ok(PhoneNumber {
                kind: PhoneKind::Mobile,
                area_code: digits,
                number: String::new(),
                extension: None,
            });
        }
        if international {
            // Dialled from abroad the area code loses its leading 0: +86 10 12345678 is 010-12345678.
            digits.insert(0, '0');
        }
        if !digits.starts_with('0') {
            return refuse(PhoneProblem::MissingAreaCode);
        }
        let area_length = if digits.starts_with("010") || digits.starts_with("02") {
            3
        } else {
            4
        };
        if digits.len() <= area_length {
            return refuse(PhoneProblem::LandlineNumber);
        }
        let (area_code, number) = digits.split_at(area_length);
        let number_ok =
            (7..=8).contains(&number.len()) && !number.starts_with('0') && !number.starts_with('1');
        if !number_ok {
            return refuse(PhoneProblem::LandlineNumber);
        }
        Ok(PhoneNumber {
            kind: PhoneKind::Landline,
            area_code: area_code.to_string(),
            number: number.to_string(),
            extension,
        })
    }

    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// The number as stored: `13812345678`, `010-12345678`, `021-12345678转801`.
    pub fn as_full_str(&self) -> String {
        match self.kind {
            PhoneKind::Mobile => self.area_code.clone(),
            PhoneKind::Landline => {
                let extension = self
                    .extension
                    .as_deref()
                    .map(|e| format!("转{e}"))
                    .unwrap_or_default();
                format!("{}-{}{extension}", self.area_code, self.number)
            }
        }
    }

    /// `138****5678`; `010-****5678`.
    pub fn masked(&self) -> String {
        match self.kind {
            PhoneKind::Mobile => format!("{}****{}", &self.area_code[0..3], &self.area_code[7..11]),
            PhoneKind::Landline => {
                let hidden = "*".repeat(self.number.len() - 4);
                format!(
                    "{}-{hidden}{}",
                    self.area_code,
                    &self.number[self.number.len() - 4..]
                )
            }
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

// Serde: both serialize as their full text (storage seals them before anything is written, and
// the web layer masks them before anything is shown) and deserialize through `parse`, so a value
// read back has passed every check again. A birth date after "today" cannot be checked without a
// clock, so reading accepts any date up to the end of the calendar; entry points that take input
// (the API, an import) call `parse` with today's date first.
impl serde::Serialize for IdCardNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for IdCardNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IdCardNumber::parse(&text, NaiveDate::MAX).map_err(|error| {
            let reasons: Vec<String> = error.problems.iter().map(|p| p.message_en()).collect();
            serde::de::Error::custom(format!("invalid ID number: {}", reasons.join("; ")))
        })
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_full_str())
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PhoneNumber::parse(&text).map_err(|error| {
            serde::de::Error::custom(format!(
                "invalid phone number: {}",
                error.problem.message_en()
            ))
        })
    }
}
