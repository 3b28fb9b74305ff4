//! An .xlsx written by a different implementation (Python's openpyxl) imports: a title row above
//! the headings, real date cells, numbers typed as numbers, a second sheet. The wrong sheet and a
//! password-protected copy (encrypted by msoffcrypto-tool) are refused with clear errors.
//!
//! Needs python3 with openpyxl and msoffcrypto-tool: skipped loudly when they are missing, unless
//! ZHIBU_REQUIRE_PYTHON_OPENPYXL=1 (set by .ci/run), which makes their absence a failure.

mod support;

use std::io::Write;
use std::process::Command;

use chrono::{TimeZone, Utc};
use support::*;
use zhibu_core::{Education, EmploymentCategory, Member, MemberStatus, Sex};
use zhibu_import::roster::{self, Options, Target};
use zhibu_storage::ListRequest;

const SCRIPT: &str = r#"
import sys, datetime, openpyxl
out, protected = sys.argv[1], sys.argv[2]
rows = [line.split('\t') for line in sys.stdin.read().splitlines()]
book = openpyxl.Workbook()
sheet = book.active
sheet.title = "党员名册"
sheet.append(["示例市财政局机关党委党员名册（导出）"])
sheet.merge_cells("A1:K1")
sheet.append(["姓名", "性别", "民族", "出生日期", "身份证号码", "学历", "入党日期", "转正日期", "所在党支部", "人员类别", "手机号码"])
for cells in rows:
    out_row = []
    for index, cell in enumerate(cells):
        if index in (3, 6, 7) and cell:
            out_row.append(datetime.datetime.strptime(cell, "%Y-%m-%d"))
        elif index == 10 and cell:
            out_row.append(int(cell))
        else:
            out_row.append(cell or None)
    sheet.append(out_row)
for row in sheet.iter_rows(min_row=3):
    for index in (3, 6, 7):
        row[index].number_format = "yyyy-mm-dd"
notes = book.create_sheet("说明")
notes.append(["本表由党员管理信息系统导出"])
book.save(out)
import msoffcrypto
from msoffcrypto.format.ooxml import OOXMLFile
with open(out, "rb") as plain, open(protected, "wb") as sealed:
    OOXMLFile(plain).encrypt("zhibu", sealed)
"#;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl, msoffcrypto"])
        .status()
        .is_ok_and(|status| status.success());
    if !ok {
        let required =
            std::env::var("ZHIBU_REQUIRE_PYTHON_OPENPYXL").is_ok_and(|value| value == "1");
        assert!(
            !required,
            "ZHIBU_REQUIRE_PYTHON_OPENPYXL=1 but python3 with openpyxl and msoffcrypto-tool is not available"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: python3 with openpyxl and msoffcrypto-tool not available — the openpyxl import test did not run"
        );
    }
    ok
}

#[tokio::test]
async fn an_xlsx_written_by_openpyxl_imports_and_the_wrong_sheet_and_a_password_are_refused() {
    if !python_ready() {
        return;
    }
    let world = sqlite_world().await;
    let dir = world
        .sqlite_file
        .as_ref()
        .expect("file")
        .parent()
        .expect("dir")
        .to_path_buf();
    let plain = dir.join("名册.xlsx");
    let protected = dir.join("加密名册.xlsx");
    let members: Vec<Vec<String>> = (1..=4)
        .map(|n| row(n, if n <= 2 { BRANCH } else { OTHER_BRANCH }))
        .collect();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&plain)
        .arg(&protected)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        let stdin = child.stdin.as_mut().expect("stdin");
        for cells in &members {
            writeln!(stdin, "{}", cells.join("\t")).expect("write");
        }
    }
    assert!(child.wait().expect("python").success(), "openpyxl failed");
    let bytes = std::fs::read(&plain).expect("xlsx");
    let options = |sheet: Option<&str>| Options {
        target: Target::Org(world.committee),
        sheet: sheet.map(str::to_string),
        file_name: "名册.xlsx".into(),
        today: today(),
    };
    let preview = roster::preview(&world.repository, &bytes, &options(None))
        .await
        .expect("reads");
    assert!(preview.errors.is_empty(), "{:#?}", preview.errors);
    assert_eq!(preview.sheet.as_deref(), Some("党员名册"));
    assert_eq!(preview.planned.len(), 4);
    // The title row is row 1, the headings row 2: data starts at row 3.
    let rows: Vec<usize> = preview.planned.iter().map(|p| p.row).collect();
    assert_eq!(rows, vec![3, 4, 5, 6]);
    let entered = Utc
        .with_ymd_and_hms(2026, 6, 1, 2, 0, 0)
        .single()
        .expect("instant");
    let batch = roster::commit(&world.repository, &preview, "secretary", entered, &())
        .await
        .expect("commit");
    assert_eq!(batch.sheet.as_deref(), Some("党员名册"));
    let stored = world
        .repository
        .list::<Member>(&ListRequest {
            subtree: Some(world.committee),
            ..ListRequest::default()
        })
        .await
        .expect("list")
        .items;
    assert_eq!(stored.len(), 4);
    for member in &stored {
        let n: u32 = member
            .body
            .name
            .trim_start_matches("测试党员")
            .parse()
            .expect("n");
        let expected = row(n, "");
        let sex = if n.is_multiple_of(2) {
            Sex::Female
        } else {
            Sex::Male
        };
        assert_eq!(member.body.sex, sex);
        assert_eq!(
            member
                .body
                .birth_date
                .map(|d| d.format("%Y-%m-%d").to_string()),
            Some(expected[3].clone())
        );
        assert_eq!(member.body.joined_on, date(2015, 7, 1));
        assert_eq!(member.body.status_on(today()), Some(MemberStatus::Full));
        assert_eq!(member.body.employment, EmploymentCategory::Salaried);
        assert_eq!(member.body.registry.education, Some(Education::Bachelor));
        assert_eq!(
            member
                .body
                .registry
                .id_number
                .as_ref()
                .map(|id| id.as_full_str().to_string()),
            Some(expected[4].clone())
        );
        assert_eq!(
            member.body.registry.phone.as_ref().map(|p| p.as_full_str()),
            Some(expected[10].clone())
        );
        let provenance = world
            .repository
            .provenance(member.id)
            .await
            .expect("provenance")
            .expect("imported");
        assert_eq!(provenance.row_number, i64::from(n) + 2);
    }
    // The wrong sheet: one that does not exist, and one without the headings.
    let missing = roster::preview(&world.repository, &bytes, &options(Some("花名册")))
        .await
        .expect_err("no such sheet");
    assert_eq!(missing.code, "no_such_sheet");
    assert!(missing.message_zh.contains("党员名册"), "{missing}");
    let notes = roster::preview(&world.repository, &bytes, &options(Some("说明")))
        .await
        .expect_err("no headings");
    assert_eq!(notes.code, "no_heading_row");
    // The same workbook behind a password.
    let sealed = std::fs::read(&protected).expect("protected");
    let refused = roster::preview(&world.repository, &sealed, &options(None))
        .await
        .expect_err("password");
    assert_eq!(refused.code, "password_protected", "{refused}");
    assert!(refused.message_zh.contains("密码"), "{refused}");
}
