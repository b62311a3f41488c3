//! Administration pages: integration keys, people, and the audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, LabelSet};
use hinomi_store::{AuditEntry, AuditQuery, IntegrationRecord, UserRecord};
use jiff::civil::Date;
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::keys;

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

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<UserRecord>,
}

/// `GET /users`.
pub(super) async fn users(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require(Action::ManageUsers) {
        return e.into_page(ctx);
    }
    match state.engine.store().users().await {
        Ok(users) => render(StatusCode::OK, &UsersPage { ctx, users }),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    ctx: Ctx,
    user: UserRecord,
    audit: Vec<AuditEntry>,
}

/// `GET /users/{id}`: one person and what was done by and to them.
pub(super) async fn user(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::ManageUsers) {
        return e.into_page(ctx);
    }
    let store = state.engine.store();
    let user = match store.user_by_id(&id).await {
        Ok(Some(u)) => u,
        Ok(None) => return PageError::NotFound.into_page(ctx),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let audit = match store
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
    render(StatusCode::OK, &UserPage { ctx, user, audit })
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
