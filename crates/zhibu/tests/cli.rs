//! The `zhibu` command as a user runs it: build the demo, check it, verify it, tamper with it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use chrono::NaiveDate;

const TODAY: &str = "2026-11-29";

fn database(name: &str) -> (PathBuf, String) {
    let path = std::env::temp_dir().join(format!("zhibu-cli-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    (path, url)
}

fn zhibu(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhibu"))
        .args(args)
        .env("ZHIBU_DATABASE_URL", url)
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

/// `zhibu check` over the demo reports exactly the planted imperfections, each with its article.
#[test]
fn check_over_the_demo_lists_exactly_the_planted_imperfections() {
    let (_path, url) = database("check");
    let built = zhibu(&url, &["demo", "--today", TODAY]);
    assert!(built.status.success(), "{}", text(&built));

    let output = zhibu(
        &url,
        &[
            "check",
            "--from",
            "2024-01-01",
            "--to",
            TODAY,
            "--today",
            TODAY,
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json report");
    let findings = report["findings"].as_array().expect("findings");

    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("date");
    let dataset = zhibu_demo::generate(&zhibu_demo::DemoConfig::new(2026, today));
    let planted: BTreeSet<(String, String, String, bool)> = dataset
        .planted
        .iter()
        .map(|p| {
            (
                p.rule_id.to_string(),
                p.org_name.clone(),
                p.period_label.clone(),
                p.coming_due,
            )
        })
        .collect();
    let reported: BTreeSet<(String, String, String, bool)> = findings
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule").to_string(),
                f["org_name"].as_str().expect("org").to_string(),
                f["period_label"].as_str().expect("period").to_string(),
                f["status"] == "coming_due",
            )
        })
        .collect();
    // Reminders of duties not yet due are not imperfections: only the planted ones are checked
    // among them. Every breach must be planted.
    let unexpected: Vec<_> = reported
        .difference(&planted)
        .filter(|(_, _, _, coming_due)| !coming_due)
        .collect();
    let missed: Vec<_> = planted.difference(&reported).collect();
    assert!(
        unexpected.is_empty(),
        "findings the data does not support: {unexpected:#?}"
    );
    assert!(
        missed.is_empty(),
        "planted imperfections not found: {missed:#?}"
    );
    assert!(
        planted.len() >= 8,
        "the demo plants every kind of imperfection: {planted:#?}"
    );
    for finding in findings {
        assert!(
            !finding["citation"]["article"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{finding}"
        );
        assert!(
            !finding["citation"]["quote"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{finding}"
        );
    }

    // The table names the article too.
    let table = zhibu(
        &url,
        &[
            "check",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--today",
            TODAY,
        ],
    );
    assert!(table.status.success(), "{}", text(&table));
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("第十二条") || table.contains("第十一条"),
        "{table}"
    );
}

/// `zhibu verify` passes on untouched data and names the record after a direct UPDATE.
#[test]
fn verify_names_a_record_changed_behind_the_application() {
    let (path, url) = database("verify");
    let built = zhibu(&url, &["demo", "--today", TODAY, "--branches", "12"]);
    assert!(built.status.success(), "{}", text(&built));
    let clean = zhibu(&url, &["verify"]);
    assert!(clean.status.success(), "{}", text(&clean));
    assert!(text(&clean).contains("完好"), "{}", text(&clean));

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tampered_id: i64 = runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("open sqlite");
        let id: i64 = sqlx::query_scalar("SELECT id FROM records WHERE kind = 'meeting' ORDER BY id LIMIT 1").fetch_one(&pool).await.expect("a meeting");
        sqlx::query("UPDATE records SET body = replace(body, '\"minutes\":\"', '\"minutes\":\"补记：') WHERE id = ?")
            .bind(id)
            .execute(&pool)
            .await
            .expect("tamper");
        pool.close().await;
        id
    });
    let after = zhibu(&url, &["verify"]);
    assert_eq!(after.status.code(), Some(1), "{}", text(&after));
    let report = text(&after);
    assert!(
        report.contains(&format!("会议记录{tampered_id}")),
        "the altered meeting is named: {report}"
    );
}

/// Bad input on the command line: a clear bilingual message and a non-zero exit.
#[test]
fn bad_input_is_refused_with_a_lesson() {
    let bare = zhibu("./zhibu.db", &["migrate"]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(
        text(&bare).contains("sqlite://./zhibu.db"),
        "{}",
        text(&bare)
    );

    let (_path, url) = database("bad");
    let reversed = zhibu(
        &url,
        &[
            "check",
            "--org",
            "1",
            "--from",
            "2026-03-01",
            "--to",
            "2026-01-01",
        ],
    );
    assert_eq!(reversed.status.code(), Some(2), "{}", text(&reversed));

    let impossible = zhibu(&url, &["check", "--from", "2026-02-30"]);
    assert_ne!(impossible.status.code(), Some(0));
    assert!(
        text(&impossible).contains("2026-02-30"),
        "{}",
        text(&impossible)
    );

    let empty = zhibu(&url, &["check"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty).contains("zhibu demo"), "{}", text(&empty));
}
