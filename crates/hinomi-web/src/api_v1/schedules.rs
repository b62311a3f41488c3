//! `/api/v1/schedules`: on-call schedules, their overrides and shift swaps, "who is on call
//! at T, and why", and a preview of the shifts. Everyone may read them; changes need
//! `manage_schedules` globally or as a responder of the schedule's team, through
//! `crate::schedules` as the console does.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_core::oncall::{
    Absence, Answer, Holiday, LayerDef, Reason, RestrictionDef, ScheduleDef, Shift, ShiftLengthDef,
    Source, WindowDef,
};
use hinomi_store::{OverrideKind, OverrideRecord, StoredSchedule};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, QueryArgs, parse_time, time};
use crate::AppState;
use crate::auth::Principal;
use crate::console::Locale;
use crate::error::ApiError;
use crate::schedules::{self as sched, People, ScheduleInput};

/// A layer: a rotation of participants, perhaps restricted to some windows. The same
/// shape in requests and answers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerJson {
    name: String,
    /// User ids, in the order they take turns.
    participants: Vec<String>,
    shift_length: ShiftLengthJson,
    /// RFC 3339: when the rotation begins; the first participant's shift contains it.
    start: String,
    /// `HH:MM`, the wall-clock handoff time in the schedule's zone.
    handoff: String,
    /// When the layer may be on call; absent for always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restriction: Option<RestrictionJson>,
}

/// `count` of `unit`: `hours`, `days`, `weeks` (calendar days and weeks of the zone) or
/// `minutes`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftLengthJson {
    unit: String,
    count: u32,
}

/// Weekly windows, and the holidays on which they stay shut.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionJson {
    windows: Vec<WindowJson>,
    /// Windows opening on a Japanese public holiday stay shut.
    #[serde(default)]
    skip_japanese_holidays: bool,
    /// Company holiday calendars (ids) whose days shut the windows too.
    #[serde(default)]
    skip_calendars: Vec<String>,
}

/// A window on `days` (`mon` ... `sun`) from `start` to `end` (`HH:MM`; an end not after
/// the start runs into the next day).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowJson {
    days: Vec<String>,
    start: String,
    end: String,
}

impl From<LayerJson> for LayerDef {
    fn from(l: LayerJson) -> LayerDef {
        LayerDef {
            name: l.name,
            participants: l.participants,
            shift_length: ShiftLengthDef {
                unit: l.shift_length.unit,
                count: l.shift_length.count,
            },
            start: l.start,
            handoff: l.handoff,
            restriction: l.restriction.map(|r| RestrictionDef {
                windows: r
                    .windows
                    .into_iter()
                    .map(|w| WindowDef {
                        days: w.days,
                        start: w.start,
                        end: w.end,
                    })
                    .collect(),
                skip_japanese_holidays: r.skip_japanese_holidays,
                skip_calendars: r.skip_calendars,
            }),
        }
    }
}

impl From<&LayerDef> for LayerJson {
    fn from(l: &LayerDef) -> LayerJson {
        LayerJson {
            name: l.name.clone(),
            participants: l.participants.clone(),
            shift_length: ShiftLengthJson {
                unit: l.shift_length.unit.clone(),
                count: l.shift_length.count,
            },
            start: l.start.clone(),
            handoff: l.handoff.clone(),
            restriction: l.restriction.as_ref().map(|r| RestrictionJson {
                windows: r
                    .windows
                    .iter()
                    .map(|w| WindowJson {
                        days: w.days.clone(),
                        start: w.start.clone(),
                        end: w.end.clone(),
                    })
                    .collect(),
                skip_japanese_holidays: r.skip_japanese_holidays,
                skip_calendars: r.skip_calendars.clone(),
            }),
        }
    }
}

/// A schedule to create, or to replace one with (`PUT`). The `hinomi schedule create
/// --file` command reads the same JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A team (id or name) whose responders may change the schedule; absent: admins only.
    pub team: Option<String>,
    /// An IANA zone such as `Asia/Tokyo`: handoffs and windows are its wall-clock times.
    pub time_zone: String,
    /// Bottom first: where a later layer has someone on call, it covers the earlier ones.
    pub layers: Vec<LayerJson>,
}

impl ScheduleIn {
    /// The zone and layers as the store keeps them.
    pub fn definition(&self) -> ScheduleDef {
        ScheduleDef {
            time_zone: self.time_zone.clone(),
            layers: self.layers.iter().cloned().map(LayerDef::from).collect(),
        }
    }

    fn into_input(self) -> ScheduleInput {
        ScheduleInput {
            definition: self.definition(),
            name: self.name,
            description: self.description,
            team: self.team,
        }
    }
}

/// `Some(value)` for a field that is present, even as `null`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What to change of a schedule; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulePatch {
    name: Option<String>,
    description: Option<String>,
    /// A team (id or name), or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    team: Option<Option<String>>,
    time_zone: Option<String>,
    layers: Option<Vec<LayerJson>>,
}

/// A user a schedule names; `username` is absent for a user removed since.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonOut {
    id: String,
    username: Option<String>,
    display_name: Option<String>,
    /// A disabled user stays in schedules but is never paged.
    disabled: bool,
}

fn person(people: &People, id: &str) -> PersonOut {
    let user = people.get(id);
    PersonOut {
        id: id.to_owned(),
        username: user.map(|u| u.username.clone()),
        display_name: user.map(|u| u.display_name.clone()),
        disabled: people.is_disabled(id),
    }
}

/// An override, or a shift swap (`kind` `swap`, with the user whose shift it was).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideOut {
    id: String,
    /// `override` or `swap`.
    kind: String,
    user: PersonOut,
    swapped_from: Option<PersonOut>,
    start: String,
    end: String,
    note: String,
    created_by: String,
    created_at: String,
}

fn override_out(o: &OverrideRecord, people: &People) -> OverrideOut {
    let (kind, from) = match &o.kind {
        OverrideKind::Override => ("override", None),
        OverrideKind::Swap { from } => ("swap", Some(person(people, from))),
    };
    OverrideOut {
        id: o.id.clone(),
        kind: kind.to_owned(),
        user: person(people, &o.user_id),
        swapped_from: from,
        start: time(o.start_at),
        end: time(o.end_at),
        note: o.note.clone(),
        created_by: o.created_by.clone(),
        created_at: time(o.created_at),
    }
}

/// A schedule as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOut {
    id: String,
    name: String,
    description: String,
    team_id: Option<String>,
    time_zone: String,
    layers: Vec<LayerJson>,
    /// Oldest first; of overlapping ones the newest wins.
    overrides: Vec<OverrideOut>,
    /// Who is on call now.
    on_call_now: Option<PersonOut>,
    created_at: String,
    updated_at: String,
}

fn schedule_out(s: &StoredSchedule, people: &People, now: Timestamp) -> ScheduleOut {
    let r = &s.record;
    ScheduleOut {
        id: r.id.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        team_id: r.team_id.clone(),
        time_zone: r.definition.time_zone.clone(),
        layers: r.definition.layers.iter().map(LayerJson::from).collect(),
        overrides: s
            .overrides
            .iter()
            .map(|o| override_out(o, people))
            .collect(),
        on_call_now: s.schedule.on_call_at(now).map(|a| person(people, &a.user)),
        created_at: time(r.created_at),
        updated_at: time(r.updated_at),
    }
}

fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

async fn answer(state: &AppState, s: &StoredSchedule) -> Result<Json<ScheduleOut>, ApiError> {
    let people = People::load(state).await?;
    Ok(Json(schedule_out(s, &people, instant(state.engine.now()))))
}

/// List schedules, with who is on call in each now.
#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses((status = 200, body = Vec<ScheduleOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<ScheduleOut>>, ApiError> {
    principal.require(Action::Read)?;
    let all = state.engine.store().schedules().await?;
    let people = People::load(&state).await?;
    let now = instant(state.engine.now());
    Ok(Json(
        all.iter().map(|s| schedule_out(s, &people, now)).collect(),
    ))
}

/// Get a schedule (by id or name) with its overrides.
#[utoipa::path(get, path = "/api/v1/schedules/{schedule}", tag = "schedules",
    params(("schedule" = String, Path, description = "Id or name")),
    responses((status = 200, body = ScheduleOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ScheduleOut>, ApiError> {
    principal.require(Action::Read)?;
    let s = sched::find(&state, &id).await?;
    answer(&state, &s).await
}

/// Create a schedule.
#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleIn,
    responses((status = 201, body = ScheduleOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ScheduleIn>,
) -> Result<(StatusCode, Json<ScheduleOut>), ApiError> {
    let s = sched::create(&principal, &state, body.into_input()).await?;
    Ok((StatusCode::CREATED, answer(&state, &s).await?))
}

/// Replace a schedule's name, description, team, zone and layers.
#[utoipa::path(put, path = "/api/v1/schedules/{schedule}", tag = "schedules",
    request_body = ScheduleIn,
    params(("schedule" = String, Path, description = "Id or name")),
    responses((status = 200, body = ScheduleOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn replace(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ScheduleIn>,
) -> Result<Json<ScheduleOut>, ApiError> {
    let s = sched::update(&principal, &state, &id, body.into_input()).await?;
    answer(&state, &s).await
}

/// Change some of a schedule's fields.
#[utoipa::path(patch, path = "/api/v1/schedules/{schedule}", tag = "schedules",
    request_body = SchedulePatch,
    params(("schedule" = String, Path, description = "Id or name")),
    responses((status = 200, body = ScheduleOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn patch(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SchedulePatch>,
) -> Result<Json<ScheduleOut>, ApiError> {
    let current = sched::find(&state, &id).await?.record;
    let input = ScheduleInput {
        name: body.name.unwrap_or(current.name),
        description: body.description.unwrap_or(current.description),
        team: body.team.unwrap_or(current.team_id),
        definition: ScheduleDef {
            time_zone: body.time_zone.unwrap_or(current.definition.time_zone),
            layers: match body.layers {
                Some(layers) => layers.into_iter().map(LayerDef::from).collect(),
                None => current.definition.layers,
            },
        },
    };
    let s = sched::update(&principal, &state, &current.id, input).await?;
    answer(&state, &s).await
}

/// Delete a schedule with its overrides.
#[utoipa::path(delete, path = "/api/v1/schedules/{schedule}", tag = "schedules",
    params(("schedule" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn delete(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sched::delete(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    at: Option<String>,
}

/// A layer, by position (0 is the bottom) and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct LayerRef {
    index: usize,
    name: String,
}

/// The rotation shift that put someone on call: its number (1 is the shift containing
/// the rotation's start) and its bounds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationShiftOut {
    number: i64,
    start: String,
    end: String,
}

/// The restriction window that was open.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenWindowOut {
    /// Its position in the layer's restriction.
    index: usize,
    days: Vec<String>,
    start: String,
    end: String,
    /// When this occurrence opened and closes.
    opened_at: String,
    closes_at: String,
}

/// What put the user on call: an override (or swap), or a layer's rotation shift.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    /// `override` or `layer`.
    kind: String,
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    by_override: Option<OverrideOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<LayerRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shift: Option<RotationShiftOut>,
    /// The window that allowed the layer; absent for a layer without restriction.
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<OpenWindowOut>,
}

/// A holiday, named in both languages (a company day has one name).
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayOut {
    date: String,
    /// `japanese` or `company`.
    kind: String,
    name_ja: String,
    name_en: String,
}

/// A layer above the one that answered that had nobody on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassedOverOut {
    layer: LayerRef,
    /// `not_started`, `outside_windows` or `holiday`.
    why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    holiday: Option<HolidayOut>,
}

/// The answer in sentences, times in the schedule's zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationOut {
    ja: Vec<String>,
    en: Vec<String>,
}

/// Who is on call at an instant, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallOut {
    at: String,
    time_zone: String,
    /// Absent when nobody is on call.
    user: Option<PersonOut>,
    reason: Option<ReasonOut>,
    /// The layers above the one that answered that had nobody, top first.
    passed_over: Vec<PassedOverOut>,
    explanation: ExplanationOut,
}

fn holiday_out(date: jiff::civil::Date, holiday: &Holiday) -> HolidayOut {
    HolidayOut {
        date: date.to_string(),
        kind: match holiday {
            Holiday::Japanese(_) => "japanese",
            Holiday::Company(_) => "company",
        }
        .to_owned(),
        name_ja: sched::holiday_name(holiday, Locale::Ja),
        name_en: sched::holiday_name(holiday, Locale::En),
    }
}

fn on_call_out(
    s: &StoredSchedule,
    at: Timestamp,
    a: Option<&Answer>,
    people: &People,
) -> OnCallOut {
    let layers = &s.record.definition.layers;
    let reason = a.map(|a| match &a.reason {
        Reason::Override { index, .. } => ReasonOut {
            kind: "override".to_owned(),
            by_override: Some(override_out(&s.overrides[*index], people)),
            layer: None,
            shift: None,
            window: None,
        },
        Reason::Layer {
            index,
            name,
            shift,
            window,
        } => ReasonOut {
            kind: "layer".to_owned(),
            by_override: None,
            layer: Some(LayerRef {
                index: *index,
                name: name.clone(),
            }),
            shift: Some(RotationShiftOut {
                number: shift.index + 1,
                start: time(ms(shift.start)),
                end: time(ms(shift.end)),
            }),
            window: window.as_ref().and_then(|w| {
                let def = layers[*index].restriction.as_ref()?.windows.get(w.window)?;
                Some(OpenWindowOut {
                    index: w.window,
                    days: def.days.clone(),
                    start: def.start.clone(),
                    end: def.end.clone(),
                    opened_at: time(ms(w.start)),
                    closes_at: time(ms(w.end)),
                })
            }),
        },
    });
    let passed_over = a.map_or(Vec::new(), |a| {
        a.passed_over
            .iter()
            .map(|p| {
                let (why, holiday) = match &p.why {
                    Absence::NotStarted => ("not_started", None),
                    Absence::OutsideWindows => ("outside_windows", None),
                    Absence::Holiday { date, holiday } => {
                        ("holiday", Some(holiday_out(*date, holiday)))
                    }
                };
                PassedOverOut {
                    layer: LayerRef {
                        index: p.layer,
                        name: p.name.clone(),
                    },
                    why: why.to_owned(),
                    holiday,
                }
            })
            .collect()
    });
    let tz = s.schedule.zone();
    OnCallOut {
        at: time(ms(at)),
        time_zone: s.schedule.zone_name().to_owned(),
        user: a.map(|a| person(people, &a.user)),
        reason,
        passed_over,
        explanation: ExplanationOut {
            ja: sched::explain(s, a, people, Locale::Ja, tz),
            en: sched::explain(s, a, people, Locale::En, tz),
        },
    }
}

/// Who is on call at `at` (RFC 3339; now when absent), and why: the override, or the layer
/// with its rotation shift and the window that was open, and each layer above that had
/// nobody, with the reason (not started, outside its windows, or which holiday).
#[utoipa::path(get, path = "/api/v1/schedules/{schedule}/on-call", tag = "schedules",
    params(("schedule" = String, Path, description = "Id or name"),
           ("at" = Option<String>, Query, description = "RFC 3339; now when absent")),
    responses((status = 200, body = OnCallOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn on_call(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryArgs(q): QueryArgs<AtQuery>,
) -> Result<Json<OnCallOut>, ApiError> {
    principal.require(Action::Read)?;
    let at = match q.at.as_deref() {
        Some(text) => parse_time("at", text)?,
        None => state.engine.now(),
    };
    let s = sched::find(&state, &id).await?;
    let people = People::load(&state).await?;
    let at = instant(at);
    let a = s.schedule.on_call_at(at);
    Ok(Json(on_call_out(&s, at, a.as_ref(), &people)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Longest preview, in days.
pub const MAX_PREVIEW_DAYS: i64 = 93;

/// Where a stretch of the timeline comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftSourceOut {
    /// `layer` or `override`.
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<LayerRef>,
    /// The rotation shift's number (1 contains the rotation's start).
    #[serde(skip_serializing_if = "Option::is_none")]
    shift_number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    override_id: Option<String>,
    /// `override` or `swap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    override_kind: Option<String>,
}

/// One stretch of the flattened timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftOut {
    user: PersonOut,
    start: String,
    end: String,
    source: ShiftSourceOut,
}

/// The timeline of an interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftsOut {
    from: String,
    to: String,
    time_zone: String,
    /// In order; the gaps between them have nobody on call.
    shifts: Vec<ShiftOut>,
}

/// `[from, to)` from RFC 3339 texts: `from` defaults to `now`, `to` to 14 days after it;
/// at most [`MAX_PREVIEW_DAYS`] long.
pub fn preview_range(
    from: Option<&str>,
    to: Option<&str>,
    now: i64,
) -> Result<(i64, i64), ApiError> {
    let from = match from {
        Some(t) => parse_time("from", t)?,
        None => now,
    };
    let to = match to {
        Some(t) => parse_time("to", t)?,
        None => from.saturating_add(14 * 86_400_000),
    };
    if to <= from {
        return Err(ApiError::bad_request(
            "invalid_field",
            "to",
            "to: must be after from",
        ));
    }
    if to - from > MAX_PREVIEW_DAYS * 86_400_000 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "to",
            format!("to: a preview spans at most {MAX_PREVIEW_DAYS} days"),
        ));
    }
    Ok((from, to))
}

fn shift_out(s: &StoredSchedule, shift: &Shift, people: &People) -> ShiftOut {
    let source = match shift.source {
        Source::Layer { layer, shift } => ShiftSourceOut {
            kind: "layer".to_owned(),
            layer: s.record.definition.layers.get(layer).map(|l| LayerRef {
                index: layer,
                name: l.name.clone(),
            }),
            shift_number: Some(shift + 1),
            override_id: None,
            override_kind: None,
        },
        Source::Override(i) => ShiftSourceOut {
            kind: "override".to_owned(),
            layer: None,
            shift_number: None,
            override_id: Some(s.overrides[i].id.clone()),
            override_kind: Some(
                match s.overrides[i].kind {
                    OverrideKind::Override => "override",
                    OverrideKind::Swap { .. } => "swap",
                }
                .to_owned(),
            ),
        },
    };
    ShiftOut {
        user: person(people, &shift.user),
        start: time(ms(shift.start)),
        end: time(ms(shift.end)),
        source,
    }
}

/// Preview who is on call when: the flattened timeline of `[from, to)` (now and 14 days
/// when absent; at most 93 days).
#[utoipa::path(get, path = "/api/v1/schedules/{schedule}/shifts", tag = "schedules",
    params(("schedule" = String, Path, description = "Id or name"),
           ("from" = Option<String>, Query, description = "RFC 3339; now when absent"),
           ("to" = Option<String>, Query, description = "RFC 3339; 14 days after `from` when absent")),
    responses((status = 200, body = ShiftsOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn shifts(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryArgs(q): QueryArgs<RangeQuery>,
) -> Result<Json<ShiftsOut>, ApiError> {
    principal.require(Action::Read)?;
    let (from, to) = preview_range(q.from.as_deref(), q.to.as_deref(), state.engine.now())?;
    let s = sched::find(&state, &id).await?;
    let people = People::load(&state).await?;
    let shifts = s.schedule.shifts(instant(from), instant(to));
    Ok(Json(ShiftsOut {
        from: time(from),
        to: time(to),
        time_zone: s.schedule.zone_name().to_owned(),
        shifts: shifts.iter().map(|sh| shift_out(&s, sh, &people)).collect(),
    }))
}

/// An override, or with `swapped_from` a shift swap: the giver hands the interval (all or
/// part of their shift) to `user_id`, and must be on call throughout it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideIn {
    /// Who is to be on call.
    user_id: String,
    /// RFC 3339.
    start: String,
    /// RFC 3339, after `start`; at most 366 days later.
    end: String,
    #[serde(default)]
    note: String,
    /// For a swap: the user whose shift it is.
    swapped_from: Option<String>,
}

/// Add an override or a shift swap.
#[utoipa::path(post, path = "/api/v1/schedules/{schedule}/overrides", tag = "schedules",
    request_body = OverrideIn,
    params(("schedule" = String, Path, description = "Id or name")),
    responses((status = 201, body = OverrideOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn add_override(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OverrideIn>,
) -> Result<(StatusCode, Json<OverrideOut>), ApiError> {
    let input = sched::OverrideInput {
        user_id: body.user_id,
        start: parse_time("start", &body.start)?,
        end: parse_time("end", &body.end)?,
        note: body.note,
        swapped_from: body.swapped_from,
    };
    let o = sched::add_override(&principal, &state, &id, input).await?;
    let people = People::load(&state).await?;
    Ok((StatusCode::CREATED, Json(override_out(&o, &people))))
}

/// Remove an override or shift swap.
#[utoipa::path(delete, path = "/api/v1/schedules/{schedule}/overrides/{override}",
    tag = "schedules",
    params(("schedule" = String, Path, description = "Id or name"), ("override" = String, Path)),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn remove_override(
    principal: Principal,
    State(state): State<AppState>,
    Path((id, override_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    sched::remove_override(&principal, &state, &id, &override_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's own iCal feed: a URL to subscribe to in a calendar application. Anyone holding it
/// can read the feed; rotating it stops every earlier URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct IcalOut {
    /// `<external_url>/ical/<user id>/<signature>.ics`: one's shifts across every schedule
    /// for the next 60 days.
    url: String,
}

/// Get the URL of one's iCal feed.
#[utoipa::path(get, path = "/api/v1/me/ical", tag = "me",
    responses((status = 200, body = IcalOut)))]
pub async fn my_ical(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<IcalOut>, ApiError> {
    let url = sched::feed_url(&principal, &state).await?;
    Ok(Json(IcalOut { url }))
}

/// Rotate one's iCal feed URL: the earlier URLs stop working at once.
#[utoipa::path(post, path = "/api/v1/me/ical/rotate", tag = "me",
    responses((status = 200, body = IcalOut)))]
pub async fn rotate_ical(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<IcalOut>, ApiError> {
    let url = sched::rotate_feed(&principal, &state).await?;
    Ok(Json(IcalOut { url }))
}
