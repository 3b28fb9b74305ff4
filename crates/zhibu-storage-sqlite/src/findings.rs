//! Stored findings and the postings index on SQLite (migration 5). Dates are `YYYY-MM-DD` text,
//! instants RFC 3339 text, as everywhere in this database.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, Sqlite};
use zhibu_core::engine::Finding;
use zhibu_storage::stored::{parse_status, status_text};
use zhibu_storage::{
    FindingCount, FindingFilter, FindingStore, FindingsState, Replace, StatusFilter, StorageError,
    StoredFinding, subtree_end, tenant_of,
};

use crate::{SqliteBackend, corrupt, date_text, instant_column, instant_text};

const DELETE_POSTINGS: &str = "DELETE FROM member_postings_elsewhere WHERE member_id = ?1";

const INSERT_POSTING: &str = "INSERT OR IGNORE INTO member_postings_elsewhere
(tenant_id, branch_path, branch_id, member_id) VALUES (?1, ?2, ?3, ?4)";

const POSTED_WITHIN: &str = "SELECT DISTINCT member_id FROM member_postings_elsewhere
WHERE branch_path >= ?1 AND branch_path < ?2";

const SELECT_STATE: &str =
    "SELECT tenant_id, year, generation, as_of, horizon_days, refreshed_at, branches
FROM stored_findings_state WHERE tenant_id = ?1 AND year = ?2";

const UPSERT_STATE: &str = "INSERT INTO stored_findings_state
(tenant_id, year, generation, as_of, horizon_days, refreshed_at, branches)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (tenant_id, year) DO UPDATE SET
generation = excluded.generation, as_of = excluded.as_of, horizon_days = excluded.horizon_days,
refreshed_at = excluded.refreshed_at, branches = excluded.branches";

const DELETE_ALL: &str = "DELETE FROM stored_findings WHERE tenant_id = ?1 AND year = ?2";

const DELETE_BRANCH: &str =
    "DELETE FROM stored_findings WHERE tenant_id = ?1 AND year = ?2 AND branch_path = ?3";

const FINDING_COLUMNS: &str = "(tenant_id, year, branch_path, ordinal, branch_id, org_id, finding_key, rule_id, month, status, exempted, title_zh, title_en, body)";

const FINDING_WIDTH: usize = 14;

/// 300 × 14 values per statement, well under SQLite's limit.
const FINDINGS_PER_STATEMENT: usize = 300;

const COUNT_FINDINGS: &str = "SELECT branch_path, month, rule_id, status, exempted, COUNT(*) AS n, MAX(title_zh) AS title_zh, MAX(title_en) AS title_en
FROM stored_findings
WHERE tenant_id = ?1 AND year = ?2 AND branch_path >= ?3 AND branch_path < ?4
GROUP BY branch_path, month, rule_id, status, exempted";

const LIST_FINDINGS: &str = "SELECT branch_path, branch_id, month, body
FROM stored_findings
WHERE tenant_id = ?1 AND year = ?2 AND branch_path >= ?3 AND branch_path < ?4
  AND (?5 IS NULL OR month = ?5)
  AND (?6 IS NULL OR rule_id = ?6)
  AND (?7 = 'all' OR (?7 = 'exempted' AND exempted = 1) OR (?7 = 'open' AND exempted = 0 AND status <> 'coming_due'))
ORDER BY branch_path, ordinal
LIMIT ?8";

pub(crate) async fn set_postings_elsewhere(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    member_id: i64,
    branches: &[(i64, String)],
) -> Result<(), StorageError> {
    sqlx::query(DELETE_POSTINGS)
        .bind(member_id)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    for (branch, path) in branches {
        sqlx::query(INSERT_POSTING)
            .bind(tenant_of(path).unwrap_or(0))
            .bind(path.as_str())
            .bind(*branch)
            .bind(member_id)
            .execute(&mut **tx)
            .await
            .map_err(StorageError::database)?;
    }
    Ok(())
}

pub(crate) async fn members_posted_within<'e>(
    executor: impl sqlx::Executor<'e, Database = Sqlite>,
    path: &str,
) -> Result<Vec<i64>, StorageError> {
    sqlx::query_scalar(POSTED_WITHIN)
        .bind(path)
        .bind(subtree_end(path))
        .fetch_all(executor)
        .await
        .map_err(StorageError::database)
}

fn decode_state(row: &SqliteRow) -> Result<FindingsState, StorageError> {
    let column = |name: &str| corrupt(0, name, "stored findings state");
    let as_of: String = row.try_get("as_of").map_err(|_| column("as_of"))?;
    Ok(FindingsState {
        tenant: row.try_get("tenant_id").map_err(|_| column("tenant_id"))?,
        year: row.try_get("year").map_err(|_| column("year"))?,
        generation: row
            .try_get("generation")
            .map_err(|_| column("generation"))?,
        as_of: NaiveDate::parse_from_str(&as_of, "%Y-%m-%d").map_err(|_| column("as_of"))?,
        horizon_days: row
            .try_get::<i64, _>("horizon_days")
            .map_err(|_| column("horizon_days"))? as u32,
        refreshed_at: instant_column(row, 0, "refreshed_at")?,
        branches: row.try_get("branches").map_err(|_| column("branches"))?,
    })
}

fn decode_finding(row: &SqliteRow) -> Result<StoredFinding, StorageError> {
    let column = |name: &str| corrupt(0, name, "stored finding");
    let body: String = row.try_get("body").map_err(|_| column("body"))?;
    let finding: Finding =
        serde_json::from_str(&body).map_err(|error| corrupt(0, "body", error))?;
    Ok(StoredFinding {
        branch_id: row.try_get("branch_id").map_err(|_| column("branch_id"))?,
        branch_path: row
            .try_get("branch_path")
            .map_err(|_| column("branch_path"))?,
        month: row
            .try_get::<i64, _>("month")
            .map_err(|_| column("month"))? as u32,
        finding,
    })
}

async fn insert_findings(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    state: &FindingsState,
    findings: &[StoredFinding],
) -> Result<(), StorageError> {
    // The ordinal is the finding's position within its branch, in the order given.
    let mut ordinals: Vec<i64> = Vec::with_capacity(findings.len());
    let mut last: Option<&str> = None;
    let mut next = 0;
    for finding in findings {
        if last != Some(finding.branch_path.as_str()) {
            next = 0;
            last = Some(finding.branch_path.as_str());
        }
        ordinals.push(next);
        next += 1;
    }
    let bodies: Vec<String> = findings
        .iter()
        .map(|finding| serde_json::to_string(&finding.finding).map_err(StorageError::database))
        .collect::<Result<_, _>>()?;
    for (chunk_index, chunk) in findings.chunks(FINDINGS_PER_STATEMENT).enumerate() {
        let sql = crate::multi_row_insert(
            "stored_findings",
            FINDING_COLUMNS,
            FINDING_WIDTH,
            chunk.len(),
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (offset, finding) in chunk.iter().enumerate() {
            let index = chunk_index * FINDINGS_PER_STATEMENT + offset;
            query = query
                .bind(state.tenant)
                .bind(state.year)
                .bind(finding.branch_path.clone())
                .bind(ordinals[index])
                .bind(finding.branch_id)
                .bind(finding.finding.org_id.0)
                .bind(finding.finding.key.clone())
                .bind(finding.finding.rule_id.clone())
                .bind(i64::from(finding.month))
                .bind(status_text(finding.finding.status))
                .bind(finding.finding.exemption.is_some())
                .bind(finding.finding.title_zh.clone())
                .bind(finding.finding.title_en.clone())
                .bind(bodies[index].clone());
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(StorageError::database)?;
    }
    Ok(())
}

#[async_trait]
impl FindingStore for SqliteBackend {
    async fn findings_state(
        &self,
        tenant: i64,
        year: i32,
    ) -> Result<Option<FindingsState>, StorageError> {
        let row = sqlx::query(SELECT_STATE)
            .bind(tenant)
            .bind(year)
            .fetch_optional(&self.pool)
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_state).transpose()
    }

    async fn store_findings(
        &self,
        state: &FindingsState,
        replace: Replace<'_>,
        findings: &[StoredFinding],
    ) -> Result<bool, StorageError> {
        // Queued behind this process's record writers; `BEGIN IMMEDIATE` keeps other processes out.
        let _writer = std::sync::Arc::clone(&self.writer).lock_owned().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StorageError::database)?;
        let stored = sqlx::query(SELECT_STATE)
            .bind(state.tenant)
            .bind(state.year)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StorageError::database)?
            .as_ref()
            .map(decode_state)
            .transpose()?;
        let allowed = match replace {
            Replace::All => stored.as_ref().is_none_or(|stored| {
                stored.as_of < state.as_of
                    || (stored.as_of == state.as_of && stored.generation <= state.generation)
            }),
            Replace::Branches {
                expected_generation,
                ..
            } => stored.as_ref().is_some_and(|stored| {
                stored.as_of == state.as_of
                    && stored.horizon_days == state.horizon_days
                    && stored.generation == expected_generation
            }),
        };
        if !allowed {
            return Ok(false);
        }
        match replace {
            Replace::All => {
                sqlx::query(DELETE_ALL)
                    .bind(state.tenant)
                    .bind(state.year)
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::database)?;
            }
            Replace::Branches { paths, .. } => {
                for path in paths {
                    sqlx::query(DELETE_BRANCH)
                        .bind(state.tenant)
                        .bind(state.year)
                        .bind(path.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(StorageError::database)?;
                }
            }
        }
        insert_findings(&mut tx, state, findings).await?;
        sqlx::query(UPSERT_STATE)
            .bind(state.tenant)
            .bind(state.year)
            .bind(state.generation)
            .bind(date_text(state.as_of))
            .bind(i64::from(state.horizon_days))
            .bind(instant_text(state.refreshed_at))
            .bind(state.branches)
            .execute(&mut *tx)
            .await
            .map_err(StorageError::database)?;
        tx.commit().await.map_err(StorageError::database)?;
        Ok(true)
    }

    async fn finding_counts(
        &self,
        tenant: i64,
        year: i32,
        path_from: &str,
        path_to: &str,
    ) -> Result<Vec<FindingCount>, StorageError> {
        let rows = sqlx::query(COUNT_FINDINGS)
            .bind(tenant)
            .bind(year)
            .bind(path_from)
            .bind(path_to)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter()
            .map(|row| {
                let column = |name: &str| corrupt(0, name, "stored finding counts");
                let status: String = row.try_get("status").map_err(|_| column("status"))?;
                Ok(FindingCount {
                    branch_path: row
                        .try_get("branch_path")
                        .map_err(|_| column("branch_path"))?,
                    month: row
                        .try_get::<i64, _>("month")
                        .map_err(|_| column("month"))? as u32,
                    rule_id: row.try_get("rule_id").map_err(|_| column("rule_id"))?,
                    status: parse_status(&status).ok_or_else(|| column("status"))?,
                    exempted: row.try_get("exempted").map_err(|_| column("exempted"))?,
                    count: row.try_get::<i64, _>("n").map_err(|_| column("n"))? as u64,
                    title_zh: row.try_get("title_zh").map_err(|_| column("title_zh"))?,
                    title_en: row.try_get("title_en").map_err(|_| column("title_en"))?,
                })
            })
            .collect()
    }

    async fn list_findings(
        &self,
        tenant: i64,
        year: i32,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, StorageError> {
        let status = match filter.status {
            StatusFilter::Open => "open",
            StatusFilter::Exempted => "exempted",
            StatusFilter::All => "all",
        };
        let rows = sqlx::query(LIST_FINDINGS)
            .bind(tenant)
            .bind(year)
            .bind(filter.path_from.as_str())
            .bind(filter.path_to.as_str())
            .bind(filter.month.map(i64::from))
            .bind(filter.rule.clone())
            .bind(status)
            .bind(i64::from(filter.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_finding).collect()
    }
}
