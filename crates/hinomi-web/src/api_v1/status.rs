//! `/api/v1/status`: managing the public status page. Components; incidents and scheduled
//! maintenances, each opened with its first update and followed by more (a message in
//! Japanese and/or English, a new status, components' new states). Everyone signed in may
//! read; changes need `manage_status_page`. Answers use Statuspage's shapes (as the public
//! `/api/v2/*.json` do) with each update's message in both languages added
//! (`body_ja`, `body_en`). Webhook subscribers (`/api/v1/status/subscribers`) are listed
//! and changed with `manage_status_page` alone: their URLs may carry credentials.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::status_page::{
    ComponentState, Impact, Kind, OpenInput, Progress, StatusError, StatusIncident, UpdateInput,
};
use hinomi_core::{Action, Locale};
use hinomi_store::StatusSubscriber;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, parse_time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::status::statuspage::{ComponentOut, IncidentOut, Writer};
use crate::status::subscribers::{self, SubscriberInput};
use crate::status::{self, ComponentInput, Snapshot, parse_word};

fn invalid(e: StatusError) -> ApiError {
    status::ChangeError::from(e).into()
}

/// An optional word of one of the core's sets, naming `field` when it is none of them.
fn word<T>(
    field: &str,
    text: Option<&str>,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Result<Option<T>, ApiError> {
    text.map(|t| parse_word(field, t, parse, expected))
        .transpose()
        .map_err(invalid)
}

/// Answers in Statuspage's shapes, messages in both languages.
fn writer<'a>(state: &'a AppState, snap: &'a Snapshot) -> Writer<'a> {
    let mut w = Writer::new(state, snap, Locale::Ja);
    w.both_languages = true;
    w
}

async fn snapshot(state: &AppState) -> Result<Snapshot, ApiError> {
    Ok(Snapshot::load(state, true).await?)
}

/// The incident `id` as the API writes it.
async fn incident_out(state: &AppState, id: &str) -> Result<IncidentOut, ApiError> {
    let snap = snapshot(state).await?;
    let incident = snap
        .incidents
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| ApiError::not_found(format!("status incident {id}")))?;
    Ok(writer(state, &snap).incident(incident))
}

/// List the components.
#[utoipa::path(get, path = "/api/v1/status/components", tag = "status",
    responses((status = 200, body = Vec<ComponentOut>)))]
pub async fn list_components(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<ComponentOut>>, ApiError> {
    principal.require(Action::Read)?;
    let snap = snapshot(&state).await?;
    Ok(Json(writer(&state, &snap).components()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentIn {
    name: String,
    #[serde(default)]
    description: String,
    /// The group it is shown under (empty: none).
    #[serde(default)]
    group: String,
    position: Option<i64>,
    /// `operational`, `degraded_performance`, `partial_outage`, `major_outage` or
    /// `under_maintenance`.
    status: Option<String>,
    showcase: Option<bool>,
    only_show_if_degraded: Option<bool>,
    /// `YYYY-MM-DD`.
    start_date: Option<String>,
    /// The service it shows (id or name, from `/api/v1/services`); `""` for none. Never
    /// public.
    service_id: Option<String>,
}

impl ComponentIn {
    fn into_input(self) -> Result<ComponentInput, ApiError> {
        let state = word(
            "status",
            self.status.as_deref(),
            ComponentState::parse,
            ComponentState::expected,
        )?;
        Ok(ComponentInput {
            name: self.name,
            description: self.description,
            group: self.group,
            position: self.position,
            state,
            showcase: self.showcase,
            only_show_if_degraded: self.only_show_if_degraded,
            start_date: self.start_date,
            service: self.service_id,
        })
    }
}

async fn component_answer(state: &AppState, id: &str) -> Result<ComponentOut, ApiError> {
    let snap = snapshot(state).await?;
    let c = snap
        .components
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found(format!("component {id}")))?;
    Ok(writer(state, &snap).component(c))
}

/// Create a component.
#[utoipa::path(post, path = "/api/v1/status/components", tag = "status", request_body = ComponentIn,
    responses((status = 201, body = ComponentOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create_component(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ComponentIn>,
) -> Result<(StatusCode, Json<ComponentOut>), ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let c = status::put_component(&principal, &state, None, body.into_input()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(component_answer(&state, &c.id).await?),
    ))
}

/// Change a component (by id or name); fields left out keep their value.
#[utoipa::path(put, path = "/api/v1/status/components/{component}", tag = "status",
    request_body = ComponentIn,
    params(("component" = String, Path, description = "Id or name")),
    responses((status = 200, body = ComponentOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn update_component(
    principal: Principal,
    State(state): State<AppState>,
    Path(component): Path<String>,
    JsonBody(body): JsonBody<ComponentIn>,
) -> Result<Json<ComponentOut>, ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let c = status::put_component(&principal, &state, Some(&component), body.into_input()?).await?;
    Ok(Json(component_answer(&state, &c.id).await?))
}

/// Delete a component (by id or name).
#[utoipa::path(delete, path = "/api/v1/status/components/{component}", tag = "status",
    params(("component" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete_component(
    principal: Principal,
    State(state): State<AppState>,
    Path(component): Path<String>,
) -> Result<StatusCode, ApiError> {
    status::delete_component(&principal, &state, &component).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List incidents and maintenances, newest first.
#[utoipa::path(get, path = "/api/v1/status/incidents", tag = "status",
    responses((status = 200, body = Vec<IncidentOut>)))]
pub async fn list_incidents(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<IncidentOut>>, ApiError> {
    principal.require(Action::Read)?;
    let snap = snapshot(&state).await?;
    let w = writer(&state, &snap);
    Ok(Json(snap.incidents.iter().map(|i| w.incident(i)).collect()))
}

/// One incident or maintenance.
#[utoipa::path(get, path = "/api/v1/status/incidents/{id}", tag = "status",
    responses((status = 200, body = IncidentOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_incident(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IncidentOut>, ApiError> {
    principal.require(Action::Read)?;
    Ok(Json(incident_out(&state, &id).await?))
}

/// An update as posted: the message in one or both languages, a status, components'
/// new states (`{"<component id>": "major_outage"}`), and a new impact for incidents.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIn {
    /// An incident's `investigating`, `identified`, `monitoring`, `resolved`; a
    /// maintenance's `scheduled`, `in_progress`, `verifying`, `completed`. Left out: as
    /// it stands.
    status: Option<String>,
    #[serde(default)]
    body_ja: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    components: BTreeMap<String, String>,
    impact: Option<String>,
}

impl UpdateIn {
    fn into_input(self) -> Result<UpdateInput, ApiError> {
        let progress = word(
            "status",
            self.status.as_deref(),
            Progress::parse,
            Progress::expected,
        )?;
        let impact = word(
            "impact",
            self.impact.as_deref(),
            Impact::parse,
            Impact::expected,
        )?;
        let components = self
            .components
            .into_iter()
            .map(|(id, s)| {
                let field = format!("components.{id}");
                parse_word(&field, &s, ComponentState::parse, ComponentState::expected)
                    .map(|state| (id, state))
            })
            .collect::<Result<_, _>>()
            .map_err(invalid)?;
        Ok(UpdateInput {
            progress,
            body_ja: self.body_ja,
            body_en: self.body_en,
            components,
            impact,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    name: String,
    /// `none`, `minor`, `major` or `critical`.
    impact: String,
    /// The first update's status (default `investigating`), message and components' states.
    status: Option<String>,
    #[serde(default)]
    body_ja: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    components: BTreeMap<String, String>,
    /// The internal incident it tells the public about (id or `INC-n`). Never public.
    incident_id: Option<String>,
}

async fn opened(
    principal: &Principal,
    state: &AppState,
    input: OpenInput,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    let (incident, _) = status::open(principal, state, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_out(state, &incident.id).await?),
    ))
}

/// Open an incident with its first update.
#[utoipa::path(post, path = "/api/v1/status/incidents", tag = "status", request_body = IncidentIn,
    responses((status = 201, body = IncidentOut), (status = 400, body = super::ErrorBody)))]
pub async fn open_incident(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<IncidentIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let impact =
        parse_word("impact", &body.impact, Impact::parse, Impact::expected).map_err(invalid)?;
    let input = OpenInput {
        kind: Kind::Incident,
        name: body.name,
        impact,
        scheduled_for: None,
        scheduled_until: None,
        auto_transition: false,
        components: Vec::new(),
        first: UpdateIn {
            status: body.status,
            body_ja: body.body_ja,
            body_en: body.body_en,
            components: body.components,
            impact: None,
        }
        .into_input()?,
        incident_id: body.incident_id,
    };
    opened(&principal, &state, input).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceIn {
    name: String,
    /// RFC 3339.
    scheduled_for: String,
    /// RFC 3339, after `scheduled_for`.
    scheduled_until: String,
    /// Goes in progress and completes by the clock (default true).
    #[serde(default = "yes")]
    auto_transition: bool,
    /// The ids of the components it concerns.
    #[serde(default)]
    component_ids: Vec<String>,
    #[serde(default)]
    body_ja: String,
    #[serde(default)]
    body_en: String,
}

fn yes() -> bool {
    true
}

/// Schedule a maintenance with its first update.
#[utoipa::path(post, path = "/api/v1/status/maintenances", tag = "status",
    request_body = MaintenanceIn,
    responses((status = 201, body = IncidentOut), (status = 400, body = super::ErrorBody)))]
pub async fn schedule_maintenance(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MaintenanceIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let input = OpenInput {
        kind: Kind::Maintenance,
        name: body.name,
        impact: Impact::None,
        scheduled_for: Some(parse_time("scheduled_for", &body.scheduled_for)?),
        scheduled_until: Some(parse_time("scheduled_until", &body.scheduled_until)?),
        auto_transition: body.auto_transition,
        components: body.component_ids,
        first: UpdateInput {
            body_ja: body.body_ja,
            body_en: body.body_en,
            ..UpdateInput::default()
        },
        incident_id: None,
    };
    opened(&principal, &state, input).await
}

/// Post an update on an incident or a maintenance.
#[utoipa::path(post, path = "/api/v1/status/incidents/{id}/updates", tag = "status",
    request_body = UpdateIn,
    responses((status = 201, body = IncidentOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn post_update(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let (incident, _): (StatusIncident, _) =
        status::post_update(&principal, &state, &id, body.into_input()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(incident_out(&state, &incident.id).await?),
    ))
}

/// A subscriber of the page: a webhook, or an email address.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriberOut {
    id: String,
    /// `webhook` or `email`.
    kind: String,
    /// A webhook's URL; absent for email subscribers.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// An email subscriber's address; absent for webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// `ja` or `en`: the language of the bodies it gets.
    language: String,
    created_at: String,
    /// When the subscription was confirmed; `null` while an email subscriber has not used
    /// its confirmation link (it is told nothing until then).
    confirmed_at: Option<String>,
}

impl SubscriberOut {
    fn new(s: StatusSubscriber) -> SubscriberOut {
        let (url, email) = if s.kind == subscribers::WEBHOOK {
            (Some(s.address), None)
        } else {
            (None, Some(s.address))
        };
        SubscriberOut {
            id: s.id,
            kind: s.kind,
            url,
            email,
            language: s.language,
            created_at: super::time(s.created_at),
            confirmed_at: s.confirmed_at.map(super::time),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriberIn {
    /// An http or https URL; each update is POSTed to it, signed (`X-Hinomi-Signature`).
    url: String,
    /// `ja` (default) or `en`.
    #[serde(default)]
    language: String,
}

/// List the page's subscribers, webhooks and email addresses.
#[utoipa::path(get, path = "/api/v1/status/subscribers", tag = "status",
    responses((status = 200, body = Vec<SubscriberOut>)))]
pub async fn list_subscribers(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<SubscriberOut>>, ApiError> {
    principal.require(Action::ManageStatusPage)?;
    let all = state.engine.store().status_subscribers().await?;
    Ok(Json(all.into_iter().map(SubscriberOut::new).collect()))
}

/// Add a webhook subscriber: every update posted from now on is POSTed to it in
/// Statuspage's webhook shape.
#[utoipa::path(post, path = "/api/v1/status/subscribers", tag = "status",
    request_body = SubscriberIn,
    responses((status = 201, body = SubscriberOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn add_subscriber(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SubscriberIn>,
) -> Result<(StatusCode, Json<SubscriberOut>), ApiError> {
    let input = SubscriberInput {
        url: body.url,
        language: body.language,
    };
    let s = subscribers::add(&principal, &state, input).await?;
    Ok((StatusCode::CREATED, Json(SubscriberOut::new(s))))
}

/// Remove a subscriber (a webhook or an email address).
#[utoipa::path(delete, path = "/api/v1/status/subscribers/{id}", tag = "status",
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn remove_subscriber(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    subscribers::remove(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
