//! The six operations every record area offers, written once, generic over the record type:
//! create, read, amend, delete, list with keyset paging, and history.
//!
//! Each area module (`crate::areas::*`) instantiates them for its record type with
//! [`record_routes!`]. A macro is needed there, not a generic function, because `#[utoipa::path]`
//! documents one concrete handler: the OpenAPI document must say that `POST /meetings` takes a
//! `Meeting`, not "some record". The macro holds no logic: every handler it writes is one call to a
//! function below.

use axum::Json;
use axum::extract::FromRequest;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use zhibu_core::{OrgId, RecordKind, RecordVersion, Stored};
use zhibu_storage::{ChangeMeta, ListRequest, StorageError};

use crate::AppState;
use crate::auth::policy::{Access, Action};
use crate::auth::scope::{ScopedRecord, check_write, filter_for_reader, readable_row};
use crate::auth::{AuditTarget, ConfineError, Principal, audit};
use crate::error::ApiError;
use crate::extract::IdempotencyKey;

/// Where the JSON API lives; `Location` headers and the OpenAPI document use it.
pub const API_PREFIX: &str = "/api/v1";

/// The largest page a list returns. The repository would quietly clamp a larger `limit`; the API
/// refuses it instead, so that a client never mistakes a clamped page for the end of the list.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The body of `PUT /{area}/{id}`: the whole new record, the version it was based on, and why.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendRequest<T> {
    /// The version the change was made from, as last read; if someone has amended the record
    /// since, the change is refused with 409 and nothing is written.
    pub expected_version: i32,
    /// Why the record is amended (required).
    pub reason: String,
    /// The whole record as it should now read.
    pub record: T,
}

/// `DELETE /{area}/{id}` takes the same two things as a JSON body or as query parameters (one or
/// the other, not both): some HTTP clients cannot send a body with `DELETE`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The version being deleted, as last read.
    pub expected_version: i32,
    /// Why the record is deleted (required).
    pub reason: String,
}

/// Filters and keyset paging of `GET /{area}`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only records in this organization's subtree.
    pub subtree: Option<i64>,
    /// Only records whose event date (the day it happened, not the day it was typed in) is on or
    /// after this day, `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Only records whose event date is on or before this day, `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 1000; 100 if not given.
    pub limit: Option<u32>,
}

/// One page of a list, in id order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordPage<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_after: Option<i64>,
}

/// Every version of a record, oldest first: who changed it, when and why, with the body of each
/// version as the exact JSON text that was hashed into the chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordHistory {
    pub versions: Vec<RecordVersion>,
}

/// A created record: `201 Created` with its address in `Location`.
#[derive(Debug)]
pub struct Created<T> {
    pub location: String,
    pub stored: Stored<T>,
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::CREATED, Json(self.stored)).into_response();
        // Ids are digits and the collection paths are ours, so the value is always a valid header;
        // if that ever changed, the record is still created and the log says why `Location` is absent.
        match HeaderValue::from_str(&self.location) {
            Ok(location) => {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Err(error) => {
                tracing::error!(%error, location = %self.location, "a Location header could not be written")
            }
        }
        response
    }
}

/// The audit action of a change: exemptions have their own, so that an inspector finds every
/// exemption granted with one search.
fn audit_action(kind: RecordKind, operation: &str) -> String {
    match kind {
        RecordKind::Exemption => format!("exemption_{operation}"),
        _ => operation.to_string(),
    }
}

/// Writes the audit entry of a change to record `id`, with the org path it now has.
async fn audit_change(
    state: &AppState,
    principal: &Principal,
    kind: RecordKind,
    operation: &str,
    id: i64,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let org_path = match state.repository.backend().get(id).await? {
        Some(row) => Some(row.org_path),
        None => None,
    };
    let target = AuditTarget {
        kind: Some(kind.as_str().to_string()),
        id: Some(id),
        org_path,
    };
    audit(
        state,
        Some(principal),
        &audit_action(kind, operation),
        target,
        detail,
    )
    .await
}

/// `POST /{area}`: validates and stores a new record as version 1.
pub async fn create<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    IdempotencyKey(key): IdempotencyKey,
    body: T,
    collection: &str,
) -> Result<Created<T>, ApiError> {
    check_write::<T>(state, principal, Action::Create, None, Some(&body)).await?;
    let replayable = key.is_some();
    let meta = ChangeMeta {
        actor: principal.login.clone(),
        reason: None,
        idempotency_key: key,
        entered_at: None,
    };
    match state.repository.create(body, &meta).await {
        Ok(stored) => {
            audit_change(
                state,
                principal,
                T::KIND,
                "create",
                stored.id,
                json!({"version": stored.version}),
            )
            .await?;
            let mut stored = stored;
            stored.body.withhold_personal();
            Ok(Created {
                location: format!("{API_PREFIX}{collection}/{}", stored.id),
                stored,
            })
        }
        // A create only reports "not found" when its idempotency key points at a record that is
        // not of this kind (or no longer exists): the key was reused for something else.
        Err(StorageError::NotFound { kind, .. }) if replayable && kind == T::KIND => {
            Err(ApiError::IdempotencyKeyReused)
        }
        Err(error) => Err(error.into()),
    }
}

/// `GET /{area}/{id}`: the current version, if the principal may read it.
pub async fn read<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<Json<Stored<T>>, ApiError> {
    let row = readable_row::<T>(state, principal, id).await?;
    if row.deleted {
        return Err(ApiError::Storage(StorageError::Deleted { id }));
    }
    let access = principal.allows(T::AREA, Action::Read);
    let mut stored = state.repository.get::<T>(T::Id::from(id)).await?;
    match filter_for_reader(principal, access, id, stored.body) {
        Some(body) => {
            stored.body = body;
            Ok(Json(stored))
        }
        None => Err(ApiError::Storage(StorageError::NotFound {
            kind: T::KIND,
            id,
        })),
    }
}

/// `PUT /{area}/{id}`: stores the whole new record as the next version.
pub async fn amend<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    id: i64,
    request: AmendRequest<T>,
) -> Result<Json<Stored<T>>, ApiError> {
    check_write::<T>(
        state,
        principal,
        Action::Amend,
        Some(id),
        Some(&request.record),
    )
    .await?;
    let mut request = request;
    if !T::PERSONAL_FIELDS.is_empty() {
        // The API withholds personal data; an amendment without it keeps what is stored.
        let current = state.repository.get::<T>(T::Id::from(id)).await?;
        request.record.keep_personal_from(&current.body);
    }
    let meta = ChangeMeta {
        actor: principal.login.clone(),
        reason: Some(request.reason.clone()),
        idempotency_key: None,
        entered_at: None,
    };
    let stored = state
        .repository
        .amend(
            T::Id::from(id),
            request.expected_version,
            request.record,
            &meta,
        )
        .await?;
    audit_change(
        state,
        principal,
        T::KIND,
        "amend",
        id,
        json!({"version": stored.version, "reason": request.reason}),
    )
    .await?;
    let mut stored = stored;
    stored.body.withhold_personal();
    Ok(Json(stored))
}

/// `DELETE /{area}/{id}`: appends a final version marking the record deleted.
pub async fn delete<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    id: i64,
    request: DeleteRequest,
) -> Result<StatusCode, ApiError> {
    check_write::<T>(state, principal, Action::Delete, Some(id), None).await?;
    let meta = ChangeMeta {
        actor: principal.login.clone(),
        reason: Some(request.reason.clone()),
        idempotency_key: None,
        entered_at: None,
    };
    state
        .repository
        .delete::<T>(T::Id::from(id), request.expected_version, &meta)
        .await?;
    audit_change(
        state,
        principal,
        T::KIND,
        "delete",
        id,
        json!({"version": request.expected_version + 1, "reason": request.reason}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn unknown_subtree(id: i64) -> ApiError {
    ApiError::malformed_field(
        "subtree",
        "unknown_org",
        format!("党组织{id}不存在"),
        format!("organization {id} does not exist"),
    )
}

/// `GET /{area}`: one page of current records, filtered, confined to the principal's subtree.
/// A `subtree` outside it answers exactly as one that does not exist.
pub async fn list<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    params: ListParams,
) -> Result<Json<RecordPage<Stored<T>>>, ApiError> {
    let access = principal.allows(T::AREA, Action::Read);
    if access == Access::Denied {
        return Err(ApiError::forbidden_role(principal));
    }
    if let Some(limit) = params.limit
        && !(1..=MAX_PAGE_SIZE).contains(&limit)
    {
        return Err(ApiError::malformed_field(
            "limit",
            "out_of_range",
            format!("每页条数须在1至{MAX_PAGE_SIZE}之间"),
            format!("limit must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(ApiError::malformed_field(
            "to",
            "before_from",
            "截止日期早于起始日期",
            "`to` is before `from`",
        ));
    }
    let subtree = match principal
        .confine(&state.repository, params.subtree.map(OrgId))
        .await
    {
        Ok(subtree) => subtree,
        Err(ConfineError::Outside(org)) => return Err(unknown_subtree(org.0)),
        Err(ConfineError::NoScope) => {
            return Ok(Json(RecordPage {
                items: Vec::new(),
                next_after: None,
            }));
        }
        Err(ConfineError::Storage(error)) => return Err(error.into()),
    };
    let request = ListRequest {
        subtree,
        event_from: params.from,
        event_to: params.to,
        after_id: params.after,
        limit: params.limit,
    };
    match state.repository.list::<T>(&request).await {
        Ok(page) => Ok(Json(RecordPage {
            items: page
                .items
                .into_iter()
                .filter_map(|mut stored| {
                    let body = filter_for_reader(principal, access, stored.id, stored.body)?;
                    stored.body = body;
                    Some(stored)
                })
                .collect(),
            next_after: page.next_after,
        })),
        Err(StorageError::NotFound {
            kind: RecordKind::Org,
            id,
        }) if params.subtree == Some(id) => Err(unknown_subtree(id)),
        Err(error) => Err(error.into()),
    }
}

/// `GET /{area}/{id}/history`: every version, oldest first. A member sees the history of their
/// own member record only: older versions of a meeting hold other people's attendance.
pub async fn history<T: ScopedRecord>(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<Json<RecordHistory>, ApiError> {
    let row = readable_row::<T>(state, principal, id).await?;
    if principal.allows(T::AREA, Action::Read) == Access::Own
        && !(T::KIND == RecordKind::Member
            && principal.member_id.map(|member| member.0) == Some(row.id))
    {
        return Err(ApiError::Storage(StorageError::NotFound {
            kind: T::KIND,
            id,
        }));
    }
    let versions = state.repository.history(T::KIND, id).await?;
    Ok(Json(RecordHistory { versions }))
}

/// Writes one area's handlers, its `router()` and its `openapi()`. See the module documentation
/// for why this is a macro; the handlers only pass their extractors on to the functions above.
///
/// `delete: allowed` offers `DELETE /{area}/{id}`; `delete: refused(zh, en)` answers it with 405
/// and the given explanation instead (for records that are amended, never deleted).
macro_rules! record_routes {
    (
        record: $record:ident,
        name: $name:tt,
        name_zh: $name_zh:tt,
        collection: $collection:tt,
        item: $item:tt,
        history: $history:tt,
        tag: $tag:tt,
        delete: allowed $(,)?
    ) => {
        $crate::records::record_routes!(@common $record, $name, $name_zh, $collection, $item, $history, $tag);

        #[utoipa::path(
            delete,
            path = $item,
            tag = $tag,
            operation_id = concat!("delete_", $name),
            summary = concat!("删除", $name_zh, " / delete a ", $name),
            description = "Appends a final version marking the record deleted; its history stays readable. Send `expected_version` and `reason` either as a JSON body or as query parameters, not both.",
            params(
                ("id" = i64, Path, description = "The record id"),
                ("X-CSRF-Token" = String, Header, description = "The session's CSRF token (from `GET /api/v1/session`); the change is recorded under the signed-in account"),
                ("expected_version" = Option<i32>, Query, description = "The version being deleted, as last read; required unless the body gives it"),
                ("reason" = Option<String>, Query, description = "Why the record is deleted; required unless the body gives it"),
            ),
            request_body(content = Option<$crate::records::DeleteRequest>, description = "Instead of the query parameters"),
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 204, description = "Deleted"),
                (status = 400, description = "Malformed input", body = $crate::error::ErrorBody),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 409, description = "Someone else amended the record meanwhile", body = $crate::error::ErrorBody),
                (status = 410, description = "Already deleted", body = $crate::error::ErrorBody),
                (status = 422, description = "Refused (no reason given, an organization that still holds records)", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn delete(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
            $crate::records::DeleteInstruction(request): $crate::records::DeleteInstruction,
        ) -> Result<axum::http::StatusCode, $crate::error::ApiError> {
            $crate::records::delete::<$record>(&state, &principal, id, request).await
        }

        /// The routes of this area, relative to `/api/v1`.
        pub fn router() -> axum::Router<$crate::AppState> {
            axum::Router::new()
                .route($collection, axum::routing::post(create).get(list))
                .route($item, axum::routing::get(read).put(amend).delete(delete))
                .route($history, axum::routing::get(history))
        }

        /// This area's part of the OpenAPI document, relative to `/api/v1`.
        pub fn openapi() -> utoipa::openapi::OpenApi {
            #[derive(utoipa::OpenApi)]
            #[openapi(paths(create, list, read, amend, delete, history))]
            struct AreaApi;
            <AreaApi as utoipa::OpenApi>::openapi()
        }
    };

    (
        record: $record:ident,
        name: $name:tt,
        name_zh: $name_zh:tt,
        collection: $collection:tt,
        item: $item:tt,
        history: $history:tt,
        tag: $tag:tt,
        delete: refused($refusal_zh:tt, $refusal_en:tt) $(,)?
    ) => {
        $crate::records::record_routes!(@common $record, $name, $name_zh, $collection, $item, $history, $tag);

        /// Refuses `DELETE` with an explanation, rather than axum's bare 405.
        async fn delete_refused(_principal: $crate::auth::Principal) -> $crate::error::ApiError {
            $crate::error::ApiError::MethodNotAllowed { message_zh: $refusal_zh.into(), message_en: $refusal_en.into(), allow: Some("GET, PUT") }
        }

        /// The routes of this area, relative to `/api/v1`.
        pub fn router() -> axum::Router<$crate::AppState> {
            axum::Router::new()
                .route($collection, axum::routing::post(create).get(list))
                .route($item, axum::routing::get(read).put(amend).delete(delete_refused))
                .route($history, axum::routing::get(history))
        }

        /// This area's part of the OpenAPI document, relative to `/api/v1`.
        pub fn openapi() -> utoipa::openapi::OpenApi {
            #[derive(utoipa::OpenApi)]
            #[openapi(paths(create, list, read, amend, history))]
            struct AreaApi;
            <AreaApi as utoipa::OpenApi>::openapi()
        }
    };

    (@common $record:ident, $name:tt, $name_zh:tt, $collection:tt, $item:tt, $history:tt, $tag:tt) => {
        #[utoipa::path(
            post,
            path = $collection,
            tag = $tag,
            operation_id = concat!("create_", $name),
            summary = concat!("新建", $name_zh, " / create a ", $name),
            description = "Validates the record on its own and against the records around it, then stores it as version 1. Repeating the request with the same `Idempotency-Key` returns the record the first request created.",
            params(
                ("X-CSRF-Token" = String, Header, description = "The session's CSRF token (from `GET /api/v1/session`); the change is recorded under the signed-in account"),
                ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeated submission return the first record instead of creating a second"),
            ),
            request_body = $record,
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 201, description = "Created; `Location` has its address", body = zhibu_core::Stored<$record>),
                (status = 400, description = "Malformed JSON", body = $crate::error::ErrorBody),
                (status = 409, description = "The idempotency key was used for another kind of record", body = $crate::error::ErrorBody),
                (status = 415, description = "The body is not declared as JSON", body = $crate::error::ErrorBody),
                (status = 422, description = "The record is invalid; `fields` names each problem", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn create(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            key: $crate::extract::IdempotencyKey,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$record>,
        ) -> Result<$crate::records::Created<$record>, $crate::error::ApiError> {
            $crate::records::create(&state, &principal, key, body, $collection).await
        }

        #[utoipa::path(
            get,
            path = $collection,
            tag = $tag,
            operation_id = concat!("list_", $name),
            summary = concat!("列出", $name_zh, " / list ", $name, " records"),
            params($crate::records::ListParams),
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 200, description = "One page, in id order", body = $crate::records::RecordPage<zhibu_core::Stored<$record>>),
                (status = 400, description = "A bad query parameter", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn list(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::extract::ApiQuery(params): $crate::extract::ApiQuery<$crate::records::ListParams>,
        ) -> Result<axum::Json<$crate::records::RecordPage<zhibu_core::Stored<$record>>>, $crate::error::ApiError> {
            $crate::records::list::<$record>(&state, &principal, params).await
        }

        #[utoipa::path(
            get,
            path = $item,
            tag = $tag,
            operation_id = concat!("read_", $name),
            summary = concat!("读取", $name_zh, " / read a ", $name),
            params(("id" = i64, Path, description = "The record id")),
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 200, description = "The current version", body = zhibu_core::Stored<$record>),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 410, description = "Deleted; its history can still be read", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn read(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
        ) -> Result<axum::Json<zhibu_core::Stored<$record>>, $crate::error::ApiError> {
            $crate::records::read::<$record>(&state, &principal, id).await
        }

        #[utoipa::path(
            put,
            path = $item,
            tag = $tag,
            operation_id = concat!("amend_", $name),
            summary = concat!("修改", $name_zh, " / amend a ", $name),
            description = "Stores the whole new record as the next version, with who, when and why. Refused with 409, and nothing written, if someone amended the record since `expected_version`.",
            params(
                ("id" = i64, Path, description = "The record id"),
                ("X-CSRF-Token" = String, Header, description = "The session's CSRF token (from `GET /api/v1/session`); the change is recorded under the signed-in account"),
            ),
            request_body = $crate::records::AmendRequest<$record>,
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 200, description = "The new current version", body = zhibu_core::Stored<$record>),
                (status = 400, description = "Malformed JSON", body = $crate::error::ErrorBody),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 409, description = "Someone else amended the record meanwhile", body = $crate::error::ErrorBody),
                (status = 410, description = "The record was deleted", body = $crate::error::ErrorBody),
                (status = 415, description = "The body is not declared as JSON", body = $crate::error::ErrorBody),
                (status = 422, description = "The record is invalid, or no reason was given", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn amend(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
            $crate::extract::ApiJson(request): $crate::extract::ApiJson<$crate::records::AmendRequest<$record>>,
        ) -> Result<axum::Json<zhibu_core::Stored<$record>>, $crate::error::ApiError> {
            $crate::records::amend(&state, &principal, id, request).await
        }

        #[utoipa::path(
            get,
            path = $history,
            tag = $tag,
            operation_id = concat!("history_", $name),
            summary = concat!($name_zh, "的修改历史 / history of a ", $name),
            params(("id" = i64, Path, description = "The record id")),
            responses(
                (status = 401, description = "Not signed in", body = $crate::error::ErrorBody),
                (status = 403, description = "The role may not do this here, or the CSRF token is missing", body = $crate::error::ErrorBody),
                (status = 200, description = "Every version, oldest first, deletions included", body = $crate::records::RecordHistory),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn history(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
        ) -> Result<axum::Json<$crate::records::RecordHistory>, $crate::error::ApiError> {
            $crate::records::history::<$record>(&state, &principal, id).await
        }
    };
}

pub(crate) use record_routes;

/// The `expected_version` and `reason` of a `DELETE`, from a JSON body or from the query string.
#[derive(Debug, Clone)]
pub struct DeleteInstruction(pub DeleteRequest);

impl<S: Send + Sync> FromRequest<S> for DeleteInstruction {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let query = request.uri().query().unwrap_or("").to_string();
        let declared_json = crate::extract::is_json(request.headers());
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(crate::extract::body_rejection)?;
        let has_body = !bytes.iter().all(u8::is_ascii_whitespace);
        match (has_body, query.is_empty()) {
            (true, false) => Err(ApiError::malformed_field(
                "expected_version",
                "given_twice",
                "expected_version 和 reason 请只在请求正文或查询参数中给出一次",
                "give expected_version and reason once: in the JSON body or in the query, not both",
            )),
            (true, true) if !declared_json => Err(ApiError::UnsupportedMediaType),
            (true, true) => crate::extract::parse_json(&bytes).map(DeleteInstruction),
            (false, _) => crate::extract::parse_query(&query).map(DeleteInstruction),
        }
    }
}
