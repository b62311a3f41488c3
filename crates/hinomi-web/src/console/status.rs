//! `/status-page`: the status page from inside. Everyone signed in sees it as the public
//! does (overall status, components by group, incidents and maintenance) with links to
//! every incident's updates; people who manage it add and remove components and change
//! their state, open incidents, post updates (in Japanese and English, with components'
//! new states) and schedule maintenance. `/status-page/subscribers` lists the page's email
//! and webhook subscribers (addresses partly hidden from those who may not manage the
//! page), and there webhooks are added and any subscriber removed. Changes go through
//! `crate::status`, as the API's do; a refusal re-renders the form with 400 and the field
//! named.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::status_page::{
    Component, ComponentState, Impact, Kind, OpenInput, Progress, StatusError, StatusIncident,
    UpdateInput,
};

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::status::public::{Group, View, groups, sections};
use crate::status::subscribers::{self, SubscriberInput};
use crate::status::{self, ChangeError, ComponentInput, Snapshot, parse_word};

/// A posted form, as its (name, value) pairs: component states come as `state.<id>` and
/// a maintenance's components as repeated `component`.
type Fields = Vec<(String, String)>;

fn field<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The components' new states a form asks for (`state.<id>` = a state; empty: unchanged).
fn states(form: &Fields) -> Result<Vec<(String, ComponentState)>, StatusError> {
    form.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("state.")?, v)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(id, v)| {
            parse_word(
                &format!("state.{id}"),
                v,
                ComponentState::parse,
                ComponentState::expected,
            )
            .map(|s| (id.to_owned(), s))
        })
        .collect()
}

/// What a form holds, for refilling it after a refusal.
#[derive(Debug, Default)]
struct Refill {
    /// Which form: `component`, `incident`, `maintenance`, `update`.
    form: &'static str,
    fields: Fields,
}

impl Refill {
    fn value(&self, form: &str, name: &str) -> &str {
        if self.form == form {
            field(&self.fields, name)
        } else {
            ""
        }
    }
}

#[derive(Template)]
#[template(path = "status_manage.html")]
struct ManagePage<'a> {
    ctx: Ctx,
    view: View,
    indicator: &'static str,
    groups: Vec<Group>,
    components: &'a [Component],
    open: Vec<&'a StatusIncident>,
    maintenance: Vec<&'a StatusIncident>,
    history: Vec<&'a StatusIncident>,
    /// What a component may show (the form's choice).
    services: Vec<hinomi_store::ServiceRecord>,
    refill: Refill,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "status_incident.html")]
struct IncidentPage<'a> {
    ctx: Ctx,
    view: View,
    incident: &'a StatusIncident,
    /// The reference (`INC-n`) of the internal incident it tells of.
    internal_ref: Option<String>,
    components: &'a [Component],
    progresses: Vec<&'static str>,
    /// The status the update form starts at, and its texts: what was posted after a
    /// refusal, else the draft for the internal incident's status, else the incident's
    /// own status and nothing.
    update_status: String,
    body_ja: String,
    body_en: String,
    /// The customer notification drafts of the internal incident, one per status.
    drafts: Vec<crate::incidents::Draft>,
    error: Option<String>,
}

/// The words a template offers in a select.
impl Ctx {
    pub fn may_manage_status_page(&self) -> bool {
        self.may(Action::ManageStatusPage)
    }

    pub fn component_states(&self) -> Vec<&'static str> {
        ComponentState::ALL.iter().map(|s| s.as_str()).collect()
    }

    /// Whether two words are the same (a select's current option).
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    pub fn impacts(&self) -> Vec<&'static str> {
        Impact::ALL.iter().map(|s| s.as_str()).collect()
    }
}

fn failed(ctx: Ctx, e: ChangeError) -> Response {
    match e {
        ChangeError::Denied(_) => PageError::Forbidden(Action::ManageStatusPage),
        ChangeError::NotFound(_) => PageError::NotFound,
        e => PageError::Internal(e.to_string()),
    }
    .into_page(ctx)
}

async fn show(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    refill: Refill,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let (snap, services) = match (
        Snapshot::load(state, false).await,
        state.engine.store().services().await,
    ) {
        (Ok(snap), Ok(services)) => (snap, services),
        (Err(e), _) | (_, Err(e)) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let [open, maintenance, history] = sections(&snap);
    render(
        status,
        &ManagePage {
            view: View::new(state, ctx.locale),
            ctx,
            indicator: snap.status().indicator.as_str(),
            groups: groups(&snap, false),
            components: &snap.components,
            open,
            maintenance,
            history,
            services,
            refill,
            error,
        },
    )
}

/// `GET /status-page`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    show(ctx, &state, StatusCode::OK, Refill::default(), None).await
}

/// A change's answer: back to `to`, or the form again with the refusal.
async fn answer<T>(
    ctx: Ctx,
    state: &AppState,
    done: Result<T, ChangeError>,
    to: String,
    refill: Refill,
) -> Response {
    match done {
        Ok(_) => Redirect::to(&to).into_response(),
        Err(e @ ChangeError::Invalid { .. }) => {
            let error = Some(e.to_string());
            if refill.form == "update" {
                let id = to.rsplit('/').next().unwrap_or_default().to_owned();
                return show_incident(ctx, state, &id, StatusCode::BAD_REQUEST, refill, error)
                    .await;
            }
            show(ctx, state, StatusCode::BAD_REQUEST, refill, error).await
        }
        Err(e @ ChangeError::NameTaken(_)) => {
            show(
                ctx,
                state,
                StatusCode::CONFLICT,
                refill,
                Some(e.to_string()),
            )
            .await
        }
        Err(e) => failed(ctx, e),
    }
}

fn me(ctx: &Ctx) -> Result<crate::auth::Principal, PageError> {
    ctx.require(Action::ManageStatusPage)
        .map(|m| m.principal.clone())
}

/// `POST /status-page/components`: a new component.
pub(super) async fn create_component(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let input = ComponentInput {
        name: field(&form, "name").to_owned(),
        description: field(&form, "description").to_owned(),
        group: field(&form, "group").to_owned(),
        service: Some(field(&form, "service").to_owned()),
        ..ComponentInput::default()
    };
    let done = status::put_component(&principal, &state, None, input).await;
    let refill = Refill {
        form: "component",
        fields: form,
    };
    answer(ctx, &state, done, "/status-page".into(), refill).await
}

/// `POST /status-page/components/{component}`: a component's new state (and service).
pub(super) async fn set_component_state(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let components = match state.engine.store().status_components().await {
        Ok(c) => c,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let Some(c) = components.into_iter().find(|c| c.id == id) else {
        return PageError::NotFound.into_page(ctx);
    };
    let done = match parse_word(
        "state",
        field(&form, "state"),
        ComponentState::parse,
        ComponentState::expected,
    ) {
        Ok(new) => {
            let input = ComponentInput {
                name: c.name,
                description: c.description,
                group: c.group,
                state: Some(new),
                // The form offers the service only when there are services.
                service: form
                    .iter()
                    .find(|(k, _)| k == "service")
                    .map(|(_, v)| v.clone()),
                ..ComponentInput::default()
            };
            status::put_component(&principal, &state, Some(&id), input).await
        }
        Err(e) => Err(ChangeError::from(e)),
    };
    let refill = Refill::default();
    answer(ctx, &state, done, "/status-page".into(), refill).await
}

/// `POST /status-page/components/{component}/delete`.
pub(super) async fn delete_component(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let done = status::delete_component(&principal, &state, &id).await;
    answer(ctx, &state, done, "/status-page".into(), Refill::default()).await
}

/// `POST /status-page/incidents`: an incident with its first update.
pub(super) async fn open_incident(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let input = (|| {
        Ok::<_, StatusError>(OpenInput {
            kind: Kind::Incident,
            name: field(&form, "name").to_owned(),
            impact: parse_word(
                "impact",
                field(&form, "impact"),
                Impact::parse,
                Impact::expected,
            )?,
            scheduled_for: None,
            scheduled_until: None,
            auto_transition: false,
            components: Vec::new(),
            first: UpdateInput {
                body_ja: field(&form, "body_ja").to_owned(),
                body_en: field(&form, "body_en").to_owned(),
                components: states(&form)?,
                ..UpdateInput::default()
            },
            incident_id: Some(field(&form, "incident_id").to_owned()).filter(|t| !t.is_empty()),
        })
    })();
    let done = match input {
        Ok(input) => status::open(&principal, &state, input).await,
        Err(e) => Err(ChangeError::from(e)),
    };
    let to = match &done {
        Ok((i, _)) => format!("/status-page/incidents/{}", i.id),
        Err(_) => String::new(),
    };
    let refill = Refill {
        form: "incident",
        fields: form,
    };
    answer(ctx, &state, done, to, refill).await
}

/// A `datetime-local` value in the reader's time zone.
fn local_time(ctx: &Ctx, name: &str, text: &str) -> Result<i64, StatusError> {
    text.trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(ctx.tz.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .ok_or_else(|| StatusError {
            field: name.to_owned(),
            message: format!("{text:?} is not a date and time such as 2026-12-01T22:00"),
        })
}

/// `POST /status-page/maintenances`: a maintenance, moving by the clock.
pub(super) async fn schedule_maintenance(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let input = (|| {
        Ok::<_, StatusError>(OpenInput {
            kind: Kind::Maintenance,
            name: field(&form, "name").to_owned(),
            impact: Impact::None,
            scheduled_for: Some(local_time(
                &ctx,
                "scheduled_for",
                field(&form, "scheduled_for"),
            )?),
            scheduled_until: Some(local_time(
                &ctx,
                "scheduled_until",
                field(&form, "scheduled_until"),
            )?),
            auto_transition: true,
            components: form
                .iter()
                .filter(|(k, _)| k == "component")
                .map(|(_, v)| v.clone())
                .collect(),
            first: UpdateInput {
                body_ja: field(&form, "body_ja").to_owned(),
                body_en: field(&form, "body_en").to_owned(),
                ..UpdateInput::default()
            },
            incident_id: None,
        })
    })();
    let done = match input {
        Ok(input) => status::open(&principal, &state, input).await,
        Err(e) => Err(ChangeError::from(e)),
    };
    let refill = Refill {
        form: "maintenance",
        fields: form,
    };
    answer(ctx, &state, done, "/status-page".into(), refill).await
}

async fn show_incident(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    refill: Refill,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let store = state.engine.store();
    let (incident, components) = match (
        store.status_incident(id).await,
        store.status_components().await,
    ) {
        (Ok(Some(i)), Ok(c)) => (i, c),
        (Ok(None), _) => return PageError::NotFound.into_page(ctx),
        (Err(e), _) | (_, Err(e)) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let progresses = Progress::ALL
        .iter()
        .filter(|p| p.kind() == incident.kind)
        .map(|p| p.as_str())
        .collect();
    let internal = match &incident.incident_id {
        Some(id) => match store.incident(id).await {
            Ok(found) => found,
            Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
        },
        None => None,
    };
    let drafts = match &internal {
        Some(i) if incident.kind == Kind::Incident => crate::incidents::customer_drafts(
            i,
            &state.incidents,
            &hinomi_core::incident::Status::ALL,
            &state.status_page.zone(),
            state.engine.now(),
        ),
        _ => Vec::new(),
    };
    let view = View::new(state, ctx.locale);
    let drafted = internal
        .as_ref()
        .and_then(|i| drafts.iter().find(|d| d.status == i.status));
    let (update_status, body_ja, body_en) = if refill.form == "update" {
        let f = |name| refill.value("update", name).to_owned();
        (f("status"), f("body_ja"), f("body_en"))
    } else if let Some(d) = drafted {
        (d.status.as_str().to_owned(), d.ja.clone(), d.en.clone())
    } else {
        (
            view.progress(&incident).to_owned(),
            String::new(),
            String::new(),
        )
    };
    render(
        status,
        &IncidentPage {
            view,
            ctx,
            incident: &incident,
            internal_ref: internal.map(|i| i.reference()),
            components: &components,
            progresses,
            update_status,
            body_ja,
            body_en,
            drafts,
            error,
        },
    )
}

/// `GET /status-page/incidents/{id}`.
pub(super) async fn incident(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    show_incident(ctx, &state, &id, StatusCode::OK, Refill::default(), None).await
}

/// `POST /status-page/incidents/{id}/updates`.
pub(super) async fn post_update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let input = (|| {
        let impact = match field(&form, "impact") {
            "" => None,
            text => Some(parse_word("impact", text, Impact::parse, Impact::expected)?),
        };
        Ok::<_, StatusError>(UpdateInput {
            progress: Some(parse_word(
                "status",
                field(&form, "status"),
                Progress::parse,
                Progress::expected,
            )?),
            body_ja: field(&form, "body_ja").to_owned(),
            body_en: field(&form, "body_en").to_owned(),
            components: states(&form)?,
            impact,
        })
    })();
    let done = match input {
        Ok(input) => status::post_update(&principal, &state, &id, input).await,
        Err(e) => Err(ChangeError::from(e)),
    };
    let refill = Refill {
        form: "update",
        fields: form,
    };
    answer(
        ctx,
        &state,
        done,
        format!("/status-page/incidents/{id}"),
        refill,
    )
    .await
}

/// A subscriber as the list shows it.
#[derive(Debug)]
struct SubscriberRow {
    id: String,
    kind: String,
    /// In full, or partly hidden.
    address: String,
    language: String,
    created_at: i64,
    /// `confirmed`, `pending` (its link works) or `expired` (deleted by the next request).
    state: &'static str,
}

#[derive(Template)]
#[template(path = "status_subscribers.html")]
struct SubscribersPage {
    ctx: Ctx,
    rows: Vec<SubscriberRow>,
    /// Whether addresses are shown in full.
    full: bool,
    refill: Refill,
    error: Option<String>,
}

async fn show_subscribers(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    refill: Refill,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let all = match state.engine.store().status_subscribers().await {
        Ok(all) => all,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let full = ctx.may_manage_status_page();
    let now = state.engine.now();
    let rows = all
        .into_iter()
        .map(|s| SubscriberRow {
            address: subscribers::shown_address(&s, full),
            id: s.id,
            kind: s.kind,
            language: s.language,
            created_at: s.created_at,
            state: match (s.confirmed_at, s.expires_at) {
                (Some(_), _) => "confirmed",
                (None, Some(end)) if now < end => "pending",
                (None, _) => "expired",
            },
        })
        .collect();
    render(
        status,
        &SubscribersPage {
            ctx,
            rows,
            full,
            refill,
            error,
        },
    )
}

/// `GET /status-page/subscribers`.
pub(super) async fn subscriber_list(ctx: Ctx, State(state): State<AppState>) -> Response {
    show_subscribers(ctx, &state, StatusCode::OK, Refill::default(), None).await
}

/// A subscriber change's answer: back to the list, or the list with the refusal.
async fn subscriber_answer<T>(
    ctx: Ctx,
    state: &AppState,
    done: Result<T, ChangeError>,
    refill: Refill,
) -> Response {
    let status = match &done {
        Ok(_) => return Redirect::to("/status-page/subscribers").into_response(),
        Err(ChangeError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        Err(ChangeError::NameTaken(_)) => StatusCode::CONFLICT,
        Err(_) => return failed(ctx, done.err().expect("an error")),
    };
    let error = done.err().map(|e| e.to_string());
    show_subscribers(ctx, state, status, refill, error).await
}

/// `POST /status-page/subscribers`: a new webhook subscriber.
pub(super) async fn add_subscriber(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<Fields>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let input = SubscriberInput {
        url: field(&form, "url").to_owned(),
        language: field(&form, "language").to_owned(),
    };
    let done = subscribers::add(&principal, &state, input).await;
    let refill = Refill {
        form: "webhook",
        fields: form,
    };
    subscriber_answer(ctx, &state, done, refill).await
}

/// `POST /status-page/subscribers/{id}/delete`: removes a subscriber of either kind.
pub(super) async fn remove_subscriber(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let principal = match me(&ctx) {
        Ok(p) => p,
        Err(e) => return e.into_page(ctx),
    };
    let done = subscribers::remove(&principal, &state, &id).await;
    subscriber_answer(ctx, &state, done, Refill::default()).await
}
