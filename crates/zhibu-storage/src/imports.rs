//! Import batches and per-record provenance (migration 8), and the write side of a spreadsheet
//! import: an already-validated batch is written in ONE transaction through the same multi-row
//! path as [`Repository::bulk_load`] (each record chained exactly as `create` chains it, personal
//! fields sealed), together with its batch row and one provenance row per record (batch and
//! spreadsheet row). The latest batch can be rolled back: every record it created gets a deletion
//! version in the chain with the reason, unless one of them, or anything else in the batch's
//! subtree, has been written since — then the rollback is refused, naming what changed.
//!
//! Reading and checking the spreadsheet is the `zhibu-import` crate's business; this module only
//! trusts what it is given, after that crate's validation.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use zhibu_core::{ChangeOperation, FieldError, RecordKind, ValidationErrors};

use crate::hashing::{GENESIS_HASH, version_hash};
use crate::sealing::{may_hold_sealed, stored_index};
use crate::{
    ChainEntry, ChainHead, RecordQuery, RecordRow, Repository, StorageError, TrustedRecord,
};

/// One import batch as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportBatch {
    pub id: i64,
    /// What was imported: `roster`.
    pub kind: String,
    /// The subtree the batch was imported into (the branch's or the org's path).
    pub org_path: String,
    pub file_name: String,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: String,
    pub sheet: Option<String>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub record_count: i64,
    /// The chain positions of the batch's first and last version.
    pub first_seq: i64,
    pub last_seq: i64,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub rolled_back_by: Option<String>,
    pub rollback_reason: Option<String>,
}

/// Where an imported record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub record_id: i64,
    pub batch_id: i64,
    /// The spreadsheet row (1 is the first row of the sheet, the heading row included).
    pub row_number: i64,
}

/// A batch about to be written.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub kind: String,
    pub org_path: String,
    pub file_name: String,
    pub file_sha256: String,
    pub sheet: Option<String>,
    pub actor: String,
    /// The records, each with the spreadsheet row it came from. Ids come from
    /// [`Repository::reserve_record_ids`].
    pub records: Vec<(TrustedRecord, i64)>,
}

/// Progress of a write, for a progress bar: how many records have been written so far.
pub trait ImportProgress: Send + Sync {
    fn written(&self, count: usize);
}

impl ImportProgress for () {
    fn written(&self, _count: usize) {}
}

/// Records written per multi-row statement batch.
const WRITE_CHUNK: usize = 2_000;

/// Records read and deleted per round of a rollback.
const ROLLBACK_CHUNK: usize = 2_000;

/// Who or what was changed since a batch, when a rollback is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedSince {
    pub record_id: i64,
    pub kind: RecordKind,
    pub version: i32,
    pub operation: ChangeOperation,
    /// The name in the record, when it has one (a member's name).
    pub name: Option<String>,
    /// Whether the record belongs to the batch (amended/deleted) or was written later in the
    /// batch's subtree.
    pub in_batch: bool,
}

fn refused(code: &str, zh: String, en: String) -> StorageError {
    StorageError::Invalid(ValidationErrors::single(FieldError::new(
        "batch", code, zh, en,
    )))
}

fn name_in(body: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

impl Repository {
    /// Writes a validated import in one transaction: the records (chained as `create` chains
    /// them, personal fields sealed), the batch and each record's provenance. All or nothing.
    pub async fn import_load(
        &self,
        import: &NewImport,
        progress: &dyn ImportProgress,
    ) -> Result<ImportBatch, StorageError> {
        if import.actor.trim().is_empty() {
            return Err(StorageError::Invalid(ValidationErrors::single(
                FieldError::new("actor", "required", "须注明操作人", "the actor is required"),
            )));
        }
        if import.records.is_empty() {
            return Err(refused(
                "empty",
                "文件中没有可导入的记录".into(),
                "the file holds no records to import".into(),
            ));
        }
        let created_at = self.now().trunc_subsecs(6);
        // Seal the personal fields first, on every core: it needs no database.
        let bodies = self.seal_all(&import.records)?;
        let mut tx = self.backend().begin().await?;
        let mut head = tx.chain_head().await?;
        let first_seq = head.as_ref().map_or(1, |head| head.seq + 1);
        let mut written = 0usize;
        let mut bodies = bodies.into_iter();
        for chunk in import.records.chunks(WRITE_CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            let mut entries = Vec::with_capacity(chunk.len());
            for ((record, _), body) in chunk.iter().zip(bodies.by_ref()) {
                let entered_at = record.entered_at.trunc_subsecs(6);
                let row = RecordRow {
                    id: record.id,
                    kind: record.kind,
                    org_path: record.org_path.clone(),
                    event_date: record.event_date,
                    version: 1,
                    deleted: false,
                    first_entered_at: entered_at,
                    last_changed_at: entered_at,
                    body,
                };
                let (seq, previous_hash) = match &head {
                    Some(head) => (head.seq + 1, head.hash.clone()),
                    None => (1, GENESIS_HASH.to_string()),
                };
                let mut entry = ChainEntry {
                    seq,
                    record_id: row.id,
                    kind: row.kind,
                    version: 1,
                    operation: ChangeOperation::Create,
                    org_path: row.org_path.clone(),
                    event_date: row.event_date,
                    entered_at,
                    actor: import.actor.clone(),
                    reason: None,
                    body: row.body.clone(),
                    previous_hash,
                    hash: String::new(),
                };
                entry.hash = version_hash(&entry);
                head = Some(ChainHead {
                    seq,
                    hash: entry.hash.clone(),
                });
                rows.push(row);
                entries.push(entry);
            }
            tx.insert_many(&rows, &entries).await?;
            written += chunk.len();
            progress.written(written);
        }
        let last_seq = head.as_ref().map_or(0, |head| head.seq);
        let mut batch = ImportBatch {
            id: 0,
            kind: import.kind.clone(),
            org_path: import.org_path.clone(),
            file_name: import.file_name.clone(),
            file_sha256: import.file_sha256.clone(),
            sheet: import.sheet.clone(),
            actor: import.actor.clone(),
            created_at,
            record_count: import.records.len() as i64,
            first_seq,
            last_seq,
            rolled_back_at: None,
            rolled_back_by: None,
            rollback_reason: None,
        };
        batch.id = tx.insert_import_batch(&batch).await?;
        let provenance: Vec<(i64, i64)> = import
            .records
            .iter()
            .map(|(record, row)| (record.id, *row))
            .collect();
        tx.insert_import_rows(batch.id, &batch.org_path, &provenance)
            .await?;
        if let Some(head) = &head {
            tx.set_chain_head(head).await?;
        }
        tx.commit().await?;
        Ok(batch)
    }

    /// The records' bodies with their personal fields sealed, in order, computed in parallel.
    fn seal_all(&self, records: &[(TrustedRecord, i64)]) -> Result<Vec<String>, StorageError> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let part = records.len().div_ceil(threads).max(1);
        let parts: Vec<Result<Vec<String>, StorageError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = records
                .chunks(part)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|(record, _)| {
                                self.seal_text(record.personal_fields, record.body.clone())
                            })
                            .collect::<Result<Vec<String>, StorageError>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a sealing thread panicked"))
                .collect()
        });
        let mut bodies = Vec::with_capacity(records.len());
        for part in parts {
            bodies.extend(part?);
        }
        Ok(bodies)
    }

    /// Import batches, newest first.
    pub async fn import_batches(&self, limit: u32) -> Result<Vec<ImportBatch>, StorageError> {
        let mut tx = self.backend().begin().await?;
        let batches = tx.import_batches(limit).await?;
        // Ended here and now, not on drop: a dropped transaction is rolled back only when its
        // connection goes back to the pool, and until then it holds the chain head's lock (a
        // short-lived repository's pool may never take it back, and the next writer waits forever).
        tx.commit().await?;
        Ok(batches)
    }

    /// The batch and spreadsheet row a record was imported from, if it was.
    pub async fn provenance(&self, record_id: i64) -> Result<Option<Provenance>, StorageError> {
        let mut tx = self.backend().begin().await?;
        let found = tx.record_provenance(record_id).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// The blind indexes of a personal field among the current members (or other records of
    /// `kind`), with the record id and name: for finding duplicates (ID numbers) without opening
    /// anything.
    pub async fn personal_indexes(
        &self,
        kind: RecordKind,
        field: &str,
    ) -> Result<HashMap<String, (i64, Option<String>)>, StorageError> {
        let mut found = HashMap::new();
        let mut after = None;
        loop {
            let query = RecordQuery {
                after_id: after,
                limit: Some(5_000),
                ..RecordQuery::all(kind)
            };
            let rows = self.backend().list(&query).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            for row in &rows {
                if !may_hold_sealed(&row.body) {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
                        id: row.id,
                        message: error.to_string(),
                    })?;
                if let Some(index) = stored_index(&value, field) {
                    let name = value
                        .get("name")
                        .and_then(|n| n.as_str())
                        .map(str::to_string);
                    found.insert(index, (row.id, name));
                }
            }
        }
        Ok(found)
    }

    /// Rolls back the latest batch not yet rolled back: a deletion version (with `reason`) for
    /// every record it created, in one transaction. Refused, naming them, if any of its records
    /// has been amended or deleted since, or if anything else was written in its subtree since.
    pub async fn rollback_latest_import(
        &self,
        actor: &str,
        reason: &str,
    ) -> Result<ImportBatch, StorageError> {
        if actor.trim().is_empty() {
            return Err(StorageError::Invalid(ValidationErrors::single(
                FieldError::new("actor", "required", "须注明操作人", "the actor is required"),
            )));
        }
        if reason.trim().is_empty() {
            return Err(StorageError::Invalid(ValidationErrors::single(
                FieldError::new(
                    "reason",
                    "required",
                    "撤销导入须说明理由",
                    "rolling back an import needs a reason",
                ),
            )));
        }
        // What was written after the batch, read before the write lock is taken (a SQLite
        // database kept in memory has one connection); the head is compared under the lock.
        let batches = self.import_batches(50).await?;
        let Some(batch) = batches
            .into_iter()
            .find(|batch| batch.rolled_back_at.is_none())
        else {
            return Err(refused(
                "no_batch",
                "没有可撤销的导入批次".into(),
                "there is no import batch to roll back".into(),
            ));
        };
        let head_seen = self.backend().chain_head().await?;
        let mut later = Vec::new();
        let mut after = batch.last_seq;
        loop {
            let entries = self.backend().chain_entries(after, 5_000).await?;
            let Some(last) = entries.last() else { break };
            after = last.seq;
            later.extend(
                entries
                    .into_iter()
                    .filter(|entry| entry.org_path.starts_with(&batch.org_path)),
            );
        }
        let mut tx = self.backend().begin().await?;
        let mut head = tx.chain_head().await?;
        if head != head_seen {
            return Err(refused(
                "busy",
                "撤销期间有新的记录写入，请重试".into(),
                "records were written while the rollback was prepared; try again".into(),
            ));
        }
        let records = tx.import_batch_records(batch.id).await?;
        let in_batch: HashSet<i64> = records.iter().map(|p| p.record_id).collect();
        let mut changed: Vec<ChangedSince> = later
            .iter()
            .map(|entry| ChangedSince {
                record_id: entry.record_id,
                kind: entry.kind,
                version: entry.version,
                operation: entry.operation,
                name: name_in(&entry.body),
                in_batch: in_batch.contains(&entry.record_id),
            })
            .collect();
        changed.dedup_by_key(|c| c.record_id);
        if !changed.is_empty() {
            let shown: Vec<String> = changed
                .iter()
                .take(10)
                .map(|c| {
                    format!(
                        "{} {}{}（第{}版，{}）",
                        c.kind.name_zh(),
                        c.record_id,
                        c.name
                            .as_deref()
                            .map(|n| format!(" {n}"))
                            .unwrap_or_default(),
                        c.version,
                        match (c.in_batch, c.operation) {
                            (true, ChangeOperation::Delete) => "本批导入后已删除",
                            (true, _) => "本批导入后已修改",
                            (false, _) => "导入后新写入的记录",
                        }
                    )
                })
                .collect();
            let shown_en: Vec<String> = changed
                .iter()
                .take(10)
                .map(|c| {
                    format!(
                        "{} {}{} (version {}, {})",
                        c.kind.name_en(),
                        c.record_id,
                        c.name
                            .as_deref()
                            .map(|n| format!(" {n}"))
                            .unwrap_or_default(),
                        c.version,
                        match (c.in_batch, c.operation) {
                            (true, ChangeOperation::Delete) => "deleted since the import",
                            (true, _) => "amended since the import",
                            (false, _) => "written after the import",
                        }
                    )
                })
                .collect();
            let more = changed.len().saturating_sub(10);
            return Err(refused(
                "changed_since",
                format!(
                    "导入批次 {} 之后已有变化，不能撤销：{}{}",
                    batch.id,
                    shown.join("；"),
                    if more > 0 {
                        format!("；另有{more}条")
                    } else {
                        String::new()
                    }
                ),
                format!(
                    "import batch {} cannot be rolled back, things changed since: {}{}",
                    batch.id,
                    shown_en.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        // The deletions are computed here and written in chunks of multi-row statements; each
        // version is chained exactly as a one-by-one `delete` would chain it (same order: the
        // batch's spreadsheet rows; same bodies, reasons and instants), and the head is set once.
        let entered_at = self.now().trunc_subsecs(6);
        for chunk in records.chunks(ROLLBACK_CHUNK) {
            let ids: Vec<i64> = chunk.iter().map(|p| p.record_id).collect();
            let mut current: HashMap<i64, RecordRow> = tx
                .get_many(&ids)
                .await?
                .into_iter()
                .map(|row| (row.id, row))
                .collect();
            let mut rows = Vec::with_capacity(chunk.len());
            let mut entries = Vec::with_capacity(chunk.len());
            for provenance in chunk {
                let Some(current) = current.remove(&provenance.record_id) else {
                    continue;
                };
                if current.deleted || current.version != 1 {
                    // The chain said nothing changed; a row that disagrees is for `verify` to
                    // report.
                    return Err(StorageError::Corrupt {
                        id: current.id,
                        message: "the record's row disagrees with the chain".into(),
                    });
                }
                let row = RecordRow {
                    version: current.version + 1,
                    deleted: true,
                    last_changed_at: entered_at,
                    ..current
                };
                let (seq, previous_hash) = match &head {
                    Some(head) => (head.seq + 1, head.hash.clone()),
                    None => (1, GENESIS_HASH.to_string()),
                };
                let mut entry = ChainEntry {
                    seq,
                    record_id: row.id,
                    kind: row.kind,
                    version: row.version,
                    operation: ChangeOperation::Delete,
                    org_path: row.org_path.clone(),
                    event_date: row.event_date,
                    entered_at,
                    actor: actor.to_string(),
                    reason: Some(format!(
                        "撤销导入批次 {}（第{}行）：{reason} / rollback of import batch {} (row {}): {reason}",
                        batch.id, provenance.row_number, batch.id, provenance.row_number
                    )),
                    body: row.body.clone(),
                    previous_hash,
                    hash: String::new(),
                };
                entry.hash = version_hash(&entry);
                head = Some(ChainHead {
                    seq,
                    hash: entry.hash.clone(),
                });
                rows.push(row);
                entries.push(entry);
            }
            tx.delete_many(&rows, &entries).await?;
        }
        if let Some(head) = &head {
            tx.set_chain_head(head).await?;
        }
        tx.set_import_batch_rolled_back(batch.id, entered_at, actor, reason)
            .await?;
        tx.commit().await?;
        Ok(ImportBatch {
            rolled_back_at: Some(entered_at),
            rolled_back_by: Some(actor.to_string()),
            rollback_reason: Some(reason.to_string()),
            ..batch
        })
    }
}
