//! Choosing the storage implementation from the database URL.

use std::sync::Arc;

use zhibu_storage::{Backend, StorageError};

/// The default when neither `--database-url` nor `ZHIBU_DATABASE_URL` is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./zhibu.db";

/// Opens the database named by `url`: `sqlite://PATH` or `postgres://…`. Anything else, notably
/// a bare file path, is refused with a message that says what to write instead.
pub async fn open(url: &str) -> Result<Arc<dyn Backend>, StorageError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(zhibu_storage_sqlite::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(zhibu_storage_postgres::connect(url).await?))
    } else {
        Err(StorageError::BadUrl(teach(url)))
    }
}

fn teach(url: &str) -> String {
    format!(
        "数据库地址“{url}”缺少协议前缀。嵌入式数据库请写 sqlite://{url}（例如 sqlite://./zhibu.db），PostgreSQL 请写 postgres://用户@主机:5432/库名。\n\
         The database URL \"{url}\" has no scheme. For the embedded database write sqlite://{url} (e.g. sqlite://./zhibu.db); for PostgreSQL write postgres://user@host:5432/dbname."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bare_path_is_refused_with_a_lesson() {
        let error = open("./zhibu.db")
            .await
            .err()
            .expect("a bare path is refused");
        let message = error.to_string();
        assert!(message.contains("sqlite://./zhibu.db"), "{message}");
        assert!(message.contains("缺少协议前缀"), "{message}");
    }
}
