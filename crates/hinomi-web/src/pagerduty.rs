//! PagerDuty's Events API v2: `POST /v2/enqueue` (trigger, acknowledge, resolve) and
//! `POST /v2/change/enqueue`. A tool configured for PagerDuty works by pointing its URL at
//! hinomi; its `routing_key` is a hinomi integration key, whose labels route the alerts.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::{Alert, LabelSet, time};
use hinomi_engine::{EngineError, Incoming, WriteOp};
use hinomi_store::{ChangeRecord, IntegrationRecord};
use serde::{Deserialize, Serialize};

use crate::{AppState, body, keys};

/// PagerDuty's events are limited to 512 KB.
const MAX_EVENT_BYTES: usize = 512 * 1024;
const MAX_SUMMARY: usize = 1024;
const MAX_DEDUP_KEY: usize = 255;

/// PagerDuty's error shape.
#[derive(Debug, Serialize)]
pub struct PdError {
    #[serde(skip)]
    code: StatusCode,
    status: &'static str,
    message: &'static str,
    errors: Vec<String>,
}

impl PdError {
    fn invalid(errors: Vec<String>) -> PdError {
        PdError {
            code: StatusCode::BAD_REQUEST,
            status: "invalid event",
            message: "Event object is invalid",
            errors,
        }
    }
}

impl From<EngineError> for PdError {
    fn from(e: EngineError) -> Self {
        let code = match e {
            EngineError::Overloaded => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        PdError {
            code,
            status: "unavailable",
            message: "Event was not accepted; retry",
            errors: vec![e.to_string()],
        }
    }
}

impl From<hinomi_store::StoreError> for PdError {
    fn from(e: hinomi_store::StoreError) -> Self {
        EngineError::from(e).into()
    }
}

impl IntoResponse for PdError {
    fn into_response(self) -> Response {
        let retry = self.code != StatusCode::BAD_REQUEST;
        let mut response = (self.code, Json(&self)).into_response();
        if retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[derive(Debug, Deserialize)]
struct Event {
    routing_key: Option<String>,
    event_action: Option<String>,
    dedup_key: Option<String>,
    payload: Option<Payload>,
    #[serde(default)]
    images: Option<serde_json::Value>,
    #[serde(default)]
    links: Option<serde_json::Value>,
    client: Option<String>,
    client_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Payload {
    summary: Option<String>,
    source: Option<String>,
    severity: Option<String>,
    timestamp: Option<String>,
    component: Option<String>,
    group: Option<String>,
    class: Option<String>,
    custom_details: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct Accepted {
    status: &'static str,
    message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dedup_key: Option<String>,
}

/// PagerDuty accepts ISO 8601 offsets without a colon (`+0000`); RFC 3339 needs one.
fn parse_pd_time(s: &str) -> Option<i64> {
    time::parse(s).ok().or_else(|| {
        let cut = s.len().checked_sub(5)?;
        if !s.is_char_boundary(cut) {
            return None;
        }
        let (head, tail) = s.split_at(cut);
        let bytes = tail.as_bytes();
        if (bytes[0] == b'+' || bytes[0] == b'-') && tail[1..].chars().all(|c| c.is_ascii_digit()) {
            time::parse(&format!("{head}{}:{}", &tail[..3], &tail[3..])).ok()
        } else {
            None
        }
    })
}

fn read_event(body: Result<Bytes, BytesRejection>) -> Result<Event, PdError> {
    let bytes =
        body::take(body, MAX_EVENT_BYTES).map_err(|e| PdError::invalid(vec![e.message()]))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| PdError::invalid(vec![format!("body is not a valid event: {e}")]))
}

async fn integration(state: &AppState, key: Option<&str>) -> Result<IntegrationRecord, PdError> {
    let key = key.map(str::trim).unwrap_or("");
    if key.is_empty() {
        return Err(PdError::invalid(vec![
            "'routing_key' is missing or blank".into(),
        ]));
    }
    keys::lookup(&state.engine, key).await?.ok_or_else(|| {
        PdError::invalid(vec!["'routing_key' is not a valid integration key".into()])
    })
}

/// `POST /v2/enqueue`.
pub async fn enqueue(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PdError> {
    let event = read_event(body)?;
    let integration = integration(&state, event.routing_key.as_deref()).await?;
    let action = event.event_action.as_deref().unwrap_or("");
    if let Some(key) = &event.dedup_key
        && key.len() > MAX_DEDUP_KEY
    {
        return Err(PdError::invalid(vec![format!(
            "'dedup_key' is longer than {MAX_DEDUP_KEY} characters"
        )]));
    }
    let (op, dedup_key) = match action {
        "trigger" => {
            let dedup_key = event
                .dedup_key
                .clone()
                .filter(|k| !k.is_empty())
                .unwrap_or_else(keys::generate);
            let alert = trigger_alert(&state, &integration, &event, &dedup_key)?;
            let dedup = format!("{}/{dedup_key}", integration.name);
            let op = WriteOp::Alerts(vec![Incoming::new(alert, Some(dedup))]);
            (op, dedup_key)
        }
        "acknowledge" | "resolve" => {
            let Some(dedup_key) = event.dedup_key.clone().filter(|k| !k.is_empty()) else {
                return Err(PdError::invalid(vec![format!(
                    "'dedup_key' is required for event_action {action}"
                )]));
            };
            let dedup = format!("{}/{dedup_key}", integration.name);
            let op = if action == "resolve" {
                WriteOp::Resolve { dedup }
            } else {
                WriteOp::Acknowledge {
                    dedup,
                    actor: format!("integration:{}", integration.name),
                }
            };
            (op, dedup_key)
        }
        "" => {
            return Err(PdError::invalid(vec![
                "'event_action' is missing or blank".into(),
            ]));
        }
        other => {
            return Err(PdError::invalid(vec![format!(
                "'event_action' is invalid: {other:?} (must be one of trigger, acknowledge, resolve)"
            )]));
        }
    };
    state.engine.write(op).await?;
    metrics::counter!("hinomi_alerts_received_total", "source" => "pagerduty", "outcome" => "accepted").increment(1);
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "success",
            message: "Event processed",
            dedup_key: Some(dedup_key),
        }),
    )
        .into_response())
}

/// A trigger as an alert: routing labels from the integration and the event's PD-CEF fields,
/// identity from the dedup key; the alert stays firing until resolved.
fn trigger_alert(
    state: &AppState,
    integration: &IntegrationRecord,
    event: &Event,
    dedup_key: &str,
) -> Result<Alert, PdError> {
    let mut errors = Vec::new();
    let Some(payload) = &event.payload else {
        return Err(PdError::invalid(vec!["'payload' is missing".into()]));
    };
    let summary = payload.summary.as_deref().unwrap_or("").trim();
    if summary.is_empty() {
        errors.push("'payload.summary' is missing or blank".to_string());
    } else if summary.chars().count() > MAX_SUMMARY {
        errors.push(format!(
            "'payload.summary' is longer than {MAX_SUMMARY} characters"
        ));
    }
    let source = payload.source.as_deref().unwrap_or("").trim();
    if source.is_empty() {
        errors.push("'payload.source' is missing or blank".into());
    }
    let severity = payload.severity.as_deref().unwrap_or("");
    if !matches!(severity, "critical" | "error" | "warning" | "info") {
        errors.push("'payload.severity' must be one of critical, error, warning, info".into());
    }
    let now = state.engine.now();
    let starts_at = match payload.timestamp.as_deref() {
        None | Some("") => now,
        Some(ts) => match parse_pd_time(ts) {
            Some(t) => t,
            None => {
                errors.push(format!(
                    "'payload.timestamp' is not an ISO 8601 timestamp: {ts:?}"
                ));
                now
            }
        },
    };
    if !errors.is_empty() {
        return Err(PdError::invalid(errors));
    }

    let mut labels = integration.labels.clone();
    labels.insert("integration", integration.name.clone());
    labels.insert("dedup_key", dedup_key.to_owned());
    labels.insert("severity", severity.to_owned());
    labels.insert("source", source.to_owned());
    for (name, value) in [
        ("component", &payload.component),
        ("group", &payload.group),
        ("class", &payload.class),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            labels.insert(name, v.to_owned());
        }
    }
    let mut annotations = LabelSet::new();
    annotations.insert("summary", summary.to_owned());
    if let Some(details) = &payload.custom_details {
        annotations.insert("custom_details", details.to_string());
    }
    for (name, value) in [("links", &event.links), ("images", &event.images)] {
        if let Some(v) = value {
            annotations.insert(name, v.to_string());
        }
    }
    if let Some(client) = &event.client {
        annotations.insert("client", client.clone());
    }
    Ok(Alert {
        labels,
        annotations,
        starts_at,
        ends_at: 0,
        updated_at: now,
        generator_url: event.client_url.clone().unwrap_or_default(),
        timeout: false,
    })
}

#[derive(Debug, Deserialize)]
struct ChangeEvent {
    routing_key: Option<String>,
    payload: Option<ChangePayload>,
    #[serde(default)]
    links: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ChangePayload {
    summary: Option<String>,
    source: Option<String>,
    timestamp: Option<String>,
    custom_details: Option<serde_json::Value>,
}

/// `POST /v2/change/enqueue`: stores a change event (a deploy, a config change).
pub async fn change_enqueue(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PdError> {
    let bytes =
        body::take(body, MAX_EVENT_BYTES).map_err(|e| PdError::invalid(vec![e.message()]))?;
    let event: ChangeEvent = serde_json::from_slice(&bytes)
        .map_err(|e| PdError::invalid(vec![format!("body is not a valid change event: {e}")]))?;
    let integration = integration(&state, event.routing_key.as_deref()).await?;
    let Some(payload) = event.payload else {
        return Err(PdError::invalid(vec!["'payload' is missing".into()]));
    };
    let summary = payload.summary.unwrap_or_default();
    if summary.trim().is_empty() {
        return Err(PdError::invalid(vec![
            "'payload.summary' is missing or blank".into(),
        ]));
    }
    if summary.chars().count() > MAX_SUMMARY {
        return Err(PdError::invalid(vec![format!(
            "'payload.summary' is longer than {MAX_SUMMARY} characters"
        )]));
    }
    let now = state.engine.now();
    let at = match payload.timestamp.as_deref() {
        None | Some("") => now,
        Some(ts) => parse_pd_time(ts).ok_or_else(|| {
            PdError::invalid(vec![format!(
                "'payload.timestamp' is not an ISO 8601 timestamp: {ts:?}"
            )])
        })?,
    };
    let record = ChangeRecord {
        id: 0,
        integration: integration.name.clone(),
        summary,
        source: payload.source.unwrap_or_default(),
        at,
        custom_details: payload
            .custom_details
            .map(|v| v.to_string())
            .unwrap_or_else(|| "{}".into()),
        links: event
            .links
            .map(|v| v.to_string())
            .unwrap_or_else(|| "[]".into()),
        received_at: now,
    };
    let mut tx = state.engine.store().begin().await?;
    let id = tx.insert_change(&record).await?;
    tx.append_event(
        now,
        "change.recorded",
        &format!("change:{id}"),
        &format!("integration:{}", integration.name),
        "{}",
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "success",
            message: "Change event processed",
            dedup_key: None,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_pd_time;

    #[test]
    fn pagerduty_timestamps_parse_with_or_without_offset_colon() {
        assert_eq!(
            parse_pd_time("2015-07-17T08:42:58.315+0000"),
            Some(1_437_122_578_315)
        );
        assert_eq!(
            parse_pd_time("2015-07-17T08:42:58.315+00:00"),
            Some(1_437_122_578_315)
        );
        assert_eq!(
            parse_pd_time("2015-07-17T17:42:58.315+0900"),
            Some(1_437_122_578_315)
        );
        assert_eq!(parse_pd_time("17 July"), None);
        assert_eq!(parse_pd_time("+0000"), None);
        assert_eq!(parse_pd_time("日本語の時刻"), None);
    }
}

#[cfg(test)]
mod properties {
    //! Event bodies of any shape parse to an event or an error, never a panic.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = serde_json::from_slice::<Event>(&bytes);
            let _ = serde_json::from_slice::<ChangeEvent>(&bytes);
        }

        #[test]
        fn arbitrary_timestamps_never_panic(s in "\\PC{0,40}") {
            let _ = parse_pd_time(&s);
        }
    }
}
