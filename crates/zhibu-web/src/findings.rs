//! `GET /api/v1/findings`: runs the compliance engine over an organization's subtree.
//!
//! This handler is the engine's only caller on the web side, and it is where "today" comes from:
//! the engine never reads the clock, so the handler passes `AppState::today` (the date in China,
//! or a fixed date in tests).

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use utoipa::IntoParams;
use zhibu_core::OrgId;
use zhibu_core::engine::{self, EvaluationRequest, FindingStatus, Report, Snapshot};
use zhibu_core::rules::LocalRuleAction;
use zhibu_storage::StorageError;

use crate::AppState;
use crate::auth::{Access, Action, Area, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// How far ahead duties are reported as coming due when the caller does not say.
pub const DEFAULT_HORIZON_DAYS: u32 = 30;
/// The longest horizon accepted: a year ahead is the furthest any duty is planned.
pub const MAX_HORIZON_DAYS: u32 = 366;

/// The question asked of the engine.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingsParams {
    /// The organization whose subtree is evaluated.
    pub org: i64,
    /// First day of the periods evaluated, `YYYY-MM-DD`; 1 January of the current year if not given.
    pub from: Option<NaiveDate>,
    /// Last day of the periods evaluated, `YYYY-MM-DD`; today (in China) if not given.
    pub to: Option<NaiveDate>,
    /// Duties falling due within this many days of today are reported as `coming_due`; 30 if not
    /// given, at most 366.
    pub horizon_days: Option<u32>,
    /// Only findings with these statuses, comma-separated: `missing,overdue`.
    pub status: Option<String>,
    /// Only findings of this rule (a national rule id, or the id of a local rule the subtree has).
    pub rule: Option<String>,
}

fn parse_statuses(text: &str) -> Result<Vec<FindingStatus>, ApiError> {
    let mut statuses = Vec::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let parsed: Result<FindingStatus, serde::de::value::Error> =
            FindingStatus::deserialize(part.into_deserializer());
        match parsed {
            Ok(status) => statuses.push(status),
            Err(_unknown_variant) => {
                return Err(ApiError::malformed_field(
                    "status",
                    "unknown_value",
                    format!(
                        "没有“{part}”这种问题状态；可选：missing（缺失）、invalid（无效）、overdue（逾期）、noncompliant（不符合）、coming_due（即将到期）"
                    ),
                    format!(
                        "there is no finding status `{part}`; expected missing, invalid, overdue, noncompliant or coming_due"
                    ),
                ));
            }
        }
    }
    Ok(statuses)
}

/// Whether `rule` names a national rule or a rule one of the snapshot's local rules adds.
fn is_known_rule(state: &AppState, snapshot: &Snapshot, rule: &str) -> bool {
    state.repository.catalogue().get(rule).is_some()
        || snapshot.local_rules.iter().any(|local| matches!(&local.body.action, LocalRuleAction::Add { rule: document } if document.id == rule))
}

/// Evaluates the rules for an organization's subtree and returns every finding, each with its
/// rule, citation, evidence and who must act.
#[utoipa::path(
    get,
    path = "/findings",
    tag = "findings",
    operation_id = "findings",
    summary = "检查结果 / compliance findings",
    params(FindingsParams),
    responses(
        (status = 200, description = "The engine's report, filtered as asked", body = Report),
        (status = 400, description = "A bad query parameter (an unknown organization or one outside the account's subtree, `to` before `from`, an unknown status or rule)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The role does not see findings (members)", body = ErrorBody),
    ),
)]
pub async fn findings(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<FindingsParams>,
) -> Result<Json<Report>, ApiError> {
    if principal.allows(Area::Findings, Action::Read) == Access::Denied {
        return Err(ApiError::forbidden_role(&principal));
    }
    let today = (state.today)();
    // The first day of the year always exists, so `with_ordinal(1)` cannot fail on a real date.
    let from = params
        .from
        .unwrap_or(today.with_ordinal(1).unwrap_or(today));
    let to = params.to.unwrap_or(today);
    if from > to {
        return Err(ApiError::malformed_field(
            "to",
            "before_from",
            format!(
                "截止日期{to}早于起始日期{from}（未给出时，起始日期为今年1月1日，截止日期为今天）"
            ),
            format!(
                "`to` ({to}) is before `from` ({from}); when not given, `from` is 1 January of this year and `to` is today"
            ),
        ));
    }
    let horizon_days = params.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS);
    if horizon_days > MAX_HORIZON_DAYS {
        return Err(ApiError::malformed_field(
            "horizon_days",
            "out_of_range",
            format!("提前提醒天数不能超过{MAX_HORIZON_DAYS}"),
            format!("horizon_days must be at most {MAX_HORIZON_DAYS}"),
        ));
    }
    let statuses = match params.status.as_deref() {
        Some(text) => parse_statuses(text)?,
        None => Vec::new(),
    };
    let root = OrgId(params.org);
    let unknown_org = || {
        ApiError::malformed_field(
            "org",
            "unknown_org",
            format!("党组织{root}不存在"),
            format!("organization {root} does not exist"),
        )
    };
    // An org outside the principal's subtree answers exactly as one that does not exist.
    if !principal.can_see_org(&state.repository, root).await? {
        return Err(unknown_org());
    }
    let snapshot = match state.repository.load_snapshot(root, from, to).await {
        Ok(snapshot) => snapshot,
        Err(StorageError::NotFound { id, .. }) if id == root.0 => return Err(unknown_org()),
        Err(error) => return Err(error.into()),
    };
    if let Some(rule) = params.rule.as_deref()
        && !is_known_rule(&state, &snapshot, rule)
    {
        return Err(ApiError::malformed_field(
            "rule",
            "unknown_rule",
            format!("没有编号为“{rule}”的规则；规则目录见 /api/v1/rules"),
            format!("there is no rule `{rule}`; the catalogue is at /api/v1/rules"),
        ));
    }
    let request = EvaluationRequest {
        root,
        from,
        to,
        today,
        horizon_days,
    };
    let mut report = engine::evaluate(state.repository.catalogue(), &snapshot, &request);
    report.findings.retain(|finding| {
        (statuses.is_empty() || statuses.contains(&finding.status))
            && params
                .rule
                .as_deref()
                .is_none_or(|rule| finding.rule_id == rule)
    });
    Ok(Json(report))
}
