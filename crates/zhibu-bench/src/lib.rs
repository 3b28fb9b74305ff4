//! Zhibu's benchmarks at city scale. The binary (`cargo run --release -p zhibu-bench -- help`)
//! runs them; this library holds the parts the tests share:
//!
//! - [`city`]: the demo city generated one branch at a time and written through the trusted bulk
//!   path ([`zhibu_storage::Repository::bulk_load`]);
//! - [`http`]: a closed-loop HTTP load generator (one keep-alive connection per client);
//! - [`memory`]: the process's resident memory, from `/proc/self/status`.
//!
//! Figures, commands and the machine they ran on are in docs/PERFORMANCE.md.

pub mod city;
pub mod http;
pub mod memory;

use std::sync::Arc;

use zhibu_core::rules::Catalogue;
use zhibu_storage::{Backend, Repository, StorageError};

/// Opens the database at `url` (`sqlite://PATH` or `postgres://…`) and migrates it.
pub async fn open(url: &str) -> Result<Repository, StorageError> {
    let backend: Arc<dyn Backend> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(zhibu_storage_postgres::connect(url).await?)
        } else {
            Arc::new(zhibu_storage_sqlite::connect(url).await?)
        };
    backend.migrate().await?;
    let catalogue = Catalogue::national().map_err(StorageError::database)?;
    Ok(Repository::new(backend, Arc::new(catalogue)))
}
