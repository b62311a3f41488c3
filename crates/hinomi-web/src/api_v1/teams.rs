//! `/api/v1/teams`: teams and their members. Everyone may read them; admins change them,
//! through `crate::people` as the console does.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_store::{TeamMember, TeamRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::people;

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
    let t = people::team_record(&state, &team).await?;
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

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamIn,
    responses((status = 201, body = TeamOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TeamIn>,
) -> Result<(StatusCode, Json<TeamOut>), ApiError> {
    let record = people::create_team(&principal, &state, &body.name, &body.description).await?;
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
    let t = people::update_team(
        &principal,
        &state,
        &team,
        body.name.as_deref(),
        body.description.as_deref(),
    )
    .await?;
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
    people::delete_team(&principal, &state, &team).await?;
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
    let t = people::set_member(&principal, &state, &team, &username, &body.role).await?;
    let members = state.engine.store().team_members(&t.id).await?;
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
    people::remove_member(&principal, &state, &team, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
