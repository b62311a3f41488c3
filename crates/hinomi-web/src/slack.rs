//! `POST /slack/interactions`: Slack's callback when someone presses a page message's
//! Acknowledge or Resolve button. Public, like Slack's own request: it is refused unless
//! its signature holds under `[channels.slack] signing_secret` (within five minutes); the
//! button's value is the message's one-time action token, redeemed as made by `slack`
//! for the person the message went to.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hinomi_core::ActionKind;
use hinomi_engine::EngineError;
use hinomi_notify::channels::slack;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// A reply only the presser sees, leaving the message as it was.
fn reply(text: String) -> Response {
    Json(json!({"response_type": "ephemeral", "replace_original": false, "text": text}))
        .into_response()
}

pub async fn interactions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let now_secs = state.engine.now().div_euclid(1000);
    if let Err(e) = state.engine.channels().verify_slack(
        header("x-slack-request-timestamp"),
        &body,
        header("x-slack-signature"),
        now_secs,
    ) {
        tracing::warn!(error = %e, "refused a Slack interaction");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let Some(pressed) = slack::parse_interaction(&body) else {
        return ApiError::bad_request("bad_request", "payload", "not a hinomi button press")
            .into_response();
    };
    match state.engine.redeem_action(&pressed.token, "slack").await {
        Ok(done) => reply(match done.action {
            ActionKind::Acknowledge => {
                format!("Acknowledged as {} / {} が応答しました", done.by, done.by)
            }
            ActionKind::Resolve => format!("Resolved as {} / {} が解決しました", done.by, done.by),
        }),
        Err(EngineError::ActionInvalid) => reply(
            "This button was used already or has expired. / このボタンは使用済みか期限切れです。"
                .into(),
        ),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
