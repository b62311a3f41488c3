//! `/silences`: the list by state, the create/edit form with a live preview of the alerts
//! its matchers catch, and expiry. Changes go through the engine's silence functions, the
//! same rules as Alertmanager's API. Who may change a silence is decided as the REST API
//! decides it ([`people::may_manage_silences`]): the global role, or for a team's silence the
//! role in that team.

use std::str::FromStr;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{
    Action, Matcher, Silence, SilenceState, format_duration, parse_duration, parse_matchers,
};
use hinomi_engine::EngineError;
use hinomi_store::TeamRecord;
use jiff::civil::DateTime;
use serde::Deserialize;

use super::alerts::{AlertRow, Filter, SilenceRow, rows};
use super::{Ctx, PageError, render};
use crate::AppState;
use crate::people::{self, PeopleError};

/// Most alerts the preview lists; the count above it is exact.
const PREVIEW_LIMIT: usize = 20;
/// How many expired silences the list shows.
const EXPIRED_LIMIT: usize = 50;

#[derive(Template)]
#[template(path = "silences.html")]
struct SilencesPage {
    ctx: Ctx,
    /// `(state, silences)` for active, pending and expired, in that order.
    sections: Vec<(&'static str, Vec<SilenceRow>)>,
}

/// `GET /silences`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let now = state.engine.now();
    let mut all = state.engine.silences();
    all.sort_by(|a, b| b.ends_at.cmp(&a.ends_at).then_with(|| a.id.cmp(&b.id)));
    let (mut active, mut pending, mut expired) = (Vec::new(), Vec::new(), Vec::new());
    for s in &all {
        match s.state(now) {
            SilenceState::Active => active.push(SilenceRow::new(s, now)),
            SilenceState::Pending => pending.push(SilenceRow::new(s, now)),
            SilenceState::Expired if expired.len() < EXPIRED_LIMIT => {
                expired.push(SilenceRow::new(s, now))
            }
            SilenceState::Expired => {}
        }
    }
    render(
        StatusCode::OK,
        &SilencesPage {
            ctx,
            sections: vec![
                ("active", active),
                ("pending", pending),
                ("expired", expired),
            ],
        },
    )
}

/// The silence form's fields, as posted (and as the form is refilled after an error).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct SilenceForm {
    /// Empty for a new silence.
    #[serde(default)]
    id: String,
    #[serde(default)]
    matchers: String,
    /// `datetime-local` in the viewer's time zone; empty means now.
    #[serde(default)]
    starts_at: String,
    /// How long from the start: `2h`, `1d12h` ...
    #[serde(default)]
    duration: String,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    /// The id of the team a new silence belongs to; empty for none. Chosen on creation only.
    #[serde(default)]
    team: String,
}

#[derive(Template)]
#[template(path = "silence_form.html")]
struct SilenceFormPage {
    ctx: Ctx,
    form: SilenceForm,
    /// The field that is wrong and why.
    error: Option<(String, String)>,
    /// The teams a new silence may be given: those whose silences the viewer manages.
    teams: Vec<TeamRecord>,
}

impl SilenceFormPage {
    /// Whether the error concerns `field` (for `aria-invalid` and the message's place).
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct NewParams {
    /// Prefilled matchers, e.g. an alert's labels: `{alertname="X", job="y"}`.
    #[serde(default)]
    matchers: String,
}

/// `GET /silences/new`.
pub(super) async fn new_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<NewParams>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let teams = match people::teams_for_silences(&me.principal, &state).await {
        Ok(teams) => teams,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let form = SilenceForm {
        matchers: p.matchers,
        duration: "2h".into(),
        created_by: ctx.user_name().to_owned(),
        ..SilenceForm::default()
    };
    render(
        StatusCode::OK,
        &SilenceFormPage {
            ctx,
            form,
            error: None,
            teams,
        },
    )
}

/// `GET /silences/{id}/edit`.
pub(super) async fn edit_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let Some(s) = state.engine.silence(&id) else {
        return PageError::NotFound.into_page(ctx);
    };
    let start = jiff::Timestamp::from_millisecond(s.starts_at)
        .map(|t| {
            t.to_zoned(ctx.tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default();
    let form = SilenceForm {
        id: s.id.clone(),
        matchers: s
            .matchers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        starts_at: start,
        // The engine moves a start in the past to its own `now`, a few milliseconds after
        // the form's: whole seconds show the duration that was asked for.
        duration: format_duration((s.ends_at - s.starts_at + 500) / 1000 * 1000),
        created_by: s.created_by.clone(),
        comment: s.comment.clone(),
        team: String::new(),
    };
    render(
        StatusCode::OK,
        &SilenceFormPage {
            ctx,
            form,
            error: None,
            teams: Vec::new(),
        },
    )
}

/// Reads the form into a silence; the error names the field.
fn parse_form(ctx: &Ctx, form: &SilenceForm, now: i64) -> Result<Silence, (String, String)> {
    let bad = |field: &str, msg: String| (field.to_owned(), msg);
    let matchers: Vec<Matcher> =
        parse_matchers(form.matchers.trim()).map_err(|e| bad("matchers", e.to_string()))?;
    if matchers.is_empty() {
        return Err(bad("matchers", ctx.t("silence.error.no_matchers").into()));
    }
    let starts_at = if form.starts_at.trim().is_empty() {
        now
    } else {
        DateTime::from_str(form.starts_at.trim())
            .ok()
            .and_then(|dt| dt.to_zoned(ctx.tz.clone()).ok())
            .map(|z| z.timestamp().as_millisecond())
            .ok_or_else(|| bad("starts_at", ctx.t("silence.error.start").into()))?
    };
    let duration = parse_duration(form.duration.trim())
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| bad("duration", ctx.t("silence.error.duration").into()))?;
    let ends_at = starts_at.saturating_add(duration);
    if ends_at <= now {
        return Err(bad("duration", ctx.t("silence.error.ends_in_past").into()));
    }
    let created_by = form.created_by.trim().to_owned();
    if created_by.is_empty() {
        return Err(bad("created_by", ctx.t("silence.error.created_by").into()));
    }
    let comment = form.comment.trim().to_owned();
    if comment.is_empty() {
        return Err(bad("comment", ctx.t("silence.error.comment").into()));
    }
    Ok(Silence {
        id: form.id.trim().to_owned(),
        matchers,
        starts_at,
        ends_at,
        updated_at: now,
        created_by,
        comment,
    })
}

/// Why the signed-in person may not change a silence, as a page: refused, not found, or
/// a field to correct (`Ok`).
fn refused(ctx: &Ctx, e: PeopleError) -> Result<(String, String), PageError> {
    match e {
        PeopleError::Denied(_) => Err(PageError::Forbidden(Action::ManageSilences)),
        PeopleError::NotFound(_) => Err(PageError::NotFound),
        PeopleError::Invalid { field, .. } => {
            Ok((field.to_owned(), ctx.t("silence.error.team").to_owned()))
        }
        e => Err(PageError::Internal(e.to_string())),
    }
}

/// `POST /silences`: creates or updates, then back to the list.
pub(super) async fn save(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(mut form): Form<SilenceForm>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    // A silence made in the console is the signed-in person's.
    form.created_by = me.name.clone();
    let now = state.engine.now();
    let refill = async |ctx: Ctx, form: SilenceForm, error: (String, String)| {
        let teams = if form.id.is_empty() {
            people::teams_for_silences(&me.principal, &state)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        render(
            StatusCode::BAD_REQUEST,
            &SilenceFormPage {
                ctx,
                form,
                error: Some(error),
                teams,
            },
        )
    };
    let id = form.id.trim().to_owned();
    let team = form.team.trim().to_owned();
    let allowed = if id.is_empty() {
        let team = (!team.is_empty()).then_some(team.as_str());
        people::team_for_new_silence(&me.principal, &state, team).await
    } else {
        people::team_of_silence_to_change(&me.principal, &state, &id).await
    };
    let team_id = match allowed.map_err(|e| refused(&ctx, e)) {
        Ok(team_id) => team_id,
        Err(Ok(error)) => return refill(ctx, form, error).await,
        Err(Err(page)) => return page.into_page(ctx),
    };
    if !id.is_empty() && !team.is_empty() {
        let why = ctx.t("silence.error.team_fixed").to_owned();
        return refill(ctx, form, ("team".into(), why)).await;
    }
    let silence = match parse_form(&ctx, &form, now) {
        Ok(s) => s,
        Err(e) => return refill(ctx, form, e).await,
    };
    let detail = serde_json::json!({
        "matchers": silence.matchers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "comment": silence.comment,
        "team_id": team_id,
    });
    let (action, new_team) = if silence.id.is_empty() {
        ("silence.created", team_id.as_deref())
    } else {
        // An edit keeps the silence in its team (the engine carries it to a replacement).
        ("silence.updated", None)
    };
    // The engine commits the entry with the change and sets its target to the silence's id.
    let audit = me.principal.audit(now, action, "", detail);
    match state.engine.upsert_silence(silence, new_team, audit).await {
        Ok(_) => Redirect::to("/silences").into_response(),
        Err(EngineError::SilenceNotFound(_)) => PageError::NotFound.into_page(ctx),
        Err(EngineError::Silence(e)) => refill(ctx, form, ("matchers".into(), e.to_string())).await,
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// `POST /silences/{id}/expire`.
pub(super) async fn expire(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::Read) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let team_id = match people::team_of_silence_to_change(&me.principal, &state, &id).await {
        Ok(team_id) => team_id,
        Err(e) => {
            return match refused(&ctx, e) {
                Ok((field, msg)) => PageError::BadInput(field, msg),
                Err(page) => page,
            }
            .into_page(ctx);
        }
    };
    let audit = me.principal.audit(
        state.engine.now(),
        "silence.expired",
        &id,
        serde_json::json!({ "team_id": team_id }),
    );
    match state.engine.expire_silence(&id, &audit).await {
        Ok(()) => Redirect::to("/silences").into_response(),
        Err(EngineError::SilenceNotFound(_)) => PageError::NotFound.into_page(ctx),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

#[derive(Template)]
#[template(path = "silence_preview.html")]
struct Preview {
    ctx: Ctx,
    error: Option<String>,
    total: usize,
    alerts: Vec<AlertRow>,
}

/// `GET /silences/preview?matchers=...`: the firing alerts the matchers would mute.
pub(super) async fn preview(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<NewParams>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let text = p.matchers.trim();
    let parsed = if text.is_empty() {
        Ok(Vec::new())
    } else {
        parse_matchers(text).map_err(|e| format!("matchers: {e}"))
    };
    let matchers = match parsed {
        Ok(m) if m.is_empty() => {
            let page = Preview {
                error: Some(ctx.t("silence.error.no_matchers").into()),
                ctx,
                total: 0,
                alerts: Vec::new(),
            };
            return render(StatusCode::BAD_REQUEST, &page);
        }
        Ok(m) => m,
        Err(e) => {
            let page = Preview {
                ctx,
                error: Some(e),
                total: 0,
                alerts: Vec::new(),
            };
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let filter = Filter {
        text: text.to_owned(),
        matchers,
        active: true,
        silenced: true,
        inhibited: true,
        resolved: false,
    };
    match rows(&state.engine, &filter).await {
        Ok(mut alerts) => {
            let total = alerts.len();
            alerts.truncate(PREVIEW_LIMIT);
            render(
                StatusCode::OK,
                &Preview {
                    ctx,
                    error: None,
                    total,
                    alerts,
                },
            )
        }
        Err(e) => e.into_page(ctx),
    }
}
