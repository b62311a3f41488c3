//! Every incident change a person makes, one function each, called by `api_v1` and the
//! console (and, for the parsing, the CLI): the [`Action`] check, the input parsed into the
//! core's types with faults naming the field, and the store's transaction that writes the
//! change with its timeline entry and event. [`IncidentError`] becomes a JSON error or a
//! message on the page.

use hinomi_core::Action;
use hinomi_core::incident::Severity;
use hinomi_core::incident::customer;
use hinomi_core::incident::{
    Check, CheckState, EntryKind, FieldError, Impact, ImpactRecord, Milestone, Milestones,
    SeverityPolicy, Status, Suggestion, Title, Verdict, parse_reason, parse_text,
    recovery::parse_note, timeline::entry_verdict,
};
use hinomi_core::status_page::subscription::mask_email;
use hinomi_core::{Envelope, Locale, Notice, NoticeKind};
use hinomi_engine::CONTACT_PREFIX;
use hinomi_store::{
    IncidentChange, IncidentFault, IncidentRecord, NewEntry, NewIncident, NewNotice, NewUpdate,
    RecoveryRecord, ServiceRecord, ServiceWrite, StoreError, TimelineRecord,
};

use hinomi_engine::{EngineError, RoleGiven, RoleInput};
use hinomi_store::{ChecklistItemRecord, ExternalContactRecord, ItemChange, RoleAssignmentRecord};

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

/// Why an incident change was refused.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// The caller may not perform the action (the principal's own answer).
    #[error("{0}")]
    Denied(ApiError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(FieldError),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(EngineError),
}

impl From<EngineError> for IncidentError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Store(e) => IncidentError::Store(e),
            EngineError::NotFound(what) => IncidentError::NotFound(what),
            other => IncidentError::Engine(other),
        }
    }
}

impl From<FieldError> for IncidentError {
    fn from(e: FieldError) -> Self {
        IncidentError::Invalid(e)
    }
}

impl From<IncidentFault> for IncidentError {
    fn from(e: IncidentFault) -> Self {
        match e {
            IncidentFault::NotFound(what) => IncidentError::NotFound(what),
            IncidentFault::Invalid(e) => IncidentError::Invalid(e),
            IncidentFault::Conflict(m) => IncidentError::Conflict(m),
        }
    }
}

impl From<IncidentError> for ApiError {
    fn from(e: IncidentError) -> ApiError {
        match e {
            IncidentError::Denied(e) => e,
            IncidentError::NotFound(what) => ApiError::not_found(what),
            IncidentError::Invalid(e) => {
                ApiError::bad_request("invalid_field", e.field.clone(), e.to_string())
            }
            IncidentError::Conflict(m) => ApiError::conflict("conflict", m),
            IncidentError::Store(e) => e.into(),
            IncidentError::Engine(e) => ApiError::internal(e),
        }
    }
}

impl IncidentError {
    /// The field a bad input was in, for the console's forms.
    pub fn field(&self) -> Option<&str> {
        match self {
            IncidentError::Invalid(e) => Some(&e.field),
            _ => None,
        }
    }
}

type Result<T> = std::result::Result<T, IncidentError>;

pub(crate) fn require(principal: &Principal, action: Action) -> Result<()> {
    principal.require(action).map_err(IncidentError::Denied)
}

/// The name changes are recorded under: the user's, or the token's user's.
pub(crate) fn actor(principal: &Principal) -> String {
    crate::api_v1::actor_name(principal)
}

/// An impact as given (every field optional).
#[derive(Debug, Clone, Default)]
pub struct ImpactInput {
    pub people_affected: Option<i64>,
    pub revenue_per_day: Option<i64>,
    pub currency: Option<String>,
    pub customers_affected: Option<i64>,
    pub reputational_risk: Option<String>,
}

impl ImpactInput {
    pub fn parse(&self) -> std::result::Result<Impact, FieldError> {
        Impact::parse(
            self.people_affected,
            self.revenue_per_day,
            self.currency.as_deref(),
            self.customers_affected,
            self.reputational_risk.as_deref(),
        )
    }
}

/// A declaration as given.
#[derive(Debug, Clone, Default)]
pub struct DeclareInput {
    pub title: String,
    pub summary: String,
    /// `SEV1`..`SEV4`; `None`: the severity the impact suggests.
    pub severity: Option<String>,
    pub impact: ImpactInput,
    /// Service ids or names.
    pub services: Vec<String>,
    pub alert_groups: Vec<String>,
    /// RFC 3339; taken from the alert groups when not given.
    pub started_at: Option<String>,
    pub detected_at: Option<String>,
    pub acknowledged_at: Option<String>,
    /// The team named at once; the declarer holds the lead role unless it is given here.
    pub roles: Vec<RoleInput>,
}

pub(crate) fn parse_time(field: &str, text: &str) -> std::result::Result<i64, FieldError> {
    hinomi_core::time::parse(text.trim())
        .map_err(|_| FieldError::new(field, format!("{text:?} is not an RFC 3339 time")))
}

/// Parses a declaration: the title, summary and impact checked, the severity given or
/// else suggested by `policy` (no severity and no rule firing is refused, naming
/// `severity`). Answers the incident to store with the suggestion, if any.
pub fn new_incident(
    input: &DeclareInput,
    policy: &SeverityPolicy,
) -> std::result::Result<(NewIncident, Option<Suggestion>), FieldError> {
    let title = Title::parse(&input.title)?;
    let summary = parse_text("summary", &input.summary, true)?;
    let impact = input.impact.parse()?;
    let suggestion = policy.suggest(&impact);
    let severity = match input.severity.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Severity::parse(s)?,
        _ => suggestion.map(|s| s.severity).ok_or_else(|| {
            FieldError::new(
                "severity",
                "give a severity, or an impact from which a rule suggests one",
            )
        })?,
    };
    let mut milestones = Milestones::default();
    for (m, given) in [
        (Milestone::Started, &input.started_at),
        (Milestone::Detected, &input.detected_at),
        (Milestone::Acknowledged, &input.acknowledged_at),
    ] {
        if let Some(t) = given.as_deref().filter(|t| !t.trim().is_empty()) {
            milestones.set(m, Some(parse_time(&format!("{m}_at"), t)?));
        }
    }
    let services = input
        .services
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let alert_groups = input
        .alert_groups
        .iter()
        .filter(|g| !g.trim().is_empty())
        .cloned()
        .collect();
    let new = NewIncident {
        id: uuid::Uuid::new_v4().to_string(),
        title: title.as_str().to_owned(),
        summary,
        severity,
        impact,
        milestones,
        services,
        alert_groups,
        suggestion: suggestion.map(|s| suggestion_json(&s)),
    };
    Ok((new, suggestion))
}

/// A suggestion as the declaration's event and the API keep it.
pub fn suggestion_json(s: &Suggestion) -> serde_json::Value {
    let (at_least, value) = s.condition.threshold_and_value();
    serde_json::json!({
        "severity": s.severity.as_str(),
        "rule": s.rule,
        "field": s.condition.field(),
        "at_least": at_least,
        "value": value,
    })
}

/// A title for an incident declared from an alert group: the group's labels, else the
/// names of its firing alerts (at most three), else the key itself.
pub fn group_title(state: &AppState, group_key: &str) -> String {
    let groups = state
        .engine
        .query_groups(&hinomi_engine::AlertQuery::default());
    let title = groups
        .iter()
        .find(|g| g.key == group_key)
        .map(title_of)
        .unwrap_or_default();
    let title = if title.trim().is_empty() {
        group_key
    } else {
        &title
    };
    title
        .chars()
        .take(hinomi_core::incident::MAX_TITLE_CHARS)
        .collect()
}

/// A group in a line: its labels, else the names of its alerts (at most three).
fn title_of(g: &hinomi_engine::GroupView) -> String {
    if !g.labels.is_empty() {
        return g
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut names: Vec<&str> = g.alerts.iter().map(|a| a.alert.alert.name()).collect();
    names.dedup();
    names.truncate(3);
    names.join(", ")
}

/// The alert groups there are now, as (key, one line naming it), but those in `except`.
pub fn open_groups(state: &AppState, except: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = state
        .engine
        .query_groups(&hinomi_engine::AlertQuery::default())
        .iter()
        .filter(|g| !except.contains(&g.key))
        .map(|g| (g.key.clone(), title_of(g)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Declares an incident for the caller (a responder or above) with its team: the caller
/// holds the lead role unless the input names someone for it.
pub async fn declare(
    principal: &Principal,
    state: &AppState,
    input: &DeclareInput,
) -> Result<(IncidentRecord, Option<Suggestion>)> {
    require(principal, Action::RespondToIncidents)?;
    let (new, suggestion) = new_incident(input, &state.incidents)?;
    let (record, _) = state
        .engine
        .declare_incident(
            &state.incidents,
            &new,
            &input.roles,
            principal.user.as_ref().map(|u| u.id.as_str()),
            &actor(principal),
        )
        .await??;
    Ok((record, suggestion))
}

/// An incident the caller may read, by id or reference.
pub async fn incident(principal: &Principal, state: &AppState, id: &str) -> Result<IncidentRecord> {
    require(principal, Action::Read)?;
    state
        .engine
        .store()
        .incident(id)
        .await?
        .ok_or_else(|| IncidentError::NotFound(format!("incident {id}")))
}

/// Changes to an incident as given; absent fields change nothing.
#[derive(Debug, Clone, Default)]
pub struct PatchInput {
    pub status: Option<String>,
    /// Why: required to reopen; kept with a status or severity change.
    pub reason: Option<String>,
    pub severity: Option<String>,
    pub impact: Option<ImpactInput>,
    pub summary: Option<String>,
    /// Service ids or names, replacing the list.
    pub services: Option<Vec<String>>,
    /// Alert group keys to link.
    pub link_alert_groups: Option<Vec<String>>,
}

/// Parses a patch into the store's changes, in a fixed order (services, linked groups,
/// impact, summary, severity, status), so a reopening is judged after the rest is in place.
pub fn changes(input: &PatchInput) -> std::result::Result<Vec<IncidentChange>, FieldError> {
    let mut out = Vec::new();
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(parse_reason)
        .transpose()?;
    if let Some(list) = &input.services {
        out.push(IncidentChange::Services(trimmed(list)));
    }
    if let Some(list) = &input.link_alert_groups {
        out.push(IncidentChange::LinkGroups(trimmed(list)));
    }
    if let Some(i) = &input.impact {
        out.push(IncidentChange::Impact(i.parse()?));
    }
    if let Some(s) = &input.summary {
        out.push(IncidentChange::Summary(parse_text("summary", s, true)?));
    }
    if let Some(s) = &input.severity {
        out.push(IncidentChange::Severity {
            to: Severity::parse(s)?,
            reason: reason.clone(),
        });
    }
    if let Some(s) = &input.status {
        out.push(IncidentChange::Status {
            to: Status::parse(s)?,
            reason,
        });
    }
    Ok(out)
}

/// The non-empty entries of a list, trimmed.
fn trimmed(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Applies the caller's changes to an incident.
pub async fn change(
    principal: &Principal,
    state: &AppState,
    id: &str,
    changes: &[IncidentChange],
) -> Result<IncidentRecord> {
    require(principal, Action::RespondToIncidents)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .change_incident(
            &found.id,
            changes,
            &state.incidents,
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// Sets (or, with an empty `at`, clears) a milestone, with the reason kept beside the
/// original.
pub async fn set_milestone(
    principal: &Principal,
    state: &AppState,
    id: &str,
    milestone: &str,
    at: Option<&str>,
    reason: &str,
) -> Result<IncidentRecord> {
    require(principal, Action::RespondToIncidents)?;
    let milestone = Milestone::parse(milestone)?;
    let at = at
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_time("at", t))
        .transpose()?;
    let reason = parse_reason(reason)?;
    change(
        principal,
        state,
        id,
        &[IncidentChange::Milestone {
            milestone,
            at,
            reason,
        }],
    )
    .await
}

/// Writes a note, hypothesis, finding or measure on an incident's timeline.
pub async fn add_entry(
    principal: &Principal,
    state: &AppState,
    id: &str,
    kind: &str,
    text: &str,
    verdict: Option<&str>,
    at: Option<&str>,
) -> Result<TimelineRecord> {
    require(principal, Action::RespondToIncidents)?;
    let kind = EntryKind::parse_manual("kind", kind)?;
    let entry = NewEntry {
        kind,
        text: parse_text("text", text, false)?,
        verdict: entry_verdict(kind, verdict)?,
        at: at
            .filter(|t| !t.trim().is_empty())
            .map(|t| parse_time("at", t))
            .transpose()?,
    };
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .add_timeline_entry(&found.id, &entry, &actor(principal), state.engine.now())
        .await??)
}

/// Corrects one's or another's entry: a new entry that points at it; the original stays.
pub async fn correct_entry(
    principal: &Principal,
    state: &AppState,
    id: &str,
    entry: i64,
    text: &str,
    verdict: Option<&str>,
    reason: &str,
) -> Result<TimelineRecord> {
    require(principal, Action::RespondToIncidents)?;
    let text = parse_text("text", text, false)?;
    let verdict = verdict
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(Verdict::parse)
        .transpose()?;
    let reason = parse_reason(reason)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .correct_timeline_entry(
            &found.id,
            entry,
            &text,
            verdict,
            &reason,
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// The messages of an update on `incident` to the stakeholder lists that hear its
/// severity: one per list and contact, in the list's language, keyed by `update_id` so a
/// retried request cannot send twice. Answers them with the lists' names.
pub fn update_notices(
    incident: &IncidentRecord,
    policy: &SeverityPolicy,
    text: &str,
    external_url: &str,
    update_id: &str,
    now: i64,
) -> (Vec<NewNotice>, Vec<String>) {
    let mut notices = Vec::new();
    let mut lists = Vec::new();
    for (i, list) in policy
        .stakeholders_of(incident.severity)
        .into_iter()
        .enumerate()
    {
        lists.push(list.name.clone());
        let notice = Notice {
            kind: NoticeKind::IncidentUpdate {
                reference: incident.reference(),
                severity: policy.level(incident.severity).name.clone(),
                status: incident.status.as_str().to_owned(),
                text: text.to_owned(),
            },
            locale: list.locale,
            recipient: list.name.clone(),
            page_id: None,
            title: incident.title.clone(),
            alerts: Vec::new(),
            console_url: Some(format!(
                "{}/incidents/{}",
                external_url.trim_end_matches('/'),
                incident.reference()
            )),
            actions: Vec::new(),
            at: now,
        };
        for (j, contact) in list.contacts.iter().enumerate() {
            let envelope = Envelope {
                contact: contact.clone(),
                notice: notice.clone(),
            };
            notices.push(NewNotice {
                idempotency_key: format!("incident-update:{update_id}|{i}|{j}"),
                group_key: String::new(),
                receiver: format!("incident:{}", incident.id),
                integration: 0,
                kind: format!("{CONTACT_PREFIX}{}", contact.kind.as_str()),
                payload: serde_json::to_string(&envelope).expect("envelopes serialise"),
                created_at: now,
                due_at: now,
                lease: None,
            });
        }
    }
    (notices, lists)
}

/// Sends an update to the incident's stakeholders and records it on the timeline; answers
/// the entry (its `data` names the lists and counts the messages).
pub async fn post_update(
    principal: &Principal,
    state: &AppState,
    id: &str,
    text: &str,
) -> Result<TimelineRecord> {
    require(principal, Action::RespondToIncidents)?;
    let text = parse_text("text", text, false)?;
    let found = incident(principal, state, id).await?;
    let now = state.engine.now();
    let update_id = uuid::Uuid::new_v4().to_string();
    let (notices, lists) = update_notices(
        &found,
        &state.incidents,
        &text,
        state.engine.external_url(),
        &update_id,
        now,
    );
    if lists.is_empty() {
        return Err(IncidentError::Conflict(format!(
            "no stakeholder list hears {} incidents: add [[incidents.stakeholders]] to the settings",
            found.severity
        )));
    }
    let every = state.incidents.level(found.severity).update_every_minutes;
    let update = NewUpdate {
        data: serde_json::json!({ "lists": lists, "messages": notices.len() }),
        text,
        notices,
        next_due: hinomi_core::incident::comms::next_update_due(now, every),
    };
    Ok(state
        .engine
        .store()
        .post_incident_update(&found.id, &update, &actor(principal), now)
        .await??)
}

/// When the next update to an incident's stakeholders is due, by its severity's cadence
/// (`None`: no cadence, or the incident is resolved).
pub async fn next_update_due(state: &AppState, incident: &IncidentRecord) -> Result<Option<i64>> {
    if incident.status == Status::Resolved {
        return Ok(None);
    }
    let every = state
        .incidents
        .level(incident.severity)
        .update_every_minutes;
    if every.is_none() {
        return Ok(None);
    }
    let last = state
        .engine
        .store()
        .last_incident_update(&incident.id)
        .await?;
    let since = last.or(incident.milestones.get(Milestone::Declared));
    Ok(since.and_then(|t| hinomi_core::incident::comms::next_update_due(t, every)))
}

/// Where an escalation criterion stands on an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriterionState {
    pub key: String,
    pub name: String,
    /// When it acted.
    pub acted_at: Option<i64>,
    /// When it will act, if the incident stays as it is (in the past: within a moment).
    pub due_at: Option<i64>,
}

/// The configured escalation criteria, in order, with when each acted on `incident` or
/// will act on it.
pub async fn criteria_states(
    state: &AppState,
    incident: &IncidentRecord,
) -> Result<Vec<CriterionState>> {
    let timers = state.engine.store().criteria_timers(&incident.id).await?;
    Ok(state
        .incidents
        .criteria()
        .iter()
        .map(|c| {
            let timer = timers.iter().find(|(key, _, _)| *key == c.key);
            CriterionState {
                key: c.key.clone(),
                name: c.name.clone(),
                acted_at: timer.and_then(|t| t.2),
                due_at: timer.and_then(|t| t.1),
            }
        })
        .collect())
}

/// A customer notification drafted for an incident in one status, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub status: Status,
    pub ja: String,
    pub en: String,
}

impl Draft {
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }
}

/// The customer notifications for `incident` as if published at `now` in each of
/// `statuses`, from the policy's templates, times in `zone` (the status page's).
pub fn customer_drafts(
    incident: &IncidentRecord,
    policy: &SeverityPolicy,
    statuses: &[Status],
    zone: &jiff::tz::TimeZone,
    now: i64,
) -> Vec<Draft> {
    let every = policy.level(incident.severity).update_every_minutes;
    let templates = policy.customer_templates();
    statuses
        .iter()
        .map(|&status| {
            let facts = customer::Facts {
                title: incident.title.clone(),
                services: incident.services.iter().map(|(_, n)| n.clone()).collect(),
                milestones: incident.milestones.clone(),
                next_update: customer::next_update_at(now, every, status),
            };
            Draft {
                status,
                ja: templates.draft(status, &facts, Locale::Ja, zone),
                en: templates.draft(status, &facts, Locale::En, zone),
            }
        })
        .collect()
}

/// The statuses `?status=` asks drafts for: the one named, or all four when empty.
fn draft_statuses(status: Option<&str>) -> std::result::Result<Vec<Status>, FieldError> {
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(vec![Status::parse(s)?]),
        None => Ok(Status::ALL.to_vec()),
    }
}

/// An incident's customer notification drafts, for the caller who may read it.
pub async fn drafts(
    principal: &Principal,
    state: &AppState,
    id: &str,
    status: Option<&str>,
) -> Result<Vec<Draft>> {
    let statuses = draft_statuses(status)?;
    let found = incident(principal, state, id).await?;
    let zone = state.status_page.zone();
    Ok(customer_drafts(
        &found,
        &state.incidents,
        &statuses,
        &zone,
        state.engine.now(),
    ))
}

/// The kinds of a filter written `note,hypothesis` (empty: every kind).
pub fn parse_kinds(text: &str) -> std::result::Result<Vec<EntryKind>, FieldError> {
    text.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| EntryKind::parse("kind", k))
        .collect()
}

// ---- recovery -----------------------------------------------------------------------------

/// An incident's recovery checks and business-impact record.
pub async fn recovery(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(IncidentRecord, RecoveryRecord)> {
    let found = incident(principal, state, id).await?;
    let record = state.engine.store().recovery(&found.id).await?;
    Ok((found, record))
}

/// Records what a recovery check found (`not_checked`, `ok`, `degraded`, `failed`) with a
/// note; the timeline says who checked and when.
pub async fn set_recovery_check(
    principal: &Principal,
    state: &AppState,
    id: &str,
    check: &str,
    check_state: &str,
    note: &str,
) -> Result<RecoveryRecord> {
    require(principal, Action::RespondToIncidents)?;
    let check = Check::parse(check)?;
    let check_state = CheckState::parse(check_state)?;
    let note = parse_note(note)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .set_recovery_check(
            &found.id,
            check,
            check_state,
            &note,
            &actor(principal),
            state.engine.now(),
        )
        .await??)
}

/// A business-impact record as given.
#[derive(Debug, Clone, Default)]
pub struct ImpactRecordInput {
    pub data_loss: String,
    pub business_delay: String,
    pub customers_handled: String,
    pub customers_handled_count: Option<i64>,
}

/// Replaces an incident's business-impact record.
pub async fn set_impact_record(
    principal: &Principal,
    state: &AppState,
    id: &str,
    input: &ImpactRecordInput,
) -> Result<RecoveryRecord> {
    require(principal, Action::RespondToIncidents)?;
    let record = ImpactRecord::parse(
        &input.data_loss,
        &input.business_delay,
        &input.customers_handled,
        input.customers_handled_count,
    )?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .store()
        .set_impact_record(&found.id, &record, &actor(principal), state.engine.now())
        .await??)
}

// ---- team --------------------------------------------------------------------------------

/// An incident and the roles held on it (with `past`, those handed on too).
pub async fn roles(
    principal: &Principal,
    state: &AppState,
    id: &str,
    past: bool,
) -> Result<(IncidentRecord, Vec<RoleAssignmentRecord>)> {
    let i = incident(principal, state, id).await?;
    let held = state.engine.store().incident_roles(&i.id, past).await?;
    Ok((i, held))
}

/// Gives a role on an incident to a user or an external contact, paging them.
pub async fn assign_role(
    principal: &Principal,
    state: &AppState,
    id: &str,
    input: &RoleInput,
) -> Result<RoleGiven> {
    require(principal, Action::RespondToIncidents)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .assign_incident_role(&state.incidents, &found.id, input, &actor(principal))
        .await??)
}

/// Takes a role back.
pub async fn unassign_role(
    principal: &Principal,
    state: &AppState,
    id: &str,
    assignment: i64,
) -> Result<RoleAssignmentRecord> {
    require(principal, Action::RespondToIncidents)?;
    let found = incident(principal, state, id).await?;
    Ok(state
        .engine
        .unassign_incident_role(&found.id, assignment, &actor(principal))
        .await??)
}

/// Every external contact.
pub async fn external_contacts(
    principal: &Principal,
    state: &AppState,
) -> Result<Vec<ExternalContactRecord>> {
    require(principal, Action::Read)?;
    let mut list = state.engine.store().external_contacts().await?;
    // Those who cannot respond to incidents cannot give a contact a role either: they see
    // who the contacts are, not how to reach them.
    if principal.require(Action::RespondToIncidents).is_err() {
        for c in &mut list {
            c.email = c.email.as_deref().map(mask_email);
            c.phone = c.phone.as_deref().map(|p| {
                let tail: String = p
                    .chars()
                    .skip(p.chars().count().saturating_sub(2))
                    .collect();
                format!("***{tail}")
            });
        }
    }
    Ok(list)
}

/// An external contact as given.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: String,
    pub organisation: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `ja` (default) or `en`.
    pub language: Option<String>,
}

/// Parses an external contact: a name and organisation, and an email address and/or a
/// phone number (E.164), each checked.
pub fn new_contact(
    input: &ContactInput,
    created_by: &str,
    now: i64,
) -> std::result::Result<ExternalContactRecord, FieldError> {
    let line = |field: &str, v: &str| {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > 100 || v.contains(['\n', '\r']) {
            return Err(FieldError::new(
                field,
                "must be one line of 1 to 100 characters",
            ));
        }
        Ok(v.to_owned())
    };
    fn opt(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let email = opt(&input.email)
        .map(|e| {
            hinomi_core::contact::parse_address(hinomi_core::ContactKind::Email, e)
                .map_err(|m| FieldError::new("email", m.to_string()))
        })
        .transpose()?;
    let phone = opt(&input.phone)
        .map(|p| {
            hinomi_core::contact::parse_address(hinomi_core::ContactKind::Sms, p)
                .map_err(|m| FieldError::new("phone", m.to_string()))
        })
        .transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(FieldError::new(
            "email",
            "give an email address or a phone number",
        ));
    }
    let locale = match opt(&input.language) {
        None => hinomi_core::Locale::Ja,
        Some(l) => hinomi_core::Locale::parse(l)
            .ok_or_else(|| FieldError::new("language", format!("{l:?} is not ja or en")))?,
    };
    Ok(ExternalContactRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: line("name", &input.name)?,
        organisation: line("organisation", &input.organisation)?,
        email,
        phone,
        locale: locale.tag().to_owned(),
        created_by: created_by.to_owned(),
        created_at: now,
    })
}

/// Adds an external contact (responders and above).
pub async fn add_external_contact(
    principal: &Principal,
    state: &AppState,
    input: &ContactInput,
) -> Result<ExternalContactRecord> {
    require(principal, Action::RespondToIncidents)?;
    let now = state.engine.now();
    let c = new_contact(input, &actor(principal), now)?;
    let audit = principal.audit(
        now,
        "external_contact.added",
        &c.id,
        serde_json::json!({ "name": c.name, "organisation": c.organisation }),
    );
    state
        .engine
        .store()
        .add_external_contact(&c, &audit)
        .await?;
    Ok(c)
}

/// Removes an external contact who holds no role now.
pub async fn delete_external_contact(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<()> {
    require(principal, Action::RespondToIncidents)?;
    let audit = principal.audit(
        state.engine.now(),
        "external_contact.deleted",
        id,
        serde_json::json!({}),
    );
    Ok(state
        .engine
        .store()
        .delete_external_contact(id, &audit)
        .await??)
}

// ---- checklist ---------------------------------------------------------------------------

/// An incident and its checklist.
pub async fn checklist(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(IncidentRecord, Vec<ChecklistItemRecord>)> {
    let i = incident(principal, state, id).await?;
    let items = state.engine.store().checklist(&i.id).await?;
    Ok((i, items))
}

/// A change to a checklist item as given: checked or not, and/or given to a role (key) or
/// a user (username or id); an empty role or user clears it.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub checked: Option<bool>,
    pub role: Option<String>,
    pub user: Option<String>,
}

/// Checks, unchecks or assigns a checklist item; answers it as it then is.
pub async fn change_item(
    principal: &Principal,
    state: &AppState,
    id: &str,
    item: i64,
    input: &ItemInput,
) -> Result<ChecklistItemRecord> {
    require(principal, Action::RespondToIncidents)?;
    let found = incident(principal, state, id).await?;
    let store = state.engine.store();
    let mut changes = Vec::new();
    if input.role.is_some() || input.user.is_some() {
        let current = store
            .checklist(&found.id)
            .await?
            .into_iter()
            .find(|i| i.id == item)
            .ok_or_else(|| IncidentError::NotFound(format!("checklist item {item}")))?;
        let role = match input.role.as_deref().map(str::trim) {
            None => current.role,
            Some("") => None,
            Some(r) => Some(state.incidents.roles().parse("role", r)?.key.clone()),
        };
        let assignee = match input.user.as_deref().map(str::trim) {
            None => current.assignee,
            Some("") => None,
            Some(u) => {
                let user = match store.user_by_username(u).await? {
                    Some(x) => Some(x),
                    None => store.user_by_id(u).await?,
                };
                Some(
                    user.filter(|x| x.disabled_at.is_none())
                        .ok_or_else(|| FieldError::new("user", format!("no enabled user {u:?}")))?
                        .id,
                )
            }
        };
        changes.push(ItemChange::Assign { role, assignee });
    }
    if let Some(c) = input.checked {
        changes.push(ItemChange::Check(c));
    }
    if changes.is_empty() {
        return Err(FieldError::new("checked", "give checked, role or user").into());
    }
    let mut last = None;
    for c in &changes {
        last = Some(
            store
                .change_checklist_item(&found.id, item, c, &actor(principal), state.engine.now())
                .await??,
        );
    }
    Ok(last.expect("at least one change"))
}

// ---- services -----------------------------------------------------------------------------

/// Creates a service, or changes the one `existing` names.
pub async fn save_service(
    principal: &Principal,
    state: &AppState,
    existing: Option<&str>,
    name: &str,
    description: &str,
    team: Option<&str>,
) -> Result<ServiceRecord> {
    require(principal, Action::ManageServices)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.contains(['\n', '\r']) {
        return Err(FieldError::new("name", "must be one line of 1 to 100 characters").into());
    }
    let description = parse_text("description", description, true)?;
    let store = state.engine.store();
    let team_id = match team.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(
            store
                .team(t)
                .await?
                .ok_or_else(|| FieldError::new("team", format!("no team {t:?}")))?
                .id,
        ),
        None => None,
    };
    let now = state.engine.now();
    let (record, update) = match existing {
        Some(key) => {
            let old = store
                .service(key)
                .await?
                .ok_or_else(|| IncidentError::NotFound(format!("service {key}")))?;
            (
                ServiceRecord {
                    name: name.to_owned(),
                    description,
                    team_id,
                    ..old
                },
                true,
            )
        }
        None => (
            ServiceRecord {
                id: uuid::Uuid::new_v4().to_string(),
                name: name.to_owned(),
                description,
                team_id,
                created_at: now,
            },
            false,
        ),
    };
    let audit = principal.audit(
        now,
        if update {
            "service.updated"
        } else {
            "service.created"
        },
        &record.id,
        serde_json::json!({ "name": record.name, "team_id": record.team_id }),
    );
    match store.save_service(&record, update, &audit).await? {
        ServiceWrite::Done => Ok(record),
        ServiceWrite::NameTaken => Err(IncidentError::Conflict(format!(
            "a service named {name:?} exists already"
        ))),
        ServiceWrite::UnknownTeam => Err(FieldError::new("team", "no such team").into()),
        ServiceWrite::NotFound | ServiceWrite::InUse(_) => {
            Err(IncidentError::NotFound(format!("service {name}")))
        }
    }
}

/// Deletes a service no incident names.
pub async fn delete_service(principal: &Principal, state: &AppState, key: &str) -> Result<()> {
    require(principal, Action::ManageServices)?;
    let store = state.engine.store();
    let found = store
        .service(key)
        .await?
        .ok_or_else(|| IncidentError::NotFound(format!("service {key}")))?;
    let audit = principal.audit(
        state.engine.now(),
        "service.deleted",
        &found.id,
        serde_json::json!({ "name": found.name }),
    );
    match store.delete_service(&found.id, &audit).await? {
        ServiceWrite::Done => Ok(()),
        ServiceWrite::InUse(n) => Err(IncidentError::Conflict(format!(
            "{n} incident(s) name service {:?}; it stays",
            found.name
        ))),
        _ => Err(IncidentError::NotFound(format!("service {key}"))),
    }
}
