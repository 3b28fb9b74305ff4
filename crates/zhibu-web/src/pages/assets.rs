//! The stylesheet and script, embedded in the binary and served with long-lived cache headers.
//!
//! Pages link them as `/assets/app.css?v=<hash of the content>`. A request with the current hash
//! may be cached for a year (the URL changes when the content does); any other is answered with
//! `no-cache` and an ETag, so an old office PC on a weak link downloads each file once.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../../assets/app.css");
const SCRIPT: &str = include_str!("../../assets/app.js");

/// A short hash of both files. Only this binary compares it with itself, so the standard
/// library's hasher is enough: it need not be stable across builds, only within one.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        STYLESHEET.hash(&mut hasher);
        SCRIPT.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    })
}

fn serve(
    content: &'static str,
    content_type: &'static str,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let etag = format!("\"{}\"", version());
    let cache_control = if uri.query() == Some(&format!("v={}", version())) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == etag);
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        content.into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response
}

pub async fn stylesheet(headers: HeaderMap, uri: Uri) -> Response {
    serve(STYLESHEET, "text/css; charset=utf-8", &headers, &uri)
}

pub async fn script(headers: HeaderMap, uri: Uri) -> Response {
    serve(SCRIPT, "text/javascript; charset=utf-8", &headers, &uri)
}
