//! `/pages`: alert groups' paging records, and a page's detail with its timeline (every
//! step, skip, message and answer, said in the reader's language) and the buttons that
//! answer it. Changes go through `crate::paging`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use hinomi_core::escalation::PageStatus;
use hinomi_engine::PageCommand;
use hinomi_store::{EventRecord, PageRecord};
use serde::Deserialize;
use serde_json::Value;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::api_v1::pages::Names;
use crate::paging::{self, PagingError};

/// A page as the list and the detail show it.
#[derive(Debug)]
pub(super) struct PageRow {
    id: String,
    title: String,
    state: &'static str,
    policy: String,
    assigned: String,
    next_at: Option<i64>,
    created_at: i64,
    acknowledged: Option<(String, String, i64)>,
    resolved: Option<(String, String, i64)>,
    snoozed_until: Option<i64>,
}

fn row(p: &PageRecord, names: &Names) -> PageRow {
    PageRow {
        id: p.id.clone(),
        title: p.title.clone(),
        state: p.status.as_str(),
        policy: names
            .policy(&p.policy_id)
            .unwrap_or_else(|| p.policy_id.clone()),
        assigned: p
            .assigned_to
            .iter()
            .map(|u| names.user(u))
            .collect::<Vec<_>>()
            .join(", "),
        next_at: p.next_at,
        created_at: p.created_at,
        acknowledged: who(&p.acknowledged_by, &p.acknowledged_how, p.acknowledged_at),
        resolved: who(&p.resolved_by, &p.resolved_how, p.resolved_at),
        snoozed_until: p.snoozed_until,
    }
}

fn who(
    by: &Option<String>,
    how: &Option<String>,
    at: Option<i64>,
) -> Option<(String, String, i64)> {
    Some((by.clone()?, how.clone().unwrap_or_default(), at?))
}

impl Ctx {
    /// The name of a page state (`triggered`, `acknowledged`, `resolved`).
    pub fn page_state_label(&self, state: &str) -> &'static str {
        self.t(&format!("page.state.{state}"))
    }

    /// How a page was answered, in words (`console`, `link`, `slack` ... are named; others
    /// shown as they are).
    pub fn page_how(&self, how: &str) -> String {
        self.named("page.how", how)
    }

    /// The state of a page's message (`pending`, `delivered`, `failed`, `cancelled`).
    pub fn message_state_label(&self, state: &str) -> String {
        self.named("message.state", state)
    }

    /// The text of `{group}.{word}`, or `word` itself when the catalog has none.
    fn named(&self, group: &str, word: &str) -> String {
        let key = format!("{group}.{word}");
        let text = self.t(&key);
        if text == key {
            word.to_owned()
        } else {
            text.to_owned()
        }
    }

    pub fn may_respond_to_pages(&self) -> bool {
        self.may(Action::RespondToPages)
    }
}

#[derive(Template)]
#[template(path = "pages.html")]
struct PagesPage {
    ctx: Ctx,
    pages: Vec<PageRow>,
    /// The state shown, or empty for all.
    filter: String,
}

impl PagesPage {
    fn is_filter(&self, state: &str) -> bool {
        self.filter == state
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ListParams {
    #[serde(default)]
    state: String,
}

/// `GET /pages`: the newest pages, or those in one state.
pub(super) async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ListParams>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let status = match q.state.as_str() {
        "" => None,
        s => match PageStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                let msg = ctx.t("pages.error.state").to_owned();
                return PageError::BadInput("state".into(), msg).into_page(ctx);
            }
        },
    };
    let loaded = async {
        let pages = state.engine.store().pages(status, 200).await?;
        let names = Names::load(&state).await.map_err(|e| e.to_string())?;
        Ok::<_, Box<dyn std::error::Error>>(pages.iter().map(|p| row(p, &names)).collect())
    };
    match loaded.await {
        Ok(pages) => render(
            StatusCode::OK,
            &PagesPage {
                ctx,
                pages,
                filter: q.state,
            },
        ),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// One line of a page's timeline, in the reader's language.
#[derive(Debug)]
struct Line {
    at: i64,
    text: String,
    /// Who was paged and how, what was skipped and why.
    details: Vec<String>,
}

/// A message of the page.
#[derive(Debug)]
struct Message {
    kind: String,
    to: String,
    due_at: i64,
    state: String,
    error: String,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageDetail {
    ctx: Ctx,
    page: PageRow,
    lines: Vec<Line>,
    messages: Vec<Message>,
    /// Why the last change was refused.
    error: Option<String>,
    /// Who the page may be reassigned to.
    usernames: Vec<String>,
    /// Whether the reader may answer this page (a responder, or a person it is with).
    may_answer: bool,
}

impl PageDetail {
    fn open(&self) -> bool {
        self.page.state != "resolved"
    }
}

/// `GET /pages/{id}`.
pub(super) async fn detail(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    detail_page(ctx, &state, &id, StatusCode::OK, None).await
}

async fn detail_page(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::Read).into_page(ctx);
    };
    let page = match paging::page(&me.principal, state, id).await {
        Ok(p) => p,
        Err(e) => return page_error(e).into_page(ctx),
    };
    let may_answer = paging::may_answer(&me.principal, state, id).await.is_ok();
    let loaded = async {
        let store = state.engine.store();
        let names = Names::load(state).await.map_err(|e| e.to_string())?;
        let mut events = store.events_for(&[&page.id], 1000).await?;
        events.reverse();
        let messages = store.notices(&format!("page:{}", page.id)).await?;
        let usernames = store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .map(|u| u.username)
            .collect::<Vec<_>>();
        Ok::<_, Box<dyn std::error::Error>>((names, events, messages, usernames))
    };
    let (names, events, messages, usernames) = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let lines = events.iter().map(|e| line(&ctx, e)).collect();
    let messages = messages
        .into_iter()
        .map(|m| {
            let envelope: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
            Message {
                kind: m
                    .kind
                    .trim_start_matches(hinomi_engine::CONTACT_PREFIX)
                    .to_owned(),
                to: envelope["notice"]["recipient"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                due_at: m.due_at,
                state: m.state,
                error: m.last_error.unwrap_or_default(),
            }
        })
        .collect();
    render(
        status,
        &PageDetail {
            page: row(&page, &names),
            ctx,
            lines,
            messages,
            error,
            usernames,
            may_answer,
        },
    )
}

/// An event of the page as one line (and its details) in the reader's language.
fn line(ctx: &Ctx, e: &EventRecord) -> Line {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let n = |key: &str| data[key].as_u64().map_or(0, |v| v + 1).to_string();
    let text_of = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
    let fill = |key: &str| {
        ctx.t(key)
            .replace("{actor}", &e.actor)
            .replace("{how}", &ctx.page_how(&text_of("how")))
            .replace("{step}", &n("step"))
            .replace("{round}", &n("round"))
    };
    let mut details = Vec::new();
    let text = match e.kind.as_str() {
        "page.opened" => fill("page.ev.opened").replace("{policy}", &text_of("policy_name")),
        "page.step" | "page.reassigned" => {
            for p in data["people"].as_array().into_iter().flatten() {
                details.push(paged(ctx, p));
            }
            for s in data["skipped"].as_array().into_iter().flatten() {
                details.push(skip(ctx, s));
            }
            if e.kind == "page.step" {
                fill("page.ev.step")
            } else {
                fill("page.ev.reassigned").replace("{user}", &text_of("username"))
            }
        }
        "page.step_skipped" => {
            for s in data["skipped"].as_array().into_iter().flatten() {
                details.push(skip(ctx, s));
            }
            fill("page.ev.step_skipped")
        }
        "page.exhausted" if data["nobody_reached"].as_bool() == Some(true) => {
            fill("page.ev.nobody_reached")
        }
        "page.exhausted" => fill("page.ev.exhausted").replace(
            "{rounds}",
            &data["rounds"].as_u64().unwrap_or(0).to_string(),
        ),
        "page.acknowledged" | "page.resolved" => {
            let key = if e.kind == "page.acknowledged" {
                "page.ev.acknowledged"
            } else if text_of("how") == "alerts_resolved" {
                "page.ev.auto_resolved"
            } else {
                "page.ev.resolved"
            };
            let cancelled = data["cancelled"].as_u64().unwrap_or(0);
            if cancelled > 0 {
                details.push(
                    ctx.t("page.ev.cancelled")
                        .replace("{n}", &cancelled.to_string()),
                );
            }
            fill(key)
        }
        "page.escalated" => fill("page.ev.escalated"),
        "page.snoozed" => fill("page.ev.snoozed")
            .replace("{until}", &ctx.time(&data["until"].as_i64().unwrap_or(0))),
        "page.retriggered" => fill("page.ev.retriggered"),
        "page.policy_missing" => fill("page.ev.policy_missing"),
        "page.fell_through" => {
            let kind = |key: &str| ctx.t(&format!("contact.kind.{}", text_of(key))).to_owned();
            fill("page.ev.fell_through")
                .replace("{user}", &text_of("username"))
                .replace("{failed}", &kind("failed"))
                .replace("{next}", &kind("next"))
        }
        other => other.to_owned(),
    };
    Line {
        at: e.at,
        text,
        details,
    }
}

/// "aya (on call on primary): email now, voice at 10:03".
fn paged(ctx: &Ctx, p: &Value) -> String {
    let user = p["username"].as_str().or(p["user"].as_str()).unwrap_or("?");
    let via = &p["via"];
    let name = |k: &str| via[k].as_str().unwrap_or_default().to_owned();
    let why = match via["type"].as_str().unwrap_or_default() {
        "schedule" => ctx.t("page.via.schedule").replace("{name}", &name("id")),
        "team" => ctx.t("page.via.team").replace("{name}", &name("id")),
        "round_robin" => ctx.t("page.via.round_robin").replace("{name}", &name("id")),
        "skill" => ctx.t("page.via.skill").replace("{name}", &name("name")),
        "backup" => ctx.t("page.via.backup").replace("{name}", &name("of")),
        _ => ctx.t("page.via.user").to_owned(),
    };
    let messages: Vec<String> = p["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            format!(
                "{} {}",
                ctx.contact_kind_label(m["kind"].as_str().unwrap_or_default()),
                ctx.time(&m["due_at"].as_i64().unwrap_or(0))
            )
        })
        .collect();
    format!("{user} ({why}): {}", messages.join(", "))
}

/// Why a target reached nobody, in words.
fn skip(ctx: &Ctx, s: &Value) -> String {
    let kind = s["type"].as_str().unwrap_or_default();
    let name = s["username"]
        .as_str()
        .or(s["id"].as_str())
        .or(s["name"].as_str())
        .or(s["user"].as_str())
        .unwrap_or_default();
    let mut text = ctx.t(&format!("page.skip.{kind}")).replace("{name}", name);
    if let Some(why) = s["why"].as_str() {
        text.push_str(&format!(" ({})", ctx.t(&format!("page.unreachable.{why}"))));
    }
    text
}

/// How a refused change reads on the page, or the error page.
fn page_error(e: PagingError) -> PageError {
    match e {
        PagingError::Denied(_) => PageError::Forbidden(Action::RespondToPages),
        PagingError::NotFound(_) => PageError::NotFound,
        PagingError::Invalid { field, message } => PageError::BadInput(field.into(), message),
        e => PageError::Internal(e.to_string()),
    }
}

/// After a change: back to the page, or the page saying why not.
async fn answered(
    ctx: Ctx,
    state: &AppState,
    id: &str,
    done: Result<PageRecord, PagingError>,
) -> Response {
    match done {
        Ok(_) => Redirect::to(&format!("/pages/{id}")).into_response(),
        Err(PagingError::Invalid { message, .. }) => {
            detail_page(ctx, state, id, StatusCode::BAD_REQUEST, Some(message)).await
        }
        Err(PagingError::Conflict(message)) => {
            detail_page(ctx, state, id, StatusCode::CONFLICT, Some(message)).await
        }
        Err(e) => page_error(e).into_page(ctx),
    }
}

async fn command(ctx: Ctx, state: &AppState, id: &str, cmd: PageCommand) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::RespondToPages).into_page(ctx);
    };
    let done = paging::page_command(&me.principal, state, id, cmd, "console").await;
    answered(ctx, state, id, done).await
}

/// `POST /pages/{id}/acknowledge`.
pub(super) async fn acknowledge(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    command(ctx, &state, &id, PageCommand::Acknowledge).await
}

/// `POST /pages/{id}/resolve`.
pub(super) async fn resolve(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    command(ctx, &state, &id, PageCommand::Resolve).await
}

/// `POST /pages/{id}/escalate`.
pub(super) async fn escalate(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    command(ctx, &state, &id, PageCommand::Escalate).await
}

#[derive(Debug, Deserialize)]
pub(super) struct SnoozeForm {
    #[serde(default)]
    duration: String,
}

/// `POST /pages/{id}/snooze`.
pub(super) async fn snooze(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<SnoozeForm>,
) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::RespondToPages).into_page(ctx);
    };
    if let Err(e) = paging::may_answer(&me.principal, &state, &id).await {
        return page_error(e).into_page(ctx);
    }
    let done = match paging::snooze_until(&state, &form.duration) {
        Ok(until) => {
            paging::page_command(
                &me.principal,
                &state,
                &id,
                PageCommand::Snooze { until },
                "console",
            )
            .await
        }
        Err(e) => Err(e),
    };
    answered(ctx, &state, &id, done).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ReassignForm {
    #[serde(default)]
    user: String,
}

/// `POST /pages/{id}/reassign`.
pub(super) async fn reassign(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ReassignForm>,
) -> Response {
    let Some(me) = ctx.me.clone() else {
        return PageError::Forbidden(Action::RespondToPages).into_page(ctx);
    };
    if let Err(e) = paging::may_answer(&me.principal, &state, &id).await {
        return page_error(e).into_page(ctx);
    }
    let done = match paging::reassign_target(&state, &form.user).await {
        Ok(user_id) => {
            paging::page_command(
                &me.principal,
                &state,
                &id,
                PageCommand::Reassign { user_id },
                "console",
            )
            .await
        }
        Err(e) => Err(e),
    };
    answered(ctx, &state, &id, done).await
}

#[cfg(test)]
mod tests {
    use super::super::i18n::{Catalog, Locale};

    /// Keys made at run time (states, reasons, kinds) exist in every catalog.
    #[test]
    fn every_paging_word_has_a_text_in_every_language() {
        let mut keys: Vec<String> = Vec::new();
        for s in ["triggered", "acknowledged", "resolved"] {
            keys.push(format!("page.state.{s}"));
        }
        for s in [
            "unknown_user",
            "disabled_user",
            "unknown_schedule",
            "nobody_on_call",
            "unknown_team",
            "empty_team",
            "nobody_skilled",
            "unreachable",
        ] {
            keys.push(format!("page.skip.{s}"));
        }
        for s in ["pending", "delivered", "failed", "cancelled"] {
            keys.push(format!("message.state.{s}"));
        }
        for v in ["user", "schedule", "team", "round_robin", "skill", "backup"] {
            keys.push(format!("page.via.{v}"));
        }
        for u in ["no_rules", "unverified"] {
            keys.push(format!("page.unreachable.{u}"));
        }
        for k in hinomi_core::ContactKind::ALL {
            keys.push(format!("contact.kind.{}", k.as_str()));
        }
        for t in ["user", "schedule", "team", "skill"] {
            keys.push(format!("policies.target.{t}"));
        }
        for b in ["receiver", "integration"] {
            keys.push(format!("policies.binding.{b}"));
        }
        for s in ["waiting", "ok", "missing"] {
            keys.push(format!("heartbeats.state.{s}"));
        }
        for locale in Locale::ALL {
            for key in &keys {
                assert_ne!(locale.t(key), key, "{locale:?}");
            }
        }
        // The reasons a step skips a target are all named.
        let skip = hinomi_core::escalation::Skip::NobodyOnCall { id: "x".into() };
        let json = serde_json::to_value(&skip).unwrap();
        assert!(keys.contains(&format!("page.skip.{}", json["type"].as_str().unwrap())));
    }
}
