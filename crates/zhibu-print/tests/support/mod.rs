//! What the export tests share: finding the outside tools that read the exports back (pdftotext,
//! Python's openpyxl, LibreOffice) and skipping loudly without them, unless
//! `ZHIBU_REQUIRE_PRINT_TOOLS=1` demands them (CI sets it); and the fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use zhibu_print::Printer;

pub const REQUIRE: &str = "ZHIBU_REQUIRE_PRINT_TOOLS";

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|value| value == "1")
}

/// `None` (after saying so) when `what` is missing and not required; a failure when required.
pub fn tool_or_skip(what: &str, present: bool) -> Option<()> {
    if present {
        return Some(());
    }
    assert!(
        !required(),
        "{what} is missing and {REQUIRE}=1: install it (see .ci/run)"
    );
    eprintln!("SKIPPED: {what} is not installed; set {REQUIRE}=1 to make this a failure");
    None
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|output| output.status.success())
}

pub fn pdftotext_present() -> Option<()> {
    tool_or_skip(
        "pdftotext (Debian poppler-utils)",
        runs("pdftotext", &["-v"]),
    )
}

pub fn openpyxl_present() -> Option<()> {
    tool_or_skip(
        "Python openpyxl (python3 -m pip install openpyxl)",
        runs("python3", &["-c", "import openpyxl"]),
    )
}

pub fn libreoffice() -> Option<&'static str> {
    for program in ["libreoffice", "soffice"] {
        if runs(program, &["--version"]) {
            return Some(program);
        }
    }
    tool_or_skip("LibreOffice (Debian libreoffice-writer)", false)?;
    None
}

/// The shared printer; without a Chinese font, a skip or (when required) a failure.
pub fn printer() -> Option<Arc<Printer>> {
    match Printer::shared() {
        Ok(printer) => Some(printer),
        Err(error) => {
            tool_or_skip(&format!("a Chinese font ({error})"), false)?;
            None
        }
    }
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir =
        std::env::temp_dir().join(format!("zhibu-print-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Keeps a copy of an export in `artifacts/exports/` (ignored by git) for people to look at, as the
/// browser tests keep their screenshots.
pub fn keep(name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/exports");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _best_effort = std::fs::write(dir.join(name), bytes);
    }
}

/// The text pdftotext reads from `pdf`, and the same with all whitespace removed (a table cell may
/// wrap a long value over two lines).
pub fn pdf_text(pdf: &[u8], dir: &Path, name: &str) -> (String, String) {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    keep(&format!("{name}.pdf"), pdf);
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        output.status.success(),
        "pdftotext failed on {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8 text");
    let compact = text.chars().filter(|c| !c.is_whitespace()).collect();
    (text, compact)
}

/// Asserts that `compact` (whitespace removed) holds each of `expected` (whitespace removed).
pub fn assert_holds(compact: &str, text: &str, expected: &[&str], what: &str) {
    for wanted in expected {
        let wanted: String = wanted.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            compact.contains(&wanted),
            "{what}: pdftotext does not find {wanted:?} in:\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures, written as the JSON the API takes so that they follow the records' current shape.
// ---------------------------------------------------------------------------------------------

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use zhibu_core::{Meeting, Member, Stored};

pub fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

pub fn stored<T>(id: i64, body: T, event_date: NaiveDate) -> Stored<T> {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 31, 8, 0, 0)
        .single()
        .expect("instant");
    Stored {
        id,
        version: 1,
        event_date,
        first_entered_at: at,
        last_changed_at: at,
        body,
    }
}

/// A member of `branch`, full since `full_on` (probationary from `joined`), or still
/// probationary when `full_on` is `None`.
pub fn member(name: &str, sex: &str, branch: i64, joined: &str, full_on: Option<&str>) -> Member {
    let mut history = vec![json!({ "effective_on": joined, "status": "probationary" })];
    if let Some(full_on) = full_on {
        history.push(json!({ "effective_on": full_on, "status": "full" }));
    }
    serde_json::from_value(json!({
        "name": name,
        "sex": sex,
        "birth_date": "1985-06-01",
        "joined_on": joined,
        "status_history": history,
        "postings": [{ "branch_id": branch, "from": joined }],
        "employment": "salaried",
    }))
    .expect("member")
}

/// The topic that must print literally: typst markup, math and escapes.
pub const HOSTILE_TOPIC: &str = r"#set page(width: 1cm) *粗* _斜_ [括号] \n $x^2$ // 注";

pub fn meeting(branch: i64, members: &[i64]) -> Meeting {
    serde_json::from_value(json!({
        "org_id": branch,
        "kinds": ["general_meeting", "themed_party_day"],
        "held_on": "2026-03-10",
        "place": "第一会议室",
        "chair_id": members[0],
        "recorder_id": members[1],
        "topics": ["学习《中国共产党章程》第二章", HOSTILE_TOPIC],
        "minutes": "书记传达上级会议精神。\n大家逐一发言，结合岗位谈体会。",
        "resolutions": [
            { "subject": "同意接收李四为预备党员", "yes": 2, "no": 0, "abstain": 0, "recorded_outcome": "passed" }
        ],
        "attendance": [
            { "member_id": members[0], "state": "present" },
            { "member_id": members[1], "state": "present" },
            { "member_id": members[2], "state": "excused", "reason": "出差在外" }
        ],
    }))
    .expect("meeting")
}
