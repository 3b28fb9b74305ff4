//! Accounts, sign-in, roles scoped to the org tree, CSRF protection and the audit log.
//!
//! Architecture invariant: **every query is scoped on the server.** A handler that reads or
//! writes records takes a [`Principal`] (the signed-in account) and asks it, or the policy in
//! [`policy`], before it touches a record; a record outside the principal's subtree answers exactly
//! as a record that does not exist (404), so that ids cannot be probed. The table of what each role
//! may do is [`policy::POLICY`]; docs/AUTHORIZATION.md is the same table in prose.
//!
//! Code map:
//! - [`Role`], [`Principal`]: who is asking, and the subtree they work in.
//! - `session`: the `zhibu_session` cookie, the [`Principal`] extractor, [`PageRedirect`].
//! - `csrf`: [`verify_csrf`] and the [`CsrfForm`] extractor for form posts; API writes are checked
//!   in the extractor itself (header `X-CSRF-Token`).
//! - `password`: Argon2id hashing, random tokens, the sign-in back-off.
//! - `audit`: [`audit`] and the administrators' search `GET /api/v1/audit`.
//! - `handlers`: `/login`, `/logout`, `/account/password`, `/admin/accounts/{id}/reset`,
//!   `/api/v1/session`.
//! - `demo`: [`create_demo_accounts`] for `zhibu serve --demo`.
//! - `routes`: [`routes::all`], the one table of every route (API, forms and pages), which the
//!   authorization tests walk, and [`routes::RecordingRouter`], through which the page and form
//!   routers are built so that a test can hold the table equal to what is served.

pub mod audit;
pub mod csrf;
pub mod demo;
pub mod handlers;
pub mod password;
pub mod policy;
pub mod routes;
pub mod scope;
pub mod session;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhibu_core::{MemberId, OrgId, RecordKind};
use zhibu_storage::{Repository, StorageError};

pub use audit::{AuditTarget, audit};
pub use csrf::{CSRF_FIELD, CSRF_HEADER, CsrfForm, verify_csrf};
pub use demo::{DemoCredential, create_demo_accounts};
pub use password::{hash_password, new_one_time_password};
pub use policy::{Access, Action, Area};
pub use scope::ScopedRecord;
pub use session::{AuthRejection, PageRedirect, SESSION_COOKIE};

/// What an account may do, and where (its [`Principal::scope_org`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: every organization, accounts and the audit log.
    Administrator,
    /// 上级党委工作人员: their committee's whole subtree, including exemptions and local rules.
    CommitteeStaff,
    /// 支部书记: their branch's records, deletions included.
    BranchSecretary,
    /// 支部委员: their branch's records, without deletions or committee terms.
    BranchCommitteeMember,
    /// 党员: their own member record, the meetings they were on the roster of, and their talks.
    Member,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::CommitteeStaff,
        Role::BranchSecretary,
        Role::BranchCommitteeMember,
        Role::Member,
    ];

    /// The name stored in the database and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::CommitteeStaff => "committee_staff",
            Role::BranchSecretary => "branch_secretary",
            Role::BranchCommitteeMember => "branch_committee_member",
            Role::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Administrator => "系统管理员",
            Role::CommitteeStaff => "上级党委工作人员",
            Role::BranchSecretary => "支部书记",
            Role::BranchCommitteeMember => "支部委员",
            Role::Member => "党员",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::CommitteeStaff => "committee staff",
            Role::BranchSecretary => "branch secretary",
            Role::BranchCommitteeMember => "branch committee member",
            Role::Member => "member",
        }
    }
}

/// Where a principal may look: everywhere, one subtree, or (when the account's org has been
/// deleted) nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// The path of the scope org, `/1/5/`; every path that starts with it is inside.
    Subtree(String),
    Nothing,
}

/// The signed-in account making a request. Extracted from the session cookie (see `session`);
/// handlers take it as an argument, and every record they read or write is checked against it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The committee or branch the account works in; `None` for administrators.
    pub scope_org: Option<OrgId>,
    /// The account holder's own member record.
    pub member_id: Option<MemberId>,
    /// The session's CSRF token: forms carry it in the field `csrf_token`, API writes in the
    /// header `X-CSRF-Token`.
    pub csrf_token: String,
    /// A reset password must be replaced before anything else is allowed.
    pub must_change_password: bool,
    /// Unread reminders in the account's inbox (issue 7), for the page header.
    pub unread_notices: i64,
    /// The client's address, for the audit log, when the server knows it.
    pub ip: Option<String>,
    /// Resolved once when the principal is extracted, so that checks need no database call.
    pub scope: Scope,
}

impl Principal {
    pub fn is_administrator(&self) -> bool {
        self.role == Role::Administrator
    }

    /// Whether a record at `path` (an org path like `/1/5/23/`) lies in the principal's subtree.
    pub fn can_see_path(&self, path: &str) -> bool {
        match &self.scope {
            Scope::Everything => true,
            Scope::Subtree(prefix) => path.starts_with(prefix.as_str()),
            Scope::Nothing => false,
        }
    }

    /// Whether `org` lies in the principal's subtree. An org that does not exist is not visible
    /// (the same answer, so that the two cannot be told apart).
    pub async fn can_see_org(
        &self,
        repository: &Repository,
        org: OrgId,
    ) -> Result<bool, StorageError> {
        if self.scope == Scope::Everything {
            return Ok(true);
        }
        match repository.org_path(org).await {
            Ok(path) => Ok(self.can_see_path(&path)),
            Err(StorageError::NotFound {
                kind: RecordKind::Org,
                id,
            }) if id == org.0 => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Whether `org` lies strictly below the principal's own org (staff manage the orgs under
    /// their committee, not the committee itself).
    pub async fn is_strictly_below_scope(
        &self,
        repository: &Repository,
        org: OrgId,
    ) -> Result<bool, StorageError> {
        match &self.scope {
            Scope::Everything => Ok(true),
            Scope::Nothing => Ok(false),
            Scope::Subtree(prefix) => match repository.org_path(org).await {
                Ok(path) => Ok(path.starts_with(prefix.as_str()) && path != *prefix),
                Err(StorageError::NotFound {
                    kind: RecordKind::Org,
                    id,
                }) if id == org.0 => Ok(false),
                Err(error) => Err(error),
            },
        }
    }

    /// The org a list or report is confined to: the requested one if it is inside the scope, the
    /// scope org if none was requested; `Err(())` if the requested org is outside (or missing).
    pub async fn confine(
        &self,
        repository: &Repository,
        requested: Option<OrgId>,
    ) -> Result<Option<OrgId>, ConfineError> {
        match requested {
            Some(org) => {
                if self.can_see_org(repository, org).await? {
                    Ok(Some(org))
                } else {
                    Err(ConfineError::Outside(org))
                }
            }
            None => match &self.scope {
                Scope::Everything => Ok(None),
                Scope::Subtree(_) => Ok(self.scope_org),
                Scope::Nothing => Err(ConfineError::NoScope),
            },
        }
    }

    /// Whether the role writes records at all (members only read).
    pub fn can_write(&self) -> bool {
        !matches!(self.role, Role::Member) && self.scope != Scope::Nothing
    }

    /// Whether the principal may read the member record `member` kept at `path`.
    pub fn may_see_member(&self, member: MemberId, path: &str) -> bool {
        match self.role {
            Role::Member => self.member_id == Some(member),
            _ => self.can_see_path(path),
        }
    }

    /// Whether personal identifiers (ID number, phone) are shown unmasked: to administrators,
    /// committee staff and branch secretaries, who handle transfers and contact members, and to a
    /// member for their own record. Everyone else sees them masked ([`mask_identifier`]).
    pub fn may_see_personal_identifiers(&self, member: Option<MemberId>) -> bool {
        match self.role {
            Role::Administrator | Role::CommitteeStaff | Role::BranchSecretary => true,
            Role::BranchCommitteeMember => false,
            Role::Member => member.is_some() && self.member_id == member,
        }
    }

    /// What the policy allows this principal in `area` for `action` (see [`policy::POLICY`]).
    pub fn allows(&self, area: Area, action: Action) -> policy::Access {
        policy::access(self.role, area, action)
    }
}

/// Why a list could not be confined to the principal's scope.
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    #[error("organization {0} is outside the principal's scope")]
    Outside(OrgId),
    #[error("the account's organization no longer exists")]
    NoScope,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Masks a personal identifier for display to a role that does not need it: the first three and
/// the last four characters stay (`110***********1234`), enough to tell two people apart.
pub fn mask_identifier(value: &str) -> String {
    let characters: Vec<char> = value.chars().collect();
    if characters.len() <= 7 {
        return "*".repeat(characters.len());
    }
    let mut masked = String::new();
    for (index, character) in characters.iter().enumerate() {
        if index < 3 || index >= characters.len() - 4 {
            masked.push(*character);
        } else {
            masked.push('*');
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("serialize");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn identifiers_are_masked_in_the_middle() {
        assert_eq!(mask_identifier("110101199003071234"), "110***********1234");
        assert_eq!(mask_identifier("13812345678"), "138****5678");
        assert_eq!(mask_identifier("1234"), "****");
    }
}
