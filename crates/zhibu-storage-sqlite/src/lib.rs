//! The SQLite implementation of Zhibu's storage: the zero-setup default, one file on disk.
//!
//! Dates are stored as `YYYY-MM-DD` text and instants as RFC 3339 UTC text with exactly six
//! fractional digits, so that both sort as text and read back to the same value. Writers are
//! serialized twice over: a mutex queues the writers of this process without each holding a pooled
//! connection while it waits, and `BEGIN IMMEDIATE` takes SQLite's write lock at the start of the
//! transaction, so that a second process (an import or `zhibu demo` next to the server) cannot
//! slip a version in between a writer's read of the chain head and its commit.

mod accounts;
// Calendar feed tokens (migration 6).
mod feeds;
// Stored findings and the postings index (migration 5).
mod findings;
// Reminders: inbox, deliveries, channel choices and group bots (migration 7).
mod notify;
// Import batches and provenance (migration 8).
mod imports;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::{AssertSqlSafe, Executor, Row, Sqlite};
use tokio::sync::{Mutex, OwnedMutexGuard};
use zhibu_core::{ChangeOperation, FieldError, RecordKind, ValidationErrors};
use zhibu_storage::{
    AccountStore, Backend, ChainEntry, ChainHead, PathRangeQuery, RecordQuery, RecordRow,
    StorageError, Transaction,
};

/// The schema migrations, in order. Append only: a migration that has shipped is never edited,
/// because databases in the field have already applied it.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "idempotency",
        include_str!("../migrations/0002_idempotency.sql"),
    ),
    (
        3,
        "accounts",
        include_str!("../migrations/0003_accounts.sql"),
    ),
    (4, "tenant", include_str!("../migrations/0004_tenant.sql")),
    (
        5,
        "stored_findings",
        include_str!("../migrations/0005_stored_findings.sql"),
    ),
    (
        6,
        "calendar_feeds",
        include_str!("../migrations/0006_calendar_feeds.sql"),
    ),
    (
        7,
        "reminders",
        include_str!("../migrations/0007_reminders.sql"),
    ),
    (
        8,
        "import_batches",
        include_str!("../migrations/0008_import_batches.sql"),
    ),
];

/// How long a writer from another process waits for SQLite's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Enough connections for concurrent readers; writers take one at a time.
const MAX_FILE_CONNECTIONS: u32 = 8;

/// Zhibu's records in one SQLite database.
#[derive(Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
    /// Held for the life of every write transaction of this process.
    writer: Arc<Mutex<()>>,
}

/// Opens (and creates, if missing) the database at `url`: `sqlite://PATH`, or `sqlite::memory:`
/// for a database that lives as long as the backend (tests, demos). Does not migrate.
pub async fn connect(url: &str) -> Result<SqliteBackend, StorageError> {
    let in_memory = url == "sqlite::memory:" || url.contains("mode=memory");
    let has_path = url
        .strip_prefix("sqlite://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('?'));
    if !in_memory && !has_path {
        return Err(StorageError::BadUrl(format!(
            "“{url}”不是SQLite数据库地址，请写成 sqlite://路径（如 sqlite://zhibu.db）/ \
             “{url}” is not a SQLite URL: use an explicit sqlite://PATH (for example sqlite://zhibu.db, \
             or sqlite:///var/lib/zhibu/zhibu.db for an absolute path)"
        )));
    }
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(|error| StorageError::BadUrl(format!("{url}: {error}")))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    let pool_options = if in_memory {
        // An in-memory database disappears with its last connection, and SQLite's shared cache
        // locks whole tables between connections: keep exactly one connection, for ever.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        // WAL lets readers go on while a writer writes. With WAL, `synchronous = NORMAL` keeps
        // the database consistent after a crash or power loss (the last commits may be lost, none
        // is half-applied) and saves an fsync per commit, which dominates bulk loads.
        options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
        SqlitePoolOptions::new().max_connections(MAX_FILE_CONNECTIONS)
    };
    let pool = pool_options
        .connect_with(options)
        .await
        .map_err(StorageError::database)?;
    Ok(SqliteBackend {
        pool,
        writer: Arc::new(Mutex::new(())),
    })
}

/// A migration record that this program does not recognise: the database was migrated by another
/// (newer, or modified) build of Zhibu, and running on it could damage it.
#[derive(Debug)]
struct UnknownMigration {
    version: i64,
    name: String,
}

impl fmt::Display for UnknownMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "数据库已应用本程序不认识的迁移 {} ({})，请使用更新版本的程序 / the database has migration {} ({}) that this \
             build does not know: it was upgraded by a newer Zhibu; run that version instead",
            self.version, self.name, self.version, self.name
        )
    }
}

impl std::error::Error for UnknownMigration {}

const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT";

const SCHEMA_MIGRATIONS_EXISTS: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";

const SELECT_MIGRATIONS: &str = "SELECT version, name FROM schema_migrations ORDER BY version";

const MIGRATION_APPLIED: &str = "SELECT COUNT(*) FROM schema_migrations WHERE version = ?1";

const INSERT_MIGRATION: &str =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";

const SELECT_RECORD: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id = ?1";

// The GLOB pattern is bound as a parameter, not built in SQL, because SQLite only turns a prefix
// pattern into an index range when it sees the pattern's text.
const LIST_RECORDS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records
WHERE kind = ?1 AND deleted = 0 AND org_path GLOB ?2 AND event_date >= ?3 AND event_date <= ?4 AND id > ?5
ORDER BY id
LIMIT ?6";

const ALL_RECORDS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id > ?1 ORDER BY id LIMIT ?2";

const INSERT_RECORD: &str = "INSERT INTO records
(id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body, tenant_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

const UPDATE_RECORD: &str = "UPDATE records
SET kind = ?2, org_path = ?3, event_date = ?4, version = ?5, deleted = ?6, first_entered_at = ?7, last_changed_at = ?8, body = ?9, tenant_id = ?10
WHERE id = ?1";

/// The columns of one record in a multi-row insert, in the order they are bound.
const RECORD_COLUMNS: &str = "(id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body, tenant_id)";

/// The columns of one chain entry in a multi-row insert, in the order they are bound.
const VERSION_COLUMNS: &str = "(seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash, tenant_id)";

/// Rows per multi-row statement: 400 × 14 values stays far below SQLite's limit of 32,766 bound
/// values, and a few hundred rows per statement is where the gain of batching levels off.
const ROWS_PER_STATEMENT: usize = 400;

// A byte-order range of paths: SQLite compares TEXT with memcmp (the BINARY collation), the order
// of the (kind, org_path, event_date) index, so this is one index range per kind.
const LIST_PATH_RANGE: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records
WHERE kind = ?1 AND org_path >= ?2 AND org_path < ?3 AND deleted = 0 AND event_date >= ?4 AND event_date <= ?5";

const RESERVE_RECORD_IDS: &str =
    "UPDATE record_id_reservations SET last_reserved = ?1 WHERE id = 1";

// Ids come from the versions as well as the records, so that an id whose current row was removed
// behind the application is never handed out again. Writers are serialized, so MAX is safe.
// Reserved ids (migration 4) count as taken.
const NEXT_RECORD_ID: &str = "SELECT MAX(
    COALESCE((SELECT MAX(id) FROM records), 0),
    COALESCE((SELECT MAX(record_id) FROM record_versions), 0),
    COALESCE((SELECT last_reserved FROM record_id_reservations WHERE id = 1), 0)
) + 1";

const SELECT_HISTORY: &str = "SELECT seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash
FROM record_versions WHERE record_id = ?1 ORDER BY seq";

const SELECT_CHAIN: &str = "SELECT seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash
FROM record_versions WHERE seq > ?1 ORDER BY seq LIMIT ?2";

const INSERT_VERSION: &str = "INSERT INTO record_versions
(seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash, tenant_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

const SELECT_HEAD: &str = "SELECT seq, hash FROM chain_head WHERE id = 1";

const UPDATE_HEAD: &str = "UPDATE chain_head SET seq = ?1, hash = ?2 WHERE id = 1";

const SELECT_IDEMPOTENCY_KEY: &str = "SELECT record_id FROM idempotency_keys WHERE key = ?1";

const INSERT_IDEMPOTENCY_KEY: &str =
    "INSERT INTO idempotency_keys (key, record_id, created_at) VALUES (?1, ?2, ?3)";

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn instant_text(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn corrupt(id: i64, column: &str, error: impl fmt::Display) -> StorageError {
    StorageError::Corrupt {
        id,
        message: format!("{column}: {error}"),
    }
}

fn column<'r, T>(row: &'r SqliteRow, id: i64, name: &str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(name).map_err(|error| corrupt(id, name, error))
}

fn kind_column(row: &SqliteRow, id: i64) -> Result<RecordKind, StorageError> {
    let text: String = column(row, id, "kind")?;
    RecordKind::parse(&text)
        .ok_or_else(|| corrupt(id, "kind", format!("unknown record kind {text:?}")))
}

fn date_column(row: &SqliteRow, id: i64, name: &str) -> Result<NaiveDate, StorageError> {
    let text: String = column(row, id, name)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|error| corrupt(id, name, format!("{text:?}: {error}")))
}

fn instant_column(row: &SqliteRow, id: i64, name: &str) -> Result<DateTime<Utc>, StorageError> {
    let text: String = column(row, id, name)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|error| corrupt(id, name, format!("{text:?}: {error}")))
}

fn decode_record(row: &SqliteRow) -> Result<RecordRow, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    Ok(RecordRow {
        id,
        kind: kind_column(row, id)?,
        org_path: column(row, id, "org_path")?,
        event_date: date_column(row, id, "event_date")?,
        version: column(row, id, "version")?,
        deleted: column(row, id, "deleted")?,
        first_entered_at: instant_column(row, id, "first_entered_at")?,
        last_changed_at: instant_column(row, id, "last_changed_at")?,
        body: column(row, id, "body")?,
    })
}

fn decode_entry(row: &SqliteRow) -> Result<ChainEntry, StorageError> {
    let id: i64 = column(row, 0, "record_id")?;
    let operation: String = column(row, id, "operation")?;
    Ok(ChainEntry {
        seq: column(row, id, "seq")?,
        record_id: id,
        kind: kind_column(row, id)?,
        version: column(row, id, "version")?,
        operation: ChangeOperation::parse(&operation)
            .ok_or_else(|| corrupt(id, "operation", format!("unknown operation {operation:?}")))?,
        org_path: column(row, id, "org_path")?,
        event_date: date_column(row, id, "event_date")?,
        entered_at: instant_column(row, id, "entered_at")?,
        actor: column(row, id, "actor")?,
        reason: column(row, id, "reason")?,
        body: column(row, id, "body")?,
        previous_hash: column(row, id, "previous_hash")?,
        hash: column(row, id, "hash")?,
    })
}

/// The chain head row, which the first migration inserts and no code deletes.
fn decode_head(row: Option<SqliteRow>) -> Result<Option<ChainHead>, StorageError> {
    let Some(row) = row else { return Ok(None) };
    let seq: i64 = column(&row, 0, "seq")?;
    let hash: String = column(&row, 0, "hash")?;
    // Seq 0 is the empty chain's placeholder row.
    Ok((seq > 0).then_some(ChainHead { seq, hash }))
}

/// The GLOB pattern of a subtree. Paths hold only digits and slashes, so the pattern has no
/// wildcard but the final `*`; anything else would be a defect upstream, refused rather than
/// matched loosely.
fn subtree_pattern(query: &RecordQuery) -> Result<String, StorageError> {
    subtree_pattern_of(query.path_prefix.as_deref().unwrap_or("/"))
}

fn subtree_pattern_of(prefix: &str) -> Result<String, StorageError> {
    if !prefix.starts_with('/')
        || !prefix
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'/')
    {
        return Err(StorageError::Invalid(ValidationErrors::single(
            FieldError::new(
                "subtree",
                "malformed_path",
                format!("组织路径“{prefix}”格式不正确"),
                format!("the organization path {prefix:?} is malformed"),
            ),
        )));
    }
    Ok(format!("{prefix}*"))
}

/// The tenant of a path about to be written. Paths are checked by the repository before they get
/// here, so a malformed one is a defect upstream; it is refused rather than filed under tenant 0.
fn tenant(org_path: &str) -> Result<i64, StorageError> {
    zhibu_storage::tenant_of(org_path).ok_or_else(|| {
        StorageError::Invalid(ValidationErrors::single(FieldError::new(
            "org_path",
            "malformed_path",
            format!("组织路径“{org_path}”格式不正确"),
            format!("the organization path {org_path:?} is malformed"),
        )))
    })
}

/// `INSERT INTO table columns VALUES (?, …), (?, …)…` for `rows` rows of `width` values.
fn multi_row_insert(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; width].join(", "));
    format!(
        "INSERT INTO {table} {columns} VALUES {}",
        vec![one; rows].join(", ")
    )
}

async fn fetch_record<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    id: i64,
) -> Result<Option<RecordRow>, StorageError> {
    let row = sqlx::query(SELECT_RECORD)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(StorageError::database)?;
    row.as_ref().map(decode_record).transpose()
}

async fn fetch_list<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    query: &RecordQuery,
) -> Result<Vec<RecordRow>, StorageError> {
    // Open ends of the date range become the widest dates the column can hold, and a missing
    // limit becomes SQLite's "no limit" (-1), so that one statement serves every query.
    let rows = sqlx::query(LIST_RECORDS)
        .bind(query.kind.as_str())
        .bind(subtree_pattern(query)?)
        .bind(
            query
                .event_from
                .map_or_else(|| "0000-01-01".to_string(), date_text),
        )
        .bind(
            query
                .event_to
                .map_or_else(|| "9999-12-31".to_string(), date_text),
        )
        .bind(query.after_id.unwrap_or(0))
        .bind(query.limit.map_or(-1, i64::from))
        .fetch_all(executor)
        .await
        .map_err(StorageError::database)?;
    rows.iter().map(decode_record).collect()
}

impl SqliteBackend {
    /// The connection pool, for tools and tests that need SQL the trait does not offer.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Applies the migrations not yet applied, up to and including version `last` (all when
    /// `None`), each in its own transaction.
    pub async fn migrate_to(&self, last: Option<i64>) -> Result<(), StorageError> {
        sqlx::query(CREATE_SCHEMA_MIGRATIONS)
            .execute(&self.pool)
            .await
            .map_err(StorageError::database)?;
        self.check_known_migrations().await?;
        for (version, name, sql) in MIGRATIONS {
            if last.is_some_and(|last| *version > last) {
                break;
            }
            // BEGIN IMMEDIATE makes a second process that migrates at the same moment wait, and
            // then see that the migration is already applied.
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(StorageError::database)?;
            let applied: i64 = sqlx::query_scalar(MIGRATION_APPLIED)
                .bind(*version)
                .fetch_one(&mut *tx)
                .await
                .map_err(StorageError::database)?;
            if applied > 0 {
                continue;
            }
            sqlx::raw_sql(*sql)
                .execute(&mut *tx)
                .await
                .map_err(StorageError::database)?;
            sqlx::query(INSERT_MIGRATION)
                .bind(*version)
                .bind(*name)
                .bind(instant_text(Utc::now()))
                .execute(&mut *tx)
                .await
                .map_err(StorageError::database)?;
            tx.commit().await.map_err(StorageError::database)?;
            tracing::info!(version, name, "applied SQLite migration");
        }
        Ok(())
    }

    /// Refuses a database that a different build has migrated further or differently.
    async fn check_known_migrations(&self) -> Result<(), StorageError> {
        let rows = sqlx::query(SELECT_MIGRATIONS)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        for row in rows {
            let version: i64 = row.try_get("version").map_err(StorageError::database)?;
            let name: String = row.try_get("name").map_err(StorageError::database)?;
            let known = MIGRATIONS.iter().any(|(known_version, known_name, _)| {
                *known_version == version && *known_name == name
            });
            if !known {
                return Err(StorageError::database(UnknownMigration { version, name }));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<(), StorageError> {
        self.migrate_to(None).await
    }

    async fn applied_migrations(&self) -> Result<Vec<i64>, StorageError> {
        let exists: i64 = sqlx::query_scalar(SCHEMA_MIGRATIONS_EXISTS)
            .fetch_one(&self.pool)
            .await
            .map_err(StorageError::database)?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(SELECT_MIGRATIONS)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter()
            .map(|row| row.try_get("version").map_err(StorageError::database))
            .collect()
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StorageError> {
        let writer = Arc::clone(&self.writer).lock_owned().await;
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StorageError::database)?;
        Ok(Box::new(SqliteTransaction {
            tx,
            _writer: writer,
        }))
    }

    async fn get(&self, id: i64) -> Result<Option<RecordRow>, StorageError> {
        fetch_record(&self.pool, id).await
    }

    async fn list(&self, query: &RecordQuery) -> Result<Vec<RecordRow>, StorageError> {
        fetch_list(&self.pool, query).await
    }

    async fn history(&self, record_id: i64) -> Result<Vec<ChainEntry>, StorageError> {
        let rows = sqlx::query(SELECT_HISTORY)
            .bind(record_id)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_entry).collect()
    }

    async fn chain_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainEntry>, StorageError> {
        let rows = sqlx::query(SELECT_CHAIN)
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_entry).collect()
    }

    async fn all_records(&self, after_id: i64, limit: u32) -> Result<Vec<RecordRow>, StorageError> {
        let rows = sqlx::query(ALL_RECORDS)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_record).collect()
    }

    async fn list_path_range(
        &self,
        query: &PathRangeQuery,
    ) -> Result<Vec<RecordRow>, StorageError> {
        subtree_pattern_of(&query.path_from)?;
        // One statement per kind: each is one range of the index, and SQLite has no round trip
        // to save.
        let mut rows = Vec::new();
        for kind in &query.kinds {
            let found = sqlx::query(LIST_PATH_RANGE)
                .bind(kind.as_str())
                .bind(query.path_from.as_str())
                .bind(query.path_to.as_str())
                .bind(
                    query
                        .event_from
                        .map_or_else(|| "0000-01-01".to_string(), date_text),
                )
                .bind(
                    query
                        .event_to
                        .map_or_else(|| "9999-12-31".to_string(), date_text),
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StorageError::database)?;
            for row in &found {
                rows.push(decode_record(row)?);
            }
        }
        Ok(rows)
    }

    /// A missing head row reads as an empty chain here, so that `verify` reports the mismatch
    /// with the versions instead of failing; writers refuse it (see the transaction).
    async fn chain_head(&self) -> Result<Option<ChainHead>, StorageError> {
        let row = sqlx::query(SELECT_HEAD)
            .fetch_optional(&self.pool)
            .await
            .map_err(StorageError::database)?;
        decode_head(row)
    }

    async fn members_posted_within(&self, path: &str) -> Result<Vec<i64>, StorageError> {
        findings::members_posted_within(&self.pool, path).await
    }

    fn finding_store(&self) -> Option<&dyn zhibu_storage::FindingStore> {
        Some(self)
    }

    fn accounts(&self) -> &dyn AccountStore {
        self
    }

    fn notifications(&self) -> Option<&dyn zhibu_storage::NotificationStore> {
        Some(self)
    }

    fn calendar_feeds(&self) -> Option<&dyn zhibu_storage::CalendarFeedStore> {
        Some(self)
    }
}

/// A write transaction. Field order matters: the transaction rolls back (when not committed)
/// before the writer lock is released.
struct SqliteTransaction {
    tx: sqlx::Transaction<'static, Sqlite>,
    _writer: OwnedMutexGuard<()>,
}

#[async_trait]
impl Transaction for SqliteTransaction {
    async fn set_postings_elsewhere(
        &mut self,
        member_id: i64,
        branches: &[(i64, String)],
    ) -> Result<(), StorageError> {
        findings::set_postings_elsewhere(&mut self.tx, member_id, branches).await
    }

    async fn members_posted_within(&mut self, path: &str) -> Result<Vec<i64>, StorageError> {
        findings::members_posted_within(&mut *self.tx, path).await
    }

    async fn insert_import_batch(
        &mut self,
        batch: &zhibu_storage::ImportBatch,
    ) -> Result<i64, StorageError> {
        imports::insert_batch(&mut self.tx, batch).await
    }

    async fn insert_import_rows(
        &mut self,
        batch_id: i64,
        org_path: &str,
        rows: &[(i64, i64)],
    ) -> Result<(), StorageError> {
        imports::insert_rows(&mut self.tx, batch_id, org_path, rows).await
    }

    async fn import_batches(
        &mut self,
        limit: u32,
    ) -> Result<Vec<zhibu_storage::ImportBatch>, StorageError> {
        imports::batches(&mut self.tx, limit).await
    }

    async fn import_batch_records(
        &mut self,
        batch_id: i64,
    ) -> Result<Vec<zhibu_storage::Provenance>, StorageError> {
        imports::batch_records(&mut self.tx, batch_id).await
    }

    async fn record_provenance(
        &mut self,
        record_id: i64,
    ) -> Result<Option<zhibu_storage::Provenance>, StorageError> {
        imports::record_provenance(&mut self.tx, record_id).await
    }

    async fn set_import_batch_rolled_back(
        &mut self,
        batch_id: i64,
        at: DateTime<Utc>,
        actor: &str,
        reason: &str,
    ) -> Result<(), StorageError> {
        imports::set_rolled_back(&mut self.tx, batch_id, at, actor, reason).await
    }

    async fn get_many(&mut self, ids: &[i64]) -> Result<Vec<RecordRow>, StorageError> {
        imports::get_many(&mut self.tx, ids).await
    }

    async fn delete_many(
        &mut self,
        rows: &[RecordRow],
        entries: &[ChainEntry],
    ) -> Result<(), StorageError> {
        imports::mark_deleted(&mut self.tx, rows).await?;
        self.insert_many(&[], entries).await
    }

    async fn get(&mut self, id: i64) -> Result<Option<RecordRow>, StorageError> {
        fetch_record(&mut *self.tx, id).await
    }

    async fn list(&mut self, query: &RecordQuery) -> Result<Vec<RecordRow>, StorageError> {
        fetch_list(&mut *self.tx, query).await
    }

    async fn next_record_id(&mut self) -> Result<i64, StorageError> {
        sqlx::query_scalar(NEXT_RECORD_ID)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(StorageError::database)
    }

    async fn chain_head(&mut self) -> Result<Option<ChainHead>, StorageError> {
        let row = sqlx::query(SELECT_HEAD)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        if row.is_none() {
            // Writing on would start a second chain from the genesis hash.
            return Err(corrupt(
                0,
                "chain_head",
                "the chain head row is missing / 链头记录缺失",
            ));
        }
        decode_head(row)
    }

    async fn insert_record(&mut self, row: &RecordRow) -> Result<(), StorageError> {
        sqlx::query(INSERT_RECORD)
            .bind(row.id)
            .bind(row.kind.as_str())
            .bind(row.org_path.as_str())
            .bind(date_text(row.event_date))
            .bind(row.version)
            .bind(row.deleted)
            .bind(instant_text(row.first_entered_at))
            .bind(instant_text(row.last_changed_at))
            .bind(row.body.as_str())
            .bind(tenant(&row.org_path)?)
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn update_record(&mut self, row: &RecordRow) -> Result<(), StorageError> {
        let result = sqlx::query(UPDATE_RECORD)
            .bind(row.id)
            .bind(row.kind.as_str())
            .bind(row.org_path.as_str())
            .bind(date_text(row.event_date))
            .bind(row.version)
            .bind(row.deleted)
            .bind(instant_text(row.first_entered_at))
            .bind(instant_text(row.last_changed_at))
            .bind(row.body.as_str())
            .bind(tenant(&row.org_path)?)
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        if result.rows_affected() != 1 {
            return Err(StorageError::NotFound {
                kind: row.kind,
                id: row.id,
            });
        }
        Ok(())
    }

    async fn append_chain_entry(&mut self, entry: &ChainEntry) -> Result<(), StorageError> {
        sqlx::query(INSERT_VERSION)
            .bind(entry.seq)
            .bind(entry.record_id)
            .bind(entry.kind.as_str())
            .bind(entry.version)
            .bind(entry.operation.as_str())
            .bind(entry.org_path.as_str())
            .bind(date_text(entry.event_date))
            .bind(instant_text(entry.entered_at))
            .bind(entry.actor.as_str())
            .bind(entry.reason.as_deref())
            .bind(entry.body.as_str())
            .bind(entry.previous_hash.as_str())
            .bind(entry.hash.as_str())
            .bind(tenant(&entry.org_path)?)
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn reserve_record_ids(&mut self, count: u64) -> Result<i64, StorageError> {
        let first: i64 = sqlx::query_scalar(NEXT_RECORD_ID)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        let count = i64::try_from(count.max(1)).map_err(StorageError::database)?;
        sqlx::query(RESERVE_RECORD_IDS)
            .bind(first + count - 1)
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(first)
    }

    async fn insert_many(
        &mut self,
        rows: &[RecordRow],
        entries: &[ChainEntry],
    ) -> Result<(), StorageError> {
        for batch in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = multi_row_insert("records", RECORD_COLUMNS, 10, batch.len());
            // The text is built from the constants above only; every value is bound.
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in batch {
                query = query
                    .bind(row.id)
                    .bind(row.kind.as_str())
                    .bind(row.org_path.as_str())
                    .bind(date_text(row.event_date))
                    .bind(row.version)
                    .bind(row.deleted)
                    .bind(instant_text(row.first_entered_at))
                    .bind(instant_text(row.last_changed_at))
                    .bind(row.body.as_str())
                    .bind(tenant(&row.org_path)?);
            }
            query
                .execute(&mut *self.tx)
                .await
                .map_err(StorageError::database)?;
        }
        for batch in entries.chunks(ROWS_PER_STATEMENT) {
            let sql = multi_row_insert("record_versions", VERSION_COLUMNS, 14, batch.len());
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for entry in batch {
                query = query
                    .bind(entry.seq)
                    .bind(entry.record_id)
                    .bind(entry.kind.as_str())
                    .bind(entry.version)
                    .bind(entry.operation.as_str())
                    .bind(entry.org_path.as_str())
                    .bind(date_text(entry.event_date))
                    .bind(instant_text(entry.entered_at))
                    .bind(entry.actor.as_str())
                    .bind(entry.reason.as_deref())
                    .bind(entry.body.as_str())
                    .bind(entry.previous_hash.as_str())
                    .bind(entry.hash.as_str())
                    .bind(tenant(&entry.org_path)?);
            }
            query
                .execute(&mut *self.tx)
                .await
                .map_err(StorageError::database)?;
        }
        Ok(())
    }

    async fn set_chain_head(&mut self, head: &ChainHead) -> Result<(), StorageError> {
        let result = sqlx::query(UPDATE_HEAD)
            .bind(head.seq)
            .bind(head.hash.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        if result.rows_affected() != 1 {
            return Err(corrupt(
                0,
                "chain_head",
                "the chain head row is missing / 链头记录缺失",
            ));
        }
        Ok(())
    }

    async fn find_idempotency_key(&mut self, key: &str) -> Result<Option<i64>, StorageError> {
        sqlx::query_scalar(SELECT_IDEMPOTENCY_KEY)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(StorageError::database)
    }

    async fn save_idempotency_key(
        &mut self,
        key: &str,
        record_id: i64,
        created_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(INSERT_IDEMPOTENCY_KEY)
            .bind(key)
            .bind(record_id)
            .bind(instant_text(created_at))
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StorageError> {
        let SqliteTransaction { tx, _writer } = *self;
        tx.commit().await.map_err(StorageError::database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_chain_placeholder_is_the_genesis_hash() {
        assert!(MIGRATIONS[0].2.contains(zhibu_storage::GENESIS_HASH));
    }

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for (index, (version, _, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, index as i64 + 1);
        }
    }

    #[tokio::test]
    async fn a_bare_path_is_refused_with_a_message_that_teaches() {
        for url in [
            "zhibu.db",
            "sqlite:zhibu.db",
            "sqlite://",
            "postgres://localhost/zhibu",
        ] {
            match connect(url).await {
                Err(StorageError::BadUrl(message)) => {
                    assert!(message.contains("sqlite://"), "{url}: {message}")
                }
                Err(other) => panic!("{url}: expected BadUrl, got {other}"),
                Ok(_) => panic!("{url}: expected BadUrl, got a connection"),
            }
        }
    }
}
