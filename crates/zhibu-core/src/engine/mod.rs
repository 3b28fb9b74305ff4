//! The compliance engine: given the rule catalogue, a snapshot of records and a question (subtree,
//! date range, today, horizon), it returns every finding with its evidence and citation.
//!
//! Architecture invariant: the engine is a pure function. It does no IO, never reads the clock and
//! cannot fail: a local rule that no longer fits the catalogue is reported in the result, not
//! raised.
//!
//! Reading of the rules (see docs/RULES-ENGINE.md for the whole list):
//! - A recurring duty is judged per calendar period (China Standard Time). A period is missed only
//!   once it has ended (its last day is before today); until then it is "coming due" when it ends
//!   within the horizon.
//! - A period is judged by the rule version in force on its first day; a record (a vote) by the
//!   version in force on the day it records.
//! - Structural rules (size, committee, secretary, term) are judged on the reference day: the end of
//!   the range, or today if that is sooner.

mod checks;
mod finding;
mod index;
mod reach;
mod resolve;
mod snapshot;

pub use finding::*;
pub use reach::*;
pub use snapshot::*;

use serde::{Deserialize, Serialize};

use crate::domain::{OrgId, OrgLevel};
use crate::rules::Catalogue;
use checks::BranchContext;
use index::Index;

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub request: EvaluationRequest,
    /// Findings ordered by org, rule and period. Coming-due items are findings with status
    /// `coming_due`.
    pub findings: Vec<Finding>,
    /// Local rules that could not be applied, with the reason (bilingual text).
    pub rule_problems: Vec<String>,
}

/// Evaluates `request` against `snapshot`.
pub fn evaluate(catalogue: &Catalogue, snapshot: &Snapshot, request: &EvaluationRequest) -> Report {
    let index = Index::build(snapshot);
    let branches: Vec<OrgId> = index
        .orgs
        .values()
        .filter(|org| org.body.level == OrgLevel::Branch)
        .map(|org| OrgId(org.id))
        .filter(|id| index.is_within(*id, request.root))
        .collect();
    evaluate_indexed(catalogue, &index, request, branches)
}

/// Evaluates only `branches` (ids that are not branches within `request.root`, or not in the
/// snapshot, are skipped). For each of them the findings are exactly those [`evaluate`] reports
/// for it over the same snapshot; a finding about a party group belongs to the group's branch.
///
/// This is the incremental re-check: after a write, only the branches the record can affect (see
/// [`reach`]) need evaluating, and the snapshot need hold only those branches' records (their
/// subtree, their ancestors with their local rules, and every member with a posting in them).
pub fn evaluate_branches(
    catalogue: &Catalogue,
    snapshot: &Snapshot,
    request: &EvaluationRequest,
    branches: &[OrgId],
) -> Report {
    let index = Index::build(snapshot);
    let chosen: Vec<OrgId> = branches
        .iter()
        .copied()
        .filter(|id| {
            index
                .orgs
                .get(id)
                .is_some_and(|org| org.body.level == OrgLevel::Branch)
        })
        .filter(|id| index.is_within(*id, request.root))
        .collect();
    evaluate_indexed(catalogue, &index, request, chosen)
}

/// The branch a finding belongs to: the org it names, or the branch above the party group it
/// names. `parent_of` gives an org's level and parent.
pub fn branch_of_finding(
    finding: &Finding,
    parent_of: impl Fn(OrgId) -> Option<(OrgLevel, Option<OrgId>)>,
) -> OrgId {
    match parent_of(finding.org_id) {
        Some((OrgLevel::PartyGroup, Some(parent))) => parent,
        _ => finding.org_id,
    }
}

fn evaluate_indexed(
    catalogue: &Catalogue,
    index: &Index<'_>,
    request: &EvaluationRequest,
    mut branches: Vec<OrgId>,
) -> Report {
    let mut problems = index.local_rule_problems.clone();
    let workdays = match workday_calendar() {
        Ok(calendar) => Some(calendar),
        Err(message) => {
            problems.push(message);
            None
        }
    };
    let mut findings = Vec::new();
    branches.sort();
    branches.dedup();
    for branch_id in branches {
        let Some(branch) = index.orgs.get(&branch_id).copied() else {
            continue;
        };
        let context = BranchContext {
            index,
            request,
            branch,
            branch_id,
            ancestors: index.ancestors(branch_id),
            workdays,
        };
        for candidate in resolve::candidates(catalogue.rules(), index, &context.ancestors) {
            context.evaluate(candidate, &mut problems, &mut findings);
        }
    }
    for finding in &mut findings {
        attach_exemption(index, finding);
    }
    sort_findings(&mut findings);
    Report {
        request: *request,
        findings,
        rule_problems: problems,
    }
}

/// Puts findings in the order [`evaluate`] reports them: by org, rule, period and key. The sort is
/// stable, so findings that tie keep the order their branch produced them in; a caller that
/// merges the findings of several [`evaluate_branches`] calls gets the same list as one call.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.org_id, &a.rule_id, a.period.map(|p| p.first_day), &a.key).cmp(&(
            b.org_id,
            &b.rule_id,
            b.period.map(|p| p.first_day),
            &b.key,
        ))
    });
}

/// The national working-day calendar, parsed once. Its data is embedded, so an error is a build
/// defect; it is reported in the result rather than raised, and admission checks are skipped.
fn workday_calendar() -> Result<&'static crate::workdays::WorkdayCalendar, String> {
    static CALENDAR: std::sync::OnceLock<Result<crate::workdays::WorkdayCalendar, String>> =
        std::sync::OnceLock::new();
    CALENDAR
        .get_or_init(|| {
            crate::workdays::WorkdayCalendar::national().map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Marks a finding exempted when an organization above it granted an exemption for its key.
fn attach_exemption(index: &Index<'_>, finding: &mut Finding) {
    let Some(exemptions) = index.exemptions.get(finding.key.as_str()) else {
        return;
    };
    let granted = exemptions
        .iter()
        .filter(|exemption| {
            exemption.body.granted_by != finding.org_id
                && index.is_within(finding.org_id, exemption.body.granted_by)
        })
        .max_by_key(|exemption| (exemption.body.granted_on, exemption.id));
    if let Some(exemption) = granted {
        finding.exemption = Some(ExemptionNote {
            exemption_id: crate::domain::ExemptionId(exemption.id),
            granted_by: exemption.body.granted_by,
            granted_on: exemption.body.granted_on,
            reason: exemption.body.reason.clone(),
        });
    }
}
