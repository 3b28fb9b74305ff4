//! Reading one cell as a date, an amount of money or a choice, with the reason in Chinese and
//! English when it cannot be read. Callers add the row and column.

use chrono::{Days, NaiveDate};
use zhibu_core::money::Fen;

use crate::table::Cell;

/// Why a cell could not be read: (code, Chinese, English).
pub type CellProblem = (&'static str, String, String);

/// A calendar date: an Excel date cell, or text as `2026-02-28`, `2026/2/28`, `2026.02.28`,
/// `2026年2月28日` or `20260228`. An impossible date (2026-02-30) is named as such.
pub fn date(cell: &Cell) -> Result<NaiveDate, CellProblem> {
    match cell {
        Cell::Date(serial) => serial_date(*serial, cell),
        Cell::Number(number) if looks_like_compact(*number) => date_text(&cell.text()),
        Cell::Number(number) if number.fract() == 0.0 && (1.0..100_000.0).contains(number) => {
            serial_date(*number, cell)
        }
        _ => date_text(&cell.text()),
    }
}

/// An Excel serial day number (days since 1899-12-30, the 1900 date system).
fn serial_date(serial: f64, cell: &Cell) -> Result<NaiveDate, CellProblem> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return Err(not_a_date(&cell.text()));
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|epoch| epoch.checked_add_days(Days::new(serial.floor() as u64)))
        .ok_or_else(|| not_a_date(&cell.text()))
}

fn looks_like_compact(number: f64) -> bool {
    (19_000_101.0..=29_991_231.0).contains(&number)
}

fn not_a_date(text: &str) -> CellProblem {
    (
        "not_a_date",
        format!("“{text}”不是日期，应写作 2024-07-01"),
        format!("{text:?} is not a date; write it as 2024-07-01"),
    )
}

/// Reads a date written as text.
pub fn date_text(text: &str) -> Result<NaiveDate, CellProblem> {
    let text = text.trim();
    // Excel date cells read as text by some programs: "2024-07-01 00:00:00" / "2024-07-01T00:00:00".
    let text = text
        .split([' ', 'T'])
        .next()
        .unwrap_or(text)
        .trim_end_matches('日');
    let parts: Vec<&str> = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        vec![&text[0..4], &text[4..6], &text[6..8]]
    } else {
        text.split(['-', '/', '.', '年', '月']).collect()
    };
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|part| {
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect();
    match numbers.as_deref() {
        Some([year, month, day]) if *year >= 1000 => {
            NaiveDate::from_ymd_opt(*year as i32, *month, *day).ok_or_else(|| {
                (
                    "impossible_date",
                    format!("日期{year}年{month}月{day}日不存在"),
                    format!("the date {year:04}-{month:02}-{day:02} does not exist"),
                )
            })
        }
        Some([year, month]) if *year >= 1000 && (1..=12).contains(month) => Err((
            "month_only",
            format!("“{text}”只有年月，须填写完整日期（年月日）"),
            format!("{text:?} gives only a year and month; a full date is needed"),
        )),
        _ => Err(not_a_date(text)),
    }
}

/// An amount of money in yuan with at most two decimals (`3000`, `3,000.50`), as fen, read by
/// [`Fen::parse`]: negative amounts and amounts in words (`三千`) are refused.
pub fn money(cell: &Cell) -> Result<Fen, CellProblem> {
    Fen::parse(&cell.text()).map_err(|error| (error.code(), error.message_zh(), error.message_en()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn dates_as_table() {
        let ok = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d).expect("valid"));
        let cases: Vec<(Cell, Result<NaiveDate, &str>)> = vec![
            (text("2024-07-01"), ok(2024, 7, 1)),
            (text("2024/7/1"), ok(2024, 7, 1)),
            (text("2024.07.01"), ok(2024, 7, 1)),
            (text("2024年7月1日"), ok(2024, 7, 1)),
            (text("20240701"), ok(2024, 7, 1)),
            (text("2024-07-01 00:00:00"), ok(2024, 7, 1)),
            (Cell::Date(45474.0), ok(2024, 7, 1)),
            (Cell::Number(45474.0), ok(2024, 7, 1)),
            (Cell::Number(20240701.0), ok(2024, 7, 1)),
            (text("2024-02-29"), ok(2024, 2, 29)),
            (text("2026-02-30"), Err("impossible_date")),
            (text("2025-02-29"), Err("impossible_date")),
            (text("2026-13-01"), Err("impossible_date")),
            (text("2024-07"), Err("month_only")),
            (text("七月一日"), Err("not_a_date")),
            (text("yesterday"), Err("not_a_date")),
        ];
        for (cell, expected) in cases {
            let got = date(&cell).map_err(|(code, _, _)| code);
            assert_eq!(got, expected, "{cell:?}");
        }
    }

    #[test]
    fn money_as_table() {
        let cases: Vec<(&str, Result<i64, &str>)> = vec![
            ("3000", Ok(300_000)),
            ("3000.00", Ok(300_000)),
            ("3000.01", Ok(300_001)),
            ("0", Ok(0)),
            ("-5", Err("amount_negative")),
            ("三千", Err("amount_chinese_numerals")),
            ("3000.001", Err("amount_too_many_decimals")),
            ("", Err("amount_required")),
        ];
        for (input, expected) in cases {
            let got = money(&text(input))
                .map(Fen::fen)
                .map_err(|(code, _, _)| code);
            assert_eq!(got, expected, "{input:?}");
        }
        assert_eq!(money(&Cell::Number(3000.0)).map(Fen::fen), Ok(300_000));
        assert!(money(&Cell::Number(-5.0)).is_err());
    }
}
