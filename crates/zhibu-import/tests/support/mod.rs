//! Shared set-up for the import tests: a database (SQLite file or a fresh PostgreSQL schema), an
//! org tree, valid fictitious ID numbers, and csv text.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use zhibu_core::identity::id_check_character;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Org, OrgId, OrgLevel, Sex, UnitKind};
use zhibu_storage::sealing::DataKey;
use zhibu_storage::{Backend, ChangeMeta, Repository};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The "today" of every import in the tests.
pub fn today() -> NaiveDate {
    date(2026, 6, 1)
}

/// A valid 18-digit ID number (region 110105, 朝阳区) with the right check character.
pub fn id_number(birth: NaiveDate, sequence: u32, sex: Sex) -> String {
    let digits = sequence * 2 + u32::from(sex == Sex::Male);
    let first = format!("110105{}{:03}", birth.format("%Y%m%d"), digits % 1000);
    let check = id_check_character(&first).expect("17 digits");
    format!("{first}{check}")
}

/// The same number with a wrong check character.
pub fn with_wrong_check(id: &str) -> String {
    let (first, last) = id.split_at(17);
    let wrong = if last == "0" { '1' } else { '0' };
    format!("{first}{wrong}")
}

pub fn csv(rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| {
                if cell.contains([',', '"', '\n']) {
                    format!("\"{}\"", cell.replace('"', "\"\""))
                } else {
                    cell.clone()
                }
            })
            .collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    text
}

pub fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| cell.to_string()).collect()
}

/// The registry's headings, in its order.
pub fn headings() -> Vec<String> {
    strings(&[
        "姓名",
        "性别",
        "民族",
        "出生日期",
        "公民身份号码",
        "学历",
        "入党时间",
        "转正时间",
        "所在党支部",
        "人员类别",
        "联系电话",
    ])
}

/// One valid row for member number `n` of branch `branch`.
pub fn row(n: u32, branch: &str) -> Vec<String> {
    let sex = if n.is_multiple_of(2) {
        Sex::Female
    } else {
        Sex::Male
    };
    let birth = date(1970 + (n % 30) as i32, 1 + n % 12, 1 + n % 28);
    vec![
        format!("测试党员{n}"),
        if sex == Sex::Male { "男" } else { "女" }.to_string(),
        "汉族".to_string(),
        birth.format("%Y-%m-%d").to_string(),
        id_number(birth, n, sex),
        "大学本科".to_string(),
        "2015-07-01".to_string(),
        "2016-07-01".to_string(),
        branch.to_string(),
        "在岗职工".to_string(),
        format!("139{:08}", 10_000_000 + n),
    ]
}

pub struct World {
    pub repository: Repository,
    pub committee: OrgId,
    pub branch: OrgId,
    pub other_branch: OrgId,
    /// The SQLite file, whose bytes the tests search for clear personal data.
    pub sqlite_file: Option<PathBuf>,
}

pub const BRANCH: &str = "办公室党支部";
pub const OTHER_BRANCH: &str = "财务科党支部";

pub fn data_key() -> Arc<DataKey> {
    Arc::new(DataKey::from_bytes(&[7; 32]))
}

pub async fn world(backend: Arc<dyn Backend>, sqlite_file: Option<PathBuf>) -> World {
    backend.migrate().await.expect("migrate");
    let catalogue = Arc::new(Catalogue::national().expect("catalogue"));
    let repository = Repository::new(backend, catalogue).with_data_key(data_key());
    let meta = ChangeMeta::by("test");
    let org = |parent: Option<OrgId>, name: &str, level| Org {
        parent_id: parent,
        name: name.to_string(),
        level,
        unit_kind: UnitKind::GovernmentOrgan,
        established_on: date(2010, 1, 1),
        dissolved_on: None,
    };
    let committee = repository
        .create(
            org(None, "示例市直机关工委", OrgLevel::WorkingCommittee),
            &meta,
        )
        .await
        .expect("committee")
        .typed_id();
    let party = repository
        .create(
            org(
                Some(committee),
                "示例市财政局机关党委",
                OrgLevel::PartyCommittee,
            ),
            &meta,
        )
        .await
        .expect("party committee")
        .typed_id();
    let branch = repository
        .create(org(Some(party), BRANCH, OrgLevel::Branch), &meta)
        .await
        .expect("branch")
        .typed_id();
    let other_branch = repository
        .create(org(Some(party), OTHER_BRANCH, OrgLevel::Branch), &meta)
        .await
        .expect("other branch")
        .typed_id();
    World {
        repository,
        committee,
        branch,
        other_branch,
        sqlite_file,
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite file database.
pub async fn sqlite_world() -> World {
    let dir = std::env::temp_dir().join(format!(
        "zhibu-import-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("zhibu.db");
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("sqlite");
    world(Arc::new(backend), Some(file)).await
}

/// The test PostgreSQL URL, or `None` after saying loudly that the PostgreSQL part is skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the PostgreSQL import test did not run"
            );
            None
        }
    }
}

pub fn schema_name() -> String {
    format!(
        "zhibu_import_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
