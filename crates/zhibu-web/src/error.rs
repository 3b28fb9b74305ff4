//! The one error type of the HTTP edge, and the one place where an error becomes a response.
//!
//! Every error answer has the same body, [`ErrorBody`]: a stable code, a message in Chinese and in
//! English, and the fields at fault. A client (or a form) shows the messages as they are and puts
//! each field's message next to the field. Internal causes (database faults, undecodable rows) are
//! logged here, once, and never sent: the person sees that something went wrong on the server and
//! what to do, the log has why.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhibu_core::{FieldError, RecordKind, ValidationErrors};
use zhibu_storage::StorageError;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `invalid`, `malformed`, `not_found`, `stale_version`,
    /// `deleted`, `unsupported_media_type`, `payload_too_large`, `method_not_allowed`,
    /// `idempotency_key_reused`, `unauthenticated`, `forbidden`, `csrf`,
    /// `password_change_required`, `sign_in_failed`, `sign_in_locked`, `audit_failed`, `internal`
    /// or `unavailable`.
    pub error: String,
    pub message_zh: String,
    pub message_en: String,
    /// The fields at fault, each with its own code and messages; empty when no one field is.
    pub fields: Vec<FieldError>,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What storage refused or failed at: invalid input (422), not found (404), a stale version
    /// (409), a deleted record (410), or a database fault (500).
    #[error(transparent)]
    Storage(#[from] StorageError),

    /// The request could not be read: a body that is not JSON, a bad query parameter, a missing
    /// or bad header (400).
    #[error("malformed request: {message_en}")]
    Malformed {
        message_zh: String,
        message_en: String,
        fields: Vec<FieldError>,
    },

    /// The body is JSON but does not fit the record: an unknown field, a wrong type, an impossible
    /// date (422, like a record that fails validation, so that a form handles both alike).
    #[error("the body does not fit the record: {errors}")]
    Unfit {
        message_zh: String,
        message_en: String,
        errors: ValidationErrors,
    },

    #[error("the body is not declared as JSON")]
    UnsupportedMediaType,

    #[error("the body is too large")]
    PayloadTooLarge,

    #[error("no such route")]
    NoSuchRoute,

    /// No rule in the national catalogue has this id.
    #[error("no rule {0}")]
    UnknownRule(String),

    /// A method the resource does not offer. `allow` lists those it does; when it is `None`, axum's
    /// method router fills the `Allow` header in itself.
    #[error("method not allowed: {message_en}")]
    MethodNotAllowed {
        message_zh: String,
        message_en: String,
        allow: Option<&'static str>,
    },

    /// An idempotency key already used for a record of another kind, or for one since deleted.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,

    /// No session: the request needs a signed-in account (401).
    #[error("not signed in")]
    Unauthenticated,

    /// The account's role may not do this here (403). Records outside the account's subtree are
    /// answered as not found instead, so that their existence is not revealed.
    #[error("forbidden: {message_en}")]
    Forbidden {
        message_zh: String,
        message_en: String,
    },

    /// A form or an API write without the session's CSRF token (403).
    #[error("missing or wrong CSRF token")]
    CsrfRejected,

    /// A reset password must be replaced before anything else (403).
    #[error("the password must be changed first")]
    PasswordChangeRequired,

    /// A wrong login or password (401). The same answer whether or not the login exists.
    #[error("sign-in failed")]
    SignInFailed,

    /// Too many failed sign-ins; refused without checking the password until the lock ends (429).
    /// The same answer whether or not the login exists.
    #[error("sign-in locked for {minutes} minutes")]
    SignInLocked { minutes: i64 },

    /// No account has this id (404).
    #[error("no account {0}")]
    UnknownAccount(i64),

    /// The action was done but its audit entry could not be written (500).
    #[error("the audit entry could not be written")]
    AuditFailed,

    /// A fault with no better variant (randomness, password hashing); the cause is logged.
    #[error("internal error: {0}")]
    Internal(String),

    /// The health check could not read the database.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] StorageError),
}

impl ApiError {
    /// A fault whose cause goes to the log, never to the client.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    /// 403: the principal's role may not do this.
    pub fn forbidden_role(principal: &crate::auth::Principal) -> ApiError {
        ApiError::Forbidden {
            message_zh: format!("你的角色（{}）无权进行此操作。", principal.role.name_zh()),
            message_en: format!("Your role ({}) may not do this.", principal.role.name_en()),
        }
    }

    /// A 400 about one named field (a query parameter, a header or the path).
    pub fn malformed_field(
        field: &str,
        code: &str,
        message_zh: impl Into<String>,
        message_en: impl Into<String>,
    ) -> ApiError {
        let error = FieldError::new(field, code, message_zh, message_en);
        ApiError::Malformed {
            message_zh: error.message_zh.clone(),
            message_en: error.message_en.clone(),
            fields: vec![error],
        }
    }
}

fn body(
    error: &str,
    message_zh: impl Into<String>,
    message_en: impl Into<String>,
    fields: Vec<FieldError>,
) -> ErrorBody {
    ErrorBody {
        error: error.to_string(),
        message_zh: message_zh.into(),
        message_en: message_en.into(),
        fields,
    }
}

const INTERNAL_ZH: &str = "服务器内部出错，未能完成操作，也没有保存任何内容。请稍后重试；如果问题持续，请联系系统管理员。";
const INTERNAL_EN: &str = "Something went wrong on the server; nothing was saved. Try again later, and tell the system administrator if it keeps happening.";

fn storage_response(error: StorageError) -> (StatusCode, ErrorBody) {
    match error {
        StorageError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            body(
                "invalid",
                "提交的内容有误，未保存。请按各字段的提示修改后重新提交。",
                "The input has problems and was not saved; see each field, correct it and submit again.",
                errors.errors,
            ),
        ),
        StorageError::NotFound { kind, id } => (
            StatusCode::NOT_FOUND,
            body(
                "not_found",
                format!("找不到编号为{id}的{}。", kind.name_zh()),
                format!("There is no {} with id {id}.", RecordKind::name_en(kind)),
                Vec::new(),
            ),
        ),
        StorageError::StaleVersion {
            expected, actual, ..
        } => (
            StatusCode::CONFLICT,
            body(
                "stale_version",
                format!(
                    "有人已修改此记录（现为第{actual}版，你修改的是第{expected}版），你的修改未保存。请刷新后重试。"
                ),
                format!(
                    "Someone else amended this record meanwhile (it is now at version {actual}; you edited version {expected}); your change was not saved. Reload it and try again."
                ),
                Vec::new(),
            ),
        ),
        StorageError::Deleted { id } => (
            StatusCode::GONE,
            body(
                "deleted",
                format!("记录{id}已删除，不能再修改；它的历史仍可查看。"),
                format!(
                    "Record {id} was deleted and can no longer be changed; its history can still be read."
                ),
                Vec::new(),
            ),
        ),
        fault @ (StorageError::Database(_)
        | StorageError::Corrupt { .. }
        | StorageError::Sealing(_)
        | StorageError::BadUrl(_)) => {
            tracing::error!(error = %fault, source = ?std::error::Error::source(&fault), "a request failed on a storage fault");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                body("internal", INTERNAL_ZH, INTERNAL_EN, Vec::new()),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut allow = None;
        let mut retry_after: Option<i64> = None;
        let (status, body) = match self {
            ApiError::Storage(error) => storage_response(error),
            ApiError::Malformed {
                message_zh,
                message_en,
                fields,
            } => (
                StatusCode::BAD_REQUEST,
                body("malformed", message_zh, message_en, fields),
            ),
            ApiError::Unfit {
                message_zh,
                message_en,
                errors,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                body("invalid", message_zh, message_en, errors.errors),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                body(
                    "unsupported_media_type",
                    "请求正文须为JSON，并带有请求头 Content-Type: application/json。",
                    "The request body must be JSON, sent with the header Content-Type: application/json.",
                    Vec::new(),
                ),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                body(
                    "payload_too_large",
                    "请求正文过大，未保存。",
                    "The request body is too large; nothing was saved.",
                    Vec::new(),
                ),
            ),
            ApiError::NoSuchRoute => (
                StatusCode::NOT_FOUND,
                body(
                    "not_found",
                    "没有这个接口地址，请查看 /api/v1/openapi.json。",
                    "There is no such address; see /api/v1/openapi.json.",
                    Vec::new(),
                ),
            ),
            ApiError::UnknownRule(id) => (
                StatusCode::NOT_FOUND,
                body(
                    "not_found",
                    format!("全国规则目录中没有编号为“{id}”的规则。"),
                    format!("The national catalogue has no rule `{id}`."),
                    Vec::new(),
                ),
            ),
            ApiError::MethodNotAllowed {
                message_zh,
                message_en,
                allow: allowed,
            } => {
                allow = allowed;
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    body("method_not_allowed", message_zh, message_en, Vec::new()),
                )
            }
            ApiError::IdempotencyKeyReused => (
                StatusCode::CONFLICT,
                body(
                    "idempotency_key_reused",
                    "这个 Idempotency-Key 已用于另一类记录或一条已删除的记录，未保存。请为新的提交换一个新键。",
                    "This Idempotency-Key was already used for another kind of record, or for a record since deleted; nothing was saved. Use a fresh key for a new submission.",
                    Vec::new(),
                ),
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                body(
                    "unauthenticated",
                    "请先登录。",
                    "Sign in first.",
                    Vec::new(),
                ),
            ),
            ApiError::Forbidden {
                message_zh,
                message_en,
            } => (
                StatusCode::FORBIDDEN,
                body("forbidden", message_zh, message_en, Vec::new()),
            ),
            ApiError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                body(
                    "csrf",
                    "请求缺少有效的防伪令牌（CSRF），未执行。请刷新页面后重新提交；接口调用须在请求头 X-CSRF-Token 中附上会话的令牌。",
                    "The request lacks a valid anti-forgery (CSRF) token and was not carried out. Reload the page and submit again; API calls must send the session's token in the X-CSRF-Token header.",
                    Vec::new(),
                ),
            ),
            ApiError::PasswordChangeRequired => (
                StatusCode::FORBIDDEN,
                body(
                    "password_change_required",
                    "请先修改密码（/account/password），然后才能继续。",
                    "Change your password first (/account/password), then continue.",
                    Vec::new(),
                ),
            ),
            ApiError::SignInFailed => (
                StatusCode::UNAUTHORIZED,
                body(
                    "sign_in_failed",
                    crate::auth::handlers::SIGN_IN_FAILED_ZH,
                    crate::auth::handlers::SIGN_IN_FAILED_EN,
                    Vec::new(),
                ),
            ),
            ApiError::SignInLocked { minutes } => {
                retry_after = Some(minutes * 60);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    body(
                        "sign_in_locked",
                        crate::auth::handlers::locked_message_zh(minutes),
                        crate::auth::handlers::locked_message_en(minutes),
                        Vec::new(),
                    ),
                )
            }
            ApiError::UnknownAccount(id) => (
                StatusCode::NOT_FOUND,
                body(
                    "not_found",
                    format!("找不到编号为{id}的账号。"),
                    format!("There is no account with id {id}."),
                    Vec::new(),
                ),
            ),
            ApiError::AuditFailed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                body(
                    "audit_failed",
                    "操作已完成，但未能写入审计日志。请联系系统管理员。",
                    "The action was carried out, but it could not be written to the audit log. Tell the system administrator.",
                    Vec::new(),
                ),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "a request failed on an internal fault");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    body("internal", INTERNAL_ZH, INTERNAL_EN, Vec::new()),
                )
            }
            ApiError::Unavailable(cause) => {
                tracing::error!(error = %cause, source = ?std::error::Error::source(&cause), "the health check could not read the database");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    body(
                        "unavailable",
                        "数据库暂时无法访问。",
                        "The database cannot be reached at the moment.",
                        Vec::new(),
                    ),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Some(allowed) = allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allowed));
        }
        response
    }
}
