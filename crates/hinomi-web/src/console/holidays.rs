//! `/holiday-calendars`: a company's own days off, which schedule layers may skip, for
//! everyone to read, beside the Japanese public holidays hinomi computes (any year of
//! 2000-2099). Admins create calendars, add days by pasting or uploading CSV lines
//! (`YYYY-MM-DD,name`) or an iCalendar file, take days out and delete calendars no schedule
//! skips. Changes go through [`crate::schedules`], the functions the API uses, so the
//! console refuses what the API refuses.
//!
//! An upload is read in the browser into the paste box (`console.js`): the form stays
//! urlencoded, like every console form, so the session's CSRF check covers it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::oncall::{
    CompanyDays, Holiday, JAPANESE_YEARS, WEEKDAY_NAMES, japanese_holidays_in,
};
use hinomi_store::{HolidayCalendarRecord, StoredSchedule};
use jiff::civil::Date;
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::schedules::{self as sched, CalendarChange, ChangeError};

/// A field at fault and what is wrong, in the viewer's language.
type FieldError = (String, String);

/// One day off as the pages list it.
#[derive(Debug)]
struct DayRow {
    /// `YYYY-MM-DD`.
    date: String,
    weekday: String,
    name: String,
}

fn day_row(ctx: &Ctx, date: Date, name: String) -> DayRow {
    let weekday = WEEKDAY_NAMES[usize::from(date.weekday().to_monday_zero_offset().unsigned_abs())];
    DayRow {
        date: date.to_string(),
        weekday: ctx.t(&format!("weekday.{weekday}")).to_owned(),
        name,
    }
}

/// A calendar as the list shows it.
#[derive(Debug)]
struct CalendarRow {
    id: String,
    name: String,
    description: String,
    days: usize,
    /// The schedules whose layers skip its days, by name.
    skipped_by: Vec<String>,
}

/// The new-calendar form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct CalendarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// CSV lines or an iCalendar file; may be empty.
    #[serde(default)]
    days: String,
}

#[derive(Template)]
#[template(path = "holidays.html")]
struct CalendarsPage {
    ctx: Ctx,
    rows: Vec<CalendarRow>,
    may_change: bool,
    form: CalendarForm,
    form_error: Option<FieldError>,
    /// The year whose Japanese holidays are shown, and the years one may ask for.
    year: i16,
    first_year: i16,
    last_year: i16,
    year_error: bool,
    japanese: Vec<DayRow>,
}

impl CalendarsPage {
    fn form_invalid(&self, field: &str) -> bool {
        self.form_error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct YearParams {
    #[serde(default)]
    year: String,
}

/// The names of the schedules that skip calendar `id`.
fn skipping(schedules: &[StoredSchedule], id: &str) -> Vec<String> {
    schedules
        .iter()
        .filter(|s| s.record.definition.calendar_ids().contains(&id))
        .map(|s| s.record.name.clone())
        .collect()
}

async fn calendars_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    year: &str,
    form: CalendarForm,
    form_error: Option<FieldError>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let store = state.engine.store();
    let loaded = async {
        Ok::<_, ChangeError>((store.holiday_calendars().await?, store.schedules().await?))
    };
    let (calendars, schedules) = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let this_year = jiff::Timestamp::from_millisecond(state.engine.now())
        .map_or(*JAPANESE_YEARS.start(), |t| {
            t.to_zoned(ctx.tz.clone()).year()
        })
        .clamp(*JAPANESE_YEARS.start(), *JAPANESE_YEARS.end());
    let asked = match year.trim() {
        "" => Some(this_year),
        y => y.parse::<i16>().ok().filter(|y| JAPANESE_YEARS.contains(y)),
    };
    let year_error = asked.is_none();
    let status = if year_error && status == StatusCode::OK {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let year = asked.unwrap_or(this_year);
    let japanese = japanese_holidays_in(year)
        .into_iter()
        .map(|(date, h)| {
            day_row(
                &ctx,
                date,
                sched::holiday_name(&Holiday::Japanese(h), ctx.locale),
            )
        })
        .collect();
    let rows = calendars
        .into_iter()
        .map(|c| CalendarRow {
            skipped_by: skipping(&schedules, &c.id),
            days: c.days.len(),
            id: c.id,
            name: c.name,
            description: c.description,
        })
        .collect();
    let may_change = ctx.require(Action::ManageSchedules).is_ok();
    render(
        status,
        &CalendarsPage {
            ctx,
            rows,
            may_change,
            form,
            form_error,
            year,
            first_year: *JAPANESE_YEARS.start(),
            last_year: *JAPANESE_YEARS.end(),
            year_error,
            japanese,
        },
    )
}

/// `GET /holiday-calendars[?year=]`: the company calendars, and the Japanese public
/// holidays of `year` (this year when absent).
pub(super) async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<YearParams>,
) -> Response {
    calendars_page(
        ctx,
        &state,
        StatusCode::OK,
        &p.year,
        CalendarForm::default(),
        None,
    )
    .await
}

/// A refused change as a form error in the viewer's language, or the page for what no
/// input can fix. `paste` is the form field the pasted days came from.
fn refusal(ctx: &Ctx, paste: &str, e: ChangeError) -> Result<(StatusCode, FieldError), PageError> {
    match e {
        ChangeError::Denied(_) => Err(PageError::Forbidden(Action::ManageSchedules)),
        ChangeError::NotFound(_) => Err(PageError::NotFound),
        ChangeError::Invalid { field, message } => {
            let text = match field.as_str() {
                "name" => ctx.t("schedule.error.name").to_owned(),
                // The parser's words name the line at fault.
                _ => format!("{} ({message})", ctx.t("holidays.error.import")),
            };
            let field = if field == "name" {
                field
            } else {
                paste.to_owned()
            };
            Ok((StatusCode::BAD_REQUEST, (field, text)))
        }
        ChangeError::NameTaken(_) => Ok((
            StatusCode::CONFLICT,
            ("name".to_owned(), ctx.t("holidays.error.taken").to_owned()),
        )),
        ChangeError::InUse { schedules, .. } => Ok((
            StatusCode::CONFLICT,
            (
                "calendar".to_owned(),
                ctx.t("holidays.error.in_use")
                    .replace("{schedules}", &schedules.join(", ")),
            ),
        )),
        ChangeError::Store(e) => Err(PageError::Internal(e.to_string())),
    }
}

/// The days pasted into `field`: none for an empty box.
fn pasted(field: &str, text: &str) -> Result<CompanyDays, ChangeError> {
    if text.trim().is_empty() {
        return Ok(CompanyDays::new());
    }
    sched::parse_import(field, text, false)
}

/// `POST /holiday-calendars`: a new calendar, with the days pasted, then its page.
pub(super) async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<CalendarForm>,
) -> Response {
    let me = match ctx.require(Action::ManageSchedules) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let made = match pasted("days", &form.days) {
        Ok(days) => {
            sched::create_calendar(&me.principal, &state, &form.name, &form.description, days).await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(c) => Redirect::to(&format!("/holiday-calendars/{}", c.id)).into_response(),
        Err(e) => match refusal(&ctx, "days", e) {
            Ok((status, error)) => calendars_page(ctx, &state, status, "", form, Some(error)).await,
            Err(page) => page.into_page(ctx),
        },
    }
}

/// The import form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ImportForm {
    /// CSV lines or an iCalendar file.
    #[serde(default)]
    text: String,
    /// Present: the imported days replace every day.
    #[serde(default)]
    replace: Option<String>,
}

#[derive(Template)]
#[template(path = "holiday_calendar.html")]
struct CalendarPage {
    ctx: Ctx,
    id: String,
    name: String,
    description: String,
    days: Vec<DayRow>,
    skipped_by: Vec<String>,
    may_change: bool,
    import: ImportForm,
    /// Why the import or a deletion was refused.
    error: Option<FieldError>,
}

impl CalendarPage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

async fn calendar_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    import: ImportForm,
    error: Option<FieldError>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let c: HolidayCalendarRecord = match sched::find_calendar(state, id).await {
        Ok(c) => c,
        Err(ChangeError::NotFound(_)) => return PageError::NotFound.into_page(ctx),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let schedules = match state.engine.store().schedules().await {
        Ok(s) => s,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let days = c
        .days
        .into_iter()
        .map(|(date, name)| day_row(&ctx, date, name))
        .collect();
    let may_change = ctx.require(Action::ManageSchedules).is_ok();
    render(
        status,
        &CalendarPage {
            skipped_by: skipping(&schedules, &c.id),
            id: c.id,
            name: c.name,
            description: c.description,
            days,
            may_change,
            import,
            error,
            ctx,
        },
    )
}

/// `GET /holiday-calendars/{calendar}`: its days, and for admins the forms that change it.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    calendar_page(
        ctx,
        &state,
        &id,
        StatusCode::OK,
        ImportForm::default(),
        None,
    )
    .await
}

/// After a change to calendar `id`: its page, or the page again saying why not.
async fn answer(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    import: ImportForm,
    done: Result<HolidayCalendarRecord, ChangeError>,
) -> Response {
    match done {
        Ok(c) => Redirect::to(&format!("/holiday-calendars/{}#days", c.id)).into_response(),
        Err(e) => match refusal(&ctx, "text", e) {
            Ok((status, error)) => calendar_page(ctx, state, id, status, import, Some(error)).await,
            Err(page) => page.into_page(ctx),
        },
    }
}

/// `POST /holiday-calendars/{calendar}/import`: the pasted (or uploaded) days, added to
/// the calendar's (a date already there takes the new name) or, with `replace`, in place
/// of them.
pub(super) async fn import(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ImportForm>,
) -> Response {
    let me = match ctx.require(Action::ManageSchedules) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = match sched::parse_import("text", &form.text, false) {
        Ok(days) => {
            let change = CalendarChange::import(days, form.replace.is_some());
            sched::update_calendar(&me.principal, &state, &id, change).await
        }
        Err(e) => Err(e),
    };
    answer(ctx, &state, &id, form, done).await
}

/// `POST /holiday-calendars/{calendar}/days/{date}/delete`: one day off goes.
pub(super) async fn delete_day(
    ctx: Ctx,
    State(state): State<AppState>,
    Path((id, date)): Path<(String, String)>,
) -> Response {
    let me = match ctx.require(Action::ManageSchedules) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let done = async {
        // A path that names no date names no day of the calendar.
        let date = sched::parse_date("date", &date)
            .map_err(|_| ChangeError::NotFound(format!("day {date}")))?;
        let mut days = sched::find_calendar(&state, &id).await?.days;
        if days.remove(&date).is_none() {
            return Err(ChangeError::NotFound(format!("day {date}")));
        }
        let change = CalendarChange {
            days: Some(days),
            ..CalendarChange::default()
        };
        sched::update_calendar(&me.principal, &state, &id, change).await
    };
    let done = done.await;
    answer(ctx, &state, &id, ImportForm::default(), done).await
}

/// `POST /holiday-calendars/{calendar}/delete`: the calendar goes, unless a schedule
/// skips it (the page then names the schedules).
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageSchedules) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match sched::delete_calendar(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/holiday-calendars").into_response(),
        Err(e) => answer(ctx, &state, &id, ImportForm::default(), Err(e)).await,
    }
}
