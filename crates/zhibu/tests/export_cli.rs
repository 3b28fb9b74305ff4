//! `zhibu export` as an operator runs it, on a small demo database (SQLite): every register in
//! every format it offers is written to a file that another implementation reads back (pdftotext
//! finds the Chinese text in the PDFs, Python's openpyxl reads the spreadsheets' cells, the DOCX is
//! a zip whose word/document.xml holds the text), each export adds one audit entry under the login
//! `cli` naming what and how, and bad arguments exit non-zero with a message naming the argument,
//! write no file and audit nothing.
//!
//! The readers are outside tools: without them the read-back is skipped loudly (the files are
//! still produced and their kind checked), unless `ZHIBU_REQUIRE_PRINT_TOOLS=1`, when a missing
//! tool, or a missing Chinese font, is a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;
use zhibu_core::RecordKind;
use zhibu_core::rules::Catalogue;
use zhibu_storage::{AuditEntry, AuditQuery, Backend, RecordQuery, RecordRow, Repository};

const TODAY: &str = "2026-11-29";

fn required() -> bool {
    std::env::var("ZHIBU_REQUIRE_PRINT_TOOLS").is_ok_and(|value| value == "1")
}

/// Whether `program args` runs; when it does not, a loud skip, or a failure when required.
fn tool(what: &str, program: &str, args: &[&str]) -> bool {
    let present = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|output| output.status.success());
    if !present {
        assert!(
            !required(),
            "{what} is missing and ZHIBU_REQUIRE_PRINT_TOOLS=1: install it (see .ci/run)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {what} is not installed — that read-back did not run"
        );
    }
    present
}

struct Tools {
    pdftotext: bool,
    openpyxl: bool,
    python: bool,
}

fn scratch() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let dir = std::env::temp_dir().join(format!("zhibu-export-cli-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn zhibu(url: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhibu"))
        .args(["--database-url", url])
        .args(args)
        .current_dir(dir)
        .env_remove("ZHIBU_DATA_KEY_FILE")
        .env("ZHIBU_LOG", "warn")
        .output()
        .expect("zhibu runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of a PDF as pdftotext reads it, whitespace removed (table cells wrap).
fn pdf_text(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        output.status.success(),
        "pdftotext failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    compact(&String::from_utf8(output.stdout).expect("UTF-8 text"))
}

/// Every sheet's name and cells as openpyxl reads them.
fn xlsx_sheets(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json,sys,openpyxl\nwb=openpyxl.load_workbook(sys.argv[1])\nprint(json.dumps([[ws.title,[list(r) for r in ws.iter_rows(values_only=True)]] for ws in wb.worksheets],ensure_ascii=False,default=str))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "openpyxl could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let sheets: Vec<(String, Vec<Vec<Value>>)> =
        serde_json::from_slice(&output.stdout).expect("json");
    sheets
}

/// The strings in a sheet's cells.
fn strings(cells: &[Vec<Value>]) -> Vec<String> {
    cells
        .iter()
        .flatten()
        .filter_map(|cell| cell.as_str().map(str::to_string))
        .collect()
}

/// The text of word/document.xml in a DOCX (a zip), tags removed, read by Python's zipfile.
fn docx_text(path: &Path) -> String {
    let output = Command::new("python3")
        .args([
            "-c",
            "import re,sys,zipfile\nprint(re.sub(r'<[^>]+>','',zipfile.ZipFile(sys.argv[1]).read('word/document.xml').decode('utf-8')))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{} is not a zip holding word/document.xml: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    compact(&String::from_utf8(output.stdout).expect("UTF-8 text"))
}

fn body(row: &RecordRow) -> Value {
    serde_json::from_str(&row.body).expect("a JSON body")
}

async fn rows(backend: &dyn Backend, kind: RecordKind) -> Vec<RecordRow> {
    backend
        .list(&RecordQuery::all(kind))
        .await
        .expect("list records")
}

/// The `cli` export entries of the audit log, newest first.
async fn exports_audited(repository: &Repository) -> Vec<AuditEntry> {
    repository
        .accounts()
        .search_audit(&AuditQuery {
            action: Some("export".into()),
            limit: 1_000,
            ..AuditQuery::default()
        })
        .await
        .expect("read the audit log")
}

/// One export that must succeed.
struct Export {
    args: Vec<String>,
    file: &'static str,
    magic: &'static [u8],
    /// target kind and id of the audit entry, and what its detail must say.
    audited: (&'static str, i64, Value),
}

#[tokio::test]
async fn every_register_exports_reads_back_and_is_audited() {
    let dir = scratch();
    let database = dir.join("zhibu.db");
    let url = format!("sqlite://{}", database.display());
    let built = zhibu(
        &url,
        &dir,
        &[
            "demo",
            "--today",
            TODAY,
            "--branches",
            "2",
            "--seed",
            "2026",
        ],
    );
    assert!(built.status.success(), "{}", text(&built));
    let tools = Tools {
        pdftotext: tool("pdftotext (Debian poppler-utils)", "pdftotext", &["-v"]),
        openpyxl: tool(
            "Python openpyxl (python3 -m pip install openpyxl)",
            "python3",
            &["-c", "import openpyxl"],
        ),
        python: tool(
            "python3 (to open the DOCX's zip)",
            "python3",
            &["-c", "import zipfile"],
        ),
    };

    // What to export, found in the database the demo wrote: the branch with the most members,
    // its names, one of its meetings and an admission record.
    let backend: Arc<dyn Backend> = Arc::new(
        zhibu_storage_sqlite::connect(&url)
            .await
            .expect("open the demo"),
    );
    let repository = Repository::new(
        backend.clone(),
        Arc::new(Catalogue::national().expect("catalogue")),
    );
    let members = rows(backend.as_ref(), RecordKind::Member).await;
    let (branch, branch_path, branch_name) = rows(backend.as_ref(), RecordKind::Org)
        .await
        .into_iter()
        .filter(|row| body(row)["level"] == "branch")
        .max_by_key(|row| {
            members
                .iter()
                .filter(|member| member.org_path == row.org_path)
                .count()
        })
        .map(|row| {
            let name = body(&row)["name"].as_str().expect("name").to_string();
            (row.id, row.org_path, name)
        })
        .expect("the demo has a branch");
    let names: Vec<String> = members
        .iter()
        .filter(|member| member.org_path == branch_path)
        .map(|member| body(member)["name"].as_str().expect("name").to_string())
        .collect();
    assert!(names.len() >= 3, "{names:?}");
    let meeting = rows(backend.as_ref(), RecordKind::Meeting)
        .await
        .into_iter()
        .find(|row| row.org_path == branch_path)
        .expect("a meeting of the branch")
        .id;
    let admission = rows(backend.as_ref(), RecordKind::AdmissionRecord)
        .await
        .first()
        .expect("the demo has an admission record")
        .id;
    let some_committee = rows(backend.as_ref(), RecordKind::Org)
        .await
        .into_iter()
        .find(|row| body(row)["level"] != "branch" && body(row)["level"] != "party_group")
        .expect("a committee")
        .id;
    assert!(exports_audited(&repository).await.is_empty());

    let branch_arg = branch.to_string();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let exports = vec![
        Export {
            args: args(&[
                "roster",
                "--branch",
                &branch_arg,
                "--date",
                TODAY,
                "-o",
                "roster.pdf",
            ]),
            file: "roster.pdf",
            magic: b"%PDF-",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "roster", "format": "pdf", "masked": true }),
            ),
        },
        Export {
            args: args(&[
                "roster",
                "--branch",
                &branch_arg,
                "--format",
                "xlsx",
                "-o",
                "roster.xlsx",
            ]),
            file: "roster.xlsx",
            magic: b"PK",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "roster", "format": "xlsx", "masked": true }),
            ),
        },
        Export {
            args: args(&[
                "roster",
                "--branch",
                &branch_arg,
                "--format",
                "xlsx",
                "--show-personal-data",
                "-o",
                "roster-whole.xlsx",
            ]),
            file: "roster-whole.xlsx",
            magic: b"PK",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "roster", "format": "xlsx", "masked": false }),
            ),
        },
        Export {
            args: args(&[
                "dues",
                "--branch",
                &branch_arg,
                "--month",
                "2026-10",
                "-o",
                "dues.pdf",
            ]),
            file: "dues.pdf",
            magic: b"%PDF-",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "dues", "format": "pdf", "month": "2026-10" }),
            ),
        },
        Export {
            args: args(&[
                "dues",
                "--branch",
                &branch_arg,
                "--month",
                "2026-10",
                "--format",
                "xlsx",
                "-o",
                "dues.xlsx",
            ]),
            file: "dues.xlsx",
            magic: b"PK",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "dues", "format": "xlsx", "month": "2026-10" }),
            ),
        },
        Export {
            args: args(&[
                "attendance",
                "--branch",
                &branch_arg,
                "--year",
                "2026",
                "-o",
                "attendance.xlsx",
            ]),
            file: "attendance.xlsx",
            magic: b"PK",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "attendance", "format": "xlsx", "year": 2026 }),
            ),
        },
        Export {
            args: args(&[
                "annual-summary",
                "--branch",
                &branch_arg,
                "--year",
                "2026",
                "-o",
                "summary.pdf",
            ]),
            file: "summary.pdf",
            magic: b"%PDF-",
            audited: (
                "org",
                branch,
                serde_json::json!({ "export": "annual_summary", "format": "pdf", "year": 2026 }),
            ),
        },
        Export {
            args: args(&["meeting", "--id", &meeting.to_string(), "-o", "meeting.pdf"]),
            file: "meeting.pdf",
            magic: b"%PDF-",
            audited: (
                "meeting",
                meeting,
                serde_json::json!({ "export": "meeting_record", "format": "pdf" }),
            ),
        },
        Export {
            args: args(&[
                "meeting",
                "--id",
                &meeting.to_string(),
                "--format",
                "docx",
                "-o",
                "meeting.docx",
            ]),
            file: "meeting.docx",
            magic: b"PK",
            audited: (
                "meeting",
                meeting,
                serde_json::json!({ "export": "meeting_record", "format": "docx" }),
            ),
        },
        Export {
            args: args(&[
                "admission",
                "--id",
                &admission.to_string(),
                "-o",
                "admission.pdf",
            ]),
            file: "admission.pdf",
            magic: b"%PDF-",
            audited: (
                "admission_record",
                admission,
                serde_json::json!({ "export": "admission_record", "format": "pdf" }),
            ),
        },
    ];
    for export in &exports {
        let before = exports_audited(&repository).await.len();
        let mut command = vec!["export"];
        command.extend(export.args.iter().map(String::as_str));
        let output = zhibu(&url, &dir, &command);
        if !output.status.success() && text(&output).contains("font") && !required() {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {} — no Chinese font: {}",
                export.file,
                text(&output)
            );
            continue;
        }
        assert!(
            output.status.success(),
            "{:?}: {}",
            export.args,
            text(&output)
        );
        let path = dir.join(export.file);
        let bytes = std::fs::read(&path).unwrap_or_else(|_| panic!("{} written", export.file));
        assert!(
            bytes.starts_with(export.magic),
            "{} is not what its name says",
            export.file
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(&format!("({} ", bytes.len())),
            "the command says how many bytes it wrote: {}",
            text(&output)
        );
        // Exactly one new audit entry, naming what was exported and how.
        let audited = exports_audited(&repository).await;
        assert_eq!(audited.len(), before + 1, "{:?}", export.args);
        let entry = &audited[0];
        let (kind, id, detail) = &export.audited;
        assert_eq!(entry.login.as_deref(), Some("cli"));
        assert_eq!(
            entry.target_kind.as_deref(),
            Some(*kind),
            "{:?}",
            export.args
        );
        assert_eq!(entry.target_id, Some(*id), "{:?}", export.args);
        let logged: Value = serde_json::from_str(&entry.detail).expect("JSON detail");
        for (key, value) in detail.as_object().expect("object") {
            assert_eq!(
                &logged[key], value,
                "{key} in {logged} for {:?}",
                export.args
            );
        }
        // Every export is found by a search of the branch's subtree, meetings and admission
        // records included.
        assert_eq!(
            entry.org_path.as_deref(),
            Some(branch_path.as_str()),
            "{:?}",
            export.args
        );
    }

    // Read back by other implementations.
    let read = |file: &str| dir.join(file);
    if tools.pdftotext {
        for (file, wanted) in [
            ("roster.pdf", vec!["党员名册", branch_name.as_str()]),
            (
                "dues.pdf",
                vec!["党费收缴登记表", branch_name.as_str(), "2026年10月"],
            ),
            ("summary.pdf", vec!["2026年度", branch_name.as_str()]),
            ("meeting.pdf", vec!["会议记录", branch_name.as_str()]),
            ("admission.pdf", vec!["发展党员工作纪实表"]),
        ] {
            if !read(file).exists() {
                continue;
            }
            let found = pdf_text(&read(file));
            for wanted in wanted {
                assert!(
                    found.contains(&compact(wanted)),
                    "{file}: {wanted} not in {found}"
                );
            }
            if file == "roster.pdf" {
                for name in &names {
                    assert!(
                        found.contains(name.as_str()),
                        "roster.pdf: {name} not in {found}"
                    );
                }
            }
        }
    }
    if tools.openpyxl {
        let roster = xlsx_sheets(&read("roster.xlsx"));
        assert_eq!(roster[0].0, "党员名册");
        let cells = strings(&roster[0].1);
        assert!(cells.contains(&branch_name), "{cells:?}");
        for name in &names {
            assert!(cells.contains(name), "roster.xlsx: {name} not in {cells:?}");
        }
        let dues = xlsx_sheets(&read("dues.xlsx"));
        assert_eq!(dues[0].0, "党费收缴登记表");
        let cells = strings(&dues[0].1);
        assert!(
            names.iter().any(|name| cells.contains(name)),
            "dues.xlsx: none of {names:?} in {cells:?}"
        );
        let attendance = xlsx_sheets(&read("attendance.xlsx"));
        assert_eq!(attendance[0].0, "出勤登记");
        let cells = strings(&attendance[0].1);
        assert!(
            names.iter().any(|name| cells.contains(name)),
            "attendance.xlsx: none of {names:?} in {cells:?}"
        );
    }
    if tools.python {
        let found = docx_text(&read("meeting.docx"));
        for wanted in ["会议记录", branch_name.as_str()] {
            assert!(
                found.contains(wanted),
                "meeting.docx: {wanted} not in {found}"
            );
        }
    }

    // Bad arguments: a non-zero exit, a message naming what is wrong, no file, nothing audited.
    let before = exports_audited(&repository).await.len();
    let bad: Vec<(Vec<String>, &str, Vec<String>)> = vec![
        (
            args(&[
                "dues",
                "--branch",
                &branch_arg,
                "--month",
                "2026-13",
                "-o",
                "bad-month.pdf",
            ]),
            "bad-month.pdf",
            // Ours: in both languages.
            vec![
                "错误 / error".into(),
                "--month 应为 YYYY-MM".into(),
                "--month must be YYYY-MM".into(),
                "2026-13".into(),
            ],
        ),
        (
            args(&["roster", "--branch", "999999", "-o", "bad-branch.pdf"]),
            "bad-branch.pdf",
            vec![
                "找不到编号为 999999 的党支部".into(),
                "no branch with id 999999".into(),
            ],
        ),
        (
            args(&[
                "roster",
                "--branch",
                &some_committee.to_string(),
                "-o",
                "bad-committee.pdf",
            ]),
            "bad-committee.pdf",
            vec![
                format!("组织 {some_committee}"),
                "不是党支部".into(),
                "is not a branch".into(),
            ],
        ),
        (
            args(&["meeting", "--id", &branch_arg, "-o", "bad-meeting.pdf"]),
            "bad-meeting.pdf",
            vec![
                format!("找不到编号为 {branch_arg} 的会议"),
                format!("no meeting with id {branch_arg}"),
            ],
        ),
        (
            args(&["admission", "--id", &branch_arg, "-o", "bad-admission.pdf"]),
            "bad-admission.pdf",
            vec![
                format!("找不到编号为 {branch_arg} 的发展党员纪实"),
                format!("no admission record with id {branch_arg}"),
            ],
        ),
        // The argument parser's own refusals name the argument.
        (
            args(&[
                "roster",
                "--branch",
                &branch_arg,
                "--format",
                "docx",
                "-o",
                "bad-format.docx",
            ]),
            "bad-format.docx",
            vec!["--format".into(), "docx".into()],
        ),
        (
            args(&["attendance", "--branch", &branch_arg]),
            "attendance-without-output",
            vec!["--output".into()],
        ),
        (
            args(&["roster", "--branch", "一", "-o", "bad-number.pdf"]),
            "bad-number.pdf",
            vec!["--branch".into(), "一".into()],
        ),
    ];
    for (arguments, file, wanted) in &bad {
        let mut command = vec!["export"];
        command.extend(arguments.iter().map(String::as_str));
        let output = zhibu(&url, &dir, &command);
        let said = text(&output);
        assert!(!output.status.success(), "{arguments:?} succeeded: {said}");
        assert_ne!(output.status.code(), Some(0));
        for wanted in wanted {
            assert!(
                said.contains(wanted.as_str()),
                "{arguments:?}: {wanted:?} not in {said}"
            );
        }
        assert!(!dir.join(file).exists(), "{arguments:?} wrote {file}");
    }
    assert_eq!(
        exports_audited(&repository).await.len(),
        before,
        "a refused export is not audited"
    );
    // A file that cannot be written: both languages, and the path.
    let output = zhibu(
        &url,
        &dir,
        &[
            "export",
            "roster",
            "--branch",
            &branch_arg,
            "-o",
            "no/such/dir/roster.pdf",
        ],
    );
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    for wanted in ["无法写入文件", "cannot write", "no/such/dir/roster.pdf"] {
        assert!(said.contains(wanted), "{wanted:?} not in {said}");
    }
    assert_eq!(
        exports_audited(&repository).await.len(),
        before,
        "an export whose file could not be written is not audited"
    );
    assert!(
        std::fs::read_dir(&dir)
            .expect("scratch dir")
            .all(|entry| !entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")),
        "no partial file is left behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
