//! Exports and printed registers (issue 4 §4, issue 5 §5): pure functions from view models to
//! bytes.
//!
//! - [`model`]: the view models (党员名册, 党费收缴登记表, 会议记录, attendance, the annual summary,
//!   发展党员工作纪实表), built from the core types;
//! - [`pdf::Printer`]: PDF with Chinese text, typeset by typst with fonts found at run time
//!   ([`fonts`]);
//! - [`xlsx`]: spreadsheets; [`docx`]: Word documents of meeting records;
//! - [`gather`]: reads what a register needs from a repository (used by the web routes and the
//!   CLI, which decide who may export what and mask personal data first).
//!
//! typst is about half of the workspace's build, so it lives here and nowhere else.

pub mod docx;
pub mod fonts;
pub mod gather;
pub mod model;
pub mod pdf;
pub mod xlsx;

pub use fonts::LoadedFonts;
pub use pdf::Printer;

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No Chinese font: the message names the Debian packages to install, in both languages.
    #[error("{0}")]
    NoFonts(String),
    #[error("排版失败（{template}）/ typesetting failed ({template}): {detail}")]
    Typeset { template: String, detail: String },
    #[error("生成电子表格失败 / could not write the spreadsheet: {0}")]
    Spreadsheet(String),
    #[error("生成 Word 文档失败 / could not write the Word document: {0}")]
    Document(String),
}
