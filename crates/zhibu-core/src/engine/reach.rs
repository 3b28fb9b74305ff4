//! Which branches' findings a record can change. The engine evaluates branch by branch, and each
//! branch's checks read only its own records (see `index.rs`): its members, committee terms,
//! meetings (its own and its party groups'), talks, admission pipelines, the exemptions granted
//! for its findings, and its ancestors with their local rules. So a record reaches the branches it
//! is kept under, and an org or a local rule reaches its whole subtree.
//!
//! An amendment can move a record (a member's postings change on a transfer; a meeting can be
//! corrected to another org): callers take the reach of the version before and the version after.

use crate::admission::AdmissionRecord;
use crate::domain::{CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, Org, OrgId};
use crate::rules::LocalRule;

/// One version of a record, typed, as far as the engine reads it.
#[derive(Debug, Clone, Copy)]
pub enum RecordRef<'a> {
    /// An org, with its own id (its body names only its parent).
    Org(OrgId, &'a Org),
    Member(&'a Member),
    CommitteeTerm(&'a CommitteeTerm),
    Meeting(&'a Meeting),
    Talk(&'a HeartToHeartTalk),
    Exemption(&'a Exemption),
    LocalRule(&'a LocalRule),
    Admission(&'a AdmissionRecord),
    /// A member's statement on a record: the engine does not read statements.
    Statement,
    /// A dues record (declaration, payment, relief, settings), by the branch it is kept under.
    Dues(OrgId),
}

/// What a record can change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Orgs whose branch must be checked again: a branch itself, or the branch above a party
    /// group. Committees listed here reach no branch of their own (their subtree is in `subtrees`).
    pub orgs: Vec<OrgId>,
    /// Orgs whose every branch must be checked again.
    pub subtrees: Vec<OrgId>,
}

impl Reach {
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.subtrees.is_empty()
    }

    /// Adds another version's reach (the version before an amendment).
    pub fn extend(&mut self, other: Reach) {
        self.orgs.extend(other.orgs);
        self.subtrees.extend(other.subtrees);
        self.orgs.sort();
        self.orgs.dedup();
        self.subtrees.sort();
        self.subtrees.dedup();
    }
}

/// The reach of one version of a record.
pub fn reach(record: RecordRef<'_>) -> Reach {
    let orgs = |orgs: Vec<OrgId>| Reach {
        orgs,
        subtrees: Vec::new(),
    };
    let mut reach = match record {
        // An org's name, dates and level are read by its own checks and, through `is_within` and
        // the ancestors' local rules, by every branch below it. A party group's own record is
        // read by its branch (the group meeting duty, continuity).
        RecordRef::Org(id, _) => Reach {
            orgs: vec![id],
            subtrees: vec![id],
        },
        // A member counts in every branch they were ever posted to (rosters on past dates).
        RecordRef::Member(member) => orgs(
            member
                .postings
                .iter()
                .map(|posting| posting.branch_id)
                .collect(),
        ),
        RecordRef::CommitteeTerm(term) => orgs(vec![term.org_id]),
        // A group meeting is kept under the party group, whose branch judges it.
        RecordRef::Meeting(meeting) => orgs(vec![meeting.org_id]),
        RecordRef::Talk(talk) => orgs(vec![talk.org_id]),
        // An exemption is looked up by the key of a finding about `org_id` (storage refuses one
        // whose key names another org).
        RecordRef::Exemption(exemption) => orgs(vec![exemption.org_id]),
        // A local rule applies to every branch below the org that issued it.
        RecordRef::LocalRule(rule) => Reach {
            orgs: Vec::new(),
            subtrees: vec![rule.issued_by],
        },
        RecordRef::Admission(record) => orgs(vec![record.person.branch_id]),
        RecordRef::Statement => Reach::default(),
        // Dues records are read by the continuity check of the branch that keeps them.
        RecordRef::Dues(branch) => orgs(vec![branch]),
    };
    reach.orgs.sort();
    reach.orgs.dedup();
    reach
}
