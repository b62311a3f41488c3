//! `/api/v1/integrations`: the keys that PagerDuty-style and generic intake accept. A key
//! is shown once, when it is made; hinomi keeps only its hash.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::{Action, LabelSet};
use hinomi_store::IntegrationRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationOut {
    id: String,
    name: String,
    /// `pagerduty` or `generic`.
    kind: String,
    /// Added to every alert of this integration.
    labels: BTreeMap<String, String>,
    created_at: String,
    revoked_at: Option<String>,
    team_id: Option<String>,
}

fn integration_out(i: &IntegrationRecord, team_id: Option<String>) -> IntegrationOut {
    IntegrationOut {
        id: i.id.clone(),
        name: i.name.clone(),
        kind: i.kind.clone(),
        labels: i
            .labels
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        created_at: time(i.created_at),
        revoked_at: i.revoked_at.map(time),
        team_id,
    }
}

/// List integrations (never their keys).
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations",
    responses((status = 200, body = Vec<IntegrationOut>)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<IntegrationOut>>, ApiError> {
    principal.require(Action::Read)?;
    let store = state.engine.store();
    let teams = store.integration_teams().await?;
    let out = store
        .integrations()
        .await?
        .iter()
        .map(|i| integration_out(i, teams.get(&i.name).cloned()))
        .collect();
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationIn {
    name: String,
    /// `pagerduty` (default) or `generic`; documentation only, a key works on both.
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// A new integration with its key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedIntegration {
    #[serde(flatten)]
    integration: IntegrationOut,
    /// Send it as PagerDuty's `routing_key` or in the generic intake URL. Not shown again.
    key: String,
}

/// Create an integration and its key.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations",
    request_body = IntegrationIn,
    responses((status = 201, body = CreatedIntegration), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<IntegrationIn>,
) -> Result<(StatusCode, Json<CreatedIntegration>), ApiError> {
    principal.require(Action::ManageIntegrations)?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "name",
            "name: 1 to 64 characters",
        ));
    }
    let kind = body.kind.unwrap_or_else(|| "pagerduty".to_owned());
    if kind != "pagerduty" && kind != "generic" {
        return Err(ApiError::bad_request(
            "invalid_field",
            "kind",
            format!("kind: {kind:?} is neither pagerduty nor generic"),
        ));
    }
    let mut labels = LabelSet::new();
    for (k, v) in body.labels {
        hinomi_core::validate_label_name(&k).map_err(|e| {
            ApiError::bad_request("invalid_field", format!("labels.{k}"), e.to_string())
        })?;
        labels.insert(k, v);
    }
    let key = crate::keys::generate();
    let hash = crate::keys::hash(&key);
    let now = state.engine.now();
    let record = IntegrationRecord {
        id: hash[..16].to_owned(),
        name: name.clone(),
        kind,
        key_hash: hash,
        labels,
        created_at: now,
        revoked_at: None,
    };
    let store = state.engine.store();
    if store.integrations().await?.iter().any(|i| i.name == name) {
        return Err(ApiError::conflict(
            "conflict",
            format!("an integration named {name:?} exists already"),
        ));
    }
    let audit = principal.audit(
        now,
        "integration.created",
        &name,
        serde_json::json!({ "kind": record.kind, "labels": record.labels.to_string() }),
    );
    store.create_integration(&record, &audit).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedIntegration {
            integration: integration_out(&record, None),
            key,
        }),
    ))
}

/// Revoke an integration's key: intake refuses it from now on.
#[utoipa::path(delete, path = "/api/v1/integrations/{name}", tag = "integrations",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn revoke(
    principal: Principal,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Action::ManageIntegrations)?;
    let now = state.engine.now();
    let audit = principal.audit(now, "integration.revoked", &name, serde_json::json!({}));
    if !state
        .engine
        .store()
        .revoke_integration(&name, now, &audit)
        .await?
    {
        return Err(ApiError::not_found(format!("live integration {name}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRef {
    /// A team's id or name; null for none.
    team: Option<String>,
}

/// Put an integration in a team, or in none.
#[utoipa::path(put, path = "/api/v1/integrations/{name}/team", tag = "integrations",
    request_body = TeamRef, params(("name" = String, Path)),
    responses((status = 204), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn set_team(
    principal: Principal,
    State(state): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<TeamRef>,
) -> Result<StatusCode, ApiError> {
    principal.require(Action::ManageIntegrations)?;
    let store = state.engine.store();
    let team_id = match body.team {
        Some(team) => Some(
            store
                .team(&team)
                .await?
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_field",
                        "team",
                        format!("team: no team {team:?}"),
                    )
                })?
                .id,
        ),
        None => None,
    };
    let audit = principal.audit(
        state.engine.now(),
        "integration.team_set",
        &name,
        serde_json::json!({ "team_id": team_id }),
    );
    if !store
        .set_integration_team(&name, team_id.as_deref(), &audit)
        .await?
    {
        return Err(ApiError::not_found(format!("integration {name}")));
    }
    Ok(StatusCode::NO_CONTENT)
}
