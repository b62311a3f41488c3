//! `/api/v1/heartbeats`: heartbeat (dead-man) monitors. A job calls its monitor's URL
//! (`/heartbeat/{token}`, public: the token is the credential) each time it runs; a beat
//! that does not come within the period and grace opens a `HeartbeatMissed` alert, and the
//! next beat resolves it. Everyone may read them; admins create and delete them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_store::HeartbeatRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::paging;

#[derive(Debug, Serialize, ToSchema)]
pub struct HeartbeatOut {
    id: String,
    name: String,
    /// A beat is expected this often (`24h`) ...
    period: String,
    /// ... and may be this late (`1h`) before the alert opens.
    grace: String,
    labels: BTreeMap<String, String>,
    /// `waiting` (no beat yet), `ok` or `missing`.
    state: String,
    last_beat_at: Option<String>,
    /// When the next beat is overdue; null while it is missing.
    due_at: Option<String>,
    missing_since: Option<String>,
    created_at: String,
    /// The URL to call: only in the answer to the creation (the token is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

fn heartbeat_out(h: HeartbeatRecord, url: Option<String>) -> HeartbeatOut {
    HeartbeatOut {
        state: h.state().to_owned(),
        id: h.id,
        name: h.name,
        period: hinomi_core::format_duration(h.period_ms),
        grace: hinomi_core::format_duration(h.grace_ms),
        labels: h.labels.into_inner(),
        last_beat_at: h.last_beat_at.map(time),
        due_at: h.due_at.map(time),
        missing_since: h.missing_since.map(time),
        created_at: time(h.created_at),
        url,
    }
}

/// List heartbeat monitors.
#[utoipa::path(get, path = "/api/v1/heartbeats", tag = "heartbeats",
    responses((status = 200, body = Vec<HeartbeatOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<HeartbeatOut>>, ApiError> {
    principal.require(Action::Read)?;
    let list = state.engine.store().heartbeats().await?;
    Ok(Json(
        list.into_iter().map(|h| heartbeat_out(h, None)).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatIn {
    /// 1 to 64 letters, digits, `.`, `_` or `-`; the alert's `heartbeat` label.
    name: String,
    /// How often a beat is expected, between `1s` and `31d`.
    period: String,
    /// How late a beat may be before the alert opens (default `0s`, at most `7d`).
    #[serde(default)]
    grace: String,
    /// Labels the alert carries besides `alertname` and `heartbeat` (for routing).
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// Create a heartbeat monitor; the answer's `url` (with its secret token) is shown only now.
#[utoipa::path(post, path = "/api/v1/heartbeats", tag = "heartbeats", request_body = HeartbeatIn,
    responses((status = 201, body = HeartbeatOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<HeartbeatIn>,
) -> Result<(StatusCode, Json<HeartbeatOut>), ApiError> {
    let labels = hinomi_core::LabelSet::parse(body.labels)
        .map_err(|e| ApiError::bad_request("invalid_field", "labels", format!("labels: {e}")))?;
    let (h, token) = paging::create_heartbeat(
        &principal,
        &state,
        &body.name,
        &body.period,
        &body.grace,
        labels,
    )
    .await?;
    let url = paging::heartbeat_url(&state, &token);
    Ok((StatusCode::CREATED, Json(heartbeat_out(h, Some(url)))))
}

/// Delete a heartbeat monitor (by id or name); its alert, if open, resolves.
#[utoipa::path(delete, path = "/api/v1/heartbeats/{heartbeat}", tag = "heartbeats",
    params(("heartbeat" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete(
    principal: Principal,
    State(state): State<AppState>,
    Path(heartbeat): Path<String>,
) -> Result<StatusCode, ApiError> {
    paging::delete_heartbeat(&principal, &state, &heartbeat).await?;
    Ok(StatusCode::NO_CONTENT)
}
