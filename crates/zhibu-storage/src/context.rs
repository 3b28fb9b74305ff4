//! Checks of a record against the records around it, done inside the write transaction so that
//! what was checked is what gets written.

use async_trait::async_trait;
use chrono::NaiveDate;
use zhibu_core::admission::{
    AdmissionContext, AdmissionRecord, standing_from_members, validate_admission,
};
use zhibu_core::dues::{
    BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration, dues_branch_for,
};
use zhibu_core::rules::{Catalogue, LocalRule, validate_local_rule};
use zhibu_core::workdays::WorkdayCalendar;
use zhibu_core::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, MeetingKind, Member, MemberId, Org, OrgId,
    OrgLevel, Record, RecordKind, Statement, ValidationErrors, validate_meeting_roster,
    validate_org_parent, validate_talk_roster,
};

use crate::{RecordQuery, RecordRow, StorageError, Transaction};

/// A record type's checks against other records. Returns the org path the record belongs under.
#[async_trait]
pub trait ContextCheck: Record {
    /// Validates against the records in `tx` and returns the record's `org_path`. `own_id` is the
    /// id the record has or is about to get.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        catalogue: &Catalogue,
        own_id: i64,
    ) -> Result<String, StorageError>;
}

fn invalid(field: &str, code: &str, zh: String, en: String) -> StorageError {
    StorageError::Invalid(ValidationErrors::single(zhibu_core::FieldError::new(
        field, code, zh, en,
    )))
}

fn decode<T: Record>(row: &RecordRow) -> Result<T, StorageError> {
    serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
        id: row.id,
        message: error.to_string(),
    })
}

/// The org with this id, if it exists and is not deleted.
pub(crate) async fn load_org(
    tx: &mut dyn Transaction,
    id: OrgId,
) -> Result<Option<(RecordRow, Org)>, StorageError> {
    match tx.get(id.0).await? {
        Some(row) if row.kind == RecordKind::Org && !row.deleted => {
            let org = decode::<Org>(&row)?;
            Ok(Some((row, org)))
        }
        _ => Ok(None),
    }
}

async fn require_org(
    tx: &mut dyn Transaction,
    id: OrgId,
    field: &str,
) -> Result<(RecordRow, Org), StorageError> {
    load_org(tx, id).await?.ok_or_else(|| {
        invalid(
            field,
            "unknown_org",
            format!("党组织{id}不存在"),
            format!("organization {id} does not exist"),
        )
    })
}

/// The members whose posting puts them in `branch` on `date`.
pub(crate) async fn branch_roster(
    tx: &mut dyn Transaction,
    branch_path: &str,
    branch: OrgId,
    date: NaiveDate,
) -> Result<Vec<(MemberId, Member)>, StorageError> {
    let rows = tx
        .list(&RecordQuery::in_subtree(RecordKind::Member, branch_path))
        .await?;
    let mut roster = Vec::new();
    for row in rows {
        let member = decode::<Member>(&row)?;
        if member.branch_on(date) == Some(branch) {
            roster.push((MemberId(row.id), member));
        }
    }
    // Members who were posted here and have since transferred out are kept under their new
    // branch's path; the postings index (migration 5) names them, so that an old meeting that
    // lists them can still be entered.
    let mut elsewhere = tx.members_posted_within(branch_path).await?;
    elsewhere.sort_unstable();
    elsewhere.dedup();
    for id in elsewhere {
        if roster.iter().any(|(known, _)| known.0 == id) {
            continue;
        }
        if let Some(row) = tx.get(id).await?
            && row.kind == RecordKind::Member
            && !row.deleted
        {
            let member = decode::<Member>(&row)?;
            if member.branch_on(date) == Some(branch) {
                roster.push((MemberId(row.id), member));
            }
        }
    }
    roster.sort_by_key(|(id, _)| *id);
    Ok(roster)
}

#[async_trait]
impl ContextCheck for Org {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        own_id: i64,
    ) -> Result<String, StorageError> {
        match self.parent_id {
            None => Ok(format!("/{own_id}/")),
            Some(parent_id) => {
                let (parent_row, parent) = require_org(tx, parent_id, "parent_id").await?;
                validate_org_parent(self, Some(&parent))?;
                Ok(format!("{}{own_id}/", parent_row.org_path))
            }
        }
    }
}

#[async_trait]
impl ContextCheck for Member {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let mut errors = ValidationErrors::new();
        let mut path = None;
        for (index, posting) in self.postings.iter().enumerate() {
            match load_org(tx, posting.branch_id).await? {
                None => errors.add(
                    format!("postings[{index}].branch_id"),
                    "unknown_org",
                    format!("党支部{}不存在", posting.branch_id),
                    format!("branch {} does not exist", posting.branch_id),
                ),
                Some((row, org)) => {
                    if org.level != OrgLevel::Branch {
                        errors.add(
                            format!("postings[{index}].branch_id"),
                            "not_a_branch",
                            format!("党员只能编入党支部，{}是{}", org.name, org.level.name_zh()),
                            format!(
                                "members belong to a branch; {} is a {:?}",
                                org.name, org.level
                            ),
                        );
                    }
                    path = Some(row.org_path.clone());
                }
            }
            if let Some(group_id) = posting.group_id {
                match load_org(tx, group_id).await? {
                    Some((_, group)) if group.level == OrgLevel::PartyGroup && group.parent_id == Some(posting.branch_id) => {}
                    _ => errors.add(
                        format!("postings[{index}].group_id"),
                        "group_not_in_branch",
                        format!("党小组{group_id}不属于党支部{}：党员不能同时编入两个支部", posting.branch_id),
                        format!("party group {group_id} is not part of branch {}: a member cannot be in two branches", posting.branch_id),
                    ),
                }
            }
        }
        errors.into_result()?;
        path.ok_or_else(|| {
            invalid(
                "postings",
                "required",
                "党员必须编入一个党支部".into(),
                "a member must belong to a branch".into(),
            )
        })
    }
}

#[async_trait]
impl ContextCheck for CommitteeTerm {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, org) = require_org(tx, self.org_id, "org_id").await?;
        if org.level == OrgLevel::PartyGroup {
            return Err(invalid(
                "org_id",
                "not_a_branch",
                "党小组不设委员会".into(),
                "a party group has no committee".into(),
            ));
        }
        let roster = branch_roster(tx, &row.org_path, self.org_id, self.elected_on).await?;
        let mut errors = ValidationErrors::new();
        for (index, position) in self.positions.iter().enumerate() {
            if org.level == OrgLevel::Branch
                && !roster.iter().any(|(id, _)| *id == position.member_id)
            {
                errors.add(
                    format!("positions[{index}].member_id"),
                    "not_a_member_of_branch",
                    format!(
                        "党员{}在{}不属于本支部",
                        position.member_id, self.elected_on
                    ),
                    format!(
                        "member {} did not belong to this branch on {}",
                        position.member_id, self.elected_on
                    ),
                );
            }
        }
        errors.into_result()?;
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for Meeting {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, org) = require_org(tx, self.org_id, "org_id").await?;
        let is_group_meeting = self.is_kind(MeetingKind::GroupMeeting);
        let branch = match (org.level, is_group_meeting) {
            (OrgLevel::PartyGroup, true) => org.parent_id,
            (OrgLevel::Branch, false) => Some(self.org_id),
            (OrgLevel::PartyGroup, false) => {
                return Err(invalid(
                    "kinds",
                    "group_holds_group_meetings",
                    "党小组只能召开党小组会".into(),
                    "a party group holds group meetings only".into(),
                ));
            }
            (_, true) => {
                return Err(invalid(
                    "org_id",
                    "not_a_group",
                    "党小组会须记在党小组名下".into(),
                    "a group meeting is recorded under its party group".into(),
                ));
            }
            _ => {
                return Err(invalid(
                    "org_id",
                    "not_a_branch",
                    format!(
                        "{}是{}，三会一课记在党支部名下",
                        org.name,
                        org.level.name_zh()
                    ),
                    format!(
                        "{} is a {:?}; branch meetings are recorded under a branch",
                        org.name, org.level
                    ),
                ));
            }
        };
        let branch = branch.ok_or_else(|| {
            invalid(
                "org_id",
                "unknown_org",
                "党小组没有所属支部".into(),
                "the group has no branch".into(),
            )
        })?;
        let (branch_row, _) = require_org(tx, branch, "org_id").await?;
        let roster = branch_roster(tx, &branch_row.org_path, branch, self.held_on).await?;
        let roster_refs: Vec<(MemberId, &Member)> =
            roster.iter().map(|(id, member)| (*id, member)).collect();
        validate_meeting_roster(self, &roster_refs)?;
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for zhibu_core::MeetingPlan {
    /// A plan is filed under an existing branch, or for a group meeting under an existing party
    /// group, like the meeting it plans (the roster is checked when the meeting is recorded).
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, org) = require_org(tx, self.org_id, "org_id").await?;
        match (org.level, self.is_kind(MeetingKind::GroupMeeting)) {
            (OrgLevel::Branch, false) | (OrgLevel::PartyGroup, true) => Ok(row.org_path),
            (OrgLevel::PartyGroup, false) => Err(invalid(
                "kinds",
                "group_holds_group_meetings",
                "党小组只能召开党小组会".into(),
                "a party group holds group meetings only".into(),
            )),
            (OrgLevel::Branch, true) => Err(invalid(
                "org_id",
                "not_a_group",
                "党小组会须安排在党小组名下".into(),
                "a group meeting is planned under its party group".into(),
            )),
            _ => Err(invalid(
                "org_id",
                "not_a_branch",
                format!(
                    "{}是{}，会议安排须记在党支部或党小组名下",
                    org.name,
                    org.level.name_zh()
                ),
                format!(
                    "{} is a {:?}; meetings are planned under a branch or a party group",
                    org.name, org.level
                ),
            )),
        }
    }
}

#[async_trait]
impl ContextCheck for HeartToHeartTalk {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, org) = require_org(tx, self.org_id, "org_id").await?;
        if org.level != OrgLevel::Branch {
            return Err(invalid(
                "org_id",
                "not_a_branch",
                "谈心谈话记在党支部名下".into(),
                "talks are recorded under a branch".into(),
            ));
        }
        let roster = branch_roster(tx, &row.org_path, self.org_id, self.held_on).await?;
        let roster_refs: Vec<(MemberId, &Member)> =
            roster.iter().map(|(id, member)| (*id, member)).collect();
        validate_talk_roster(self, &roster_refs)?;
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for Exemption {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, _) = require_org(tx, self.org_id, "org_id").await?;
        let (granting_row, _) = require_org(tx, self.granted_by, "granted_by").await?;
        let is_strict_ancestor = row.org_path.starts_with(&granting_row.org_path)
            && row.org_path != granting_row.org_path;
        if !is_strict_ancestor {
            return Err(invalid(
                "granted_by",
                "not_upper_org",
                "豁免须由该组织的上级党组织作出".into(),
                "only an organization above this one may grant the exemption".into(),
            ));
        }
        if !self
            .finding_key
            .split('|')
            .nth(1)
            .is_some_and(|org| org == self.org_id.to_string())
        {
            return Err(invalid(
                "finding_key",
                "other_org",
                "问题编号与组织不符".into(),
                "the finding key names another organization".into(),
            ));
        }
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for LocalRule {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, org) = require_org(tx, self.issued_by, "issued_by").await?;
        if matches!(org.level, OrgLevel::Branch | OrgLevel::PartyGroup) {
            return Err(invalid(
                "issued_by",
                "not_upper_org",
                "本地规则由上级党委制定".into(),
                "local rules are issued by an upper committee".into(),
            ));
        }
        validate_local_rule(self, catalogue)?;
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for Statement {
    /// A member may state their case only on a record that concerns them: a meeting whose attendance
    /// lists them, a talk they took part in, or their own member record. The statement is filed
    /// under the org path of that record, so whoever sees the record sees the statement.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let not_found = || {
            invalid(
                "about.id",
                "unknown_record",
                format!(
                    "找不到编号为{}的{}",
                    self.about.id,
                    self.about.kind.name_zh()
                ),
                format!(
                    "there is no {} with id {}",
                    self.about.kind.name_en(),
                    self.about.id
                ),
            )
        };
        let row = match tx.get(self.about.id).await? {
            Some(row) if row.kind == self.about.kind && !row.deleted => row,
            _ => return Err(not_found()),
        };
        let concerns_member = match self.about.kind {
            RecordKind::Meeting => decode::<Meeting>(&row)?
                .attendance
                .iter()
                .any(|entry| entry.member_id == self.member_id),
            RecordKind::Talk => decode::<HeartToHeartTalk>(&row)?.involves(self.member_id),
            RecordKind::Member => row.id == self.member_id.0,
            _ => return Err(not_found()),
        };
        if !concerns_member {
            return Err(invalid(
                "about.id",
                "not_concerned",
                format!(
                    "该{}与党员{}无关，不能就此作出陈述",
                    self.about.kind.name_zh(),
                    self.member_id
                ),
                format!(
                    "this {} does not concern member {}, who cannot state a case on it",
                    self.about.kind.name_en(),
                    self.member_id
                ),
            ));
        }
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for AdmissionRecord {
    /// The pipeline is kept by a branch; sponsors and mentors are judged by their standing in that
    /// branch on the day they were assigned, and publicity in working days by the national calendar.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let branch = self.person.branch_id;
        let (row, org) = require_org(tx, branch, "person.branch_id").await?;
        if org.level != OrgLevel::Branch {
            return Err(invalid(
                "person.branch_id",
                "not_a_branch",
                "发展党员记录由党支部保管".into(),
                "an admission record is kept by a branch".into(),
            ));
        }
        let calendar = WorkdayCalendar::national().map_err(|error| {
            invalid(
                "person.branch_id",
                "no_workday_calendar",
                error.to_string(),
                error.to_string(),
            )
        })?;
        let members: Vec<(MemberId, Member)> = tx
            .list(&RecordQuery::in_subtree(RecordKind::Member, &row.org_path))
            .await?
            .iter()
            .map(|row| {
                serde_json::from_str::<Member>(&row.body)
                    .map(|member| (MemberId(row.id), member))
                    .map_err(|error| StorageError::Corrupt {
                        id: row.id,
                        message: error.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let references: Vec<(MemberId, &Member)> =
            members.iter().map(|(id, member)| (*id, member)).collect();
        let standing =
            |member: MemberId, date: NaiveDate| standing_from_members(&references, member, date);
        validate_admission(
            self,
            &AdmissionContext {
                calendar: &calendar,
                standing: &standing,
            },
        )?;
        // 细则 第二十二条: 预备党员必须由党委审批 — a 党委 (or 工委) above the branch, never a 党总支.
        if let Some(committee) = self.approving_committee {
            let rule = "RECRUIT.APPROVAL.PARTY_COMMITTEE_ONLY";
            let day = self
                .admission_approval
                .as_ref()
                .map_or(self.application_received_on, |approval| approval.decided_on);
            let cited = zhibu_core::admission::citation(
                rule,
                zhibu_core::admission::AdmissionRuleSet::in_force_on(day),
            );
            let approver = load_org(tx, committee).await?;
            let fits = approver.as_ref().is_some_and(|(approver_row, approver)| {
                row.org_path.starts_with(&approver_row.org_path)
                    && row.org_path != approver_row.org_path
                    && matches!(
                        approver.level,
                        OrgLevel::PartyCommittee | OrgLevel::WorkingCommittee
                    )
            });
            if !fits {
                let what_zh = approver.as_ref().map_or_else(
                    || format!("党组织{committee}不存在"),
                    |(_, org)| format!("{}是{}", org.name, org.level.name_zh()),
                );
                let what_en = approver.as_ref().map_or_else(
                    || format!("organization {committee} does not exist"),
                    |(_, org)| format!("{} is a {:?}", org.name, org.level),
                );
                return Err(StorageError::Invalid(ValidationErrors::single(
                    zhibu_core::FieldError::new(
                        "approving_committee",
                        rule,
                        format!(
                            "预备党员必须由本支部上级的党委审批，{what_zh}{}",
                            cited.suffix_zh()
                        ),
                        format!(
                            "a probationary member is approved by a Party committee above the branch; {what_en} {}",
                            cited.suffix_en()
                        ),
                    ),
                )));
            }
        }
        Ok(row.org_path)
    }
}

// ---- Dues (issue 4): declarations, payments, reliefs and branch settings are kept under the
// branch named in the record, which must be the member's dues branch at the record's date.

async fn require_member(
    tx: &mut dyn Transaction,
    id: MemberId,
    field: &str,
) -> Result<Member, StorageError> {
    match tx.get(id.0).await? {
        Some(row) if row.kind == RecordKind::Member && !row.deleted => decode::<Member>(&row),
        _ => Err(invalid(
            field,
            "unknown_member",
            format!("党员{id}不存在"),
            format!("member {id} does not exist"),
        )),
    }
}

/// The branch's row, refusing anything but a branch.
async fn require_branch(
    tx: &mut dyn Transaction,
    id: OrgId,
    field: &str,
) -> Result<(RecordRow, Org), StorageError> {
    let (row, org) = require_org(tx, id, field).await?;
    if org.level != OrgLevel::Branch {
        return Err(invalid(
            field,
            "not_a_branch",
            format!("党费记在党支部名下，{}是{}", org.name, org.level.name_zh()),
            format!(
                "dues are recorded under a branch; {} is a {:?}",
                org.name, org.level
            ),
        ));
    }
    Ok((row, org))
}

fn not_dues_branch(
    branch: &Org,
    member_id: MemberId,
    when_zh: &str,
    when_en: &str,
) -> StorageError {
    invalid(
        "branch_id",
        "not_member_of_branch",
        format!(
            "党员{member_id}{when_zh}不在{}（党费由党员所在党支部收缴，党费规定第九条）",
            branch.name
        ),
        format!(
            "member {member_id} did not belong to {} {when_en} (dues are collected by the member's branch, dues rules art. 9)",
            branch.name
        ),
    )
}

#[async_trait]
impl ContextCheck for IncomeDeclaration {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, branch) = require_branch(tx, self.branch_id, "branch_id").await?;
        let member = require_member(tx, self.member_id, "member_id").await?;
        if dues_branch_for(&member, self.effective_month) != Some(self.branch_id) {
            return Err(not_dues_branch(
                &branch,
                self.member_id,
                &format!("在{}", self.effective_month.label_zh()),
                &format!("in {}", self.effective_month),
            ));
        }
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for DuesPayment {
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, branch) = require_branch(tx, self.branch_id, "branch_id").await?;
        let member = require_member(tx, self.member_id, "member_id").await?;
        if member.branch_on(self.paid_on) != Some(self.branch_id) {
            return Err(not_dues_branch(
                &branch,
                self.member_id,
                &format!("在{}", self.paid_on),
                &format!("on {}", self.paid_on),
            ));
        }
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for DuesRelief {
    /// The branch decides (it must be the member's dues branch in the first month relieved); the
    /// approval, when recorded, must come from an organization above the branch (第七条).
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, branch) = require_branch(tx, self.branch_id, "branch_id").await?;
        let member = require_member(tx, self.member_id, "member_id").await?;
        if dues_branch_for(&member, self.from_month) != Some(self.branch_id) {
            return Err(not_dues_branch(
                &branch,
                self.member_id,
                &format!("在{}", self.from_month.label_zh()),
                &format!("in {}", self.from_month),
            ));
        }
        if let Some(approver) = self.approved_by {
            let (approver_row, approver_org) = require_org(tx, approver, "approved_by").await?;
            let is_strict_ancestor = row.org_path.starts_with(&approver_row.org_path)
                && row.org_path != approver_row.org_path;
            if !is_strict_ancestor || approver_org.level == OrgLevel::PartyGroup {
                return Err(invalid(
                    "approved_by",
                    "not_upper_org",
                    format!(
                        "少交或免交党费须报上级党委批准（党费规定第七条），{}不是{}的上级党组织",
                        approver_org.name, branch.name
                    ),
                    format!(
                        "a reduction or waiver is approved by an upper Party committee (dues rules art. 7); {} is not above {}",
                        approver_org.name, branch.name
                    ),
                ));
            }
        }
        Ok(row.org_path)
    }
}

#[async_trait]
impl ContextCheck for BranchDuesPolicy {
    /// Settings are kept by a branch; a later decision supersedes an earlier one (the engine and
    /// the reports use the one decided last), so their history is the branch's decisions.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let (row, _) = require_branch(tx, self.branch_id, "branch_id").await?;
        Ok(row.org_path)
    }
}

// ---------------------------------------------------------------------------------------------
// Votes and elections (issue 5): the entitlement is recomputed from the members' status on the
// day and must equal the frozen list; those present must be on the meeting's roster as present.
// ---------------------------------------------------------------------------------------------

/// The general meeting of `branch` on `date` with id `meeting_id`, or a refusal naming the field.
async fn general_meeting_of(
    tx: &mut dyn Transaction,
    meeting_id: zhibu_core::MeetingId,
    branch: OrgId,
    date: NaiveDate,
) -> Result<Meeting, StorageError> {
    let meeting = match tx.get(meeting_id.0).await? {
        Some(row) if row.kind == RecordKind::Meeting && !row.deleted => decode::<Meeting>(&row)?,
        _ => {
            return Err(invalid(
                "meeting_id",
                "unknown_meeting",
                format!("会议{meeting_id}不存在"),
                format!("meeting {meeting_id} does not exist"),
            ));
        }
    };
    if meeting.org_id != branch || !meeting.is_kind(MeetingKind::GeneralMeeting) {
        return Err(invalid(
            "meeting_id",
            "not_a_general_meeting",
            format!("会议{meeting_id}不是本支部的党员大会：表决和选举在支部党员大会上进行"),
            format!(
                "meeting {meeting_id} is not a general meeting of this branch: votes and elections take place at one"
            ),
        ));
    }
    if meeting.held_on != date {
        return Err(invalid(
            "meeting_id",
            "other_day",
            format!(
                "会议{meeting_id}于{}召开，与表决日期{date}不符",
                meeting.held_on
            ),
            format!(
                "meeting {meeting_id} was held on {}, not on the day of the vote {date}",
                meeting.held_on
            ),
        ));
    }
    Ok(meeting)
}

/// Checks a frozen entitlement against the branch's roster on `date` and the present list against
/// the meeting. Returns the org path of the branch.
async fn check_entitlement(
    tx: &mut dyn Transaction,
    branch: OrgId,
    date: NaiveDate,
    entitled: &[MemberId],
    present: &[(String, MemberId)],
    meeting: &Meeting,
    rule_id: &str,
) -> Result<String, StorageError> {
    let (row, org) = require_org(tx, branch, "org_id").await?;
    if org.level != OrgLevel::Branch {
        return Err(invalid(
            "org_id",
            "not_a_branch",
            "表决和选举记在党支部名下".into(),
            "votes and elections are recorded under a branch".into(),
        ));
    }
    let roster = branch_roster(tx, &row.org_path, branch, date).await?;
    let roster_refs: Vec<(MemberId, &Member)> =
        roster.iter().map(|(id, member)| (*id, member)).collect();
    let frozen = zhibu_core::voting::VoteEntitlement::freeze(&roster_refs, date);
    let mut errors = ValidationErrors::new();
    for (index, member) in entitled.iter().enumerate() {
        if !frozen.may_vote(*member) {
            let in_branch = roster.iter().any(|(id, _)| id == member);
            let (zh, en) = if in_branch {
                (
                    format!("党员{member}在{date}没有表决权（预备党员、留党察看或权利中止）"),
                    format!(
                        "member {member} had no vote on {date} (probationary, under Party probation or rights suspended)"
                    ),
                )
            } else {
                (
                    format!("党员{member}在{date}不属于本支部"),
                    format!("member {member} did not belong to this branch on {date}"),
                )
            };
            errors.push(zhibu_core::vote_records::voting_rule_error(
                format!("entitled[{index}]"),
                rule_id,
                zh,
                en,
            ));
        }
    }
    for voter in frozen.voters() {
        if !entitled.contains(&voter) {
            errors.push(zhibu_core::vote_records::voting_rule_error(
                "entitled",
                rule_id,
                format!("党员{voter}在{date}有表决权，应列入应到会名单"),
                format!(
                    "member {voter} had a vote on {date} and must be on the list of those expected"
                ),
            ));
        }
    }
    for (field, member) in present {
        if !meeting.was_present(*member) {
            errors.add(
                field.clone(),
                "not_present_at_meeting",
                format!("党员{member}在会议记录中不是实到"),
                format!("member {member} is not recorded as present at the meeting"),
            );
        }
    }
    errors.into_result()?;
    Ok(row.org_path)
}

#[async_trait]
impl ContextCheck for zhibu_core::vote_records::VoteRecord {
    /// The vote belongs to a general meeting of the branch held that day; its entitlement is the
    /// branch's voting members that day; those present were present at the meeting; the person
    /// voted on has an admission record in the branch; and the same question is not voted on
    /// twice at one meeting.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        own_id: i64,
    ) -> Result<String, StorageError> {
        let date = self.opened_at.date();
        let meeting = general_meeting_of(tx, self.meeting_id, self.org_id, date).await?;
        let present: Vec<(String, MemberId)> = self
            .present
            .iter()
            .enumerate()
            .map(|(index, member)| (format!("present[{index}]"), *member))
            .collect();
        let path = check_entitlement(
            tx,
            self.org_id,
            date,
            &self.entitled,
            &present,
            &meeting,
            self.rules().quorum_rule,
        )
        .await?;
        let mut errors = ValidationErrors::new();
        for (index, candidate) in self.question.candidates().iter().enumerate() {
            let known = match tx.get(candidate.0).await? {
                Some(row) if row.kind == RecordKind::AdmissionRecord && !row.deleted => {
                    decode::<AdmissionRecord>(&row)?.person.branch_id == self.org_id
                }
                _ => false,
            };
            if !known {
                errors.add(
                    format!("question.candidates[{index}]"),
                    "unknown_admission_record",
                    format!("本支部没有编号为{candidate}的发展党员记录"),
                    format!("this branch has no admission record {candidate}"),
                );
            }
        }
        let others = tx
            .list(&RecordQuery::in_subtree(RecordKind::Vote, &path))
            .await?;
        for row in others {
            if row.id == own_id {
                continue;
            }
            let other = decode::<zhibu_core::vote_records::VoteRecord>(&row)?;
            if other.meeting_id == self.meeting_id && other.question == self.question {
                errors.add(
                    "question",
                    "already_voted",
                    format!("这一事项已在本次会议上表决（表决{}）：每人只能投一票", row.id),
                    format!(
                        "this question was already voted on at this meeting (vote {}): no one votes twice",
                        row.id
                    ),
                );
            }
        }
        errors.into_result()?;
        Ok(path)
    }
}

#[async_trait]
impl ContextCheck for zhibu_core::vote_records::ElectionRecord {
    /// The election belongs to a general meeting of the branch that day; the entitlement is the
    /// branch's voting members that day; everyone counted present was present at the meeting; the
    /// term it renews is the branch's.
    async fn check_context(
        &self,
        tx: &mut dyn Transaction,
        _catalogue: &Catalogue,
        _own_id: i64,
    ) -> Result<String, StorageError> {
        let meeting = general_meeting_of(tx, self.meeting_id, self.org_id, self.held_on).await?;
        let present: Vec<(String, MemberId)> = self
            .rounds
            .iter()
            .enumerate()
            .flat_map(|(round, entry)| {
                entry
                    .present
                    .iter()
                    .enumerate()
                    .map(move |(index, member)| {
                        (format!("rounds[{round}].present[{index}]"), *member)
                    })
            })
            .collect();
        let path = check_entitlement(
            tx,
            self.org_id,
            self.held_on,
            &self.entitled,
            &present,
            &meeting,
            "ELECT.VOTING_RIGHTS",
        )
        .await?;
        if let Some(term) = self.previous_term {
            let belongs = match tx.get(term.0).await? {
                Some(row) if row.kind == RecordKind::CommitteeTerm && !row.deleted => {
                    decode::<CommitteeTerm>(&row)?.org_id == self.org_id
                }
                _ => false,
            };
            if !belongs {
                return Err(invalid(
                    "previous_term",
                    "unknown_term",
                    format!("本支部没有编号为{term}的委员会任期记录"),
                    format!("this branch has no committee term {term}"),
                ));
            }
        }
        Ok(path)
    }
}
