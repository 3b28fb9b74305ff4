//! The engine's input: the records of an org subtree (and the ancestors' local rules), loaded by
//! storage, and the question asked.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::admission::AdmissionRecord;
use crate::domain::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, Org, OrgId, Stored,
};
use crate::dues::{BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration};
use crate::rules::LocalRule;

/// Everything the engine needs to evaluate one subtree. Storage fills it; the engine only reads it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The subtree's orgs and all their ancestors (ancestors carry local rules and grant exemptions).
    pub orgs: Vec<Stored<Org>>,
    pub committee_terms: Vec<Stored<CommitteeTerm>>,
    pub members: Vec<Stored<Member>>,
    pub meetings: Vec<Stored<Meeting>>,
    pub talks: Vec<Stored<HeartToHeartTalk>>,
    pub exemptions: Vec<Stored<Exemption>>,
    pub local_rules: Vec<Stored<LocalRule>>,
    /// Admission pipelines (发展党员) kept by the subtree's branches.
    pub admission_records: Vec<Stored<AdmissionRecord>>,
    /// Dues records (issue 4) kept by the subtree's branches: declarations, payments, reliefs
    /// and each branch's settings. The continuity check reads them for months without dues.
    pub income_declarations: Vec<Stored<IncomeDeclaration>>,
    pub dues_payments: Vec<Stored<DuesPayment>>,
    pub dues_reliefs: Vec<Stored<DuesRelief>>,
    pub dues_policies: Vec<Stored<BranchDuesPolicy>>,
}

/// The question: which duties of `root`'s subtree, for periods overlapping `from..=to`, were
/// missed as of `today`, and which fall due within `horizon_days` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluationRequest {
    pub root: OrgId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The caller's today in China Standard Time; the engine never reads the clock.
    pub today: NaiveDate,
    pub horizon_days: u32,
}
