//! Lookup tables over a snapshot, built once per evaluation so that each branch's checks touch only
//! that branch's records.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::Snapshot;
use crate::admission::AdmissionRecord;
use crate::domain::LocalRuleId;
use crate::domain::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId, OrgLevel,
    Stored,
};
use crate::dues::{BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration, YearMonth};
use crate::rules::{LocalRule, PreparedLocalRule};

pub(crate) struct PreparedLocal<'a> {
    pub id: LocalRuleId,
    pub rule: &'a LocalRule,
    pub prepared: PreparedLocalRule,
}

pub(crate) struct Index<'a> {
    pub orgs: HashMap<OrgId, &'a Stored<Org>>,
    pub children: HashMap<OrgId, Vec<OrgId>>,
    /// Members with any posting in the branch, by branch.
    pub members_by_branch: HashMap<OrgId, Vec<&'a Stored<Member>>>,
    pub members: HashMap<MemberId, &'a Stored<Member>>,
    /// Terms by org, oldest election first.
    pub terms: HashMap<OrgId, Vec<&'a Stored<CommitteeTerm>>>,
    /// Meetings by the org that held them, in date order.
    pub meetings: HashMap<OrgId, Vec<&'a Stored<Meeting>>>,
    pub talks: HashMap<OrgId, Vec<&'a Stored<HeartToHeartTalk>>>,
    pub exemptions: HashMap<&'a str, Vec<&'a Stored<Exemption>>>,
    /// Local rules by the org that issued them.
    pub local_rules: HashMap<OrgId, Vec<PreparedLocal<'a>>>,
    /// Local rules that could not be prepared, with the reason.
    pub local_rule_problems: Vec<String>,
    /// Admission pipelines by the branch that keeps them.
    pub admissions: HashMap<OrgId, Vec<&'a Stored<AdmissionRecord>>>,
    /// Dues records by the branch that keeps them (issue 4).
    pub dues: HashMap<OrgId, BranchDues<'a>>,
}

/// A branch's dues records: the bodies as the ledger takes them (slices), with the stored records
/// in the same order so that a ledger's indexes lead back to record ids.
#[derive(Default)]
pub(crate) struct BranchDues<'a> {
    pub declarations: Vec<IncomeDeclaration>,
    pub payments: Vec<DuesPayment>,
    pub payment_records: Vec<&'a Stored<DuesPayment>>,
    pub reliefs: Vec<DuesRelief>,
    pub relief_records: Vec<&'a Stored<DuesRelief>>,
    pub policy: Option<&'a Stored<BranchDuesPolicy>>,
    /// The earliest month any of the branch's dues records is about.
    pub earliest: Option<YearMonth>,
}

impl BranchDues<'_> {
    fn note_month(&mut self, month: YearMonth) {
        self.earliest = Some(self.earliest.map_or(month, |earliest| earliest.min(month)));
    }

    /// The month the branch's ledger opens: its settings say so, or its earliest record.
    pub fn ledger_opened(&self) -> Option<YearMonth> {
        self.policy
            .map(|policy| policy.body.ledger_opened)
            .or(self.earliest)
    }
}

impl<'a> Index<'a> {
    pub fn build(snapshot: &'a Snapshot) -> Index<'a> {
        let mut index = Index {
            orgs: HashMap::new(),
            children: HashMap::new(),
            members_by_branch: HashMap::new(),
            members: HashMap::new(),
            terms: HashMap::new(),
            meetings: HashMap::new(),
            talks: HashMap::new(),
            exemptions: HashMap::new(),
            local_rules: HashMap::new(),
            local_rule_problems: Vec::new(),
            admissions: HashMap::new(),
            dues: HashMap::new(),
        };
        for record in &snapshot.income_declarations {
            let dues = index.dues.entry(record.body.branch_id).or_default();
            dues.note_month(record.body.effective_month);
            dues.declarations.push(record.body.clone());
        }
        for record in &snapshot.dues_payments {
            let dues = index.dues.entry(record.body.branch_id).or_default();
            for month in &record.body.months_covered {
                dues.note_month(*month);
            }
            dues.payments.push(record.body.clone());
            dues.payment_records.push(record);
        }
        for record in &snapshot.dues_reliefs {
            let dues = index.dues.entry(record.body.branch_id).or_default();
            dues.note_month(record.body.from_month);
            dues.reliefs.push(record.body.clone());
            dues.relief_records.push(record);
        }
        for record in &snapshot.dues_policies {
            let dues = index.dues.entry(record.body.branch_id).or_default();
            // The settings decided last are in force.
            if dues.policy.is_none_or(|current| {
                (current.body.decided_on, current.id) < (record.body.decided_on, record.id)
            }) {
                dues.policy = Some(record);
            }
        }
        for record in &snapshot.admission_records {
            index
                .admissions
                .entry(record.body.person.branch_id)
                .or_default()
                .push(record);
        }
        for org in &snapshot.orgs {
            index.orgs.insert(OrgId(org.id), org);
            if let Some(parent) = org.body.parent_id {
                index
                    .children
                    .entry(parent)
                    .or_default()
                    .push(OrgId(org.id));
            }
        }
        for children in index.children.values_mut() {
            children.sort();
            children.dedup();
        }
        for member in &snapshot.members {
            index.members.insert(MemberId(member.id), member);
            let mut branches: Vec<OrgId> = member
                .body
                .postings
                .iter()
                .map(|posting| posting.branch_id)
                .collect();
            branches.sort();
            branches.dedup();
            for branch in branches {
                index
                    .members_by_branch
                    .entry(branch)
                    .or_default()
                    .push(member);
            }
        }
        for term in &snapshot.committee_terms {
            index.terms.entry(term.body.org_id).or_default().push(term);
        }
        for terms in index.terms.values_mut() {
            terms.sort_by_key(|term| (term.body.elected_on, term.id));
        }
        for meeting in &snapshot.meetings {
            index
                .meetings
                .entry(meeting.body.org_id)
                .or_default()
                .push(meeting);
        }
        for meetings in index.meetings.values_mut() {
            meetings.sort_by_key(|meeting| (meeting.body.held_on, meeting.id));
        }
        for talk in &snapshot.talks {
            index.talks.entry(talk.body.org_id).or_default().push(talk);
        }
        for exemption in &snapshot.exemptions {
            index
                .exemptions
                .entry(exemption.body.finding_key.as_str())
                .or_default()
                .push(exemption);
        }
        for local in &snapshot.local_rules {
            match PreparedLocalRule::prepare(&local.body) {
                Ok(prepared) => index
                    .local_rules
                    .entry(local.body.issued_by)
                    .or_default()
                    .push(PreparedLocal {
                        id: LocalRuleId(local.id),
                        rule: &local.body,
                        prepared,
                    }),
                Err(message) => index.local_rule_problems.push(format!(
                    "本地规则{}无法适用：{message} / local rule {} cannot be applied: {message}",
                    local.id, local.id
                )),
            }
        }
        index
    }

    /// The org's ancestors, the root first (the org itself excluded).
    pub fn ancestors(&self, org: OrgId) -> Vec<OrgId> {
        let mut chain = Vec::new();
        let mut current = self.orgs.get(&org).and_then(|org| org.body.parent_id);
        while let Some(id) = current {
            if chain.contains(&id) {
                break;
            }
            chain.push(id);
            current = self.orgs.get(&id).and_then(|org| org.body.parent_id);
        }
        chain.reverse();
        chain
    }

    /// Whether `org` is `root` or lies below it.
    pub fn is_within(&self, org: OrgId, root: OrgId) -> bool {
        org == root || self.ancestors(org).contains(&root)
    }

    /// The term in force on `date`: the latest election on or before it.
    pub fn term_on(&self, org: OrgId, date: NaiveDate) -> Option<&'a Stored<CommitteeTerm>> {
        self.terms
            .get(&org)?
            .iter()
            .rev()
            .find(|term| term.body.elected_on <= date)
            .copied()
    }

    /// Members of the branch on `date`.
    pub fn roster_on(&self, branch: OrgId, date: NaiveDate) -> Vec<&'a Stored<Member>> {
        self.members_by_branch
            .get(&branch)
            .map(|members| {
                members
                    .iter()
                    .filter(|member| member.body.branch_on(date) == Some(branch))
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Active party groups of a branch.
    pub fn groups_of(&self, branch: OrgId) -> Vec<&'a Stored<Org>> {
        self.children
            .get(&branch)
            .map(|children| {
                children
                    .iter()
                    .filter_map(|id| self.orgs.get(id).copied())
                    .filter(|org| org.body.level == OrgLevel::PartyGroup)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn member_name(&self, id: MemberId) -> String {
        self.members
            .get(&id)
            .map_or_else(|| format!("#{id}"), |member| member.body.name.clone())
    }
}
