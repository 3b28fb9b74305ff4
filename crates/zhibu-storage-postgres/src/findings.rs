//! Stored findings and the postings index on PostgreSQL (migration 5). Every query names the
//! tenant, as the record tables' queries do (docs/SCALING.md).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgRow;
use zhibu_core::engine::Finding;
use zhibu_storage::stored::{parse_status, status_text};
use zhibu_storage::{
    FindingCount, FindingFilter, FindingStore, FindingsState, Replace, StatusFilter, StorageError,
    StoredFinding, subtree_end, tenant_of,
};

use crate::{PostgresBackend, column, corrupt};

const DELETE_POSTINGS: &str = "DELETE FROM member_postings_elsewhere WHERE member_id = $1";

const INSERT_POSTINGS: &str =
    "INSERT INTO member_postings_elsewhere (tenant_id, branch_path, branch_id, member_id)
SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
ON CONFLICT DO NOTHING";

const POSTED_WITHIN: &str = "SELECT DISTINCT member_id FROM member_postings_elsewhere
WHERE tenant_id = $1 AND branch_path ~>=~ $2 AND branch_path ~<~ $3";

/// One writer of a tenant's stored findings at a time, across servers (the first key spells
/// "find" in ASCII).
const LOCK_TENANT: &str = "SELECT pg_advisory_xact_lock(1718185572, ($1 % 2147483647)::integer)";

const SELECT_STATE: &str =
    "SELECT tenant_id, year, generation, as_of, horizon_days, refreshed_at, branches
FROM stored_findings_state WHERE tenant_id = $1 AND year = $2";

const UPSERT_STATE: &str = "INSERT INTO stored_findings_state
(tenant_id, year, generation, as_of, horizon_days, refreshed_at, branches)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, year) DO UPDATE SET
generation = excluded.generation, as_of = excluded.as_of, horizon_days = excluded.horizon_days,
refreshed_at = excluded.refreshed_at, branches = excluded.branches";

const DELETE_ALL: &str = "DELETE FROM stored_findings WHERE tenant_id = $1 AND year = $2";

const DELETE_BRANCHES: &str =
    "DELETE FROM stored_findings WHERE tenant_id = $1 AND year = $2 AND branch_path = ANY($3)";

const INSERT_FINDINGS: &str = "INSERT INTO stored_findings
(tenant_id, year, branch_path, ordinal, branch_id, org_id, finding_key, rule_id, month, status, exempted, title_zh, title_en, body)
SELECT $1, $2, * FROM UNNEST($3::text[], $4::integer[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::integer[], $10::text[], $11::boolean[], $12::text[], $13::text[], $14::text[])";

const COUNT_FINDINGS: &str = "SELECT branch_path, month, rule_id, status, exempted, COUNT(*) AS n, MAX(title_zh) AS title_zh, MAX(title_en) AS title_en
FROM stored_findings
WHERE tenant_id = $1 AND year = $2 AND branch_path ~>=~ $3 AND branch_path ~<~ $4
GROUP BY branch_path, month, rule_id, status, exempted";

const LIST_FINDINGS: &str = "SELECT branch_path, branch_id, month, body
FROM stored_findings
WHERE tenant_id = $1 AND year = $2 AND branch_path ~>=~ $3 AND branch_path ~<~ $4
  AND ($5::integer IS NULL OR month = $5)
  AND ($6::text IS NULL OR rule_id = $6)
  AND ($7 = 'all' OR ($7 = 'exempted' AND exempted) OR ($7 = 'open' AND NOT exempted AND status <> 'coming_due'))
ORDER BY branch_path COLLATE \"C\", ordinal
LIMIT $8";

pub(crate) async fn set_postings_elsewhere(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    member_id: i64,
    branches: &[(i64, String)],
) -> Result<(), StorageError> {
    sqlx::query(DELETE_POSTINGS)
        .bind(member_id)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    if branches.is_empty() {
        return Ok(());
    }
    let tenants: Vec<i64> = branches
        .iter()
        .map(|(_, path)| tenant_of(path).unwrap_or(0))
        .collect();
    let paths: Vec<String> = branches.iter().map(|(_, path)| path.clone()).collect();
    let ids: Vec<i64> = branches.iter().map(|(id, _)| *id).collect();
    let members: Vec<i64> = vec![member_id; branches.len()];
    sqlx::query(INSERT_POSTINGS)
        .bind(tenants)
        .bind(paths)
        .bind(ids)
        .bind(members)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    Ok(())
}

pub(crate) async fn members_posted_within<'e>(
    executor: impl sqlx::Executor<'e, Database = Postgres>,
    path: &str,
) -> Result<Vec<i64>, StorageError> {
    let Some(tenant) = tenant_of(path) else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar(POSTED_WITHIN)
        .bind(tenant)
        .bind(path)
        .bind(subtree_end(path))
        .fetch_all(executor)
        .await
        .map_err(StorageError::database)
}

fn decode_state(row: &PgRow) -> Result<FindingsState, StorageError> {
    Ok(FindingsState {
        tenant: column(row, 0, "tenant_id")?,
        year: column(row, 0, "year")?,
        generation: column(row, 0, "generation")?,
        as_of: column::<NaiveDate>(row, 0, "as_of")?,
        horizon_days: column::<i32>(row, 0, "horizon_days")? as u32,
        refreshed_at: column::<DateTime<Utc>>(row, 0, "refreshed_at")?,
        branches: column(row, 0, "branches")?,
    })
}

fn decode_finding(row: &PgRow) -> Result<StoredFinding, StorageError> {
    let body: String = column(row, 0, "body")?;
    let finding: Finding =
        serde_json::from_str(&body).map_err(|error| corrupt(0, "stored_findings.body", error))?;
    Ok(StoredFinding {
        branch_id: column(row, 0, "branch_id")?,
        branch_path: column(row, 0, "branch_path")?,
        month: column::<i32>(row, 0, "month")? as u32,
        finding,
    })
}

async fn insert_findings(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    state: &FindingsState,
    findings: &[StoredFinding],
) -> Result<(), StorageError> {
    if findings.is_empty() {
        return Ok(());
    }
    let mut ordinals: Vec<i32> = Vec::with_capacity(findings.len());
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
    let texts =
        |pick: fn(&StoredFinding) -> String| -> Vec<String> { findings.iter().map(pick).collect() };
    sqlx::query(INSERT_FINDINGS)
        .bind(state.tenant)
        .bind(state.year)
        .bind(texts(|finding| finding.branch_path.clone()))
        .bind(ordinals)
        .bind(
            findings
                .iter()
                .map(|finding| finding.branch_id)
                .collect::<Vec<i64>>(),
        )
        .bind(
            findings
                .iter()
                .map(|finding| finding.finding.org_id.0)
                .collect::<Vec<i64>>(),
        )
        .bind(texts(|finding| finding.finding.key.clone()))
        .bind(texts(|finding| finding.finding.rule_id.clone()))
        .bind(
            findings
                .iter()
                .map(|finding| finding.month as i32)
                .collect::<Vec<i32>>(),
        )
        .bind(texts(|finding| {
            status_text(finding.finding.status).to_string()
        }))
        .bind(
            findings
                .iter()
                .map(|finding| finding.finding.exemption.is_some())
                .collect::<Vec<bool>>(),
        )
        .bind(texts(|finding| finding.finding.title_zh.clone()))
        .bind(texts(|finding| finding.finding.title_en.clone()))
        .bind(bodies)
        .execute(&mut **tx)
        .await
        .map_err(StorageError::database)?;
    Ok(())
}

#[async_trait]
impl FindingStore for PostgresBackend {
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
        let mut tx = self.pool.begin().await.map_err(StorageError::database)?;
        sqlx::query(LOCK_TENANT)
            .bind(state.tenant)
            .execute(&mut *tx)
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
                sqlx::query(DELETE_BRANCHES)
                    .bind(state.tenant)
                    .bind(state.year)
                    .bind(paths.to_vec())
                    .execute(&mut *tx)
                    .await
                    .map_err(StorageError::database)?;
            }
        }
        insert_findings(&mut tx, state, findings).await?;
        sqlx::query(UPSERT_STATE)
            .bind(state.tenant)
            .bind(state.year)
            .bind(state.generation)
            .bind(state.as_of)
            .bind(state.horizon_days as i32)
            .bind(state.refreshed_at)
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
                let status: String = column(row, 0, "status")?;
                Ok(FindingCount {
                    branch_path: column(row, 0, "branch_path")?,
                    month: column::<i32>(row, 0, "month")? as u32,
                    rule_id: column(row, 0, "rule_id")?,
                    status: parse_status(&status)
                        .ok_or_else(|| corrupt(0, "stored_findings.status", status.clone()))?,
                    exempted: column(row, 0, "exempted")?,
                    count: column::<i64>(row, 0, "n")? as u64,
                    title_zh: column(row, 0, "title_zh")?,
                    title_en: column(row, 0, "title_en")?,
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
            .bind(filter.month.map(|month| month as i32))
            .bind(filter.rule.clone())
            .bind(status)
            .bind(i64::from(filter.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_finding).collect()
    }
}
