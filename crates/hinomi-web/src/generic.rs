//! hinomi's generic JSON intake, for tools that can send a webhook but speak neither
//! Alertmanager nor PagerDuty. The integration key travels in the path
//! (`/intake/generic/{key}`) or as `Authorization: Bearer {key}`.
//!
//! ```json
//! {"title": "Disk almost full", "status": "firing", "dedup_key": "db1-disk",
//!  "labels": {"severity": "warning"}, "annotations": {"runbook": "https://..."},
//!  "starts_at": "2026-11-25T01:00:00Z", "url": "https://monitor.example/db1"}
//! ```
//! The body is one such object or an array of them. `status` is `firing` (default) or
//! `resolved`. With a `dedup_key` the alert stays firing until resolved under that key;
//! without one it behaves like an Alertmanager alert and resolves after `resolve_timeout`
//! unless sent again.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::{Alert, time};
use hinomi_engine::{EngineError, Incoming, WriteOp};
use hinomi_store::IntegrationRecord;
use serde::{Deserialize, Serialize};

use crate::alertmanager::parse_label_map;
use crate::{AppState, body, keys};

/// hinomi's own error shape: a stable code and a message naming the problem.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Overloaded => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", e.to_string())
            }
            _ => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            ),
        }
    }
}

impl From<hinomi_store::StoreError> for ApiError {
    fn from(e: hinomi_store::StoreError) -> Self {
        EngineError::from(e).into()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericEvent {
    title: Option<String>,
    #[serde(default)]
    status: Option<String>,
    dedup_key: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<GenericEvent>),
    One(Box<GenericEvent>),
}

#[derive(Debug, Serialize)]
struct Accepted {
    status: &'static str,
    accepted: usize,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

async fn authenticate(state: &AppState, key: Option<&str>) -> Result<IntegrationRecord, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_integration_key",
            "a valid integration key is required in the path or as a bearer token",
        )
    };
    let key = key.ok_or_else(unauthorized)?;
    keys::lookup(&state.engine, key)
        .await?
        .ok_or_else(unauthorized)
}

/// `POST /intake/generic` with the key as a bearer token.
pub async fn intake(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let integration = authenticate(&state, bearer(&headers)).await?;
    accept(state, integration, body).await
}

/// `POST /intake/generic/{key}`.
pub async fn intake_with_path_key(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let integration = authenticate(&state, Some(&key)).await?;
    accept(state, integration, body).await
}

async fn accept(
    state: AppState,
    integration: IntegrationRecord,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let bytes = body::take(body, state.limits.max_body_bytes)
        .map_err(|e| ApiError::invalid(e.message()))?;
    let events = match serde_json::from_slice::<OneOrMany>(&bytes) {
        Ok(OneOrMany::Many(list)) => list,
        Ok(OneOrMany::One(one)) => vec![*one],
        Err(_) => {
            // Parse again one way to name the field that is wrong.
            let detail = serde_json::from_slice::<GenericEvent>(&bytes)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "expected an event object or an array of them".into());
            return Err(ApiError::invalid(format!("body: {detail}")));
        }
    };
    if events.len() > state.limits.max_alerts_per_request {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!(
                "body: {} events is more than the limit of {}",
                events.len(),
                state.limits.max_alerts_per_request
            ),
        ));
    }
    let mut ops = Vec::new();
    let mut alerts = Vec::new();
    for (i, event) in events.into_iter().enumerate() {
        match convert(&state, &integration, event, i)? {
            Converted::Alert(incoming) => alerts.push(incoming),
            Converted::Resolve(dedup) => ops.push(WriteOp::Resolve { dedup }),
        }
    }
    let accepted = alerts.len() + ops.len();
    if !alerts.is_empty() {
        state.engine.write(WriteOp::Alerts(alerts)).await?;
    }
    for op in ops {
        state.engine.write(op).await?;
    }
    metrics::counter!("hinomi_alerts_received_total", "source" => "generic", "outcome" => "accepted").increment(accepted as u64);
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "success",
            accepted,
        }),
    )
        .into_response())
}

enum Converted {
    Alert(Incoming),
    Resolve(String),
}

fn convert(
    state: &AppState,
    integration: &IntegrationRecord,
    e: GenericEvent,
    i: usize,
) -> Result<Converted, ApiError> {
    let at = |field: &str| format!("events[{i}].{field}");
    let resolved = match e.status.as_deref().unwrap_or("firing") {
        "firing" => false,
        "resolved" => true,
        other => {
            return Err(ApiError::invalid(format!(
                "{}: {other:?} is neither firing nor resolved",
                at("status")
            )));
        }
    };
    let dedup = e
        .dedup_key
        .as_ref()
        .filter(|k| !k.is_empty())
        .map(|k| format!("{}/{k}", integration.name));
    if resolved && let Some(dedup) = dedup {
        return Ok(Converted::Resolve(dedup));
    }
    let limits = &state.limits;
    let mut labels = parse_label_map(
        e.labels,
        &at("labels"),
        limits.max_label_value_bytes,
        limits,
    )
    .map_err(ApiError::invalid)?;
    for (k, v) in integration.labels.iter() {
        labels.insert(k.to_owned(), v.to_owned());
    }
    labels.insert("integration", integration.name.clone());
    if let Some(key) = &e.dedup_key {
        labels.insert("dedup_key", key.clone());
    }
    let mut annotations = parse_label_map(
        e.annotations,
        &at("annotations"),
        limits.max_annotation_value_bytes,
        limits,
    )
    .map_err(ApiError::invalid)?;
    match e.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => annotations.insert("summary", t.to_owned()),
        _ => {
            return Err(ApiError::invalid(format!(
                "{}: title is required",
                at("title")
            )));
        }
    }
    let time_of = |v: Option<&str>, field: &str| match v {
        None | Some("") => Ok(0),
        Some(s) => time::parse(s).map_err(|err| ApiError::invalid(format!("{}: {err}", at(field)))),
    };
    let now = state.engine.now();
    let mut alert = Alert {
        labels,
        annotations,
        starts_at: time_of(e.starts_at.as_deref(), "starts_at")?,
        ends_at: time_of(e.ends_at.as_deref(), "ends_at")?,
        updated_at: 0,
        generator_url: e.url.unwrap_or_default(),
        timeout: false,
    };
    if resolved && alert.ends_at == 0 {
        alert.ends_at = now;
    }
    let alert = if dedup.is_some() && alert.ends_at == 0 {
        // Open until resolved under its key.
        Alert {
            starts_at: if alert.starts_at == 0 {
                now
            } else {
                alert.starts_at
            },
            updated_at: now,
            ..alert
        }
    } else {
        state.engine.normalize_posted(alert)
    };
    if alert.ends_at != 0 && alert.ends_at < alert.starts_at {
        return Err(ApiError::invalid(format!(
            "{}: ends_at is before starts_at",
            at("ends_at")
        )));
    }
    Ok(Converted::Alert(Incoming::new(alert, dedup)))
}

#[cfg(test)]
mod properties {
    //! Bodies of any shape parse to events or an error, never a panic.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = serde_json::from_slice::<OneOrMany>(&bytes);
        }
    }

    #[test]
    fn one_event_or_an_array() {
        let one: OneOrMany = serde_json::from_str(r#"{"title":"t"}"#).unwrap();
        assert!(matches!(one, OneOrMany::One(_)));
        let many: OneOrMany = serde_json::from_str(r#"[{"title":"a"},{"title":"b"}]"#).unwrap();
        assert!(matches!(many, OneOrMany::Many(ref v) if v.len() == 2));
        let unknown =
            serde_json::from_str::<GenericEvent>(r#"{"title":"t","colour":"red"}"#).unwrap_err();
        assert!(unknown.to_string().contains("colour"), "{unknown}");
    }
}
