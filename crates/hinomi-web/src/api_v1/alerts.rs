//! `/api/v1/alerts` and `/api/v1/groups`: firing alerts with what the pipeline makes of
//! them, filtered by label matchers and state, through the engine's own queries.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use hinomi_core::{Action, Fingerprint, LabelSet};
use hinomi_engine::{AlertQuery, AlertView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

/// Which alerts to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    /// Label matchers, all of which must match: `{alertname="DiskFull",severity=~"crit|warn"}`.
    filter: Option<String>,
    /// Include alerts neither silenced nor inhibited (default true).
    active: Option<bool>,
    /// Include silenced alerts (default true).
    silenced: Option<bool>,
    /// Include inhibited alerts (default true).
    inhibited: Option<bool>,
}

impl AlertFilter {
    fn query(self) -> Result<AlertQuery, ApiError> {
        let mut q = AlertQuery::default();
        if let Some(filter) = self.filter.filter(|f| !f.trim().is_empty()) {
            q.matchers = hinomi_core::parse_matchers(&filter).map_err(|e| {
                ApiError::bad_request("invalid_field", "filter", format!("filter: {e}"))
            })?;
        }
        q.active = self.active.unwrap_or(true);
        q.silenced = self.silenced.unwrap_or(true);
        q.inhibited = self.inhibited.unwrap_or(true);
        Ok(q)
    }
}

/// A firing alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// The hash of the labels, in hex; identifies the alert.
    fingerprint: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339; when the alert resolves unless it is sent again.
    ends_at: String,
    updated_at: String,
    generator_url: String,
    /// `active` or `suppressed`.
    state: String,
    /// Ids of the silences that mute it.
    silenced_by: Vec<String>,
    /// Fingerprints of the alerts that inhibit it.
    inhibited_by: Vec<String>,
    /// Receivers its routes lead to.
    receivers: Vec<String>,
}

fn labels(set: &LabelSet) -> BTreeMap<String, String> {
    set.iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn alert_out(v: &AlertView) -> AlertOut {
    let a = &v.alert.alert;
    AlertOut {
        fingerprint: v.alert.fingerprint().to_string(),
        labels: labels(&a.labels),
        annotations: labels(&a.annotations),
        starts_at: time(a.starts_at),
        ends_at: time(a.ends_at),
        updated_at: time(a.updated_at),
        generator_url: a.generator_url.clone(),
        state: v.state.as_str().to_owned(),
        silenced_by: v.silenced_by.clone(),
        inhibited_by: v.inhibited_by.clone(),
        receivers: v.receivers.clone(),
    }
}

/// List firing alerts.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertFilter),
    responses((status = 200, body = Vec<AlertOut>), (status = 400, body = super::ErrorBody)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<AlertFilter>,
) -> Result<Json<Vec<AlertOut>>, ApiError> {
    principal.require(Action::Read)?;
    let q = filter.query()?;
    Ok(Json(
        state
            .engine
            .query_alerts(&q)
            .iter()
            .map(alert_out)
            .collect(),
    ))
}

/// One event in an alert's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    at: String,
    /// `alert.resolved`, `alert.acknowledged`, ...
    kind: String,
    actor: String,
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// A firing alert with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    alert: AlertOut,
    /// Newest first.
    history: Vec<HistoryEntry>,
}

/// Get one firing alert, with its history from the event log (newest first).
#[utoipa::path(get, path = "/api/v1/alerts/{fingerprint}", tag = "alerts",
    params(("fingerprint" = String, Path, description = "The alert's fingerprint, in hex")),
    responses((status = 200, body = AlertDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(fingerprint): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    principal.require(Action::Read)?;
    let fp: Fingerprint = fingerprint.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_field",
            "fingerprint",
            format!("fingerprint: {fingerprint:?} is not a hex fingerprint"),
        )
    })?;
    let views = state.engine.query_alerts(&AlertQuery::default());
    let view = views
        .iter()
        .find(|v| v.alert.fingerprint() == fp)
        .ok_or_else(|| ApiError::not_found(format!("alert {fingerprint}")))?;
    let fp_text = fp.to_string();
    let mut subjects = vec![fp_text.as_str()];
    subjects.extend(view.alert.dedup.as_deref());
    let history = state
        .engine
        .store()
        .events_for(&subjects, 200)
        .await?
        .into_iter()
        .map(|e| HistoryEntry {
            at: time(e.at),
            kind: e.kind,
            actor: e.actor,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(Json(AlertDetail {
        alert: alert_out(view),
        history,
    }))
}

/// Alerts that share a route and grouping labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The group's key: what an incident links (`POST /api/v1/alert-groups/{key}/incident`).
    key: String,
    labels: BTreeMap<String, String>,
    receiver: String,
    alerts: Vec<AlertOut>,
}

/// List alert groups.
#[utoipa::path(get, path = "/api/v1/groups", tag = "alerts", params(AlertFilter),
    responses((status = 200, body = Vec<GroupOut>), (status = 400, body = super::ErrorBody)))]
pub async fn groups(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<AlertFilter>,
) -> Result<Json<Vec<GroupOut>>, ApiError> {
    principal.require(Action::Read)?;
    let q = filter.query()?;
    Ok(Json(
        state
            .engine
            .query_groups(&q)
            .iter()
            .map(|g| GroupOut {
                key: g.key.clone(),
                labels: labels(&g.labels),
                receiver: g.receiver.clone(),
                alerts: g.alerts.iter().map(alert_out).collect(),
            })
            .collect(),
    ))
}
