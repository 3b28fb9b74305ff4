//! Import batches and per-record provenance on PostgreSQL (migration 8).

use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};
use zhibu_storage::{ImportBatch, Provenance, StorageError, tenant_of};

use crate::corrupt;

const NEXT_BATCH_ID: &str = "SELECT COALESCE(MAX(id), 0) + 1 FROM import_batches";

const INSERT_BATCH: &str = "INSERT INTO import_batches
(id, tenant_id, kind, org_path, file_name, file_sha256, sheet, actor, created_at, record_count, first_seq, last_seq)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const BATCH_COLUMNS: &str = "id, kind, org_path, file_name, file_sha256, sheet, actor, created_at, record_count, first_seq, last_seq, rolled_back_at, rolled_back_by, rollback_reason";

/// Rows per multi-row INSERT: 4 values each, well under PostgreSQL's limit of 65535 parameters.
const ROWS_PER_STATEMENT: usize = 2_000;

const BATCH_RECORDS: &str = "SELECT record_id, row_number FROM import_rows WHERE batch_id = $1 ORDER BY row_number, record_id";

const RECORD_PROVENANCE: &str =
    "SELECT record_id, batch_id, row_number FROM import_rows WHERE record_id = $1";

const ROLLED_BACK: &str = "UPDATE import_batches SET rolled_back_at = $2, rolled_back_by = $3, rollback_reason = $4 WHERE id = $1";

fn batch_from(row: &PgRow) -> Result<ImportBatch, StorageError> {
    let id: i64 = row.try_get("id").map_err(|e| corrupt(0, "id", e))?;
    let text = |name: &str| -> Result<String, StorageError> {
        row.try_get(name).map_err(|e| corrupt(id, name, e))
    };
    let number = |name: &str| -> Result<i64, StorageError> {
        row.try_get(name).map_err(|e| corrupt(id, name, e))
    };
    Ok(ImportBatch {
        id,
        kind: text("kind")?,
        org_path: text("org_path")?,
        file_name: text("file_name")?,
        file_sha256: text("file_sha256")?,
        sheet: row.try_get("sheet").map_err(|e| corrupt(id, "sheet", e))?,
        actor: text("actor")?,
        created_at: row
            .try_get("created_at")
            .map_err(|e| corrupt(id, "created_at", e))?,
        record_count: number("record_count")?,
        first_seq: number("first_seq")?,
        last_seq: number("last_seq")?,
        rolled_back_at: row
            .try_get("rolled_back_at")
            .map_err(|e| corrupt(id, "rolled_back_at", e))?,
        rolled_back_by: row
            .try_get("rolled_back_by")
            .map_err(|e| corrupt(id, "rolled_back_by", e))?,
        rollback_reason: row
            .try_get("rollback_reason")
            .map_err(|e| corrupt(id, "rollback_reason", e))?,
    })
}

pub(crate) async fn insert_batch(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    batch: &ImportBatch,
) -> Result<i64, StorageError> {
    let id: i64 = sqlx::query_scalar(NEXT_BATCH_ID)
        .fetch_one(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    sqlx::query(INSERT_BATCH)
        .bind(id)
        .bind(tenant_of(&batch.org_path).unwrap_or(0))
        .bind(&batch.kind)
        .bind(&batch.org_path)
        .bind(&batch.file_name)
        .bind(&batch.file_sha256)
        .bind(&batch.sheet)
        .bind(&batch.actor)
        .bind(batch.created_at)
        .bind(batch.record_count)
        .bind(batch.first_seq)
        .bind(batch.last_seq)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    Ok(id)
}

pub(crate) async fn insert_rows(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    batch_id: i64,
    org_path: &str,
    rows: &[(i64, i64)],
) -> Result<(), StorageError> {
    let tenant = tenant_of(org_path).unwrap_or(0);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut builder = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO import_rows (tenant_id, record_id, batch_id, row_number) ",
        );
        builder.push_values(chunk, |mut values, (record_id, row_number)| {
            values
                .push_bind(tenant)
                .push_bind(*record_id)
                .push_bind(batch_id)
                .push_bind(*row_number);
        });
        builder
            .build()
            .execute(&mut **tx)
            .await
            .map_err(StorageError::database)?;
    }
    Ok(())
}

pub(crate) async fn batches(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    limit: u32,
) -> Result<Vec<ImportBatch>, StorageError> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM import_batches ORDER BY id DESC LIMIT $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(i64::from(limit))
        .fetch_all(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    rows.iter().map(batch_from).collect()
}

pub(crate) async fn batch_records(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    batch_id: i64,
) -> Result<Vec<Provenance>, StorageError> {
    let rows = sqlx::query(BATCH_RECORDS)
        .bind(batch_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    rows.iter()
        .map(|row| {
            Ok(Provenance {
                record_id: row
                    .try_get("record_id")
                    .map_err(|e| corrupt(0, "record_id", e))?,
                batch_id,
                row_number: row
                    .try_get("row_number")
                    .map_err(|e| corrupt(0, "row_number", e))?,
            })
        })
        .collect()
}

pub(crate) async fn record_provenance(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    record_id: i64,
) -> Result<Option<Provenance>, StorageError> {
    let row = sqlx::query(RECORD_PROVENANCE)
        .bind(record_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    row.map(|row| {
        Ok(Provenance {
            record_id,
            batch_id: row
                .try_get("batch_id")
                .map_err(|e| corrupt(record_id, "batch_id", e))?,
            row_number: row
                .try_get("row_number")
                .map_err(|e| corrupt(record_id, "row_number", e))?,
        })
    })
    .transpose()
}

pub(crate) async fn set_rolled_back(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    batch_id: i64,
    at: chrono::DateTime<chrono::Utc>,
    actor: &str,
    reason: &str,
) -> Result<(), StorageError> {
    sqlx::query(ROLLED_BACK)
        .bind(batch_id)
        .bind(at)
        .bind(actor)
        .bind(reason)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    Ok(())
}

// The rollback of an import, in bulk: a few statements per chunk of records instead of a few per
// record (100,000 deletions took 392 s one statement at a time).

/// Ids per statement when reading or deleting in bulk (arrays are bound whole).
const IDS_PER_STATEMENT: usize = 5_000;

const SELECT_RECORDS_FOR_ROLLBACK: &str = "SELECT id, kind, org_path, event_date, version, deleted, first_entered_at, last_changed_at, body
FROM records WHERE id = ANY($1)";

// Only what a deletion changes; the body, path and dates stay. Keyed by the table's primary key.
const MARK_DELETED_UNNEST: &str = "UPDATE records AS r
SET version = v.version, deleted = TRUE, last_changed_at = v.at
FROM UNNEST($1::bigint[], $2::bigint[], $3::int[], $4::timestamptz[]) AS v(tenant_id, id, version, at)
WHERE r.tenant_id = v.tenant_id AND r.id = v.id";

const DELETE_POSTINGS_OF: &str = "DELETE FROM member_postings_elsewhere WHERE member_id = ANY($1)";

pub(crate) async fn get_many(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    ids: &[i64],
) -> Result<Vec<zhibu_storage::RecordRow>, StorageError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = sqlx::query(SELECT_RECORDS_FOR_ROLLBACK)
            .bind(chunk)
            .fetch_all(&mut **tx)
            .await
            .map_err(StorageError::database)?;
        for row in &rows {
            found.push(crate::decode_record(row)?);
        }
    }
    Ok(found)
}

/// Marks `rows` deleted (their version and last change as given) and clears the postings
/// elsewhere of the members among them. The chain entries are written by the caller.
pub(crate) async fn mark_deleted(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    rows: &[zhibu_storage::RecordRow],
) -> Result<(), StorageError> {
    for chunk in rows.chunks(IDS_PER_STATEMENT) {
        let tenants = chunk
            .iter()
            .map(|row| crate::tenant(&row.org_path))
            .collect::<Result<Vec<_>, _>>()?;
        let result = sqlx::query(MARK_DELETED_UNNEST)
            .bind(tenants)
            .bind(chunk.iter().map(|row| row.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|row| row.version).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|row| row.last_changed_at)
                    .collect::<Vec<_>>(),
            )
            .execute(&mut **tx)
            .await
            .map_err(StorageError::database)?;
        if result.rows_affected() != chunk.len() as u64 {
            // Every row was read in this transaction; one that is not there now is missing.
            let first = chunk.first().map_or(0, |row| row.id);
            return Err(corrupt(
                first,
                "records",
                format!(
                    "{} of {} rows to delete were not found / 待删除的 {} 行中有 {} 行未找到",
                    (chunk.len() as u64).abs_diff(result.rows_affected()),
                    chunk.len(),
                    chunk.len(),
                    (chunk.len() as u64).abs_diff(result.rows_affected())
                ),
            ));
        }
        let members: Vec<i64> = chunk
            .iter()
            .filter(|row| row.kind == zhibu_core::RecordKind::Member)
            .map(|row| row.id)
            .collect();
        if !members.is_empty() {
            sqlx::query(DELETE_POSTINGS_OF)
                .bind(members)
                .execute(&mut **tx)
                .await
                .map_err(StorageError::database)?;
        }
    }
    Ok(())
}
