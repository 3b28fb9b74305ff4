//! Votes and elections on PostgreSQL (`zhibu_storage::ballot_suite`), each test in fresh schemas
//! dropped afterwards, with the raw tables read by PostgreSQL's own SQL to show that no stored
//! byte tells how a member voted.
//!
//! Needs `ZHIBU_TEST_POSTGRES_URL`; without it the tests say loudly that they were skipped, unless
//! `ZHIBU_REQUIRE_POSTGRES=1`, in which case they fail.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Connection, Row};
use zhibu_storage::Backend;
use zhibu_storage::ballot_suite::{self, RawDump};
use zhibu_storage_postgres::PostgresBackend;

fn postgres_url() -> Option<String> {
    match std::env::var("ZHIBU_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = std::env::var("ZHIBU_REQUIRE_POSTGRES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "ZHIBU_REQUIRE_POSTGRES=1 but ZHIBU_TEST_POSTGRES_URL is not set: the PostgreSQL ballot tests cannot run"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ZHIBU_TEST_POSTGRES_URL not set — PostgreSQL ballot tests did not run"
            );
            None
        }
    }
}

fn schema_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "zhibu_ballots_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Fresh schemas for one test, dropped when it ends (passed or not).
struct Schemas {
    url: String,
    names: Vec<String>,
    backends: Vec<PostgresBackend>,
}

impl Schemas {
    async fn fresh(&mut self) -> PostgresBackend {
        let name = schema_name();
        let backend = zhibu_storage_postgres::connect_with_schema(&self.url, &name)
            .await
            .expect("connect");
        self.names.push(name);
        backend.migrate().await.expect("migrate");
        self.backends.push(backend.clone());
        backend
    }

    async fn drop_all(self) {
        for backend in &self.backends {
            backend.pool().close().await;
        }
        let mut connection = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connect");
        for name in &self.names {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&mut connection)
            .await
            .expect("drop schema");
        }
        let _ = connection.close().await;
    }
}

/// Runs `test` with a way to make fresh schemas, then drops them, whether it passed or not.
async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Vec<PostgresBackend>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(url) = postgres_url() else { return };
    let mut schemas = Schemas {
        url,
        names: Vec::new(),
        backends: Vec::new(),
    };
    let backends = vec![schemas.fresh().await, schemas.fresh().await];
    let outcome = tokio::spawn(test(backends)).await;
    schemas.drop_all().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test task did not finish: {error}"),
        }
    }
}

struct Dump(PostgresBackend);

#[async_trait]
impl RawDump for Dump {
    async fn dump(&self) -> Vec<(String, Vec<String>)> {
        let pool = self.0.pool();
        let tables: Vec<String> = sqlx::query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename <> 'schema_migrations' ORDER BY tablename",
        )
        .fetch_all(pool)
        .await
        .expect("tables")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
        let mut dump = Vec::new();
        for table in tables {
            // Every column of every row as PostgreSQL writes the row out.
            let mut rows: Vec<String> =
                sqlx::query(AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
                    .fetch_all(pool)
                    .await
                    .expect("rows")
                    .iter()
                    .map(|row| row.get::<String, _>(0))
                    .collect();
            rows.sort();
            dump.push((table, rows));
        }
        dump
    }
}

#[tokio::test]
async fn a_secret_ballot_cannot_be_linked_to_voters() {
    on_postgres(|backends| async move {
        let (first, second) = (backends[0].clone(), backends[1].clone());
        ballot_suite::a_secret_ballot_cannot_be_linked_to_voters(
            (
                Arc::new(first.clone()) as Arc<dyn Backend>,
                Arc::new(Dump(first)) as Arc<dyn RawDump>,
            ),
            (
                Arc::new(second.clone()) as Arc<dyn Backend>,
                Arc::new(Dump(second)) as Arc<dyn RawDump>,
            ),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn votes_are_checked_in_the_write_transaction() {
    on_postgres(|backends| async move {
        ballot_suite::votes_are_checked_in_the_write_transaction(Arc::new(backends[0].clone()))
            .await;
    })
    .await;
}

#[tokio::test]
async fn elections_are_checked_in_the_write_transaction() {
    on_postgres(|backends| async move {
        ballot_suite::elections_are_checked_in_the_write_transaction(Arc::new(backends[0].clone()))
            .await;
    })
    .await;
}
