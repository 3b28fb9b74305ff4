//! Signing in and out, changing one's password, and the administrators' account work.
//!
//! The sign-in and password pages are askama templates (`login.html`, `password.html`) drawn with
//! the pages' layout, stylesheet and strings (`crate::pages`), so they follow the reader's language
//! and show each problem next to its field; the logic lives in [`sign_in`] and friends.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use zhibu_core::{Member, MemberId, OrgId, RecordKind};
use zhibu_storage::{AccountRow, NewAccount, NewAuditEntry, Repository, SessionRow, StorageError};

use super::audit::{AuditTarget, append, audit};
use super::password::{
    DECOY_HASH, constant_time_eq, hash_password, lock_after, new_csrf_token, new_one_time_password,
    password_problems, verify_password,
};
use super::policy::{Access, Action, Area};
use super::session::{
    PageRedirect, cleared_session_cookie, cookie, principal_of, session_cookie, start_session,
};
use super::{CsrfForm, Principal, Role};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, IdParam};
use crate::pages::i18n::Lang;
use crate::pages::{Chrome, PageContext, html};

pub const SIGN_IN_FAILED_ZH: &str = "登录名或密码不正确。连续失败5次后，该登录名将被暂时锁定。";
pub const SIGN_IN_FAILED_EN: &str =
    "The login or password is wrong. After 5 failures in a row the login is locked for a while.";

pub fn locked_message_zh(minutes: i64) -> String {
    format!(
        "登录失败次数过多，该登录名已暂时锁定，请在{minutes}分钟后再试；如忘记密码，请联系系统管理员重置。"
    )
}

pub fn locked_message_en(minutes: i64) -> String {
    format!(
        "Too many failed sign-ins: this login is locked; try again in {minutes} minute(s). If you have forgotten your password, ask the administrator to reset it."
    )
}

/// The cookie that carries the sign-in form's CSRF token before there is a session (a
/// double-submit token: the form's hidden field must equal it).
pub const LOGIN_CSRF_COOKIE: &str = "zhibu_login_csrf";

/// How many unknown logins' failures are remembered; past that the oldest memory is dropped.
const UNKNOWN_LOGIN_MEMORY: usize = 10_000;

/// Failures of logins that have no account, kept in memory so that they are locked exactly like
/// real ones and the answer does not tell the two apart.
#[derive(Debug, Default)]
pub struct UnknownLoginFailures {
    failures: HashMap<String, (i32, Option<DateTime<Utc>>)>,
}

impl UnknownLoginFailures {
    fn locked_until(&self, login: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.failures
            .get(login)
            .and_then(|(_, until)| *until)
            .filter(|until| *until > now)
    }

    fn fail(&mut self, login: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.failures.len() >= UNKNOWN_LOGIN_MEMORY && !self.failures.contains_key(login) {
            self.failures.clear();
        }
        let entry = self.failures.entry(login.to_string()).or_insert((0, None));
        entry.0 += 1;
        entry.1 = lock_after(entry.0, now);
        entry.1
    }
}

fn minutes_until(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((until - now).num_seconds() + 59).div_euclid(60).max(1)
}

/// The login as stored: trimmed and lower-cased, so that `Zhang` and `zhang ` are one account.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// Checks a login and password, applies the back-off, writes the audit entry and, on success,
/// starts a session.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    ip: Option<String>,
) -> Result<(Principal, String, SessionRow), ApiError> {
    let login = normalize_login(login);
    let now = state.repository.now();
    let failure_entry =
        |action: &str, account_id: Option<i64>, detail: serde_json::Value| NewAuditEntry {
            at: now,
            account_id,
            login: Some(login.clone()),
            action: action.to_string(),
            target_kind: Some("session".to_string()),
            target_id: None,
            org_path: None,
            detail: detail.to_string(),
            ip: ip.clone(),
        };
    let accounts = state.repository.accounts();
    let Some(account) = accounts.account_by_login(&login).await? else {
        let locked = lock_state(state)?.locked_until(&login, now);
        if let Some(until) = locked {
            append(
                state,
                &failure_entry(
                    "sign_in_refused_locked",
                    None,
                    json!({"known_login": false}),
                ),
            )
            .await?;
            return Err(ApiError::SignInLocked {
                minutes: minutes_until(until, now),
            });
        }
        // Spend the same time as a real check, so that timing does not reveal unknown logins.
        verify_password(password, DECOY_HASH)
            .await
            .map_err(ApiError::internal)?;
        let locked = lock_state(state)?.fail(&login, now);
        append(
            state,
            &failure_entry("sign_in_failed", None, json!({"known_login": false})),
        )
        .await?;
        return Err(match locked {
            Some(until) => ApiError::SignInLocked {
                minutes: minutes_until(until, now),
            },
            None => ApiError::SignInFailed,
        });
    };
    if let Some(until) = account.locked_until.filter(|until| *until > now) {
        append(
            state,
            &failure_entry(
                "sign_in_refused_locked",
                Some(account.id),
                json!({"known_login": true}),
            ),
        )
        .await?;
        return Err(ApiError::SignInLocked {
            minutes: minutes_until(until, now),
        });
    }
    if !verify_password(password, &account.password_hash)
        .await
        .map_err(ApiError::internal)?
    {
        let failures = accounts.count_failed_sign_in(account.id).await?;
        let locked = lock_after(failures, now);
        if let Some(until) = locked {
            accounts.lock_account(account.id, until).await?;
        }
        append(
            state,
            &failure_entry(
                "sign_in_failed",
                Some(account.id),
                json!({"known_login": true, "failures": failures}),
            ),
        )
        .await?;
        return Err(match locked {
            Some(until) => ApiError::SignInLocked {
                minutes: minutes_until(until, now),
            },
            None => ApiError::SignInFailed,
        });
    }
    if account.failed_attempts > 0 || account.locked_until.is_some() {
        accounts.clear_failed_sign_ins(account.id).await?;
    }
    let (token, session) = start_session(state, &account).await?;
    let principal = principal_of(state, account, &session, ip).await?;
    audit(
        state,
        Some(&principal),
        "sign_in",
        AuditTarget {
            kind: Some("session".into()),
            id: None,
            org_path: None,
        },
        json!({}),
    )
    .await?;
    Ok((principal, token, session))
}

fn lock_state(
    state: &AppState,
) -> Result<std::sync::MutexGuard<'_, UnknownLoginFailures>, ApiError> {
    state
        .unknown_logins
        .lock()
        .map_err(|_poisoned| ApiError::internal("the unknown-login memory was poisoned by a panic"))
}

/// Whether `next` is a path on this site (and not `//other.example`, which browsers read as
/// another host).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for value in cookies {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Err(error) => tracing::error!(%error, "a Set-Cookie value is not a valid header"),
        }
    }
    response
}

/// The sign-in form, drawn with the pages' layout in the reader's language.
#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    /// Where the form posts: `/login`, with the page to come back to.
    action: String,
    csrf_token: String,
    /// What was typed as the login, kept after a failed attempt; the password never is.
    login: String,
    /// A problem with the form as a whole (an expired page).
    form_error: Option<String>,
    login_error: Option<String>,
    password_error: Option<String>,
}

/// What went wrong with a sign-in attempt, each next to its field.
#[derive(Debug, Default)]
struct SignInProblems {
    form: Option<String>,
    login: Option<String>,
    password: Option<String>,
}

/// The sign-in form's own address, keeping `next` so that the person comes back to where they
/// were going.
fn login_action(next: Option<&str>) -> String {
    match next.filter(|next| !next.is_empty()) {
        Some(next) => {
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            format!("/login?next={next}")
        }
        None => "/login".to_string(),
    }
}

fn login_page(
    context: &PageContext,
    status: StatusCode,
    csrf: &str,
    next: Option<&str>,
    login: &str,
    problems: SignInProblems,
) -> Response {
    let page = LoginPage {
        chrome: context.chrome(context.tr().sign_in_title),
        action: login_action(next),
        csrf_token: csrf.to_string(),
        login: login.to_string(),
        form_error: problems.form,
        login_error: problems.login,
        password_error: problems.password,
    };
    html(status, &page)
}

fn login_csrf_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    )
}

/// `GET /login`: the sign-in form.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    principal: Option<Principal>,
    axum::extract::Query(next): axum::extract::Query<NextParam>,
) -> Result<Response, ApiError> {
    if principal.is_some() {
        return Ok(PageRedirect::to("/").into_response());
    }
    let token = match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(existing)
            if existing.len() == 64 && existing.bytes().all(|byte| byte.is_ascii_hexdigit()) =>
        {
            existing.to_string()
        }
        _ => new_csrf_token().map_err(ApiError::internal)?,
    };
    let context = PageContext::new(&headers, &uri, None);
    let page = login_page(
        &context,
        StatusCode::OK,
        &token,
        next.next.as_deref(),
        "",
        SignInProblems::default(),
    );
    Ok(with_cookies(page, &[login_csrf_cookie(&state, &token)]))
}

/// The client's address, when the server knows it (for the audit log).
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(super::session::client_ip(parts)))
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub csrf_token: String,
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    pub next: Option<String>,
}

/// `POST /login`: checks the form's CSRF token against its cookie, then the password. A failed
/// attempt shows the form again in the reader's language with the login kept (never the
/// password) and the reason next to its field; the reason is the same whether or not the login
/// exists.
pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ClientIp(ip): ClientIp,
    axum::extract::Query(next): axum::extract::Query<NextParam>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let context = PageContext::new(&headers, &uri, None);
    let lang = context.lang;
    let tr = context.tr();
    let next = next.next.as_deref();
    let form: LoginForm = crate::extract::parse_query(&String::from_utf8_lossy(&body))?;
    let cookie_token = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie_token.is_empty() || !constant_time_eq(cookie_token, &form.csrf_token) {
        let token = new_csrf_token().map_err(ApiError::internal)?;
        let page = login_page(
            &context,
            StatusCode::FORBIDDEN,
            &token,
            next,
            &form.login,
            SignInProblems {
                form: Some(tr.sign_in_expired.to_string()),
                ..SignInProblems::default()
            },
        );
        return Ok(with_cookies(page, &[login_csrf_cookie(&state, &token)]));
    }
    // An empty field is a slip, not an attempt: it is pointed out without counting a failure.
    let missing = SignInProblems {
        form: None,
        login: form
            .login
            .trim()
            .is_empty()
            .then(|| tr.login_required.to_string()),
        password: form
            .password
            .is_empty()
            .then(|| tr.password_required.to_string()),
    };
    if missing.login.is_some() || missing.password.is_some() {
        return Ok(login_page(
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            cookie_token,
            next,
            &form.login,
            missing,
        ));
    }
    match sign_in(&state, &form.login, &form.password, ip).await {
        Ok((principal, token, _session)) => {
            let target = if principal.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(next)
            };
            Ok(with_cookies(
                PageRedirect::to(&target).into_response(),
                &[session_cookie(&state, &token)],
            ))
        }
        // The wrong password and the unknown login are one message, shown by the password.
        Err(ApiError::SignInFailed) => Ok(login_page(
            &context,
            StatusCode::UNAUTHORIZED,
            cookie_token,
            next,
            &form.login,
            SignInProblems {
                password: Some(lang.pick(SIGN_IN_FAILED_ZH, SIGN_IN_FAILED_EN).to_string()),
                ..SignInProblems::default()
            },
        )),
        // A lock belongs to the login, so it is shown by the login.
        Err(ApiError::SignInLocked { minutes }) => Ok(login_page(
            &context,
            StatusCode::TOO_MANY_REQUESTS,
            cookie_token,
            next,
            &form.login,
            SignInProblems {
                login: Some(match lang {
                    Lang::Zh => locked_message_zh(minutes),
                    Lang::En => locked_message_en(minutes),
                }),
                ..SignInProblems::default()
            },
        )),
        Err(other) => Err(other),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyForm {}

/// Ends the principal's session and clears the cookie.
async fn end_session(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if let Some(token) = cookie(headers, super::SESSION_COOKIE) {
        state
            .repository
            .accounts()
            .delete_session(&super::password::token_hash(token))
            .await?;
    }
    audit(
        state,
        Some(principal),
        "sign_out",
        AuditTarget {
            kind: Some("session".into()),
            id: None,
            org_path: None,
        },
        json!({}),
    )
    .await
}

/// `POST /logout` (a form with its CSRF token): ends the session, back to the sign-in page.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(principal, EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, ApiError> {
    end_session(&state, &principal, &headers).await?;
    Ok(with_cookies(
        PageRedirect::to("/login").into_response(),
        &[cleared_session_cookie(&state)],
    ))
}

/// Who is signed in, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub account_id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The committee or branch the account works in; `null` for administrators.
    pub scope_org: Option<i64>,
    pub member_id: Option<i64>,
    /// Send it in the `X-CSRF-Token` header of every write.
    pub csrf_token: String,
    pub must_change_password: bool,
}

impl SessionView {
    fn of(principal: &Principal) -> SessionView {
        SessionView {
            account_id: principal.account_id,
            login: principal.login.clone(),
            display_name: principal.display_name.clone(),
            role: principal.role,
            scope_org: principal.scope_org.map(|org| org.0),
            member_id: principal.member_id.map(|member| member.0),
            csrf_token: principal.csrf_token.clone(),
            must_change_password: principal.must_change_password,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub login: String,
    pub password: String,
}

/// `GET /api/v1/session`: who is signed in, with the session's CSRF token.
#[utoipa::path(
    get,
    path = "/session",
    tag = "session",
    operation_id = "read_session",
    summary = "当前登录 / the current session",
    responses(
        (status = 200, description = "The signed-in account", body = SessionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
)]
pub async fn read_session(principal: Principal) -> Json<SessionView> {
    Json(SessionView::of(&principal))
}

/// `POST /api/v1/session`: signs in with a JSON body and sets the session cookie. A JSON body
/// cannot be sent across sites without the browser asking first, so this needs no CSRF token.
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    operation_id = "sign_in",
    summary = "登录 / sign in",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; the cookie `zhibu_session` is set", body = SessionView),
        (status = 401, description = "Wrong login or password (the same answer for an unknown login)", body = ErrorBody),
        (status = 429, description = "Locked after repeated failures", body = ErrorBody),
    ),
)]
pub async fn api_sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    let (principal, token, _session) =
        sign_in(&state, &request.login, &request.password, ip).await?;
    Ok(with_cookies(
        Json(SessionView::of(&principal)).into_response(),
        &[session_cookie(&state, &token)],
    ))
}

/// `DELETE /api/v1/session`: signs out (with the `X-CSRF-Token` header).
#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    operation_id = "sign_out",
    summary = "退出登录 / sign out",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing CSRF token", body = ErrorBody),
    ),
)]
pub async fn api_sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Principal,
) -> Result<Response, ApiError> {
    end_session(&state, &principal, &headers).await?;
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        &[cleared_session_cookie(&state)],
    ))
}

/// The password form, drawn with the pages' layout in the reader's language. No password typed
/// is ever put back into it.
#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    csrf_token: String,
    display_name: String,
    login: String,
    must_change: bool,
    current_error: Vec<String>,
    new_error: Vec<String>,
    again_error: Vec<String>,
}

impl PasswordPage {
    fn has_any_error(&self) -> bool {
        !(self.current_error.is_empty() && self.new_error.is_empty() && self.again_error.is_empty())
    }
}

/// What is wrong with a password change, field by field; every problem is reported at once.
#[derive(Debug, Default)]
struct PasswordProblems {
    current: Vec<String>,
    new: Vec<String>,
    again: Vec<String>,
}

impl PasswordProblems {
    fn is_empty(&self) -> bool {
        self.current.is_empty() && self.new.is_empty() && self.again.is_empty()
    }
}

/// `GET /account/password`: the password form.
pub async fn password_form(principal: Principal, headers: HeaderMap, uri: Uri) -> Response {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    password_page(
        &context,
        StatusCode::OK,
        &principal,
        PasswordProblems::default(),
    )
}

fn password_page(
    context: &PageContext,
    status: StatusCode,
    principal: &Principal,
    problems: PasswordProblems,
) -> Response {
    let page = PasswordPage {
        chrome: context.chrome(context.tr().password_title),
        csrf_token: principal.csrf_token.clone(),
        display_name: principal.display_name.clone(),
        login: principal.login.clone(),
        must_change: principal.must_change_password,
        current_error: problems.current,
        new_error: problems.new,
        again_error: problems.again,
    };
    html(status, &page)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub new_password_again: String,
}

/// `POST /account/password`: checks the current password, sets the new one, ends every other
/// session of the account and starts a fresh one. A refused change shows the form again with each
/// problem next to its field.
pub async fn password_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    CsrfForm(principal, form): CsrfForm<PasswordChangeForm>,
) -> Result<Response, ApiError> {
    let context = PageContext::new(&headers, &uri, Some(principal.clone()));
    let lang = context.lang;
    let tr = context.tr();
    let accounts = state.repository.accounts();
    let account = accounts
        .account(principal.account_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let mut problems = PasswordProblems::default();
    if form.current_password.is_empty() {
        problems
            .current
            .push(tr.current_password_required.to_string());
    } else if !verify_password(&form.current_password, &account.password_hash)
        .await
        .map_err(ApiError::internal)?
    {
        problems.current.push(tr.current_password_wrong.to_string());
    }
    for (zh, en) in password_problems(&form.new_password, &principal.login) {
        problems.new.push(lang.pick(&zh, &en).to_string());
    }
    if !form.new_password.is_empty() && constant_time_eq(&form.new_password, &form.current_password)
    {
        problems.new.push(tr.password_unchanged.to_string());
    }
    if form.new_password != form.new_password_again {
        problems.again.push(tr.passwords_differ.to_string());
    }
    if !problems.is_empty() {
        return Ok(password_page(
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            &principal,
            problems,
        ));
    }
    let hash = hash_password(&form.new_password)
        .await
        .map_err(ApiError::internal)?;
    accounts.set_password(account.id, &hash, false).await?;
    let ended = accounts.delete_sessions_of_account(account.id).await?;
    let account = AccountRow {
        password_hash: hash,
        must_change_password: false,
        ..account
    };
    let (token, _session) = start_session(&state, &account).await?;
    audit(
        &state,
        Some(&principal),
        "password_change",
        AuditTarget::account(account.id),
        json!({"sessions_ended": ended}),
    )
    .await?;
    Ok(with_cookies(
        PageRedirect::to("/").into_response(),
        &[session_cookie(&state, &token)],
    ))
}

/// An account as administrators see it (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub scope_org: Option<i64>,
    pub member_id: Option<i64>,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

fn account_view(account: &AccountRow) -> Result<AccountView, StorageError> {
    let role = Role::parse(&account.role).ok_or_else(|| StorageError::Corrupt {
        id: account.id,
        message: format!("account role {:?} is unknown", account.role),
    })?;
    Ok(AccountView {
        id: account.id,
        login: account.login.clone(),
        display_name: account.display_name.clone(),
        role,
        scope_org: account.scope_org_id,
        member_id: account.member_id,
        failed_attempts: account.failed_attempts,
        locked_until: account.locked_until,
        must_change_password: account.must_change_password,
        created_at: account.created_at,
    })
}

/// A new password handed to a person once: after an account is created or its password reset.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OneTimePassword {
    pub account: AccountView,
    /// Shown once, never stored; the holder must replace it at their first sign-in.
    pub one_time_password: String,
}

fn require_accounts_admin(principal: &Principal, action: Action) -> Result<(), ApiError> {
    if principal.allows(Area::Accounts, action) == Access::Denied {
        return Err(ApiError::forbidden_role(principal));
    }
    Ok(())
}

/// `GET /api/v1/accounts`: every account (administrators only).
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    operation_id = "list_accounts",
    summary = "账号列表 / list accounts",
    responses(
        (status = 200, description = "Every account, in id order", body = Vec<AccountView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    ),
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    require_accounts_admin(&principal, Action::Read)?;
    let accounts = state.repository.accounts().list_accounts().await?;
    Ok(Json(
        accounts
            .iter()
            .map(account_view)
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// What creating an account needs.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The committee (staff) or branch (secretary, committee member, member); omitted for
    /// administrators.
    pub scope_org: Option<i64>,
    /// The holder's own member record (required for the role `member`).
    pub member_id: Option<i64>,
}

fn invalid(field: &str, code: &str, zh: String, en: String) -> ApiError {
    ApiError::Storage(StorageError::Invalid(zhibu_core::ValidationErrors::single(
        zhibu_core::FieldError::new(field, code, zh, en),
    )))
}

/// Creates an account with a one-time password, after checking that its org and member exist
/// and fit the role. Used by the API, the demo and the command line.
pub async fn create_account(
    repository: &Repository,
    request: &NewAccountRequest,
    must_change_password: bool,
) -> Result<OneTimePassword, ApiError> {
    let login = normalize_login(&request.login);
    if login.is_empty() || login.chars().count() > 64 || login.chars().any(char::is_whitespace) {
        return Err(invalid(
            "login",
            "invalid",
            "登录名须为1至64个字符，且不含空格".into(),
            "a login is 1 to 64 characters without spaces".into(),
        ));
    }
    if request.display_name.trim().is_empty() {
        return Err(invalid(
            "display_name",
            "required",
            "请填写姓名".into(),
            "the display name is required".into(),
        ));
    }
    match (request.role, request.scope_org) {
        (Role::Administrator, Some(_)) => {
            return Err(invalid(
                "scope_org",
                "not_for_administrators",
                "系统管理员不限定组织".into(),
                "an administrator has no scope organization".into(),
            ));
        }
        (Role::Administrator, None) => {}
        (_, None) => {
            return Err(invalid(
                "scope_org",
                "required",
                "请指定该账号所属的党组织".into(),
                "choose the account's organization".into(),
            ));
        }
        (role, Some(org)) => {
            let stored = match repository.get::<zhibu_core::Org>(OrgId(org)).await {
                Ok(stored) => stored,
                Err(StorageError::NotFound { .. }) => {
                    return Err(invalid(
                        "scope_org",
                        "unknown_org",
                        format!("党组织{org}不存在"),
                        format!("organization {org} does not exist"),
                    ));
                }
                Err(error) => return Err(error.into()),
            };
            let is_branch = stored.body.level == zhibu_core::OrgLevel::Branch;
            let fits = match role {
                Role::CommitteeStaff => !matches!(
                    stored.body.level,
                    zhibu_core::OrgLevel::Branch | zhibu_core::OrgLevel::PartyGroup
                ),
                _ => is_branch,
            };
            if !fits {
                return Err(invalid(
                    "scope_org",
                    "wrong_level",
                    format!(
                        "{}账号须属于{}",
                        role.name_zh(),
                        if role == Role::CommitteeStaff {
                            "上级党组织"
                        } else {
                            "党支部"
                        }
                    ),
                    format!(
                        "a {} account belongs to {}",
                        role.name_en(),
                        if role == Role::CommitteeStaff {
                            "an upper committee"
                        } else {
                            "a branch"
                        }
                    ),
                ));
            }
        }
    }
    if let Some(member) = request.member_id {
        match repository.get::<Member>(MemberId(member)).await {
            Ok(_) => {}
            Err(StorageError::NotFound {
                kind: RecordKind::Member,
                ..
            }) => {
                return Err(invalid(
                    "member_id",
                    "unknown_member",
                    format!("党员{member}不存在"),
                    format!("member {member} does not exist"),
                ));
            }
            Err(error) => return Err(error.into()),
        }
    } else if request.role == Role::Member {
        return Err(invalid(
            "member_id",
            "required",
            "党员账号须关联本人的党员记录".into(),
            "a member account needs the member's own record".into(),
        ));
    }
    let password = new_one_time_password().map_err(ApiError::internal)?;
    let hash = hash_password(&password).await.map_err(ApiError::internal)?;
    let account = repository
        .accounts()
        .create_account(&NewAccount {
            login,
            display_name: request.display_name.trim().to_string(),
            password_hash: hash,
            role: request.role.as_str().to_string(),
            scope_org_id: request.scope_org,
            member_id: request.member_id,
            must_change_password,
            created_at: repository.now(),
        })
        .await?;
    Ok(OneTimePassword {
        account: account_view(&account)?,
        one_time_password: password,
    })
}

/// `POST /api/v1/accounts`: creates an account and returns its one-time password once.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    operation_id = "create_account",
    summary = "新建账号 / create an account",
    request_body = NewAccountRequest,
    responses(
        (status = 201, description = "Created; the one-time password is shown only in this answer", body = OneTimePassword),
        (status = 403, description = "Not an administrator, or no CSRF token", body = ErrorBody),
        (status = 422, description = "Invalid (login taken, org of the wrong level…)", body = ErrorBody),
    ),
)]
pub async fn api_create_account(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<OneTimePassword>), ApiError> {
    require_accounts_admin(&principal, Action::Create)?;
    let created = create_account(&state.repository, &request, true).await?;
    audit(&state, Some(&principal), "account_create", AuditTarget::account(created.account.id), json!({"login": created.account.login, "role": created.account.role, "scope_org": created.account.scope_org})).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Gives account `id` a new one-time password, which must be changed at the next sign-in, and
/// ends its sessions. Used by the administrators' reset and by `zhibu account reset`; the caller
/// writes the audit entry.
pub async fn reset_password(
    repository: &Repository,
    id: i64,
) -> Result<(OneTimePassword, u64), ApiError> {
    let accounts = repository.accounts();
    let Some(account) = accounts.account(id).await? else {
        return Err(ApiError::UnknownAccount(id));
    };
    let password = new_one_time_password().map_err(ApiError::internal)?;
    let hash = hash_password(&password).await.map_err(ApiError::internal)?;
    accounts.set_password(id, &hash, true).await?;
    let ended = accounts.delete_sessions_of_account(id).await?;
    let account = AccountRow {
        password_hash: hash,
        must_change_password: true,
        failed_attempts: 0,
        locked_until: None,
        ..account
    };
    Ok((
        OneTimePassword {
            account: account_view(&account)?,
            one_time_password: password,
        },
        ended,
    ))
}

async fn reset(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<OneTimePassword, ApiError> {
    require_accounts_admin(principal, Action::Amend)?;
    let (reset, ended) = reset_password(&state.repository, id).await?;
    audit(
        state,
        Some(principal),
        "password_reset",
        AuditTarget::account(id),
        json!({"login": reset.account.login, "sessions_ended": ended}),
    )
    .await?;
    Ok(reset)
}

/// `POST /api/v1/accounts/{id}/reset`: a new one-time password (with the `X-CSRF-Token` header).
#[utoipa::path(
    post,
    path = "/accounts/{id}/reset",
    tag = "accounts",
    operation_id = "reset_password",
    summary = "重置密码 / reset an account's password",
    params(("id" = i64, Path, description = "The account id")),
    responses(
        (status = 200, description = "The new one-time password, shown only in this answer", body = OneTimePassword),
        (status = 403, description = "Not an administrator, or no CSRF token", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    ),
)]
pub async fn api_reset_password(
    State(state): State<AppState>,
    principal: Principal,
    IdParam(id): IdParam,
) -> Result<Json<OneTimePassword>, ApiError> {
    Ok(Json(reset(&state, &principal, id).await?))
}

/// `POST /admin/accounts/{id}/reset`: the same from an administrator's form (CSRF token in the
/// form); answers with the one-time password as JSON for the page to show.
pub async fn admin_reset_password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(principal, EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Json<OneTimePassword>, ApiError> {
    Ok(Json(reset(&state, &principal, id).await?))
}
