//! `GET` or `POST /heartbeat/{token}`: the URL a job calls each time it runs (a nightly
//! backup's last line: `curl -fsS https://hinomi.example/heartbeat/<token>`). Public: the
//! token is the credential, and only its hash is stored.

use axum::Json;
use axum::extract::{Path, State};
use hinomi_engine::EngineError;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;

/// Records a beat; answers when the next one is due.
pub async fn beat(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.engine.beat(&token).await {
        Ok(h) => Ok(Json(json!({
            "status": "ok",
            "heartbeat": h.name,
            "next_due": h.due_at.map(hinomi_core::time::format_millis),
        }))),
        Err(EngineError::NotFound(_)) => Err(ApiError::not_found("heartbeat")),
        Err(EngineError::Overloaded) => Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "busy: try again shortly",
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}
