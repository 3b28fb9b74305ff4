//! `GET /healthz`: whether the service can read its database, for load balancers and monitors.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` in a 200 answer.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Reminder channels that are misconfigured or unreachable (SMTP, group bots), each as
    /// `channel: 中文 / English`. The service is up regardless: reminders wait in the inbox and
    /// failed deliveries are retried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_problems: Vec<String>,
}

/// Reads the head of the record chain: one indexed row, so the check is cheap enough to call
/// every few seconds, yet it fails when the database is unreachable or its schema is missing.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "healthz",
    summary = "健康检查 / health check",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer (the cause is in the server log)", body = ErrorBody),
    ),
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let backend = state.repository.backend();
    backend.chain_head().await.map_err(ApiError::Unavailable)?;
    Ok(Json(Health {
        status: "ok".to_string(),
        database: backend.name().to_string(),
        channel_problems: match state.channel_problems.read() {
            Ok(problems) => problems.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
        .into_iter()
        .map(|problem| {
            format!(
                "{}: {} / {}",
                problem.channel, problem.message_zh, problem.message_en
            )
        })
        .collect(),
    }))
}
