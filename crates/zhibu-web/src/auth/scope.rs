//! The record-level half of authorization: which orgs a record is written for, whether it
//! concerns a member, and what a member may not see of it. [`check_read`] and [`check_write`] are
//! what every record handler calls; they apply [`super::policy`] to one stored row.

use zhibu_core::rules::LocalRule;
use zhibu_core::{
    CommitteeTerm, Exemption, HeartToHeartTalk, Meeting, Member, MemberId, Org, OrgId, Record,
    RecordKind,
};
use zhibu_storage::{ContextCheck, RecordRow, StorageError};

use super::policy::{Access, Action, Area};
use super::{Principal, Scope};
use crate::AppState;
use crate::error::ApiError;

/// What the authorization layer needs to know about a record type.
pub trait ScopedRecord: ContextCheck {
    /// The policy area of this kind of record.
    const AREA: Area;

    /// The orgs a writer must have in scope to write this body: the org it is filed under, and any
    /// org it speaks for (an exemption's granting org, a local rule's issuer). Empty for a
    /// top-level org, which only an administrator creates.
    fn orgs_written_for(&self) -> Vec<OrgId>;

    /// Whether the record is about member `member` (for members, who see only their own).
    /// `own_id` is the record's id.
    fn concerns_member(&self, _own_id: i64, _member: MemberId) -> bool {
        false
    }

    /// Removes what a member may not see of a record that concerns them (other people's
    /// attendance, for example).
    fn redact_for_member(&mut self, _member: MemberId) {}

    /// Removes the personal data (`Record::PERSONAL_FIELDS`: ID number, phone) from a body the
    /// API hands out: the API never returns it (issue 4; pages show it masked).
    fn withhold_personal(&mut self) {}

    /// An amendment sent without the personal data the API withheld keeps the stored values.
    fn keep_personal_from(&mut self, _stored: &Self) {}
}

impl ScopedRecord for Org {
    const AREA: Area = Area::Orgs;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        self.parent_id.into_iter().collect()
    }
}

impl ScopedRecord for Member {
    const AREA: Area = Area::Members;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        self.scope_org().into_iter().collect()
    }
    fn concerns_member(&self, own_id: i64, member: MemberId) -> bool {
        own_id == member.0
    }
    fn withhold_personal(&mut self) {
        self.registry.id_number = None;
        self.registry.phone = None;
    }
    fn keep_personal_from(&mut self, stored: &Self) {
        if self.registry.id_number.is_none() {
            self.registry.id_number = stored.registry.id_number.clone();
        }
        if self.registry.phone.is_none() {
            self.registry.phone = stored.registry.phone.clone();
        }
    }
}

impl ScopedRecord for Meeting {
    const AREA: Area = Area::Meetings;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
    fn concerns_member(&self, _own_id: i64, member: MemberId) -> bool {
        self.chair_id == Some(member)
            || self.recorder_id == Some(member)
            || self
                .attendance
                .iter()
                .any(|entry| entry.member_id == member)
    }
    fn redact_for_member(&mut self, member: MemberId) {
        // Why someone else was excused is theirs to know, not the branch's members'.
        self.attendance.retain(|entry| entry.member_id == member);
    }
}

impl ScopedRecord for HeartToHeartTalk {
    const AREA: Area = Area::Talks;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
    fn concerns_member(&self, _own_id: i64, member: MemberId) -> bool {
        self.participants.contains(&member)
    }
}

impl ScopedRecord for zhibu_core::MeetingPlan {
    const AREA: Area = Area::MeetingPlans;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
}

impl ScopedRecord for CommitteeTerm {
    const AREA: Area = Area::CommitteeTerms;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
}

impl ScopedRecord for LocalRule {
    const AREA: Area = Area::LocalRules;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.issued_by]
    }
}

impl ScopedRecord for Exemption {
    const AREA: Area = Area::Exemptions;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id, self.granted_by]
    }
}

fn not_found(kind: RecordKind, id: i64) -> ApiError {
    ApiError::Storage(StorageError::NotFound { kind, id })
}

/// The stored row of record `id` of kind `T` (deleted or not), if the principal may read it;
/// otherwise not found, exactly as if it did not exist.
pub async fn readable_row<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<RecordRow, ApiError> {
    let access = principal.allows(T::AREA, Action::Read);
    if access == Access::Denied {
        return Err(ApiError::forbidden_role(principal));
    }
    let row = match state.repository.backend().get(id).await? {
        Some(row) if row.kind == T::KIND => row,
        _ => return Err(not_found(T::KIND, id)),
    };
    if !may_read_row::<T>(principal, access, &row)? {
        return Err(not_found(T::KIND, id));
    }
    Ok(row)
}

/// Whether `access` lets the principal read `row`.
pub fn may_read_row<T: ScopedRecord>(
    principal: &Principal,
    access: Access,
    row: &RecordRow,
) -> Result<bool, ApiError> {
    if !principal.can_see_path(&row.org_path) {
        return Ok(false);
    }
    match access {
        Access::Denied => Ok(false),
        Access::InScope | Access::BelowScope => Ok(true),
        Access::Own => {
            let Some(member) = principal.member_id else {
                return Ok(false);
            };
            let body: T = serde_json::from_str(&row.body).map_err(|error| {
                ApiError::Storage(StorageError::Corrupt {
                    id: row.id,
                    message: error.to_string(),
                })
            })?;
            Ok(body.concerns_member(row.id, member))
        }
    }
}

/// Whether the principal may read `body` (record `id`) under `access`, redacting it for a member.
pub fn filter_for_reader<T: ScopedRecord>(
    principal: &Principal,
    access: Access,
    id: i64,
    mut body: T,
) -> Option<T> {
    body.withhold_personal();
    match access {
        Access::Denied => None,
        Access::InScope | Access::BelowScope => Some(body),
        Access::Own => {
            let member = principal.member_id?;
            if !body.concerns_member(id, member) {
                return None;
            }
            body.redact_for_member(member);
            Some(body)
        }
    }
}

/// Refuses a write the policy does not allow: 403 for a role that may not write here at all or
/// for a body filed outside the principal's subtree; 404 for an existing record the principal
/// cannot even read. `existing` is the stored row of an amendment or deletion; `body` the new
/// record of a create or amendment.
pub async fn check_write<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    action: Action,
    existing: Option<i64>,
    body: Option<&T>,
) -> Result<Option<RecordRow>, ApiError> {
    let row = match existing {
        Some(id) => Some(readable_row::<T>(state, principal, id).await?),
        None => None,
    };
    let access = principal.allows(T::AREA, action);
    if access == Access::Denied || !principal.can_write() {
        return Err(ApiError::forbidden_role(principal));
    }
    if let Some(row) = &row {
        let inside = match (&principal.scope, access) {
            (Scope::Subtree(prefix), Access::BelowScope) => {
                row.org_path.starts_with(prefix.as_str()) && row.org_path != *prefix
            }
            _ => principal.can_see_path(&row.org_path),
        };
        if !inside {
            return Err(outside_scope());
        }
    }
    if let Some(body) = body {
        let orgs = body.orgs_written_for();
        if orgs.is_empty() && principal.scope != Scope::Everything {
            return Err(outside_scope());
        }
        for org in orgs {
            if !principal.can_see_org(&state.repository, org).await? {
                return Err(outside_scope());
            }
        }
    }
    Ok(row)
}

fn outside_scope() -> ApiError {
    ApiError::Forbidden {
        message_zh: "你只能在本人负责的组织范围内修改记录；该记录所属的组织不在此范围内（或不存在）。".into(),
        message_en: "You may only change records within the organizations you are responsible for; this record's organization is outside them (or does not exist).".into(),
    }
}

impl ScopedRecord for zhibu_core::admission::AdmissionRecord {
    const AREA: Area = Area::AdmissionRecords;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.person.branch_id]
    }
}

impl ScopedRecord for zhibu_core::vote_records::VoteRecord {
    const AREA: Area = Area::Votes;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
}

impl ScopedRecord for zhibu_core::vote_records::ElectionRecord {
    const AREA: Area = Area::Elections;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.org_id]
    }
}

// Dues records (issue 4): filed under the branch they name; a member reads those about them.

impl ScopedRecord for zhibu_core::dues::IncomeDeclaration {
    const AREA: Area = Area::IncomeDeclarations;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.branch_id]
    }
    fn concerns_member(&self, _own_id: i64, member: MemberId) -> bool {
        self.member_id == member
    }
}

impl ScopedRecord for zhibu_core::dues::DuesPayment {
    const AREA: Area = Area::DuesPayments;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.branch_id]
    }
    fn concerns_member(&self, _own_id: i64, member: MemberId) -> bool {
        self.member_id == member
    }
}

impl ScopedRecord for zhibu_core::dues::DuesRelief {
    const AREA: Area = Area::DuesReliefs;
    /// Naming the approving committee speaks for it: only someone whose scope holds it may.
    fn orgs_written_for(&self) -> Vec<OrgId> {
        let mut orgs = vec![self.branch_id];
        orgs.extend(self.approved_by);
        orgs
    }
    fn concerns_member(&self, _own_id: i64, member: MemberId) -> bool {
        self.member_id == member
    }
}

impl ScopedRecord for zhibu_core::dues::BranchDuesPolicy {
    const AREA: Area = Area::DuesPolicies;
    fn orgs_written_for(&self) -> Vec<OrgId> {
        vec![self.branch_id]
    }
}
