//! `/incidents`: the incident list, the declaration form (with the impact fields and the
//! severity they suggest, previewed as they are typed), and an incident's page: its
//! summary, status and severity changes, milestones with their durations, and the timeline
//! with a filter, a form for notes, hypotheses, findings and measures and one to correct
//! each, kept live (`/incidents/{ref}/events`, `console::live`); the services affected and
//! more alert groups to link; stakeholder updates; the team panel (roles, core then
//! support, their holders, giving and taking them) and the checklist (phases with their
//! deadlines, overdue ones marked, items checked here); the recovery checks and impact
//! record (whose forms `console::postmortems` answers); and `/external-contacts`, vendors'
//! people who may hold a role. The stakeholder update and the status page form start from
//! the customer notification drafted for the incident's status
//! (`incidents::customer_drafts`). A declaration from an alert group comes here pre-filled
//! (`/incidents/new?group=<key>`), and the form can name the team at once (one choice per
//! role, `role.<key>` = `user:<username>` or `contact:<id>`). Changes go through
//! `crate::incidents`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::incident::{
    CheckState, EntryKind, Milestone, RoleGroup, SeverityPolicy, Status, Suggestion,
};
use hinomi_engine::RoleInput;
use hinomi_store::{
    ExternalContactRecord, Holder, IncidentQuery, IncidentRecord, Pageable, RecoveryRecord,
    ServiceRecord, TimelineRecord,
};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::auth::Principal;
use crate::incidents::{
    self, ContactInput, DeclareInput, ImpactInput, IncidentError, ItemInput, PatchInput,
};

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

/// A refusal as a page's error.
fn page_error(e: IncidentError) -> PageError {
    match e {
        IncidentError::Denied(_) => PageError::Forbidden(Action::RespondToIncidents),
        IncidentError::NotFound(_) => PageError::NotFound,
        IncidentError::Invalid(e) => PageError::BadInput(e.field.clone(), e.to_string()),
        IncidentError::Conflict(m) => PageError::BadInput("body".into(), m),
        IncidentError::Store(e) => PageError::Internal(e.to_string()),
        IncidentError::Engine(e) => PageError::Internal(e.to_string()),
    }
}

/// Fails a request as a page: refused input is shown on the form instead (see callers).
pub(super) fn failed(ctx: Ctx, e: IncidentError) -> Response {
    page_error(e).into_page(ctx)
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
    /// The team named at once: role key → `user:<username>` or `contact:<id>`, from the
    /// fields `role.<key>`; blank picks are left out.
    #[serde(flatten, deserialize_with = "team_picks")]
    team: BTreeMap<String, String>,
}

/// The `role.<key>` fields of a form, by key, without the blank ones.
fn team_picks<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let fields = BTreeMap::<String, String>::deserialize(d)?;
    Ok(fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("role.")?.to_owned(), v)))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect())
}

/// A role given to the holder a form picked: `user:<username>`, `contact:<id>`, or a bare
/// username.
fn role_input(role: String, holder: &str) -> RoleInput {
    let (user, contact) = match holder.split_once(':') {
        Some(("contact", c)) => (None, Some(c.to_owned())),
        Some(("user", u)) => (Some(u.to_owned()), None),
        _ => (Some(holder.to_owned()), None),
    };
    RoleInput {
        role,
        user,
        contact,
    }
}

/// A count typed in a form: empty is none; anything else must be a whole number.
pub(super) fn count(field: &str, text: &str) -> Result<Option<i64>, IncidentError> {
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

    /// The team picked, in the order of `roles` (the configured roles, core first), then any
    /// other `role.<key>` posted, which the engine refuses by name.
    fn team(&self, roles: &[RoleRow]) -> Vec<RoleInput> {
        let known = roles
            .iter()
            .filter_map(|r| Some((&r.key, self.team.get(&r.key)?)));
        let unknown = self
            .team
            .iter()
            .filter(|(k, _)| !roles.iter().any(|r| &&r.key == k));
        known
            .chain(unknown)
            .map(|(role, holder)| role_input(role.clone(), holder.trim()))
            .collect()
    }

    /// What was picked for `role`, to pick it again.
    fn picked(&self, role: &str) -> &str {
        self.team.get(role).map_or("", String::as_str)
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
    /// The configured roles, core first, with no holders.
    team: Vec<RoleRow>,
    /// The lead role's key: left empty, the declarer holds it.
    lead: String,
    users: Vec<(String, String)>,
    contacts: Vec<(String, String)>,
    error: Option<(String, String)>,
}

impl NewPage {
    /// The message of the error, when it concerns `field`.
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
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
    let store = state.engine.store();
    let loaded = async {
        let services = store.services().await?;
        let people = store.paging_people().await?.users;
        let contacts = store.external_contacts().await?;
        Ok::<_, hinomi_store::StoreError>((services, people, contacts))
    };
    let (services, people, contacts) = match loaded.await {
        Ok(l) => l,
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
            team: configured_roles(&state.incidents, ctx.locale),
            lead: state.incidents.roles().lead().key.clone(),
            users: user_choices(&people),
            contacts: contact_choices(&contacts),
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
    let roles = form.team(&configured_roles(&state.incidents, ctx.locale));
    let input = form.impact().map(|impact| DeclareInput {
        title: form.title.clone(),
        summary: form.summary.clone(),
        severity: Some(form.severity.clone()),
        impact,
        services: vec![form.service.clone()],
        alert_groups: vec![form.alert_group.clone()],
        roles: roles.clone(),
        ..DeclareInput::default()
    });
    let done = match input {
        Ok(input) => incidents::declare(&me.principal, &state, &input).await,
        Err(e) => Err(e),
    };
    match done {
        Ok((i, _)) => Redirect::to(&format!("/incidents/{}", i.reference())).into_response(),
        Err(IncidentError::Invalid(e)) => {
            // `roles[<i>].user` is the form's `role.<key>`.
            let in_form = || {
                let (i, _) = e.field.strip_prefix("roles[")?.split_once(']')?;
                let given = roles.get(i.parse::<usize>().ok()?)?;
                Some(format!("role.{}", given.role))
            };
            let field = in_form().unwrap_or(e.field);
            let error = Some((field, e.message));
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
    /// `INC-n`, for the timeline fragment's forms.
    reference: String,
    kind: String,
    kinds: &'static [EntryKind],
    recovery: RecoveryRecord,
    check_states: [CheckState; 4],
    manual: [EntryKind; 4],
    statuses: [Status; 4],
    severities: Vec<(String, String)>,
    /// Every service, to choose those affected.
    services: Vec<ServiceRecord>,
    /// The alert groups there are that are not linked yet, as (key, title).
    groups: Vec<(String, String)>,
    /// The stakeholder lists an update would go to.
    stakeholders: Vec<String>,
    /// When the next update is owed, and whether that is past.
    next_update: Option<(i64, bool)>,
    escalations: Vec<incidents::CriterionState>,
    error: Option<(String, String)>,
    /// The configured roles with their holders, core first.
    team: Vec<RoleRow>,
    /// Who a role may be given to: (username, display name); external contacts: (id, name).
    users: Vec<(String, String)>,
    contacts: Vec<(String, String)>,
    checklist: Vec<PhaseView>,
    /// The status incidents telling of it: (id, name).
    published: Vec<(String, String)>,
    /// The status page's components that show the incident's services, offered in the
    /// form that publishes it.
    offered: Vec<hinomi_core::status_page::Component>,
    /// The impact the form starts with, from the severity.
    publish_impact: &'static str,
    /// The customer notification for the incident's status: the status page form's
    /// texts, and the stakeholder update's in the reader's language.
    draft: incidents::Draft,
    now: i64,
}

/// A configured role on the incident page, with who holds it.
struct RoleRow {
    key: String,
    name: String,
    core: bool,
    /// (assignment id, holder's name).
    holders: Vec<(i64, String)>,
}

/// The configured roles, core first, in the reader's language, held by no one yet.
fn configured_roles(policy: &SeverityPolicy, l: hinomi_core::Locale) -> Vec<RoleRow> {
    let mut roles: Vec<RoleRow> = policy
        .roles()
        .all()
        .iter()
        .map(|r| RoleRow {
            key: r.key.clone(),
            name: r.name(l).to_owned(),
            core: r.group == RoleGroup::Core,
            holders: Vec::new(),
        })
        .collect();
    roles.sort_by_key(|r| !r.core);
    roles
}

/// Who a role may be given to: the enabled users as (username, display name).
fn user_choices(people: &[Pageable]) -> Vec<(String, String)> {
    people
        .iter()
        .filter(|p| p.enabled)
        .map(|p| (p.username.clone(), p.display_name.clone()))
        .collect()
}

/// External contacts to give a role to, as (id, `name (organisation)`).
fn contact_choices(contacts: &[ExternalContactRecord]) -> Vec<(String, String)> {
    contacts.iter().map(|c| (c.id.clone(), c.label())).collect()
}

/// A checklist phase on the incident page.
struct PhaseView {
    name: String,
    due_at: i64,
    /// Time left to the deadline, or past it (positive either way).
    span: i64,
    items: Vec<ItemView>,
}

impl PhaseView {
    fn open(&self) -> bool {
        self.items.iter().any(|i| i.checked_by.is_none())
    }
}

struct ItemView {
    id: i64,
    text: String,
    /// The role's name, and its key.
    role: Option<String>,
    role_key: String,
    assignee: Option<String>,
    checked_by: Option<String>,
}

impl DetailPage {
    fn iso_or_empty(&self, at: Option<i64>) -> String {
        at.map(hinomi_core::time::format_millis).unwrap_or_default()
    }

    /// The stakeholder update's draft, in the reader's language.
    fn update_draft(&self) -> &str {
        self.draft.text(self.ctx.locale)
    }

    fn has_service(&self, id: &str) -> bool {
        self.incident.services.iter().any(|(s, _)| s == id)
    }
}

/// The timeline alone: what the incident page fetches again when it changes.
#[derive(Template)]
#[template(path = "incident_timeline.html")]
struct TimelineFragment {
    ctx: Ctx,
    reference: String,
    timeline: Vec<TimelineRecord>,
}

/// The incident `id` names and its timeline (only `kind`s, if given), for the reader.
async fn with_timeline(
    ctx: &Ctx,
    state: &AppState,
    id: &str,
    kind: &str,
) -> Result<(IncidentRecord, Vec<TimelineRecord>), PageError> {
    let me = ctx.require(Action::Read)?;
    let incident = incidents::incident(&me.principal, state, id)
        .await
        .map_err(page_error)?;
    let kinds =
        incidents::parse_kinds(kind).map_err(|e| PageError::BadInput(e.field, e.message))?;
    let timeline = state
        .engine
        .store()
        .incident_timeline(&incident.id, &kinds)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok((incident, timeline))
}

async fn detail_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    kind: String,
    status: StatusCode,
    error: Option<(String, String)>,
) -> Response {
    let (incident, timeline) = match with_timeline(&ctx, state, id, &kind).await {
        Ok(found) => found,
        Err(e) => return e.into_page(ctx),
    };
    let services = match state.engine.store().services().await {
        Ok(s) => s,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let now = state.engine.now();
    let next_update = match incidents::next_update_due(state, &incident).await {
        Ok(due) => due.map(|t| (t, t < now)),
        Err(e) => return failed(ctx, e),
    };
    let escalations = match incidents::criteria_states(state, &incident).await {
        Ok(c) => c,
        Err(e) => return failed(ctx, e),
    };
    let recovery = match state.engine.store().recovery(&incident.id).await {
        Ok(r) => r,
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
    let now = state.engine.now();
    let store = state.engine.store();
    let loaded = async {
        let held = store.incident_roles(&incident.id, false).await?;
        let people = store.paging_people().await?.users;
        let contacts = store.external_contacts().await?;
        let checklist = store.checklist(&incident.id).await?;
        Ok::<_, hinomi_store::StoreError>((held, people, contacts, checklist))
    };
    let (held, people, contacts, items) = match loaded.await {
        Ok(l) => l,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let name_of = |h: &Holder| match h {
        Holder::User(id) => people
            .iter()
            .find(|p| &p.id == id)
            .map_or_else(|| id.clone(), |p| p.display_name.clone()),
        Holder::Contact(id) => contacts
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.clone(), ExternalContactRecord::label),
    };
    let l = ctx.locale;
    let mut team = configured_roles(policy, l);
    for a in &held {
        let row = match team.iter_mut().position(|r| r.key == a.role) {
            Some(i) => &mut team[i],
            None => {
                // A role no longer configured keeps its holders on the page.
                team.push(RoleRow {
                    key: a.role.clone(),
                    name: a.role.clone(),
                    core: false,
                    holders: Vec::new(),
                });
                team.last_mut().expect("just pushed")
            }
        };
        row.holders.push((a.id, name_of(&a.holder)));
    }
    let pick = |ja: &str, en: &str| match l {
        hinomi_core::Locale::Ja => ja.to_owned(),
        hinomi_core::Locale::En => en.to_owned(),
    };
    let mut checklist: Vec<PhaseView> = Vec::new();
    let mut last = None;
    for i in &items {
        let key = (i.playbook.clone(), i.phase);
        if last.as_ref() != Some(&key) {
            checklist.push(PhaseView {
                name: format!(
                    "{} / {}",
                    pick(&i.playbook_name_ja, &i.playbook_name_en),
                    pick(&i.phase_name_ja, &i.phase_name_en)
                ),
                due_at: i.due_at,
                span: (i.due_at - now).abs(),
                items: Vec::new(),
            });
            last = Some(key);
        }
        let phase = checklist.last_mut().expect("a phase");
        phase.items.push(ItemView {
            id: i.id,
            text: pick(&i.text_ja, &i.text_en),
            role: i
                .role
                .as_deref()
                .map(|r| policy.roles().get(r).map_or(r, |x| x.name(l)).to_owned()),
            role_key: i.role.clone().unwrap_or_default(),
            assignee: i
                .assignee
                .as_ref()
                .map(|u| name_of(&Holder::User(u.clone()))),
            checked_by: i.checked_by.clone(),
        });
    }
    let users = user_choices(&people);
    let contacts = contact_choices(&contacts);
    let d = incident.milestones.durations(now);
    let draft = incidents::customer_drafts(
        &incident,
        policy,
        &[incident.status],
        &state.status_page.zone(),
        now,
    )
    .pop()
    .expect("a draft for the one status asked");
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
            groups: incidents::open_groups(state, &incident.alert_groups),
            stakeholders: policy
                .stakeholders_of(incident.severity)
                .iter()
                .map(|l| l.name.clone())
                .collect(),
            next_update,
            escalations,
            reference: incident.reference(),
            services,
            ctx,
            incident,
            timeline,
            kind,
            kinds: &EntryKind::ALL,
            recovery,
            check_states: CheckState::ALL,
            manual: EntryKind::MANUAL,
            statuses: Status::ALL,
            error,
            team,
            users,
            contacts,
            checklist,
            now,
            published,
            offered,
            publish_impact,
            draft,
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
pub(super) async fn after(
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

/// After a timeline entry was written: back to the page, or the page again with the
/// refusal named.
async fn after_entry(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    principal: &Principal,
    done: Result<TimelineRecord, IncidentError>,
) -> Response {
    let done = match done {
        Ok(_) => incidents::incident(principal, state, id)
            .await
            .map(|i| i.reference()),
        Err(e) => Err(e),
    };
    after(ctx, state, id, done).await
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
        ..PatchInput::default()
    };
    apply(ctx, &state, &id, &patch).await
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
    after_entry(ctx, &state, &id, &me.principal, done).await
}

/// `GET /incidents/{incident}/timeline[?kind=...]`: the timeline fragment.
pub(super) async fn timeline(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    match with_timeline(&ctx, &state, &id, &q.kind).await {
        Ok((incident, timeline)) => render(
            StatusCode::OK,
            &TimelineFragment {
                reference: incident.reference(),
                ctx,
                timeline,
            },
        ),
        Err(e) => e.into_page(ctx),
    }
}

/// `GET /incidents/{incident}/events`: an `incident` event whenever the incident or its
/// timeline changes, on this instance or another.
pub(super) async fn events(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let incident = match incidents::incident(&me.principal, &state, &id).await {
        Ok(i) => i,
        Err(e) => return failed(ctx, e),
    };
    let id = incident.id;
    super::live::stream(state, "incident", move |state| {
        let id = id.clone();
        async move {
            let (updated, newest) = state.engine.store().incident_version(&id).await.ok()??;
            Some((updated as u64).wrapping_mul(1_000_003) ^ newest as u64)
        }
    })
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CorrectForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    reason: String,
}

/// `POST /incidents/{incident}/timeline/{entry}/correct`: a correction that keeps the
/// original.
pub(super) async fn correct(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, entry)): Path<(String, i64)>,
    Form(form): Form<CorrectForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = incidents::correct_entry(
        &me.principal,
        &state,
        &id,
        entry,
        &form.text,
        Some(form.verdict.as_str()),
        &form.reason,
    )
    .await;
    after_entry(ctx, &state, &id, &me.principal, done).await
}

/// `POST /incidents/{incident}/services`: the services affected (every `service` field).
pub(super) async fn services(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let chosen: Vec<String> = form
        .into_iter()
        .filter(|(k, _)| k == "service")
        .map(|(_, v)| v)
        .collect();
    let patch = PatchInput {
        services: Some(chosen),
        ..PatchInput::default()
    };
    apply(ctx, &state, &id, &patch).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    group: String,
}

/// `POST /incidents/{incident}/groups`: links one more alert group.
pub(super) async fn link_group(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    let patch = PatchInput {
        link_alert_groups: Some(vec![form.group]),
        ..PatchInput::default()
    };
    apply(ctx, &state, &id, &patch).await
}

/// Applies a patch made by a console form, then back to the page.
async fn apply(ctx: Ctx, state: &AppState, id: &str, patch: &PatchInput) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = match incidents::changes(patch) {
        Ok(list) => incidents::change(&me.principal, state, id, &list)
            .await
            .map(|i| i.reference()),
        Err(e) => Err(e.into()),
    };
    after(ctx, state, id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct UpdateForm {
    #[serde(default)]
    text: String,
}

/// `POST /incidents/{incident}/updates`: an update to the stakeholder lists.
pub(super) async fn post_update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = incidents::post_update(&me.principal, &state, &id, &form.text).await;
    after_entry(ctx, &state, &id, &me.principal, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
    /// `user:<username>` or `contact:<id>`.
    #[serde(default)]
    holder: String,
}

/// `POST /incidents/{incident}/roles`: a role given to a user or an external contact.
pub(super) async fn assign_role(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let input = role_input(form.role, &form.holder);
    let done = incidents::assign_role(&me.principal, &state, &id, &input).await;
    let done = match done {
        Ok(_) => Ok(id.clone()),
        Err(e) => Err(e),
    };
    after(ctx, &state, &id, done).await
}

/// `POST /incidents/{incident}/roles/{assignment}/unassign`: a role taken back.
pub(super) async fn unassign_role(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, assignment)): Path<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let Ok(assignment) = assignment.parse::<i64>() else {
        return PageError::NotFound.into_page(ctx);
    };
    let done = incidents::unassign_role(&me.principal, &state, &id, assignment)
        .await
        .map(|_| id.clone());
    after(ctx, &state, &id, done).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemForm {
    /// `true` to check, `false` to uncheck; absent with `role` and `user`.
    checked: Option<String>,
    /// A role's key and a username; empty clears.
    role: Option<String>,
    user: Option<String>,
}

/// `POST /incidents/{incident}/checklist/{item}`: an item checked or unchecked, or given
/// to a role and a person.
pub(super) async fn check_item(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    Form(form): Form<ItemForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let Ok(item) = item.parse::<i64>() else {
        return PageError::NotFound.into_page(ctx);
    };
    let input = ItemInput {
        checked: form.checked.map(|c| c == "true"),
        role: form.role,
        user: form.user,
    };
    let done = incidents::change_item(&me.principal, &state, &id, item, &input)
        .await
        .map(|_| id.clone());
    after(ctx, &state, &id, done).await
}

#[derive(Template)]
#[template(path = "external_contacts.html")]
struct ContactsPage {
    ctx: Ctx,
    contacts: Vec<ExternalContactRecord>,
    form: ContactForm,
    error: Option<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    language: String,
}

async fn contacts_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    form: ContactForm,
    error: Option<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match incidents::external_contacts(&me.principal, state).await {
        Ok(contacts) => render(
            status,
            &ContactsPage {
                ctx,
                contacts,
                form,
                error,
            },
        ),
        Err(e) => failed(ctx, e),
    }
}

/// `GET /external-contacts`: vendors' people who may hold a role.
pub(super) async fn contacts(ctx: Ctx, State(state): State<AppState>) -> Response {
    contacts_page(ctx, &state, StatusCode::OK, ContactForm::default(), None).await
}

/// `POST /external-contacts`: one added.
pub(super) async fn add_contact(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<ContactForm>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let input = ContactInput {
        name: form.name.clone(),
        organisation: form.organisation.clone(),
        email: Some(form.email.clone()),
        phone: Some(form.phone.clone()),
        language: Some(form.language.clone()),
    };
    match incidents::add_external_contact(&me.principal, &state, &input).await {
        Ok(_) => Redirect::to("/external-contacts").into_response(),
        Err(IncidentError::Invalid(e)) => {
            let error = Some((e.field.clone(), e.to_string()));
            contacts_page(ctx, &state, StatusCode::BAD_REQUEST, form, error).await
        }
        Err(e) => failed(ctx, e),
    }
}

/// `POST /external-contacts/{id}/delete`: one removed, unless they hold a role.
pub(super) async fn delete_contact(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::RespondToIncidents) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match incidents::delete_external_contact(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/external-contacts").into_response(),
        Err(IncidentError::Conflict(m)) => {
            let error = Some(("id".to_owned(), m));
            contacts_page(
                ctx,
                &state,
                StatusCode::CONFLICT,
                ContactForm::default(),
                error,
            )
            .await
        }
        Err(e) => failed(ctx, e),
    }
}
