//! Accounts, sessions and the audit log on SQLite. Instants are the same sortable RFC 3339 text as
//! everywhere else in this database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use zhibu_core::{FieldError, ValidationErrors};
use zhibu_storage::{
    AccountRow, AccountStore, AuditEntry, AuditQuery, NewAccount, NewAuditEntry, SessionRow,
    StorageError,
};

use crate::{SqliteBackend, column, corrupt, instant_column, instant_text};

macro_rules! select_accounts {
    ($rest:literal) => {
        concat!(
            "SELECT id, login, display_name, password_hash, role, scope_org_id, member_id, failed_attempts, locked_until, must_change_password, created_at FROM accounts ",
            $rest
        )
    };
}

const SELECT_ACCOUNT: &str = select_accounts!("WHERE id = ?1");

const SELECT_ACCOUNT_BY_LOGIN: &str = select_accounts!("WHERE login = ?1");

const SELECT_ACCOUNTS: &str = select_accounts!("ORDER BY id");

const INSERT_ACCOUNT: &str = "INSERT INTO accounts
(login, display_name, password_hash, role, scope_org_id, member_id, failed_attempts, locked_until, must_change_password, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL, ?7, ?8)
RETURNING id";

const COUNT_FAILURE: &str = "UPDATE accounts SET failed_attempts = failed_attempts + 1 WHERE id = ?1 RETURNING failed_attempts";

const LOCK_ACCOUNT: &str = "UPDATE accounts SET locked_until = ?2 WHERE id = ?1";

const CLEAR_FAILURES: &str =
    "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE id = ?1";

const SET_PASSWORD: &str = "UPDATE accounts
SET password_hash = ?2, must_change_password = ?3, failed_attempts = 0, locked_until = NULL
WHERE id = ?1";

const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at)
VALUES (?1, ?2, ?3, ?4, ?5)";

const SELECT_SESSION: &str = "SELECT token_hash, account_id, csrf_token, created_at, expires_at
FROM sessions WHERE token_hash = ?1";

const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = ?1";

const DELETE_ACCOUNT_SESSIONS: &str = "DELETE FROM sessions WHERE account_id = ?1";

const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at < ?1";

const INSERT_AUDIT: &str = "INSERT INTO audit_log
(at, account_id, login, action, target_kind, target_id, org_path, detail, ip)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
RETURNING id";

// Each filter is either NULL (not asked for) or compared; one statement serves every search.
const SEARCH_AUDIT: &str =
    "SELECT id, at, account_id, login, action, target_kind, target_id, org_path, detail, ip
FROM audit_log
WHERE (?1 IS NULL OR login = ?1)
  AND (?2 IS NULL OR action = ?2)
  AND (?3 IS NULL OR at >= ?3)
  AND (?4 IS NULL OR at < ?4)
  AND (?5 IS NULL OR org_path GLOB ?5)
  AND id < ?6
ORDER BY id DESC
LIMIT ?7";

fn decode_account(row: &SqliteRow) -> Result<AccountRow, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    let locked_until: Option<String> = column(row, id, "locked_until")?;
    let locked_until = match locked_until {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(&text)
                .map(|instant| instant.with_timezone(&Utc))
                .map_err(|error| corrupt(id, "locked_until", format!("{text:?}: {error}")))?,
        ),
        None => None,
    };
    Ok(AccountRow {
        id,
        login: column(row, id, "login")?,
        display_name: column(row, id, "display_name")?,
        password_hash: column(row, id, "password_hash")?,
        role: column(row, id, "role")?,
        scope_org_id: column(row, id, "scope_org_id")?,
        member_id: column(row, id, "member_id")?,
        failed_attempts: column(row, id, "failed_attempts")?,
        locked_until,
        must_change_password: column(row, id, "must_change_password")?,
        created_at: instant_column(row, id, "created_at")?,
    })
}

fn decode_session(row: &SqliteRow) -> Result<SessionRow, StorageError> {
    Ok(SessionRow {
        token_hash: column(row, 0, "token_hash")?,
        account_id: column(row, 0, "account_id")?,
        csrf_token: column(row, 0, "csrf_token")?,
        created_at: instant_column(row, 0, "created_at")?,
        expires_at: instant_column(row, 0, "expires_at")?,
    })
}

fn decode_audit(row: &SqliteRow) -> Result<AuditEntry, StorageError> {
    let id: i64 = column(row, 0, "id")?;
    Ok(AuditEntry {
        id,
        at: instant_column(row, id, "at")?,
        account_id: column(row, id, "account_id")?,
        login: column(row, id, "login")?,
        action: column(row, id, "action")?,
        target_kind: column(row, id, "target_kind")?,
        target_id: column(row, id, "target_id")?,
        org_path: column(row, id, "org_path")?,
        detail: column(row, id, "detail")?,
        ip: column(row, id, "ip")?,
    })
}

fn login_taken(login: &str) -> StorageError {
    StorageError::Invalid(ValidationErrors::single(FieldError::new(
        "login",
        "taken",
        format!("登录名“{login}”已被使用"),
        format!("the login {login:?} is already taken"),
    )))
}

fn unknown_account(id: i64) -> StorageError {
    StorageError::Invalid(ValidationErrors::single(FieldError::new(
        "account_id",
        "unknown_account",
        format!("账号{id}不存在"),
        format!("account {id} does not exist"),
    )))
}

fn expect_one_row(affected: u64, id: i64) -> Result<(), StorageError> {
    if affected == 1 {
        Ok(())
    } else {
        Err(unknown_account(id))
    }
}

#[async_trait]
impl AccountStore for SqliteBackend {
    async fn create_account(&self, account: &NewAccount) -> Result<AccountRow, StorageError> {
        let result = sqlx::query(INSERT_ACCOUNT)
            .bind(account.login.as_str())
            .bind(account.display_name.as_str())
            .bind(account.password_hash.as_str())
            .bind(account.role.as_str())
            .bind(account.scope_org_id)
            .bind(account.member_id)
            .bind(account.must_change_password)
            .bind(instant_text(account.created_at))
            .fetch_one(self.pool())
            .await;
        let row = match result {
            Ok(row) => row,
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(login_taken(&account.login));
            }
            Err(error) => return Err(StorageError::database(error)),
        };
        let id: i64 = row.try_get("id").map_err(StorageError::database)?;
        self.account(id)
            .await?
            .ok_or_else(|| corrupt(id, "accounts", "the account just created cannot be read"))
    }

    async fn account(&self, id: i64) -> Result<Option<AccountRow>, StorageError> {
        let row = sqlx::query(SELECT_ACCOUNT)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_account).transpose()
    }

    async fn account_by_login(&self, login: &str) -> Result<Option<AccountRow>, StorageError> {
        let row = sqlx::query(SELECT_ACCOUNT_BY_LOGIN)
            .bind(login)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_account).transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRow>, StorageError> {
        let rows = sqlx::query(SELECT_ACCOUNTS)
            .fetch_all(self.pool())
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_account).collect()
    }

    async fn count_failed_sign_in(&self, id: i64) -> Result<i32, StorageError> {
        let count: Option<i32> = sqlx::query_scalar(COUNT_FAILURE)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        count.ok_or_else(|| unknown_account(id))
    }

    async fn lock_account(&self, id: i64, until: DateTime<Utc>) -> Result<(), StorageError> {
        let result = sqlx::query(LOCK_ACCOUNT)
            .bind(id)
            .bind(instant_text(until))
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        expect_one_row(result.rows_affected(), id)
    }

    async fn clear_failed_sign_ins(&self, id: i64) -> Result<(), StorageError> {
        let result = sqlx::query(CLEAR_FAILURES)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        expect_one_row(result.rows_affected(), id)
    }

    async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        must_change_password: bool,
    ) -> Result<(), StorageError> {
        let result = sqlx::query(SET_PASSWORD)
            .bind(id)
            .bind(password_hash)
            .bind(must_change_password)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        expect_one_row(result.rows_affected(), id)
    }

    async fn create_session(&self, session: &SessionRow) -> Result<(), StorageError> {
        sqlx::query(INSERT_SESSION)
            .bind(session.token_hash.as_str())
            .bind(session.account_id)
            .bind(session.csrf_token.as_str())
            .bind(instant_text(session.created_at))
            .bind(instant_text(session.expires_at))
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StorageError> {
        let row = sqlx::query(SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await
            .map_err(StorageError::database)?;
        row.as_ref().map(decode_session).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StorageError> {
        sqlx::query(DELETE_SESSION)
            .bind(token_hash)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(())
    }

    async fn delete_sessions_of_account(&self, account_id: i64) -> Result<u64, StorageError> {
        let result = sqlx::query(DELETE_ACCOUNT_SESSIONS)
            .bind(account_id)
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(result.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StorageError> {
        let result = sqlx::query(DELETE_EXPIRED_SESSIONS)
            .bind(instant_text(now))
            .execute(self.pool())
            .await
            .map_err(StorageError::database)?;
        Ok(result.rows_affected())
    }

    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<i64, StorageError> {
        sqlx::query_scalar(INSERT_AUDIT)
            .bind(instant_text(entry.at))
            .bind(entry.account_id)
            .bind(entry.login.as_deref())
            .bind(entry.action.as_str())
            .bind(entry.target_kind.as_deref())
            .bind(entry.target_id)
            .bind(entry.org_path.as_deref())
            .bind(entry.detail.as_str())
            .bind(entry.ip.as_deref())
            .fetch_one(self.pool())
            .await
            .map_err(StorageError::database)
    }

    async fn search_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StorageError> {
        let pattern = match &query.path_prefix {
            Some(prefix) => Some(crate::subtree_pattern_of(prefix)?),
            None => None,
        };
        let rows = sqlx::query(SEARCH_AUDIT)
            .bind(query.login.as_deref())
            .bind(query.action.as_deref())
            .bind(query.from.map(instant_text))
            .bind(query.until.map(instant_text))
            .bind(pattern)
            .bind(query.before_id.unwrap_or(i64::MAX))
            .bind(i64::from(query.limit))
            .fetch_all(self.pool())
            .await
            .map_err(StorageError::database)?;
        rows.iter().map(decode_audit).collect()
    }
}
