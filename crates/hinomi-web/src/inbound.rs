//! Callbacks from the interactive channels: a Slack button press and a voice call's keypad.
//! Both redeem the one-time action token their message carried (`Engine::redeem_action`),
//! the same as the link in an email; the channel's signature over the request is the
//! credential (Slack's signing secret, Twilio's auth token), so the routes are public.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::{ActionKind, Locale};
use hinomi_engine::EngineError;
use hinomi_notify::channels::{slack, twilio};

use crate::AppState;

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// `POST /integrations/slack/interactions`: an Acknowledge or Resolve button pressed in
/// Slack. Answers what Slack shows the person who pressed it.
pub async fn slack_interaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now_secs = state.engine.now() / 1000;
    if let Err(e) = state.engine.channels().verify_slack(
        header_str(&headers, "x-slack-request-timestamp"),
        &body,
        header_str(&headers, "x-slack-signature"),
        now_secs,
    ) {
        tracing::warn!(error = %e, "Slack interaction refused");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let Some(press) = slack::parse_interaction(&body) else {
        return (StatusCode::BAD_REQUEST, "no hinomi action in the payload").into_response();
    };
    let how = format!("slack ({})", press.user_name);
    let text = match state.engine.redeem_action(&press.token, &how).await {
        Ok(done) => match done.action {
            ActionKind::Acknowledge => {
                format!("✔ {} — acknowledged by {}", done.page.title, done.by)
            }
            ActionKind::Resolve => format!("✔ {} — resolved by {}", done.page.title, done.by),
        },
        Err(EngineError::ActionInvalid) => {
            "This button was already used, or it expired. / このボタンは使用済みか期限切れです。"
                .to_owned()
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot redeem a Slack action");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    axum::Json(serde_json::json!({
        "response_type": "ephemeral",
        "replace_original": false,
        "text": text,
    }))
    .into_response()
}

/// `POST /a/{token}/keypad`: the key pressed during a voice call (Twilio's `<Gather>`
/// callback). `1` acknowledges; the answer is TwiML the call then reads out.
pub async fn voice_keypad(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Twilio signs the URL it requested, which is the one hinomi put in the TwiML.
    let url = format!("{}/a/{token}/keypad", state.engine.external_url());
    if let Err(e) = state.engine.channels().verify_twilio(
        &url,
        &body,
        header_str(&headers, "x-twilio-signature"),
    ) {
        tracing::warn!(error = %e, "voice keypad callback refused");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let digits = twilio::form_fields(&body)
        .into_iter()
        .find(|(k, _)| k == "Digits")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let (locale, acknowledged) = if digits == "1" {
        match state.engine.redeem_action(&token, "voice").await {
            Ok(done) => (recipient_locale(&state, &done.user_id).await, true),
            Err(EngineError::ActionInvalid) => (Locale::Ja, false),
            Err(e) => {
                tracing::error!(error = %e, "cannot redeem a keypad press");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    } else {
        (Locale::Ja, false)
    };
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        twilio::keypress_answer(locale, acknowledged),
    )
        .into_response()
}

async fn recipient_locale(state: &AppState, user_id: &str) -> Locale {
    match state.engine.store().user_by_id(user_id).await {
        Ok(Some(user)) => user
            .locale
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(Locale::Ja),
        _ => Locale::Ja,
    }
}
