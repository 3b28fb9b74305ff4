//! Which version of which rule applies to a branch on a date: the national version in force, as
//! tightened by the local rules of the branch's ancestors (the nearest ancestor last, so it wins),
//! plus rules the ancestors added of their own.

use chrono::NaiveDate;

use super::RuleSource;
use super::index::Index;
use crate::domain::{Org, OrgId};
use crate::rules::{
    CheckParameters, Citation, PreparedLocalRule, RuleDefinition, Severity, merge_parameters,
};

/// A rule as it applies on one date to one branch.
#[derive(Debug, Clone)]
pub(crate) struct Applied<'a> {
    pub definition: &'a RuleDefinition,
    pub parameters: CheckParameters,
    pub severity: Severity,
    /// The later of the rule version's and the tightening local rule's first day.
    pub version_from: NaiveDate,
    pub source: RuleSource,
    pub citation: Citation,
}

/// A rule the branch may be subject to: national, or added by an ancestor.
#[derive(Clone, Copy)]
pub(crate) enum Candidate<'a> {
    National(&'a RuleDefinition),
    LocalAddition {
        definition: &'a RuleDefinition,
        local: &'a super::index::PreparedLocal<'a>,
    },
}

impl<'a> Candidate<'a> {
    pub fn definition(&self) -> &'a RuleDefinition {
        match self {
            Candidate::National(definition) => definition,
            Candidate::LocalAddition { definition, .. } => definition,
        }
    }
}

/// Every rule the branch may be subject to at some date.
pub(crate) fn candidates<'a>(
    national: &'a [RuleDefinition],
    index: &'a Index<'a>,
    ancestors: &[OrgId],
) -> Vec<Candidate<'a>> {
    let mut list: Vec<Candidate<'a>> = national.iter().map(Candidate::National).collect();
    for ancestor in ancestors {
        for local in index.local_rules.get(ancestor).into_iter().flatten() {
            if let PreparedLocalRule::Add(definition) = &local.prepared {
                list.push(Candidate::LocalAddition { definition, local });
            }
        }
    }
    list
}

/// Resolves a candidate for a branch on `date`. `None` if it does not apply then. Problems with
/// local tightenings are pushed to `problems`.
pub(crate) fn resolve<'a>(
    candidate: Candidate<'a>,
    org: &Org,
    index: &'a Index<'a>,
    ancestors: &[OrgId],
    date: NaiveDate,
    problems: &mut Vec<String>,
) -> Option<Applied<'a>> {
    let definition = candidate.definition();
    if !definition.applies_to(org.level, org.unit_kind) {
        return None;
    }
    match candidate {
        Candidate::LocalAddition { local, .. } => {
            if !local.rule.is_in_force_on(date) {
                return None;
            }
            let version = definition.version_on(date)?;
            Some(Applied {
                definition,
                parameters: version.parameters.clone(),
                severity: version.severity,
                version_from: version.effective_from.max(local.rule.effective_from),
                source: RuleSource::Local {
                    local_rule_id: local.id,
                    issued_by: local.rule.issued_by,
                    document: local.rule.document.clone(),
                },
                citation: local.rule.document.clone(),
            })
        }
        Candidate::National(definition) => {
            let version = definition.version_on(date)?;
            let mut applied = Applied {
                definition,
                parameters: version.parameters.clone(),
                severity: version.severity,
                version_from: version.effective_from,
                source: RuleSource::National,
                citation: definition.citation.clone(),
            };
            let mut enabled = definition.enabled_by_default;
            let mut raw = version.raw_parameters.clone();
            for ancestor in ancestors {
                for local in index.local_rules.get(ancestor).into_iter().flatten() {
                    let PreparedLocalRule::Tighten {
                        rule_id,
                        parameters,
                        severity,
                    } = &local.prepared
                    else {
                        continue;
                    };
                    if rule_id != &definition.id || !local.rule.is_in_force_on(date) {
                        continue;
                    }
                    let merged = merge_parameters(&raw, parameters);
                    match CheckParameters::parse(definition.check, merged.clone()) {
                        Ok(parsed) => {
                            raw = merged;
                            applied.parameters = parsed;
                            if let Some(severity) = severity {
                                applied.severity = *severity;
                            }
                            applied.version_from =
                                applied.version_from.max(local.rule.effective_from);
                            applied.source = RuleSource::Local {
                                local_rule_id: local.id,
                                issued_by: local.rule.issued_by,
                                document: local.rule.document.clone(),
                            };
                            // A rule without a confirmed national basis rests on the local document
                            // alone; a tightened national rule keeps citing its article, and the
                            // local document travels in `source`.
                            if definition.confidence == crate::rules::Confidence::Unverified {
                                applied.citation = local.rule.document.clone();
                            }
                            enabled = true;
                        }
                        Err(message) => {
                            let problem = format!(
                                "本地规则{}的参数不适用于{}：{message} / local rule {} does not fit {}: {message}",
                                local.id, definition.id, local.id, definition.id
                            );
                            if !problems.contains(&problem) {
                                problems.push(problem);
                            }
                        }
                    }
                }
            }
            enabled.then_some(applied)
        }
    }
}
