//! Killing `zhibu import` while it writes leaves none of the batch; letting it finish leaves all
//! of it. The real binary is spawned on a large generated roster and SIGKILLed as soon as its
//! progress output shows rows being written (inside the one transaction).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::NaiveDate;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Member, Org, OrgId, OrgLevel, RecordKind, UnitKind};
use zhibu_import::generate::roster_csv;
use zhibu_storage::{Backend, ChangeMeta, RecordQuery, Repository};

const ROWS: usize = 40_000;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zhibu-import-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn open(url: &str) -> Repository {
    let backend: Arc<dyn Backend> =
        Arc::new(zhibu_storage_sqlite::connect(url).await.expect("open"));
    backend.migrate().await.expect("migrate");
    Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")))
}

async fn member_count(url: &str) -> usize {
    let repository = open(url).await;
    repository
        .backend()
        .list(&RecordQuery::all(RecordKind::Member))
        .await
        .expect("list")
        .len()
}

#[tokio::test]
async fn killing_the_import_mid_write_leaves_none_and_finishing_leaves_all() {
    let dir = temp_dir();
    let db = dir.join("zhibu.db");
    let url = format!("sqlite://{}", db.display());
    let (committee, names) = {
        let repository = open(&url).await;
        let meta = ChangeMeta::by("test");
        let org = |parent: Option<OrgId>, name: String, level| Org {
            parent_id: parent,
            name,
            level,
            unit_kind: UnitKind::Enterprise,
            established_on: NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
            dissolved_on: None,
        };
        let top = repository
            .create(
                org(None, "测试党委".into(), OrgLevel::PartyCommittee),
                &meta,
            )
            .await
            .expect("top")
            .typed_id();
        let names: Vec<String> = (0..20).map(|n| format!("第{n}党支部")).collect();
        let branches = names
            .iter()
            .map(|name| org(Some(top), name.clone(), OrgLevel::Branch))
            .collect();
        repository
            .create_many(branches, &meta)
            .await
            .expect("branches");
        (top, names)
    };
    let file = dir.join("roster.csv");
    std::fs::write(&file, roster_csv(ROWS, &names)).expect("csv");
    let import = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zhibu"));
        command
            .args(["--database-url", &url, "import", "roster"])
            .arg(&file)
            .args(["--org", &committee.0.to_string()])
            .env_remove("ZHIBU_DATA_KEY_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };

    // 1. Kill it as soon as it reports rows written, before it can commit.
    let mut child = import().spawn().expect("spawn zhibu");
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    let mut killed_at = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("line");
        seen.push(line.clone());
        if let Some(progress) = line.strip_prefix("写入 / writing: ") {
            let written: usize = progress
                .split('/')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("count");
            if written < ROWS {
                child.kill().expect("SIGKILL");
                killed_at = Some(written);
                break;
            }
        }
    }
    let status = child.wait().expect("wait");
    let written = killed_at
        .unwrap_or_else(|| panic!("the import never reported writing (exit {status}): {seen:#?}"));
    assert!(!status.success(), "killed, not finished");
    assert!(written > 0 && written < ROWS);
    // None of the batch: no member, no batch, and the chain is whole.
    assert_eq!(
        member_count(&url).await,
        0,
        "killed after {written} rows were written"
    );
    let repository = open(&url).await;
    assert!(
        repository
            .import_batches(10)
            .await
            .expect("batches")
            .is_empty()
    );
    let report = repository.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);

    // 2. Run it to the end: all of the batch.
    let output = import().output().expect("run zhibu");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{ROWS} members created")),
        "{stdout}"
    );
    assert_eq!(member_count(&url).await, ROWS);
    let repository = open(&url).await;
    let batches = repository.import_batches(10).await.expect("batches");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].record_count, ROWS as i64);
    let report = repository.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    // The data key was created beside the database, owner-only.
    let key = dir.join("zhibu.db.key");
    assert!(key.exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Without the key the members cannot be read, and the error says why.
    let first = repository
        .backend()
        .list(&RecordQuery::all(RecordKind::Member))
        .await
        .expect("list")[0]
        .id;
    let error = repository
        .get::<Member>(zhibu_core::MemberId(first))
        .await
        .expect_err("no key");
    assert!(error.to_string().contains("ZHIBU_DATA_KEY_FILE"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
