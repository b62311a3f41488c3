//! How people are reached: `/api/v1/me/contact-methods` (added, tested with a code, verified,
//! removed), `/api/v1/me/notification-rules` ("email at once, voice after 3 minutes"),
//! `/api/v1/me/backup` (who is paged with one), `/api/v1/me/shift-notices` (which shift
//! start and end notices one gets), and `/api/v1/users/{id}/skills` (the skill
//! matrix escalation steps can target). Changes go through `crate::paging`, as the
//! console's do.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::Action;
use hinomi_store::{ContactMethodRecord, NotificationRuleRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::paging;

/// A way to reach the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactMethodOut {
    id: String,
    /// `email`, `sms`, `voice`, `slack`, `teams`, `line_works` or `webhook`.
    kind: String,
    address: String,
    label: String,
    /// Only verified methods are paged.
    verified: bool,
    verified_at: Option<String>,
    created_at: String,
}

fn method_out(c: ContactMethodRecord) -> ContactMethodOut {
    ContactMethodOut {
        id: c.id,
        kind: c.kind.as_str().to_owned(),
        address: c.address,
        label: c.label,
        verified: c.verified_at.is_some(),
        verified_at: c.verified_at.map(time),
        created_at: time(c.created_at),
    }
}

/// The caller's own user id.
fn my_id(principal: &Principal) -> Result<String, ApiError> {
    principal.require(Action::ManageSelf)?;
    principal
        .user
        .as_ref()
        .map(|u| u.id.clone())
        .ok_or_else(|| ApiError::forbidden(Action::ManageSelf))
}

/// List one's contact methods.
#[utoipa::path(get, path = "/api/v1/me/contact-methods", tag = "me",
    responses((status = 200, body = Vec<ContactMethodOut>)))]
pub async fn list_methods(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<ContactMethodOut>>, ApiError> {
    let id = my_id(&principal)?;
    let methods = state.engine.store().contact_methods(&id).await?;
    Ok(Json(methods.into_iter().map(method_out).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactMethodIn {
    /// `email`, `sms`, `voice`, `slack`, `teams`, `line_works` or `webhook`.
    kind: String,
    /// An email address; a phone number in E.164 form (`+819012345678`); a URL; a Slack
    /// channel or user id; a LINE WORKS user id.
    address: String,
    #[serde(default)]
    label: String,
}

/// Add a contact method; send it a test message and confirm the code to verify it.
#[utoipa::path(post, path = "/api/v1/me/contact-methods", tag = "me",
    request_body = ContactMethodIn,
    responses((status = 201, body = ContactMethodOut), (status = 400, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn create_method(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ContactMethodIn>,
) -> Result<(StatusCode, Json<ContactMethodOut>), ApiError> {
    let m = paging::add_contact_method(&principal, &state, &body.kind, &body.address, &body.label)
        .await?;
    Ok((StatusCode::CREATED, Json(method_out(m))))
}

/// Remove a contact method and the notification rules that use it.
#[utoipa::path(delete, path = "/api/v1/me/contact-methods/{id}", tag = "me",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete_method(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    paging::delete_contact_method(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test message carrying a verification code (valid 30 minutes).
#[utoipa::path(post, path = "/api/v1/me/contact-methods/{id}/test", tag = "me",
    params(("id" = String, Path)),
    responses((status = 202), (status = 404, body = super::ErrorBody)))]
pub async fn test_method(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    paging::test_contact_method(&principal, &state, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// The code the test message carried.
    code: String,
}

/// Confirm the code of the last test message: the method is verified.
#[utoipa::path(post, path = "/api/v1/me/contact-methods/{id}/verify", tag = "me",
    request_body = VerifyIn, params(("id" = String, Path)),
    responses((status = 200, body = ContactMethodOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn verify_method(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<VerifyIn>,
) -> Result<Json<ContactMethodOut>, ApiError> {
    let m = paging::verify_contact_method(&principal, &state, &id, &body.code).await?;
    Ok(Json(method_out(m)))
}

/// "Use this contact method this many minutes after a page reaches me."
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    id: String,
    contact_method: String,
    delay_minutes: u32,
    created_at: String,
}

fn rule_out(r: NotificationRuleRecord) -> RuleOut {
    RuleOut {
        id: r.id,
        contact_method: r.contact_method_id,
        delay_minutes: r.delay_minutes,
        created_at: time(r.created_at),
    }
}

/// List one's notification rules, earliest first.
#[utoipa::path(get, path = "/api/v1/me/notification-rules", tag = "me",
    responses((status = 200, body = Vec<RuleOut>)))]
pub async fn list_rules(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<RuleOut>>, ApiError> {
    let id = my_id(&principal)?;
    let rules = state.engine.store().notification_rules(&id).await?;
    Ok(Json(rules.into_iter().map(rule_out).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    /// The id of one of one's contact methods.
    contact_method: String,
    /// Minutes after the page (0 to 1440).
    #[serde(default)]
    delay_minutes: i64,
}

/// Add a notification rule.
#[utoipa::path(post, path = "/api/v1/me/notification-rules", tag = "me", request_body = RuleIn,
    responses((status = 201, body = RuleOut), (status = 400, body = super::ErrorBody)))]
pub async fn create_rule(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RuleIn>,
) -> Result<(StatusCode, Json<RuleOut>), ApiError> {
    let r = paging::add_rule(&principal, &state, &body.contact_method, body.delay_minutes).await?;
    Ok((StatusCode::CREATED, Json(rule_out(r))))
}

/// Remove a notification rule.
#[utoipa::path(delete, path = "/api/v1/me/notification-rules/{id}", tag = "me",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn delete_rule(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    paging::delete_rule(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's backup responder: paged with one by every step that pages one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupIo {
    /// A username; null for none.
    user: Option<String>,
}

/// Get one's backup responder.
#[utoipa::path(get, path = "/api/v1/me/backup", tag = "me",
    responses((status = 200, body = BackupIo)))]
pub async fn get_backup(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<BackupIo>, ApiError> {
    let id = my_id(&principal)?;
    let backup = paging::backup_of(&state, &id).await?;
    Ok(Json(BackupIo {
        user: backup.map(|u| u.username),
    }))
}

/// Name one's backup responder (or none).
#[utoipa::path(put, path = "/api/v1/me/backup", tag = "me", request_body = BackupIo,
    responses((status = 200, body = BackupIo), (status = 400, body = super::ErrorBody)))]
pub async fn set_backup(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BackupIo>,
) -> Result<Json<BackupIo>, ApiError> {
    let backup = paging::set_backup(&principal, &state, body.user.as_deref()).await?;
    Ok(Json(BackupIo {
        user: backup.map(|u| u.username),
    }))
}

/// Which shift notices one gets: `both` (a shift starting and ending), `start`, `never`.
/// They go to the contact methods of one's earliest verified rules that are not a call.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftNoticesIo {
    notify: String,
}

/// Get which shift notices one gets.
#[utoipa::path(get, path = "/api/v1/me/shift-notices", tag = "me",
    responses((status = 200, body = ShiftNoticesIo)))]
pub async fn get_shift_notices(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<ShiftNoticesIo>, ApiError> {
    let id = my_id(&principal)?;
    let notify = state.engine.store().shift_notices(&id).await?;
    Ok(Json(ShiftNoticesIo {
        notify: notify.as_str().to_owned(),
    }))
}

/// Choose which shift notices one gets.
#[utoipa::path(put, path = "/api/v1/me/shift-notices", tag = "me", request_body = ShiftNoticesIo,
    responses((status = 200, body = ShiftNoticesIo), (status = 400, body = super::ErrorBody)))]
pub async fn set_shift_notices(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ShiftNoticesIo>,
) -> Result<Json<ShiftNoticesIo>, ApiError> {
    let notify = paging::set_shift_notices(&principal, &state, &body.notify).await?;
    Ok(Json(ShiftNoticesIo {
        notify: notify.as_str().to_owned(),
    }))
}

/// A person's skills.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillsIo {
    skills: Vec<String>,
}

/// Get a user's skills.
#[utoipa::path(get, path = "/api/v1/users/{id}/skills", tag = "users",
    params(("id" = String, Path, description = "Id or username")),
    responses((status = 200, body = SkillsIo), (status = 404, body = super::ErrorBody)))]
pub async fn get_skills(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SkillsIo>, ApiError> {
    principal.require(Action::ManageUsers)?;
    let user = crate::people::user_record(&state, &id).await?;
    Ok(Json(SkillsIo {
        skills: state.engine.store().skills(&user.id).await?,
    }))
}

/// Replace a user's skills (what escalation steps with a skill target page).
#[utoipa::path(put, path = "/api/v1/users/{id}/skills", tag = "users", request_body = SkillsIo,
    params(("id" = String, Path, description = "Id or username")),
    responses((status = 200, body = SkillsIo), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn set_skills(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SkillsIo>,
) -> Result<Json<SkillsIo>, ApiError> {
    let skills = paging::set_skills(&principal, &state, &id, &body.skills).await?;
    Ok(Json(SkillsIo { skills }))
}
