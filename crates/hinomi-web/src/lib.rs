//! hinomi's HTTP edge: the only crate that knows HTTP and JSON shapes.
//!
//! Compat routes answer in the format of the tool they imitate: Alertmanager's API v2
//! ([`alertmanager`]), PagerDuty's Events API v2 ([`pagerduty`]); hinomi's own generic
//! intake ([`generic`]); and the operational endpoints ([`ops`]).
#![forbid(unsafe_code)]

pub mod alertmanager;
mod body;
pub mod console;
pub mod generic;
pub mod keys;
pub mod ops;
pub mod pagerduty;
mod reload;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use hinomi_engine::Engine;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::catch_panic::CatchPanicLayer;

pub use reload::{ConfigSource, ReloadError};

/// Bounds on what intake accepts, so one request cannot exhaust memory.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Most alerts in one Alertmanager post.
    pub max_alerts_per_request: usize,
    /// Most labels (and most annotations) on one alert.
    pub max_labels: usize,
    /// Longest label or annotation name, in bytes.
    pub max_name_bytes: usize,
    /// Longest label value, in bytes.
    pub max_label_value_bytes: usize,
    /// Longest annotation value, in bytes.
    pub max_annotation_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 << 20,
            max_alerts_per_request: 10_000,
            max_labels: 128,
            max_name_bytes: 1_024,
            max_label_value_bytes: 16 << 10,
            max_annotation_value_bytes: 256 << 10,
        }
    }
}

/// Everything a handler may need. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub engine: Engine,
    pub limits: Arc<Limits>,
    pub config: Arc<ConfigSource>,
    /// Renders `/metrics`; `None` serves an empty page (tests that install no recorder).
    pub metrics: Option<PrometheusHandle>,
}

/// Every route hinomi serves.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/-/healthy", get(ops::healthy).head(ops::healthy))
        .route("/-/ready", get(ops::ready).head(ops::ready))
        .route("/-/reload", post(ops::reload))
        .route("/metrics", get(ops::metrics))
        .route(
            "/api/v2/alerts",
            get(alertmanager::get_alerts).post(alertmanager::post_alerts),
        )
        .route("/api/v2/alerts/groups", get(alertmanager::get_groups))
        .route(
            "/api/v2/silences",
            get(alertmanager::get_silences).post(alertmanager::post_silences),
        )
        .route(
            "/api/v2/silence/{id}",
            get(alertmanager::get_silence).delete(alertmanager::delete_silence),
        )
        .route("/api/v2/receivers", get(alertmanager::get_receivers))
        .route("/api/v2/status", get(alertmanager::get_status))
        .route("/v2/enqueue", post(pagerduty::enqueue))
        .route("/v2/change/enqueue", post(pagerduty::change_enqueue))
        .route("/intake/generic", post(generic::intake))
        .route("/intake/generic/{key}", post(generic::intake_with_path_key))
        .merge(console::public_routes())
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .with_state(state)
}

/// Counts every request by route and status, and times it.
async fn observe(State(_): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("hinomi_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("hinomi_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
