//! Administration pages: integration keys, people and everyone's API tokens, and the audit
//! log. Changes to people and tokens go through [`crate::people`], the functions the API
//! uses.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, LabelSet, Role};
use hinomi_store::{
    AuditEntry, AuditQuery, IntegrationRecord, StoreError, TokenRecord, UserRecord, UserUses,
};
use jiff::civil::Date;
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::keys;
use crate::people::{self, NewUser, PeopleError, TokenScope, UserChange};

#[derive(Debug)]
struct IntegrationRow {
    name: String,
    kind: String,
    labels: String,
    created_at: i64,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    ctx: Ctx,
    integrations: Vec<IntegrationRow>,
    /// `(name, key)` of the integration just created: the key is shown this once.
    created: Option<(String, String)>,
    form_name: String,
    error: Option<(String, String)>,
}

async fn integrations_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    created: Option<(String, String)>,
    form_name: String,
    error: Option<(String, String)>,
) -> Response {
    if let Err(e) = ctx.require(Action::ManageIntegrations) {
        return e.into_page(ctx);
    }
    let list = match state.engine.store().integrations().await {
        Ok(l) => l,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let integrations = list
        .iter()
        .map(|i| IntegrationRow {
            name: i.name.clone(),
            kind: i.kind.clone(),
            labels: i.labels.to_string(),
            created_at: i.created_at,
            revoked: i.revoked_at.is_some(),
        })
        .collect();
    render(
        status,
        &IntegrationsPage {
            ctx,
            integrations,
            created,
            form_name,
            error,
        },
    )
}

/// `GET /integrations`.
pub(super) async fn integrations(ctx: Ctx, State(state): State<AppState>) -> Response {
    integrations_page(ctx, &state, StatusCode::OK, None, String::new(), None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct IntegrationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// `POST /integrations`: a new key, shown once.
pub(super) async fn create_integration(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<IntegrationForm>,
) -> Response {
    let me = match ctx.require(Action::ManageIntegrations) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let name = form.name.trim().to_owned();
    let bad = |field: &str, key: &str| Some((field.to_owned(), ctx.t(key).to_owned()));
    let error = if name.is_empty() || name.chars().count() > 100 {
        bad("name", "integrations.error.name")
    } else if form.kind != "pagerduty" && form.kind != "generic" {
        bad("kind", "integrations.error.kind")
    } else {
        None
    };
    if error.is_some() {
        return integrations_page(ctx, &state, StatusCode::BAD_REQUEST, None, name, error).await;
    }
    let key = keys::generate();
    let now = state.engine.now();
    let record = IntegrationRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.clone(),
        kind: form.kind.clone(),
        key_hash: keys::hash(&key),
        labels: LabelSet::new(),
        created_at: now,
        revoked_at: None,
    };
    let audit = me.principal.audit(
        now,
        "integration.created",
        &name,
        serde_json::json!({ "kind": form.kind }),
    );
    match state
        .engine
        .store()
        .create_integration(&record, &audit)
        .await
    {
        Ok(()) => {
            integrations_page(
                ctx,
                &state,
                StatusCode::OK,
                Some((name, key)),
                String::new(),
                None,
            )
            .await
        }
        Err(_) => {
            // The one constraint an insert can break here is the unique name.
            let error = bad("name", "integrations.error.taken");
            integrations_page(ctx, &state, StatusCode::CONFLICT, None, name, error).await
        }
    }
}

/// `POST /integrations/{name}/revoke`.
pub(super) async fn revoke_integration(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageIntegrations) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let now = state.engine.now();
    let audit = me
        .principal
        .audit(now, "integration.revoked", &name, serde_json::json!({}));
    match state
        .engine
        .store()
        .revoke_integration(&name, now, &audit)
        .await
    {
        Ok(true) => {
            state.auth.forget_credentials();
            Redirect::to("/integrations").into_response()
        }
        Ok(false) => PageError::NotFound.into_page(ctx),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// A refused change to people or teams, as the page shows it.
#[derive(Debug)]
pub(super) struct Refusal {
    /// The form field at fault, when the input is to blame.
    pub(super) field: Option<String>,
    pub(super) message: String,
}

impl Refusal {
    /// Whether `refusal` concerns form field `field` (for `aria-invalid`).
    pub(super) fn concerns(refusal: &Option<Refusal>, field: &str) -> bool {
        refusal
            .as_ref()
            .is_some_and(|r| r.field.as_deref() == Some(field))
    }
}

/// How a refused change to people or teams reads on the page: the status to answer with
/// and why, in the viewer's language; or the error page, for what no input can fix (no
/// right to act, nothing by that name).
pub(super) fn refusal(
    ctx: &Ctx,
    action: Action,
    e: PeopleError,
) -> Result<(StatusCode, Refusal), PageError> {
    let on = |field: &str, message: String| Refusal {
        field: Some(field.to_owned()),
        message,
    };
    Ok(match e {
        PeopleError::Denied(_) => return Err(PageError::Forbidden(action)),
        PeopleError::NotFound(_) => return Err(PageError::NotFound),
        PeopleError::AboveOwnRole(role) => (
            StatusCode::FORBIDDEN,
            on(
                "role",
                ctx.t("users.error.above_role")
                    .replace("{role}", role.as_str()),
            ),
        ),
        PeopleError::Invalid { field, message } => {
            let message = match field {
                "username" => ctx.t("users.error.username").to_owned(),
                "display_name" => ctx.t("users.error.display_name").to_owned(),
                "email" => ctx.t("users.error.email").to_owned(),
                "role" => ctx.t("users.error.role").to_owned(),
                "name" => ctx.t("teams.error.name").to_owned(),
                // The rule's own words, which name the field.
                _ => message,
            };
            (StatusCode::BAD_REQUEST, on(field, message))
        }
        PeopleError::UsernameTaken(_) => (
            StatusCode::CONFLICT,
            on("username", ctx.t("users.error.taken").to_owned()),
        ),
        PeopleError::TeamNameTaken(_) => (
            StatusCode::CONFLICT,
            on("name", ctx.t("teams.error.taken").to_owned()),
        ),
        PeopleError::Store(StoreError::LastOwner(user)) => (
            StatusCode::CONFLICT,
            Refusal {
                field: None,
                message: ctx.t("users.error.last_owner").replace("{user}", &user),
            },
        ),
        PeopleError::Store(StoreError::UserInUse { username, uses }) => (
            StatusCode::CONFLICT,
            Refusal {
                field: None,
                message: in_use(ctx, &username, &uses),
            },
        ),
        PeopleError::Store(e) => return Err(PageError::Internal(e.to_string())),
    })
}

/// Why a person cannot be deleted yet, in the viewer's language: each schedule, policy and
/// person whose backup setting still names them.
fn in_use(ctx: &Ctx, username: &str, uses: &UserUses) -> String {
    let parts: Vec<String> = [
        ("users.error.in_use.schedules", &uses.schedules),
        ("users.error.in_use.policies", &uses.policies),
        ("users.error.in_use.backup_of", &uses.backup_of),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(key, names)| ctx.t(key).replace("{names}", &names.join(", ")))
    .collect();
    ctx.t("users.error.in_use")
        .replace("{user}", username)
        .replace("{uses}", &parts.join(" "))
}

/// A person as the users page lists them.
#[derive(Debug)]
struct UserRow {
    user: UserRecord,
    /// Whether the viewer may change them: never someone above the viewer's own role.
    manageable: bool,
}

impl UserRow {
    fn has_role(&self, role: &str) -> bool {
        self.user.role.as_str() == role
    }
}

/// A one-time password just made, shown this once.
#[derive(Debug)]
struct OneTime {
    username: String,
    password: String,
    /// For a new user; else for a password reset.
    created: bool,
}

/// The new-user form, as posted and as refilled after a refusal.
#[derive(Debug, Default, Deserialize)]
pub(super) struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

/// What the users page shows besides the list.
#[derive(Debug, Default)]
struct UsersNotice {
    one_time: Option<OneTime>,
    form: NewUserForm,
    /// Why the new-user form was refused.
    form_error: Option<Refusal>,
    /// Why a change to a listed person was refused.
    error: Option<Refusal>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<UserRow>,
    /// The roles the viewer may give.
    roles: Vec<&'static str>,
    notice: UsersNotice,
}

impl UsersPage {
    /// Whether the new-user form's `field` was refused (for `aria-invalid`).
    fn form_field_error(&self, field: &str) -> bool {
        Refusal::concerns(&self.notice.form_error, field)
    }

    /// Whether the new-user form chose `role` (the least role when it chose none).
    fn form_has_role(&self, role: &str) -> bool {
        self.notice.form.role == role
    }
}

async fn users_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    notice: UsersNotice,
) -> Response {
    let role = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.principal.role,
        Err(e) => return e.into_page(ctx),
    };
    let users = match state.engine.store().users().await {
        Ok(users) => users,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let users = users
        .into_iter()
        .map(|user| UserRow {
            manageable: role.may_grant(user.role),
            user,
        })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| role.may_grant(*r))
        .map(Role::as_str)
        .collect();
    render(
        status,
        &UsersPage {
            ctx,
            users,
            roles,
            notice,
        },
    )
}

/// `GET /users`: everyone, and for each what the viewer may change.
pub(super) async fn users(ctx: Ctx, State(state): State<AppState>) -> Response {
    users_page(ctx, &state, StatusCode::OK, UsersNotice::default()).await
}

/// `POST /users`: a new person with a one-time password, shown once.
pub(super) async fn create_user(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<NewUserForm>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let new = NewUser {
        username: &form.username,
        role: &form.role,
        // An empty display name means the username, as in the API when it is left out.
        display_name: Some(form.display_name.as_str()).filter(|d| !d.trim().is_empty()),
        email: None,
    };
    let (status, notice) = match people::create_user(&me.principal, &state, new).await {
        Ok((user, password)) => (
            StatusCode::OK,
            UsersNotice {
                one_time: Some(OneTime {
                    username: user.username,
                    password,
                    created: true,
                }),
                ..UsersNotice::default()
            },
        ),
        Err(e) => match refusal(&ctx, Action::ManageUsers, e) {
            Ok((status, why)) => (
                status,
                UsersNotice {
                    form,
                    form_error: Some(why),
                    ..UsersNotice::default()
                },
            ),
            Err(page) => return page.into_page(ctx),
        },
    };
    users_page(ctx, &state, status, notice).await
}

/// The users page saying why a change to a listed person was refused.
async fn refused_change(ctx: Ctx, state: &AppState, e: PeopleError) -> Response {
    match refusal(&ctx, Action::ManageUsers, e) {
        Ok((status, why)) => {
            let notice = UsersNotice {
                error: Some(why),
                ..UsersNotice::default()
            };
            users_page(ctx, state, status, notice).await
        }
        Err(page) => page.into_page(ctx),
    }
}

async fn change_user(ctx: Ctx, state: &AppState, id: &str, change: UserChange<'_>) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match people::update_user(&me.principal, state, id, change).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err(e) => refused_change(ctx, state, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /users/{id}/role`.
pub(super) async fn set_role(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Response {
    let change = UserChange {
        role: Some(&form.role),
        ..UserChange::default()
    };
    change_user(ctx, &state, &id, change).await
}

/// `POST /users/{id}/disable`: the person can no longer sign in; their sessions end.
pub(super) async fn disable_user(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let change = UserChange {
        disabled: Some(true),
        ..UserChange::default()
    };
    change_user(ctx, &state, &id, change).await
}

/// `POST /users/{id}/enable`.
pub(super) async fn enable_user(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let change = UserChange {
        disabled: Some(false),
        ..UserChange::default()
    };
    change_user(ctx, &state, &id, change).await
}

/// `POST /users/{id}/password-reset`: a one-time password, shown once.
pub(super) async fn reset_password(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match people::reset_password(&me.principal, &state, &id).await {
        Ok((user, password)) => {
            let notice = UsersNotice {
                one_time: Some(OneTime {
                    username: user.username,
                    password,
                    created: false,
                }),
                ..UsersNotice::default()
            };
            users_page(ctx, &state, StatusCode::OK, notice).await
        }
        Err(e) => refused_change(ctx, &state, e).await,
    }
}

/// `POST /users/{id}/delete`: the person goes, with their sessions and API tokens; what
/// they did stays in the audit log.
pub(super) async fn delete_user(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match people::delete_user(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/users").into_response(),
        Err(e) => refused_change(ctx, &state, e).await,
    }
}

/// The form for a person's name and email, as shown and as refilled after a refusal.
#[derive(Debug, Deserialize)]
pub(super) struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    ctx: Ctx,
    user: UserRecord,
    /// Whether the viewer may change them: never someone above the viewer's own role.
    manageable: bool,
    form: ProfileForm,
    /// Why the form was refused.
    error: Option<Refusal>,
    audit: Vec<AuditEntry>,
}

impl UserPage {
    /// Whether the form's `field` was refused (for `aria-invalid`).
    fn field_error(&self, field: &str) -> bool {
        Refusal::concerns(&self.error, field)
    }
}

/// The page of the user `id` (id or username); `refused` is a posted form and why it was
/// refused.
async fn user_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    refused: Option<(ProfileForm, Refusal)>,
) -> Response {
    let role = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.principal.role,
        Err(e) => return e.into_page(ctx),
    };
    let user = match people::user_record(state, id).await {
        Ok(u) => u,
        Err(PeopleError::NotFound(_)) => return PageError::NotFound.into_page(ctx),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let audit = match state
        .engine
        .store()
        .audit(&AuditQuery {
            actor: Some(user.username.clone()),
            limit: 50,
            ..AuditQuery::default()
        })
        .await
    {
        Ok(a) => a,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let (form, error) = match refused {
        Some((form, why)) => (form, Some(why)),
        None => (
            ProfileForm {
                display_name: user.display_name.clone(),
                email: user.email.clone().unwrap_or_default(),
            },
            None,
        ),
    };
    let page = UserPage {
        ctx,
        manageable: role.may_grant(user.role),
        user,
        form,
        error,
        audit,
    };
    render(status, &page)
}

/// `GET /users/{id}`: one person, their name and email to change, and what they did.
pub(super) async fn user(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    user_page(ctx, &state, &id, StatusCode::OK, None).await
}

/// `POST /users/{id}/profile`: a new display name and email (an empty one removes it).
pub(super) async fn update_profile(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ProfileForm>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let change = UserChange {
        display_name: Some(&form.display_name),
        email: Some(&form.email),
        ..UserChange::default()
    };
    match people::update_user(&me.principal, &state, &id, change).await {
        Ok(user) => Redirect::to(&format!("/users/{}", user.id)).into_response(),
        Err(e) => match refusal(&ctx, Action::ManageUsers, e) {
            Ok((status, why)) => user_page(ctx, &state, &id, status, Some((form, why))).await,
            Err(page) => page.into_page(ctx),
        },
    }
}

/// A token as the everyone's-tokens page lists it (never its secret).
#[derive(Debug)]
struct TokenRow {
    token: TokenRecord,
    /// Its user, linked to their page; `None` if they were removed meanwhile.
    user: Option<(String, String)>,
    /// Accepted now: neither revoked nor expired.
    live: bool,
    /// Whether the viewer may revoke it: never the token of someone above their role.
    manageable: bool,
}

impl TokenRow {
    fn expired(&self) -> bool {
        !self.live && self.token.revoked_at.is_none()
    }
}

#[derive(Template)]
#[template(path = "all_tokens.html")]
struct AllTokensPage {
    ctx: Ctx,
    tokens: Vec<TokenRow>,
    /// How many are accepted now.
    live: usize,
    /// Why a revocation was refused.
    error: Option<Refusal>,
}

impl AllTokensPage {
    /// How many tokens there are and how many of them are accepted now.
    fn count_line(&self) -> String {
        self.ctx
            .t("all_tokens.count")
            .replace("{all}", &self.tokens.len().to_string())
            .replace("{live}", &self.live.to_string())
    }
}

async fn all_tokens_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    error: Option<Refusal>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let list = match people::all_tokens(&me.principal, state).await {
        Ok(list) => list,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let now = state.engine.now();
    let tokens: Vec<TokenRow> = list
        .into_iter()
        .map(|t| TokenRow {
            live: t.token.live(now),
            manageable: t
                .user
                .as_ref()
                .is_none_or(|u| me.principal.role.may_grant(u.role)),
            user: t.user.map(|u| (u.id, u.username)),
            token: t.token,
        })
        .collect();
    let live = tokens.iter().filter(|t| t.live).count();
    render(
        status,
        &AllTokensPage {
            ctx,
            tokens,
            live,
            error,
        },
    )
}

/// `GET /users/tokens`: everyone's API tokens, newest first.
pub(super) async fn all_tokens(ctx: Ctx, State(state): State<AppState>) -> Response {
    all_tokens_page(ctx, &state, StatusCode::OK, None).await
}

/// `POST /users/tokens/{id}/revoke`: anyone's token, unless its user is above the viewer.
pub(super) async fn revoke_token(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageUsers) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let refused = match people::revoke_token(&me.principal, &state, &id, TokenScope::Anyone).await {
        Ok(_) => return Redirect::to("/users/tokens").into_response(),
        // Gone or revoked already (a second click, another admin): said on the list.
        Err(PeopleError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            Refusal {
                field: None,
                message: ctx.t("all_tokens.error.gone").to_owned(),
            },
        ),
        Err(PeopleError::AboveOwnRole(role)) => (
            StatusCode::FORBIDDEN,
            Refusal {
                field: None,
                message: ctx
                    .t("all_tokens.error.above_role")
                    .replace("{role}", role.as_str()),
            },
        ),
        Err(e) => match refusal(&ctx, Action::ManageUsers, e) {
            Ok(refused) => refused,
            Err(page) => return page.into_page(ctx),
        },
    };
    let (status, why) = refused;
    all_tokens_page(ctx, &state, status, Some(why)).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    /// `YYYY-MM-DD`, in the viewer's time zone, inclusive.
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: Ctx,
    actor: String,
    action: String,
    since: String,
    until: String,
    entries: Vec<AuditEntry>,
    error: Option<String>,
}

/// How many entries the page lists; the export has them all.
const AUDIT_LIMIT: i64 = 200;

/// `GET /audit`.
pub(super) async fn audit(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Response {
    if let Err(e) = ctx.require(Action::ReadAudit) {
        return e.into_page(ctx);
    }
    // A day boundary in the viewer's zone: `since` from its start, `until` to its end.
    let day = |field: &str, text: &str, end: bool| -> Result<Option<i64>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let date: Date = text
            .parse()
            .map_err(|_| format!("{field}: {}", ctx.t("audit.error.date")))?;
        let date = if end {
            date.tomorrow().map_err(|e| format!("{field}: {e}"))?
        } else {
            date
        };
        date.to_zoned(ctx.tz.clone())
            .map(|z| Some(z.timestamp().as_millisecond()))
            .map_err(|e| format!("{field}: {e}"))
    };
    let range = day("since", &p.since, false).and_then(|s| Ok((s, day("until", &p.until, true)?)));
    let (status, entries, error) = match range {
        Err(e) => (StatusCode::BAD_REQUEST, Vec::new(), Some(e)),
        Ok((since, until)) => {
            let q = AuditQuery {
                actor: Some(p.actor.trim().to_owned()).filter(|s| !s.is_empty()),
                action_prefix: Some(p.action.trim().to_owned()).filter(|s| !s.is_empty()),
                since,
                until,
                limit: AUDIT_LIMIT,
                ..AuditQuery::default()
            };
            match state.engine.store().audit(&q).await {
                Ok(e) => (StatusCode::OK, e, None),
                Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
            }
        }
    };
    render(
        status,
        &AuditPage {
            ctx,
            actor: p.actor,
            action: p.action,
            since: p.since,
            until: p.until,
            entries,
            error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(lang: &'static str) -> Ctx {
        let request = axum::http::Request::get("/users/tokens")
            .header(axum::http::header::ACCEPT_LANGUAGE, lang)
            .body(())
            .unwrap();
        Ctx::from_parts(&request.into_parts().0)
    }

    #[test]
    fn no_tokens_is_said_with_what_to_do() {
        for (lang, none, help) in [
            ("en", "No one has an API token.", "hinomi token create"),
            (
                "ja",
                "API トークンを持つユーザーはいません。",
                "hinomi token create",
            ),
        ] {
            let page = AllTokensPage {
                ctx: ctx(lang),
                tokens: Vec::new(),
                live: 0,
                error: None,
            };
            let html = page.render().unwrap();
            assert!(html.contains(none) && html.contains(help), "{html}");
            assert!(!html.contains("<ul class=\"rows tokens\""), "{html}");
        }
    }
}
