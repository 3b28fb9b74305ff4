//! Lesser sanctions and the resolution to admit on PostgreSQL (`zhibu_storage::admission_suite`),
//! in a fresh schema dropped afterwards.
//!
//! Needs `ZHIBU_TEST_POSTGRES_URL`; without it the test says loudly that it was skipped, unless
//! `ZHIBU_REQUIRE_POSTGRES=1`, in which case it fails.

use std::io::Write;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Connection};
use zhibu_storage::Backend;
use zhibu_storage::admission_suite;

#[tokio::test]
async fn sanctions_and_the_resolution_to_admit_are_stored_checked_and_reported() {
    let url = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set: the PostgreSQL sanctions test cannot run"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the PostgreSQL sanctions test did not run"
            );
            return;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let schema = format!("zhibu_sanctions_{}_{nanos}", std::process::id());
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let pool = backend.pool().clone();
    // Run the suite in its own task so that the schema is dropped even if it fails.
    let outcome = tokio::spawn(admission_suite::sanctions_and_resolutions(
        Arc::new(backend) as Arc<dyn Backend>,
    ))
    .await;
    pool.close().await;
    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut connection)
    .await
    .expect("drop the test schema");
    let _ = connection.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
