//! `/api/v1/holiday-calendars`: a company's own days off, which schedule layers may skip
//! beside (or instead of) the built-in Japanese public holidays. Everyone may read them;
//! admins change them, and may import days from a CSV list (`YYYY-MM-DD,name`) or the
//! all-day events of an iCalendar file.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use hinomi_core::Action;
use hinomi_core::oncall::CompanyDays;
use hinomi_store::HolidayCalendarRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::schedules::{self as sched, CalendarChange, MAX_DAYS, invalid};

/// One day off.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayJson {
    /// `YYYY-MM-DD`.
    date: String,
    name: String,
}

/// A company calendar as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayCalendarOut {
    id: String,
    name: String,
    description: String,
    /// By date.
    days: Vec<DayJson>,
    created_at: String,
    updated_at: String,
}

fn calendar_out(c: HolidayCalendarRecord) -> HolidayCalendarOut {
    HolidayCalendarOut {
        id: c.id,
        name: c.name,
        description: c.description,
        days: c
            .days
            .into_iter()
            .map(|(date, name)| DayJson {
                date: date.to_string(),
                name,
            })
            .collect(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
    }
}

/// The days of a request, each fault naming `days[i]`.
fn parse_days(days: Vec<DayJson>) -> Result<CompanyDays, ApiError> {
    if days.len() > MAX_DAYS {
        return Err(invalid("days", format!("at most {MAX_DAYS} days")).into());
    }
    let mut out = CompanyDays::new();
    for (i, d) in days.into_iter().enumerate() {
        let date = sched::parse_date(&format!("days[{i}].date"), &d.date)?;
        let name = sched::check_day_name(&format!("days[{i}].name"), &d.name)?;
        out.insert(date, name);
    }
    Ok(out)
}

/// A calendar to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayCalendarIn {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    days: Vec<DayJson>,
}

/// What to change of a calendar; absent fields stay. `days` replaces every day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayCalendarPatch {
    name: Option<String>,
    description: Option<String>,
    days: Option<Vec<DayJson>>,
}

/// List company holiday calendars.
#[utoipa::path(get, path = "/api/v1/holiday-calendars", tag = "holiday-calendars",
    responses((status = 200, body = Vec<HolidayCalendarOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<HolidayCalendarOut>>, ApiError> {
    principal.require(Action::Read)?;
    let all = state.engine.store().holiday_calendars().await?;
    Ok(Json(all.into_iter().map(calendar_out).collect()))
}

/// Get a company calendar (by id or name) with its days.
#[utoipa::path(get, path = "/api/v1/holiday-calendars/{calendar}", tag = "holiday-calendars",
    params(("calendar" = String, Path, description = "Id or name")),
    responses((status = 200, body = HolidayCalendarOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<HolidayCalendarOut>, ApiError> {
    principal.require(Action::Read)?;
    Ok(Json(calendar_out(sched::find_calendar(&state, &id).await?)))
}

/// Create a company calendar.
#[utoipa::path(post, path = "/api/v1/holiday-calendars", tag = "holiday-calendars",
    request_body = HolidayCalendarIn,
    responses((status = 201, body = HolidayCalendarOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<HolidayCalendarIn>,
) -> Result<(StatusCode, Json<HolidayCalendarOut>), ApiError> {
    let days = parse_days(body.days)?;
    let c = sched::create_calendar(&principal, &state, &body.name, &body.description, days).await?;
    Ok((StatusCode::CREATED, Json(calendar_out(c))))
}

/// Rename a company calendar, change its description, or replace its days; the schedules
/// that skip it follow at once.
#[utoipa::path(patch, path = "/api/v1/holiday-calendars/{calendar}", tag = "holiday-calendars",
    request_body = HolidayCalendarPatch,
    params(("calendar" = String, Path, description = "Id or name")),
    responses((status = 200, body = HolidayCalendarOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn update(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<HolidayCalendarPatch>,
) -> Result<Json<HolidayCalendarOut>, ApiError> {
    let change = CalendarChange {
        name: body.name,
        description: body.description,
        days: body.days.map(parse_days).transpose()?,
        add_days: CompanyDays::new(),
    };
    let c = sched::update_calendar(&principal, &state, &id, change).await?;
    Ok(Json(calendar_out(c)))
}

/// Delete a company calendar that no schedule skips (409 names the schedules that do).
#[utoipa::path(delete, path = "/api/v1/holiday-calendars/{calendar}", tag = "holiday-calendars",
    params(("calendar" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn delete(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sched::delete_calendar(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Replace every day instead of adding to them.
    #[serde(default)]
    replace: bool,
}

/// The days of an import body: iCalendar when its type is `text/calendar` or it begins
/// with `BEGIN:VCALENDAR`, else `YYYY-MM-DD,name` lines.
fn import_days(content_type: Option<&str>, text: &str) -> Result<CompanyDays, ApiError> {
    let ics = content_type.is_some_and(|t| t.starts_with("text/calendar"));
    Ok(sched::parse_import("body", text, ics)?)
}

/// Import days into a company calendar from the request body: CSV lines `YYYY-MM-DD,name`
/// (`text/csv`) or an iCalendar file whose all-day events are the days (`text/calendar`).
/// Added to the days it has (a date already there takes the new name), or with
/// `?replace=true` in place of them.
#[utoipa::path(post, path = "/api/v1/holiday-calendars/{calendar}/import",
    tag = "holiday-calendars",
    request_body(content = String, content_type = "text/csv",
                 description = "CSV `YYYY-MM-DD,name` lines, or text/calendar"),
    params(("calendar" = String, Path, description = "Id or name"),
           ("replace" = Option<bool>, Query, description = "Replace every day")),
    responses((status = 200, body = HolidayCalendarOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn import(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryArgs(q): QueryArgs<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<HolidayCalendarOut>, ApiError> {
    principal.require(Action::ManageSchedules)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_field", "body", "body: not UTF-8 text"))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let days = import_days(content_type, text)?;
    let change = CalendarChange::import(days, q.replace);
    let c = sched::update_calendar(&principal, &state, &id, change).await?;
    Ok(Json(calendar_out(c)))
}
