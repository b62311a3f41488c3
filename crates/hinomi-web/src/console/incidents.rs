//! `/incidents`: the incident list, the declaration form (with the impact fields and the
//! severity they suggest, previewed as they are typed), and an incident's page: its
//! summary, status and severity changes, milestones with their durations, and the timeline
//! with a filter and a form for notes, hypotheses, findings and measures. A declaration
//! from an alert group comes here pre-filled (`/incidents/new?group=<key>`). Changes go
//! through `crate::incidents`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::incident::{EntryKind, Milestone, SeverityPolicy, Status, Suggestion};
use hinomi_store::{IncidentQuery, IncidentRecord, ServiceRecord, TimelineRecord};
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::incidents::{self, DeclareInput, ImpactInput, IncidentError, PatchInput};

impl Ctx {
    pub fn may_respond_to_incidents(&self) -> bool {
        self.may(Action::RespondToIncidents)
    }

    /// A status's name in the reader's language.
    pub fn incident_status(&self, status: &Status) -> &'static str {
        self.t(&format!("incident.status.{}", status.as_str()))
    }

    /// A timeline kind's name in the reader's language.
    pub fn entry_kind(&self, kind: &EntryKind) -> &'static str {
        self.t(&format!("incident.kind.{}", kind.as_str()))
    }

    /// A milestone's name in the reader's language.
    pub fn milestone_name(&self, m: &Milestone) -> &'static str {
        self.t(&format!("incident.milestone.{}", m.as_str()))
    }

    /// A suggestion in a sentence: `SEV1: people affected 500 ≥ 100`.
    pub fn suggestion(&self, s: &Suggestion) -> String {
        let (at_least, value) = s.condition.threshold_and_value();
        format!(
            "{}: {} {value} ≥ {at_least}",
            s.severity,
            self.t(&format!("incident.impact.{}", s.condition.field()))
        )
    }

    /// A length of time as `1h30m`, to the second (milliseconds are noise here).
    pub fn span(&self, ms: &i64) -> String {
        hinomi_core::format_duration(ms - ms % 1000)
    }
}

/// Fails a request as a page: refused input is shown on the form instead (see callers).
fn failed(ctx: Ctx, e: IncidentError) -> Response {
    match e {
        IncidentError::Denied(_) => PageError::Forbidden(Action::RespondToIncidents),
        IncidentError::NotFound(_) => PageError::NotFound,
        IncidentError::Invalid(e) => PageError::BadInput(e.field.clone(), e.to_string()),
        IncidentError::Conflict(m) => PageError::BadInput("body".into(), m),
        IncidentError::Store(e) => PageError::Internal(e.to_string()),
    }
    .into_page(ctx)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    ctx: Ctx,
    incidents: Vec<IncidentRecord>,
    status: String,
    statuses: [Status; 4],
}

/// `GET /incidents`.
pub(super) async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let status = match q.status.as_str() {
        "" => None,
        s => match Status::parse(s) {
            Ok(s) => Some(s),
            Err(e) => return PageError::BadInput(e.field, e.message).into_page(ctx),
        },
    };
    let query = IncidentQuery {
        status,
        limit: 200,
        ..IncidentQuery::default()
    };
    match state.engine.store().incidents(&query).await {
        Ok(incidents) => render(
            StatusCode::OK,
            &ListPage {
                ctx,
                incidents,
                status: q.status,
                statuses: Status::ALL,
            },
        ),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// The declaration form, as posted and as refilled.
#[derive(Debug, Default, Deserialize)]
pub(super) struct DeclareForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    people_affected: String,
    #[serde(default)]
    revenue_per_day: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    customers_affected: String,
    #[serde(default)]
    reputational_risk: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    alert_group: String,
}

/// A count typed in a form: empty is none; anything else must be a whole number.
fn count(field: &str, text: &str) -> Result<Option<i64>, IncidentError> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_'))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| {
        hinomi_core::incident::FieldError::new(field, format!("{text:?} is not a whole number"))
            .into()
    })
}

impl DeclareForm {
    fn impact(&self) -> Result<ImpactInput, IncidentError> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(ImpactInput {
            people_affected: count("impact.people_affected", &self.people_affected)?,
            revenue_per_day: count("impact.revenue_per_day", &self.revenue_per_day)?,
            currency: opt(&self.currency),
            customers_affected: count("impact.customers_affected", &self.customers_affected)?,
            reputational_risk: opt(&self.reputational_risk),
        })
    }
}

#[derive(Template)]
#[template(path = "incident_new.html")]
struct NewPage {
    ctx: Ctx,
    form: DeclareForm,
    services: Vec<ServiceRecord>,
    policy: SeverityPolicy,
    suggestion: Option<Suggestion>,
    error: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "incident_suggestion.html")]
struct SuggestionFragment {
    ctx: Ctx,
    suggestion: Option<Suggestion>,
}

async fn new_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    form: DeclareForm,
    error: Option<(String, String)>,
) -> Response {
    let services = match state.engine.store().services().await {
        Ok(s) => s,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let suggestion = form
        .impact()
        .ok()
        .and_then(|i| i.parse().ok())
        .and_then(|i| state.incidents.suggest(&i));
    render(
        status,
        &NewPage {
            ctx,
            form,
            services,
            policy: (*state.incidents).clone(),
            suggestion,
            error,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NewQuery {
    #[serde(default)]
    group: String,
}

/// `GET /incidents/new[?group=<key>]`: the form, pre-filled from an alert group.
pub(super) async fn new_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<NewQuery>,
) -> Response {
    if let Err(e) = ctx.require(Action::RespondToIncidents) {
        return e.into_page(ctx);
    }
    let form = DeclareForm {
        title: if q.group.is_empty() {
            String::new()
        } else {
            incidents::group_title(&state, &q.group)
        },
        alert_group: q.group,
        ..DeclareForm::default()
    };
    new_page(ctx, &state, StatusCode::OK, form, None).await
}

/// `GET /incidents/suggest`: the severity the typed impact suggests (htmx).
pub(super) async fn suggest(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(form): Query<DeclareForm>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let suggestion = form
        .impact()
        .ok()
        .and_then(|i| i.parse().ok())
        .and_then(|i| state.incidents.suggest(&i));
    render(StatusCode::OK, &SuggestionFragment { ctx, suggestion })
}

/// `POST /incidents`: declares; a refusal re-renders the form naming the field.
pub(super) async fn declare(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<DeclareForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let input = form.impact().map(|impact| DeclareInput {
        title: form.title.clone(),
        summary: form.summary.clone(),
        severity: Some(form.severity.clone()),
        impact,
        services: vec![form.service.clone()],
        alert_groups: vec![form.alert_group.clone()],
        ..DeclareInput::default()
    });
    let done = match input {
        Ok(input) => incidents::declare(&me.principal, &state, &input).await,
        Err(e) => Err(e),
    };
    match done {
        Ok((i, _)) => Redirect::to(&format!("/incidents/{}", i.reference())).into_response(),
        Err(IncidentError::Invalid(e)) => {
            let error = Some((e.field.clone(), e.to_string()));
            new_page(ctx, &state, StatusCode::BAD_REQUEST, form, error).await
        }
        Err(e) => failed(ctx, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DetailQuery {
    #[serde(default)]
    kind: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage {
    ctx: Ctx,
    incident: IncidentRecord,
    severity_name: String,
    suggestion: Option<Suggestion>,
    durations: Vec<(&'static str, i64)>,
    downtime: Option<(i64, bool)>,
    timeline: Vec<TimelineRecord>,
    kind: String,
    kinds: [EntryKind; 11],
    manual: [EntryKind; 4],
    statuses: [Status; 4],
    severities: Vec<(String, String)>,
    error: Option<(String, String)>,
    /// The status incidents telling of it: (id, name).
    published: Vec<(String, String)>,
    /// The status page's components that show the incident's services, offered in the
    /// form that publishes it.
    offered: Vec<hinomi_core::status_page::Component>,
    /// The impact the form starts with, from the severity.
    publish_impact: &'static str,
}

impl DetailPage {
    fn iso_or_empty(&self, at: Option<i64>) -> String {
        at.map(hinomi_core::time::format_millis).unwrap_or_default()
    }
}

async fn detail_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    kind: String,
    status: StatusCode,
    error: Option<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let incident = match incidents::incident(&me.principal, state, id).await {
        Ok(i) => i,
        Err(e) => return failed(ctx, e),
    };
    let kinds = match incidents::parse_kinds(&kind) {
        Ok(k) => k,
        Err(e) => return PageError::BadInput(e.field, e.message).into_page(ctx),
    };
    let timeline = match state
        .engine
        .store()
        .incident_timeline(&incident.id, &kinds)
        .await
    {
        Ok(t) => t,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let store = state.engine.store();
    let (published, components) = match (
        store.status_incidents_of(&incident.id).await,
        store.status_components().await,
    ) {
        (Ok(p), Ok(c)) => (p, c),
        (Err(e), _) | (_, Err(e)) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let offered = components
        .into_iter()
        .filter(|c| {
            c.service_id
                .as_ref()
                .is_some_and(|s| incident.services.iter().any(|(id, _)| id == s))
        })
        .collect();
    let publish_impact = hinomi_core::status_page::impact_for(incident.severity).as_str();
    let policy = &state.incidents;
    let d = incident.milestones.durations(state.engine.now());
    render(
        status,
        &DetailPage {
            severity_name: policy.level(incident.severity).name.clone(),
            suggestion: policy.suggest(&incident.impact),
            durations: d
                .named()
                .into_iter()
                .filter_map(|(n, v)| v.map(|v| (n, v)))
                .collect(),
            downtime: d.downtime.map(|s| (s.ms, s.ongoing)),
            severities: policy
                .levels()
                .iter()
                .map(|l| (l.severity.as_str().to_owned(), l.name.clone()))
                .collect(),
            ctx,
            incident,
            timeline,
            kind,
            kinds: EntryKind::ALL,
            manual: EntryKind::MANUAL,
            statuses: Status::ALL,
            error,
            published,
            offered,
            publish_impact,
        },
    )
}

/// `GET /incidents/{incident}[?kind=...]`.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    detail_page(ctx, &state, &id, q.kind, StatusCode::OK, None).await
}

/// After a change: back to the page, or the page again with the refusal named.
async fn after(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    done: Result<String, IncidentError>,
) -> Response {
    match done {
        Ok(reference) => Redirect::to(&format!("/incidents/{reference}")).into_response(),
        Err(IncidentError::Invalid(e)) => {
            let error = Some((e.field.clone(), e.to_string()));
            detail_page(
                ctx,
                state,
                id,
                String::new(),
                StatusCode::BAD_REQUEST,
                error,
            )
            .await
        }
        Err(IncidentError::Conflict(m)) => {
            let error = Some(("body".to_owned(), m));
            detail_page(ctx, state, id, String::new(), StatusCode::CONFLICT, error).await
        }
        Err(e) => failed(ctx, e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    reason: String,
    summary: Option<String>,
}

/// `POST /incidents/{incident}`: status, severity (with a reason) or summary.
pub(super) async fn change(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let current = match incidents::incident(&me.principal, &state, &id).await {
        Ok(i) => i,
        Err(e) => return failed(ctx, e),
    };
    let given =
        |s: &str, now: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty() && s != now);
    let patch = PatchInput {
        status: given(&form.status, current.status.as_str()),
        severity: given(&form.severity, current.severity.as_str()),
        reason: Some(form.reason),
        summary: form.summary,
        impact: None,
    };
    let done = match incidents::changes(&patch) {
        Ok(list) => incidents::change(&me.principal, &state, &id, &list)
            .await
            .map(|i| i.reference()),
        Err(e) => Err(e.into()),
    };
    after(ctx, &state, &id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct MilestoneForm {
    #[serde(default)]
    milestone: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    reason: String,
}

/// `POST /incidents/{incident}/milestones`: one milestone set or cleared, with a reason.
pub(super) async fn milestone(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<MilestoneForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = incidents::set_milestone(
        &me.principal,
        &state,
        &id,
        &form.milestone,
        Some(&form.at),
        &form.reason,
    )
    .await
    .map(|i| i.reference());
    after(ctx, &state, &id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct EntryForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    verdict: String,
}

/// `POST /incidents/{incident}/timeline`: a note, hypothesis, finding or measure.
pub(super) async fn add_entry(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<EntryForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let verdict = (form.kind == "hypothesis").then_some(form.verdict.as_str());
    let done = incidents::add_entry(
        &me.principal,
        &state,
        &id,
        &form.kind,
        &form.text,
        verdict,
        None,
    )
    .await;
    let done = match done {
        Ok(_) => incidents::incident(&me.principal, &state, &id)
            .await
            .map(|i| i.reference()),
        Err(e) => Err(e),
    };
    after(ctx, &state, &id, done).await
}
