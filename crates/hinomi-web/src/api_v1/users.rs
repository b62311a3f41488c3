//! `/api/v1/me`, `/api/v1/me/tokens`, `/api/v1/tokens` and `/api/v1/users`: one's own
//! profile, password and API tokens, and the administration of people and their tokens.
//! Nobody gives or touches a role above their own ([`Role::may_grant`]); the last enabled
//! owner is protected by the store, inside the transaction of the change. Changes to people
//! and the revocation of tokens go through `crate::people`, which the console uses too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hinomi_core::{Action, Role};
use hinomi_store::{TokenRecord, UserRecord};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, time};
use crate::AppState;
use crate::auth::{self, Principal};
use crate::error::ApiError;
use crate::people::{self, NewUser, PeopleError, TokenScope, UserChange};

/// A person, never their password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    id: String,
    username: String,
    display_name: String,
    email: Option<String>,
    /// `owner`, `admin`, `responder` or `viewer`.
    role: String,
    /// `ja` or `en`; null follows the browser.
    locale: Option<String>,
    /// IANA time zone; null follows the browser.
    time_zone: Option<String>,
    /// Set by an administrator's password reset: the person must choose a new password.
    must_change_password: bool,
    /// Whether the person signs in through OpenID Connect.
    oidc: bool,
    created_at: String,
    disabled_at: Option<String>,
}

fn user_out(u: &UserRecord) -> UserOut {
    UserOut {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        role: u.role.as_str().to_owned(),
        locale: u.locale.clone(),
        time_zone: u.time_zone.clone(),
        must_change_password: u.must_change_password,
        oidc: u.oidc_subject.is_some(),
        created_at: time(u.created_at),
        disabled_at: u.disabled_at.map(time),
    }
}

/// A personal API token, never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    id: String,
    name: String,
    /// The token's user.
    username: String,
    /// The most the token may do (never above its user's role).
    role: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    /// Whether it is accepted now.
    live: bool,
}

fn token_out(t: &TokenRecord, username: &str, now: i64) -> TokenOut {
    TokenOut {
        id: t.id.clone(),
        name: t.name.clone(),
        username: username.to_owned(),
        role: t.role.as_str().to_owned(),
        created_at: time(t.created_at),
        expires_at: t.expires_at.map(time),
        revoked_at: t.revoked_at.map(time),
        live: t.live(now),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_field", field, message)
}

fn above_own_role(role: Role) -> ApiError {
    PeopleError::AboveOwnRole(role).into()
}

/// The caller's own user, read fresh (the principal's copy may be a few seconds old).
async fn me_record(principal: &Principal, state: &AppState) -> Result<UserRecord, ApiError> {
    let Some(user) = &principal.user else {
        return Err(ApiError::forbidden(Action::ManageSelf));
    };
    state
        .engine
        .store()
        .user_by_id(&user.id)
        .await?
        .ok_or_else(ApiError::unauthorized)
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = UserOut)))]
pub async fn me(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<UserOut>, ApiError> {
    principal.require(Action::ManageSelf)?;
    Ok(Json(user_out(&me_record(&principal, &state).await?)))
}

/// What a person may change of their own profile. An empty string clears `email`,
/// `locale` or `time_zone`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    display_name: Option<String>,
    email: Option<String>,
    /// `ja` or `en`.
    locale: Option<String>,
    /// An IANA time zone, such as `Asia/Tokyo`.
    time_zone: Option<String>,
}

/// Change one's own profile and preferences.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MePatch,
    responses((status = 200, body = UserOut), (status = 400, body = super::ErrorBody)))]
pub async fn update_me(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MePatch>,
) -> Result<Json<UserOut>, ApiError> {
    principal.require(Action::ManageSelf)?;
    let mut user = me_record(&principal, &state).await?;
    if let Some(name) = &body.display_name {
        user.display_name = people::check_display_name(name)?;
    }
    if let Some(email) = &body.email {
        user.email = people::check_email(email)?;
    }
    if let Some(locale) = body.locale.as_deref().map(str::trim) {
        user.locale = match locale {
            "" => None,
            "ja" | "en" => Some(locale.to_owned()),
            _ => {
                return Err(invalid(
                    "locale",
                    format!("locale: {locale:?} is neither ja nor en"),
                ));
            }
        };
    }
    if let Some(tz) = body.time_zone.as_deref().map(str::trim) {
        user.time_zone = if tz.is_empty() {
            None
        } else if tz.bytes().all(|b| b.is_ascii_graphic()) && TimeZone::get(tz).is_ok() {
            Some(tz.to_owned())
        } else {
            return Err(invalid(
                "time_zone",
                format!("time_zone: {tz:?} is not an IANA time zone"),
            ));
        };
    }
    let audit = principal.audit(
        state.engine.now(),
        "user.profile_changed",
        &user.username,
        serde_json::json!({
            "display_name": user.display_name,
            "email": user.email,
            "locale": user.locale,
            "time_zone": user.time_zone,
        }),
    );
    if !state.engine.store().update_user(&user, &audit).await? {
        return Err(ApiError::unauthorized());
    }
    Ok(Json(user_out(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// The password in use now (or the one-time password of a reset).
    current: String,
    new: String,
}

/// Change one's own password. Ends one's console sessions; API tokens keep working.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordIn,
    responses((status = 204), (status = 400, body = super::ErrorBody)))]
pub async fn change_password(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<PasswordIn>,
) -> Result<StatusCode, ApiError> {
    principal.require(Action::ManageSelf)?;
    let mut user = me_record(&principal, &state).await?;
    let current_ok = user
        .password_hash
        .as_deref()
        .is_some_and(|h| auth::verify_password(h, &body.current));
    if !current_ok {
        return Err(invalid("current", "current: not your current password"));
    }
    auth::check_new_password(&body.new).map_err(|e| invalid("new", format!("new: {e}")))?;
    user.password_hash = Some(auth::hash_password(&body.new));
    user.must_change_password = false;
    let audit = principal.audit(
        state.engine.now(),
        "user.password_changed",
        &user.username,
        serde_json::json!({}),
    );
    state.engine.store().update_user(&user, &audit).await?;
    // Cached credentials still carry the must-change flag.
    state.auth.forget_credentials();
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me/tokens`: one's own tokens, newest first.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me",
    responses((status = 200, body = Vec<TokenOut>)))]
pub async fn my_tokens(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    principal.require(Action::ManageSelf)?;
    let user = me_record(&principal, &state).await?;
    let now = state.engine.now();
    let tokens = state.engine.store().tokens(Some(&user.id)).await?;
    Ok(Json(
        tokens
            .iter()
            .map(|t| token_out(t, &user.username, now))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// A name to recognise the token by.
    name: String,
    /// At most the caller's own role, which is the default.
    role: Option<String>,
    /// Lifetime as a Prometheus duration (`30d`, `12h`); none means until revoked.
    expires_in: Option<String>,
}

/// A new token with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    token: TokenOut,
    /// Send it as `Authorization: Bearer <token>`. Not shown again.
    secret: String,
}

/// Create a personal API token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = TokenIn,
    responses((status = 201, body = CreatedToken), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody)))]
pub async fn create_token(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TokenIn>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    principal.require(Action::ManageSelf)?;
    let user = me_record(&principal, &state).await?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid("name", "name: 1 to 100 characters"));
    }
    let role = match body.role.as_deref() {
        Some(text) => people::parse_role("role", text)?,
        None => principal.role,
    };
    if role > principal.role {
        return Err(above_own_role(role));
    }
    let now = state.engine.now();
    let expires_at = match body.expires_in.as_deref() {
        Some(text) => match hinomi_core::parse_duration(text) {
            Ok(ms) if ms > 0 => Some(now.saturating_add(ms)),
            _ => {
                return Err(invalid(
                    "expires_in",
                    format!("expires_in: {text:?} is not a positive duration such as 30d"),
                ));
            }
        },
        None => None,
    };
    let (secret, hash) = auth::new_token();
    let record = TokenRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        name: name.clone(),
        token_hash: hash,
        role,
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    let audit = principal.audit(
        now,
        "token.created",
        &record.id,
        serde_json::json!({ "name": name, "role": role.as_str(), "expires_at": expires_at }),
    );
    state.engine.store().create_token(&record, &audit).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token_out(&record, &user.username, now),
            secret,
        }),
    ))
}

/// Revoke one of one's own tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)))]
pub async fn revoke_my_token(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    people::revoke_token(&principal, &state, &id, TokenScope::Own).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/tokens`: every user's tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = Vec<TokenOut>)))]
pub async fn all_tokens(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let tokens = people::all_tokens(&principal, &state).await?;
    let now = state.engine.now();
    Ok(Json(
        tokens
            .iter()
            .map(|t| {
                let username = t.user.as_ref().map_or("", |u| u.username.as_str());
                token_out(&t.token, username, now)
            })
            .collect(),
    ))
}

/// Revoke anyone's token (whose user's role is not above the caller's).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn revoke_token(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    people::revoke_token(&principal, &state, &id, TokenScope::Anyone).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/users`: everyone, by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserOut>)))]
pub async fn list_users(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    principal.require(Action::ManageUsers)?;
    let users = state.engine.store().users().await?;
    Ok(Json(users.iter().map(user_out).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    username: String,
    /// At most the caller's own role.
    role: String,
    display_name: Option<String>,
    email: Option<String>,
}

/// A new user with a one-time password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    user: UserOut,
    /// To be changed at first sign-in. Not shown again.
    one_time_password: String,
}

/// Create a user, who signs in with the one-time password in the answer.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = CreatedUser), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn create_user(
    principal: Principal,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<UserIn>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let new = NewUser {
        username: &body.username,
        role: &body.role,
        display_name: body.display_name.as_deref(),
        email: body.email.as_deref(),
    };
    let (user, password) = people::create_user(&principal, &state, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user_out(&user),
            one_time_password: password,
        }),
    ))
}

/// One user, by id or username.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id or username")),
    responses((status = 200, body = UserOut), (status = 404, body = super::ErrorBody)))]
pub async fn get_user(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    principal.require(Action::ManageUsers)?;
    Ok(Json(user_out(&people::user_record(&state, &id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// At most the caller's own role.
    role: Option<String>,
    /// True disables the user (ending their sessions); false enables them again.
    disabled: Option<bool>,
    display_name: Option<String>,
    /// An empty string clears it.
    email: Option<String>,
}

/// Change a user's role, standing, name or email. The last enabled owner can be neither
/// demoted nor disabled (409 `last_owner`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = String, Path, description = "The user's id or username")),
    responses((status = 200, body = UserOut), (status = 400, body = super::ErrorBody),
              (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn update_user(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UserPatch>,
) -> Result<Json<UserOut>, ApiError> {
    let change = UserChange {
        role: body.role.as_deref(),
        disabled: body.disabled,
        display_name: body.display_name.as_deref(),
        email: body.email.as_deref(),
    };
    let user = people::update_user(&principal, &state, &id, change).await?;
    Ok(Json(user_out(&user)))
}

/// Remove a user with their sessions and tokens. The last enabled owner cannot be removed
/// (409 `last_owner`), nor anyone a schedule layer, an override or swap not yet ended, an
/// escalation policy or another person's backup setting still names (409 `user_in_use`,
/// the message naming each).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id or username")),
    responses((status = 204), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn delete_user(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    people::delete_user(&principal, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer to a password reset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    /// The user signs in with it once and must then choose a new password. Not shown again.
    one_time_password: String,
}

/// Give a user a one-time password: their sessions end, and until they choose a new
/// password (`POST /api/v1/me/password`) they can do nothing else.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users",
    params(("id" = String, Path, description = "The user's id or username")),
    responses((status = 200, body = PasswordReset), (status = 403, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody)))]
pub async fn reset_password(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PasswordReset>, ApiError> {
    let (_, password) = people::reset_password(&principal, &state, &id).await?;
    Ok(Json(PasswordReset {
        one_time_password: password,
    }))
}
