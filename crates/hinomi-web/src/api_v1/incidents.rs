//! `/api/v1/incidents` and `/api/v1/services`: declaring incidents (also from an alert
//! group), their status, severity, impact, summary and milestones, their timeline with
//! people's entries and corrections, its export as JSON or CSV, and the service catalogue.
//! Everyone may read them; responders declare and write; admins keep the catalogue. Every
//! change goes through `crate::incidents`, as the console's do.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::Action;
use hinomi_core::incident::{Severity, SeverityPolicy, Status, Suggestion};
use hinomi_store::{IncidentQuery, IncidentRecord, ServiceRecord, TimelineRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{JsonBody, QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::incidents::{self, DeclareInput, ImpactInput, PatchInput};

/// What an incident does to the business, as far as anyone knows.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactIo {
    people_affected: Option<i64>,
    /// Whole units of `currency` a day.
    revenue_per_day: Option<i64>,
    /// ISO 4217 (`JPY`); required with `revenue_per_day`.
    currency: Option<String>,
    customers_affected: Option<i64>,
    /// `low`, `medium`, `high` or `critical`.
    reputational_risk: Option<String>,
}

impl ImpactIo {
    fn input(self) -> ImpactInput {
        ImpactInput {
            people_affected: self.people_affected,
            revenue_per_day: self.revenue_per_day,
            currency: self.currency,
            customers_affected: self.customers_affected,
            reputational_risk: self.reputational_risk,
        }
    }
}

/// The severity the impact suggests, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionOut {
    severity: String,
    /// The rule's position in the `[incidents]` rules.
    rule: usize,
    /// The impact field whose value met the rule: `people_affected`, ...
    field: String,
    at_least: String,
    value: String,
}

fn suggestion_out(s: &Suggestion) -> SuggestionOut {
    let (at_least, value) = s.condition.threshold_and_value();
    SuggestionOut {
        severity: s.severity.as_str().to_owned(),
        rule: s.rule,
        field: s.condition.field().to_owned(),
        at_least,
        value,
    }
}

/// Derived from the milestones, in seconds; null where a milestone is missing. Each
/// "time to" counts from the start (else the detection); the downtime runs from the start
/// to the mitigation (else the resolution), and up to now while neither is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct DurationsOut {
    time_to_detect: Option<i64>,
    time_to_declare: Option<i64>,
    time_to_acknowledge: Option<i64>,
    time_to_mitigate: Option<i64>,
    time_to_resolve: Option<i64>,
    downtime: Option<i64>,
    downtime_ongoing: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRef {
    id: String,
    name: String,
}

/// An incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    id: String,
    /// `INC-42`.
    reference: String,
    title: String,
    summary: String,
    /// `SEV1` (worst) .. `SEV4`.
    severity: String,
    /// The installation's name for the severity.
    severity_name: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    status: String,
    impact: ImpactIo,
    /// What the rules suggest for the impact now; null when no rule fires.
    suggested_severity: Option<SuggestionOut>,
    /// RFC 3339 or null: `started`, `detected`, `declared`, `acknowledged`, `mitigated`,
    /// `resolved`.
    milestones: BTreeMap<String, Option<String>>,
    durations: DurationsOut,
    services: Vec<ServiceRef>,
    /// Group keys of the alert groups linked to it.
    alert_groups: Vec<String>,
    declared_by: String,
    updated_at: String,
}

fn incident_out(i: IncidentRecord, policy: &SeverityPolicy, now: i64) -> IncidentOut {
    let d = i.milestones.durations(now);
    let secs = |v: Option<i64>| v.map(|ms| ms / 1000);
    IncidentOut {
        reference: i.reference(),
        severity: i.severity.as_str().to_owned(),
        severity_name: policy.level(i.severity).name.clone(),
        status: i.status.as_str().to_owned(),
        suggested_severity: policy.suggest(&i.impact).as_ref().map(suggestion_out),
        impact: ImpactIo {
            people_affected: i.impact.people_affected,
            revenue_per_day: i.impact.revenue_per_day.map(|m| m.amount),
            currency: i.impact.revenue_per_day.map(|m| m.currency.to_string()),
            customers_affected: i.impact.customers_affected,
            reputational_risk: i.impact.reputational_risk.map(|r| r.as_str().to_owned()),
        },
        milestones: i
            .milestones
            .iter()
            .map(|(m, at)| (m.as_str().to_owned(), at.map(time)))
            .collect(),
        durations: DurationsOut {
            time_to_detect: secs(d.time_to_detect),
            time_to_declare: secs(d.time_to_declare),
            time_to_acknowledge: secs(d.time_to_acknowledge),
            time_to_mitigate: secs(d.time_to_mitigate),
            time_to_resolve: secs(d.time_to_resolve),
            downtime: d.downtime.map(|s| s.ms / 1000),
            downtime_ongoing: d.downtime.is_some_and(|s| s.ongoing),
        },
        services: i
            .services
            .into_iter()
            .map(|(id, name)| ServiceRef { id, name })
            .collect(),
        alert_groups: i.alert_groups,
        declared_by: i.declared_by,
        updated_at: time(i.updated_at),
        id: i.id,
        title: i.title,
        summary: i.summary,
    }
}

fn out(state: &AppState, i: IncidentRecord) -> IncidentOut {
    incident_out(i, &state.incidents, state.engine.now())
}

/// Which incidents to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    status: Option<String>,
    /// `SEV1` .. `SEV4`.
    severity: Option<String>,
    /// A service's id or name.
    service: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

pub(super) fn invalid(e: hinomi_core::incident::FieldError) -> ApiError {
    ApiError::from(incidents::IncidentError::from(e))
}

/// List incidents, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentFilter),
    responses((status = 200, body = Vec<IncidentOut>), (status = 400, body = super::ErrorBody)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<IncidentFilter>,
) -> Result<Json<Vec<IncidentOut>>, ApiError> {
    principal.require(Action::Read)?;
    let q = IncidentQuery {
        status: filter
            .status
            .as_deref()
            .map(Status::parse)
            .transpose()
            .map_err(invalid)?,
        severity: filter
            .severity
            .as_deref()
            .map(Severity::parse)
            .transpose()
            .map_err(invalid)?,
        service: filter.service,
        limit: filter.limit.unwrap_or(100),
    };
    let list = state.engine.store().incidents(&q).await?;
    Ok(Json(list.into_iter().map(|i| out(&state, i)).collect()))
}

/// A declaration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareIn {
    title: String,
    #[serde(default)]
    summary: String,
    /// `SEV1` .. `SEV4`; absent: the severity the impact suggests (refused when no rule
    /// fires).
    severity: Option<String>,
    #[serde(default)]
    impact: ImpactIo,
    /// Service ids or names.
    #[serde(default)]
    services: Vec<String>,
    /// Group keys; started and detected default to their first alert's `startsAt`.
    #[serde(default)]
    alert_groups: Vec<String>,
    /// RFC 3339.
    started_at: Option<String>,
    detected_at: Option<String>,
    acknowledged_at: Option<String>,
    /// The team, paged at once; the declarer holds the lead role (`incident_manager`)
    /// unless it is given here.
    #[serde(default)]
    roles: Vec<super::incident_team::RoleIn>,
}

impl DeclareIn {
    fn input(self) -> DeclareInput {
        DeclareInput {
            title: self.title,
            summary: self.summary,
            severity: self.severity,
            impact: self.impact.input(),
            services: self.services,
            alert_groups: self.alert_groups,
            started_at: self.started_at,
            detected_at: self.detected_at,
            acknowledged_at: self.acknowledged_at,
            roles: self.roles.into_iter().map(|r| r.input()).collect(),
        }
    }
}

/// Declare an incident. The answer's `suggested_severity` says which rule the impact met.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = DeclareIn,
    responses((status = 201, body = IncidentOut), (status = 400, body = super::ErrorBody)))]
pub async fn declare(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<DeclareIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    let (record, _) = incidents::declare(&principal, &state, &body.input()).await?;
    Ok((StatusCode::CREATED, Json(out(&state, record))))
}

/// A declaration from an alert group: everything optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareFromGroupIn {
    /// Default: the group's labels.
    title: Option<String>,
    #[serde(default)]
    summary: String,
    severity: Option<String>,
    #[serde(default)]
    impact: ImpactIo,
    #[serde(default)]
    services: Vec<String>,
    /// The team, as for a declaration.
    #[serde(default)]
    roles: Vec<super::incident_team::RoleIn>,
}

/// Declare an incident from an alert group: the group is linked, started and detected are
/// its first alert's `startsAt`, and the title defaults to the group's labels.
#[utoipa::path(post, path = "/api/v1/alert-groups/{group_key}/incident", tag = "incidents",
    params(("group_key" = String, Path, description = "The group's key, percent-encoded")),
    request_body = DeclareFromGroupIn,
    responses((status = 201, body = IncidentOut), (status = 400, body = super::ErrorBody)))]
pub async fn declare_from_group(
    principal: Principal,
    State(state): State<AppState>,
    Path(group_key): Path<String>,
    JsonBody(body): JsonBody<DeclareFromGroupIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    principal.require(Action::RespondToIncidents)?;
    let title = match body.title.filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None => incidents::group_title(&state, &group_key),
    };
    let input = DeclareInput {
        title,
        summary: body.summary,
        severity: body.severity,
        impact: body.impact.input(),
        services: body.services,
        alert_groups: vec![group_key],
        roles: body.roles.into_iter().map(|r| r.input()).collect(),
        ..DeclareInput::default()
    };
    let (record, _) = incidents::declare(&principal, &state, &input).await?;
    Ok((StatusCode::CREATED, Json(out(&state, record))))
}

/// Get one incident (by id or reference, `INC-42`), with its milestones' edit history.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference (INC-42)")),
    responses((status = 200, body = IncidentDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let i = incidents::incident(&principal, &state, &incident).await?;
    let edits = state.engine.store().milestone_edits(&i.id).await?;
    let due = incidents::next_update_due(&state, &i).await?;
    let criteria = incidents::criteria_states(&state, &i).await?;
    Ok(Json(IncidentDetail {
        next_update_due: due.map(time),
        escalations: criteria
            .into_iter()
            .map(|c| EscalationOut {
                criterion: c.key,
                name: c.name,
                acted_at: c.acted_at.map(time),
                due_at: c.due_at.map(time),
            })
            .collect(),
        incident: out(&state, i),
        milestone_edits: edits
            .into_iter()
            .map(|e| MilestoneEditOut {
                milestone: e.milestone.as_str().to_owned(),
                previous_at: e.previous_at.map(time),
                new_at: e.new_at.map(time),
                reason: e.reason,
                actor: e.actor,
                at: time(e.at),
            })
            .collect(),
    }))
}

/// A milestone's edit: its value before and after, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneEditOut {
    milestone: String,
    previous_at: Option<String>,
    new_at: Option<String>,
    reason: String,
    actor: String,
    at: String,
}

/// An incident with its milestones' edit history (oldest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    incident: IncidentOut,
    milestone_edits: Vec<MilestoneEditOut>,
    /// RFC 3339: when the next update to stakeholders is owed, by the severity's cadence
    /// (null: no cadence, or resolved). In the past: overdue.
    next_update_due: Option<String>,
    /// The escalation criteria (`[[incidents.escalations]]`), in their configured order.
    escalations: Vec<EscalationOut>,
}

/// An escalation criterion on an incident: when it acted (it acts once), or when it will
/// if the incident stays as it is (both null: its conditions do not hold).
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationOut {
    criterion: String,
    name: String,
    /// RFC 3339.
    acted_at: Option<String>,
    /// RFC 3339.
    due_at: Option<String>,
}

/// Changes to an incident; absent fields change nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchIn {
    status: Option<String>,
    /// Why: required to reopen a resolved incident; kept with status and severity changes.
    reason: Option<String>,
    severity: Option<String>,
    /// Replaces the whole impact.
    impact: Option<ImpactIo>,
    summary: Option<String>,
    /// The services affected, by id or name: replaces the list.
    services: Option<Vec<String>>,
    /// Alert groups to link, by key: their firing alerts enter the timeline, and so do
    /// later changes to them.
    link_alert_groups: Option<Vec<String>>,
}

/// Change an incident's status, severity, impact, summary or services, or link more alert
/// groups; each change is a timeline entry. Moving to `monitoring` sets `mitigated`,
/// resolving sets `resolved`, reopening clears it (with a `reason`).
#[utoipa::path(patch, path = "/api/v1/incidents/{incident}", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")), request_body = PatchIn,
    responses((status = 200, body = IncidentOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn patch(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<PatchIn>,
) -> Result<Json<IncidentOut>, ApiError> {
    principal.require(Action::RespondToIncidents)?;
    let changes = incidents::changes(&PatchInput {
        status: body.status,
        reason: body.reason,
        severity: body.severity,
        impact: body.impact.map(ImpactIo::input),
        summary: body.summary,
        services: body.services,
        link_alert_groups: body.link_alert_groups,
    })
    .map_err(invalid)?;
    let i = incidents::change(&principal, &state, &incident, &changes).await?;
    Ok(Json(out(&state, i)))
}

/// A milestone's new time, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneIn {
    /// RFC 3339; null clears it (not the declaration).
    at: Option<String>,
    reason: String,
}

/// Set or clear a milestone; the previous value and the reason are kept.
#[utoipa::path(put, path = "/api/v1/incidents/{incident}/milestones/{milestone}",
    tag = "incidents", request_body = MilestoneIn,
    params(("incident" = String, Path, description = "Id or reference"),
           ("milestone" = String, Path, description = "started, detected, declared, acknowledged, mitigated or resolved")),
    responses((status = 200, body = IncidentOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn put_milestone(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, milestone)): Path<(String, String)>,
    JsonBody(body): JsonBody<MilestoneIn>,
) -> Result<Json<IncidentOut>, ApiError> {
    let i = incidents::set_milestone(
        &principal,
        &state,
        &incident,
        &milestone,
        body.at.as_deref(),
        &body.reason,
    )
    .await?;
    Ok(Json(out(&state, i)))
}

/// One entry of an incident's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    id: i64,
    /// When it happened.
    at: String,
    /// When it was written.
    recorded_at: String,
    /// `note`, `hypothesis`, `finding`, `measure` (people's) or `declared`,
    /// `status_change`, `severity_change`, `impact_change`, `summary_change`,
    /// `milestone_edit`, `alert_group_linked`, `recovery_check`, `impact_record_change`
    /// (hinomi's).
    kind: String,
    actor: String,
    text: String,
    /// A hypothesis's `open`, `confirmed` or `rejected`.
    verdict: Option<String>,
    #[schema(value_type = Object)]
    data: serde_json::Value,
    /// The entry this one corrects.
    corrects: Option<i64>,
    /// The entry that corrects this one.
    corrected_by: Option<i64>,
}

fn entry_out(e: TimelineRecord) -> EntryOut {
    EntryOut {
        id: e.id,
        at: time(e.at),
        recorded_at: time(e.recorded_at),
        kind: e.kind.as_str().to_owned(),
        actor: e.actor,
        text: e.text,
        verdict: e.verdict.map(|v| v.as_str().to_owned()),
        data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
        corrects: e.corrects,
        corrected_by: e.corrected_by,
    }
}

/// Which entries.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineFilter {
    /// Kinds, comma-separated (`hypothesis,finding`); absent: all.
    kind: Option<String>,
    /// For the export: `json` (default) or `csv`.
    format: Option<String>,
}

async fn timeline_for(
    principal: &Principal,
    state: &AppState,
    incident: &str,
    filter: &TimelineFilter,
) -> Result<(IncidentRecord, Vec<TimelineRecord>), ApiError> {
    let i = incidents::incident(principal, state, incident).await?;
    let kinds = incidents::parse_kinds(filter.kind.as_deref().unwrap_or("")).map_err(invalid)?;
    let entries = state
        .engine
        .store()
        .incident_timeline(&i.id, &kinds)
        .await?;
    Ok((i, entries))
}

/// An incident's timeline, in the order things happened.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/timeline", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"), TimelineFilter),
    responses((status = 200, body = Vec<EntryOut>), (status = 404, body = super::ErrorBody)))]
pub async fn timeline(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    QueryArgs(filter): QueryArgs<TimelineFilter>,
) -> Result<Json<Vec<EntryOut>>, ApiError> {
    let (_, entries) = timeline_for(&principal, &state, &incident, &filter).await?;
    Ok(Json(entries.into_iter().map(entry_out).collect()))
}

/// Quotes a CSV field (RFC 4180).
fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Export an incident's timeline: JSON (the incident and its entries) or CSV (one entry a
/// row, UTF-8 with a byte-order mark so spreadsheet programs read Japanese).
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/timeline/export", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"), TimelineFilter),
    responses((status = 200, content_type = "text/csv", description = "CSV or JSON"),
              (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn export(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    QueryArgs(filter): QueryArgs<TimelineFilter>,
) -> Result<Response, ApiError> {
    let (i, entries) = timeline_for(&principal, &state, &incident, &filter).await?;
    let reference = i.reference();
    let disposition = |ext: &str| format!("attachment; filename=\"{reference}-timeline.{ext}\"");
    match filter.format.as_deref().unwrap_or("json") {
        "json" => {
            let body = serde_json::json!({
                "incident": out(&state, i),
                "timeline": entries.into_iter().map(entry_out).collect::<Vec<_>>(),
            });
            Ok((
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition("json")),
                ],
                body.to_string(),
            )
                .into_response())
        }
        "csv" => {
            let mut csv = String::from(
                "\u{feff}id,at,recorded_at,kind,actor,text,verdict,corrects,corrected_by,data\r\n",
            );
            for e in entries {
                let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
                let row = [
                    e.id.to_string(),
                    time(e.at),
                    time(e.recorded_at),
                    e.kind.as_str().to_owned(),
                    e.actor,
                    e.text,
                    e.verdict.map(|v| v.as_str().to_owned()).unwrap_or_default(),
                    opt(e.corrects),
                    opt(e.corrected_by),
                    e.data,
                ];
                let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
                csv.push_str(&fields.join(","));
                csv.push_str("\r\n");
            }
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition("csv")),
                ],
                csv,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(
            "invalid_field",
            "format",
            format!("format: {other:?} is not json or csv"),
        )),
    }
}

/// Someone's entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    /// `note`, `hypothesis`, `finding` or `measure`.
    kind: String,
    text: String,
    /// A hypothesis's verdict (default `open`).
    verdict: Option<String>,
    /// RFC 3339, when it happened (default now).
    at: Option<String>,
}

/// Write a note, hypothesis, finding or measure on the timeline.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/timeline", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")), request_body = EntryIn,
    responses((status = 201, body = EntryOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn add_entry(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<EntryIn>,
) -> Result<(StatusCode, Json<EntryOut>), ApiError> {
    let e = incidents::add_entry(
        &principal,
        &state,
        &incident,
        &body.kind,
        &body.text,
        body.verdict.as_deref(),
        body.at.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry_out(e))))
}

/// An update for the stakeholders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIn {
    /// What the stakeholders are told, in the words of the responders.
    text: String,
}

/// Send an update to the stakeholder lists that hear the incident's severity
/// (`[[incidents.stakeholders]]`), by their contacts, in their language; recorded on the
/// timeline as an `update` entry whose `data` names the lists and counts the messages.
/// Each update restarts the severity's update cadence.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/updates", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")), request_body = UpdateIn,
    responses((status = 201, body = EntryOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn post_update(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    JsonBody(body): JsonBody<UpdateIn>,
) -> Result<(StatusCode, Json<EntryOut>), ApiError> {
    let e = incidents::post_update(&principal, &state, &incident, &body.text).await?;
    Ok((StatusCode::CREATED, Json(entry_out(e))))
}

/// Which status's draft.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftFilter {
    /// `investigating`, `identified`, `monitoring` or `resolved`; absent: all four.
    status: Option<String>,
}

/// A customer notification in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftOut {
    ja: String,
    en: String,
}

/// Customer notifications drafted from the templates (`[[incidents.customer_templates]]`
/// or the built-in ones) for the incident as if published now, keyed by status: its
/// title, affected services, start, resolution and next update (by the severity's
/// cadence) filled in, times in the status page's time zone.
#[utoipa::path(get, path = "/api/v1/incidents/{incident}/drafts", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"), DraftFilter),
    responses((status = 200, body = BTreeMap<String, DraftOut>),
              (status = 400, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn drafts(
    principal: Principal,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    QueryArgs(filter): QueryArgs<DraftFilter>,
) -> Result<Json<BTreeMap<&'static str, DraftOut>>, ApiError> {
    let drafts = incidents::drafts(&principal, &state, &incident, filter.status.as_deref()).await?;
    Ok(Json(
        drafts
            .into_iter()
            .map(|d| (d.status.as_str(), DraftOut { ja: d.ja, en: d.en }))
            .collect(),
    ))
}

/// A correction of an entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIn {
    text: String,
    /// A hypothesis's new verdict (default: unchanged).
    verdict: Option<String>,
    reason: String,
}

/// Correct an entry: a new entry pointing at it; the original stays on the timeline.
#[utoipa::path(post, path = "/api/v1/incidents/{incident}/timeline/{entry}/corrections",
    tag = "incidents", request_body = CorrectionIn,
    params(("incident" = String, Path, description = "Id or reference"),
           ("entry" = i64, Path, description = "The entry's id")),
    responses((status = 201, body = EntryOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn correct_entry(
    principal: Principal,
    State(state): State<AppState>,
    Path((incident, entry)): Path<(String, String)>,
    JsonBody(body): JsonBody<CorrectionIn>,
) -> Result<(StatusCode, Json<EntryOut>), ApiError> {
    principal.require(Action::RespondToIncidents)?;
    let entry: i64 = entry
        .parse()
        .map_err(|_| ApiError::not_found(format!("timeline entry {entry}")))?;
    let e = incidents::correct_entry(
        &principal,
        &state,
        &incident,
        entry,
        &body.text,
        body.verdict.as_deref(),
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(entry_out(e))))
}

// ---- services -----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    id: String,
    name: String,
    description: String,
    team_id: Option<String>,
    created_at: String,
}

fn service_out(s: ServiceRecord) -> ServiceOut {
    ServiceOut {
        id: s.id,
        name: s.name,
        description: s.description,
        team_id: s.team_id,
        created_at: time(s.created_at),
    }
}

/// List services.
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses((status = 200, body = Vec<ServiceOut>)))]
pub async fn list_services(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<ServiceOut>>, ApiError> {
    principal.require(Action::Read)?;
    let list = state.engine.store().services().await?;
    Ok(Json(list.into_iter().map(service_out).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceIn {
    name: String,
    #[serde(default)]
    description: String,
    /// A team's id or name.
    team: Option<String>,
}

/// Create a service.
#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceIn,
    responses((status = 201, body = ServiceOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create_service(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ServiceIn>,
) -> Result<(StatusCode, Json<ServiceOut>), ApiError> {
    let s = incidents::save_service(
        &principal,
        &state,
        None,
        &body.name,
        &body.description,
        body.team.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(service_out(s))))
}

/// Get a service (by id or name).
#[utoipa::path(get, path = "/api/v1/services/{service}", tag = "services",
    params(("service" = String, Path, description = "Id or name")),
    responses((status = 200, body = ServiceOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_service(
    principal: Principal,
    State(state): State<AppState>,
    Path(service): Path<String>,
) -> Result<Json<ServiceOut>, ApiError> {
    principal.require(Action::Read)?;
    let s = state
        .engine
        .store()
        .service(&service)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("service {service}")))?;
    Ok(Json(service_out(s)))
}

/// Rename a service, or change its description or team (all given anew).
#[utoipa::path(patch, path = "/api/v1/services/{service}", tag = "services",
    params(("service" = String, Path, description = "Id or name")), request_body = ServiceIn,
    responses((status = 200, body = ServiceOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn update_service(
    principal: Principal,
    State(state): State<AppState>,
    Path(service): Path<String>,
    JsonBody(body): JsonBody<ServiceIn>,
) -> Result<Json<ServiceOut>, ApiError> {
    let s = incidents::save_service(
        &principal,
        &state,
        Some(&service),
        &body.name,
        &body.description,
        body.team.as_deref(),
    )
    .await?;
    Ok(Json(service_out(s)))
}

/// Delete a service no incident names.
#[utoipa::path(delete, path = "/api/v1/services/{service}", tag = "services",
    params(("service" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn delete_service(
    principal: Principal,
    State(state): State<AppState>,
    Path(service): Path<String>,
) -> Result<StatusCode, ApiError> {
    incidents::delete_service(&principal, &state, &service).await?;
    Ok(StatusCode::NO_CONTENT)
}
