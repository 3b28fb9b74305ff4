//! Accounts, sign-in sessions and the audit log: the second thing each database keeps, beside the
//! records.
//!
//! They are deliberately outside the hash chain. A password change or a session is not a record
//! of what a Party organization did, and the chain must not grow with every sign-in; the audit log
//! is its own append-only table, searched by administrators. Each backend implements
//! [`AccountStore`] with its own SQL and hands it out from [`crate::Backend::accounts`].
//!
//! Roles are stored as text here: what a role may do is the web layer's business, and storage
//! only keeps the word.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StorageError;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    /// Unique, compared exactly (the web layer lower-cases and trims before storing).
    pub login: String,
    pub display_name: String,
    /// A PHC string (`$argon2id$v=19$…`); never the password.
    pub password_hash: String,
    /// The role's snake_case name, e.g. `branch_secretary`.
    pub role: String,
    /// The org whose subtree the account works in; `None` for administrators.
    pub scope_org_id: Option<i64>,
    /// The account holder's own member record, if they are a member.
    pub member_id: Option<i64>,
    /// Failed sign-ins since the last success.
    pub failed_attempts: i32,
    /// Sign-in is refused until this instant.
    pub locked_until: Option<DateTime<Utc>>,
    /// The holder must choose a new password before doing anything else (after a reset).
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

/// What creating an account needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub scope_org_id: Option<i64>,
    pub member_id: Option<i64>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session. The cookie holds a random token; only its SHA-256 is stored, so that a
/// copy of the database does not let anyone sign in as someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Lowercase hex SHA-256 of the token in the cookie.
    pub token_hash: String,
    pub account_id: i64,
    /// The token every form and cookie-authenticated API write of this session must carry.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One entry to append to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    /// The account that acted; `None` for a failed sign-in with an unknown login, or the system.
    pub account_id: Option<i64>,
    /// The login as typed or as signed in (kept even if the account is later renamed).
    pub login: Option<String>,
    /// What happened, e.g. `sign_in`, `sign_in_failed`, `create`, `amend`, `export`.
    pub action: String,
    /// The kind of thing acted on (`meeting`, `account`, `session`…).
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    /// The org path of the target (`/1/5/23/`), so that an org's entries can be found by subtree.
    pub org_path: Option<String>,
    /// A JSON object with whatever else is worth keeping (a reason, a version, a count).
    pub detail: String,
    pub ip: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub login: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub org_path: Option<String>,
    pub detail: String,
    pub ip: Option<String>,
}

/// A search of the audit log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Exact login.
    pub login: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Entries whose org path starts with this (a subtree).
    pub path_prefix: Option<String>,
    /// Keyset paging, newest first: only ids smaller than this.
    pub before_id: Option<i64>,
    /// At most this many entries.
    pub limit: u32,
}

/// Accounts, sessions and the audit log of one database.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account. A login already taken is refused as invalid input on the field `login`.
    async fn create_account(&self, account: &NewAccount) -> Result<AccountRow, StorageError>;

    async fn account(&self, id: i64) -> Result<Option<AccountRow>, StorageError>;

    async fn account_by_login(&self, login: &str) -> Result<Option<AccountRow>, StorageError>;

    /// Every account, in id order.
    async fn list_accounts(&self) -> Result<Vec<AccountRow>, StorageError>;

    /// Adds one failed sign-in and returns the count since the last success. The increment is
    /// done by the database, so that two wrong passwords sent at once both count.
    async fn count_failed_sign_in(&self, id: i64) -> Result<i32, StorageError>;

    /// Refuses sign-in to the account until `until`.
    async fn lock_account(&self, id: i64, until: DateTime<Utc>) -> Result<(), StorageError>;

    /// A successful sign-in: the failure count and any lock are cleared.
    async fn clear_failed_sign_ins(&self, id: i64) -> Result<(), StorageError>;

    /// Replaces the password hash, clears failures and lock, and sets whether the holder must
    /// change it at the next sign-in.
    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change_password: bool,
    ) -> Result<(), StorageError>;

    async fn create_session(&self, session: &SessionRow) -> Result<(), StorageError>;

    /// The session with this token hash, expired or not (the caller compares with the clock).
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StorageError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StorageError>;

    /// Ends every session of an account (after a password change or reset); returns how many.
    async fn delete_sessions_of_account(&self, account_id: i64) -> Result<u64, StorageError>;

    /// Removes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StorageError>;

    /// Appends one entry and returns its id. Entries are never changed or removed.
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<i64, StorageError>;

    async fn search_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StorageError>;
}
