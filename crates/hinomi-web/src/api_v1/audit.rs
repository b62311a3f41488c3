//! `/api/v1/audit`: the audit log, filtered and paged by id, and its export as JSON lines
//! (streamed a page at a time, so a long log never sits in memory).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hinomi_core::Action;
use hinomi_store::{AuditEntry, AuditQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{QueryArgs, parse_time, time};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

/// Which entries to list; all conditions must hold.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Entries by this actor (name or id).
    actor: Option<String>,
    /// Entries whose action starts with this (`user.` for every user change).
    action: Option<String>,
    /// Entries about this target (an id or name).
    target: Option<String>,
    /// RFC 3339: entries at or after.
    since: Option<String>,
    /// RFC 3339: entries before.
    until: Option<String>,
    /// Entries older than this id: pass `next_before_id` of the previous page.
    before_id: Option<i64>,
    /// Page size, 1 to 1000 (default 100); the export ignores it.
    limit: Option<i64>,
}

impl AuditFilter {
    fn query(self) -> Result<AuditQuery, ApiError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_field",
                "limit",
                "limit: between 1 and 1000",
            ));
        }
        Ok(AuditQuery {
            actor: self.actor,
            action_prefix: self.action,
            target: self.target,
            since: self.since.map(|t| parse_time("since", &t)).transpose()?,
            until: self.until.map(|t| parse_time("until", &t)).transpose()?,
            before_id: self.before_id,
            limit,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorOut {
    /// `user`, `token`, `integration`, `open`, `cli` or `system`.
    kind: String,
    id: String,
    name: String,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    id: i64,
    at: String,
    actor: ActorOut,
    /// `noun.verb`: `silence.created`, `user.role_changed`, ...
    action: String,
    target: String,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    /// The client's address, or `cli`.
    source: String,
}

fn audit_out(e: AuditEntry) -> AuditOut {
    AuditOut {
        id: e.id,
        at: time(e.at),
        actor: ActorOut {
            kind: e.actor_kind,
            id: e.actor_id,
            name: e.actor_name,
        },
        action: e.action,
        target: e.target,
        detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail)),
        source: e.source,
    }
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<AuditOut>,
    /// Pass as `before_id` for the next page; absent on the last page.
    next_before_id: Option<i64>,
}

/// List audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = AuditPage), (status = 400, body = super::ErrorBody)))]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<AuditFilter>,
) -> Result<Json<AuditPage>, ApiError> {
    principal.require(Action::ReadAudit)?;
    let q = filter.query()?;
    let entries = state.engine.store().audit(&q).await?;
    let next_before_id = if entries.len() as i64 == q.limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries: entries.into_iter().map(audit_out).collect(),
        next_before_id,
    }))
}

/// How many entries the export reads at a time.
const EXPORT_PAGE: i64 = 500;

/// Export the entries that match as JSON lines (`application/x-ndjson`), newest first.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(AuditFilter),
    responses((status = 200, content_type = "application/x-ndjson", body = AuditOut,
               description = "One entry per line"),
              (status = 400, body = super::ErrorBody)))]
pub async fn export(
    principal: Principal,
    State(state): State<AppState>,
    QueryArgs(filter): QueryArgs<AuditFilter>,
) -> Result<Response, ApiError> {
    principal.require(Action::ReadAudit)?;
    let mut q = AuditFilter {
        limit: None,
        ..filter
    }
    .query()?;
    q.limit = EXPORT_PAGE;
    let store = state.engine.store().clone();
    // Each step reads one page and yields it as one chunk; a page shorter than asked for
    // is the last.
    let pages = futures_util::stream::unfold(Some(q), move |q| {
        let store = store.clone();
        async move {
            let mut q = q?;
            let entries = match store.audit(&q).await {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped");
                    return Some((Err(std::io::Error::other("audit export failed")), None));
                }
            };
            if entries.is_empty() {
                return None;
            }
            let last = entries.len() < EXPORT_PAGE as usize;
            q.before_id = entries.last().map(|e| e.id);
            let mut chunk = Vec::new();
            for e in entries {
                serde_json::to_writer(&mut chunk, &audit_out(e)).expect("entries serialize");
                chunk.push(b'\n');
            }
            Some((Ok(bytes::Bytes::from(chunk)), (!last).then_some(q)))
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(pages),
    )
        .into_response())
}
