//! Operational endpoints: liveness, readiness, configuration reload and Prometheus metrics
//! about hinomi itself.

use std::any::Any;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /-/healthy`: the process runs.
pub async fn healthy() -> &'static str {
    "OK\n"
}

/// `GET /-/ready`: the database answers, so intake can be acknowledged.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.engine.store().ping().await {
        Ok(()) => (StatusCode::OK, "OK\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `POST /-/reload`: reads the configuration file again. A file that does not parse is
/// rejected with its error and the running configuration stays.
pub async fn reload(State(state): State<AppState>) -> Response {
    match state.config.reload(&state.engine).await {
        Ok(()) => (StatusCode::OK, "").into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    metrics::gauge!("hinomi_intake_queue_depth").set(state.engine.intake_queue_depth() as f64);
    let text = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// The answer when a handler panics: a 500 that says so, and the panic is logged. Input
/// must never cause this; it is the last line of defence, not a code path.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    tracing::error!(panic = %detail, "request handler panicked");
    metrics::counter!("hinomi_http_panics_total").increment(1);
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("\"internal error\""))
        .expect("static response builds")
}
