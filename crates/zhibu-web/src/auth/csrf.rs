//! CSRF protection. Every session has a random token; a form carries it in the hidden field
//! `csrf_token`, an API client that authenticates by cookie sends it in the `X-CSRF-Token` header
//! (checked for every API write by the [`Principal`] extractor). Another site can make a browser
//! send our cookie, but cannot read the token, so a forged request fails here.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;

use super::Principal;
use super::password::constant_time_eq;
use super::session::AuthRejection;
use crate::AppState;
use crate::error::ApiError;

/// The hidden form field that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The header that carries the token on API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses a form post whose token is not the session's.
pub fn verify_csrf(principal: &Principal, submitted: &str) -> Result<(), ApiError> {
    if !submitted.is_empty() && constant_time_eq(submitted, &principal.csrf_token) {
        Ok(())
    } else {
        Err(ApiError::CsrfRejected)
    }
}

/// A form post (`application/x-www-form-urlencoded`) from a signed-in person whose `csrf_token`
/// field matched their session: the principal, and the other fields read as `T`.
///
/// The token field is taken out before `T` is read, so `T` may deny unknown fields. Use it as
/// `CsrfForm(principal, form): CsrfForm<MyForm>`; a missing or wrong token answers 403, a request
/// without a session is redirected to the sign-in page.
#[derive(Debug, Clone)]
pub struct CsrfForm<T>(pub Principal, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AuthRejection;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AuthRejection> {
        let (mut parts, body) = request.into_parts();
        let principal =
            <Principal as FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
                .await?;
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(crate::extract::body_rejection)?;
        let mut token = String::new();
        let mut rest = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(&bytes) {
            if key == CSRF_FIELD {
                token = value.into_owned();
            } else {
                rest.append_pair(&key, &value);
            }
        }
        verify_csrf(&principal, &token)?;
        let form = crate::extract::parse_query::<T>(&rest.finish())?;
        Ok(CsrfForm(principal, form))
    }
}
