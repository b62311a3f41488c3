//! hinomi's HTTP edge: the only crate that knows HTTP and JSON shapes.
//!
//! Compat routes answer in the format of the tool they imitate: Alertmanager's API v2
//! ([`alertmanager`]), PagerDuty's Events API v2 ([`pagerduty`]); hinomi's own generic
//! intake ([`generic`]); and the operational endpoints ([`ops`]).
#![forbid(unsafe_code)]

pub mod alertmanager;
pub mod api_v1;
pub mod auth;
mod beat;
mod body;
mod chat;
pub mod console;
pub mod error;
pub mod generic;
pub mod ical;
mod inbound;
pub mod incidents;
pub mod keys;
pub mod ops;
pub mod pagerduty;
mod paging;
mod people;
pub mod postmortems;
mod reload;
pub mod routes;
pub mod schedules;
pub mod security;
pub mod status;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use hinomi_engine::Engine;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::catch_panic::CatchPanicLayer;

pub use error::ApiError;
pub use reload::{ConfigSource, ReloadError};
pub use routes::{RouteInfo, RouteTable};

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

/// Everything a handler may need, behind one pointer: axum clones the state for every
/// request, and one reference count is cheaper than one per part.
#[derive(Clone, Debug)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> AppState {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct App {
    pub engine: Engine,
    pub limits: Arc<Limits>,
    pub config: Arc<ConfigSource>,
    /// Renders `/metrics`; `None` serves an empty page (tests that install no recorder).
    pub metrics: Option<PrometheusHandle>,
    /// Access settings, sign-in throttling and the credential cache.
    pub auth: Arc<auth::Auth>,
    /// Set when the server begins to shut down: long-lived responses (the console's live
    /// streams) end, so the graceful shutdown does not wait for browsers to leave.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Signs and checks the iCal feed URLs.
    pub feeds: ical::Feeds,
    /// Incident severities' names and the rules that suggest one (`[incidents]`).
    pub incidents: Arc<hinomi_core::incident::SeverityPolicy>,
    /// The public status page's name, time zone and bounds on confirmation mails.
    pub status_page: status::statuspage::PageSettings,
    /// Signs and checks the status page subscribers' confirmation and unsubscribe links.
    pub status_links: status::email::Links,
}

/// The public and the protected routes. Public routes answer without a principal: health,
/// intake that checks its own integration key, and (by setting) metrics. Every other route
/// is behind [`auth::authenticate`].
fn tables(metrics_public: bool) -> (RouteTable, RouteTable) {
    let mut public = RouteTable::new()
        .get("/-/healthy", ops::healthy)
        .get("/-/ready", ops::ready)
        .post("/v2/enqueue", pagerduty::enqueue)
        .post("/v2/change/enqueue", pagerduty::change_enqueue)
        .post("/intake/generic", generic::intake)
        .post("/intake/generic/{key}", generic::intake_with_path_key)
        .merge(console::public_routes())
        .merge(auth::oidc::oidc_routes())
        .get("/ical/{user}/{file}", ical::feed)
        .merge(console::action_routes())
        .post("/a/{token}/keypad", inbound::voice_keypad)
        .post(
            "/integrations/slack/interactions",
            inbound::slack_interaction,
        )
        .post("/integrations/slack/commands", chat::slack_command)
        .post("/integrations/teams/commands", chat::teams_command)
        .get("/heartbeat/{token}", beat::beat)
        .post("/heartbeat/{token}", beat::beat)
        .merge(status::statuspage::routes())
        .merge(status::public::routes())
        .merge(status::email::routes());
    let mut protected = RouteTable::new()
        .post("/-/reload", ops::reload)
        .get("/api/v2/alerts", alertmanager::get_alerts)
        .post("/api/v2/alerts", alertmanager::post_alerts)
        .get("/api/v2/alerts/groups", alertmanager::get_groups)
        .get("/api/v2/silences", alertmanager::get_silences)
        .post("/api/v2/silences", alertmanager::post_silences)
        .get("/api/v2/silence/{id}", alertmanager::get_silence)
        .delete("/api/v2/silence/{id}", alertmanager::delete_silence)
        .get("/api/v2/receivers", alertmanager::get_receivers)
        .get("/api/v2/status", alertmanager::get_status)
        .merge(console::routes());
    protected = protected.merge(api_v1::routes());
    if metrics_public {
        public = public.get("/metrics", ops::metrics);
    } else {
        protected = protected.get("/metrics", ops::metrics);
    }
    (public, protected)
}

/// Every route hinomi serves, and whether it answers without credentials.
pub fn route_list(metrics_public: bool) -> Vec<(RouteInfo, bool)> {
    let (public, protected) = tables(metrics_public);
    let public = public.routes().iter().map(|r| (r.clone(), true));
    let protected = protected.routes().iter().map(|r| (r.clone(), false));
    public.chain(protected).collect()
}

/// The router of every route hinomi serves.
pub fn router(state: AppState) -> Router {
    let (public, protected) = tables(state.auth.settings.metrics_public);
    let protected = protected
        .into_router()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    public
        .into_router()
        .merge(protected)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .layer(middleware::map_response_with_state(
            security::SecurityHeaders {
                hsts: state.auth.settings.secure_cookies,
            },
            security::apply,
        ))
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
