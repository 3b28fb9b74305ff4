//! The audit log: every sign-in (and failed attempt), every change, exemption and export, and the
//! account work of administrators. Handlers call [`audit`]; administrators search it through
//! `GET /api/v1/audit` (and the page the pages engineer builds on it).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhibu_core::calendar::china_standard_time;
use zhibu_storage::{AuditEntry, AuditQuery, NewAuditEntry};

use super::Principal;
use super::policy::{Access, Action, Area};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// What an audit entry is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditTarget {
    pub kind: Option<String>,
    pub id: Option<i64>,
    /// The org path of the target, so that entries can be found by subtree.
    pub org_path: Option<String>,
}

impl AuditTarget {
    pub fn none() -> AuditTarget {
        AuditTarget::default()
    }

    /// A record of `kind` with `id`, kept under `org_path`.
    pub fn record(kind: &str, id: i64, org_path: &str) -> AuditTarget {
        AuditTarget {
            kind: Some(kind.to_string()),
            id: Some(id),
            org_path: Some(org_path.to_string()),
        }
    }

    pub fn account(id: i64) -> AuditTarget {
        AuditTarget {
            kind: Some("account".to_string()),
            id: Some(id),
            org_path: None,
        }
    }

    /// An org's subtree as a whole (a report, an export).
    pub fn subtree(org_id: i64, org_path: &str) -> AuditTarget {
        AuditTarget::record("org", org_id, org_path)
    }
}

/// Appends one entry to the audit log: who (`principal`, or nobody for a failed sign-in), what
/// (`action`, e.g. `sign_in`, `create`, `export`), on what, and `detail` (a JSON object).
///
/// Called after the action succeeded. If the entry cannot be written the caller gets
/// [`ApiError::AuditFailed`], which tells the person that the action happened but was not logged.
pub async fn audit(
    state: &AppState,
    principal: Option<&Principal>,
    action: &str,
    target: AuditTarget,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let entry = NewAuditEntry {
        at: state.repository.now(),
        account_id: principal.map(|principal| principal.account_id),
        login: principal.map(|principal| principal.login.clone()),
        action: action.to_string(),
        target_kind: target.kind,
        target_id: target.id,
        org_path: target.org_path,
        detail: detail.to_string(),
        ip: principal.and_then(|principal| principal.ip.clone()),
    };
    append(state, &entry).await
}

/// Appends an entry built by the caller (sign-in failures, where there is no principal but there
/// is a login and an address).
pub(crate) async fn append(state: &AppState, entry: &NewAuditEntry) -> Result<(), ApiError> {
    match state.repository.accounts().append_audit(entry).await {
        Ok(_) => Ok(()),
        Err(error) => {
            tracing::error!(%error, action = %entry.action, "an audit entry could not be written");
            Err(ApiError::AuditFailed)
        }
    }
}

/// A search of the audit log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries of this login.
    pub login: Option<String>,
    /// Only entries of this action (`sign_in`, `sign_in_failed`, `create`, `amend`, `delete`,
    /// `export`, `password_change`, `password_reset`…).
    pub action: Option<String>,
    /// Only entries on or after this day (China time), `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Only entries on or before this day (China time), `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// Only entries about this org's subtree.
    pub org: Option<i64>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 500; 100 if not given.
    pub limit: Option<u32>,
}

/// One audit entry as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub login: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub org_path: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; `null` on the last page.
    pub next_before: Option<i64>,
}

fn view(entry: AuditEntry) -> AuditEntryView {
    // The detail was written by us as JSON; if it no longer parses, show it as text rather than
    // hide the entry.
    let detail =
        serde_json::from_str(&entry.detail).unwrap_or(serde_json::Value::String(entry.detail));
    AuditEntryView {
        id: entry.id,
        at: entry.at,
        account_id: entry.account_id,
        login: entry.login,
        action: entry.action,
        target_kind: entry.target_kind,
        target_id: entry.target_id,
        org_path: entry.org_path,
        detail,
        ip: entry.ip,
    }
}

/// The start of a China calendar day, as a UTC instant.
fn china_midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    china_standard_time()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|instant| instant.with_timezone(&Utc))
}

/// Searches the audit log (administrators only).
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    operation_id = "search_audit",
    summary = "审计日志 / search the audit log",
    params(AuditParams),
    responses(
        (status = 200, description = "One page, newest first", body = AuditPage),
        (status = 400, description = "A bad query parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    ),
)]
pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    if principal.allows(Area::Audit, Action::Read) == Access::Denied {
        return Err(ApiError::forbidden_role(&principal));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::malformed_field(
            "limit",
            "out_of_range",
            "每页条数须在1至500之间",
            "limit must be between 1 and 500",
        ));
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(ApiError::malformed_field(
            "to",
            "before_from",
            "截止日期早于起始日期",
            "`to` is before `from`",
        ));
    }
    let path_prefix = match params.org {
        Some(org) => Some(
            state
                .repository
                .org_path(zhibu_core::OrgId(org))
                .await
                .map_err(|error| match error {
                    zhibu_storage::StorageError::NotFound { .. } => ApiError::malformed_field(
                        "org",
                        "unknown_org",
                        format!("党组织{org}不存在"),
                        format!("organization {org} does not exist"),
                    ),
                    other => other.into(),
                })?,
        ),
        None => None,
    };
    let query = AuditQuery {
        login: params.login.map(|login| login.trim().to_lowercase()),
        action: params.action,
        from: params.from.and_then(china_midnight),
        until: params
            .to
            .and_then(|to| to.succ_opt())
            .and_then(china_midnight),
        path_prefix,
        before_id: params.before,
        limit: limit + 1,
    };
    let mut entries = state.repository.accounts().search_audit(&query).await?;
    let has_more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_before = if has_more {
        entries.last().map(|entry| entry.id)
    } else {
        None
    };
    Ok(Json(AuditPage {
        items: entries.into_iter().map(view).collect(),
        next_before,
    }))
}
