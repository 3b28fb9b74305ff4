//! Income bases sealed at rest on PostgreSQL (`zhibu_storage::sealing_suite`) in a fresh schema
//! dropped afterwards, with every row of every table read as PostgreSQL writes it out.
//!
//! Needs `ZHIBU_TEST_POSTGRES_URL`; without it the test says loudly that it was skipped, unless
//! `ZHIBU_REQUIRE_POSTGRES=1`, in which case it fails.

use std::io::Write;
use std::sync::Arc;

use sqlx::{AssertSqlSafe, Connection, Row};
use zhibu_storage::Backend;
use zhibu_storage::sealing_suite;

#[tokio::test]
async fn income_bases_are_sealed_at_rest_and_still_counted() {
    let url = match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set: the PostgreSQL sealing test cannot run"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — the PostgreSQL sealing test did not run"
            );
            return;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let schema = format!("zhibu_sealing_{}_{nanos}", std::process::id());
    let backend = zhibu_storage_postgres::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let pool = backend.pool().clone();
    // Run the suite in its own task so that the schema is dropped even if it fails.
    let outcome = tokio::spawn(sealing_suite::income_bases_are_sealed_at_rest(
        Arc::new(backend) as Arc<dyn Backend>,
    ))
    .await;
    let mut dump = String::new();
    if outcome.is_ok() {
        let tables: Vec<String> = sqlx::query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .expect("tables")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
        assert!(tables.iter().any(|table| table == "records"), "{tables:?}");
        for table in tables {
            for row in sqlx::query(AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
                .fetch_all(&pool)
                .await
                .expect("rows")
            {
                dump.push_str(&row.get::<String, _>(0));
                dump.push('\n');
            }
        }
    }
    pool.close().await;
    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut connection)
    .await
    .expect("drop the test schema");
    let _ = connection.close().await;
    let sealed = match outcome {
        Ok(sealed) => sealed,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    };
    assert!(dump.contains("sealed"), "sealed bases are in the tables");
    for clear in &sealed.clear_texts {
        assert!(
            !dump.contains(clear.as_str()),
            "{clear} in a PostgreSQL table"
        );
    }
}
