//! Checks of a record against the records around it, done inside the write transaction so that
//! what was checked is what gets written.

use async_trait::async_trait;
use chrono::NaiveDate;
use zhibu_core::admission::{
    AdmissionContext, AdmissionRecord, standing_from_members, validate_admission,
};
use zhibu_core::rules::{Catalogue, LocalRule, validate_local_rule};
use zhibu_core::dues::{
    BranchDuesPolicy, DuesPayment, DuesRelief, IncomeDeclaration, dues_branch_for,
};
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

fn not_dues_branch(branch: &Org, member_id: MemberId, when_zh: &str, when_en: &str) -> StorageError {
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
