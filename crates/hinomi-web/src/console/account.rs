//! Signing in and out, and what a person manages for themself: password and API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, Role};
use hinomi_store::TokenRecord;
use serde::Deserialize;

use super::prefs::{local_path, set_cookie};
use super::{Ctx, LANG_COOKIE, Locale, PageError, render};
use crate::AppState;
use crate::auth::{self, SignInError};
use crate::people::{self, PeopleError, TokenScope};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    username: String,
    next: String,
    error: Option<String>,
    /// The OpenID Connect button's label, when a provider is configured.
    oidc: Option<String>,
}

fn oidc_label(state: &AppState) -> Option<String> {
    state
        .auth
        .settings
        .oidc
        .as_ref()
        .map(|o| o.button_label.clone())
}

#[derive(Debug, Deserialize)]
pub(super) struct NextParams {
    #[serde(default)]
    next: String,
    /// The sign-in page's language links: remember the choice in a cookie.
    lang: Option<String>,
    /// Why a sign-in elsewhere was refused, as a code; the page shows its message. Unknown
    /// codes are ignored, so a link cannot put words on the page.
    refused: Option<String>,
}

/// `GET /login`.
pub(super) async fn login_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<NextParams>,
) -> Response {
    if let Some(lang) = p.lang.as_deref() {
        let Some(locale) = Locale::parse(lang).filter(|l| l.tag() == lang) else {
            return PageError::BadInput("lang".into(), ctx.t("prefs.error.lang").into())
                .into_page(ctx);
        };
        let back = format!("/login?next={}", urlencode(local_path(&p.next)));
        let mut r = Redirect::to(&back).into_response();
        if let Some(c) = set_cookie(LANG_COOKIE, locale.tag()) {
            r.headers_mut().append(header::SET_COOKIE, c);
        }
        return r;
    }
    let error = match p.refused.as_deref() {
        Some(auth::oidc::REFUSED_LAST_OWNER) => Some(ctx.t("login.error.oidc_last_owner").into()),
        _ => None,
    };
    let page = LoginPage {
        ctx,
        username: String::new(),
        next: local_path(&p.next).to_owned(),
        error,
        oidc: oidc_label(&state),
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: a session cookie and back to where the person was going.
pub(super) async fn login(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(&form.next).to_owned();
    let refuse = |ctx: Ctx, status: StatusCode, error: String, retry: Option<i64>| {
        let page = LoginPage {
            ctx,
            username: form.username.clone(),
            next: next.clone(),
            error: Some(error),
            oidc: oidc_label(&state),
        };
        let mut r = render(status, &page);
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    };
    if form.username.trim().is_empty() || form.password.is_empty() {
        let msg = ctx.t("login.error.missing").to_owned();
        return refuse(ctx, StatusCode::BAD_REQUEST, msg, None);
    }
    match auth::sign_in_with_password(&state, form.username.trim(), &form.password, &ctx.source)
        .await
    {
        Ok(session) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session.set_cookie);
            r
        }
        Err(SignInError::BadCredentials) => {
            let msg = ctx.t("login.error.bad").to_owned();
            refuse(ctx, StatusCode::UNAUTHORIZED, msg, None)
        }
        Err(SignInError::Throttled { retry_after_secs }) => {
            let msg = ctx
                .t("login.error.throttled")
                .replace("{secs}", &retry_after_secs.to_string());
            refuse(
                ctx,
                StatusCode::TOO_MANY_REQUESTS,
                msg,
                Some(retry_after_secs),
            )
        }
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// `POST /logout`.
pub(super) async fn logout(ctx: Ctx, State(state): State<AppState>) -> Response {
    let Some(me) = ctx.me.as_ref() else {
        return Redirect::to("/login").into_response();
    };
    let clear = match auth::sign_out(&state, &me.principal).await {
        Ok(c) => c,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, clear);
    r
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: Ctx,
    error: Option<(String, String)>,
    done: bool,
}

impl PasswordPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// `GET /account/password`.
pub(super) async fn password_form(ctx: Ctx, Query(p): Query<DoneParams>) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            ctx,
            error: None,
            done: p.done.is_some(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct DoneParams {
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`: the current password proves it is the person, not just their
/// unlocked browser.
pub(super) async fn change_password(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let me = match ctx.require(Action::ManageSelf) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let Some(user) = me.principal.user.clone() else {
        return PageError::Forbidden(Action::ManageSelf).into_page(ctx);
    };
    let refuse = |ctx: Ctx, field: &str, msg: String| {
        render(
            StatusCode::BAD_REQUEST,
            &PasswordPage {
                ctx,
                error: Some((field.to_owned(), msg)),
                done: false,
            },
        )
    };
    let current_ok = user
        .password_hash
        .as_deref()
        .is_some_and(|h| auth::verify_password(h, &form.current));
    if !current_ok {
        let msg = ctx.t("password.error.current").to_owned();
        return refuse(ctx, "current", msg);
    }
    if let Err(e) = auth::check_new_password(&form.new) {
        return refuse(ctx, "new", e.to_string());
    }
    if form.new != form.confirm {
        let msg = ctx.t("password.error.confirm").to_owned();
        return refuse(ctx, "confirm", msg);
    }
    let mut updated = (*user).clone();
    updated.password_hash = Some(auth::hash_password(&form.new));
    updated.must_change_password = false;
    let now = state.engine.now();
    let audit = me.principal.audit(
        now,
        "user.password_changed",
        &user.username,
        serde_json::json!({}),
    );
    match state.engine.store().update_user(&updated, &audit).await {
        Ok(_) => Redirect::to("/account/password?done=1").into_response(),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// A token as the list shows it (never its secret).
#[derive(Debug)]
struct TokenRow {
    id: String,
    name: String,
    role: &'static str,
    created_at: i64,
    expires_at: Option<i64>,
    live: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: Ctx,
    tokens: Vec<TokenRow>,
    /// The token just created, shown this once.
    created: Option<String>,
    roles: Vec<&'static str>,
    error: Option<(String, String)>,
}

async fn tokens_page(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    created: Option<String>,
    error: Option<(String, String)>,
) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::ManageSelf).into_page(ctx);
    };
    let Some(user) = me.principal.user.clone() else {
        return PageError::Forbidden(Action::ManageSelf).into_page(ctx);
    };
    let now = state.engine.now();
    let tokens = match state.engine.store().tokens(Some(&user.id)).await {
        Ok(t) => t,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let rows = tokens
        .iter()
        .map(|t: &TokenRecord| TokenRow {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role.as_str(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            live: t.live(now),
        })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| *r <= me.principal.role)
        .map(Role::as_str)
        .collect();
    render(
        status,
        &TokensPage {
            ctx,
            tokens: rows,
            created,
            roles,
            error,
        },
    )
}

/// `GET /tokens`: the signed-in person's own API tokens.
pub(super) async fn tokens(ctx: Ctx, State(state): State<AppState>) -> Response {
    tokens_page(ctx, &state, StatusCode::OK, None, None).await
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /tokens`: a new token, shown once on the page that answers.
pub(super) async fn create_token(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<TokenForm>,
) -> Response {
    let me = match ctx.require(Action::ManageSelf) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let Some(user) = me.principal.user.clone() else {
        return PageError::Forbidden(Action::ManageSelf).into_page(ctx);
    };
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        let msg = ctx.t("tokens.error.name").to_owned();
        return tokens_page(
            ctx,
            &state,
            StatusCode::BAD_REQUEST,
            None,
            Some(("name".into(), msg)),
        )
        .await;
    }
    let role = match Role::parse(&form.role) {
        Ok(r) if r <= me.principal.role => r,
        _ => {
            let msg = ctx.t("tokens.error.role").to_owned();
            return tokens_page(
                ctx,
                &state,
                StatusCode::BAD_REQUEST,
                None,
                Some(("role".into(), msg)),
            )
            .await;
        }
    };
    let (plaintext, hash) = auth::new_token();
    let now = state.engine.now();
    let record = TokenRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        name: name.clone(),
        token_hash: hash,
        role,
        created_at: now,
        expires_at: None,
        revoked_at: None,
    };
    let audit = me.principal.audit(
        now,
        "token.created",
        &record.id,
        serde_json::json!({ "name": name, "role": role.as_str() }),
    );
    if let Err(e) = state.engine.store().create_token(&record, &audit).await {
        return PageError::Internal(e.to_string()).into_page(ctx);
    }
    tokens_page(ctx, &state, StatusCode::OK, Some(plaintext), None).await
}

/// `POST /tokens/{id}/revoke`: only one's own tokens.
pub(super) async fn revoke_token(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageSelf) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match people::revoke_token(&me.principal, &state, &id, TokenScope::Own).await {
        Ok(_) => Redirect::to("/tokens").into_response(),
        Err(PeopleError::NotFound(_)) => PageError::NotFound.into_page(ctx),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}
