//! `GET /api/v1/rules`: the national rule catalogue, as the engine applies it.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhibu_core::rules::{
    CheckKind, Citation, Confidence, Responsibility, RuleDefinition, Severity,
};
use zhibu_core::{OrgLevel, UnitKind};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};

/// One rule of the catalogue: what it requires, where that is written, and its versions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSummary {
    pub id: String,
    pub family: String,
    pub title_zh: String,
    pub title_en: String,
    pub check: CheckKind,
    pub citation: Citation,
    pub confidence: Confidence,
    /// Levels of organization the rule applies to.
    pub levels: Vec<OrgLevel>,
    /// Kinds of unit it applies to; empty means all.
    pub unit_kinds: Vec<UnitKind>,
    pub responsibility: Responsibility,
    /// Rules whose basis is unconfirmed ship disabled; an upper organization's local rule can
    /// enable them for its subtree.
    pub enabled_by_default: bool,
    pub versions: Vec<RuleVersionSummary>,
}

/// One version of a rule, in force from `effective_from` until the day before `effective_to`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleVersionSummary {
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub severity: Severity,
    /// The check's parameters as the rule file writes them.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    pub rules: Vec<RuleSummary>,
}

impl From<&RuleDefinition> for RuleSummary {
    fn from(rule: &RuleDefinition) -> Self {
        RuleSummary {
            id: rule.id.clone(),
            family: rule.family.clone(),
            title_zh: rule.title_zh.clone(),
            title_en: rule.title_en.clone(),
            check: rule.check,
            citation: rule.citation.clone(),
            confidence: rule.confidence,
            levels: rule.levels.clone(),
            unit_kinds: rule.unit_kinds.clone(),
            responsibility: rule.responsibility,
            enabled_by_default: rule.enabled_by_default,
            versions: rule
                .versions
                .iter()
                .map(|version| RuleVersionSummary {
                    effective_from: version.effective_from,
                    effective_to: version.effective_to,
                    severity: version.severity,
                    parameters: version.raw_parameters.clone(),
                })
                .collect(),
        }
    }
}

/// Lists the national rule catalogue.
#[utoipa::path(
    get,
    path = "/rules",
    tag = "rules",
    operation_id = "list_rules",
    summary = "规则目录 / the national rule catalogue",
    responses((status = 200, description = "Every national rule, with its citation and versions", body = RuleList)),
)]
pub async fn list_rules(State(state): State<AppState>, _principal: Principal) -> Json<RuleList> {
    Json(RuleList {
        rules: state
            .repository
            .catalogue()
            .rules()
            .iter()
            .map(RuleSummary::from)
            .collect(),
    })
}

/// Reads one national rule.
#[utoipa::path(
    get,
    path = "/rules/{id}",
    tag = "rules",
    operation_id = "read_rule",
    summary = "读取规则 / read one rule",
    params(("id" = String, Path, description = "The rule id, e.g. `BRANCH.GENERAL_MEETING.QUARTERLY`")),
    responses(
        (status = 200, description = "The rule", body = RuleSummary),
        (status = 404, description = "No such rule", body = ErrorBody),
    ),
)]
pub async fn read_rule(
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<RuleSummary>, ApiError> {
    match state.repository.catalogue().get(&id) {
        Some(rule) => Ok(Json(RuleSummary::from(rule))),
        None => Err(ApiError::UnknownRule(id)),
    }
}
