//! Changes to people, their API tokens and teams, and who may manage a team's silences, one
//! function each, shared by the REST API (`api_v1`) and the console so both follow the same
//! rules: the caller's [`Action`], nobody
//! gives or touches a role above their own ([`Role::may_grant`]), the last enabled owner is
//! kept by the store ([`StoreError::LastOwner`]), and every change commits with its audit
//! entry.
//! Each front end turns a [`PeopleError`] into its own answer: a JSON error or a message on
//! the page.

use std::collections::HashMap;

use hinomi_core::{Action, Role, TeamRole};
use hinomi_store::{AuditEntry, StoreError, TeamRecord, TokenRecord, UserRecord};

use crate::AppState;
use crate::auth::{self, Principal};
use crate::error::ApiError;

/// Why a change to a person or a team was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The caller may not perform the action at all (the principal's own answer).
    #[error("{0}")]
    Denied(ApiError),
    /// The role given, or the role of the person to be changed, is above the caller's.
    #[error("{0} is above your own role")]
    AboveOwnRole(Role),
    /// What was not found: `user x`, `team y`, `x in team y`.
    #[error("{0} not found")]
    NotFound(String),
    /// A field has a value the rules refuse; the message names the field.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the username {0:?} is taken")]
    UsernameTaken(String),
    #[error("a team named {0:?} exists already")]
    TeamNameTaken(String),
    /// Includes [`StoreError::LastOwner`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> ApiError {
        match e {
            PeopleError::Denied(e) => e,
            PeopleError::AboveOwnRole(_) => ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                e.to_string(),
            ),
            PeopleError::NotFound(what) => ApiError::not_found(what),
            PeopleError::Invalid { field, message } => {
                ApiError::bad_request("invalid_field", field, message)
            }
            PeopleError::UsernameTaken(_) | PeopleError::TeamNameTaken(_) => {
                ApiError::conflict("conflict", e.to_string())
            }
            PeopleError::Store(e) => e.into(),
        }
    }
}

type Result<T> = std::result::Result<T, PeopleError>;

fn invalid(field: &'static str, message: impl Into<String>) -> PeopleError {
    PeopleError::Invalid {
        field,
        message: message.into(),
    }
}

fn require(principal: &Principal, action: Action) -> Result<()> {
    principal.require(action).map_err(PeopleError::Denied)
}

/// A display name: 1 to 100 characters, no control characters.
pub fn check_display_name(text: &str) -> Result<String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "display_name",
            "display_name: 1 to 100 characters, no control characters",
        ));
    }
    Ok(name.to_owned())
}

/// An email address (an empty one clears it). Only its shape is checked: one `@` between
/// two non-empty parts, no spaces; the mail server is the judge of the rest.
pub fn check_email(text: &str) -> Result<Option<String>> {
    let email = text.trim();
    if email.is_empty() {
        return Ok(None);
    }
    if !hinomi_core::contact::is_email(email) {
        return Err(invalid(
            "email",
            format!("email: {email:?} is not an email address"),
        ));
    }
    Ok(Some(email.to_owned()))
}

/// A role named in field `field`.
pub fn parse_role(field: &'static str, text: &str) -> Result<Role> {
    Role::parse(text).map_err(|_| {
        invalid(
            field,
            format!("{field}: {text:?} is none of owner, admin, responder, viewer"),
        )
    })
}

/// A role the caller may give: parsed and at most their own.
fn grantable(principal: &Principal, text: &str) -> Result<Role> {
    let role = parse_role("role", text)?;
    if !principal.role.may_grant(role) {
        return Err(PeopleError::AboveOwnRole(role));
    }
    Ok(role)
}

/// A user named by id or username.
pub async fn user_record(state: &AppState, id: &str) -> Result<UserRecord> {
    let store = state.engine.store();
    if let Some(u) = store.user_by_id(id).await? {
        return Ok(u);
    }
    store
        .user_by_username(id)
        .await?
        .ok_or_else(|| PeopleError::NotFound(format!("user {id}")))
}

/// A user (by id or username) the caller may change: nobody touches someone above their
/// own role.
pub async fn manageable(principal: &Principal, state: &AppState, id: &str) -> Result<UserRecord> {
    require(principal, Action::ManageUsers)?;
    let user = user_record(state, id).await?;
    if !principal.role.may_grant(user.role) {
        return Err(PeopleError::AboveOwnRole(user.role));
    }
    Ok(user)
}

/// A new user as asked for; `None` fields take their defaults.
#[derive(Debug, Default)]
pub struct NewUser<'a> {
    pub username: &'a str,
    /// At most the caller's own role.
    pub role: &'a str,
    /// Defaults to the username.
    pub display_name: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Creates a user with a one-time password, answered with the record (the password is
/// shown once and must be changed at first sign-in).
pub async fn create_user(
    principal: &Principal,
    state: &AppState,
    new: NewUser<'_>,
) -> Result<(UserRecord, String)> {
    require(principal, Action::ManageUsers)?;
    let username = new.username.trim();
    if !auth::username_ok(username) {
        return Err(invalid(
            "username",
            "username: 1 to 64 letters, digits, '.', '_', '-' or '@'",
        ));
    }
    let role = grantable(principal, new.role)?;
    let display_name = match new.display_name {
        Some(name) => check_display_name(name)?,
        None => username.to_owned(),
    };
    let email = match new.email {
        Some(email) => check_email(email)?,
        None => None,
    };
    let password = auth::one_time_password();
    let now = state.engine.now();
    let user = UserRecord {
        id: auth::random_hex(16),
        username: username.to_owned(),
        display_name,
        email,
        password_hash: Some(auth::hash_password(&password)),
        role,
        locale: None,
        time_zone: None,
        oidc_subject: None,
        must_change_password: true,
        created_at: now,
        disabled_at: None,
    };
    let audit = principal.audit(
        now,
        "user.created",
        username,
        serde_json::json!({ "role": role.as_str() }),
    );
    if !state.engine.store().create_user(&user, &audit).await? {
        return Err(PeopleError::UsernameTaken(username.to_owned()));
    }
    Ok((user, password))
}

/// What to change of a user; `None` leaves it as it is.
#[derive(Debug, Default)]
pub struct UserChange<'a> {
    /// At most the caller's own role.
    pub role: Option<&'a str>,
    /// True disables the user (ending their sessions); false enables them again.
    pub disabled: Option<bool>,
    pub display_name: Option<&'a str>,
    /// An empty string clears it.
    pub email: Option<&'a str>,
}

/// Changes a user's role, standing, name or email. The store refuses to demote or disable
/// the last enabled owner.
pub async fn update_user(
    principal: &Principal,
    state: &AppState,
    id: &str,
    change: UserChange<'_>,
) -> Result<UserRecord> {
    let mut user = manageable(principal, state, id).await?;
    if let Some(text) = change.role {
        user.role = grantable(principal, text)?;
    }
    if let Some(name) = change.display_name {
        user.display_name = check_display_name(name)?;
    }
    if let Some(email) = change.email {
        user.email = check_email(email)?;
    }
    let now = state.engine.now();
    match change.disabled {
        Some(true) if user.disabled_at.is_none() => user.disabled_at = Some(now),
        Some(false) => user.disabled_at = None,
        _ => {}
    }
    let audit = principal.audit(
        now,
        "user.updated",
        &user.username,
        serde_json::json!({
            "role": user.role.as_str(),
            "disabled": user.disabled_at.is_some(),
            "display_name": user.display_name,
            "email": user.email,
        }),
    );
    if !state.engine.store().update_user(&user, &audit).await? {
        return Err(PeopleError::NotFound(format!("user {id}")));
    }
    state.auth.forget_credentials();
    Ok(user)
}

/// Removes a user with their sessions and tokens. The store refuses to remove the last
/// enabled owner.
pub async fn delete_user(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    let user = manageable(principal, state, id).await?;
    let audit = principal.audit(
        state.engine.now(),
        "user.deleted",
        &user.username,
        serde_json::json!({ "role": user.role.as_str() }),
    );
    if !state.engine.store().delete_user(&user.id, &audit).await? {
        return Err(PeopleError::NotFound(format!("user {id}")));
    }
    state.auth.forget_credentials();
    Ok(())
}

/// Gives a user a one-time password, answered once: their sessions end, and until they
/// choose a new password they can do nothing else.
pub async fn reset_password(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<(UserRecord, String)> {
    let mut user = manageable(principal, state, id).await?;
    let password = auth::one_time_password();
    user.password_hash = Some(auth::hash_password(&password));
    user.must_change_password = true;
    let audit = principal.audit(
        state.engine.now(),
        "user.password_reset",
        &user.username,
        serde_json::json!({}),
    );
    // A changed password hash ends the user's sessions in the same transaction.
    if !state.engine.store().update_user(&user, &audit).await? {
        return Err(PeopleError::NotFound(format!("user {id}")));
    }
    state.auth.forget_credentials();
    Ok((user, password))
}

/// A personal API token and its user (`None` if the user was removed while the list was
/// read).
#[derive(Debug)]
pub struct UserToken {
    pub token: TokenRecord,
    pub user: Option<UserRecord>,
}

/// Everyone's tokens, newest first, each with its user.
pub async fn all_tokens(principal: &Principal, state: &AppState) -> Result<Vec<UserToken>> {
    require(principal, Action::ManageUsers)?;
    let store = state.engine.store();
    let tokens = store.tokens(None).await?;
    let users: HashMap<String, UserRecord> = store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    Ok(tokens
        .into_iter()
        .map(|token| UserToken {
            user: users.get(&token.user_id).cloned(),
            token,
        })
        .collect())
}

/// Whose tokens a revocation may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// The caller's own ([`Action::ManageSelf`]); anyone else's token is not found.
    Own,
    /// Anyone's whose user is not above the caller's role ([`Action::ManageUsers`]).
    Anyone,
}

/// Revokes a live token (by id) within `scope`; answers it as it was. The credential cache
/// forgets it, so it stops working at once.
pub async fn revoke_token(
    principal: &Principal,
    state: &AppState,
    id: &str,
    scope: TokenScope,
) -> Result<TokenRecord> {
    require(
        principal,
        match scope {
            TokenScope::Own => Action::ManageSelf,
            TokenScope::Anyone => Action::ManageUsers,
        },
    )?;
    let store = state.engine.store();
    let not_found = || PeopleError::NotFound(format!("token {id}"));
    let token = store.token_by_id(id).await?.ok_or_else(not_found)?;
    let user = store.user_by_id(&token.user_id).await?;
    match (scope, &user) {
        (TokenScope::Own, _) => {
            if principal
                .user
                .as_ref()
                .is_none_or(|u| u.id != token.user_id)
            {
                return Err(not_found());
            }
        }
        (TokenScope::Anyone, Some(user)) if !principal.role.may_grant(user.role) => {
            return Err(PeopleError::AboveOwnRole(user.role));
        }
        (TokenScope::Anyone, _) => {}
    }
    let now = state.engine.now();
    let audit = principal.audit(
        now,
        "token.revoked",
        id,
        token.revocation_detail(user.as_ref().map(|u| u.username.as_str())),
    );
    if !store.revoke_token(id, now, &audit).await? {
        return Err(PeopleError::NotFound(format!("live token {id}")));
    }
    state.auth.forget_credentials();
    Ok(token)
}

/// A team by id or name.
pub async fn team_record(state: &AppState, team: &str) -> Result<TeamRecord> {
    state
        .engine
        .store()
        .team(team)
        .await?
        .ok_or_else(|| PeopleError::NotFound(format!("team {team}")))
}

/// A team (by id or name) the caller may change.
async fn team_to_change(principal: &Principal, state: &AppState, team: &str) -> Result<TeamRecord> {
    require(principal, Action::ManageTeams)?;
    team_record(state, team).await
}

/// A user named by username, as team memberships name them.
async fn user_named(state: &AppState, username: &str) -> Result<UserRecord> {
    state
        .engine
        .store()
        .user_by_username(username)
        .await?
        .ok_or_else(|| PeopleError::NotFound(format!("user {username}")))
}

fn check_team_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(invalid("name", "name: 1 to 64 characters"));
    }
    Ok(name.to_owned())
}

/// The audit entry of a team created or changed: what it is called now.
fn team_audit(principal: &Principal, now: i64, action: &str, t: &TeamRecord) -> AuditEntry {
    principal.audit(
        now,
        action,
        &t.id,
        serde_json::json!({ "name": t.name, "description": t.description }),
    )
}

/// Creates a team with no members.
pub async fn create_team(
    principal: &Principal,
    state: &AppState,
    name: &str,
    description: &str,
) -> Result<TeamRecord> {
    require(principal, Action::ManageTeams)?;
    let now = state.engine.now();
    let record = TeamRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: check_team_name(name)?,
        description: description.to_owned(),
        created_at: now,
    };
    let audit = team_audit(principal, now, "team.created", &record);
    if !state.engine.store().create_team(&record, &audit).await? {
        return Err(PeopleError::TeamNameTaken(record.name));
    }
    Ok(record)
}

/// Renames a team (by id or name) or changes its description.
pub async fn update_team(
    principal: &Principal,
    state: &AppState,
    team: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<TeamRecord> {
    let mut t = team_to_change(principal, state, team).await?;
    if let Some(name) = name {
        t.name = check_team_name(name)?;
    }
    if let Some(description) = description {
        t.description = description.to_owned();
    }
    let audit = team_audit(principal, state.engine.now(), "team.updated", &t);
    if !state.engine.store().update_team(&t, &audit).await? {
        return Err(PeopleError::TeamNameTaken(t.name));
    }
    Ok(t)
}

/// Deletes a team (by id or name); its silences and integrations then belong to no team.
pub async fn delete_team(
    principal: &Principal,
    state: &AppState,
    team: &str,
) -> Result<TeamRecord> {
    let t = team_to_change(principal, state, team).await?;
    let audit = principal.audit(
        state.engine.now(),
        "team.deleted",
        &t.id,
        serde_json::json!({ "name": t.name }),
    );
    if !state.engine.store().delete_team(&t.id, &audit).await? {
        return Err(PeopleError::NotFound(format!("team {team}")));
    }
    Ok(t)
}

/// Adds a user to a team (by id or name), or changes their team role.
pub async fn set_member(
    principal: &Principal,
    state: &AppState,
    team: &str,
    username: &str,
    role: &str,
) -> Result<TeamRecord> {
    require(principal, Action::ManageTeams)?;
    let role = TeamRole::parse(role).map_err(|e| invalid("role", e.to_string()))?;
    let t = team_record(state, team).await?;
    let user = user_named(state, username).await?;
    let store = state.engine.store();
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
    Ok(t)
}

/// Takes a user out of a team (by id or name).
pub async fn remove_member(
    principal: &Principal,
    state: &AppState,
    team: &str,
    username: &str,
) -> Result<TeamRecord> {
    let t = team_to_change(principal, state, team).await?;
    let user = user_named(state, username).await?;
    let store = state.engine.store();
    let audit = principal.audit(
        state.engine.now(),
        "team.member_removed",
        &t.id,
        serde_json::json!({ "user": user.username }),
    );
    if !store.remove_team_member(&t.id, &user.id, &audit).await? {
        return Err(PeopleError::NotFound(format!(
            "{username} in team {}",
            t.name
        )));
    }
    Ok(t)
}

/// Whether the principal may manage the silences of team `team_id` (`None`: of no team):
/// its global role allows it, or its role in that team does ([`Principal::require_in_team`]).
pub async fn may_manage_silences(
    principal: &Principal,
    state: &AppState,
    team_id: Option<&str>,
) -> Result<()> {
    let team_role = match (team_id, principal.user.as_ref()) {
        (Some(team), Some(user)) => state.engine.store().team_role(team, &user.id).await?,
        _ => None,
    };
    principal
        .require_in_team(Action::ManageSilences, team_role)
        .map_err(PeopleError::Denied)
}

/// The team (by id or name; `None`: no team) a new silence is to belong to, if the caller
/// may manage its silences: the team's id.
pub async fn team_for_new_silence(
    principal: &Principal,
    state: &AppState,
    team: Option<&str>,
) -> Result<Option<String>> {
    let team_id = match team {
        Some(name) => Some(
            state
                .engine
                .store()
                .team(name)
                .await?
                .ok_or_else(|| invalid("team", format!("team: no team {name:?}")))?
                .id,
        ),
        None => None,
    };
    may_manage_silences(principal, state, team_id.as_deref()).await?;
    Ok(team_id)
}

/// The team of silence `id`, if the caller may manage it and it exists. The right comes
/// first: to someone who may manage no silence of no team, every id is refused alike.
pub async fn team_of_silence_to_change(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<Option<String>> {
    let team_id = state.engine.store().silence_team(id).await?;
    may_manage_silences(principal, state, team_id.as_deref()).await?;
    if state.engine.silence(id).is_none() {
        return Err(PeopleError::NotFound(format!("silence {id}")));
    }
    Ok(team_id)
}

/// The teams whose silences the caller may manage, by name: every team for those whose
/// global role manages silences.
pub async fn teams_for_silences(
    principal: &Principal,
    state: &AppState,
) -> Result<Vec<TeamRecord>> {
    let mut allowed = Vec::new();
    for team in state.engine.store().teams().await? {
        match may_manage_silences(principal, state, Some(&team.id)).await {
            Ok(()) => allowed.push(team),
            Err(PeopleError::Denied(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(allowed)
}
