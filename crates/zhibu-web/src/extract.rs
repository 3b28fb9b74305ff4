//! Extractors that read a request the way the rest of the API answers: every problem becomes an
//! [`ApiError`] naming the field at fault, in Chinese and English.
//!
//! axum's own `Json` and `Query` answer a bad input with a line of English text; a form cannot put
//! that next to a field and a Chinese-speaking clerk cannot read it. These wrappers run the same
//! deserializers through `serde_path_to_error`, so that the path of the failing field
//! (`attendance[0].member_id`, `held_on`) is known, and turn serde's message into a field error.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use zhibu_core::{FieldError, ValidationErrors};

use crate::error::ApiError;

/// The header that makes a `POST` safe to repeat.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

const MAX_HEADER_CHARS: usize = 200;

/// A JSON request body, read with field-level errors.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Whether the request declares a JSON body (`application/json` or `application/…+json`).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    // A missing header, or one that is not ASCII text, does not declare JSON.
    let Some(Ok(value)) = headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str())
    else {
        return false;
    };
    let essence = match value.split_once(';') {
        Some((essence, _parameters)) => essence,
        None => value,
    };
    let essence = essence.trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub(crate) fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    ApiError::Malformed {
        message_zh: "未能读完请求正文，未保存。".into(),
        message_en: format!(
            "The request body could not be read; nothing was saved ({}).",
            rejection.body_text()
        ),
        fields: Vec::new(),
    }
}

/// Parses a JSON body into `T`, naming the failing field, its line and column on error.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
    // Trailing text after the value (two objects, stray characters) is a syntax error too.
    deserializer
        .end()
        .map_err(|error| json_syntax_error(&error))?;
    Ok(value)
}

/// serde_json's message without its `at line L column C` suffix, which we report separately.
fn bare_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

fn json_syntax_error(error: &serde_json::Error) -> ApiError {
    let (line, column) = (error.line(), error.column());
    let message = bare_message(error);
    match error.classify() {
        Category::Eof => ApiError::Malformed {
            message_zh: format!(
                "请求正文不是完整的JSON（在第{line}行第{column}列意外结束），未保存。"
            ),
            message_en: format!(
                "The request body is not complete JSON (it ends early at line {line}, column {column}); nothing was saved."
            ),
            fields: Vec::new(),
        },
        _ => ApiError::Malformed {
            message_zh: format!(
                "请求正文不是有效的JSON（第{line}行第{column}列：{message}），未保存。"
            ),
            message_en: format!(
                "The request body is not valid JSON (line {line}, column {column}: {message}); nothing was saved."
            ),
            fields: Vec::new(),
        },
    }
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = field_path(error.path());
    let inner = error.into_inner();
    match inner.classify() {
        Category::Data => {
            let (line, column) = (inner.line(), inner.column());
            let field_error = describe_data_error(&path, &bare_message(&inner));
            ApiError::Unfit {
                message_zh: format!(
                    "请求内容与记录格式不符（第{line}行第{column}列，字段 {}），未保存。",
                    field_error.field
                ),
                message_en: format!(
                    "The request body does not fit the record (line {line}, column {column}, field {}); nothing was saved.",
                    field_error.field
                ),
                errors: ValidationErrors::single(field_error),
            }
        }
        Category::Syntax | Category::Eof | Category::Io => json_syntax_error(&inner),
    }
}

/// Writes a serde path the way validation errors name fields: `attendance[0].member_id`.
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            // Enum variants and the buffered content of flattened fields carry no field name; the
            // field named in the message (an unknown or missing one) is appended below instead.
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    text
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The text between the first pair of backticks: serde names fields and variants that way.
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(&message[start..start + length])
}

/// What serde accepts, as it says after "expected" (`one of `a`, `b``, `i64`, `a valid date`).
fn expectation(message: &str) -> &str {
    match message.find("expected ") {
        Some(position) => &message[position + "expected ".len()..],
        None => "",
    }
}

/// The backticked names in serde's list of what it expected, joined the Chinese way: `a、b、c`.
fn names_zh(expected: &str) -> String {
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .join("、")
}

/// The messages chrono gives when a date string does not parse; any of them on a date field
/// means the date is malformed or does not exist (2026-02-30).
const DATE_PARSE_MESSAGES: &[&str] = &[
    "input is out of range",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "bad or unsupported format string",
];

/// The messages the standard library gives when a number in a query string does not parse.
const NUMBER_PARSE_MESSAGES: &[&str] = &[
    "invalid digit found in string",
    "cannot parse integer from empty string",
    "number too large to fit in target type",
    "number too small to fit in target type",
];

/// Turns serde's message about the value at `path` into a bilingual field error.
pub(crate) fn describe_data_error(path: &str, message: &str) -> FieldError {
    if message.starts_with("unknown field") {
        let name = quoted_name(message).unwrap_or("?");
        let expected = expectation(message);
        // serde_path_to_error already ends the path with the unknown key.
        let field = if path == name || path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else {
            join_path(path, name)
        };
        return FieldError::new(
            field,
            "unknown_field",
            format!(
                "不认识的字段“{name}”，请检查拼写；可用的字段：{}",
                names_zh(expected)
            ),
            format!("unknown field `{name}`; check the spelling. Expected {expected}"),
        );
    }
    if message.starts_with("missing field") {
        let name = quoted_name(message).unwrap_or("?");
        return FieldError::new(
            join_path(path, name),
            "required",
            format!("缺少必填字段“{name}”"),
            format!("the field `{name}` is required"),
        );
    }
    if message.starts_with("unknown variant") {
        let value = quoted_name(message).unwrap_or("?");
        let expected = expectation(message);
        return FieldError::new(
            path,
            "unknown_value",
            format!("取值“{value}”不在允许范围内，可选：{}", names_zh(expected)),
            format!("`{value}` is not an allowed value; expected {expected}"),
        );
    }
    if DATE_PARSE_MESSAGES.contains(&message) {
        return FieldError::new(
            path,
            "invalid_date",
            "日期无效：须是实际存在的日期，写作YYYY-MM-DD（如2026-03-31）",
            format!(
                "not a valid calendar date ({message}): write an existing date as YYYY-MM-DD, e.g. 2026-03-31"
            ),
        );
    }
    if NUMBER_PARSE_MESSAGES.contains(&message) {
        return FieldError::new(
            path,
            "not_a_number",
            "须为整数",
            format!("must be a whole number ({message})"),
        );
    }
    if message.starts_with("invalid type") {
        return FieldError::new(
            path,
            "invalid_type",
            format!("取值类型不符：{message}"),
            message.to_string(),
        );
    }
    if message.starts_with("invalid length") {
        return FieldError::new(
            path,
            "invalid_length",
            format!("元素个数不符：{message}"),
            message.to_string(),
        );
    }
    FieldError::new(
        path,
        "invalid_value",
        format!("取值无效：{message}"),
        message.to_string(),
    )
}

/// Query parameters, read with field-level errors. Query structs deny unknown fields, so that a
/// misspelt filter (`subtre=5`) is refused rather than silently ignored.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

pub(crate) fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = field_path(error.path());
        let field_error = describe_data_error(&path, &error.inner().to_string());
        ApiError::Malformed {
            message_zh: format!(
                "查询参数有误（{}）：{}",
                field_error.field, field_error.message_zh
            ),
            message_en: format!(
                "A query parameter is wrong ({}): {}",
                field_error.field, field_error.message_en
            ),
            fields: vec![field_error],
        }
    })
}

/// A record id from the path.
#[derive(Debug, Clone, Copy)]
pub struct IdParam(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(IdParam(id)),
            Err(rejection) => Err(ApiError::malformed_field(
                "id",
                "not_an_id",
                "地址中的记录编号须为整数",
                format!(
                    "the record id in the address must be a whole number ({})",
                    rejection.body_text()
                ),
            )),
        }
    }
}

/// The optional `Idempotency-Key` header of a `POST`: repeating a create with the same key returns
/// the record the first one made instead of making a second.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY_HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let bad = || {
            ApiError::malformed_field(
                "Idempotency-Key",
                "invalid",
                format!(
                    "请求头 Idempotency-Key 须为1至{MAX_HEADER_CHARS}个可见ASCII字符（如UUID）"
                ),
                format!(
                    "the Idempotency-Key header must be 1 to {MAX_HEADER_CHARS} visible ASCII characters (a UUID, say)"
                ),
            )
        };
        let Ok(text) = value.to_str() else {
            return Err(bad());
        };
        let key = text.trim();
        if key.is_empty() || key.len() > MAX_HEADER_CHARS {
            return Err(bad());
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_serde_messages_as_field_errors() {
        let table = [
            (
                "",
                "unknown field `colour`, expected `name` or `level`",
                "colour",
                "unknown_field",
            ),
            (
                "attendance[2].colour",
                "unknown field `colour`, expected `member_id` or `state`",
                "attendance[2].colour",
                "unknown_field",
            ),
            (
                "attendance[0]",
                "missing field `member_id`",
                "attendance[0].member_id",
                "required",
            ),
            (
                "held_on",
                "input is out of range",
                "held_on",
                "invalid_date",
            ),
            (
                "kinds[0]",
                "unknown variant `party`, expected one of `general_meeting`",
                "kinds[0]",
                "unknown_value",
            ),
            (
                "limit",
                "invalid digit found in string",
                "limit",
                "not_a_number",
            ),
            (
                "org_id",
                "invalid type: string \"a\", expected i64",
                "org_id",
                "invalid_type",
            ),
        ];
        for (path, message, field, code) in table {
            let error = describe_data_error(path, message);
            assert_eq!(
                (error.field.as_str(), error.code.as_str()),
                (field, code),
                "{message}"
            );
            assert!(!error.message_zh.is_empty() && !error.message_en.is_empty());
        }
        let error = describe_data_error(
            "",
            "unknown field `colour`, expected one of `name`, `level`",
        );
        assert!(
            error.message_zh.ends_with("可用的字段：name、level"),
            "{}",
            error.message_zh
        );
    }

    #[test]
    fn content_types_that_are_json() {
        let table = [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ];
        for (content_type, expected) in table {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                content_type.parse().expect("header value"),
            );
            assert_eq!(is_json(&headers), expected, "{content_type}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
