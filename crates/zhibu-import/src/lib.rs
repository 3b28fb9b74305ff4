//! Spreadsheet import for Zhibu: member rosters as the national member registry exports them
//! (.xlsx or .csv, Chinese column headings and their common variants).
//!
//! 1. [`roster::preview`] reads the file, maps its columns, checks every cell and every row —
//!    everything the repository's own and context checks would, plus ID check digits, phones,
//!    duplicate ID numbers within the file and against the members already stored — and returns
//!    what would be created and every error, each with its row, column (letter and heading) and
//!    reason in Chinese and English. Nothing is written.
//! 2. [`roster::commit`] writes a preview without errors in ONE transaction through the trusted
//!    bulk path, with the batch and each record's spreadsheet row (`zhibu_storage::imports`).
//! 3. `Repository::rollback_latest_import` undoes the latest batch, visibly, in the chain.
//!
//! Dues history ([`dues`]: payments and income declarations) and past meetings ([`meetings`])
//! import the same way: `preview` → a `Preview` with planned records and errors, then `commit`.

// An import error carries its place and both languages' messages; it is returned once per file
// (a file-level refusal), so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod cells;
pub mod dues;
pub mod generate;
pub mod meetings;
pub mod roster;
pub mod table;

use std::fmt;

use serde::Serialize;

/// One problem with the file or one of its cells, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    /// The spreadsheet row (1-based), `None` for a problem with the whole file.
    pub row: Option<usize>,
    /// The column's letter (`D`), when the problem is in one cell or one column.
    pub column: Option<String>,
    /// The column's heading as the file has it (`公民身份号码`).
    pub heading: Option<String>,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl ImportError {
    /// A problem with the whole file (malformed, password-protected, wrong sheet…).
    pub fn file(code: &str, message_zh: String, message_en: String) -> ImportError {
        ImportError {
            row: None,
            column: None,
            heading: None,
            code: code.to_string(),
            message_zh,
            message_en,
        }
    }

    /// Where, in Chinese: `第5行 D列（公民身份号码）`.
    pub fn place_zh(&self) -> String {
        let mut place = String::new();
        if let Some(row) = self.row {
            place.push_str(&format!("第{row}行"));
        }
        if let Some(column) = &self.column {
            if !place.is_empty() {
                place.push(' ');
            }
            place.push_str(&format!("{column}列"));
            if let Some(heading) = &self.heading {
                place.push_str(&format!("（{heading}）"));
            }
        }
        place
    }

    /// Where, in English: `row 5, column D (公民身份号码)`.
    pub fn place_en(&self) -> String {
        let mut parts = Vec::new();
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            match &self.heading {
                Some(heading) => parts.push(format!("column {column} ({heading})")),
                None => parts.push(format!("column {column}")),
            }
        }
        parts.join(", ")
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = self.place_zh();
        let en = self.place_en();
        if zh.is_empty() {
            write!(f, "{} / {}", self.message_zh, self.message_en)
        } else {
            write!(f, "{zh}：{} / {en}: {}", self.message_zh, self.message_en)
        }
    }
}

/// SHA-256 of a file's bytes, hex: kept with the batch.
pub fn file_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
