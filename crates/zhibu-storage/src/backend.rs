//! The primitives a database implementation provides. They know nothing of validation or hashing;
//! the [`crate::Repository`] does that once for both databases.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use zhibu_core::{ChangeOperation, RecordKind};

use crate::{AccountStore, StorageError};

/// The current state of a record (the projection of its latest version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: i64,
    pub kind: RecordKind,
    /// The path of the org whose subtree holds the record, e.g. `/1/5/23/`. Subtree queries are
    /// prefix matches on it. For an org it is the org's own path.
    pub org_path: String,
    pub event_date: NaiveDate,
    pub version: i32,
    pub deleted: bool,
    pub first_entered_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    /// The body as JSON text, identical to the latest version's body.
    pub body: String,
}

/// One version in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    /// Position in the chain, 1, 2, 3… with no gaps.
    pub seq: i64,
    pub record_id: i64,
    pub kind: RecordKind,
    pub version: i32,
    pub operation: ChangeOperation,
    pub org_path: String,
    pub event_date: NaiveDate,
    /// Truncated to whole microseconds, the precision both databases keep.
    pub entered_at: DateTime<Utc>,
    pub actor: String,
    pub reason: Option<String>,
    pub body: String,
    pub previous_hash: String,
    pub hash: String,
}

/// The last entry of the chain, kept in its own row so that removing the newest versions is seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// Which current records to list. Deleted records are never listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    pub kind: RecordKind,
    /// Only records whose `org_path` starts with this (a subtree); `None` for all.
    pub path_prefix: Option<String>,
    pub event_from: Option<NaiveDate>,
    pub event_to: Option<NaiveDate>,
    /// Keyset paging: only ids greater than this.
    pub after_id: Option<i64>,
    pub limit: Option<u32>,
}

impl RecordQuery {
    pub fn all(kind: RecordKind) -> RecordQuery {
        RecordQuery {
            kind,
            path_prefix: None,
            event_from: None,
            event_to: None,
            after_id: None,
            limit: None,
        }
    }

    pub fn in_subtree(kind: RecordKind, path_prefix: &str) -> RecordQuery {
        RecordQuery {
            path_prefix: Some(path_prefix.to_string()),
            ..RecordQuery::all(kind)
        }
    }
}

/// Current, not deleted records of some kinds whose `org_path` lies in `path_from..path_to`
/// (compared byte by byte, `path_to` excluded), for reading a tenant's records chunk by chunk in
/// tree order, or one branch's subtree in one round trip. Both ends lie in one tenant (the
/// top-level org whose id is the paths' first segment), or `path_to` is the end of that tenant
/// ([`tenant_end`]). The dates, when given, bound `event_date` of every kind asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRangeQuery {
    pub kinds: Vec<RecordKind>,
    pub path_from: String,
    pub path_to: String,
    pub event_from: Option<NaiveDate>,
    pub event_to: Option<NaiveDate>,
}

/// The first path after every path of the subtree `/…/7/` in byte order: `/…/70`, which sorts
/// after `/…/7/…` because `0` follows `/`.
pub fn subtree_end(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(stem) => format!("{stem}0"),
        None => format!("{path}0"),
    }
}

/// The tenant of a record: the top-level org, the first segment of its path (`/7/12/` → 7).
/// `None` for a malformed path.
pub fn tenant_of(org_path: &str) -> Option<i64> {
    org_path.strip_prefix('/')?.split('/').next()?.parse().ok()
}

/// The first path after every path of `tenant`'s subtree in byte order: `/7/` → `/70`.
pub fn tenant_end(tenant: i64) -> String {
    format!("/{tenant}0")
}

/// A database holding Zhibu's records.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `sqlite` or `postgres`, for messages and logs.
    fn name(&self) -> &'static str;

    /// Applies every migration not yet applied. Migrations are append-only.
    async fn migrate(&self) -> Result<(), StorageError>;

    /// The versions of the migrations applied so far, in order.
    async fn applied_migrations(&self) -> Result<Vec<i64>, StorageError>;

    /// Starts a write transaction. Writers are serialized: the chain has one head.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StorageError>;

    /// Reads one current record, deleted or not.
    async fn get(&self, id: i64) -> Result<Option<RecordRow>, StorageError>;

    /// Lists current, not deleted records, ordered by id.
    async fn list(&self, query: &RecordQuery) -> Result<Vec<RecordRow>, StorageError>;

    /// Every version of one record, oldest first.
    async fn history(&self, record_id: i64) -> Result<Vec<ChainEntry>, StorageError>;

    /// Chain entries with `seq > after_seq`, in order, at most `limit` (for verification).
    async fn chain_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChainEntry>, StorageError>;

    /// Current records, deleted included, with `id > after_id`, in order, at most `limit`.
    async fn all_records(&self, after_id: i64, limit: u32) -> Result<Vec<RecordRow>, StorageError>;

    async fn chain_head(&self) -> Result<Option<ChainHead>, StorageError>;

    /// Current, not deleted records in a range of paths, in no particular order. Both databases
    /// answer it from their (tenant, kind, path, date) index; this default, for stand-ins in
    /// tests, lists the tenant and filters.
    async fn list_path_range(
        &self,
        query: &PathRangeQuery,
    ) -> Result<Vec<RecordRow>, StorageError> {
        let tenant = tenant_of(&query.path_from)
            .map_or_else(|| "/".to_string(), |tenant| format!("/{tenant}/"));
        let mut rows = Vec::new();
        for kind in &query.kinds {
            let list = RecordQuery {
                event_from: query.event_from,
                event_to: query.event_to,
                ..RecordQuery::in_subtree(*kind, &tenant)
            };
            rows.extend(self.list(&list).await?.into_iter().filter(|row| {
                row.org_path.as_str() >= query.path_from.as_str()
                    && row.org_path.as_str() < query.path_to.as_str()
            }));
        }
        Ok(rows)
    }

    /// The current rows of these ids, deleted ones included, in no particular order; ids with no
    /// row are left out. PostgreSQL answers in one round trip; this default reads one by one.
    async fn get_many(&self, ids: &[i64]) -> Result<Vec<RecordRow>, StorageError> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.extend(self.get(*id).await?);
        }
        Ok(rows)
    }

    /// The same database's accounts, sessions and audit log.
    fn accounts(&self) -> &dyn AccountStore;

    /// Ids of the members posted (now or before) to a branch in the subtree `path` whose record is
    /// kept under another path: members who transferred out of it (migration 5). Both databases
    /// answer it from `member_postings_elsewhere`; stand-ins in tests have no such table.
    async fn members_posted_within(&self, path: &str) -> Result<Vec<i64>, StorageError> {
        let _ = path;
        Err(StorageError::Database(
            "this backend keeps no postings index / 此存储未保存党员编入记录索引".into(),
        ))
    }

    /// The same database's stored findings (migration 5), if it keeps them.
    fn finding_store(&self) -> Option<&dyn crate::FindingStore> {
        None
    }

    /// The same database's calendar feed tokens (migration 6), if it keeps them.
    fn calendar_feeds(&self) -> Option<&dyn crate::CalendarFeedStore> {
        None
    }

    /// The same database's reminders: inbox, deliveries, channel choices and group bots
    /// (migration 7), if it keeps them.
    fn notifications(&self) -> Option<&dyn crate::NotificationStore> {
        None
    }
}

/// One write transaction. Dropping it without `commit` rolls everything back.
#[async_trait]
pub trait Transaction: Send {
    async fn get(&mut self, id: i64) -> Result<Option<RecordRow>, StorageError>;

    async fn list(&mut self, query: &RecordQuery) -> Result<Vec<RecordRow>, StorageError>;

    /// Reserves the id of a record about to be inserted.
    async fn next_record_id(&mut self) -> Result<i64, StorageError>;

    /// The chain head, locked until the transaction ends (`None` on an empty database).
    async fn chain_head(&mut self) -> Result<Option<ChainHead>, StorageError>;

    async fn insert_record(&mut self, row: &RecordRow) -> Result<(), StorageError>;

    /// Replaces the current row of an existing record (the projection; history is in the chain).
    async fn update_record(&mut self, row: &RecordRow) -> Result<(), StorageError>;

    async fn append_chain_entry(&mut self, entry: &ChainEntry) -> Result<(), StorageError>;

    /// Reserves `count` consecutive record ids that no other writer will be given, and returns
    /// the first. The reservation outlasts the transaction once it commits, so that a bulk load
    /// can number its records (and write paths and references with those numbers) before it
    /// writes them in later transactions.
    async fn reserve_record_ids(&mut self, count: u64) -> Result<i64, StorageError>;

    /// Inserts many new records and their chain entries at once (the trusted bulk path). Each
    /// database overrides this with multi-row statements; the default inserts one by one.
    async fn insert_many(
        &mut self,
        rows: &[RecordRow],
        entries: &[ChainEntry],
    ) -> Result<(), StorageError> {
        for row in rows {
            self.insert_record(row).await?;
        }
        for entry in entries {
            self.append_chain_entry(entry).await?;
        }
        Ok(())
    }

    async fn set_chain_head(&mut self, head: &ChainHead) -> Result<(), StorageError>;

    /// The record created earlier under this idempotency key, if any.
    async fn find_idempotency_key(&mut self, key: &str) -> Result<Option<i64>, StorageError>;

    async fn save_idempotency_key(
        &mut self,
        key: &str,
        record_id: i64,
        created_at: DateTime<Utc>,
    ) -> Result<(), StorageError>;

    async fn commit(self: Box<Self>) -> Result<(), StorageError>;

    /// Replaces what `member_postings_elsewhere` holds for one member: the branches (id, path) it
    /// was ever posted to whose path is not the one its record is kept under. Empty for a member
    /// deleted or posted to one branch only. Written with the member's version.
    async fn set_postings_elsewhere(
        &mut self,
        member_id: i64,
        branches: &[(i64, String)],
    ) -> Result<(), StorageError>;

    /// [`Backend::members_posted_within`], inside the transaction.
    async fn members_posted_within(&mut self, path: &str) -> Result<Vec<i64>, StorageError>;

    // Import batches and provenance (migration 8, `crate::imports`). The defaults, for stand-ins
    // in tests, keep none.

    /// Stores a new import batch and returns its id.
    async fn insert_import_batch(
        &mut self,
        batch: &crate::ImportBatch,
    ) -> Result<i64, StorageError> {
        let _ = batch;
        Err(no_imports())
    }

    /// Records which batch and spreadsheet row each record (id, row) came from.
    async fn insert_import_rows(
        &mut self,
        batch_id: i64,
        org_path: &str,
        rows: &[(i64, i64)],
    ) -> Result<(), StorageError> {
        let _ = (batch_id, org_path, rows);
        Err(no_imports())
    }

    /// Import batches, newest first.
    async fn import_batches(
        &mut self,
        limit: u32,
    ) -> Result<Vec<crate::ImportBatch>, StorageError> {
        let _ = limit;
        Err(no_imports())
    }

    /// The records a batch created, in spreadsheet-row order.
    async fn import_batch_records(
        &mut self,
        batch_id: i64,
    ) -> Result<Vec<crate::Provenance>, StorageError> {
        let _ = batch_id;
        Err(no_imports())
    }

    /// The batch and row a record came from.
    async fn record_provenance(
        &mut self,
        record_id: i64,
    ) -> Result<Option<crate::Provenance>, StorageError> {
        let _ = record_id;
        Err(no_imports())
    }

    async fn set_import_batch_rolled_back(
        &mut self,
        batch_id: i64,
        at: DateTime<Utc>,
        actor: &str,
        reason: &str,
    ) -> Result<(), StorageError> {
        let _ = (batch_id, at, actor, reason);
        Err(no_imports())
    }

    /// The current rows of these ids inside the transaction, deleted ones included, in no
    /// particular order; ids with no row are left out (the rollback of an import reads its
    /// records with this). Each database reads many per statement; the default reads one by one.
    async fn get_many(&mut self, ids: &[i64]) -> Result<Vec<RecordRow>, StorageError> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.extend(self.get(*id).await?);
        }
        Ok(rows)
    }

    /// Deletes many records at once (the rollback of an import): each row in `rows` is marked
    /// deleted with its `version` and `last_changed_at` as given (nothing else of it changes),
    /// a deleted member keeps no postings elsewhere, and `entries` (their deletion versions,
    /// already hash-chained) are appended. Every row must exist. Each database overrides this
    /// with multi-row statements; the default writes one by one. The caller sets the head.
    async fn delete_many(
        &mut self,
        rows: &[RecordRow],
        entries: &[ChainEntry],
    ) -> Result<(), StorageError> {
        for row in rows {
            self.update_record(row).await?;
            if row.kind == RecordKind::Member {
                self.set_postings_elsewhere(row.id, &[]).await?;
            }
        }
        for entry in entries {
            self.append_chain_entry(entry).await?;
        }
        Ok(())
    }
}

fn no_imports() -> StorageError {
    StorageError::Database("this backend keeps no import batches / 此存储未保存导入批次".into())
}
