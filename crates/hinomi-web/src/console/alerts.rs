//! `/alerts`: the live alert list with its filter, the list fragment the page re-fetches,
//! the event stream that tells it when to, and one alert's page.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hinomi_core::{Action, Fingerprint, LabelSet, MatchOp, Matcher, Silence, parse_matchers};
use hinomi_engine::{AlertQuery, AlertView, Engine};
use hinomi_store::{EventRecord, StoredAlert};
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;

/// How far back resolved alerts are listed.
const RESOLVED_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The query string of `/alerts` and `/alerts/list`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct FilterParams {
    /// Label matchers in Alertmanager's syntax: `{severity="critical", job=~"api.*"}`.
    #[serde(default)]
    filter: String,
    /// Present when the filter form was submitted: then unchecked boxes mean "no".
    #[serde(default)]
    f: Option<String>,
    active: Option<String>,
    silenced: Option<String>,
    inhibited: Option<String>,
    resolved: Option<String>,
}

/// The filter a request asks for, parsed.
#[derive(Debug, Clone)]
pub(super) struct Filter {
    pub text: String,
    pub matchers: Vec<Matcher>,
    pub active: bool,
    pub silenced: bool,
    pub inhibited: bool,
    pub resolved: bool,
}

impl Filter {
    fn parse(p: &FilterParams) -> Result<Filter, PageError> {
        let text = p.filter.trim().to_owned();
        let matchers = if text.is_empty() {
            Vec::new()
        } else {
            parse_matchers(&text)
                .map_err(|e| PageError::BadInput("filter".into(), e.to_string()))?
        };
        let submitted = p.f.is_some();
        Ok(Filter {
            text,
            matchers,
            active: !submitted || p.active.is_some(),
            silenced: !submitted || p.silenced.is_some(),
            inhibited: !submitted || p.inhibited.is_some(),
            resolved: submitted && p.resolved.is_some(),
        })
    }

    /// The query string that reproduces this filter (for the fragment URL).
    pub fn query(&self) -> String {
        let mut pairs = vec![("filter", self.text.as_str()), ("f", "1")];
        for (on, name) in [
            (self.active, "active"),
            (self.silenced, "silenced"),
            (self.inhibited, "inhibited"),
            (self.resolved, "resolved"),
        ] {
            if on {
                pairs.push((name, "on"));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One line of the alert list.
#[derive(Debug, Clone)]
pub(super) struct AlertRow {
    pub fingerprint: String,
    pub name: String,
    /// `active`, `silenced`, `inhibited` or `resolved`: the CSS class and catalog key.
    pub state: &'static str,
    pub labels: Vec<(String, String)>,
    pub summary: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

fn state_of(view: &AlertView) -> &'static str {
    if !view.silenced_by.is_empty() {
        "silenced"
    } else if !view.inhibited_by.is_empty() {
        "inhibited"
    } else {
        "active"
    }
}

/// The list line of an alert as a query sees it.
pub(super) fn alert_row(view: &AlertView) -> AlertRow {
    row(&view.alert, state_of(view))
}

fn row(alert: &StoredAlert, state: &'static str) -> AlertRow {
    let a = &alert.alert;
    AlertRow {
        fingerprint: alert.fingerprint().to_string(),
        name: a.name().to_owned(),
        state,
        labels: a
            .labels
            .iter()
            .filter(|(k, _)| *k != "alertname")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        summary: a
            .annotations
            .get("summary")
            .or_else(|| a.annotations.get("description"))
            .unwrap_or("")
            .to_owned(),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
    }
}

/// The alerts `filter` selects, newest first.
pub(super) async fn rows(engine: &Engine, filter: &Filter) -> Result<Vec<AlertRow>, PageError> {
    let query = AlertQuery {
        matchers: filter.matchers.clone(),
        ..AlertQuery::default()
    };
    let mut out: Vec<AlertRow> = engine
        .query_alerts(&query)
        .iter()
        .map(alert_row)
        .filter(|r| match r.state {
            "silenced" => filter.silenced,
            "inhibited" => filter.inhibited,
            _ => filter.active,
        })
        .collect();
    if filter.resolved {
        let now = engine.now();
        let stored = engine
            .store()
            .alerts_since(now - RESOLVED_WINDOW_MS)
            .await
            .map_err(|e| PageError::Internal(e.to_string()))?;
        out.extend(
            stored
                .iter()
                .filter(|s| s.alert.resolved_at(now))
                .filter(|s| filter.matchers.iter().all(|m| matches(m, &s.alert.labels)))
                .map(|s| row(s, "resolved")),
        );
    }
    out.sort_by(|a, b| {
        b.starts_at
            .cmp(&a.starts_at)
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    Ok(out)
}

/// Alertmanager's rule: a matcher on an absent label sees the empty string.
fn matches(m: &Matcher, labels: &LabelSet) -> bool {
    m.matches(labels.value_or_empty(&m.name))
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    ctx: Ctx,
    filter: Filter,
    /// The filter's problem, shown beside the field.
    error: Option<String>,
    alerts: Vec<AlertRow>,
}

#[derive(Template)]
#[template(path = "alert_list.html")]
struct AlertList {
    ctx: Ctx,
    alerts: Vec<AlertRow>,
}

/// `GET /alerts`. A filter that does not parse answers 400 with the page, the text kept in
/// the field and the problem beside it.
pub(super) async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let raw = params.filter.clone();
    let (filter, error) = match Filter::parse(&params) {
        Ok(f) => (f, None),
        Err(PageError::BadInput(field, msg)) => {
            let mut f = Filter::parse(&FilterParams {
                filter: String::new(),
                ..params
            })
            .expect("an empty filter parses");
            f.text = raw;
            (f, Some(format!("{field}: {msg}")))
        }
        Err(e) => return e.into_page(ctx),
    };
    let (status, alerts) = if error.is_some() {
        (StatusCode::BAD_REQUEST, Vec::new())
    } else {
        match rows(&state.engine, &filter).await {
            Ok(a) => (StatusCode::OK, a),
            Err(e) => return e.into_page(ctx),
        }
    };
    render(
        status,
        &AlertsPage {
            ctx,
            filter,
            error,
            alerts,
        },
    )
}

/// `GET /alerts/list`: the list alone, which the page swaps in when the stream says so.
pub(super) async fn fragment(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<FilterParams>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let filter = match Filter::parse(&params) {
        Ok(f) => f,
        Err(e) => return e.into_page(ctx),
    };
    match rows(&state.engine, &filter).await {
        Ok(alerts) => render(StatusCode::OK, &AlertList { ctx, alerts }),
        Err(e) => e.into_page(ctx),
    }
}

/// A digest of everything the list shows; it changes when the list would.
fn digest(engine: &Engine) -> u64 {
    let mut h = DefaultHasher::new();
    for v in engine.query_alerts(&AlertQuery::default()) {
        v.alert.fingerprint().hash(&mut h);
        v.alert.alert.updated_at.hash(&mut h);
        v.alert.alert.ends_at.hash(&mut h);
        v.silenced_by.hash(&mut h);
        v.inhibited_by.hash(&mut h);
    }
    h.finish()
}

/// `GET /alerts/events`: an `alerts` event whenever the alert list changes (and one at
/// connect, so an alert that arrived between page load and connect is not missed).
pub(super) async fn events(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    super::live::stream(state, "alerts", |state| async move {
        Some(digest(&state.engine))
    })
    .into_response()
}

/// A silence as the alert page lists it.
#[derive(Debug)]
pub(super) struct SilenceRow {
    pub id: String,
    pub state: &'static str,
    pub matchers: String,
    pub ends_at: i64,
    pub created_by: String,
    pub comment: String,
}

impl SilenceRow {
    pub fn new(s: &Silence, now: i64) -> SilenceRow {
        SilenceRow {
            id: s.id.clone(),
            state: s.state(now).as_str(),
            matchers: s
                .matchers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            ends_at: s.ends_at,
            created_by: s.created_by.clone(),
            comment: s.comment.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    ctx: Ctx,
    shown: AlertRow,
    annotations: Vec<(String, String)>,
    generator_url: String,
    updated_at: i64,
    receivers: Vec<String>,
    silences: Vec<SilenceRow>,
    inhibited_by: Vec<String>,
    history: Vec<EventRecord>,
    /// `{a="b", ...}`: prefills a new silence.
    silence_query: String,
    /// Keys of the groups the alert is in: an incident may be declared from each.
    group_keys: Vec<String>,
}

/// `GET /alerts/{fingerprint}`.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(fingerprint): Path<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    match detail_page(ctx.clone(), &state, &fingerprint).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => e.into_page(ctx),
    }
}

async fn detail_page(ctx: Ctx, state: &AppState, fp: &str) -> Result<AlertPage, PageError> {
    let fp = Fingerprint::from_str(fp).map_err(|_| PageError::NotFound)?;
    let engine = &state.engine;
    let store = engine.store();
    let stored = store
        .alerts_by_fingerprint(&[fp])
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .into_iter()
        .next()
        .ok_or(PageError::NotFound)?;
    let now = engine.now();
    let labels = &stored.alert.labels;
    let exact: Vec<Matcher> = labels
        .iter()
        .filter_map(|(k, v)| Matcher::new(k, MatchOp::Equal, v).ok())
        .collect();
    let view = engine
        .query_alerts(&AlertQuery {
            matchers: exact,
            ..AlertQuery::default()
        })
        .into_iter()
        .find(|v| v.alert.fingerprint() == fp);
    let (state_name, receivers, inhibited_by) = match &view {
        Some(v) => (state_of(v), v.receivers.clone(), v.inhibited_by.clone()),
        None => ("resolved", Vec::new(), Vec::new()),
    };
    let mut silences: Vec<SilenceRow> = engine
        .silences()
        .iter()
        .filter(|s| s.matches(labels))
        .map(|s| SilenceRow::new(s, now))
        .collect();
    silences.sort_by_key(|s| std::cmp::Reverse(s.ends_at));
    let fp_text = fp.to_string();
    let mut subjects: Vec<&str> = vec![&fp_text];
    if let Some(d) = &stored.dedup {
        subjects.push(d);
    }
    subjects.extend(silences.iter().map(|s| s.id.as_str()));
    let history = store
        .events_for(&subjects, 100)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let silence_query = format!("{labels}");
    let group_keys = engine
        .query_groups(&AlertQuery::default())
        .into_iter()
        .filter(|g| g.alerts.iter().any(|a| a.alert.fingerprint() == fp))
        .map(|g| g.key)
        .collect();
    Ok(AlertPage {
        ctx,
        annotations: stored
            .alert
            .annotations
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        generator_url: stored.alert.generator_url.clone(),
        updated_at: stored.alert.updated_at,
        shown: {
            let mut r = row(&stored, state_name);
            // The page shows every label, alertname included.
            r.labels = labels
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            r
        },
        receivers,
        silences,
        inhibited_by,
        history,
        silence_query,
        group_keys,
    })
}
