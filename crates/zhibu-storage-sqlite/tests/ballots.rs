//! Votes and elections on SQLite (`zhibu_storage::ballot_suite`), with the raw tables read by
//! SQLite's own SQL to show that no stored byte tells how a member voted.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};
use zhibu_storage::Backend;
use zhibu_storage::ballot_suite::{self, RawDump};
use zhibu_storage_sqlite::SqliteBackend;

fn temp_url(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let path = std::env::temp_dir().join(format!(
        "zhibu-ballots-{tag}-{}-{nanos}.db",
        std::process::id()
    ));
    format!("sqlite://{}", path.display())
}

async fn fresh(tag: &str) -> SqliteBackend {
    let backend = zhibu_storage_sqlite::connect(&temp_url(tag))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    backend
}

struct Dump(SqliteBackend);

#[async_trait]
impl RawDump for Dump {
    async fn dump(&self) -> Vec<(String, Vec<String>)> {
        let pool = self.0.pool();
        let tables: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> 'schema_migrations' ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .expect("tables")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
        let mut dump = Vec::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            )))
            .fetch_all(pool)
            .await
            .expect("columns")
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect();
            let expression = columns
                .iter()
                .map(|column| format!("quote(\"{column}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let mut rows: Vec<String> = sqlx::query(AssertSqlSafe(format!(
                "SELECT {expression} FROM \"{table}\""
            )))
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
    let first = fresh("a").await;
    let second = fresh("b").await;
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
}

#[tokio::test]
async fn votes_are_checked_in_the_write_transaction() {
    ballot_suite::votes_are_checked_in_the_write_transaction(Arc::new(fresh("checks").await)).await;
}

#[tokio::test]
async fn elections_are_checked_in_the_write_transaction() {
    ballot_suite::elections_are_checked_in_the_write_transaction(Arc::new(fresh("election").await))
        .await;
}
