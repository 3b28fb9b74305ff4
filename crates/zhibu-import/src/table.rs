//! Reading a spreadsheet into a table of cells: .xlsx through calamine, .csv (UTF-8 with or
//! without BOM, or GBK as Chinese spreadsheet programs save it) through the csv crate. Rows keep
//! their spreadsheet numbers (1-based, as the program shows them) so that every error can name
//! its row and column.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, XlsxError};

use crate::ImportError;

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date cell, as its serial day number (days since 1899-12-30).
    Date(f64),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, as a person reads it (numbers without a trailing `.0`).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_string(),
            Cell::Number(number) | Cell::Date(number) => {
                if number.fract() == 0.0 && number.abs() < 1e15 {
                    format!("{}", *number as i64)
                } else {
                    format!("{number}")
                }
            }
        }
    }
}

/// A sheet: the heading row and the data rows after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet read (xlsx), `None` for csv.
    pub sheet: Option<String>,
    /// The spreadsheet row number of the heading row.
    pub heading_row: usize,
    pub headings: Vec<String>,
    /// Data rows: their spreadsheet row number and cells (as many as headings, padded).
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// The spreadsheet letter of a 0-based column: A, B, … Z, AA, AB…
pub fn column_letter(index: usize) -> String {
    let mut index = index + 1;
    let mut letters = Vec::new();
    while index > 0 {
        let remainder = (index - 1) % 26;
        letters.push((b'A' + remainder as u8) as char);
        index = (index - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Which spreadsheet format a file is, from its first bytes and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Tells the format from the bytes (a zip is an xlsx; an OLE container is a password-protected
/// xlsx or an old .xls), falling back on the file name for text.
pub fn detect(bytes: &[u8], file_name: &str) -> Result<Format, ImportError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(OLE_MAGIC) {
        // calamine tells the two apart; an .xls is refused there too.
        return Ok(Format::Xlsx);
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
        return Err(ImportError::file(
            "malformed_xlsx",
            "文件扩展名为 .xlsx，但内容不是 xlsx 工作簿（文件已损坏或并非 Excel 文件）".into(),
            "the file is named .xlsx but is not an xlsx workbook (damaged, or not an Excel file)"
                .into(),
        ));
    }
    if lower.ends_with(".xls") {
        return Err(ImportError::file(
            "old_xls",
            "不支持旧版 .xls 文件，请在 Excel 或 WPS 中另存为 .xlsx".into(),
            "old .xls files are not supported: save the file as .xlsx in Excel or WPS".into(),
        ));
    }
    Ok(Format::Csv)
}

/// How many rows from the top to look for the heading row (exports often start with a title).
const HEADING_SEARCH_ROWS: usize = 10;

fn find_heading(rows: &[(usize, Vec<Cell>)], marker: &str) -> Option<usize> {
    rows.iter()
        .take(HEADING_SEARCH_ROWS)
        .position(|(_, cells)| {
            cells
                .iter()
                .any(|cell| crate::roster::normalise_heading(&cell.text()) == marker)
        })
}

fn into_table(
    sheet: Option<String>,
    raw: Vec<(usize, Vec<Cell>)>,
    marker: &str,
) -> Result<Table, ImportError> {
    let Some(heading_index) = find_heading(&raw, marker) else {
        let sheet_zh = sheet
            .as_deref()
            .map(|s| format!("工作表“{s}”"))
            .unwrap_or_else(|| "文件".into());
        let sheet_en = sheet
            .as_deref()
            .map(|s| format!("sheet {s:?}"))
            .unwrap_or_else(|| "the file".into());
        return Err(ImportError::file(
            "no_heading_row",
            format!(
                "{sheet_zh}前{HEADING_SEARCH_ROWS}行中没有含“{marker}”的标题行：是否选错了工作表？"
            ),
            format!(
                "{sheet_en} has no heading row with “{marker}” in its first {HEADING_SEARCH_ROWS} rows: is it the wrong sheet?"
            ),
        ));
    };
    let mut rows = raw;
    let data = rows.split_off(heading_index + 1);
    let (heading_row, heading_cells) = rows.pop().expect("the heading row exists");
    let mut headings: Vec<String> = heading_cells.iter().map(Cell::text).collect();
    while headings.last().is_some_and(|h| h.is_empty()) {
        headings.pop();
    }
    let width = headings.len();
    let rows = data
        .into_iter()
        .filter(|(_, cells)| !cells.iter().all(Cell::is_empty))
        .map(|(number, mut cells)| {
            cells.resize(width.max(cells.len()), Cell::Empty);
            (number, cells)
        })
        .collect();
    Ok(Table {
        sheet,
        heading_row,
        headings,
        rows,
    })
}

/// Reads an xlsx workbook's sheet (`sheet`, or the first one).
pub fn read_xlsx(bytes: &[u8], sheet: Option<&str>, marker: &str) -> Result<Table, ImportError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
        XlsxError::Password => ImportError::file(
            "password_protected",
            "工作簿受密码保护，无法读取：请在 Excel 或 WPS 中取消密码后另存再导入".into(),
            "the workbook is password protected and cannot be read: remove the password in Excel or WPS, save, and import again".into(),
        ),
        other => ImportError::file(
            "malformed_xlsx",
            format!("无法读取 xlsx 工作簿（文件已损坏或格式不对）：{other}"),
            format!("the xlsx workbook cannot be read (damaged or not a workbook): {other}"),
        ),
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => {
            if !names.iter().any(|n| n == wanted) {
                return Err(ImportError::file(
                    "no_such_sheet",
                    format!(
                        "工作簿中没有名为“{wanted}”的工作表；现有：{}",
                        names.join("、")
                    ),
                    format!(
                        "the workbook has no sheet named {wanted:?}; it has: {}",
                        names.join(", ")
                    ),
                ));
            }
            wanted.to_string()
        }
        None => names.first().cloned().ok_or_else(|| {
            ImportError::file(
                "no_sheets",
                "工作簿中没有工作表".into(),
                "the workbook has no sheets".into(),
            )
        })?,
    };
    let range = workbook.worksheet_range(&name).map_err(|error| {
        ImportError::file(
            "malformed_sheet",
            format!("无法读取工作表“{name}”：{error}"),
            format!("sheet {name:?} cannot be read: {error}"),
        )
    })?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut raw = Vec::new();
    for (index, cells) in range.rows().enumerate() {
        let mut row: Vec<Cell> = vec![Cell::Empty; first_column as usize];
        row.extend(cells.iter().map(|cell| match cell {
            Data::Empty | Data::Error(_) => Cell::Empty,
            Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
                Cell::Text(text.clone())
            }
            Data::Int(number) => Cell::Number(*number as f64),
            Data::Float(number) => Cell::Number(*number),
            Data::Bool(flag) => Cell::Text(if *flag { "是" } else { "否" }.into()),
            Data::DateTime(date) => Cell::Date(date.as_f64()),
        }));
        raw.push((first_row as usize + index + 1, row));
    }
    into_table(Some(name), raw, marker)
}

/// Reads a csv file: UTF-8 (a BOM is dropped) or, if it is not UTF-8, GBK.
pub fn read_csv(bytes: &[u8], marker: &str) -> Result<Table, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::GBK.decode(bytes);
            if had_errors {
                return Err(ImportError::file(
                    "unknown_encoding",
                    "无法识别 csv 文件的编码：请保存为 UTF-8 或 GBK 编码".into(),
                    "the csv file's encoding is not recognised: save it as UTF-8 or GBK".into(),
                ));
            }
            decoded.into_owned()
        }
    };
    if text.contains('\0') {
        return Err(ImportError::file(
            "not_text",
            "文件不是文本格式的 csv（含二进制内容）".into(),
            "the file is not a text csv (it holds binary content)".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut raw = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| {
            ImportError::file(
                "malformed_csv",
                format!("csv 文件第{}行格式有误：{error}", index + 1),
                format!("row {} of the csv file is malformed: {error}", index + 1),
            )
        })?;
        // A spreadsheet program shows each csv record as one row, even one with a line break
        // inside a quoted cell: the row number is the record's position.
        let row_number = index + 1;
        raw.push((
            row_number,
            record
                .iter()
                .map(|field| {
                    if field.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(field.to_string())
                    }
                })
                .collect(),
        ));
    }
    into_table(None, raw, marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        for (index, letters) in [
            (0, "A"),
            (3, "D"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_letter(index), letters);
        }
    }
}
