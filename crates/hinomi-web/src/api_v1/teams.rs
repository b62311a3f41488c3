//! `/api/v1/teams`: teams and their members. Everyone may read them; admins change them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::{Action, TeamRole};
use hinomi_store::{TeamMember, TeamRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    user_id: String,
    username: String,
    /// `viewer` or `responder`.
    role: String,
    added_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    id: String,
    name: String,
    description: String,
    created_at: String,
    /// Listed by `GET /api/v1/teams/{team}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<MemberOut>>,
}

fn team_out(t: TeamRecord, members: Option<Vec<TeamMember>>) -> TeamOut {
    TeamOut {
        id: t.id,
        name: t.name,
        description: t.description,
        created_at: time(t.created_at),
        members: members.map(|ms| {
            ms.into_iter()
                .map(|m| MemberOut {
                    user_id: m.user_id,
                    username: m.username,
                    role: m.role.as_str().to_owned(),
                    added_at: time(m.added_at),
                })
                .collect()
        }),
    }
}

async fn find(state: &AppState, team: &str) -> Result<TeamRecord, ApiError> {
    state
        .engine
        .store()
        .team(team)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("team {team}")))
}

/// List teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = Vec<TeamOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<TeamOut>>, ApiError> {
    principal.require(Action::Read)?;
    let teams = state.engine.store().teams().await?;
    Ok(Json(teams.into_iter().map(|t| team_out(t, None)).collect()))
}

/// Get a team (by id or name) with its members.
#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "Id or name")),
    responses((status = 200, body = TeamOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(team): Path<String>,
) -> Result<Json<TeamOut>, ApiError> {
    principal.require(Action::Read)?;
    let t = find(&state, &team).await?;
    let members = state.engine.store().team_members(&t.id).await?;
    Ok(Json(team_out(t, Some(members))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    name: String,
    #[serde(default)]
    description: String,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "name",
            "name: 1 to 64 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamIn,
    responses((status = 201, body = TeamOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TeamIn>,
) -> Result<(StatusCode, Json<TeamOut>), ApiError> {
    principal.require(Action::ManageTeams)?;
    let now = state.engine.now();
    let record = TeamRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: check_name(&body.name)?,
        description: body.description,
        created_at: now,
    };
    let audit = principal.audit(
        now,
        "team.created",
        &record.id,
        serde_json::json!({ "name": record.name, "description": record.description }),
    );
    if !state.engine.store().create_team(&record, &audit).await? {
        return Err(ApiError::conflict(
            "conflict",
            format!("a team named {:?} exists already", record.name),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(team_out(record, Some(Vec::new()))),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    name: Option<String>,
    description: Option<String>,
}

/// Rename a team or change its description.
#[utoipa::path(patch, path = "/api/v1/teams/{team}", tag = "teams", request_body = TeamPatch,
    params(("team" = String, Path, description = "Id or name")),
    responses((status = 200, body = TeamOut), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn update(
    principal: Principal,
    State(state): State<AppState>,
    Path(team): Path<String>,
    JsonBody(body): JsonBody<TeamPatch>,
) -> Result<Json<TeamOut>, ApiError> {
    principal.require(Action::ManageTeams)?;
    let mut t = find(&state, &team).await?;
    if let Some(name) = body.name {
        t.name = check_name(&name)?;
    }
    if let Some(description) = body.description {
        t.description = description;
    }
    let audit = principal.audit(
        state.engine.now(),
        "team.updated",
        &t.id,
        serde_json::json!({ "name": t.name, "description": t.description }),
    );
    if !state.engine.store().update_team(&t, &audit).await? {
        return Err(ApiError::conflict(
            "conflict",
            format!("a team named {:?} exists already", t.name),
        ));
    }
    let members = state.engine.store().team_members(&t.id).await?;
    Ok(Json(team_out(t, Some(members))))
}

/// Delete a team; its silences and integrations then belong to no team.
#[utoipa::path(delete, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete(
    principal: Principal,
    State(state): State<AppState>,
    Path(team): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Action::ManageTeams)?;
    let t = find(&state, &team).await?;
    let audit = principal.audit(
        state.engine.now(),
        "team.deleted",
        &t.id,
        serde_json::json!({ "name": t.name }),
    );
    if !state.engine.store().delete_team(&t.id, &audit).await? {
        return Err(ApiError::not_found(format!("team {team}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    /// `viewer` or `responder`.
    role: String,
}

/// Add a user to a team, or change their team role.
#[utoipa::path(put, path = "/api/v1/teams/{team}/members/{username}", tag = "teams",
    request_body = MemberIn,
    params(("team" = String, Path, description = "Id or name"), ("username" = String, Path)),
    responses((status = 200, body = TeamOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn set_member(
    principal: Principal,
    State(state): State<AppState>,
    Path((team, username)): Path<(String, String)>,
    JsonBody(body): JsonBody<MemberIn>,
) -> Result<Json<TeamOut>, ApiError> {
    principal.require(Action::ManageTeams)?;
    let role = TeamRole::parse(&body.role)
        .map_err(|e| ApiError::bad_request("invalid_field", "role", e.to_string()))?;
    let t = find(&state, &team).await?;
    let store = state.engine.store();
    let user = store
        .user_by_username(&username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    let now = state.engine.now();
    let audit = principal.audit(
        now,
        "team.member_set",
        &t.id,
        serde_json::json!({ "user": user.username, "role": role.as_str() }),
    );
    store
        .set_team_member(&t.id, &user.id, role, now, &audit)
        .await?;
    let members = store.team_members(&t.id).await?;
    Ok(Json(team_out(t, Some(members))))
}

/// Take a user out of a team.
#[utoipa::path(delete, path = "/api/v1/teams/{team}/members/{username}", tag = "teams",
    params(("team" = String, Path, description = "Id or name"), ("username" = String, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn remove_member(
    principal: Principal,
    State(state): State<AppState>,
    Path((team, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Action::ManageTeams)?;
    let t = find(&state, &team).await?;
    let store = state.engine.store();
    let user = store
        .user_by_username(&username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    let audit = principal.audit(
        state.engine.now(),
        "team.member_removed",
        &t.id,
        serde_json::json!({ "user": user.username }),
    );
    if !store.remove_team_member(&t.id, &user.id, &audit).await? {
        return Err(ApiError::not_found(format!(
            "{username} in team {}",
            t.name
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}
