//! The session cookie and the [`Principal`] extractor.
//!
//! A session is a random 256-bit token in the `zhibu_session` cookie (HttpOnly, SameSite=Lax,
//! Path=/, and Secure when the server is configured as behind TLS). The database keeps only the
//! token's SHA-256, the account, the session's CSRF token and when it expires.
//!
//! The extractor answers a request without a valid session in the way its client can use: an API
//! request (`/api/…`) gets 401 in the API's error format; a page gets a redirect to
//! `/login?next=…`. It also enforces, for every API write, the `X-CSRF-Token` header, so that no
//! API handler can forget it; forms are checked by [`super::CsrfForm`] or [`super::verify_csrf`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use zhibu_core::{MemberId, OrgId, RecordKind};
use zhibu_storage::{AccountRow, SessionRow, StorageError};

use super::password::{constant_time_eq, new_csrf_token, new_session_token, token_hash};
use super::{CSRF_HEADER, Principal, Role, Scope};
use crate::error::ApiError;
use crate::{API_PREFIX, AppState};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "zhibu_session";

/// Paths a principal who must change their password may still use.
const ALLOWED_BEFORE_PASSWORD_CHANGE: &[&str] =
    &["/account/password", "/logout", "/api/v1/session"];

/// A redirect to another page (303 See Other, so that a form post is followed by a GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRedirect {
    pub location: String,
}

impl PageRedirect {
    /// To the sign-in page, coming back to `next` (a path on this site) afterwards.
    pub fn to_login(next: &str) -> PageRedirect {
        let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        PageRedirect {
            location: format!("/login?next={next}"),
        }
    }

    pub fn to(location: &str) -> PageRedirect {
        PageRedirect {
            location: location.to_string(),
        }
    }
}

impl IntoResponse for PageRedirect {
    fn into_response(self) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        match HeaderValue::from_str(&self.location) {
            Ok(location) => {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Err(error) => {
                // Our own locations are ASCII paths; if one ever is not, send the person home
                // rather than nowhere, and say why in the log.
                tracing::error!(%error, location = %self.location, "a redirect location is not a valid header");
                response
                    .headers_mut()
                    .insert(header::LOCATION, HeaderValue::from_static("/"));
            }
        }
        response
    }
}

/// Why a [`Principal`] could not be extracted: an API error (401, 403 for a missing CSRF token, 500)
/// or, for a page, a redirect to the sign-in page.
#[derive(Debug)]
pub enum AuthRejection {
    Api(ApiError),
    Redirect(PageRedirect),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Api(error) => error.into_response(),
            AuthRejection::Redirect(redirect) => redirect.into_response(),
        }
    }
}

impl From<ApiError> for AuthRejection {
    fn from(error: ApiError) -> Self {
        AuthRejection::Api(error)
    }
}

impl From<StorageError> for AuthRejection {
    fn from(error: StorageError) -> Self {
        AuthRejection::Api(error.into())
    }
}

/// The path the client asked for, before any router nesting stripped a prefix.
pub(crate) fn request_path(parts: &Parts) -> String {
    match parts.extensions.get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri.path().to_string(),
        None => parts.uri.path().to_string(),
    }
}

fn request_path_and_query(parts: &Parts) -> String {
    let uri = match parts.extensions.get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri,
        None => &parts.uri,
    };
    uri.path_and_query().map_or_else(
        || uri.path().to_string(),
        |value| value.as_str().to_string(),
    )
}

pub(crate) fn is_api_path(path: &str) -> bool {
    path == API_PREFIX || path.starts_with(&format!("{API_PREFIX}/"))
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// The client's address, when the server was started with connection info.
pub(crate) fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
}

/// A `Set-Cookie` value for the session.
pub(crate) fn session_cookie(state: &AppState, token: &str) -> String {
    let max_age = state.auth.session_lifetime.num_seconds();
    let secure = if state.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// A `Set-Cookie` value that removes the session cookie.
pub(crate) fn cleared_session_cookie(state: &AppState) -> String {
    let secure = if state.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// A new session for `account`; returns the cookie's token and the stored row.
pub(crate) async fn start_session(
    state: &AppState,
    account: &AccountRow,
) -> Result<(String, SessionRow), ApiError> {
    let token = new_session_token().map_err(ApiError::internal)?;
    let now = state.repository.now();
    let session = SessionRow {
        token_hash: token_hash(&token),
        account_id: account.id,
        csrf_token: new_csrf_token().map_err(ApiError::internal)?,
        created_at: now,
        expires_at: now + state.auth.session_lifetime,
    };
    // Sign-in is a good moment to sweep expired sessions: it needs no scheduler.
    state
        .repository
        .accounts()
        .delete_expired_sessions(now)
        .await?;
    state.repository.accounts().create_session(&session).await?;
    Ok((token, session))
}

/// Builds the principal of a stored account and session.
pub(crate) async fn principal_of(
    state: &AppState,
    account: AccountRow,
    session: &SessionRow,
    ip: Option<String>,
) -> Result<Principal, StorageError> {
    let role = Role::parse(&account.role).ok_or_else(|| StorageError::Corrupt {
        id: account.id,
        message: format!("account role {:?} is unknown", account.role),
    })?;
    let scope_org = account.scope_org_id.map(OrgId);
    let scope = match (role, scope_org) {
        (Role::Administrator, _) => Scope::Everything,
        (_, None) => Scope::Nothing,
        (_, Some(org)) => match state.repository.org_path(org).await {
            Ok(path) => Scope::Subtree(path),
            // The account's org was deleted: the account keeps its session but sees nothing.
            Err(StorageError::NotFound {
                kind: RecordKind::Org,
                id,
            }) if id == org.0 => Scope::Nothing,
            Err(error) => return Err(error),
        },
    };
    // One indexed count, so that every page's header can show the inbox's unread reminders.
    let unread_notices = match state.repository.backend().notifications() {
        Some(store) => store.unread_count(account.id).await?,
        None => 0,
    };
    Ok(Principal {
        account_id: account.id,
        login: account.login,
        display_name: account.display_name,
        role,
        scope_org,
        member_id: account.member_id.map(MemberId),
        csrf_token: session.csrf_token.clone(),
        must_change_password: account.must_change_password,
        unread_notices,
        ip,
        scope,
    })
}

/// The principal of the request's session cookie, if it names a live session.
async fn principal_from_cookie(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Principal>, StorageError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let accounts = state.repository.accounts();
    let Some(session) = accounts.session(&hash).await? else {
        return Ok(None);
    };
    if session.expires_at <= state.repository.now() {
        accounts.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(account) = accounts.account(session.account_id).await? else {
        return Ok(None);
    };
    principal_of(state, account, &session, client_ip(parts))
        .await
        .map(Some)
}

/// The principal, looked up once per request and kept in the request's extensions.
async fn cached_principal(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<Principal>, StorageError> {
    if let Some(principal) = parts.extensions.get::<Principal>() {
        return Ok(Some(principal.clone()));
    }
    let principal = principal_from_cookie(parts, state).await?;
    if let Some(principal) = &principal {
        parts.extensions.insert(principal.clone());
    }
    Ok(principal)
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, AuthRejection> {
        let path = request_path(parts);
        let is_api = is_api_path(&path);
        let Some(principal) = cached_principal(parts, state).await? else {
            return Err(if is_api {
                AuthRejection::Api(ApiError::Unauthenticated)
            } else {
                AuthRejection::Redirect(PageRedirect::to_login(&request_path_and_query(parts)))
            });
        };
        if principal.must_change_password
            && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&path.as_str())
        {
            return Err(if is_api {
                AuthRejection::Api(ApiError::PasswordChangeRequired)
            } else {
                AuthRejection::Redirect(PageRedirect::to("/account/password"))
            });
        }
        if is_api && !is_safe_method(&parts.method) {
            let submitted = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(submitted, &principal.csrf_token) {
                return Err(AuthRejection::Api(ApiError::CsrfRejected));
            }
        }
        Ok(principal)
    }
}

impl OptionalFromRequestParts<AppState> for Principal {
    type Rejection = AuthRejection;

    /// `Option<Principal>`: `None` when nobody is signed in, for pages that anyone may see.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AuthRejection> {
        Ok(cached_principal(parts, state).await?)
    }
}
