//! `/heartbeats`: heartbeat monitors with the state of their beat, for everyone to read;
//! admins create them (the URL a job calls, with its secret token, is shown once) and
//! delete them. Changes go through `crate::paging`, as the API's do.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, LabelSet};
use hinomi_store::HeartbeatRecord;
use serde::Deserialize;

use super::{Ctx, PageError, render};
use crate::AppState;
use crate::paging::{self, PagingError};

/// The creation form, as posted and as refilled after a refusal.
#[derive(Debug, Deserialize)]
pub(super) struct HeartbeatForm {
    #[serde(default)]
    name: String,
    #[serde(default = "default_period")]
    period: String,
    #[serde(default)]
    grace: String,
}

fn default_period() -> String {
    "24h".into()
}

impl Default for HeartbeatForm {
    fn default() -> Self {
        HeartbeatForm {
            name: String::new(),
            period: default_period(),
            grace: "1h".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "heartbeats.html")]
struct HeartbeatsPage {
    ctx: Ctx,
    heartbeats: Vec<HeartbeatRecord>,
    form: HeartbeatForm,
    /// The new monitor's name and URL, shown once.
    created: Option<(String, String)>,
    error: Option<String>,
}

impl HeartbeatsPage {
    fn duration(&self, ms: &i64) -> String {
        hinomi_core::format_duration(*ms)
    }
}

impl Ctx {
    pub fn may_manage_heartbeats(&self) -> bool {
        self.may(Action::ManageHeartbeats)
    }

    /// The name of a heartbeat's state (`waiting`, `ok`, `missing`).
    pub fn heartbeat_state_label(&self, state: &str) -> &'static str {
        self.t(&format!("heartbeats.state.{state}"))
    }
}

async fn show(
    ctx: Ctx,
    state: &AppState,
    status: StatusCode,
    form: HeartbeatForm,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    match state.engine.store().heartbeats().await {
        Ok(heartbeats) => render(
            status,
            &HeartbeatsPage {
                ctx,
                heartbeats,
                form,
                created,
                error,
            },
        ),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}

/// `GET /heartbeats`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    show(
        ctx,
        &state,
        StatusCode::OK,
        HeartbeatForm::default(),
        None,
        None,
    )
    .await
}

fn failed(ctx: Ctx, e: PagingError) -> Response {
    match e {
        PagingError::Denied(_) => PageError::Forbidden(Action::ManageHeartbeats),
        PagingError::NotFound(_) => PageError::NotFound,
        e => PageError::Internal(e.to_string()),
    }
    .into_page(ctx)
}

/// `POST /heartbeats`: a new monitor; its URL is shown on the answer, once.
pub(super) async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<HeartbeatForm>,
) -> Response {
    let me = match ctx.require(Action::ManageHeartbeats) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    let made = paging::create_heartbeat(
        &me.principal,
        &state,
        &form.name,
        &form.period,
        &form.grace,
        LabelSet::new(),
    )
    .await;
    match made {
        Ok((h, token)) => {
            let url = paging::heartbeat_url(&state, &token);
            let created = Some((h.name, url));
            show(
                ctx,
                &state,
                StatusCode::CREATED,
                HeartbeatForm::default(),
                created,
                None,
            )
            .await
        }
        Err(PagingError::Invalid { message, .. }) => {
            show(
                ctx,
                &state,
                StatusCode::BAD_REQUEST,
                form,
                None,
                Some(message),
            )
            .await
        }
        Err(PagingError::Conflict(message)) => {
            show(ctx, &state, StatusCode::CONFLICT, form, None, Some(message)).await
        }
        Err(e) => failed(ctx, e),
    }
}

/// `POST /heartbeats/{heartbeat}/delete`.
pub(super) async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let me = match ctx.require(Action::ManageHeartbeats) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_page(ctx),
    };
    match paging::delete_heartbeat(&me.principal, &state, &id).await {
        Ok(()) => Redirect::to("/heartbeats").into_response(),
        Err(e) => failed(ctx, e),
    }
}
