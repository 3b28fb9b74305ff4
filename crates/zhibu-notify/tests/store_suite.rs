//! The reminders' storage (migration 7) on both databases: once per account × item × day under
//! concurrent writers, one group message per bot × item × day, claims, retries and failures, the
//! inbox and channel choices. PostgreSQL runs when ZHIBU_TEST_POSTGRES_URL is set (in a schema of
//! its own); without it the test says SKIPPED loudly, and fails if ZHIBU_REQUIRE_POSTGRES=1.

use std::io::Write as _;
use std::sync::Arc;

use zhibu_storage::Backend;
use zhibu_storage::notify::suite;

#[tokio::test]
async fn sqlite_keeps_reminders_once_a_day_and_their_deliveries() {
    let path = std::env::temp_dir().join(format!("zhibu-notify-suite-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // A file, not memory: the concurrent writers get connections of their own.
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    suite::run(Arc::new(backend)).await;
}

#[tokio::test]
async fn postgres_keeps_reminders_once_a_day_and_their_deliveries() {
    let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
    let Ok(url) = std::env::var("ZHIBU_TEST_POSTGRES_URL") else {
        assert!(
            !required,
            "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the reminders' PostgreSQL storage did not run"
        );
        return;
    };
    let schema = format!(
        "zhibu_notify_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let outcome = tokio::spawn(suite::run(Arc::new(backend.clone()))).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(backend.pool())
        .await
        .expect("drop the test schema");
    backend.pool().close().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}
