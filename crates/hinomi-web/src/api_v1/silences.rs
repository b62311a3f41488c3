//! `/api/v1/silences`: list, read, create, edit and expire silences through the engine
//! (the same rules as the Alertmanager API), each change committed with its audit entry. A
//! silence may belong to a team; then that team's responders may manage it too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::{Action, Silence, SilenceError, SilenceState};
use hinomi_engine::EngineError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, actor_name, parse_time, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::people;

/// A silence as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SilenceOut {
    id: String,
    /// Matchers in the Alertmanager syntax: `alertname="DiskFull"`, `env=~"prod|stage"`.
    matchers: Vec<String>,
    starts_at: String,
    ends_at: String,
    updated_at: String,
    created_by: String,
    comment: String,
    /// `pending`, `active` or `expired`.
    state: String,
    /// The team it belongs to (its id), if any.
    team_id: Option<String>,
}

fn silence_out(s: &Silence, now: i64, team_id: Option<String>) -> SilenceOut {
    SilenceOut {
        id: s.id.clone(),
        matchers: s.matchers.iter().map(|m| m.to_string()).collect(),
        starts_at: time(s.starts_at),
        ends_at: time(s.ends_at),
        updated_at: time(s.updated_at),
        created_by: s.created_by.clone(),
        comment: s.comment.clone(),
        state: s.state(now).as_str().to_owned(),
        team_id,
    }
}

/// A silence to create, or what to replace an existing one with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceIn {
    /// At least one matcher, in the Alertmanager syntax.
    matchers: Vec<String>,
    /// RFC 3339; now when absent.
    starts_at: Option<String>,
    /// RFC 3339.
    ends_at: String,
    comment: String,
    /// A team (id or name) the silence belongs to; on creation only.
    team: Option<String>,
}

/// List silences, active first.
#[utoipa::path(get, path = "/api/v1/silences", tag = "silences",
    responses((status = 200, body = Vec<SilenceOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<SilenceOut>>, ApiError> {
    principal.require(Action::Read)?;
    let now = state.engine.now();
    let teams = state.engine.store().silence_teams().await?;
    let mut silences = state.engine.silences();
    let rank = |s: &Silence| match s.state(now) {
        SilenceState::Active => 0,
        SilenceState::Pending => 1,
        SilenceState::Expired => 2,
    };
    silences.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.ends_at.cmp(&b.ends_at)));
    Ok(Json(
        silences
            .iter()
            .map(|s| silence_out(s, now, teams.get(&s.id).cloned()))
            .collect(),
    ))
}

/// Get one silence.
#[utoipa::path(get, path = "/api/v1/silences/{id}", tag = "silences",
    params(("id" = String, Path)),
    responses((status = 200, body = SilenceOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SilenceOut>, ApiError> {
    principal.require(Action::Read)?;
    let s = state
        .engine
        .silence(&id)
        .ok_or_else(|| ApiError::not_found(format!("silence {id}")))?;
    let team = state.engine.store().silence_team(&id).await?;
    Ok(Json(silence_out(&s, state.engine.now(), team)))
}

/// Turns the request into a silence; every fault names its field.
fn parse_silence(
    body: SilenceIn,
    id: String,
    now: i64,
    created_by: String,
) -> Result<Silence, ApiError> {
    if body.matchers.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_field",
            "matchers",
            "matchers: at least one matcher is required",
        ));
    }
    let mut matchers = Vec::with_capacity(body.matchers.len());
    for (i, text) in body.matchers.iter().enumerate() {
        let m = hinomi_core::parse_matcher(text).map_err(|e| {
            ApiError::bad_request(
                "invalid_field",
                format!("matchers[{i}]"),
                format!("matchers[{i}]: {e}"),
            )
        })?;
        matchers.push(m);
    }
    if body.comment.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_field",
            "comment",
            "comment: say why",
        ));
    }
    let starts_at = match body.starts_at.as_deref() {
        Some(t) => parse_time("starts_at", t)?,
        None => now,
    };
    let ends_at = parse_time("ends_at", &body.ends_at)?;
    let silence = Silence {
        id,
        matchers,
        starts_at,
        ends_at,
        updated_at: 0,
        created_by,
        comment: body.comment,
    };
    silence.validate(now).map_err(silence_error)?;
    Ok(silence)
}

fn silence_error(e: SilenceError) -> ApiError {
    let field = match &e {
        SilenceError::NoMatchers | SilenceError::AllMatchEmpty => "matchers".to_owned(),
        SilenceError::InvalidMatcher { index, .. } => format!("matchers[{index}]"),
        SilenceError::ZeroStart => "starts_at".to_owned(),
        SilenceError::NotFound(_) => return ApiError::not_found(e.to_string()),
        _ => "ends_at".to_owned(),
    };
    ApiError::bad_request("invalid_field", field, e.to_string())
}

fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::SilenceNotFound(id) => ApiError::not_found(format!("silence {id}")),
        EngineError::Silence(e) => silence_error(e),
        other => ApiError::internal(other),
    }
}

fn audit_detail(s: &Silence, team: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "matchers": s.matchers.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "starts_at": time(s.starts_at),
        "ends_at": time(s.ends_at),
        "comment": s.comment,
        "team_id": team,
    })
}

/// Create a silence.
#[utoipa::path(post, path = "/api/v1/silences", tag = "silences", request_body = SilenceIn,
    responses((status = 201, body = SilenceOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(mut body): JsonBody<SilenceIn>,
) -> Result<(StatusCode, Json<SilenceOut>), ApiError> {
    let now = state.engine.now();
    let team = body.team.take();
    let team_id = people::team_for_new_silence(&principal, &state, team.as_deref()).await?;
    let silence = parse_silence(body, String::new(), now, actor_name(&principal))?;
    let audit = principal.audit(
        now,
        "silence.created",
        "",
        audit_detail(&silence, team_id.as_deref()),
    );
    let id = state
        .engine
        .upsert_silence(silence, team_id.as_deref(), audit)
        .await
        .map_err(engine_error)?;
    let stored = state
        .engine
        .silence(&id)
        .ok_or_else(|| ApiError::internal(format!("silence {id} missing after its commit")))?;
    Ok((
        StatusCode::CREATED,
        Json(silence_out(&stored, state.engine.now(), team_id)),
    ))
}

/// Change a silence. Alertmanager's rules apply: a silence that has started keeps its id
/// only while its matchers stay the same; otherwise it is expired and replaced, and the
/// answer carries the new id.
#[utoipa::path(put, path = "/api/v1/silences/{id}", tag = "silences", request_body = SilenceIn,
    params(("id" = String, Path)),
    responses((status = 200, body = SilenceOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn update(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SilenceIn>,
) -> Result<Json<SilenceOut>, ApiError> {
    let now = state.engine.now();
    if body.team.is_some() {
        return Err(ApiError::bad_request(
            "invalid_field",
            "team",
            "team: a silence's team is chosen when it is created",
        ));
    }
    let team_id = people::team_of_silence_to_change(&principal, &state, &id).await?;
    let silence = parse_silence(body, id.clone(), now, actor_name(&principal))?;
    let mut detail = audit_detail(&silence, team_id.as_deref());
    detail["previous_id"] = id.clone().into();
    let audit = principal.audit(now, "silence.updated", &id, detail);
    let new_id = state
        .engine
        .upsert_silence(silence, None, audit)
        .await
        .map_err(engine_error)?;
    let stored = state
        .engine
        .silence(&new_id)
        .ok_or_else(|| ApiError::internal(format!("silence {new_id} missing after its commit")))?;
    Ok(Json(silence_out(&stored, state.engine.now(), team_id)))
}

/// Expire a silence now.
#[utoipa::path(delete, path = "/api/v1/silences/{id}", tag = "silences",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn expire(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let team_id = people::team_of_silence_to_change(&principal, &state, &id).await?;
    let audit = principal.audit(
        state.engine.now(),
        "silence.expired",
        &id,
        serde_json::json!({ "team_id": team_id }),
    );
    state
        .engine
        .expire_silence(&id, &audit)
        .await
        .map_err(engine_error)?;
    Ok(StatusCode::NO_CONTENT)
}
