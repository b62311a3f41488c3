//! `/account/contact`: how a person is reached. Their contact methods (added, sent a test
//! message, verified with its code, removed), their notification rules ("email at once,
//! voice after 3 minutes"), their backup responder, and the skills an administrator gave
//! them. Changes go through `crate::paging`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, ContactKind};
use hinomi_store::{ContactMethodRecord, NotificationRuleRecord};
use serde::Deserialize;

use super::{Ctx, Me, PageError, render};
use crate::AppState;
use crate::paging::{self, PagingError};

/// A rule with the method it uses.
#[derive(Debug)]
struct RuleRow {
    rule: NotificationRuleRecord,
    method: String,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    ctx: Ctx,
    methods: Vec<ContactMethodRecord>,
    rules: Vec<RuleRow>,
    kinds: Vec<&'static str>,
    /// The backup's username, if one is named.
    backup: Option<String>,
    /// Who may be named as backup.
    usernames: Vec<String>,
    skills: Vec<String>,
    /// Which shift notices one gets (`both`, `start`, `never`).
    shift_notices: &'static str,
    /// What the last change did, as a catalog key.
    done: Option<&'static str>,
    /// Why the last change was refused.
    error: Option<String>,
}

impl ContactPage {
    /// When a rule sends: at once, or after so many minutes.
    fn when(&self, minutes: &u32) -> String {
        if *minutes == 0 {
            self.ctx.t("contact.at_once").to_owned()
        } else {
            self.ctx
                .t("contact.after")
                .replace("{n}", &minutes.to_string())
        }
    }
}

impl Ctx {
    /// The name of a contact method's kind (`email`, `sms`, ...).
    pub fn contact_kind_label(&self, kind: &str) -> &'static str {
        self.t(&format!("contact.kind.{kind}"))
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct DoneParams {
    done: Option<String>,
}

/// The confirmations a redirect may ask the page to show; anything else shows nothing.
const DONE: &[&str] = &[
    "added",
    "tested",
    "verified",
    "deleted",
    "rule_added",
    "backup",
    "shift_notices",
];

/// `GET /account/contact`.
pub(super) async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<DoneParams>,
) -> Response {
    let done = p
        .done
        .as_deref()
        .and_then(|d| DONE.iter().find(|k| **k == d))
        .map(|d| match *d {
            "added" => "contact.done.added",
            "tested" => "contact.done.tested",
            "verified" => "contact.done.verified",
            "deleted" => "contact.done.deleted",
            "rule_added" => "contact.done.rule_added",
            "shift_notices" => "contact.done.shift_notices",
            _ => "contact.done.backup",
        });
    show(ctx, &state, StatusCode::OK, done, None).await
}

async fn show(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    done: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let me = match ctx.require(Action::ManageSelf) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let Some(user) = me.principal.user.clone() else {
        return PageError::Forbidden(Action::ManageSelf).into_page(ctx);
    };
    let loaded = async {
        let store = state.engine.store();
        let methods = store.contact_methods(&user.id).await?;
        let rules = store
            .notification_rules(&user.id)
            .await?
            .into_iter()
            .map(|rule| RuleRow {
                method: methods
                    .iter()
                    .find(|m| m.id == rule.contact_method_id)
                    .map_or_else(String::new, |m| {
                        format!("{} ({})", m.label, m.kind.as_str())
                    }),
                rule,
            })
            .collect();
        let backup = paging::backup_of(state, &user.id)
            .await
            .map_err(|e| e.to_string())?
            .map(|u| u.username);
        let usernames = store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.id != user.id && u.disabled_at.is_none())
            .map(|u| u.username)
            .collect();
        let skills = store.skills(&user.id).await?;
        let shift_notices = store.shift_notices(&user.id).await?.as_str();
        Ok::<_, Box<dyn std::error::Error>>((
            methods,
            rules,
            backup,
            usernames,
            skills,
            shift_notices,
        ))
    };
    match loaded.await {
        Ok((methods, rules, backup, usernames, skills, shift_notices)) => render(
            status,
            &ContactPage {
                ctx,
                methods,
                rules,
                kinds: ContactKind::ALL.iter().map(|k| k.as_str()).collect(),
                backup,
                usernames,
                skills,
                shift_notices,
                done,
                error,
            },
        ),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// The signed-in person, if they may manage themself.
fn me(ctx: &Ctx) -> Result<Me, PageError> {
    ctx.require(Action::ManageSelf).cloned()
}

/// After a change: back to the page saying what was done, or the page saying why not.
async fn answered(ctx: Ctx, state: &AppState, done: Result<&'static str, PagingError>) -> Response {
    match done {
        Ok(what) => Redirect::to(&format!("/account/contact?done={what}")).into_response(),
        Err(PagingError::Invalid { message, .. }) => {
            show(ctx, state, StatusCode::BAD_REQUEST, None, Some(message)).await
        }
        Err(PagingError::Conflict(message)) => {
            show(ctx, state, StatusCode::CONFLICT, None, Some(message)).await
        }
        Err(PagingError::Denied(_)) => PageError::Forbidden(Action::ManageSelf).into_page(ctx),
        Err(PagingError::NotFound(_)) => PageError::NotFound.into_page(ctx),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct MethodForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    label: String,
}

/// `POST /account/contact`: a new contact method.
pub(super) async fn add(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<MethodForm>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::add_contact_method(&me.principal, &state, &f.kind, &f.address, &f.label)
        .await
        .map(|_| "added");
    answered(ctx, &state, done).await
}

/// `POST /account/contact/{id}/test`: a test message with a new code.
pub(super) async fn test(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::test_contact_method(&me.principal, &state, &id)
        .await
        .map(|()| "tested");
    answered(ctx, &state, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /account/contact/{id}/verify`: the code of the test message.
pub(super) async fn verify(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<CodeForm>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::verify_contact_method(&me.principal, &state, &id, &f.code)
        .await
        .map(|_| "verified");
    answered(ctx, &state, done).await
}

/// `POST /account/contact/{id}/delete`.
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::delete_contact_method(&me.principal, &state, &id)
        .await
        .map(|()| "deleted");
    answered(ctx, &state, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    contact_method: String,
    #[serde(default)]
    delay_minutes: String,
}

/// `POST /account/rules`: a new notification rule.
pub(super) async fn add_rule(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<RuleForm>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = match f.delay_minutes.trim().parse::<i64>() {
        Ok(delay) => paging::add_rule(&me.principal, &state, &f.contact_method, delay)
            .await
            .map(|_| "rule_added"),
        Err(_) => Err(PagingError::Invalid {
            field: "delay_minutes",
            message: ctx.t("contact.error.delay").to_owned(),
        }),
    };
    answered(ctx, &state, done).await
}

/// `POST /account/rules/{id}/delete`.
pub(super) async fn delete_rule(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::delete_rule(&me.principal, &state, &id)
        .await
        .map(|()| "deleted");
    answered(ctx, &state, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct BackupForm {
    /// A username; empty for none. Absent is refused, so a form that lost it changes nothing.
    user: Option<String>,
}

/// `POST /account/backup`: names (or clears) one's backup responder.
pub(super) async fn set_backup(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<BackupForm>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = match f.user {
        Some(user) => paging::set_backup(&me.principal, &state, Some(&user))
            .await
            .map(|_| "backup"),
        None => Err(PagingError::Invalid {
            field: "user",
            message: ctx.t("contact.error.backup").to_owned(),
        }),
    };
    answered(ctx, &state, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ShiftNoticesForm {
    notify: Option<String>,
}

/// `POST /account/shift-notices`: which shift start and end notices one gets.
pub(super) async fn set_shift_notices(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<ShiftNoticesForm>,
) -> Response {
    let me = match me(&ctx) {
        Ok(me) => me,
        Err(e) => return e.into_page(ctx),
    };
    let done = paging::set_shift_notices(&me.principal, &state, f.notify.as_deref().unwrap_or(""))
        .await
        .map(|_| "shift_notices");
    answered(ctx, &state, done).await
}
