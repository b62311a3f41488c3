//! `/groups`: alert groups as the routing tree forms them, with their receiver and alerts.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hinomi_core::Action;
use hinomi_engine::AlertQuery;

use super::alerts::{AlertRow, alert_row};
use super::{Ctx, render};
use crate::AppState;

#[derive(Debug)]
struct GroupRow {
    key: String,
    labels: Vec<(String, String)>,
    receiver: String,
    alerts: Vec<AlertRow>,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    ctx: Ctx,
    groups: Vec<GroupRow>,
}

/// `GET /groups`.
pub(super) async fn page(ctx: Ctx, State(state): State<AppState>) -> Response {
    if let Err(e) = ctx.require(Action::Read) {
        return e.into_page(ctx);
    }
    let groups = state
        .engine
        .query_groups(&AlertQuery::default())
        .into_iter()
        .map(|g| GroupRow {
            key: g.key.clone(),
            labels: g
                .labels
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            receiver: g.receiver,
            alerts: g.alerts.iter().map(alert_row).collect(),
        })
        .collect();
    render(StatusCode::OK, &GroupsPage { ctx, groups })
}
