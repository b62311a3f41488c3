//! `/api/v1/pages`: alert groups' paging records with their timelines and messages, and
//! answering them (acknowledge, resolve, escalate, reassign, snooze). Changes go through
//! `crate::paging`, as the console's do, and each is an event on the page's timeline.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use hinomi_core::escalation::PageStatus;
use hinomi_engine::PageCommand;
use hinomi_store::PageRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{JsonBody, QueryArgs, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::paging;

/// A page: which alert group needs someone, where its escalation is, who has it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOut {
    id: String,
    title: String,
    /// `triggered`, `acknowledged` or `resolved`.
    state: String,
    /// The alert group's key (route and group labels).
    group_key: String,
    policy_id: String,
    /// The policy's name; null when it was deleted.
    policy: Option<String>,
    /// The round and step that fired last, from 0.
    round: u32,
    step: u32,
    /// When escalation next moves; null when it will not by itself.
    next_at: Option<String>,
    /// Usernames of the people the page is with.
    assigned_to: Vec<String>,
    snoozed_until: Option<String>,
    acknowledged_by: Option<String>,
    /// How: `console`, `api`, `cli`, `link`, ...
    acknowledged_how: Option<String>,
    acknowledged_at: Option<String>,
    resolved_by: Option<String>,
    resolved_how: Option<String>,
    resolved_at: Option<String>,
    created_at: String,
}

/// One entry of a page's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    at: String,
    /// `page.opened`, `page.step`, `page.step_skipped`, `page.acknowledged`, ...
    kind: String,
    /// Who: a username, or `hinomi` for escalation's own decisions.
    actor: String,
    /// The particulars: the people a step paged and how, what it skipped and why, ...
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// One message a page sent or will send.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    /// `email`, `sms`, `voice`, `slack`, `teams`, `line_works` or `webhook`.
    kind: String,
    /// The recipient's display name.
    to: String,
    due_at: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    state: String,
    attempts: i64,
    last_error: Option<String>,
}

/// A page with its timeline (oldest first) and its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDetail {
    #[serde(flatten)]
    page: PageOut,
    timeline: Vec<TimelineEntry>,
    messages: Vec<MessageOut>,
}

/// Names for the ids pages carry: usernames by user id, policy names by id.
pub(crate) struct Names {
    users: HashMap<String, String>,
    policies: HashMap<String, String>,
}

impl Names {
    pub(crate) async fn load(state: &AppState) -> Result<Names, ApiError> {
        let store = state.engine.store();
        Ok(Names {
            users: store
                .users()
                .await?
                .into_iter()
                .map(|u| (u.id, u.username))
                .collect(),
            policies: store
                .policies()
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        })
    }

    pub(crate) fn user(&self, id: &str) -> String {
        self.users.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    pub(crate) fn policy(&self, id: &str) -> Option<String> {
        self.policies.get(id).cloned()
    }
}

fn page_out(p: PageRecord, names: &Names) -> PageOut {
    PageOut {
        policy: names.policy(&p.policy_id),
        assigned_to: p.assigned_to.iter().map(|u| names.user(u)).collect(),
        id: p.id,
        title: p.title,
        state: p.status.as_str().to_owned(),
        group_key: p.group_key,
        policy_id: p.policy_id,
        round: p.position.round,
        step: p.position.step,
        next_at: p.next_at.map(time),
        snoozed_until: p.snoozed_until.map(time),
        acknowledged_by: p.acknowledged_by,
        acknowledged_how: p.acknowledged_how,
        acknowledged_at: p.acknowledged_at.map(time),
        resolved_by: p.resolved_by,
        resolved_how: p.resolved_how,
        resolved_at: p.resolved_at.map(time),
        created_at: time(p.created_at),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only pages in this state: `triggered`, `acknowledged` or `resolved`.
    state: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<i64>,
}

/// List pages, newest first.
#[utoipa::path(get, path = "/api/v1/pages", tag = "pages", params(ListParams),
    responses((status = 200, body = Vec<PageOut>), (status = 400, body = super::ErrorBody)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(q): QueryArgs<ListParams>,
) -> Result<Json<Vec<PageOut>>, ApiError> {
    principal.require(hinomi_core::Action::Read)?;
    let status = match q.state.as_deref() {
        None => None,
        Some(s) => Some(PageStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field",
                "state",
                format!("state: {s:?} is none of triggered, acknowledged, resolved"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_field",
            "limit",
            "limit: between 1 and 1000",
        ));
    }
    let pages = state.engine.store().pages(status, limit).await?;
    let names = Names::load(&state).await?;
    Ok(Json(
        pages.into_iter().map(|p| page_out(p, &names)).collect(),
    ))
}

/// A page with its timeline and messages.
pub(crate) async fn detail(state: &AppState, page: PageRecord) -> Result<PageDetail, ApiError> {
    let store = state.engine.store();
    let mut events = store.events_for(&[&page.id], 1000).await?;
    events.reverse();
    let timeline = events
        .into_iter()
        .map(|e| TimelineEntry {
            at: time(e.at),
            kind: e.kind,
            actor: e.actor,
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    let messages = store
        .notices(&format!("page:{}", page.id))
        .await?
        .into_iter()
        .map(|m| {
            let envelope: serde_json::Value =
                serde_json::from_str(&m.payload).unwrap_or(serde_json::Value::Null);
            MessageOut {
                kind: m
                    .kind
                    .trim_start_matches(hinomi_engine::CONTACT_PREFIX)
                    .to_owned(),
                to: envelope["notice"]["recipient"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                due_at: time(m.due_at),
                state: m.state,
                attempts: m.attempts,
                last_error: m.last_error,
            }
        })
        .collect();
    let names = Names::load(state).await?;
    Ok(PageDetail {
        page: page_out(page, &names),
        timeline,
        messages,
    })
}

/// Get a page with its timeline (oldest first) and its messages.
#[utoipa::path(get, path = "/api/v1/pages/{id}", tag = "pages",
    params(("id" = String, Path)),
    responses((status = 200, body = PageDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_one(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PageDetail>, ApiError> {
    let page = paging::page(&principal, &state, &id).await?;
    Ok(Json(detail(&state, page).await?))
}

async fn answer(
    principal: &Principal,
    state: &AppState,
    id: &str,
    cmd: PageCommand,
) -> Result<Json<PageOut>, ApiError> {
    let page = paging::page_command(principal, state, id, cmd, "api").await?;
    let names = Names::load(state).await?;
    Ok(Json(page_out(page, &names)))
}

/// Acknowledge a page: escalation stops and its messages not yet sent are cancelled.
#[utoipa::path(post, path = "/api/v1/pages/{id}/acknowledge", tag = "pages",
    params(("id" = String, Path)),
    responses((status = 200, body = PageOut), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn acknowledge(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PageOut>, ApiError> {
    answer(&principal, &state, &id, PageCommand::Acknowledge).await
}

/// Resolve a page.
#[utoipa::path(post, path = "/api/v1/pages/{id}/resolve", tag = "pages",
    params(("id" = String, Path)),
    responses((status = 200, body = PageOut), (status = 404, body = super::ErrorBody)))]
pub async fn resolve(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PageOut>, ApiError> {
    answer(&principal, &state, &id, PageCommand::Resolve).await
}

/// Fire the page's next step now.
#[utoipa::path(post, path = "/api/v1/pages/{id}/escalate", tag = "pages",
    params(("id" = String, Path)),
    responses((status = 200, body = PageOut), (status = 404, body = super::ErrorBody),
              (status = 409, body = super::ErrorBody)))]
pub async fn escalate(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PageOut>, ApiError> {
    answer(&principal, &state, &id, PageCommand::Escalate).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignIn {
    /// The username (or id) of the person to page now.
    user: String,
}

/// Page a person now and make the page theirs; escalation goes on if they do not answer.
#[utoipa::path(post, path = "/api/v1/pages/{id}/reassign", tag = "pages",
    request_body = ReassignIn, params(("id" = String, Path)),
    responses((status = 200, body = PageOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn reassign(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReassignIn>,
) -> Result<Json<PageOut>, ApiError> {
    paging::may_answer(&principal, &state, &id).await?;
    let user_id = paging::reassign_target(&state, &body.user).await?;
    answer(&principal, &state, &id, PageCommand::Reassign { user_id }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeIn {
    /// How long, as a duration between `1m` and `7d` (`30m`, `2h`).
    duration: String,
}

/// Acknowledge a page for a while; it triggers again when the snooze ends.
#[utoipa::path(post, path = "/api/v1/pages/{id}/snooze", tag = "pages",
    request_body = SnoozeIn, params(("id" = String, Path)),
    responses((status = 200, body = PageOut), (status = 400, body = super::ErrorBody),
              (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody)))]
pub async fn snooze(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SnoozeIn>,
) -> Result<Json<PageOut>, ApiError> {
    paging::may_answer(&principal, &state, &id).await?;
    let until = paging::snooze_until(&state, &body.duration)?;
    answer(&principal, &state, &id, PageCommand::Snooze { until }).await
}
