//! Admission of new members (发展党员): the five stages and twenty-five steps from application to
//! full membership, checked against the version of the 发展党员工作细则 in force for each step
//! (2014, or the 2026 revision from 2026-05-11), and what is due next for each person.
//!
//! - [`AdmissionRecord`] holds one person's steps, people, documents and recorded reasons.
//! - [`validate_admission`] refuses out-of-order steps and hard-rule breaches, naming the field and
//!   citing the rule; [`admission_findings`] also lists warnings and explained late steps.
//! - [`due_steps`] lists the open steps with their deadlines for a given day.
//!
//! Pure: the caller passes today, the standing of sponsors and mentors, and the working-day
//! calendar. Nothing here reads the clock or storage.

mod check;
mod due;
mod record;
mod resolution;
mod rules;
mod steps;

pub use check::{
    AdmissionContext, AdmissionFinding, Standing, admission_findings, standing_from_members,
    validate_admission,
};
pub use due::{DueStep, due_steps};
pub use record::*;
pub use resolution::{RESOLUTION_RULE, ResolutionField, missing_resolution_fields};
pub use rules::{AdmissionCitation, AdmissionRuleSet, admission_rule_ids, citation, rule_in_force};
pub use steps::{AdmissionStage, AdmissionStep, PeopleNeeded};

use serde::{Deserialize, Serialize};

/// The identity of an admission record. It lives here rather than with the other identifiers so
/// that the admission work stays in its own files until it is wired into storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdmissionRecordId(pub i64);

impl From<i64> for AdmissionRecordId {
    fn from(value: i64) -> Self {
        AdmissionRecordId(value)
    }
}

impl From<AdmissionRecordId> for i64 {
    fn from(value: AdmissionRecordId) -> i64 {
        value.0
    }
}

impl std::fmt::Display for AdmissionRecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
