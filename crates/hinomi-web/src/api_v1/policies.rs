//! `/api/v1/escalation-policies`: ordered steps of whom to page and how long to wait,
//! repeated; and what they are bound to (a receiver's groups, an integration's alerts).
//! Everyone may read them; admins change them, through `crate::paging` as the console does.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_store::{BindingRecord, PolicyRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::paging::{self, PolicyInput, StepInput, TargetInput};

/// Whom a step pages.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIo {
    /// `user`, `schedule`, `team` or `skill`.
    #[serde(rename = "type")]
    kind: String,
    /// A username, a schedule's or team's name (or id), or a skill.
    name: String,
    /// Teams only: `all` (every member, the default) or `round_robin` (one in turn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    /// The stored id (in answers; ignored in requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

/// One step: whom to page, and how long to wait before the next.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIo {
    /// A duration between `1s` and `24h`, such as `5m`.
    delay: String,
    targets: Vec<TargetIo>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    name: String,
    #[serde(default)]
    description: String,
    /// The team (name or id) the policy belongs to.
    #[serde(default)]
    team: Option<String>,
    /// Rounds after the first (0 to 9).
    #[serde(default)]
    repeat: u32,
    steps: Vec<StepIo>,
}

/// What a policy is bound to.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindingOut {
    /// `receiver` or `integration`.
    kind: String,
    /// The receiver's or the integration's name.
    target: String,
    created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    id: String,
    name: String,
    description: String,
    team_id: Option<String>,
    repeat: u32,
    steps: Vec<StepIo>,
    bindings: Vec<BindingOut>,
    created_at: String,
    updated_at: String,
}

async fn policy_out(state: &AppState, p: PolicyRecord) -> Result<PolicyOut, ApiError> {
    let mut steps = Vec::new();
    for s in p.policy.steps() {
        let targets = paging::target_views(state, &s.targets)
            .await?
            .into_iter()
            .map(|t| TargetIo {
                kind: t.kind.to_owned(),
                name: t.name,
                mode: t.mode.map(str::to_owned),
                id: Some(t.id),
            })
            .collect();
        steps.push(StepIo {
            delay: hinomi_core::format_duration(s.delay_ms),
            targets,
        });
    }
    let mut bindings = Vec::new();
    for b in state.engine.store().bindings(Some(&p.id)).await? {
        bindings.push(binding_out(state, &b).await?);
    }
    Ok(PolicyOut {
        repeat: p.policy.repeat(),
        id: p.id,
        name: p.name,
        description: p.description,
        team_id: p.team_id,
        steps,
        bindings,
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
    })
}

async fn binding_out(state: &AppState, b: &BindingRecord) -> Result<BindingOut, ApiError> {
    Ok(BindingOut {
        kind: b.kind.as_str().to_owned(),
        target: paging::binding_name(state, b).await?,
        created_at: time(b.created_at),
    })
}

fn input(body: PolicyIn) -> PolicyInput {
    PolicyInput {
        name: body.name,
        description: body.description,
        team: body.team,
        repeat: body.repeat,
        steps: body
            .steps
            .into_iter()
            .map(|s| StepInput {
                delay: s.delay,
                targets: s
                    .targets
                    .into_iter()
                    .map(|t| TargetInput {
                        kind: t.kind,
                        name: t.name,
                        mode: t.mode,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// List escalation policies with their steps and bindings.
#[utoipa::path(get, path = "/api/v1/escalation-policies", tag = "escalation",
    responses((status = 200, body = Vec<PolicyOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<PolicyOut>>, ApiError> {
    principal.require(Action::Read)?;
    let mut out = Vec::new();
    for p in state.engine.store().policies().await? {
        out.push(policy_out(&state, p).await?);
    }
    Ok(Json(out))
}

/// Create an escalation policy.
#[utoipa::path(post, path = "/api/v1/escalation-policies", tag = "escalation",
    request_body = PolicyIn,
    responses((status = 201, body = PolicyOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<PolicyIn>,
) -> Result<(StatusCode, Json<PolicyOut>), ApiError> {
    let p = paging::save_policy(&principal, &state, None, input(body)).await?;
    Ok((StatusCode::CREATED, Json(policy_out(&state, p).await?)))
}

/// Get an escalation policy (by id or name).
#[utoipa::path(get, path = "/api/v1/escalation-policies/{policy}", tag = "escalation",
    params(("policy" = String, Path, description = "Id or name")),
    responses((status = 200, body = PolicyOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(policy): Path<String>,
) -> Result<Json<PolicyOut>, ApiError> {
    let p = paging::policy(&principal, &state, &policy).await?;
    Ok(Json(policy_out(&state, p).await?))
}

/// Replace an escalation policy's name, description, team, steps and repeat; open pages
/// follow the new steps from their next timer.
#[utoipa::path(put, path = "/api/v1/escalation-policies/{policy}", tag = "escalation",
    request_body = PolicyIn, params(("policy" = String, Path, description = "Id or name")),
    responses((status = 200, body = PolicyOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn update(
    principal: Principal,
    State(state): State<AppState>,
    Path(policy): Path<String>,
    JsonBody(body): JsonBody<PolicyIn>,
) -> Result<Json<PolicyOut>, ApiError> {
    let p = paging::save_policy(&principal, &state, Some(&policy), input(body)).await?;
    Ok(Json(policy_out(&state, p).await?))
}

/// Delete an escalation policy and its bindings; its open pages stop escalating.
#[utoipa::path(delete, path = "/api/v1/escalation-policies/{policy}", tag = "escalation",
    params(("policy" = String, Path, description = "Id or name")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete(
    principal: Principal,
    State(state): State<AppState>,
    Path(policy): Path<String>,
) -> Result<StatusCode, ApiError> {
    paging::delete_policy(&principal, &state, &policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bind a receiver's alert groups (`kind` `receiver`) or an integration's alerts
/// (`integration`, by name) to the policy; a binding to another policy is replaced.
#[utoipa::path(put, path = "/api/v1/escalation-policies/{policy}/bindings/{kind}/{target}",
    tag = "escalation",
    params(("policy" = String, Path, description = "Id or name"),
           ("kind" = String, Path, description = "`receiver` or `integration`"),
           ("target" = String, Path, description = "The receiver's or integration's name")),
    responses((status = 200, body = BindingOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn bind(
    principal: Principal,
    State(state): State<AppState>,
    Path((policy, kind, target)): Path<(String, String, String)>,
) -> Result<Json<BindingOut>, ApiError> {
    let b = paging::bind(&principal, &state, &policy, &kind, &target).await?;
    Ok(Json(binding_out(&state, &b).await?))
}

/// Remove a binding.
#[utoipa::path(delete, path = "/api/v1/escalation-policies/{policy}/bindings/{kind}/{target}",
    tag = "escalation",
    params(("policy" = String, Path, description = "Id or name"),
           ("kind" = String, Path, description = "`receiver` or `integration`"),
           ("target" = String, Path, description = "The receiver's or integration's name")),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn unbind(
    principal: Principal,
    State(state): State<AppState>,
    Path((policy, kind, target)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    paging::unbind(&principal, &state, &policy, &kind, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}
