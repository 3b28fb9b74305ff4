//! Local rules: an upper organization adds a rule of its own, or enables or tightens a national
//! one, for its whole subtree, citing its own document. They are versioned records like any other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Catalogue, CheckParameters, Citation, RuleDefinition, RuleDocument, Severity};
use crate::ValidationErrors;
use crate::domain::{OrgId, Record, RecordKind};

// Unknown fields are refused here rather than on `LocalRule`: serde cannot combine
// `deny_unknown_fields` with a flattened field, and a stored local rule could not be read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LocalRuleAction {
    /// Enables a national rule (e.g. one shipped disabled for want of a confirmed basis) or tightens
    /// it: the given parameters replace the national version's parameters of the same name.
    Tighten {
        rule_id: String,
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        #[serde(default = "empty_object")]
        parameters: serde_json::Value,
        #[serde(default)]
        severity: Option<Severity>,
    },
    /// A rule of the subtree's own, written like a rule file.
    Add { rule: Box<RuleDocument> },
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalRule {
    /// The organization that issued it; it applies to that organization's whole subtree.
    pub issued_by: OrgId,
    /// The local document it rests on.
    pub document: Citation,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    #[serde(flatten)]
    pub action: LocalRuleAction,
}

impl LocalRule {
    pub fn is_in_force_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date < to)
    }
}

impl Record for LocalRule {
    const KIND: RecordKind = RecordKind::LocalRule;
    type Id = crate::domain::LocalRuleId;

    fn scope_org(&self) -> Option<OrgId> {
        Some(self.issued_by)
    }

    fn event_date(&self) -> NaiveDate {
        self.effective_from
    }

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.document.document.trim().is_empty() {
            errors.add(
                "document.document",
                "required",
                "须注明本地规则依据的文件",
                "name the local document the rule rests on",
            );
        }
        if let Some(to) = self.effective_to
            && to <= self.effective_from
        {
            errors.add(
                "effective_to",
                "not_after_from",
                "失效日期须晚于生效日期",
                "effective_to must be after effective_from",
            );
        }
        errors.into_result()
    }
}

/// Merges `overrides` into `base` (both JSON objects), key by key.
pub fn merge_parameters(
    base: &serde_json::Value,
    overrides: &serde_json::Value,
) -> serde_json::Value {
    let mut merged = base.clone();
    if let (Some(target), Some(source)) = (merged.as_object_mut(), overrides.as_object()) {
        for (key, value) in source {
            target.insert(key.clone(), value.clone());
        }
    }
    merged
}

/// Checks a local rule against the national catalogue: the rule it tightens exists, and every
/// parameter it sets is one that rule's check knows, with the right type.
pub fn validate_local_rule(
    rule: &LocalRule,
    catalogue: &Catalogue,
) -> Result<(), ValidationErrors> {
    let mut errors = match rule.validate() {
        Ok(()) => ValidationErrors::new(),
        Err(errors) => errors,
    };
    match &rule.action {
        LocalRuleAction::Tighten {
            rule_id,
            parameters,
            ..
        } => match catalogue.get(rule_id) {
            None => errors.add(
                "rule_id",
                "unknown_rule",
                format!("全国规则目录中没有规则 {rule_id}"),
                format!("there is no national rule {rule_id}"),
            ),
            Some(national) => {
                if !parameters.is_object() {
                    errors.add(
                        "parameters",
                        "not_an_object",
                        "参数须为键值表",
                        "parameters must be an object",
                    );
                }
                for (index, version) in national.versions.iter().enumerate() {
                    let merged = merge_parameters(&version.raw_parameters, parameters);
                    if let Err(message) = CheckParameters::parse(national.check, merged) {
                        errors.add(
                            "parameters",
                            "invalid_parameter",
                            format!("参数不适用于规则 {rule_id}（第{}版）：{message}", index + 1),
                            format!(
                                "parameters do not fit rule {rule_id} (version {}): {message}",
                                index + 1
                            ),
                        );
                        break;
                    }
                }
            }
        },
        LocalRuleAction::Add { rule: document } => {
            if catalogue.get(&document.id).is_some() {
                errors.add(
                    "rule.id",
                    "clashes_with_national",
                    "本地规则编号与全国规则重复",
                    "the local rule id clashes with a national rule",
                );
            }
            if let Err(error) = document.as_ref().clone().into_definition() {
                errors.add(
                    format!("rule.{}", error.field),
                    "invalid_rule",
                    error.message.clone(),
                    error.message,
                );
            }
        }
    }
    errors.into_result()
}

/// A local rule made ready for the engine: typed once, applied to many branches.
#[derive(Debug, Clone)]
pub enum PreparedLocalRule {
    Tighten {
        rule_id: String,
        parameters: serde_json::Value,
        severity: Option<Severity>,
    },
    Add(Box<RuleDefinition>),
}

impl PreparedLocalRule {
    /// Prepares a stored local rule; one that no longer fits the catalogue is returned as an error
    /// message so that the engine can report it rather than silently skip it.
    pub fn prepare(rule: &LocalRule) -> Result<PreparedLocalRule, String> {
        Ok(match &rule.action {
            LocalRuleAction::Tighten {
                rule_id,
                parameters,
                severity,
            } => PreparedLocalRule::Tighten {
                rule_id: rule_id.clone(),
                parameters: parameters.clone(),
                severity: *severity,
            },
            LocalRuleAction::Add { rule: document } => {
                let mut definition = document
                    .as_ref()
                    .clone()
                    .into_definition()
                    .map_err(|error| error.to_string())?;
                definition.confidence = super::Confidence::Local;
                PreparedLocalRule::Add(Box::new(definition))
            }
        })
    }
}
