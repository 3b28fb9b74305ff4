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
use utoipa::{IntoParams, ToSchema};
use zhibu_core::{ChangeOperation, OrgId, Record, RecordKind, RecordVersion, Stored};
use zhibu_storage::{ChangeMeta, ContextCheck, ListRequest, StorageError};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Actor, IdempotencyKey};

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

/// `POST /{area}`: validates and stores a new record as version 1.
pub async fn create<T: ContextCheck>(
    state: &AppState,
    Actor(actor): Actor,
    IdempotencyKey(key): IdempotencyKey,
    body: T,
    collection: &str,
) -> Result<Created<T>, ApiError> {
    let replayable = key.is_some();
    let meta = ChangeMeta {
        actor,
        reason: None,
        idempotency_key: key,
        entered_at: None,
    };
    match state.repository.create(body, &meta).await {
        Ok(stored) => Ok(Created {
            location: format!("{API_PREFIX}{collection}/{}", stored.id),
            stored,
        }),
        // A create only reports "not found" when its idempotency key points at a record that is
        // not of this kind (or no longer exists): the key was reused for something else.
        Err(StorageError::NotFound { kind, .. }) if replayable && kind == T::KIND => {
            Err(ApiError::IdempotencyKeyReused)
        }
        Err(error) => Err(error.into()),
    }
}

/// `GET /{area}/{id}`: the current version.
pub async fn read<T: Record>(state: &AppState, id: i64) -> Result<Json<Stored<T>>, ApiError> {
    match state.repository.get::<T>(T::Id::from(id)).await {
        Ok(stored) => Ok(Json(stored)),
        Err(StorageError::NotFound { kind, id }) => {
            Err(not_found_or_deleted(state, kind, id).await)
        }
        Err(error) => Err(error.into()),
    }
}

/// The repository does not find deleted records; their history does, and a client that follows
/// an old link deserves 410 ("it was deleted") rather than 404 ("it never existed").
async fn not_found_or_deleted(state: &AppState, kind: RecordKind, id: i64) -> ApiError {
    match state.repository.history(kind, id).await {
        Ok(versions)
            if versions
                .last()
                .is_some_and(|version| version.operation == ChangeOperation::Delete) =>
        {
            ApiError::Storage(StorageError::Deleted { id })
        }
        Ok(_) | Err(StorageError::NotFound { .. }) => {
            ApiError::Storage(StorageError::NotFound { kind, id })
        }
        Err(error) => error.into(),
    }
}

/// `PUT /{area}/{id}`: stores the whole new record as the next version.
pub async fn amend<T: ContextCheck>(
    state: &AppState,
    Actor(actor): Actor,
    id: i64,
    request: AmendRequest<T>,
) -> Result<Json<Stored<T>>, ApiError> {
    let meta = ChangeMeta {
        actor,
        reason: Some(request.reason),
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
    Ok(Json(stored))
}

/// `DELETE /{area}/{id}`: appends a final version marking the record deleted.
pub async fn delete<T: Record>(
    state: &AppState,
    Actor(actor): Actor,
    id: i64,
    request: DeleteRequest,
) -> Result<StatusCode, ApiError> {
    let meta = ChangeMeta {
        actor,
        reason: Some(request.reason),
        idempotency_key: None,
        entered_at: None,
    };
    state
        .repository
        .delete::<T>(T::Id::from(id), request.expected_version, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /{area}`: one page of current records, filtered.
pub async fn list<T: Record>(
    state: &AppState,
    params: ListParams,
) -> Result<Json<RecordPage<Stored<T>>>, ApiError> {
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
    let request = ListRequest {
        subtree: params.subtree.map(OrgId),
        event_from: params.from,
        event_to: params.to,
        after_id: params.after,
        limit: params.limit,
    };
    match state.repository.list::<T>(&request).await {
        Ok(page) => Ok(Json(RecordPage {
            items: page.items,
            next_after: page.next_after,
        })),
        Err(StorageError::NotFound {
            kind: RecordKind::Org,
            id,
        }) if params.subtree == Some(id) => Err(ApiError::malformed_field(
            "subtree",
            "unknown_org",
            format!("党组织{id}不存在"),
            format!("organization {id} does not exist"),
        )),
        Err(error) => Err(error.into()),
    }
}

/// `GET /{area}/{id}/history`: every version, oldest first.
pub async fn history<T: Record>(
    state: &AppState,
    id: i64,
) -> Result<Json<RecordHistory>, ApiError> {
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
                ("X-Zhibu-Actor" = String, Header, description = "Who makes the change (UTF-8)"),
                ("expected_version" = Option<i32>, Query, description = "The version being deleted, as last read; required unless the body gives it"),
                ("reason" = Option<String>, Query, description = "Why the record is deleted; required unless the body gives it"),
            ),
            request_body(content = Option<$crate::records::DeleteRequest>, description = "Instead of the query parameters"),
            responses(
                (status = 204, description = "Deleted"),
                (status = 400, description = "Missing actor or malformed input", body = $crate::error::ErrorBody),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 409, description = "Someone else amended the record meanwhile", body = $crate::error::ErrorBody),
                (status = 410, description = "Already deleted", body = $crate::error::ErrorBody),
                (status = 422, description = "Refused (no reason given, an organization that still holds records)", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn delete(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            actor: $crate::extract::Actor,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
            $crate::records::DeleteInstruction(request): $crate::records::DeleteInstruction,
        ) -> Result<axum::http::StatusCode, $crate::error::ApiError> {
            $crate::records::delete::<$record>(&state, actor, id, request).await
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
        async fn delete_refused() -> $crate::error::ApiError {
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
                ("X-Zhibu-Actor" = String, Header, description = "Who makes the change (UTF-8)"),
                ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeated submission return the first record instead of creating a second"),
            ),
            request_body = $record,
            responses(
                (status = 201, description = "Created; `Location` has its address", body = zhibu_core::Stored<$record>),
                (status = 400, description = "Missing actor, malformed JSON", body = $crate::error::ErrorBody),
                (status = 409, description = "The idempotency key was used for another kind of record", body = $crate::error::ErrorBody),
                (status = 415, description = "The body is not declared as JSON", body = $crate::error::ErrorBody),
                (status = 422, description = "The record is invalid; `fields` names each problem", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn create(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            actor: $crate::extract::Actor,
            key: $crate::extract::IdempotencyKey,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$record>,
        ) -> Result<$crate::records::Created<$record>, $crate::error::ApiError> {
            $crate::records::create(&state, actor, key, body, $collection).await
        }

        #[utoipa::path(
            get,
            path = $collection,
            tag = $tag,
            operation_id = concat!("list_", $name),
            summary = concat!("列出", $name_zh, " / list ", $name, " records"),
            params($crate::records::ListParams),
            responses(
                (status = 200, description = "One page, in id order", body = $crate::records::RecordPage<zhibu_core::Stored<$record>>),
                (status = 400, description = "A bad query parameter", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn list(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            $crate::extract::ApiQuery(params): $crate::extract::ApiQuery<$crate::records::ListParams>,
        ) -> Result<axum::Json<$crate::records::RecordPage<zhibu_core::Stored<$record>>>, $crate::error::ApiError> {
            $crate::records::list::<$record>(&state, params).await
        }

        #[utoipa::path(
            get,
            path = $item,
            tag = $tag,
            operation_id = concat!("read_", $name),
            summary = concat!("读取", $name_zh, " / read a ", $name),
            params(("id" = i64, Path, description = "The record id")),
            responses(
                (status = 200, description = "The current version", body = zhibu_core::Stored<$record>),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 410, description = "Deleted; its history can still be read", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn read(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
        ) -> Result<axum::Json<zhibu_core::Stored<$record>>, $crate::error::ApiError> {
            $crate::records::read::<$record>(&state, id).await
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
                ("X-Zhibu-Actor" = String, Header, description = "Who makes the change (UTF-8)"),
            ),
            request_body = $crate::records::AmendRequest<$record>,
            responses(
                (status = 200, description = "The new current version", body = zhibu_core::Stored<$record>),
                (status = 400, description = "Missing actor, malformed JSON", body = $crate::error::ErrorBody),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
                (status = 409, description = "Someone else amended the record meanwhile", body = $crate::error::ErrorBody),
                (status = 410, description = "The record was deleted", body = $crate::error::ErrorBody),
                (status = 415, description = "The body is not declared as JSON", body = $crate::error::ErrorBody),
                (status = 422, description = "The record is invalid, or no reason was given", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn amend(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            actor: $crate::extract::Actor,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
            $crate::extract::ApiJson(request): $crate::extract::ApiJson<$crate::records::AmendRequest<$record>>,
        ) -> Result<axum::Json<zhibu_core::Stored<$record>>, $crate::error::ApiError> {
            $crate::records::amend(&state, actor, id, request).await
        }

        #[utoipa::path(
            get,
            path = $history,
            tag = $tag,
            operation_id = concat!("history_", $name),
            summary = concat!($name_zh, "的修改历史 / history of a ", $name),
            params(("id" = i64, Path, description = "The record id")),
            responses(
                (status = 200, description = "Every version, oldest first, deletions included", body = $crate::records::RecordHistory),
                (status = 404, description = "No such record", body = $crate::error::ErrorBody),
            ),
        )]
        pub async fn history(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            $crate::extract::IdParam(id): $crate::extract::IdParam,
        ) -> Result<axum::Json<$crate::records::RecordHistory>, $crate::error::ApiError> {
            $crate::records::history::<$record>(&state, id).await
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
