//! An incident's team and checklist through the API: the configured roles
//! (`/api/v1/incident-roles`), who holds which role on an incident (assigning pages the
//! person), the external contacts catalogue, and the checklist copied from the playbooks
//! with its checks and assignments. Every change goes through `crate::incidents`, as the
//! console's do.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_core::Locale;
use hinomi_engine::{RoleGiven, RoleInput, Told};
use hinomi_store::{ChecklistItemRecord, ExternalContactRecord, Holder, RoleAssignmentRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{JsonBody, QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::incidents::{self, ContactInput, ItemInput};

/// A role of the response team, as configured (`[[incidents.roles]]`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDefOut {
    key: String,
    name_ja: String,
    name_en: String,
    /// `core` or `support`.
    group: String,
    description_ja: String,
    description_en: String,
    /// The role in command: one holder; the declarer's unless another is named.
    lead: bool,
}

/// List the configured incident roles, in order.
#[utoipa::path(get, path = "/api/v1/incident-roles", tag = "incidents",
    responses((status = 200, body = Vec<RoleDefOut>)))]
pub async fn configured_roles(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<RoleDefOut>>, ApiError> {
    principal.require(Action::Read)?;
    Ok(Json(
        state
            .incidents
            .roles()
            .all()
            .iter()
            .map(|r| RoleDefOut {
                key: r.key.clone(),
                name_ja: r.name_ja.clone(),
                name_en: r.name_en.clone(),
                group: r.group.as_str().to_owned(),
                description_ja: r.description_ja.clone(),
                description_en: r.description_en.clone(),
                lead: r.lead,
            })
            .collect(),
    ))
}

/// A role to give: to a user, or to an external contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    /// A configured role's key (`incident_manager`).
    role: String,
    /// A username or user id.
    user: Option<String>,
    /// An external contact's id.
    contact: Option<String>,
}

impl RoleIn {
    pub(super) fn input(self) -> RoleInput {
        RoleInput {
            role: self.role,
            user: self.user,
            contact: self.contact,
        }
    }
}

/// A role held (or once held) on an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentOut {
    id: i64,
    role: String,
    /// The role's names; null for a role no longer configured.
    role_name_ja: Option<String>,
    role_name_en: Option<String>,
    /// `core` or `support`.
    group: Option<String>,
    /// `user` or `contact`.
    holder_kind: String,
    holder_id: String,
    /// The user's username, or the contact's name and organisation.
    holder: String,
    assigned_at: String,
    assigned_by: String,
    unassigned_at: Option<String>,
    unassigned_by: Option<String>,
}

/// Names of users and external contacts, for answers.
pub(crate) struct Names {
    users: Vec<(String, String)>,
    contacts: Vec<ExternalContactRecord>,
}

impl Names {
    pub(crate) async fn load(state: &AppState) -> Result<Names, ApiError> {
        let store = state.engine.store();
        let users = store
            .paging_people()
            .await?
            .users
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        Ok(Names {
            users,
            contacts: store.external_contacts().await?,
        })
    }

    /// A holder's name: the user's username, the contact's name and organisation, else the
    /// id.
    pub(crate) fn of(&self, holder: &Holder) -> String {
        match holder {
            Holder::User(id) => self
                .users
                .iter()
                .find(|(u, _)| u == id)
                .map_or_else(|| id.clone(), |(_, n)| n.clone()),
            Holder::Contact(id) => self
                .contacts
                .iter()
                .find(|c| &c.id == id)
                .map_or_else(|| id.clone(), ExternalContactRecord::label),
        }
    }

    /// A user's username, else the id.
    pub(crate) fn user(&self, id: &str) -> String {
        self.of(&Holder::User(id.to_owned()))
    }
}

fn assignment_out(state: &AppState, names: &Names, a: RoleAssignmentRecord) -> AssignmentOut {
    let role = state.incidents.roles().get(&a.role);
    let (kind, id) = match &a.holder {
        Holder::User(id) => ("user", id.clone()),
        Holder::Contact(id) => ("contact", id.clone()),
    };
    AssignmentOut {
        id: a.id,
        role_name_ja: role.map(|r| r.name(Locale::Ja).to_owned()),
        role_name_en: role.map(|r| r.name(Locale::En).to_owned()),
        group: role.map(|r| r.group.as_str().to_owned()),
        holder: names.of(&a.holder),
        holder_kind: kind.to_owned(),
        holder_id: id,
        assigned_at: time(a.assigned_at),
        assigned_by: a.assigned_by,
        unassigned_at: a.unassigned_at.map(time),
        unassigned_by: a.unassigned_by,
        role: a.role,
    }
}

/// Which assignments.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RolesFilter {
    /// `true`: those handed on too.
    past: Option<bool>,
}

/// List the roles held on an incident (with `past=true`, those handed on too).
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/roles", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"), RolesFilter),
    responses((status = 200, body = Vec<AssignmentOut>), (status = 404, body = super::ErrorBody)))]
pub async fn roles(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    QueryArgs(filter): QueryArgs<RolesFilter>,
) -> Result<Json<Vec<AssignmentOut>>, ApiError> {
    let (_, held) =
        incidents::roles(&principal, &state, &incident, filter.past.unwrap_or(false)).await?;
    let names = Names::load(&state).await?;
    Ok(Json(
        held.into_iter()
            .map(|a| assignment_out(&state, &names, a))
            .collect(),
    ))
}

/// A role given, and what was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct GivenOut {
    assignment: AssignmentOut,
    /// The assignments the new one ended (the lead role has one holder).
    replaced: Vec<AssignmentOut>,
    /// Messages written to the holder (one per notification rule, or the contact's email).
    messages: usize,
    /// Why none: `no_rules`, `unverified` (the person's rules), `no_email` (a contact).
    not_sent: Option<String>,
}

pub(super) fn given_out(state: &AppState, names: &Names, g: RoleGiven) -> GivenOut {
    let (messages, not_sent) = match g.told {
        Told::Messages(n) => (n, None),
        Told::Unreachable(why) => (
            0,
            Some(
                match why {
                    hinomi_core::escalation::Unreachable::NoRules => "no_rules",
                    hinomi_core::escalation::Unreachable::Unverified => "unverified",
                }
                .to_owned(),
            ),
        ),
        Told::NoEmail => (0, Some("no_email".to_owned())),
    };
    GivenOut {
        assignment: assignment_out(state, names, g.assignment),
        replaced: g
            .replaced
            .into_iter()
            .map(|a| assignment_out(state, names, a))
            .collect(),
        messages,
        not_sent,
    }
}

/// Give a role on an incident to a user (paged through their notification rules) or an
/// external contact (written to at their email). The lead role has one holder: giving it
/// ends the previous holder's.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/roles", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")), request_body = RoleIn,
    responses((status = 201, body = GivenOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn assign(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<RoleIn>,
) -> Result<(StatusCode, Json<GivenOut>), ApiError> {
    let given = incidents::assign_role(&principal, &state, &incident, &body.input()).await?;
    let names = Names::load(&state).await?;
    Ok((StatusCode::CREATED, Json(given_out(&state, &names, given))))
}

/// Take a role back; the messages of the assignment not yet sent are cancelled.
#[utoipa::path(delete, path = "/api/v1/incidents/{incident}/roles/{assignment}",
    tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"),
           ("assignment" = i64, Path, description = "The assignment's id")),
    responses((status = 200, body = AssignmentOut), (status = 404, body = super::ErrorBody)))]
pub async fn unassign(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, assignment)): Path<(String, String)>,
) -> Result<Json<AssignmentOut>, ApiError> {
    principal.require(Action::RespondToIncidents)?;
    let id: i64 = assignment
        .parse()
        .map_err(|_| ApiError::not_found(format!("role assignment {assignment}")))?;
    let done = incidents::unassign_role(&principal, &state, &incident, id).await?;
    let names = Names::load(&state).await?;
    Ok(Json(assignment_out(&state, &names, done)))
}

// ---- external contacts ------------------------------------------------------------------

/// A person outside the company who may hold a role.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    id: String,
    name: String,
    organisation: String,
    email: Option<String>,
    phone: Option<String>,
    /// `ja` or `en`.
    language: String,
    created_by: String,
    created_at: String,
}

fn contact_out(c: ExternalContactRecord) -> ContactOut {
    ContactOut {
        id: c.id,
        name: c.name,
        organisation: c.organisation,
        email: c.email,
        phone: c.phone,
        language: c.locale,
        created_by: c.created_by,
        created_at: time(c.created_at),
    }
}

/// List external contacts.
#[utoipa::path(get, path = "/api/v1/external-contacts", tag = "incidents",
    responses((status = 200, body = Vec<ContactOut>)))]
pub async fn list_contacts(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<ContactOut>>, ApiError> {
    let list = incidents::external_contacts(&principal, &state).await?;
    Ok(Json(list.into_iter().map(contact_out).collect()))
}

/// An external contact: an email address and/or a phone number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    name: String,
    organisation: String,
    email: Option<String>,
    /// E.164 (`+81...`).
    phone: Option<String>,
    /// `ja` (default) or `en`: the language they are written to in.
    language: Option<String>,
}

/// Add an external contact (responders and above).
#[utoipa::path(post, path = "/api/v1/external-contacts", tag = "incidents",
    request_body = ContactIn,
    responses((status = 201, body = ContactOut), (status = 400, body = super::ErrorBody)))]
pub async fn add_contact(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ContactIn>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let input = ContactInput {
        name: body.name,
        organisation: body.organisation,
        email: body.email,
        phone: body.phone,
        language: body.language,
    };
    let c = incidents::add_external_contact(&principal, &state, &input).await?;
    Ok((StatusCode::CREATED, Json(contact_out(c))))
}

/// Remove an external contact who holds no role now.
#[utoipa::path(delete, path = "/api/v1/external-contacts/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 204), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn delete_contact(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    incidents::delete_external_contact(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- checklist ------------------------------------------------------------------------------

/// A checklist item on an incident, copied from a playbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    id: i64,
    playbook: String,
    playbook_name_ja: String,
    playbook_name_en: String,
    /// The phase's position in its playbook.
    phase: i64,
    phase_name_ja: String,
    phase_name_en: String,
    text_ja: String,
    text_en: String,
    /// The role it is for (key).
    role: Option<String>,
    /// The user it was given to (username).
    assignee: Option<String>,
    due_at: String,
    /// Unchecked after its due time.
    overdue: bool,
    checked_at: Option<String>,
    checked_by: Option<String>,
}

pub(super) fn item_out(names: &Names, i: ChecklistItemRecord, now: i64) -> ItemOut {
    ItemOut {
        id: i.id,
        overdue: i.checked_at.is_none() && i.due_at <= now,
        assignee: i.assignee.as_deref().map(|u| names.user(u)),
        playbook: i.playbook,
        playbook_name_ja: i.playbook_name_ja,
        playbook_name_en: i.playbook_name_en,
        phase: i.phase,
        phase_name_ja: i.phase_name_ja,
        phase_name_en: i.phase_name_en,
        text_ja: i.text_ja,
        text_en: i.text_en,
        role: i.role,
        due_at: time(i.due_at),
        checked_at: i.checked_at.map(time),
        checked_by: i.checked_by,
    }
}

/// An incident's checklist, by playbook, phase and position.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/checklist", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = Vec<ItemOut>), (status = 404, body = super::ErrorBody)))]
pub async fn checklist(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<Vec<ItemOut>>, ApiError> {
    let (_, items) = incidents::checklist(&principal, &state, &incident).await?;
    let names = Names::load(&state).await?;
    let now = state.engine.now();
    Ok(Json(
        items
            .into_iter()
            .map(|i| item_out(&names, i, now))
            .collect(),
    ))
}

/// A change to a checklist item; absent fields change nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemIn {
    checked: Option<bool>,
    /// A role's key; empty clears it.
    role: Option<String>,
    /// A username or id; empty clears it.
    user: Option<String>,
}

/// Check or uncheck a checklist item, or give it to a role or a person; each change is a
/// `checklist_item` timeline entry.
#[utoipa::path(patch, path = "/api/v1/incidents/{incident}/checklist/{item}", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"),
           ("item" = i64, Path, description = "The item's id")),
    request_body = ItemIn,
    responses((status = 200, body = ItemOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn change_item(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, item)): Path<(String, String)>,
    JsonBody(body): JsonBody<ItemIn>,
) -> Result<Json<ItemOut>, ApiError> {
    principal.require(Action::RespondToIncidents)?;
    let item: i64 = item
        .parse()
        .map_err(|_| ApiError::not_found(format!("checklist item {item}")))?;
    let input = ItemInput {
        checked: body.checked,
        role: body.role,
        user: body.user,
    };
    let done = incidents::change_item(&principal, &state, &incident, item, &input).await?;
    let names = Names::load(&state).await?;
    Ok(Json(item_out(&names, done, state.engine.now())))
}
