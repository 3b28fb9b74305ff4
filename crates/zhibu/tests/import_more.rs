//! `zhibu import dues` and `zhibu import meetings` as a user runs them, on SQLite and (when
//! configured) PostgreSQL: a file with errors is reported by row and column with exit status 1 and
//! nothing written, `--preview` writes nothing, the import writes one batch with a progress line,
//! and `--rollback-latest` undoes it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::NaiveDate;
use zhibu_core::rules::Catalogue;
use zhibu_core::{Org, OrgId, OrgLevel, RecordKind, UnitKind};
use zhibu_storage::{Backend, ChangeMeta, RecordQuery, Repository};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zhibu-import-more-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn open(url: &str) -> Repository {
    let backend: Arc<dyn Backend> = if url.starts_with("sqlite:") {
        Arc::new(zhibu_storage_sqlite::connect(url).await.expect("open"))
    } else {
        Arc::new(zhibu_storage_postgres::connect(url).await.expect("open"))
    };
    backend.migrate().await.expect("migrate");
    Repository::new(backend, Arc::new(Catalogue::national().expect("catalogue")))
}

async fn count(url: &str, kind: RecordKind) -> usize {
    open(url)
        .await
        .backend()
        .list(&RecordQuery::all(kind))
        .await
        .expect("list")
        .len()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("file");
    for line in lines {
        writeln!(file, "{line}").expect("write");
    }
    path
}

/// The whole story against one database: `key` is the data key file for PostgreSQL (SQLite keeps
/// its key beside the file).
async fn story(dir: &Path, url: &str, key: Option<&Path>) {
    let top = {
        let repository = open(url).await;
        let meta = ChangeMeta::by("test");
        let org = |parent: Option<OrgId>, name: &str, level| Org {
            parent_id: parent,
            name: name.to_string(),
            level,
            unit_kind: UnitKind::Enterprise,
            established_on: NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
            dissolved_on: None,
        };
        let top = repository
            .create(org(None, "测试党委", OrgLevel::PartyCommittee), &meta)
            .await
            .expect("top")
            .typed_id();
        for name in ["第一党支部", "第二党支部"] {
            repository
                .create(org(Some(top), name, OrgLevel::Branch), &meta)
                .await
                .expect("branch");
        }
        top
    };
    let zhibu = |args: &[&str], file: Option<&Path>| -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zhibu"));
        command
            .args(["--database-url", url, "import"])
            .args(args)
            .env_remove("ZHIBU_DATABASE_URL")
            .env("ZHIBU_LOG", "warn")
            .env("ZHIBU_ACTOR", "支部书记");
        if let Some(file) = file {
            command.arg(file).args(["--org", &top.0.to_string()]);
        }
        match key {
            Some(path) => command.env("ZHIBU_DATA_KEY_FILE", path),
            None => command.env_remove("ZHIBU_DATA_KEY_FILE"),
        };
        command.output().expect("zhibu runs")
    };

    let roster = write(
        dir,
        "名册.csv",
        &[
            "姓名,性别,入党时间,转正时间,所在党支部,人员类别",
            "张三,男,2015-07-01,2016-07-01,第一党支部,在岗职工",
            "李四,女,2016-07-01,2017-07-01,第一党支部,离退休",
            "王五,男,2017-07-01,2018-07-01,第二党支部,在岗职工",
        ],
    );
    let output = zhibu(&["roster"], Some(&roster));
    assert!(output.status.success(), "{}", text(&output));

    // Dues: a bad file first — reported by row and column, exit 1, nothing written.
    let bad = write(
        dir,
        "党费有误.csv",
        &[
            "姓名,所在党支部,交纳月份,交纳金额,交纳日期,交纳方式",
            "张三,第一党支部,2026-01,30.00,2026-01-15,现金",
            "李四,第一党支部,2026-01,三千,2026-01-15,现金",
            "王五,第二党支部,2026-02,10,2026-02-30,转账",
            "赵六,第二党支部,2026-02,10,2026-02-10,转账",
        ],
    );
    let output = zhibu(&["dues"], Some(&bad));
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("第3行 D列（交纳金额）"), "{shown}");
    assert!(shown.contains("row 3, column D (交纳金额)"), "{shown}");
    assert!(shown.contains("第4行 E列（交纳日期）"), "{shown}");
    assert!(shown.contains("2026-02-30"), "{shown}");
    assert!(shown.contains("第5行 A列（姓名）"), "{shown}");
    assert!(
        shown.contains("3 errors found; nothing was imported"),
        "{shown}"
    );
    assert_eq!(count(url, RecordKind::DuesPayment).await, 0);

    let good = write(
        dir,
        "党费.csv",
        &[
            "姓名,所在党支部,交纳月份,交纳金额（元）,交纳日期,交纳方式,代交人",
            "张三,第一党支部,2026-01,30.00,2026-01-15,现金,",
            "李四,第一党支部,2026-01至2026-03,45,2026-02-01,微信,张三",
            "王五,第二党支部,2026年2月,10.50,2026/2/10,银行转账,",
        ],
    );
    let output = zhibu(&["dues", "--preview"], Some(&good));
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains("3 payments and 0 income declarations would be created"),
        "{shown}"
    );
    assert_eq!(
        count(url, RecordKind::DuesPayment).await,
        0,
        "a preview writes nothing"
    );
    let output = zhibu(&["dues"], Some(&good));
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("写入 / writing: 3/3"), "{shown}");
    assert!(
        shown.contains("3 payments, 0 income declarations"),
        "{shown}"
    );
    assert_eq!(count(url, RecordKind::DuesPayment).await, 3);
    let output = zhibu(
        &["dues", "--rollback-latest", "--reason", "导错了文件"],
        None,
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("dues"), "{}", text(&output));
    assert_eq!(count(url, RecordKind::DuesPayment).await, 0);

    // Meetings.
    let bad = write(
        dir,
        "会议有误.csv",
        &[
            "党支部,会议类型,会议日期,出席人员,请假人员",
            "第一党支部,支部党员大会,2026-03-10,张三、王五,",
            "第一党支部,座谈会,2026-03-11,张三,",
        ],
    );
    let output = zhibu(&["meetings"], Some(&bad));
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("第2行 D列（出席人员）"), "{shown}");
    assert!(shown.contains("第3行 B列（会议类型）"), "{shown}");
    assert_eq!(count(url, RecordKind::Meeting).await, 0);
    let good = write(
        dir,
        "会议.csv",
        &[
            "党支部,会议类型,会议日期,会议主题,出席人员,请假人员",
            "第一党支部,支部党员大会、主题党日,2026-03-10,学习党章,张三,李四（出差）",
            "第二党支部,党课,2026-03-12,党史学习,王五,",
        ],
    );
    let output = zhibu(&["meetings"], Some(&good));
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("2 meetings with attendance"), "{shown}");
    assert_eq!(count(url, RecordKind::Meeting).await, 2);
    let batches = open(url).await.import_batches(10).await.expect("batches");
    assert_eq!(batches[0].kind, "meetings");
    assert_eq!(batches[0].actor, "支部书记");
    assert_eq!(batches[0].file_name, "会议.csv");
    let output = zhibu(&["meetings", "--rollback-latest", "--reason", "测试"], None);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(count(url, RecordKind::Meeting).await, 0);
    let report = open(url).await.verify().await.expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
}

// Multi-threaded: the story waits for the binary synchronously, and the database pools' own
// tasks (a read transaction's rollback when it is dropped) must run meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dues_and_meetings_import_from_the_command_line_on_sqlite() {
    let dir = temp_dir("sqlite");
    let url = format!("sqlite://{}", dir.join("zhibu.db").display());
    story(&dir, &url, None).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dues_and_meetings_import_from_the_command_line_on_postgres() {
    let base = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            assert!(
                !std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1"),
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the dues and meetings CLI test did not run on PostgreSQL"
            );
            return;
        }
    };
    let dir = temp_dir("postgres");
    let schema = format!("zhibu_import_more_{}", std::process::id());
    let admin = zhibu_storage_postgres::connect_with_schema(&base, &schema)
        .await
        .expect("create the test schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema}");
    let key = dir.join("postgres.key");
    let outcome = tokio::spawn({
        let (dir, url, key) = (dir.clone(), url.clone(), key.clone());
        async move { story(&dir, &url, Some(&key)).await }
    })
    .await;
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(admin.pool())
        .await;
    admin.pool().close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
    dropped.expect("drop the test schema");
}
