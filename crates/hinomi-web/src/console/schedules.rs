//! `/schedules`: on-call schedules for everyone to read. The list says who is on call now
//! in each and gives the viewer their own calendar feed; a schedule's page answers "who is
//! on call at T, and why", shows the next 14 days of shifts in the viewer's time zone and
//! the overrides and shift swaps, and holds the form that builds or changes the schedule
//! (zone, layers with their members in turn, shift length, handoff, restriction windows,
//! holidays to skip). Changes go through [`crate::schedules`], the functions the API uses,
//! so the console refuses what the API refuses, naming the same field.
//!
//! The form's inputs are named by the definition's own field paths
//! (`layers[0].restriction.windows[1].end`), so a refusal from the store points at its
//! input. It always offers one empty layer and, in each layer, one empty window more than
//! the schedule has: filling them in adds one; a layer marked for removal, and an empty
//! one, are left out.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::oncall::{
    LayerDef, RestrictionDef, SHIFT_UNITS, ScheduleDef, ShiftLengthDef, Source, WEEKDAY_NAMES,
    WindowDef,
};
use hinomi_store::{HolidayCalendarRecord, OverrideKind, StoredSchedule, TeamRecord};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{Ctx, Me, PageError, render};
use crate::AppState;
use crate::schedules::{self as sched, ChangeError, People, ScheduleInput, local_time};

/// How far the schedule page looks ahead.
const PREVIEW_DAYS: i64 = 14;
/// Most layers, and most windows in a layer, a form is read for.
const MAX_SLOTS: usize = 20;

/// A schedule as the list shows it.
#[derive(Debug)]
struct ListRow {
    id: String,
    name: String,
    time_zone: String,
    team: String,
    layers: usize,
    /// Who is on call now; empty for nobody.
    on_call: String,
    /// Whether they are disabled (never paged).
    on_call_disabled: bool,
}

#[derive(Template)]
#[template(path = "schedules.html")]
struct SchedulesPage {
    ctx: Ctx,
    rows: Vec<ListRow>,
    may_create: bool,
    /// The viewer's calendar feed URL (people only, not integration keys).
    feed_url: Option<String>,
}

/// A field at fault and what is wrong, in the viewer's language.
type FieldError = (String, String);

/// `GET /schedules`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match list(&me, &state).await {
        Ok((rows, may_create, feed_url)) => render(
            StatusCode::OK,
            &SchedulesPage {
                ctx,
                rows,
                may_create,
                feed_url,
            },
        ),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

async fn list(
    me: &Me,
    state: &AppState,
) -> Result<(Vec<ListRow>, bool, Option<String>), ChangeError> {
    let store = state.engine.store();
    let teams: BTreeMap<String, String> = store
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let people = People::load(state).await?;
    let now = now(state);
    let rows = store
        .schedules()
        .await?
        .into_iter()
        .map(|s| {
            let on_call = s.schedule.on_call_at(now).map(|a| a.user);
            (s, on_call)
        })
        .map(|(s, on_call)| ListRow {
            on_call_disabled: on_call.as_deref().is_some_and(|u| people.is_disabled(u)),
            on_call: on_call
                .map(|u| people.name(&u).to_owned())
                .unwrap_or_default(),
            team: s
                .record
                .team_id
                .as_ref()
                .and_then(|t| teams.get(t).cloned())
                .unwrap_or_default(),
            layers: s.record.definition.layers.len(),
            time_zone: s.record.definition.time_zone,
            name: s.record.name,
            id: s.record.id,
        })
        .collect();
    let may_create = sched::may_manage_some(&me.principal, state).await.is_ok();
    let feed_url = match sched::feed_url(&me.principal, state).await {
        Ok(url) => Some(url),
        Err(ChangeError::Denied(_)) => None,
        Err(e) => return Err(e),
    };
    Ok((rows, may_create, feed_url))
}

fn now(state: &AppState) -> Timestamp {
    Timestamp::from_millisecond(state.engine.now()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `POST /account/ical/rotate`: a new feed URL; the one before stops working.
pub(super) async fn rotate_feed(ctx: Ctx, State(state): State<AppState>) -> Response {
    let me = match ctx.require(Action::ManageSelf) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match sched::rotate_feed(&me.principal, &state).await {
        Ok(_) => Redirect::to("/schedules#feed").into_response(),
        Err(ChangeError::Denied(_)) => PageError::Forbidden(Action::ManageSelf).into_page(ctx),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// One restriction window of the form.
#[derive(Clone, Debug, Default)]
struct WindowSlot {
    index: usize,
    days: Vec<String>,
    start: String,
    end: String,
}

impl WindowSlot {
    fn is_blank(&self) -> bool {
        self.days.is_empty() && self.start.trim().is_empty() && self.end.trim().is_empty()
    }

    fn has_day(&self, day: &str) -> bool {
        self.days.iter().any(|d| d == day)
    }
}

/// One layer of the form.
#[derive(Clone, Debug, Default)]
struct LayerSlot {
    index: usize,
    name: String,
    /// Usernames, one a line, in turn order.
    participants: String,
    unit: String,
    count: String,
    /// `datetime-local` in the schedule's zone.
    start: String,
    handoff: String,
    windows: Vec<WindowSlot>,
    skip_japanese: bool,
    calendars: Vec<String>,
    remove: bool,
}

impl LayerSlot {
    /// The input name of this layer's `suffix`.
    fn field(&self, suffix: &str) -> String {
        format!("layers[{}].{suffix}", self.index)
    }

    /// The input name of window `w`'s `suffix`.
    fn window_field(&self, w: &WindowSlot, suffix: &str) -> String {
        format!(
            "layers[{}].restriction.windows[{}].{suffix}",
            self.index, w.index
        )
    }

    /// Nothing typed where nothing is prefilled: an unused spare layer.
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.participants.trim().is_empty()
            && self.start.trim().is_empty()
    }

    fn has_unit(&self, unit: &str) -> bool {
        self.unit == unit
    }

    fn skips(&self, calendar: &str) -> bool {
        self.calendars.iter().any(|c| c == calendar)
    }
}

/// The schedule form, as posted or as filled from a schedule, with what was refused.
#[derive(Clone, Debug, Default)]
pub(super) struct ScheduleForm {
    name: String,
    description: String,
    /// A team id; empty for none.
    team: String,
    time_zone: String,
    layers: Vec<LayerSlot>,
    error: Option<FieldError>,
}

impl ScheduleForm {
    /// Whether the refusal concerns input `field` (or a part of it, such as one participant
    /// of the list).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| {
            f == field
                || f.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('['))
        })
    }

    /// The form with one more empty layer, and one more empty window in every layer.
    fn with_spare_slots(mut self) -> ScheduleForm {
        self.layers.retain(|l| !l.is_blank() && !l.remove);
        self.layers.push(LayerSlot {
            unit: "weeks".into(),
            count: "1".into(),
            handoff: "10:00".into(),
            ..LayerSlot::default()
        });
        for (i, layer) in self.layers.iter_mut().enumerate() {
            layer.index = i;
            layer.windows.retain(|w| !w.is_blank());
            layer.windows.push(WindowSlot::default());
            for (j, w) in layer.windows.iter_mut().enumerate() {
                w.index = j;
            }
        }
        self
    }

    /// The form of a stored schedule, its times in the schedule's zone.
    fn of(s: &StoredSchedule, people: &People) -> ScheduleForm {
        let r = &s.record;
        let tz = s.schedule.zone();
        let layers = r
            .definition
            .layers
            .iter()
            .map(|l| {
                let restriction = l.restriction.clone().unwrap_or_default();
                LayerSlot {
                    name: l.name.clone(),
                    participants: l
                        .participants
                        .iter()
                        .map(|p| people.name(p))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    unit: l.shift_length.unit.clone(),
                    count: l.shift_length.count.to_string(),
                    start: l
                        .start
                        .parse::<Timestamp>()
                        .map(|t| {
                            t.to_zoned(tz.clone())
                                .strftime("%Y-%m-%dT%H:%M")
                                .to_string()
                        })
                        .unwrap_or_else(|_| l.start.clone()),
                    handoff: l.handoff.clone(),
                    windows: restriction
                        .windows
                        .into_iter()
                        .map(|w| WindowSlot {
                            index: 0,
                            days: w.days,
                            start: w.start,
                            end: w.end,
                        })
                        .collect(),
                    skip_japanese: restriction.skip_japanese_holidays,
                    calendars: restriction.skip_calendars,
                    ..LayerSlot::default()
                }
            })
            .collect();
        ScheduleForm {
            name: r.name.clone(),
            description: r.description.clone(),
            team: r.team_id.clone().unwrap_or_default(),
            time_zone: r.definition.time_zone.clone(),
            layers,
            error: None,
        }
        .with_spare_slots()
    }

    /// Reads the posted fields. Indexes beyond [`MAX_SLOTS`] are ignored.
    fn from_pairs(pairs: Vec<(String, String)>) -> ScheduleForm {
        let mut form = ScheduleForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => form.name = value,
                "description" => form.description = value,
                "team" => form.team = value,
                "time_zone" => form.time_zone = value,
                _ => {
                    if let Some((i, rest)) = indexed(&key, "layers[") {
                        form.set_layer_field(i, rest, value);
                    }
                }
            }
        }
        form
    }

    fn set_layer_field(&mut self, i: usize, field: &str, value: String) {
        if self.layers.len() <= i {
            self.layers.resize_with(i + 1, LayerSlot::default);
        }
        let layer = &mut self.layers[i];
        layer.index = i;
        match field {
            "name" => layer.name = value,
            "participants" => layer.participants = value,
            "shift_length.unit" => layer.unit = value,
            "shift_length.count" => layer.count = value,
            "start" => layer.start = value,
            "handoff" => layer.handoff = value,
            "remove" => layer.remove = true,
            "restriction.skip_japanese_holidays" => layer.skip_japanese = true,
            "restriction.skip_calendars" => layer.calendars.push(value),
            _ => {
                let Some((j, rest)) = indexed(field, "restriction.windows[") else {
                    return;
                };
                if layer.windows.len() <= j {
                    layer.windows.resize_with(j + 1, WindowSlot::default);
                }
                let w = &mut layer.windows[j];
                w.index = j;
                match rest {
                    "days" => w.days.push(value),
                    "start" => w.start = value,
                    "end" => w.end = value,
                    _ => {}
                }
            }
        }
    }
}

/// `prefix` `N` `].rest` as (N, rest), for N below [`MAX_SLOTS`].
fn indexed<'a>(key: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let (n, rest) = key.strip_prefix(prefix)?.split_once("].")?;
    let n: usize = n.parse().ok()?;
    (n < MAX_SLOTS).then_some((n, rest))
}

/// Where each layer and window of a definition came from in the form, so a refusal that
/// names `layers[1].restriction.windows[0]` points at the inputs that made it.
#[derive(Debug, Default)]
struct Origins {
    /// Per definition layer: its form layer, and per window its form window.
    layers: Vec<(usize, Vec<usize>)>,
}

impl Origins {
    /// `field` of the definition as the input name of the form.
    fn form_field(&self, field: &str) -> String {
        let Some((i, rest)) = indexed(field, "layers[") else {
            return field.to_owned();
        };
        let Some((layer, windows)) = self.layers.get(i) else {
            return field.to_owned();
        };
        let rest = match indexed(rest, "restriction.windows[") {
            Some((j, tail)) => match windows.get(j) {
                Some(w) => format!("restriction.windows[{w}].{tail}"),
                None => rest.to_owned(),
            },
            None => rest.to_owned(),
        };
        format!("layers[{layer}].{rest}")
    }
}

/// The definition the form describes, with where its parts came from; or the input at
/// fault. A layer's start is read in the schedule's zone.
fn definition(
    ctx: &Ctx,
    form: &ScheduleForm,
    people: &People,
) -> Result<(ScheduleDef, Origins), FieldError> {
    let zone = form.time_zone.trim();
    let tz = TimeZone::get(zone)
        .map_err(|_| ("time_zone".to_owned(), ctx.t("prefs.error.tz").to_owned()))?;
    let mut layers = Vec::new();
    let mut origins = Origins::default();
    for slot in form.layers.iter().filter(|l| !l.remove && !l.is_blank()) {
        let mut participants = Vec::new();
        for name in slot
            .participants
            .lines()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let id = people.id_of(name).ok_or_else(|| {
                let msg = ctx.t("schedule.error.no_user").replace("{user}", name);
                (slot.field("participants"), msg)
            })?;
            participants.push(id.to_owned());
        }
        let count = slot.count.trim().parse::<u32>().map_err(|_| {
            (
                slot.field("shift_length.count"),
                ctx.t("schedule.error.count").to_owned(),
            )
        })?;
        let start = DateTime::strptime("%Y-%m-%dT%H:%M", slot.start.trim())
            .or_else(|_| DateTime::strptime("%Y-%m-%dT%H:%M:%S", slot.start.trim()))
            .ok()
            .and_then(|dt| dt.to_zoned(tz.clone()).ok())
            .ok_or_else(|| {
                (
                    slot.field("start"),
                    ctx.t("schedule.error.start").to_owned(),
                )
            })?;
        let windows: Vec<(usize, WindowDef)> = slot
            .windows
            .iter()
            .filter(|w| !w.is_blank())
            .map(|w| {
                (
                    w.index,
                    WindowDef {
                        days: w.days.clone(),
                        start: w.start.trim().to_owned(),
                        end: w.end.trim().to_owned(),
                    },
                )
            })
            .collect();
        let restricted = !windows.is_empty() || slot.skip_japanese || !slot.calendars.is_empty();
        origins
            .layers
            .push((slot.index, windows.iter().map(|(i, _)| *i).collect()));
        layers.push(LayerDef {
            name: slot.name.trim().to_owned(),
            participants,
            shift_length: ShiftLengthDef {
                unit: slot.unit.trim().to_owned(),
                count,
            },
            start: start.timestamp().to_string(),
            handoff: slot.handoff.trim().to_owned(),
            restriction: restricted.then(|| RestrictionDef {
                windows: windows.into_iter().map(|(_, w)| w).collect(),
                skip_japanese_holidays: slot.skip_japanese,
                skip_calendars: slot.calendars.clone(),
            }),
        });
    }
    Ok((
        ScheduleDef {
            time_zone: zone.to_owned(),
            layers,
        },
        origins,
    ))
}

/// A refusal of the rules, in the viewer's language where the console has the words, the
/// rule's own otherwise.
fn said(ctx: &Ctx, field: &str, message: &str) -> String {
    let window_time =
        field.contains(".windows[") && (field.ends_with(".start") || field.ends_with(".end"));
    let key = if field == "time_zone" {
        "prefs.error.tz"
    } else if field.ends_with(".handoff") || window_time {
        "schedule.error.hh_mm"
    } else if field.ends_with(".start") {
        "schedule.error.start"
    } else if field.ends_with(".shift_length.count") {
        "schedule.error.count"
    } else if field.ends_with(".shift_length.unit") {
        "schedule.error.unit"
    } else if field.contains(".days") {
        "schedule.error.days"
    } else if field.ends_with(".windows") {
        "schedule.error.windows"
    } else if field.contains(".participants") {
        "schedule.error.participants"
    } else if field == "name" || field.ends_with(".name") {
        "schedule.error.name"
    } else {
        return message.to_owned();
    };
    ctx.t(key).to_owned()
}

/// A refused change as a form error, or the page for what no input can fix.
fn refusal(
    ctx: &Ctx,
    origins: &Origins,
    e: ChangeError,
) -> Result<(StatusCode, FieldError), PageError> {
    match e {
        ChangeError::Denied(_) => Err(PageError::Forbidden(Action::ManageSchedules)),
        ChangeError::NotFound(_) => Err(PageError::NotFound),
        ChangeError::Invalid { field, message } => {
            let text = said(ctx, &field, &message);
            Ok((StatusCode::BAD_REQUEST, (origins.form_field(&field), text)))
        }
        ChangeError::NameTaken(_) => Ok((
            StatusCode::CONFLICT,
            ("name".to_owned(), ctx.t("schedule.error.taken").to_owned()),
        )),
        e => Err(PageError::Internal(e.to_string())),
    }
}

/// Whether the viewer may change some schedule: checked before a form is read, so whoever
/// may change none is refused before being told what is wrong with their input.
async fn may_change_some(me: &Me, state: &AppState) -> Result<(), PageError> {
    match sched::may_manage_some(&me.principal, state).await {
        Ok(()) => Ok(()),
        Err(ChangeError::Denied(_)) => Err(PageError::Forbidden(Action::ManageSchedules)),
        Err(e) => Err(PageError::Internal(e.to_string())),
    }
}

/// What the schedule form needs besides the form itself.
#[derive(Debug, Default)]
struct FormChoices {
    /// Teams the viewer may put a schedule in.
    teams: Vec<TeamRecord>,
    /// Whether the viewer may leave a schedule in no team (admins).
    may_no_team: bool,
    calendars: Vec<HolidayCalendarRecord>,
    usernames: Vec<String>,
    /// The weekday names, Monday first, as the window checkboxes send them.
    weekdays: [&'static str; 7],
    units: [&'static str; 4],
}

async fn choices(me: &Me, state: &AppState) -> Result<FormChoices, ChangeError> {
    let store = state.engine.store();
    Ok(FormChoices {
        teams: sched::teams_for_schedules(&me.principal, state).await?,
        may_no_team: sched::may_manage(&me.principal, state, None).await.is_ok(),
        calendars: store.holiday_calendars().await?,
        usernames: store
            .users()
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect(),
        weekdays: WEEKDAY_NAMES,
        units: SHIFT_UNITS,
    })
}

#[derive(Template)]
#[template(path = "schedule_new.html")]
struct NewPage {
    ctx: Ctx,
    form: ScheduleForm,
    choices: FormChoices,
}

/// `GET /schedules/new`.
pub(super) async fn new_form(ctx: Ctx, State(state): State<AppState>) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let choices = match choices(&me, &state).await {
        Ok(c) => c,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let mut form = ScheduleForm {
        time_zone: ctx.tz_name.clone(),
        team: choices
            .teams
            .first()
            .map(|t| t.id.clone())
            .unwrap_or_default(),
        ..ScheduleForm::default()
    }
    .with_spare_slots();
    // The first layer starts on this week's Monday at its handoff.
    if let Some(first) = form.layers.first_mut() {
        let today = now(&state).to_zoned(ctx.tz.clone()).date();
        let monday = today
            .checked_sub(jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
            .unwrap_or(today);
        first.start = format!("{monday}T10:00");
    }
    render(StatusCode::OK, &NewPage { ctx, form, choices })
}

/// The input the schedule form describes, or the field at fault.
fn input(
    ctx: &Ctx,
    form: &ScheduleForm,
    people: &People,
) -> Result<(ScheduleInput, Origins), FieldError> {
    let (definition, origins) = definition(ctx, form, people)?;
    Ok((
        ScheduleInput {
            name: form.name.clone(),
            description: form.description.trim().to_owned(),
            team: Some(form.team.clone()).filter(|t| !t.trim().is_empty()),
            definition,
        },
        origins,
    ))
}

/// `POST /schedules`: a new schedule, then its page.
pub(super) async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    submit(ctx, &state, pairs, None).await
}

/// Reads a posted schedule form and creates the schedule (`id` `None`) or changes schedule
/// `id`: then its page; or the form again, refused, its input at fault marked.
async fn submit(
    ctx: Ctx,
    state: &AppState,
    pairs: Vec<(String, String)>,
    id: Option<String>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    if let Err(page) = may_change_some(&me, state).await {
        return page.into_page(ctx);
    }
    let mut form = ScheduleForm::from_pairs(pairs);
    let people = match People::load(state).await {
        Ok(p) => p,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let refused = match input(&ctx, &form, &people) {
        Ok((input, origins)) => {
            let saved = match &id {
                Some(id) => sched::update(&me.principal, state, id, input).await,
                None => sched::create(&me.principal, state, input).await,
            };
            match saved {
                Ok(s) => {
                    return Redirect::to(&format!("/schedules/{}", s.record.id)).into_response();
                }
                Err(e) => refusal(&ctx, &origins, e),
            }
        }
        Err(error) => Ok((StatusCode::BAD_REQUEST, error)),
    };
    let (status, error) = match refused {
        Ok(r) => r,
        Err(page) => return page.into_page(ctx),
    };
    form.error = Some(error);
    let form = keep_indexes(form);
    match id {
        Some(id) => {
            let page = PageState {
                form: Some(form),
                ..PageState::default()
            };
            schedule_page(ctx, state, &id, status, page).await
        }
        None => match choices(&me, state).await {
            Ok(choices) => render(status, &NewPage { ctx, form, choices }),
            Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
        },
    }
}

/// A refused form as it was posted (its inputs keep their names, so the one at fault is
/// found), with a spare window where a layer has none left.
fn keep_indexes(mut form: ScheduleForm) -> ScheduleForm {
    for (i, layer) in form.layers.iter_mut().enumerate() {
        layer.index = i;
        for (j, w) in layer.windows.iter_mut().enumerate() {
            w.index = j;
        }
        if layer.windows.last().is_none_or(|w| !w.is_blank()) {
            let index = layer.windows.len();
            layer.windows.push(WindowSlot {
                index,
                ..WindowSlot::default()
            });
        }
    }
    if form.layers.last().is_none_or(|l| !l.is_blank()) {
        let index = form.layers.len();
        form.layers.push(LayerSlot {
            index,
            unit: "weeks".into(),
            count: "1".into(),
            windows: vec![WindowSlot::default()],
            ..LayerSlot::default()
        });
    }
    form
}

/// One stretch of the preview.
#[derive(Debug)]
struct ShiftRow {
    start: String,
    end: String,
    who: String,
    source: String,
}

/// One override or swap as the page lists it.
#[derive(Debug)]
struct OverrideRow {
    id: String,
    swap: bool,
    who: String,
    from: String,
    start: String,
    end: String,
    note: String,
    by: String,
    /// Whether it has ended.
    past: bool,
}

/// A layer as the page describes it.
#[derive(Debug)]
struct LayerView {
    name: String,
    participants: Vec<String>,
    length: String,
    handoff: String,
    windows: Vec<String>,
    holidays: Vec<String>,
}

/// The override form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct OverrideForm {
    #[serde(default)]
    user: String,
    /// A username for a swap; empty for an override.
    #[serde(default)]
    swap_from: String,
    /// `datetime-local` in the viewer's time zone.
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    ctx: Ctx,
    id: String,
    name: String,
    description: String,
    team: String,
    time_zone: String,
    layers: Vec<LayerView>,
    may_change: bool,
    /// The viewer's username when the schedule names them and they may hand over their own
    /// shifts but not change the schedule: the page offers only that.
    own_swap: Option<String>,
    /// The instant asked about, as the who form shows it.
    at: String,
    at_error: bool,
    who: String,
    /// Whether `who` is disabled (never paged).
    who_disabled: bool,
    why: Vec<String>,
    shifts: Vec<ShiftRow>,
    overrides: Vec<OverrideRow>,
    override_form: OverrideForm,
    override_error: Option<FieldError>,
    form: ScheduleForm,
    choices: FormChoices,
}

impl SchedulePage {
    fn override_invalid(&self, field: &str) -> bool {
        self.override_error
            .as_ref()
            .is_some_and(|(f, _)| f == field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AtParams {
    /// `datetime-local` in the viewer's time zone.
    #[serde(default)]
    at: String,
}

/// What a refusal on the schedule page leaves to show.
#[derive(Debug, Default)]
struct PageState {
    at: String,
    override_form: OverrideForm,
    override_error: Option<FieldError>,
    form: Option<ScheduleForm>,
}

/// `datetime-local` text in `tz`.
fn parse_local(text: &str, tz: &TimeZone) -> Option<Timestamp> {
    let text = text.trim();
    DateTime::strptime("%Y-%m-%dT%H:%M", text)
        .or_else(|_| DateTime::strptime("%Y-%m-%dT%H:%M:%S", text))
        .ok()?
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

fn describe_layer(
    ctx: &Ctx,
    l: &LayerDef,
    people: &People,
    calendars: &[HolidayCalendarRecord],
) -> LayerView {
    let day = |d: &String| ctx.t(&format!("weekday.{d}")).to_owned();
    let restriction = l.restriction.clone().unwrap_or_default();
    let mut holidays = Vec::new();
    if restriction.skip_japanese_holidays {
        holidays.push(ctx.t("schedule.japanese_holidays").to_owned());
    }
    for id in &restriction.skip_calendars {
        holidays.push(
            calendars
                .iter()
                .find(|c| &c.id == id)
                .map_or(id.clone(), |c| c.name.clone()),
        );
    }
    LayerView {
        name: l.name.clone(),
        participants: l
            .participants
            .iter()
            .map(|p| people.name(p).to_owned())
            .collect(),
        length: format!(
            "{} {}",
            l.shift_length.count,
            ctx.t(&format!("schedule.unit.{}", l.shift_length.unit))
        ),
        handoff: l.handoff.clone(),
        windows: restriction
            .windows
            .iter()
            .map(|w| {
                let days: Vec<String> = w.days.iter().map(day).collect();
                format!("{} {}–{}", days.join("・"), w.start, w.end)
            })
            .collect(),
        holidays,
    }
}

async fn schedule_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    mut page: PageState,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let s = match sched::find(state, id).await {
        Ok(s) => s,
        Err(ChangeError::NotFound(_)) => return PageError::NotFound.into_page(ctx),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let loaded = async {
        let people = People::load(state).await?;
        let choices = choices(&me, state).await?;
        let team = match &s.record.team_id {
            Some(t) => state
                .engine
                .store()
                .team(t)
                .await?
                .map(|t| t.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let may_change = sched::may_manage(&me.principal, state, s.record.team_id.as_deref())
            .await
            .is_ok();
        Ok::<_, ChangeError>((people, choices, team, may_change))
    };
    let (people, choices, team, may_change) = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let own_swap = me
        .principal
        .user
        .as_deref()
        .filter(|u| !may_change && sched::gives_own_shift(&me.principal, Some(&u.id)))
        .filter(|u| {
            let in_layers = s.record.definition.layers.iter();
            in_layers
                .flat_map(|l| &l.participants)
                .chain(s.overrides.iter().map(|o| &o.user_id))
                .any(|p| *p == u.id)
        })
        .map(|u| u.username.clone());
    let now = now(state);
    let asked = if page.at.trim().is_empty() {
        Some(now)
    } else {
        parse_local(&page.at, &ctx.tz)
    };
    let at_error = asked.is_none();
    let status = if at_error {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let at = asked.unwrap_or(now);
    if page.at.trim().is_empty() {
        page.at = at
            .to_zoned(ctx.tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string();
    }
    let answer = s.schedule.on_call_at(at);
    let who = answer
        .as_ref()
        .map(|a| people.name(&a.user).to_owned())
        .unwrap_or_default();
    let who_disabled = answer.as_ref().is_some_and(|a| people.is_disabled(&a.user));
    let why = sched::explain(&s, answer.as_ref(), &people, ctx.locale, &ctx.tz);
    let end = now
        .checked_add(jiff::SignedDuration::from_hours(24 * PREVIEW_DAYS))
        .unwrap_or(now);
    let shifts = s
        .schedule
        .shifts(now, end)
        .into_iter()
        .map(|sh| ShiftRow {
            start: local_time(sh.start, &ctx.tz),
            end: local_time(sh.end, &ctx.tz),
            who: people.name(&sh.user).to_owned(),
            source: match sh.source {
                Source::Layer { layer, .. } => ctx.t("schedule.source.layer").replace(
                    "{layer}",
                    s.record
                        .definition
                        .layers
                        .get(layer)
                        .map_or("", |l| &l.name),
                ),
                Source::Override(i) => match &s.overrides[i].kind {
                    OverrideKind::Override => ctx.t("schedule.source.override").to_owned(),
                    OverrideKind::Swap { from } => ctx
                        .t("schedule.source.swap")
                        .replace("{user}", people.name(from)),
                },
            },
        })
        .collect();
    let instant = |ms: i64| Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX);
    let overrides = s
        .overrides
        .iter()
        .rev()
        .map(|o| OverrideRow {
            id: o.id.clone(),
            swap: matches!(o.kind, OverrideKind::Swap { .. }),
            who: people.name(&o.user_id).to_owned(),
            from: match &o.kind {
                OverrideKind::Swap { from } => people.name(from).to_owned(),
                OverrideKind::Override => String::new(),
            },
            start: local_time(instant(o.start_at), &ctx.tz),
            end: local_time(instant(o.end_at), &ctx.tz),
            note: o.note.clone(),
            by: o.created_by.clone(),
            past: instant(o.end_at) <= now,
        })
        .collect();
    let layers = s
        .record
        .definition
        .layers
        .iter()
        .map(|l| describe_layer(&ctx, l, &people, &choices.calendars))
        .collect();
    let form = page
        .form
        .take()
        .unwrap_or_else(|| ScheduleForm::of(&s, &people));
    render(
        status,
        &SchedulePage {
            id: s.record.id.clone(),
            name: s.record.name.clone(),
            description: s.record.description.clone(),
            team,
            time_zone: s.record.definition.time_zone.clone(),
            layers,
            may_change,
            own_swap,
            at: page.at,
            at_error,
            who,
            who_disabled,
            why,
            shifts,
            overrides,
            override_form: page.override_form,
            override_error: page.override_error,
            form,
            choices,
            ctx,
        },
    )
}

/// `GET /schedules/{schedule}[?at=]`: who is on call at `at` (now when absent) and why,
/// the next shifts, the overrides, and the form to change it.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<AtParams>,
) -> Response {
    let page = PageState {
        at: p.at,
        ..PageState::default()
    };
    schedule_page(ctx, &state, &id, StatusCode::OK, page).await
}

/// `POST /schedules/{schedule}`: the changed schedule, then its page.
pub(super) async fn save(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    submit(ctx, &state, pairs, Some(id)).await
}

/// `POST /schedules/{schedule}/delete`: the schedule and its overrides go.
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match sched::delete(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/schedules").into_response(),
        Err(e) => match refusal(&ctx, &Origins::default(), e) {
            Ok((_, (field, message))) => PageError::BadInput(field, message).into_page(ctx),
            Err(page) => page.into_page(ctx),
        },
    }
}

/// `POST /schedules/{schedule}/overrides`: an override, or a swap when `swap_from` names
/// someone; times in the viewer's zone.
pub(super) async fn add_override(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<OverrideForm>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let people = match People::load(&state).await {
        Ok(p) => p,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    // A swap of one's own time needs no right to manage the schedule.
    let own = sched::gives_own_shift(&me.principal, people.id_of(&form.swap_from));
    if !own && let Err(page) = may_change_some(&me, &state).await {
        return page.into_page(ctx);
    }
    let result = match override_input(&ctx, &form, &people) {
        Ok(input) => match sched::add_override(&me.principal, &state, &id, input).await {
            Ok(_) => return Redirect::to(&format!("/schedules/{id}#overrides")).into_response(),
            Err(e) => refusal(&ctx, &Origins::default(), e).map(|(status, (field, message))| {
                let field = match field.as_str() {
                    "user_id" => "user",
                    "swapped_from" => "swap_from",
                    other => other,
                };
                let message = match field {
                    "end" | "start" => ctx.t("schedule.error.interval").to_owned(),
                    "swap_from" => ctx.t("schedule.error.swap").to_owned(),
                    _ => message,
                };
                (status, (field.to_owned(), message))
            }),
        },
        Err(error) => Ok((StatusCode::BAD_REQUEST, error)),
    };
    match result {
        Ok((status, error)) => {
            let page = PageState {
                override_form: form,
                override_error: Some(error),
                ..PageState::default()
            };
            schedule_page(ctx, &state, &id, status, page).await
        }
        Err(page) => page.into_page(ctx),
    }
}

fn override_input(
    ctx: &Ctx,
    form: &OverrideForm,
    people: &People,
) -> Result<sched::OverrideInput, FieldError> {
    let user = |field: &str, name: &str| {
        people.id_of(name).map(str::to_owned).ok_or_else(|| {
            (
                field.to_owned(),
                ctx.t("schedule.error.no_user").replace("{user}", name),
            )
        })
    };
    let at = |field: &str, text: &str| {
        parse_local(text, &ctx.tz)
            .map(|t| t.as_millisecond())
            .ok_or_else(|| (field.to_owned(), ctx.t("schedule.error.time").to_owned()))
    };
    Ok(sched::OverrideInput {
        user_id: user("user", &form.user)?,
        start: at("start", &form.start)?,
        end: at("end", &form.end)?,
        note: form.note.clone(),
        swapped_from: match form.swap_from.trim() {
            "" => None,
            name => Some(user("swap_from", name)?),
        },
    })
}

/// `POST /schedules/{schedule}/overrides/{override}/remove`.
pub(super) async fn remove_override(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, override_id)): Path<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match sched::remove_override(&me.principal, &state, &id, &override_id).await {
        Ok(()) => Redirect::to(&format!("/schedules/{id}#overrides")).into_response(),
        Err(e) => match refusal(&ctx, &Origins::default(), e) {
            Ok((_, (field, message))) => PageError::BadInput(field, message).into_page(ctx),
            Err(page) => page.into_page(ctx),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::{Catalog, Locale};

    #[test]
    fn every_weekday_and_unit_has_a_label_in_both_languages() {
        for locale in Locale::ALL {
            for (prefix, names) in [
                ("weekday", &WEEKDAY_NAMES[..]),
                ("schedule.unit", &SHIFT_UNITS[..]),
            ] {
                for name in names {
                    let key = format!("{prefix}.{name}");
                    assert_ne!(locale.t(&key), key, "{locale:?}");
                }
            }
        }
    }

    #[test]
    fn refusals_point_at_the_inputs_that_made_the_definition() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let form = ScheduleForm::from_pairs(pairs(&[
            ("layers[0].name", "gone"),
            ("layers[0].remove", "1"),
            ("layers[1].name", "kept"),
            ("layers[1].restriction.windows[0].start", ""),
            ("layers[1].restriction.windows[1].start", "09:00"),
            ("layers[99].name", "beyond the slots"),
        ]));
        assert_eq!(form.layers.len(), 2);
        assert!(form.layers[0].remove && !form.layers[1].remove);
        // Definition layer 0 is form layer 1; its window 0 is form window 1.
        let origins = Origins {
            layers: vec![(1, vec![1])],
        };
        assert_eq!(
            origins.form_field("layers[0].restriction.windows[0].end"),
            "layers[1].restriction.windows[1].end"
        );
        assert_eq!(origins.form_field("layers[0].handoff"), "layers[1].handoff");
        assert_eq!(origins.form_field("time_zone"), "time_zone");
        let mut refused = form;
        refused.error = Some(("layers[1].participants[0]".into(), "x".into()));
        assert!(refused.invalid("layers[1].participants"));
        assert!(!refused.invalid("layers[1].participant"));
    }
}
