//! `/a/{token}`: the signed one-time link of a page's message (email, text, Teams card).
//! Loading it only shows what it will do, in the recipient's language; the button on that
//! page redeems it (`Engine::redeem_action`), so a mail scanner or link preview that fetches
//! the link acknowledges nothing. The token is the credential: the route is public.
//!
//! A voice call's keypad press arrives here too: the call's `<Gather>` posts to the
//! acknowledge link. Such a POST carries `X-Twilio-Signature`, is refused unless the
//! signature holds under `[channels.twilio] auth_token`, is recorded as made by `voice`,
//! and is answered with the TwiML the call speaks.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::{ActionKind, Locale};
use hinomi_engine::EngineError;
use hinomi_engine::escalate::token_hash;

use super::{Ctx, PageError, render};
use crate::AppState;

/// What the page says.
#[derive(Debug)]
enum Shown {
    /// The link works: what it will do to which page.
    Ready { title: String },
    /// It was redeemed just now.
    Done { title: String, by: String },
    /// Used, expired or unknown.
    Invalid,
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    ctx: Ctx,
    token: String,
    /// `acknowledge` or `resolve`, when known.
    action: &'static str,
    shown: Shown,
}

fn action_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Acknowledge => "acknowledge",
        ActionKind::Resolve => "resolve",
    }
}

/// The request's context in the recipient's language, when they chose one.
async fn recipient_ctx(mut ctx: Ctx, state: &AppState, user_id: &str) -> Ctx {
    if let Ok(Some(user)) = state.engine.store().user_by_id(user_id).await
        && let Some(locale) = user.locale.as_deref().and_then(Locale::parse)
    {
        ctx.locale = locale;
    }
    ctx
}

/// `GET /a/{token}`: what the link does, and the button that does it.
pub(super) async fn show(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    let store = state.engine.store();
    let found = match store.page_action(&token_hash(&token)).await {
        Ok(found) => found.filter(|a| a.used_at.is_none() && a.expires_at > state.engine.now()),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let Some(action) = found else {
        return invalid(ctx, token);
    };
    let title = match store.page(&action.page_id).await {
        Ok(page) => page.map(|p| p.title).unwrap_or_default(),
        Err(e) => return PageError::Internal(e.to_string()).into_page(ctx),
    };
    let ctx = recipient_ctx(ctx, &state, &action.user_id).await;
    render(
        StatusCode::OK,
        &ActionPage {
            ctx,
            token,
            action: action_name(action.action),
            shown: Shown::Ready { title },
        },
    )
}

/// A voice call's keypad press on the acknowledge link: checked, redeemed as `voice`, and
/// answered with what the call says next, in the recipient's language.
async fn keypad(state: &AppState, token: &str, signature: &str, body: &[u8]) -> Response {
    let url = format!("{}/a/{token}", state.engine.external_url());
    if let Err(e) = state.engine.channels().verify_twilio(&url, body, signature) {
        tracing::warn!(error = %e, "refused a keypad callback");
        return (StatusCode::FORBIDDEN, "signature refused").into_response();
    }
    let store = state.engine.store();
    let locale = match store.page_action(&token_hash(token)).await {
        Ok(Some(action)) => match store.user_by_id(&action.user_id).await {
            Ok(Some(u)) => u.locale.as_deref().and_then(Locale::parse),
            _ => None,
        },
        _ => None,
    }
    .unwrap_or(Locale::Ja);
    let acknowledged = match state.engine.redeem_action(token, "voice").await {
        Ok(_) => true,
        Err(EngineError::ActionInvalid) => false,
        Err(e) => return crate::error::ApiError::internal(e).into_response(),
    };
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        hinomi_notify::channels::twilio::keypress_answer(locale, acknowledged),
    )
        .into_response()
}

fn invalid(ctx: Ctx, token: String) -> Response {
    render(
        StatusCode::GONE,
        &ActionPage {
            ctx,
            token,
            action: "",
            shown: Shown::Invalid,
        },
    )
}

/// The header Twilio signs its callbacks with.
const TWILIO_SIGNATURE: &str = "x-twilio-signature";

/// `POST /a/{token}`: redeems the link (a person's button, or a call's keypad).
pub(super) async fn redeem(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(signature) = headers.get(TWILIO_SIGNATURE) {
        return keypad(
            &state,
            &token,
            signature.to_str().unwrap_or_default(),
            &body,
        )
        .await;
    }
    match state.engine.redeem_action(&token, "link").await {
        Ok(done) => {
            let ctx = recipient_ctx(ctx, &state, &done.user_id).await;
            render(
                StatusCode::OK,
                &ActionPage {
                    ctx,
                    token: String::new(),
                    action: action_name(done.action),
                    shown: Shown::Done {
                        title: done.page.title,
                        by: done.by,
                    },
                },
            )
        }
        Err(EngineError::ActionInvalid) => invalid(ctx, String::new()),
        Err(e) => PageError::Internal(e.to_string()).into_page(ctx),
    }
}
