//! The PostgreSQL implementation of Zhibu's storage, for a server shared by many branches.
//!
//! Writers are serialized on the single `chain_head` row: every write transaction locks it
//! (`SELECT … FOR UPDATE`) before it reads anything, so that the chain has one head and what a
//! writer validated against is still true when it commits. Record ids come from a sequence.

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

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, Postgres, Row};
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

/// The statements of [`PostgresBackend::partition_by_tenant`].
pub const PARTITION_BY_TENANT: &str = include_str!("../sql/partition_by_tenant.sql");

/// Enough connections for a busy server; writers take one at a time anyway.
const MAX_CONNECTIONS: u32 = 10;

/// The advisory lock that makes two processes migrating the same database at once take turns
/// (the number spells "zhibu" in ASCII).
const MIGRATION_LOCK: i64 = 0x7a_68_69_62_75;

/// Zhibu's records in one PostgreSQL database (or one schema of it).
#[derive(Clone)]
pub struct PostgresBackend {
    pool: PgPool,
}

fn parse_url(url: &str) -> Result<PgConnectOptions, StorageError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StorageError::BadUrl(format!(
            "“{url}”不是PostgreSQL数据库地址，请写成 postgres://用户@主机/数据库 / \
             “{url}” is not a PostgreSQL URL: use postgres://USER@HOST/DATABASE"
        )));
    }
    PgConnectOptions::from_str(url).map_err(|error| StorageError::BadUrl(format!("{url}: {error}")))
}

/// Connects to the database at `url` (`postgres://…`). Does not migrate.
pub async fn connect(url: &str) -> Result<PostgresBackend, StorageError> {
    let options = parse_url(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect_with(options)
        .await
        .map_err(StorageError::database)?;
    Ok(PostgresBackend { pool })
}

/// Connects with every pooled connection's `search_path` set to `schema`, creating the schema if
/// it does not exist. Tests use it to give each test a database of its own; a deployment could
/// use it to keep Zhibu's tables apart from others. The name is limited to lowercase letters,
/// digits and `_` because it is written into SQL.
pub async fn connect_with_schema(url: &str, schema: &str) -> Result<PostgresBackend, StorageError> {
    let is_plain_name = schema
        .bytes()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == b'_')
        && schema
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        && schema.len() <= 63;
    if !is_plain_name {
        return Err(StorageError::BadUrl(format!(
            "模式名“{schema}”只能包含小写字母、数字和下划线 / the schema name {schema:?} may hold only lowercase letters, digits and _"
        )));
    }
    let options = parse_url(url)?;
    let mut connection = PgConnection::connect_with(&options)
        .await
        .map_err(StorageError::database)?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}"
    )))
    .execute(&mut connection)
    .await
    .map_err(StorageError::database)?;
    connection.close().await.map_err(StorageError::database)?;
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect_with(options.options([("search_path", schema)]))
        .await
        .map_err(StorageError::database)?;
    Ok(PostgresBackend { pool })
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
    version    BIGINT      PRIMARY KEY,
    name       TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

// `to_regclass` follows the search_path, like the unqualified table names everywhere else.
const SCHEMA_MIGRATIONS_EXISTS: &str = "SELECT to_regclass('schema_migrations') IS NOT NULL";

const SELECT_MIGRATIONS: &str = "SELECT version, name FROM schema_migrations ORDER BY version";

const MIGRATION_APPLIED: &str =
    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)";

const INSERT_MIGRATION: &str = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

const LOCK_MIGRATIONS: &str = "SELECT pg_advisory_lock($1)";

const UNLOCK_MIGRATIONS: &str = "SELECT pg_advisory_unlock($1)";

const SELECT_RECORD: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id = $1";

const SELECT_RECORDS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id = ANY($1)";

// Within one tenant (the subtree is known): the tenant-led index serves it, and on a partitioned
// or distributed table only that tenant's partition or shard is read.
const LIST_RECORDS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records
WHERE tenant_id = $7
  AND kind = $1
  AND NOT deleted
  AND org_path LIKE $2 || '%'
  AND ($3::date IS NULL OR event_date >= $3)
  AND ($4::date IS NULL OR event_date <= $4)
  AND id > $5
ORDER BY id
LIMIT $6";

// Across every tenant (no subtree given: an administrator's list), in id order.
const LIST_ALL_TENANTS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records
WHERE kind = $1
  AND NOT deleted
  AND ($2::date IS NULL OR event_date >= $2)
  AND ($3::date IS NULL OR event_date <= $3)
  AND id > $4
ORDER BY id
LIMIT $5";

// A byte-order range of paths in one tenant (`~>=~` and `~<~` are the comparisons of
// `text_pattern_ops`, the index's operator class).
const LIST_PATH_RANGE: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records
WHERE tenant_id = $1
  AND kind = ANY($2)
  AND org_path ~>=~ $3
  AND org_path ~<~ $4
  AND NOT deleted
  AND ($5::date IS NULL OR event_date >= $5)
  AND ($6::date IS NULL OR event_date <= $6)";

const ALL_RECORDS: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id > $1 ORDER BY id LIMIT $2";

const INSERT_RECORD: &str = "INSERT INTO records
(id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body, tenant_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

// A member posted to a branch of another tenant moves tenant with the update.
const UPDATE_RECORD: &str = "UPDATE records
SET kind = $2, org_path = $3, event_date = $4, version = $5, deleted = $6, first_entered_at = $7, last_changed_at = $8, body = $9, tenant_id = $10
WHERE id = $1";

// The trusted bulk path: one statement per batch, each column bound as an array.
const INSERT_RECORDS_UNNEST: &str = "INSERT INTO records
(id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body, tenant_id)
SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::date[], $5::int[], $6::bool[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::bigint[])";

const INSERT_VERSIONS_UNNEST: &str = "INSERT INTO record_versions
(seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash, tenant_id)
SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[], $7::date[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[])";

/// Rows per bulk statement: large enough that the round trip is noise, small enough that one
/// statement's arrays stay a few megabytes.
const ROWS_PER_STATEMENT: usize = 2_000;

// Writers hold the chain head lock, so nobody else calls nextval between the two halves.
const RESERVE_RECORD_IDS: &str = "SELECT setval('record_ids', nextval('record_ids') + $1 - 1)";

const NEXT_RECORD_ID: &str = "SELECT nextval('record_ids')";

const SELECT_HISTORY: &str = "SELECT seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash
FROM record_versions WHERE record_id = $1 ORDER BY seq";

const SELECT_CHAIN: &str = "SELECT seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash
FROM record_versions WHERE seq > $1 ORDER BY seq LIMIT $2";

const INSERT_VERSION: &str = "INSERT INTO record_versions
(seq, record_id, kind, version, operation, org_path, event_date, entered_at, actor, reason, body, previous_hash, hash, tenant_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

const SELECT_HEAD: &str = "SELECT seq, hash FROM chain_head WHERE id";

const LOCK_HEAD: &str = "SELECT seq, hash FROM chain_head WHERE id FOR UPDATE";

const UPDATE_HEAD: &str = "UPDATE chain_head SET seq = $1, hash = $2 WHERE id";

const SELECT_IDEMPOTENCY_KEY: &str = "SELECT record_id FROM idempotency_keys WHERE key = $1";

const INSERT_IDEMPOTENCY_KEY: &str =
    "INSERT INTO idempotency_keys (key, record_id, created_at) VALUES ($1, $2, $3)";

fn corrupt(id: i64, column: &str, error: impl fmt::Display) -> StorageError {
    StorageError::Corrupt {
        id,
        message: format!("{column}: {error}"),
    }
}

fn column<'r, T>(row: &'r PgRow, id: i64, name: &str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(name).map_err(|error| corrupt(id, name, error))
}

fn kind_column(row: &PgRow, id: i64) -> Result<RecordKind, StorageError> {
    let text: String = column(row, id, "kind")?;
    RecordKind::parse(&text)
        .ok_or_else(|| corrupt(id, "kind", format!("unknown record kind {text:?}")))
}

fn decode_record(row: &PgRow) -> Result<RecordRow, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    Ok(RecordRow {
        id,
        kind: kind_column(row, id)?,
        org_path: column(row, id, "org_path")?,
        event_date: column::<NaiveDate>(row, id, "event_date")?,
        version: column(row, id, "version")?,
        deleted: column(row, id, "deleted")?,
        first_entered_at: column::<DateTime<Utc>>(row, id, "first_entered_at")?,
        last_changed_at: column::<DateTime<Utc>>(row, id, "last_changed_at")?,
        body: column(row, id, "body")?,
    })
}

fn decode_entry(row: &PgRow) -> Result<ChainEntry, StorageError> {
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
        event_date: column::<NaiveDate>(row, id, "event_date")?,
        entered_at: column::<DateTime<Utc>>(row, id, "entered_at")?,
        actor: column(row, id, "actor")?,
        reason: column(row, id, "reason")?,
        body: column(row, id, "body")?,
        previous_hash: column(row, id, "previous_hash")?,
        hash: column(row, id, "hash")?,
    })
}

/// The chain head row, which the first migration inserts and no code deletes.
fn decode_head(row: Option<PgRow>) -> Result<Option<ChainHead>, StorageError> {
    let Some(row) = row else { return Ok(None) };
    let seq: i64 = column(&row, 0, "seq")?;
    let hash: String = column(&row, 0, "hash")?;
    // Seq 0 is the empty chain's placeholder row.
    Ok((seq > 0).then_some(ChainHead { seq, hash }))
}

/// The LIKE prefix of a subtree. Paths hold only digits and slashes, so the prefix contains no
/// `%` or `_`; anything else would be a defect upstream, refused rather than matched loosely.
fn subtree_prefix(query: &RecordQuery) -> Result<&str, StorageError> {
    let prefix = query.path_prefix.as_deref().unwrap_or("/");
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
    Ok(prefix)
}

/// The tenant of a path about to be written. Paths are checked by the repository before they get
/// here (and the table's check constraint holds the two together); a malformed one is refused.
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

async fn fetch_record<'e>(
    executor: impl Executor<'e, Database = Postgres>,
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
    executor: impl Executor<'e, Database = Postgres>,
    query: &RecordQuery,
) -> Result<Vec<RecordRow>, StorageError> {
    let prefix = subtree_prefix(query)?;
    let rows = match zhibu_storage::tenant_of(prefix) {
        Some(tenant) => sqlx::query(LIST_RECORDS)
            .bind(query.kind.as_str())
            .bind(prefix)
            .bind(query.event_from)
            .bind(query.event_to)
            .bind(query.after_id.unwrap_or(0))
            // LIMIT NULL is no limit.
            .bind(query.limit.map(i64::from))
            .bind(tenant)
            .fetch_all(executor)
            .await
            .map_err(StorageError::database)?,
        None => sqlx::query(LIST_ALL_TENANTS)
            .bind(query.kind.as_str())
            .bind(query.event_from)
            .bind(query.event_to)
            .bind(query.after_id.unwrap_or(0))
            .bind(query.limit.map(i64::from))
            .fetch_all(executor)
            .await
            .map_err(StorageError::database)?,
    };
    rows.iter().map(decode_record).collect()
}

impl PostgresBackend {
    /// The connection pool, for tools and tests that need SQL the trait does not offer.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Rewrites the record tables as tables partitioned by tenant (eight hash partitions), in one
    /// transaction, keeping every row. For a single server that holds many tenants; see
    /// `sql/partition_by_tenant.sql` and docs/SCALING.md. Run it after migrating, once.
    pub async fn partition_by_tenant(&self) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(StorageError::database)?;
        sqlx::raw_sql(PARTITION_BY_TENANT)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        tx.commit().await.map_err(StorageError::database)
    }

    /// Applies the migrations not yet applied, up to and including version `last` (all when
    /// `None`), each in its own transaction.
    pub async fn migrate_to(&self, last: Option<i64>) -> Result<(), StorageError> {
        let mut connection = self.pool.acquire().await.map_err(StorageError::database)?;
        sqlx::query(LOCK_MIGRATIONS)
            .bind(MIGRATION_LOCK)
            .execute(&mut *connection)
            .await
            .map_err(StorageError::database)?;
        let outcome = migrate_locked(&mut connection, last).await;
        // Unlock even after a failed migration; if the connection itself broke, the server has
        // already released the lock with the session.
        let unlocked = sqlx::query(UNLOCK_MIGRATIONS)
            .bind(MIGRATION_LOCK)
            .execute(&mut *connection)
            .await;
        outcome?;
        unlocked.map_err(StorageError::database)?;
        Ok(())
    }
}

async fn migrate_locked(
    connection: &mut PgConnection,
    last: Option<i64>,
) -> Result<(), StorageError> {
    sqlx::query(CREATE_SCHEMA_MIGRATIONS)
        .execute(&mut *connection)
        .await
        .map_err(StorageError::database)?;
    let rows = sqlx::query(SELECT_MIGRATIONS)
        .fetch_all(&mut *connection)
        .await
        .map_err(StorageError::database)?;
    for row in rows {
        let version: i64 = row.try_get("version").map_err(StorageError::database)?;
        let name: String = row.try_get("name").map_err(StorageError::database)?;
        let known = MIGRATIONS
            .iter()
            .any(|(known_version, known_name, _)| *known_version == version && *known_name == name);
        if !known {
            return Err(StorageError::database(UnknownMigration { version, name }));
        }
    }
    for (version, name, sql) in MIGRATIONS {
        if last.is_some_and(|last| *version > last) {
            break;
        }
        let mut tx = connection.begin().await.map_err(StorageError::database)?;
        let applied: bool = sqlx::query_scalar(MIGRATION_APPLIED)
            .bind(*version)
            .fetch_one(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        if applied {
            continue;
        }
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        sqlx::query(INSERT_MIGRATION)
            .bind(*version)
            .bind(*name)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        tx.commit().await.map_err(StorageError::database)?;
        tracing::info!(version, name, "applied PostgreSQL migration");
    }
    Ok(())
}

#[async_trait]
impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<(), StorageError> {
        self.migrate_to(None).await
    }

    async fn applied_migrations(&self) -> Result<Vec<i64>, StorageError> {
        let exists: bool = sqlx::query_scalar(SCHEMA_MIGRATIONS_EXISTS)
            .fetch_one(&self.pool)
            .await
            .map_err(StorageError::database)?;
        if !exists {
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
        let mut tx = self.pool.begin().await.map_err(StorageError::database)?;
        // Take the writers' lock before reading anything, so that the idempotency check and the
        // validation reads see every earlier writer's commit.
        let head = sqlx::query(LOCK_HEAD)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        if head.is_none() {
            return Err(missing_head());
        }
        Ok(Box::new(PostgresTransaction { tx }))
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
        let tenant = tenant(&query.path_from)?;
        let kinds: Vec<&str> = query.kinds.iter().map(|kind| kind.as_str()).collect();
        let rows = sqlx::query(LIST_PATH_RANGE)
            .bind(tenant)
            .bind(kinds)
            .bind(query.path_from.as_str())
            .bind(query.path_to.as_str())
            .bind(query.event_from)
            .bind(query.event_to)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_record).collect()
    }

    async fn get_many(&self, ids: &[i64]) -> Result<Vec<RecordRow>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(SELECT_RECORDS)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_record).collect()
    }

    /// A missing head row reads as an empty chain here, so that `verify` reports the mismatch
    /// with the versions instead of failing; writers refuse it (see `begin`).
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

/// Writing on without the head row would start a second chain from the genesis hash.
fn missing_head() -> StorageError {
    corrupt(
        0,
        "chain_head",
        "the chain head row is missing / 链头记录缺失",
    )
}

/// A write transaction holding the lock on the chain head. Dropping it rolls back.
struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
}

#[async_trait]
impl Transaction for PostgresTransaction {
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
        let row = sqlx::query(LOCK_HEAD)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        if row.is_none() {
            return Err(missing_head());
        }
        decode_head(row)
    }

    async fn insert_record(&mut self, row: &RecordRow) -> Result<(), StorageError> {
        sqlx::query(INSERT_RECORD)
            .bind(row.id)
            .bind(row.kind.as_str())
            .bind(row.org_path.as_str())
            .bind(row.event_date)
            .bind(row.version)
            .bind(row.deleted)
            .bind(row.first_entered_at)
            .bind(row.last_changed_at)
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
            .bind(row.event_date)
            .bind(row.version)
            .bind(row.deleted)
            .bind(row.first_entered_at)
            .bind(row.last_changed_at)
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
            .bind(entry.event_date)
            .bind(entry.entered_at)
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
        let count = i64::try_from(count.max(1)).map_err(StorageError::database)?;
        let last: i64 = sqlx::query_scalar(RESERVE_RECORD_IDS)
            .bind(count)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(last - count + 1)
    }

    async fn insert_many(
        &mut self,
        rows: &[RecordRow],
        entries: &[ChainEntry],
    ) -> Result<(), StorageError> {
        for batch in rows.chunks(ROWS_PER_STATEMENT) {
            let tenants = batch
                .iter()
                .map(|row| tenant(&row.org_path))
                .collect::<Result<Vec<_>, _>>()?;
            sqlx::query(INSERT_RECORDS_UNNEST)
                .bind(batch.iter().map(|row| row.id).collect::<Vec<_>>())
                .bind(
                    batch
                        .iter()
                        .map(|row| row.kind.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|row| row.org_path.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(batch.iter().map(|row| row.event_date).collect::<Vec<_>>())
                .bind(batch.iter().map(|row| row.version).collect::<Vec<_>>())
                .bind(batch.iter().map(|row| row.deleted).collect::<Vec<_>>())
                .bind(
                    batch
                        .iter()
                        .map(|row| row.first_entered_at)
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|row| row.last_changed_at)
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|row| row.body.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(tenants)
                .execute(&mut *self.tx)
                .await
                .map_err(StorageError::database)?;
        }
        for batch in entries.chunks(ROWS_PER_STATEMENT) {
            let tenants = batch
                .iter()
                .map(|entry| tenant(&entry.org_path))
                .collect::<Result<Vec<_>, _>>()?;
            sqlx::query(INSERT_VERSIONS_UNNEST)
                .bind(batch.iter().map(|entry| entry.seq).collect::<Vec<_>>())
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.record_id)
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.kind.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(batch.iter().map(|entry| entry.version).collect::<Vec<_>>())
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.operation.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.org_path.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.event_date)
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.entered_at)
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.actor.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.reason.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.body.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.previous_hash.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    batch
                        .iter()
                        .map(|entry| entry.hash.as_str())
                        .collect::<Vec<_>>(),
                )
                .bind(tenants)
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
            return Err(missing_head());
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
            .bind(created_at)
            .execute(&mut *self.tx)
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.tx.commit().await.map_err(StorageError::database)
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

    #[test]
    fn urls_of_other_databases_are_refused() {
        assert!(matches!(
            parse_url("sqlite://zhibu.db"),
            Err(StorageError::BadUrl(_))
        ));
        assert!(parse_url("postgres://postgres@127.0.0.1:5432/zhibu").is_ok());
    }

    #[tokio::test]
    async fn a_schema_name_that_would_need_quoting_is_refused_before_connecting() {
        for schema in ["", "Zhibu", "a;DROP TABLE records", "1abc"] {
            let outcome = connect_with_schema("postgres://nobody@127.0.0.1:1/none", schema).await;
            assert!(
                matches!(outcome, Err(StorageError::BadUrl(_))),
                "{schema:?}"
            );
        }
    }
}
