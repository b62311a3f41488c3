//! The status page: what the public reads and how people change it.
//!
//! - [`statuspage`]: Atlassian Statuspage's public JSON API (`/api/v2/summary.json` ...),
//!   which status aggregators read; public.
//! - [`public`]: the HTML page (`/status`, each incident's page) in Japanese and English,
//!   and the RSS 2.0 and Atom feeds of its history; public.
//! - [`email`]: email subscriptions (double opt-in, one-click unsubscribe); public.
//! - this module: every change people make (components; incidents and maintenances with
//!   their updates), one function each, called by the REST API (`api_v1::status`) and the
//!   console (`console::status`): the [`Action`] check, the core's rules
//!   (`hinomi_core::status_page`), and one transaction holding the change, its event and,
//!   for components, its audit entry; each update is queued there for the page's
//!   subscribers too ([`subscribers`]).

pub mod email;
pub mod public;
pub mod statuspage;
pub mod subscribers;

use hinomi_core::Action;
use hinomi_core::status_page::{
    self as core, Component, ComponentState, Kind, OpenInput, StatusError, StatusIncident, Update,
    UpdateInput,
};
use hinomi_store::{StoreError, WriteTx};
use serde_json::json;

use crate::AppState;
use crate::auth::Principal;

/// How long the page's history reaches back, in days.
pub const HISTORY_DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

pub use crate::schedules::ChangeError;

impl From<StatusError> for ChangeError {
    fn from(e: StatusError) -> Self {
        ChangeError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

type Result<T> = std::result::Result<T, ChangeError>;

fn require(principal: &Principal) -> Result<()> {
    principal
        .require(Action::ManageStatusPage)
        .map_err(ChangeError::Denied)
}

/// Reads a word of one of the core's sets (`major_outage`), naming the field when it is
/// none of them.
pub fn parse_word<T>(
    field: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> std::result::Result<T, StatusError> {
    parse(text.trim()).ok_or_else(|| StatusError {
        field: field.to_owned(),
        message: format!("{text:?} is not one of {}", expected()),
    })
}

/// A component as people describe it.
#[derive(Clone, Debug, Default)]
pub struct ComponentInput {
    pub name: String,
    pub description: String,
    pub group: String,
    pub position: Option<i64>,
    pub state: Option<ComponentState>,
    pub showcase: Option<bool>,
    pub only_show_if_degraded: Option<bool>,
    pub start_date: Option<String>,
    /// The service it shows, by id or name; empty: none; `None`: as it is.
    pub service: Option<String>,
}

/// The id of the service `text` names (id or name), naming `field` when there is none.
async fn service_id(state: &AppState, field: &str, text: &str) -> Result<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match state.engine.store().service(text).await? {
        Some(s) => Ok(Some(s.id)),
        None => Err(crate::schedules::invalid(
            field,
            format!("no service {text:?}"),
        )),
    }
}

/// The id of the internal incident `text` names (id or `INC-n`), naming `field` when there
/// is none.
pub async fn incident_id(state: &AppState, field: &str, text: &str) -> Result<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match state.engine.store().incident(text).await? {
        Some(i) => Ok(Some(i.id)),
        None => Err(crate::schedules::invalid(
            field,
            format!("no incident {text:?}"),
        )),
    }
}

/// Writes the event (and for components the audit entry) of a change and commits.
async fn finish(
    mut tx: WriteTx,
    principal: &Principal,
    now: i64,
    kind: &str,
    subject: &str,
    data: serde_json::Value,
    audited: bool,
) -> Result<()> {
    let (_, _, actor) = principal.actor_parts();
    tx.append_event(now, kind, subject, &actor, &data.to_string())
        .await?;
    if audited {
        tx.append_audit(&principal.audit(now, kind, subject, data))
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates a component (`id` `None`) or changes one; fields left out keep their value
/// (a new component: operational, shown, last in order).
pub async fn put_component(
    principal: &Principal,
    state: &AppState,
    id: Option<&str>,
    input: ComponentInput,
) -> Result<Component> {
    require(principal)?;
    let service = match &input.service {
        Some(text) => Some(service_id(state, "service_id", text).await?),
        None => None,
    };
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    let all = tx.lock_status_components().await?;
    let mut c = match id {
        Some(id) => all
            .iter()
            .find(|c| c.id == id || c.name == id)
            .cloned()
            .ok_or_else(|| ChangeError::NotFound(format!("component {id}")))?,
        None => Component {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: String::new(),
            description: String::new(),
            group: String::new(),
            position: all.iter().map(|c| c.position + 1).max().unwrap_or(1),
            state: ComponentState::Operational,
            showcase: true,
            only_show_if_degraded: false,
            start_date: None,
            service_id: None,
            created_at: now,
            updated_at: now,
        },
    };
    if let Some(service) = service {
        c.service_id = service;
    }
    c.name = core::check_name("name", &input.name)?;
    c.description = input.description.trim().to_owned();
    c.group = input.group.trim().to_owned();
    if c.group.chars().count() > core::MAX_NAME_CHARS {
        return Err(crate::schedules::invalid(
            "group",
            format!("at most {} characters", core::MAX_NAME_CHARS),
        ));
    }
    c.position = input.position.unwrap_or(c.position);
    c.state = input.state.unwrap_or(c.state);
    c.showcase = input.showcase.unwrap_or(c.showcase);
    c.only_show_if_degraded = input
        .only_show_if_degraded
        .unwrap_or(c.only_show_if_degraded);
    if let Some(day) = &input.start_date {
        c.start_date = core::check_start_date(day)?;
    }
    c.updated_at = now;
    if !tx.put_status_component(&c).await? {
        return Err(ChangeError::NameTaken(c.name));
    }
    let kind = if id.is_some() {
        "status_component.changed"
    } else {
        "status_component.created"
    };
    let data = json!({"name": c.name, "group": c.group, "state": c.state.as_str(),
                      "position": c.position, "service_id": c.service_id});
    finish(tx, principal, now, kind, &c.id, data, true).await?;
    Ok(c)
}

/// Removes a component (by id or name).
pub async fn delete_component(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    require(principal)?;
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    let all = tx.lock_status_components().await?;
    let c = all
        .iter()
        .find(|c| c.id == id || c.name == id)
        .ok_or_else(|| ChangeError::NotFound(format!("component {id}")))?;
    tx.delete_status_component(&c.id).await?;
    let data = json!({"name": c.name});
    finish(
        tx,
        principal,
        now,
        "status_component.deleted",
        &c.id,
        data,
        true,
    )
    .await
}

/// Opens an incident or schedules a maintenance, with its first update. An
/// `input.incident_id` names an internal incident by id or `INC-n` (refused, naming
/// `incident_id`, when there is none); the status incident keeps its id.
pub async fn open(
    principal: &Principal,
    state: &AppState,
    mut input: OpenInput,
) -> Result<(StatusIncident, Update)> {
    require(principal)?;
    if let Some(text) = input.incident_id.take() {
        input.incident_id = incident_id(state, "incident_id", &text).await?;
    }
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    let mut components = tx.lock_status_components().await?;
    let (incident, update, changed) = core::open(
        input,
        &mut components,
        uuid::Uuid::new_v4().simple().to_string(),
        uuid::Uuid::new_v4().simple().to_string(),
        now,
    )?;
    write_incident(
        &mut tx,
        principal,
        &incident,
        &update,
        &components,
        &changed,
    )
    .await?;
    subscribers::queue(&mut tx, state, &incident, &update, &components, now).await?;
    let kind = match incident.kind {
        Kind::Incident => "status_incident.opened",
        Kind::Maintenance => "status_maintenance.scheduled",
    };
    let data = event_data(&incident, &update);
    finish(tx, principal, now, kind, &incident.id, data, false).await?;
    Ok((incident, update))
}

/// Posts an update on an incident or a maintenance.
pub async fn post_update(
    principal: &Principal,
    state: &AppState,
    id: &str,
    input: UpdateInput,
) -> Result<(StatusIncident, Update)> {
    require(principal)?;
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    let mut components = tx.lock_status_components().await?;
    let mut incident = tx
        .lock_status_incident(id)
        .await?
        .ok_or_else(|| ChangeError::NotFound(format!("status incident {id}")))?;
    let (update, changed) = core::post_update(
        &mut incident,
        &mut components,
        input,
        uuid::Uuid::new_v4().simple().to_string(),
        now,
    )?;
    write_incident(
        &mut tx,
        principal,
        &incident,
        &update,
        &components,
        &changed,
    )
    .await?;
    subscribers::queue(&mut tx, state, &incident, &update, &components, now).await?;
    let data = event_data(&incident, &update);
    let kind = "status_incident.updated";
    finish(tx, principal, now, kind, &incident.id, data, false).await?;
    Ok((incident, update))
}

/// Writes a status incident and its new update, the components it changed, and, when it
/// tells of an internal incident, a `status_page_update` entry on that one's timeline.
async fn write_incident(
    tx: &mut WriteTx,
    principal: &Principal,
    incident: &StatusIncident,
    update: &Update,
    components: &[Component],
    changed: &[String],
) -> Result<()> {
    tx.save_status_incident(incident, update).await?;
    for c in components.iter().filter(|c| changed.contains(&c.id)) {
        tx.put_status_component(c).await?;
    }
    if let Some(internal) = &incident.incident_id {
        let (_, _, actor) = principal.actor_parts();
        tx.note_status_page_update(
            internal,
            (&incident.id, &incident.name),
            update,
            &actor,
            update.created_at,
        )
        .await?;
    }
    Ok(())
}

fn event_data(incident: &StatusIncident, update: &Update) -> serde_json::Value {
    json!({
        "name": incident.name,
        "kind": incident.kind.as_str(),
        "status": update.progress.as_str(),
        "impact": incident.impact.as_str(),
        "incident_id": incident.incident_id,
        "update": update.id,
        "components": update.affected.iter().map(|a| json!({
            "id": a.component_id, "old_status": a.old_state.as_str(),
            "new_status": a.new_state.as_str()})).collect::<Vec<_>>(),
    })
}

/// What the page shows at `now`: every component, and the incidents and maintenances of
/// the history window together with every one still open.
#[derive(Debug)]
pub struct Snapshot {
    pub components: Vec<Component>,
    /// Newest first.
    pub incidents: Vec<StatusIncident>,
    pub now: i64,
}

impl Snapshot {
    /// Loads the page at the engine's `now`; `full` reaches back without limit instead of
    /// over the history window.
    pub async fn load(state: &AppState, full: bool) -> std::result::Result<Snapshot, StoreError> {
        let now = state.engine.now();
        let store = state.engine.store();
        let since = if full { 0 } else { now - HISTORY_DAYS * DAY_MS };
        Ok(Snapshot {
            components: store.status_components().await?,
            incidents: store.status_incidents(since).await?,
            now,
        })
    }

    pub fn status(&self) -> core::PageStatus {
        core::page_status(&self.components, &self.incidents, self.now)
    }

    /// A component's state as shown now.
    pub fn shown(&self, c: &Component) -> ComponentState {
        core::shown_state(c, &self.incidents, self.now)
    }

    /// Incidents (not maintenances), newest first.
    pub fn incidents(&self) -> impl Iterator<Item = &StatusIncident> {
        self.incidents.iter().filter(|i| i.kind == Kind::Incident)
    }

    /// Maintenances, newest first.
    pub fn maintenances(&self) -> impl Iterator<Item = &StatusIncident> {
        self.incidents
            .iter()
            .filter(|i| i.kind == Kind::Maintenance)
    }

    /// The incidents not resolved.
    pub fn unresolved(&self) -> impl Iterator<Item = &StatusIncident> {
        self.incidents().filter(|i| !i.is_closed_at(self.now))
    }

    pub fn upcoming(&self) -> impl Iterator<Item = &StatusIncident> {
        self.maintenances().filter(|i| i.is_upcoming_at(self.now))
    }

    pub fn active(&self) -> impl Iterator<Item = &StatusIncident> {
        self.maintenances()
            .filter(|i| i.is_active_maintenance_at(self.now))
    }

    /// The page's last change: the latest of its components' and incidents' changes (now,
    /// for a page with neither).
    pub fn updated_at(&self) -> i64 {
        self.components
            .iter()
            .map(|c| c.updated_at)
            .chain(self.incidents.iter().map(|i| i.updated_at))
            .max()
            .unwrap_or(self.now)
    }
}
