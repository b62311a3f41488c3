//! After an incident, under `/api/v1/incidents/{incident}`: the recovery checks and the
//! business-impact record (`/recovery`), the postmortem drafted from the record, its
//! sections edited and its export as Markdown (`/postmortem`, `/postmortem.md`), and the
//! action items (`/action-items`, and across incidents `/api/v1/action-items`). Everyone
//! may read; responders write. Every change goes through `crate::incidents` and
//! `crate::postmortems`, as the console's do.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_store::{ActionItemRecord, PostmortemRecord, RecoveryRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{JsonBody, QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::incidents::{self, ImpactRecordInput};
use crate::postmortems::{self, ActionItemChange, ActionItemInput};

/// A recovery check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOut {
    /// `performance`, `functions`, `data_integrity` or `access`.
    check: String,
    /// `not_checked`, `ok`, `degraded` or `failed`.
    state: String,
    note: String,
    checked_by: Option<String>,
    checked_at: Option<String>,
}

/// What the incident did to the business, as recorded after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactRecordOut {
    data_loss: String,
    business_delay: String,
    customers_handled: String,
    customers_handled_count: Option<i64>,
    updated_by: Option<String>,
    updated_at: Option<String>,
}

/// An incident's recovery checks and impact record, with the downtime computed from its
/// milestones (seconds; from the start to the mitigation, else the resolution).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryOut {
    checks: Vec<CheckOut>,
    impact_record: ImpactRecordOut,
    downtime: Option<i64>,
    downtime_ongoing: bool,
}

fn recovery_out(
    r: RecoveryRecord,
    incident: &hinomi_store::IncidentRecord,
    now: i64,
) -> RecoveryOut {
    let downtime = incident.milestones.durations(now).downtime;
    RecoveryOut {
        checks: r
            .checks
            .into_iter()
            .map(|c| CheckOut {
                check: c.check.as_str().to_owned(),
                state: c.state.as_str().to_owned(),
                note: c.note,
                checked_by: c.checked_by,
                checked_at: c.checked_at.map(time),
            })
            .collect(),
        impact_record: ImpactRecordOut {
            data_loss: r.impact.data_loss,
            business_delay: r.impact.business_delay,
            customers_handled: r.impact.customers_handled,
            customers_handled_count: r.impact.customers_handled_count,
            updated_by: r.impact_updated_by,
            updated_at: r.impact_updated_at.map(time),
        },
        downtime: downtime.map(|s| s.ms / 1000),
        downtime_ongoing: downtime.is_some_and(|s| s.ongoing),
    }
}

async fn recovery_answer(
    principal: &Principal,
    state: &AppState,
    incident: &str,
) -> Result<Json<RecoveryOut>, ApiError> {
    let (i, r) = incidents::recovery(principal, state, incident).await?;
    Ok(Json(recovery_out(r, &i, state.engine.now())))
}

/// An incident's recovery checks and business-impact record.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/recovery", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = RecoveryOut), (status = 404, body = super::ErrorBody)))]
pub async fn recovery(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<RecoveryOut>, ApiError> {
    recovery_answer(&principal, &state, &incident).await
}

/// What a check found.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// `not_checked`, `ok`, `degraded` or `failed`.
    state: String,
    #[serde(default)]
    note: String,
}

/// Record a recovery check; the timeline says who checked and when.
#[utoipa::path(put, path = "/api/v1/incidents/{incident}/recovery/checks/{check}",
    tag = "incidents", request_body = CheckIn,
    params(("incident" = String, Path, description = "Id or reference"),
           ("check" = String, Path, description = "performance, functions, data_integrity or access")),
    responses((status = 200, body = RecoveryOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn put_check(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, check)): Path<(String, String)>,
    JsonBody(body): JsonBody<CheckIn>,
) -> Result<Json<RecoveryOut>, ApiError> {
    incidents::set_recovery_check(
        &principal,
        &state,
        &incident,
        &check,
        &body.state,
        &body.note,
    )
    .await?;
    recovery_answer(&principal, &state, &incident).await
}

/// The business-impact record, given whole; the downtime is not part of it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactRecordIn {
    #[serde(default)]
    data_loss: String,
    #[serde(default)]
    business_delay: String,
    #[serde(default)]
    customers_handled: String,
    customers_handled_count: Option<i64>,
}

/// Replace the business-impact record.
#[utoipa::path(put, path = "/api/v1/incidents/{incident}/recovery/impact-record",
    tag = "incidents", request_body = ImpactRecordIn,
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = RecoveryOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn put_impact_record(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<ImpactRecordIn>,
) -> Result<Json<RecoveryOut>, ApiError> {
    let input = ImpactRecordInput {
        data_loss: body.data_loss,
        business_delay: body.business_delay,
        customers_handled: body.customers_handled,
        customers_handled_count: body.customers_handled_count,
    };
    incidents::set_impact_record(&principal, &state, &incident, &input).await?;
    recovery_answer(&principal, &state, &incident).await
}

// ---- postmortem ---------------------------------------------------------------------------

/// A postmortem section.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionOut {
    /// `overview`, `problem_and_impact`, `response`, `causes`, `emergency_measures`,
    /// `results`, `lessons`, `improvements`, `prevention` or `next_steps`.
    section: String,
    /// The heading in the postmortem's language.
    heading: String,
    /// Markdown.
    body: String,
    /// Set once a person edited it; a new draft keeps it.
    edited_by: Option<String>,
    edited_at: Option<String>,
}

/// An incident's postmortem.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostmortemOut {
    /// `INC-42`.
    incident: String,
    /// `ja` or `en`.
    language: String,
    /// The IANA zone its times are written in.
    time_zone: String,
    drafted_by: String,
    drafted_at: String,
    updated_at: String,
    sections: Vec<SectionOut>,
    /// The sections a new draft kept because people had edited them (only in a draft's
    /// answer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kept: Vec<String>,
}

fn postmortem_out(reference: String, pm: PostmortemRecord, kept: Vec<String>) -> PostmortemOut {
    let language = pm.language;
    PostmortemOut {
        incident: reference,
        language: language.tag().to_owned(),
        time_zone: pm.time_zone,
        drafted_by: pm.drafted_by,
        drafted_at: time(pm.drafted_at),
        updated_at: time(pm.updated_at),
        sections: pm
            .sections
            .into_iter()
            .map(|s| SectionOut {
                section: s.section.as_str().to_owned(),
                heading: s.section.heading(language).to_owned(),
                body: s.body,
                edited_by: s.edited_by,
                edited_at: s.edited_at.map(time),
            })
            .collect(),
        kept,
    }
}

/// An incident's postmortem (404 until drafted).
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/postmortem", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = PostmortemOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_postmortem(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<PostmortemOut>, ApiError> {
    let (i, pm) = postmortems::postmortem(&principal, &state, &incident).await?;
    let pm = pm.ok_or_else(|| ApiError::not_found(format!("postmortem of {}", i.reference())))?;
    Ok(Json(postmortem_out(i.reference(), pm, Vec::new())))
}

/// A request for a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    /// `ja` or `en`: the language of the headings and the drafted text.
    language: String,
    /// IANA zone for the times (default: the caller's, else UTC).
    time_zone: Option<String>,
    /// Also redraft the sections people edited (default false: they are kept).
    #[serde(default)]
    replace_edited: bool,
}

/// Draft the postmortem from the incident's record, or draft it again: sections people
/// edited are kept (listed in `kept`) unless `replace_edited`.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/postmortem", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")), request_body = DraftIn,
    responses((status = 200, body = PostmortemOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn draft_postmortem(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<DraftIn>,
) -> Result<Json<PostmortemOut>, ApiError> {
    let (pm, kept) = postmortems::draft(
        &principal,
        &state,
        &incident,
        &body.language,
        body.time_zone.as_deref(),
        body.replace_edited,
    )
    .await?;
    let i = incidents::incident(&principal, &state, &incident).await?;
    let kept = kept.iter().map(|s| s.as_str().to_owned()).collect();
    Ok(Json(postmortem_out(i.reference(), pm, kept)))
}

/// A section's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionIn {
    /// Markdown.
    body: String,
}

/// Replace one section's text; a new draft keeps it.
#[utoipa::path(put, path = "/api/v1/incidents/{incident}/postmortem/sections/{section}",
    tag = "incidents", request_body = SectionIn,
    params(("incident" = String, Path, description = "Id or reference"),
           ("section" = String, Path, description = "overview, problem_and_impact, response, causes, emergency_measures, results, lessons, improvements, prevention or next_steps")),
    responses((status = 200, body = PostmortemOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn put_section(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, section)): Path<(String, String)>,
    JsonBody(body): JsonBody<SectionIn>,
) -> Result<Json<PostmortemOut>, ApiError> {
    let pm = postmortems::edit_section(&principal, &state, &incident, &section, &body.body).await?;
    let i = incidents::incident(&principal, &state, &incident).await?;
    Ok(Json(postmortem_out(i.reference(), pm, Vec::new())))
}

/// Export the postmortem as Markdown.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/postmortem.md", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, content_type = "text/markdown", description = "The postmortem"),
              (status = 404, body = super::ErrorBody)))]
pub async fn postmortem_md(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Response, ApiError> {
    let (i, _, md) = postmortems::markdown(&principal, &state, &incident).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-postmortem.md\"", i.reference()),
            ),
        ],
        md,
    )
        .into_response())
}

// ---- action items -------------------------------------------------------------------------

/// An action item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItemOut {
    id: String,
    /// The incident's reference, `INC-42`.
    incident: String,
    /// `system`, `operations`, `process` or `communication`.
    category: String,
    /// `short` or `long`.
    horizon: String,
    title: String,
    /// The owner's username.
    owner: Option<String>,
    /// `2024-12-20`.
    due: Option<String>,
    /// `open`, `in_progress`, `done` or `cancelled`.
    status: String,
    ticket_url: Option<String>,
    /// `manual`, or the postmortem section it was taken from.
    source: String,
    created_by: String,
    created_at: String,
    updated_at: String,
}

fn item_out(i: ActionItemRecord) -> ActionItemOut {
    ActionItemOut {
        id: i.id,
        incident: format!("INC-{}", i.incident_number),
        category: i.category.as_str().to_owned(),
        horizon: i.horizon.as_str().to_owned(),
        title: i.title,
        owner: i.owner,
        due: i.due.map(|d| d.to_string()),
        status: i.status.as_str().to_owned(),
        ticket_url: i.ticket_url,
        source: i.source,
        created_by: i.created_by,
        created_at: time(i.created_at),
        updated_at: time(i.updated_at),
    }
}

/// An incident's action items, in the order they were added.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/action-items", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = Vec<ActionItemOut>), (status = 404, body = super::ErrorBody)))]
pub async fn incident_items(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<Vec<ActionItemOut>>, ApiError> {
    let (_, items) = postmortems::incident_items(&principal, &state, &incident).await?;
    Ok(Json(items.into_iter().map(item_out).collect()))
}

/// A new action item, or (with `from_section`) the items a postmortem section lists.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemIn {
    category: String,
    horizon: String,
    /// Required unless `from_section` is given.
    #[serde(default)]
    title: String,
    /// A username or user id.
    owner: Option<String>,
    /// `2024-12-20`.
    due: Option<String>,
    ticket_url: Option<String>,
    /// A postmortem section whose list items become open items of this category and
    /// horizon (those the incident has already are skipped); `title`, `owner`, `due` and
    /// `ticket_url` are then not taken.
    from_section: Option<String>,
}

/// Add an action item, or take a postmortem section's list items as action items. Answers
/// the items added.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/action-items", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    request_body = ActionItemIn,
    responses((status = 201, body = Vec<ActionItemOut>), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn add_items(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<ActionItemIn>,
) -> Result<(StatusCode, Json<Vec<ActionItemOut>>), ApiError> {
    let added = match body.from_section.as_deref() {
        Some(section) => {
            postmortems::items_from_postmortem(
                &principal,
                &state,
                &incident,
                section,
                &body.category,
                &body.horizon,
            )
            .await?
        }
        None => {
            let input = ActionItemInput {
                category: body.category,
                horizon: body.horizon,
                title: body.title,
                owner: body.owner,
                due: body.due,
                ticket_url: body.ticket_url,
            };
            vec![postmortems::add_action_item(&principal, &state, &incident, &input).await?]
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(added.into_iter().map(item_out).collect()),
    ))
}

/// Which action items.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    /// `open` (default: open and in progress) or `all`.
    status: Option<String>,
    /// Only this owner's (a username or id).
    owner: Option<String>,
}

/// Action items across incidents, by due date (undated last).
#[utoipa::path(get, path = "/api/v1/action-items", tag = "incidents", params(ItemFilter),
    responses((status = 200, body = Vec<ActionItemOut>), (status = 400, body = super::ErrorBody)))]
pub async fn list_items(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<ItemFilter>,
) -> Result<Json<Vec<ActionItemOut>>, ApiError> {
    let open_only = match filter.status.as_deref().unwrap_or("open") {
        "open" => true,
        "all" => false,
        other => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "status",
                format!("status: {other:?} is not open or all"),
            ));
        }
    };
    let items =
        postmortems::all_items(&principal, &state, open_only, filter.owner.as_deref()).await?;
    Ok(Json(items.into_iter().map(item_out).collect()))
}

/// One action item.
#[utoipa::path(get, path = "/api/v1/action-items/{item}", tag = "incidents",
    params(("item" = String, Path, description = "The item's id")),
    responses((status = 200, body = ActionItemOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_item(
    principal: Principal,
    State(state): State<AppState>,
    Path(item): Path<String>,
) -> Result<Json<ActionItemOut>, ApiError> {
    Ok(Json(item_out(
        postmortems::action_item(&principal, &state, &item).await?,
    )))
}

/// Changes to an action item: absent fields change nothing; an empty `owner`, `due` or
/// `ticket_url` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemPatchIn {
    category: Option<String>,
    horizon: Option<String>,
    title: Option<String>,
    owner: Option<String>,
    due: Option<String>,
    /// `open`, `in_progress`, `done` or `cancelled`.
    status: Option<String>,
    ticket_url: Option<String>,
}

/// Change an action item.
#[utoipa::path(patch, path = "/api/v1/action-items/{item}", tag = "incidents",
    params(("item" = String, Path, description = "The item's id")),
    request_body = ActionItemPatchIn,
    responses((status = 200, body = ActionItemOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn patch_item(
    principal: Principal,
    State(state): State<AppState>,
    Path(item): Path<String>,
    JsonBody(body): JsonBody<ActionItemPatchIn>,
) -> Result<Json<ActionItemOut>, ApiError> {
    let change = ActionItemChange {
        category: body.category,
        horizon: body.horizon,
        title: body.title,
        owner: body.owner,
        due: body.due,
        status: body.status,
        ticket_url: body.ticket_url,
    };
    Ok(Json(item_out(
        postmortems::update_action_item(&principal, &state, &item, &change).await?,
    )))
}
