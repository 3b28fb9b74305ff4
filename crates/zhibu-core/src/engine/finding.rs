//! What the engine reports: findings, each with its rule, citation, evidence and who must act.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::Period;
use crate::domain::{ExemptionId, LocalRuleId, MemberId, OrgId, RecordKind};
use crate::rules::{Citation, Confidence, Responsibility, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FindingStatus {
    /// A duty of a period that has ended was not done.
    Missing,
    /// A record exists but does not meet the rule (a meeting without quorum, a vote that did not pass).
    Invalid,
    /// A deadline has passed (e.g. a committee past its term).
    Overdue,
    /// The organization's current shape breaks a rule (too few members, no secretary).
    Noncompliant,
    /// Not yet missed: due within the horizon and not yet done.
    ComingDue,
}

impl FindingStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            FindingStatus::Missing => "缺失",
            FindingStatus::Invalid => "无效",
            FindingStatus::Overdue => "逾期",
            FindingStatus::Noncompliant => "不符合",
            FindingStatus::ComingDue => "即将到期",
        }
    }
}

/// A record the engine looked at, and what it made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRecord {
    pub kind: RecordKind,
    pub id: i64,
    pub date: NaiveDate,
    pub note_zh: String,
    pub note_en: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// Records that were considered (counted, or considered and found wanting).
    pub records: Vec<EvidenceRecord>,
    /// What is missing, in words (e.g. the pairs of members who have not talked).
    pub missing_zh: Vec<String>,
    pub missing_en: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponsibleParty {
    pub responsibility: Responsibility,
    /// The organization that must act.
    pub org_id: OrgId,
    /// The person, where one is in post (the branch secretary).
    pub member_id: Option<MemberId>,
}

/// Where the rule applied came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RuleSource {
    National,
    /// Added or tightened by an upper organization.
    Local {
        local_rule_id: LocalRuleId,
        issued_by: OrgId,
        document: Citation,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExemptionNote {
    pub exemption_id: ExemptionId,
    pub granted_by: OrgId,
    pub granted_on: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Stable across runs: `rule id|org id|period label|subject`. Exemptions refer to it.
    pub key: String,
    pub rule_id: String,
    /// The first day of the rule version applied.
    pub rule_version_from: NaiveDate,
    pub rule_source: RuleSource,
    pub title_zh: String,
    pub title_en: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub period: Option<Period>,
    pub period_label: String,
    pub status: FindingStatus,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message_zh: String,
    pub message_en: String,
    pub citation: Citation,
    pub evidence: Evidence,
    pub responsible: ResponsibleParty,
    /// When the duty is or was due.
    pub due_on: Option<NaiveDate>,
    /// Set when an upper organization exempted this finding; the finding is still reported.
    pub exemption: Option<ExemptionNote>,
}

impl Finding {
    pub fn is_open(&self) -> bool {
        self.exemption.is_none() && self.status != FindingStatus::ComingDue
    }
}

/// Builds the stable key of a finding.
pub fn finding_key(rule_id: &str, org: OrgId, period_label: &str, subject: &str) -> String {
    format!("{rule_id}|{org}|{period_label}|{subject}")
}
