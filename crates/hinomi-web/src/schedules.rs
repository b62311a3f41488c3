//! Changes to on-call schedules, their overrides and shift swaps, and company holiday
//! calendars, one function each, shared by the REST API (`api_v1`) and the console as
//! [`crate::people`] is for people: the access check ([`Action::ManageSchedules`] by the
//! global role, or as a responder of the schedule's team), the audit entry that commits
//! with the change, and the store's verdict as a [`ChangeError`] naming the field.
//!
//! Also what both front ends show of a schedule: who a user id is ([`People`]), and an
//! on-call answer explained in a language ([`explain`]).

use std::collections::HashMap;

use hinomi_core::oncall::{Absence, Answer, CompanyDays, Holiday, Reason, ScheduleDef};
use hinomi_core::{Action, TeamRole};
use hinomi_store::{
    HolidayCalendarRecord, OverrideKind, OverrideRecord, ScheduleRecord, ScheduleWrite, StoreError,
    StoredSchedule, TeamRecord, UserRecord,
};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::AppState;
use crate::auth::Principal;
use crate::console::{Catalog, Locale};
use crate::error::ApiError;

/// Why a change to a schedule or calendar (or the status page, `crate::status`) was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The caller may not perform the action here (the principal's own answer).
    #[error("{0}")]
    Denied(ApiError),
    /// What was not found: `schedule x`, `override y`.
    #[error("{0} not found")]
    NotFound(String),
    /// A field has a value the rules refuse.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the name {0:?} is taken")]
    NameTaken(String),
    /// A calendar that schedules still skip.
    #[error("holiday calendar {calendar:?} is skipped by schedules {schedules:?}")]
    InUse {
        calendar: String,
        schedules: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> ApiError {
        match e {
            ChangeError::Denied(e) => e,
            ChangeError::NotFound(what) => ApiError::not_found(what),
            ChangeError::Invalid { field, message } => {
                let text = format!("{field}: {message}");
                ApiError::bad_request("invalid_field", field, text)
            }
            ChangeError::NameTaken(_) | ChangeError::InUse { .. } => {
                ApiError::conflict("conflict", e.to_string())
            }
            ChangeError::Store(e) => e.into(),
        }
    }
}

type Result<T> = std::result::Result<T, ChangeError>;

/// Bad input in `field`.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ChangeError {
    ChangeError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// The store's verdict on a write, with what was written named for the errors.
fn outcome(write: ScheduleWrite, what: &str, name: &str) -> Result<()> {
    match write {
        ScheduleWrite::Done => Ok(()),
        ScheduleWrite::NotFound => Err(ChangeError::NotFound(what.to_owned())),
        ScheduleWrite::NameTaken => Err(ChangeError::NameTaken(name.to_owned())),
        ScheduleWrite::Invalid(e) => Err(invalid(e.field, e.message)),
        ScheduleWrite::InUse(schedules) => Err(ChangeError::InUse {
            calendar: name.to_owned(),
            schedules,
        }),
    }
}

/// Whether the caller may change the schedules of `team_id` (`None`: schedules of no
/// team, which only the global role allows).
pub async fn may_manage(
    principal: &Principal,
    state: &AppState,
    team_id: Option<&str>,
) -> Result<()> {
    let team_role: Option<TeamRole> = match (team_id, principal.user.as_ref()) {
        (Some(team), Some(user)) => state.engine.store().team_role(team, &user.id).await?,
        _ => None,
    };
    principal
        .require_in_team(Action::ManageSchedules, team_role)
        .map_err(ChangeError::Denied)
}

/// The teams whose schedules the caller may change, by name: every team for those whose
/// global role may.
pub async fn teams_for_schedules(
    principal: &Principal,
    state: &AppState,
) -> Result<Vec<TeamRecord>> {
    let mut allowed = Vec::new();
    for team in state.engine.store().teams().await? {
        match may_manage(principal, state, Some(&team.id)).await {
            Ok(()) => allowed.push(team),
            Err(ChangeError::Denied(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(allowed)
}

/// Whether the caller may change some schedule, globally or in a team. Checked before a
/// schedule is looked up: to someone who may change none, every id is refused alike.
pub async fn may_manage_some(principal: &Principal, state: &AppState) -> Result<()> {
    match may_manage(principal, state, None).await {
        Err(ChangeError::Denied(e)) if teams_for_schedules(principal, state).await?.is_empty() => {
            Err(ChangeError::Denied(e))
        }
        Err(ChangeError::Denied(_)) => Ok(()),
        other => other,
    }
}

/// The schedule with this id or name.
pub async fn find(state: &AppState, id: &str) -> Result<StoredSchedule> {
    state
        .engine
        .store()
        .schedule(id)
        .await?
        .ok_or_else(|| ChangeError::NotFound(format!("schedule {id}")))
}

/// The team (by id or name) given in field `team`: its id.
async fn team_id(state: &AppState, team: Option<&str>) -> Result<Option<String>> {
    match team.map(str::trim).filter(|t| !t.is_empty()) {
        Some(name) => Ok(Some(
            state
                .engine
                .store()
                .team(name)
                .await?
                .ok_or_else(|| invalid("team", format!("no team {name:?}")))?
                .id,
        )),
        None => Ok(None),
    }
}

/// A schedule as asked for.
#[derive(Clone, Debug)]
pub struct ScheduleInput {
    pub name: String,
    pub description: String,
    /// A team, by id or name; `None`: no team (admins only).
    pub team: Option<String>,
    pub definition: ScheduleDef,
}

fn schedule_detail(r: &ScheduleRecord) -> serde_json::Value {
    serde_json::json!({
        "name": r.name,
        "team_id": r.team_id,
        "time_zone": r.definition.time_zone,
        "layers": r.definition.layers.iter().map(|l| &l.name).collect::<Vec<_>>(),
    })
}

/// Creates a schedule in a team the caller may manage schedules of.
pub async fn create(
    principal: &Principal,
    state: &AppState,
    input: ScheduleInput,
) -> Result<StoredSchedule> {
    let team = team_id(state, input.team.as_deref()).await?;
    may_manage(principal, state, team.as_deref()).await?;
    let now = state.engine.now();
    let record = ScheduleRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: input.name.trim().to_owned(),
        description: input.description,
        team_id: team,
        definition: input.definition,
        created_at: now,
        updated_at: now,
    };
    let audit = principal.audit(
        now,
        "schedule.created",
        &record.id,
        schedule_detail(&record),
    );
    let write = state
        .engine
        .store()
        .create_schedule(&record, &audit)
        .await?;
    outcome(write, "schedule", &record.name)?;
    find(state, &record.id).await
}

/// Replaces a schedule's name, description, team and definition; moving it to another
/// team needs the right in both.
pub async fn update(
    principal: &Principal,
    state: &AppState,
    id: &str,
    input: ScheduleInput,
) -> Result<StoredSchedule> {
    may_manage_some(principal, state).await?;
    let current = find(state, id).await?.record;
    may_manage(principal, state, current.team_id.as_deref()).await?;
    let team = team_id(state, input.team.as_deref()).await?;
    if team != current.team_id {
        may_manage(principal, state, team.as_deref()).await?;
    }
    let now = state.engine.now();
    let record = ScheduleRecord {
        name: input.name.trim().to_owned(),
        description: input.description,
        team_id: team,
        definition: input.definition,
        updated_at: now,
        ..current
    };
    let audit = principal.audit(
        now,
        "schedule.updated",
        &record.id,
        schedule_detail(&record),
    );
    let write = state
        .engine
        .store()
        .update_schedule(&record, &audit)
        .await?;
    outcome(write, &format!("schedule {id}"), &record.name)?;
    find(state, &record.id).await
}

/// Deletes a schedule with its overrides.
pub async fn delete(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    may_manage_some(principal, state).await?;
    let current = find(state, id).await?.record;
    may_manage(principal, state, current.team_id.as_deref()).await?;
    let audit = principal.audit(
        state.engine.now(),
        "schedule.deleted",
        &current.id,
        serde_json::json!({ "name": current.name }),
    );
    if !state
        .engine
        .store()
        .delete_schedule(&current.id, &audit)
        .await?
    {
        return Err(ChangeError::NotFound(format!("schedule {id}")));
    }
    Ok(())
}

/// An override or shift swap as asked for.
#[derive(Clone, Debug)]
pub struct OverrideInput {
    /// Who is to be on call (a user id).
    pub user_id: String,
    pub start: i64,
    pub end: i64,
    pub note: String,
    /// For a swap: whose shift it was (a user id).
    pub swapped_from: Option<String>,
}

/// Longest override or swap: a year.
pub const MAX_OVERRIDE_MS: i64 = 366 * 86_400_000;

/// Whether the caller is a person handing over time as `swapped_from`: their own shift,
/// which they may give away without the right to manage the schedule (the store then
/// checks that the time is theirs).
pub fn gives_own_shift(principal: &Principal, swapped_from: Option<&str>) -> bool {
    let me = principal.user.as_deref().map(|u| u.id.as_str());
    swapped_from.is_some() && me == swapped_from && principal.require(Action::ManageSelf).is_ok()
}

/// Adds an override, or a swap when `swapped_from` is given, to a schedule. Needs the
/// right to manage the schedule, except for a swap of the caller's own time.
pub async fn add_override(
    principal: &Principal,
    state: &AppState,
    schedule_id: &str,
    input: OverrideInput,
) -> Result<OverrideRecord> {
    let own = gives_own_shift(principal, input.swapped_from.as_deref());
    if !own {
        may_manage_some(principal, state).await?;
    }
    let current = find(state, schedule_id).await?.record;
    if !own {
        may_manage(principal, state, current.team_id.as_deref()).await?;
    }
    if input.end.saturating_sub(input.start) > MAX_OVERRIDE_MS {
        return Err(invalid("end", "an override lasts at most 366 days"));
    }
    let now = state.engine.now();
    let kind = match input.swapped_from {
        Some(from) => OverrideKind::Swap { from },
        None => OverrideKind::Override,
    };
    let record = OverrideRecord {
        id: uuid::Uuid::new_v4().to_string(),
        schedule_id: current.id.clone(),
        user_id: input.user_id,
        start_at: input.start,
        end_at: input.end,
        kind,
        note: input.note.trim().to_owned(),
        created_by: principal.actor_parts().2,
        created_at: now,
    };
    let (action, from) = match &record.kind {
        OverrideKind::Override => ("schedule.override_added", None),
        OverrideKind::Swap { from } => ("schedule.swap_added", Some(from)),
    };
    let audit = principal.audit(
        now,
        action,
        &current.id,
        serde_json::json!({
            "override_id": record.id,
            "user_id": record.user_id,
            "swapped_from": from,
            "start": crate::api_v1::time(record.start_at),
            "end": crate::api_v1::time(record.end_at),
            "note": record.note,
        }),
    );
    let write = state.engine.store().add_override(&record, &audit).await?;
    outcome(write, &format!("schedule {schedule_id}"), &current.name)?;
    Ok(record)
}

/// Removes an override or swap from a schedule.
pub async fn remove_override(
    principal: &Principal,
    state: &AppState,
    schedule_id: &str,
    override_id: &str,
) -> Result<()> {
    may_manage_some(principal, state).await?;
    let current = find(state, schedule_id).await?.record;
    may_manage(principal, state, current.team_id.as_deref()).await?;
    let audit = principal.audit(
        state.engine.now(),
        "schedule.override_removed",
        &current.id,
        serde_json::json!({ "override_id": override_id }),
    );
    let store = state.engine.store();
    if !store
        .remove_override(&current.id, override_id, &audit)
        .await?
    {
        return Err(ChangeError::NotFound(format!("override {override_id}")));
    }
    Ok(())
}

/// The company calendar with this id or name.
pub async fn find_calendar(state: &AppState, id: &str) -> Result<HolidayCalendarRecord> {
    state
        .engine
        .store()
        .holiday_calendar(id)
        .await?
        .ok_or_else(|| ChangeError::NotFound(format!("holiday calendar {id}")))
}

fn calendar_detail(c: &HolidayCalendarRecord) -> serde_json::Value {
    serde_json::json!({ "name": c.name, "days": c.days.len() })
}

/// Creates a company calendar; calendars belong to the whole installation (admins).
pub async fn create_calendar(
    principal: &Principal,
    state: &AppState,
    name: &str,
    description: &str,
    days: CompanyDays,
) -> Result<HolidayCalendarRecord> {
    may_manage(principal, state, None).await?;
    check_day_count(&days)?;
    let now = state.engine.now();
    let record = HolidayCalendarRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.trim().to_owned(),
        description: description.to_owned(),
        days,
        created_at: now,
        updated_at: now,
    };
    let audit = principal.audit(
        now,
        "holiday_calendar.created",
        &record.id,
        calendar_detail(&record),
    );
    let write = state
        .engine
        .store()
        .create_holiday_calendar(&record, &audit)
        .await?;
    outcome(write, "holiday calendar", &record.name)?;
    Ok(record)
}

/// What to change of a calendar: `None` keeps it. `add_days` are merged into the days
/// (kept or replaced), a date already there taking the new name.
#[derive(Clone, Debug, Default)]
pub struct CalendarChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub days: Option<CompanyDays>,
    pub add_days: CompanyDays,
}

impl CalendarChange {
    /// Imported `days`: added to the calendar's, or with `replace` in place of them.
    pub fn import(days: CompanyDays, replace: bool) -> CalendarChange {
        if replace {
            CalendarChange {
                days: Some(days),
                ..CalendarChange::default()
            }
        } else {
            CalendarChange {
                add_days: days,
                ..CalendarChange::default()
            }
        }
    }
}

/// Changes a company calendar; the schedules that skip it follow at once.
pub async fn update_calendar(
    principal: &Principal,
    state: &AppState,
    id: &str,
    change: CalendarChange,
) -> Result<HolidayCalendarRecord> {
    may_manage(principal, state, None).await?;
    let current = find_calendar(state, id).await?;
    let mut days = change.days.unwrap_or_else(|| current.days.clone());
    days.extend(change.add_days);
    check_day_count(&days)?;
    let now = state.engine.now();
    let record = HolidayCalendarRecord {
        name: change
            .name
            .map_or(current.name.clone(), |n| n.trim().to_owned()),
        description: change.description.unwrap_or(current.description.clone()),
        days,
        updated_at: now,
        ..current
    };
    let audit = principal.audit(
        now,
        "holiday_calendar.updated",
        &record.id,
        calendar_detail(&record),
    );
    let write = state
        .engine
        .store()
        .update_holiday_calendar(&record, &audit)
        .await?;
    outcome(write, &format!("holiday calendar {id}"), &record.name)?;
    Ok(record)
}

/// Deletes a company calendar no schedule skips.
pub async fn delete_calendar(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    may_manage(principal, state, None).await?;
    let current = find_calendar(state, id).await?;
    let audit = principal.audit(
        state.engine.now(),
        "holiday_calendar.deleted",
        &current.id,
        serde_json::json!({ "name": current.name }),
    );
    let write = state
        .engine
        .store()
        .delete_holiday_calendar(&current.id, &audit)
        .await?;
    outcome(write, &format!("holiday calendar {id}"), &current.name)
}

/// Most days one calendar holds, or one import brings.
pub const MAX_DAYS: usize = 5_000;

/// At most [`MAX_DAYS`] days in one calendar.
pub fn check_day_count(days: &CompanyDays) -> Result<()> {
    if days.len() > MAX_DAYS {
        return Err(invalid(
            "days",
            format!("a calendar holds at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

/// A day's name: 1 to 100 characters, no control characters.
pub fn check_day_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(field, "1 to 100 characters, no control characters"));
    }
    Ok(name.to_owned())
}

/// A date written `YYYY-MM-DD`.
pub fn parse_date(field: &str, text: &str) -> Result<Date> {
    let text = text.trim();
    let ok = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    ok.then(|| text.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| invalid(field, format!("{text:?} is not a date as YYYY-MM-DD")))
}

/// Days from a list of `YYYY-MM-DD,name` lines (blank lines and lines starting with `#`
/// skipped; a name may be quoted as in CSV). A fault names `field` and the line.
pub fn parse_csv_days(field: &str, text: &str) -> Result<CompanyDays> {
    let mut days = CompanyDays::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |what: &str| invalid(field, format!("line {}: {what}", n + 1));
        let (date, name) = line
            .split_once(',')
            .ok_or_else(|| at("expected YYYY-MM-DD,name"))?;
        let date = parse_date(field, date).map_err(|e| at(&e.to_string()))?;
        let name = name.trim();
        let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => name.to_owned(),
        };
        let name = check_day_name(field, &name).map_err(|_| at("the name: 1 to 100 characters"))?;
        days.insert(date, name);
        if days.len() > MAX_DAYS {
            return Err(invalid(field, format!("more than {MAX_DAYS} days")));
        }
    }
    Ok(days)
}

/// The days of an import: the all-day events of an iCalendar file when `ics` (its sender
/// said so) or the text begins with `BEGIN:VCALENDAR`, else `YYYY-MM-DD,name` lines. A
/// fault names `field`.
pub fn parse_import(field: &str, text: &str, ics: bool) -> Result<CompanyDays> {
    let ics = ics
        || text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with("BEGIN:VCALENDAR");
    if ics {
        crate::ical::all_day_events(text, MAX_DAYS).map_err(|e| invalid(field, e))
    } else {
        parse_csv_days(field, text)
    }
}

/// The person whose calendar feed the caller asks about: themselves.
fn feed_owner(principal: &Principal) -> Result<&UserRecord> {
    principal
        .require(Action::ManageSelf)
        .map_err(ChangeError::Denied)?;
    principal
        .user
        .as_deref()
        .ok_or_else(|| ChangeError::Denied(ApiError::forbidden(Action::ManageSelf)))
}

/// The address of the caller's own calendar feed.
pub async fn feed_url(principal: &Principal, state: &AppState) -> Result<String> {
    let user = feed_owner(principal)?;
    let version = state.engine.store().ical_version(&user.id).await?;
    Ok(state.feeds.url(&user.id, version))
}

/// A new address for the caller's calendar feed; every earlier one stops working.
pub async fn rotate_feed(principal: &Principal, state: &AppState) -> Result<String> {
    let user = feed_owner(principal)?;
    let now = state.engine.now();
    let audit = principal.audit(now, "ical.rotated", &user.id, serde_json::json!({}));
    let version = state
        .engine
        .store()
        .rotate_ical(&user.id, now, &audit)
        .await?;
    Ok(state.feeds.url(&user.id, version))
}

/// What the front ends know of the people a schedule names, by user id.
#[derive(Debug, Default)]
pub struct People(HashMap<String, UserRecord>);

impl People {
    /// Everyone.
    pub async fn load(state: &AppState) -> Result<People> {
        Ok(People::from_users(state.engine.store().users().await?))
    }

    /// These users.
    pub fn from_users(users: Vec<UserRecord>) -> People {
        People(users.into_iter().map(|u| (u.id.clone(), u)).collect())
    }

    pub fn get(&self, id: &str) -> Option<&UserRecord> {
        self.0.get(id)
    }

    /// Whether the user is disabled (a schedule may name them; nobody pages them).
    pub fn is_disabled(&self, id: &str) -> bool {
        self.get(id).is_some_and(|u| u.disabled_at.is_some())
    }

    /// The user's username, or the id itself for a user removed since.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |u| u.username.as_str())
    }

    /// The user id of a user named by id or username.
    pub fn id_of(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.0
            .get(name)
            .or_else(|| self.0.values().find(|u| u.username == name))
            .map(|u| u.id.as_str())
    }
}

/// An instant in `tz`, to the minute, as people read it.
pub fn local_time(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The text of catalog entry `key` with each `{name}` replaced by its value.
fn fill(locale: Locale, key: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(locale.t(key).to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// A holiday's name in `locale`.
pub fn holiday_name(holiday: &Holiday, locale: Locale) -> String {
    match holiday {
        Holiday::Japanese(h) => match locale {
            Locale::Ja => h.name_ja().to_owned(),
            Locale::En => h.name_en().to_owned(),
        },
        Holiday::Company(name) => name.clone(),
    }
}

/// The answer to "who is on call, and why" as sentences in `locale`, times in `tz`: who
/// and what put them there (the override or swap, or the layer with its rotation shift
/// and the window that was open), whether that person is disabled (escalation skips them)
/// or gone, then each layer above that had nobody and why.
pub fn explain(
    s: &StoredSchedule,
    answer: Option<&Answer>,
    people: &People,
    locale: Locale,
    tz: &TimeZone,
) -> Vec<String> {
    let Some(a) = answer else {
        return vec![locale.t("oncall.why.nobody").to_owned()];
    };
    let at = |t: Timestamp| local_time(t, tz);
    let user = people.name(&a.user);
    let mut lines = Vec::new();
    match &a.reason {
        Reason::Override { index, start, end } => {
            let o = &s.overrides[*index];
            let (start, end) = (at(*start), at(*end));
            let mut values = vec![
                ("user", user),
                ("start", &start),
                ("end", &end),
                ("by", &o.created_by),
            ];
            let key = match &o.kind {
                OverrideKind::Override => "oncall.why.override",
                OverrideKind::Swap { from } => {
                    values.push(("from", people.name(from)));
                    "oncall.why.swap"
                }
            };
            lines.push(fill(locale, key, &values));
            if !o.note.is_empty() {
                lines.push(fill(locale, "oncall.why.note", &[("note", &o.note)]));
            }
        }
        Reason::Layer {
            name,
            shift,
            window,
            ..
        } => {
            let (start, end) = (at(shift.start), at(shift.end));
            let number = (shift.index + 1).to_string();
            lines.push(fill(
                locale,
                "oncall.why.layer",
                &[
                    ("user", user),
                    ("layer", name),
                    ("shift", &number),
                    ("start", &start),
                    ("end", &end),
                ],
            ));
            if let Some(w) = window {
                let (open, close) = (at(w.start), at(w.end));
                let number = (w.window + 1).to_string();
                lines.push(fill(
                    locale,
                    "oncall.why.window",
                    &[("window", &number), ("open", &open), ("close", &close)],
                ));
            }
        }
    }
    if people.is_disabled(&a.user) {
        lines.push(fill(locale, "oncall.why.disabled", &[("user", user)]));
    } else if people.get(&a.user).is_none() {
        lines.push(fill(locale, "oncall.why.unknown_user", &[("user", user)]));
    }
    for p in &a.passed_over {
        let line = match &p.why {
            Absence::NotStarted => fill(locale, "oncall.why.not_started", &[("layer", &p.name)]),
            Absence::OutsideWindows => fill(locale, "oncall.why.outside", &[("layer", &p.name)]),
            Absence::Holiday { date, holiday } => fill(
                locale,
                "oncall.why.holiday",
                &[
                    ("layer", &p.name),
                    ("date", &date.to_string()),
                    ("holiday", &holiday_name(holiday, locale)),
                ],
            ),
        };
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn csv_days_parse_with_quotes_comments_and_a_bom() {
        let days = parse_csv_days(
            "body",
            "\u{feff}# company days\n2026-12-29,年末休暇\n\n2026-12-30,\"Year end, \"\"closed\"\"\"\n",
        )
        .unwrap();
        assert_eq!(
            days.into_iter().collect::<Vec<_>>(),
            vec![
                (date(2026, 12, 29), "年末休暇".to_owned()),
                (date(2026, 12, 30), "Year end, \"closed\"".to_owned()),
            ]
        );
        for (text, line) in [
            ("2026-12-29", "line 1"),
            ("2026-12-29,ok\n2026-13-01,bad", "line 2"),
            ("2026-1-2,short", "line 1"),
            ("2026-12-29,", "line 1"),
        ] {
            let err = parse_csv_days("body", text).unwrap_err().to_string();
            assert!(
                err.starts_with("body: ") && err.contains(line),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn every_explanation_has_its_text_in_both_languages() {
        for locale in Locale::ALL {
            for key in [
                "oncall.why.nobody",
                "oncall.why.override",
                "oncall.why.swap",
                "oncall.why.note",
                "oncall.why.layer",
                "oncall.why.window",
                "oncall.why.not_started",
                "oncall.why.outside",
                "oncall.why.holiday",
                "oncall.why.disabled",
                "oncall.why.unknown_user",
            ] {
                assert_ne!(locale.t(key), key, "{locale:?}");
            }
        }
        assert_eq!(
            fill(Locale::En, "oncall.why.note", &[("note", "熱")]),
            Locale::En.t("oncall.why.note").replace("{note}", "熱")
        );
    }
}
