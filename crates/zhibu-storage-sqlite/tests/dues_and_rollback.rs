//! Issue 4's storage suites on SQLite: dues records checked in the write transaction
//! (`zhibu_storage::dues_suite`) and the bulk rollback of an import leaving what one-by-one
//! deletions leave (`zhibu_storage::rollback_suite`), each on fresh database files.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use zhibu_storage::Backend;
use zhibu_storage_sqlite::SqliteBackend;

fn fresh_database_path() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    std::env::temp_dir().join(format!(
        "zhibu-dues-rollback-{}-{}-{nanos}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A fresh, migrated database file and its path.
async fn fresh() -> (SqliteBackend, PathBuf) {
    let path = fresh_database_path();
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open a fresh database file");
    backend.migrate().await.expect("migrate");
    (backend, path)
}

/// Removes the files of databases whose test passed (a failing test keeps them to inspect).
async fn remove(databases: Vec<(SqliteBackend, PathBuf)>) {
    for (backend, path) in databases {
        backend.pool().close().await;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::remove_file(&file).expect("remove the test database");
            }
        }
    }
}

fn store(backend: &SqliteBackend) -> Arc<dyn Backend> {
    Arc::new(backend.clone())
}

#[tokio::test]
async fn dues_records_are_checked_in_the_write_transaction() {
    let database = fresh().await;
    zhibu_storage::dues_suite::dues_records_are_checked_in_the_write_transaction(store(
        &database.0,
    ))
    .await;
    remove(vec![database]).await;
}

#[tokio::test]
async fn a_rollback_leaves_what_one_by_one_deletions_leave() {
    let bulk = fresh().await;
    let reference = fresh().await;
    zhibu_storage::rollback_suite::a_rollback_leaves_what_one_by_one_deletions_leave(
        store(&bulk.0),
        store(&reference.0),
    )
    .await;
    remove(vec![bulk, reference]).await;
}
