//! Rule definitions and the national catalogue embedded from `rules/*.toml`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CheckKind, CheckParameters};
use crate::domain::{OrgLevel, UnitKind};

/// How sure we are of a rule's basis (RULES.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Confidence {
    VerifiedPrimary,
    VerifiedSecondary,
    /// Basis unconfirmed: such a rule ships as local policy, off unless an upper org enables it.
    Unverified,
    /// A rule an upper organization issued for its own subtree, citing its own document.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    Info,
    /// The rule says 一般 (normally): a default, exemptible.
    Warning,
    Error,
}

impl Severity {
    pub fn name_zh(self) -> &'static str {
        match self {
            Severity::Info => "提示",
            Severity::Warning => "警示",
            Severity::Error => "违规",
        }
    }
}

/// Where a rule comes from: the regulation, the article and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citation {
    pub document: String,
    /// `第十二条`, or `article unknown` where it could not be confirmed.
    pub article: String,
    pub quote: String,
    /// Where the wording was read.
    #[serde(default)]
    pub source: Option<String>,
}

/// Who must act on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Responsibility {
    /// The branch secretary (or the branch itself when no secretary is in post).
    BranchSecretary,
    /// The organization one level up, which approves and oversees.
    ParentOrg,
}

/// A bilingual message template; `{name}` placeholders are filled by the evaluator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    pub zh: String,
    pub en: String,
}

impl MessageTemplate {
    pub fn render(&self, values: &[(&str, String)]) -> (String, String) {
        let fill = |template: &str| {
            let mut text = template.to_string();
            for (name, value) in values {
                text = text.replace(&format!("{{{name}}}"), value);
            }
            text
        };
        (fill(&self.zh), fill(&self.en))
    }
}

/// One version of a rule, in force from `effective_from` until the day before `effective_to`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleVersion {
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub severity: Severity,
    pub parameters: CheckParameters,
    /// The parameters as written, for display and for local tightening.
    pub raw_parameters: serde_json::Value,
}

impl RuleVersion {
    pub fn is_in_force_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date < to)
    }
}

/// A machine-checkable requirement with its citation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDefinition {
    pub id: String,
    pub family: String,
    pub title_zh: String,
    pub title_en: String,
    pub check: CheckKind,
    pub citation: Citation,
    pub confidence: Confidence,
    /// Levels of org the rule applies to (usually `branch`).
    pub levels: Vec<OrgLevel>,
    /// Unit kinds it applies to; empty means all.
    pub unit_kinds: Vec<UnitKind>,
    pub responsibility: Responsibility,
    /// Unverified rules ship disabled; a local rule can enable them for a subtree.
    pub enabled_by_default: bool,
    pub messages: BTreeMap<String, MessageTemplate>,
    pub versions: Vec<RuleVersion>,
}

impl RuleDefinition {
    pub fn version_on(&self, date: NaiveDate) -> Option<&RuleVersion> {
        self.versions
            .iter()
            .find(|version| version.is_in_force_on(date))
    }

    pub fn applies_to(&self, level: OrgLevel, unit_kind: UnitKind) -> bool {
        self.levels.contains(&level)
            && (self.unit_kinds.is_empty() || self.unit_kinds.contains(&unit_kind))
    }

    pub fn message(&self, key: &str) -> Option<&MessageTemplate> {
        self.messages.get(key)
    }
}

/// The messages each check needs; a rule file without one of them is refused at load.
pub fn required_messages(check: CheckKind) -> &'static [&'static str] {
    match check {
        CheckKind::PeriodicMeeting => &["missing", "coming_due"],
        CheckKind::TalkCoverage => &["missing", "coming_due"],
        CheckKind::GeneralMeetingVote => &["no_quorum", "not_passed"],
        CheckKind::MinimumFullMembers => &["violated"],
        CheckKind::CommitteeRequired => &["violated"],
        CheckKind::CommitteeSize => &["too_small", "above_usual"],
        CheckKind::MemberSoftCap => &["violated"],
        CheckKind::SecretaryInPost => &["violated"],
        CheckKind::TermExpiry => &["coming_due", "overdue"],
        CheckKind::AdmissionSteps => &["coming_due", "overdue"],
        CheckKind::Continuity => &["reminder", "decision_due"],
        CheckKind::DuesRecords => &["flagged"],
        CheckKind::AdmissionResolution => &["missing_fields"],
    }
}

/// A rule as written in a file or submitted as a local rule: the wire form before typing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleDocument {
    pub id: String,
    pub family: String,
    pub title_zh: String,
    pub title_en: String,
    pub check: CheckKind,
    pub citation: Citation,
    pub confidence: Confidence,
    pub levels: Vec<OrgLevel>,
    #[serde(default)]
    pub unit_kinds: Vec<UnitKind>,
    pub responsibility: Responsibility,
    #[serde(default = "default_true")]
    pub enabled_by_default: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub messages: BTreeMap<String, MessageTemplateDocument>,
    pub versions: Vec<RuleVersionDocument>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageTemplateDocument {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleVersionDocument {
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    pub severity: Severity,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Value,
}

/// Why a rule could not be loaded: which rule, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("规则 {rule}：{field}：{message} / rule {rule}: {field}: {message}")]
pub struct RuleLoadError {
    pub rule: String,
    pub field: String,
    pub message: String,
}

impl RuleDocument {
    /// Types and checks the document: parameters against the check's schema, versions in order and
    /// not overlapping, every required message present.
    pub fn into_definition(self) -> Result<RuleDefinition, RuleLoadError> {
        let error = |field: String, message: String| RuleLoadError {
            rule: self.id.clone(),
            field,
            message,
        };
        if self.id.trim().is_empty() {
            return Err(error(
                "id".into(),
                "规则编号不能为空 / the id is required".into(),
            ));
        }
        if self.versions.is_empty() {
            return Err(error(
                "versions".into(),
                "至少需要一个版本 / at least one version is required".into(),
            ));
        }
        for key in required_messages(self.check) {
            if !self.messages.contains_key(*key) {
                return Err(error(
                    format!("messages.{key}"),
                    "缺少提示语 / message missing".into(),
                ));
            }
        }
        let mut versions = Vec::with_capacity(self.versions.len());
        for (index, version) in self.versions.iter().enumerate() {
            let parameters = CheckParameters::parse(self.check, version.parameters.clone())
                .map_err(|message| error(format!("versions[{index}].parameters"), message))?;
            if let Some(to) = version.effective_to
                && to <= version.effective_from
            {
                return Err(error(
                    format!("versions[{index}].effective_to"),
                    "失效日期须晚于生效日期 / must be after effective_from".into(),
                ));
            }
            if index > 0 {
                let previous: &RuleVersionDocument = &self.versions[index - 1];
                match previous.effective_to {
                    Some(to) if to <= version.effective_from => {}
                    _ => {
                        return Err(error(
                            format!("versions[{index}].effective_from"),
                            "版本须按日期排列且互不重叠 / versions must be in order and must not overlap".into(),
                        ));
                    }
                }
            }
            versions.push(RuleVersion {
                effective_from: version.effective_from,
                effective_to: version.effective_to,
                severity: version.severity,
                parameters,
                raw_parameters: version.parameters.clone(),
            });
        }
        Ok(RuleDefinition {
            id: self.id,
            family: self.family,
            title_zh: self.title_zh,
            title_en: self.title_en,
            check: self.check,
            citation: self.citation,
            confidence: self.confidence,
            levels: self.levels,
            unit_kinds: self.unit_kinds,
            responsibility: self.responsibility,
            enabled_by_default: self.enabled_by_default,
            messages: self
                .messages
                .into_iter()
                .map(|(key, m)| (key, MessageTemplate { zh: m.zh, en: m.en }))
                .collect(),
            versions,
        })
    }
}

/// Parses one rule file written in TOML.
pub fn parse_rule_toml(file_name: &str, text: &str) -> Result<RuleDefinition, RuleLoadError> {
    let document: RuleDocument = toml::from_str(text).map_err(|error| RuleLoadError {
        rule: file_name.to_string(),
        field: "(file)".into(),
        message: error.to_string(),
    })?;
    let expected_name = format!("{}.toml", document.id);
    if file_name != expected_name {
        return Err(RuleLoadError {
            rule: document.id.clone(),
            field: "id".into(),
            message: format!(
                "文件名应为 {expected_name} / the file should be named {expected_name}"
            ),
        });
    }
    document.into_definition()
}

/// The national catalogue, embedded from the repository's `rules/` folder.
#[derive(Debug, Clone)]
pub struct Catalogue {
    rules: Vec<RuleDefinition>,
}

macro_rules! rule_files {
    ($($name:literal),* $(,)?) => {
        /// The file names and texts of the national rules, embedded at build time.
        pub const NATIONAL_RULE_FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../../rules/", $name)))),*
        ];
    };
}

rule_files!(
    "BRANCH.GENERAL_MEETING.QUARTERLY.toml",
    "BRANCH.GENERAL_MEETING.QUORUM_MAJORITY.toml",
    "BRANCH.COMMITTEE_MEETING.MONTHLY.toml",
    "BRANCH.GROUP.MONTHLY.toml",
    "BRANCH.THEME_DAY.MONTHLY.toml",
    "BRANCH.ORG_LIFE_MEETING.YEARLY_Q4.toml",
    "BRANCH.DEMOCRATIC_APPRAISAL.YEARLY.toml",
    "BRANCH.HEART_TALK.YEARLY.toml",
    "BRANCH.PARTY_CLASS.QUARTERLY.toml",
    "BRANCH.SETUP.MIN_FULL_MEMBERS.toml",
    "BRANCH.SETUP.SOFT_CAP_50.toml",
    "BRANCH.COMMITTEE.THRESHOLD_7.toml",
    "BRANCH.COMMITTEE.SIZE.toml",
    "BRANCH.SECRETARY.IN_POST.toml",
    "BRANCH.COMMITTEE.TERM_EXPIRY.toml",
    "RECRUIT.PIPELINE.DEADLINES.toml",
    "CHARTER.LAPSE.SIX_MONTHS.toml",
    "DUES.NONPAYMENT.SIX_MONTHS.toml",
    "DUES.NO_ADVANCE_OR_DEDUCTION.toml",
    "DUES.MONTHLY.PAYMENT_AND_ARREARS.toml",
    "DUES.HARDSHIP.toml",
    "RECRUIT.RESOLUTION.FIELDS.toml",
);

impl Catalogue {
    /// The national catalogue. Its files are checked by tests, so a failure here is a build defect.
    pub fn national() -> Result<Catalogue, RuleLoadError> {
        let mut rules = Vec::with_capacity(NATIONAL_RULE_FILES.len());
        for (name, text) in NATIONAL_RULE_FILES {
            rules.push(parse_rule_toml(name, text)?);
        }
        Catalogue::from_rules(rules)
    }

    pub fn from_rules(rules: Vec<RuleDefinition>) -> Result<Catalogue, RuleLoadError> {
        let mut ids: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
        ids.sort();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(RuleLoadError {
                rule: pair[0].to_string(),
                field: "id".into(),
                message: "规则编号重复 / duplicate rule id".into(),
            });
        }
        Ok(Catalogue { rules })
    }

    pub fn rules(&self) -> &[RuleDefinition] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&RuleDefinition> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_catalogue_loads() {
        let catalogue = Catalogue::national().expect("national rules load");
        assert_eq!(catalogue.rules().len(), NATIONAL_RULE_FILES.len());
        for rule in catalogue.rules() {
            assert!(
                !rule.citation.quote.is_empty(),
                "{} cites its words",
                rule.id
            );
        }
    }
}
