//! Slack: a contact's address is an incoming-webhook URL (posted blocks whose buttons open
//! the signed action links), or a channel or user id posted to with `chat.postMessage` and
//! the bot token (buttons whose values are the one-time action tokens, sent back in signed
//! interaction callbacks that [`verify_signature`] checks).

use std::fmt;

use hinomi_core::{ActionKind, Envelope};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{SignatureError, constant_time_eq, not_configured, post, post_reading, redact};
use crate::templates::{self, SlackButtons};
use crate::{SendReport, truncate};

/// How far a callback's timestamp may be from now (Slack's own advice: five minutes).
pub const SIGNATURE_WINDOW_SECS: i64 = 5 * 60;

/// `[channels.slack]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackSettings {
    /// The bot's token (`xoxb-...`); empty: only incoming-webhook addresses work.
    pub bot_token: String,
    /// Slack's Web API base URL.
    pub api_url: String,
    /// The app's signing secret, which interaction callbacks are checked with.
    pub signing_secret: String,
}

impl Default for SlackSettings {
    fn default() -> Self {
        SlackSettings {
            bot_token: String::new(),
            api_url: "https://slack.com/api".into(),
            signing_secret: String::new(),
        }
    }
}

impl fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackSettings")
            .field("bot_token", &redact(&self.bot_token))
            .field("api_url", &self.api_url)
            .field("signing_secret", &redact(&self.signing_secret))
            .finish()
    }
}

/// Whether a Slack address is an incoming-webhook URL rather than a channel or user id.
fn is_webhook(address: &str) -> bool {
    address.starts_with("https://") || address.starts_with("http://")
}

pub async fn send(
    http: &reqwest::Client,
    settings: &SlackSettings,
    envelope: &Envelope,
) -> SendReport {
    let address = envelope.contact.address.as_str();
    if is_webhook(address) {
        let body = templates::slack(&envelope.notice, SlackButtons::Links);
        return post(http.post(address).json(&body)).await;
    }
    if settings.bot_token.is_empty() {
        return not_configured("slack needs [channels.slack] bot_token to post to a channel");
    }
    let mut body = templates::slack(&envelope.notice, SlackButtons::Tokens);
    body["channel"] = address.into();
    body["unfurl_links"] = false.into();
    let url = format!(
        "{}/chat.postMessage",
        settings.api_url.trim_end_matches('/')
    );
    post_web_api(http.post(url).bearer_auth(&settings.bot_token).json(&body)).await
}

/// A Web API call: Slack answers 200 with `{"ok": false, "error": ...}` when it refuses.
pub(crate) async fn post_web_api(request: reqwest::RequestBuilder) -> SendReport {
    let (mut report, body) = post_reading(request).await;
    if !report.delivered() {
        return report;
    }
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if answer["ok"] != true {
        let error = answer["error"]
            .as_str()
            .unwrap_or("no \"ok\" in the answer");
        report.retryable = matches!(
            error,
            "ratelimited"
                | "service_unavailable"
                | "internal_error"
                | "request_timeout"
                | "fatal_error"
        );
        report.error = Some(truncate(&format!("slack refused the message: {error}")));
    }
    report
}

/// A button press, as Slack's interaction callback reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    pub kind: ActionKind,
    /// The one-time action token (the button's value).
    pub token: String,
    /// Who pressed it: Slack's user id and user name.
    pub user_id: String,
    pub user_name: String,
}

/// Reads the action of an interaction callback's body (`payload=<JSON>`, form-encoded), as
/// hinomi's buttons send it. Check the signature first ([`verify_signature`]).
pub fn parse_interaction(body: &[u8]) -> Option<Interaction> {
    let payload = form_urlencoded::parse(body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())?;
    let payload: serde_json::Value = serde_json::from_str(&payload).ok()?;
    let action = payload["actions"].as_array()?.iter().find(|a| {
        a["action_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("hinomi_"))
    })?;
    let kind = match action["action_id"].as_str()? {
        "hinomi_acknowledge" => ActionKind::Acknowledge,
        "hinomi_resolve" => ActionKind::Resolve,
        _ => return None,
    };
    Some(Interaction {
        kind,
        token: action["value"].as_str()?.to_owned(),
        user_id: payload["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        user_name: payload["user"]["username"]
            .as_str()
            .or_else(|| payload["user"]["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Checks a Slack request's signature: `X-Slack-Signature` (`v0=` and the hex HMAC-SHA256
/// of `v0:<timestamp>:<body>` under the signing secret) and `X-Slack-Request-Timestamp`,
/// which must be within five minutes of `now_secs` (UTC seconds). `body` is the raw request
/// body, before any form decoding.
pub fn verify_signature(
    signing_secret: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_secs: i64,
) -> Result<(), SignatureError> {
    if signing_secret.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed)?;
    let given = signature
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Malformed)?;
    if (now_secs - ts).abs() > SIGNATURE_WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    if constant_time_eq(&sign(signing_secret, ts, body), &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

pub(crate) fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's documented example request.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_documented_example_verifies() {
        let now = 1_531_420_618 + 60;
        assert_eq!(
            verify_signature(SECRET, TIMESTAMP, BODY.as_bytes(), SIGNATURE, now),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_a_wrong_secret_or_an_old_timestamp_is_refused() {
        let now = 1_531_420_618;
        let check = |secret: &str, ts: &str, body: &str, sig: &str, now: i64| {
            verify_signature(secret, ts, body.as_bytes(), sig, now)
        };
        assert_eq!(
            check(SECRET, TIMESTAMP, &format!("{BODY}&x=1"), SIGNATURE, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check("another-secret", TIMESTAMP, BODY, SIGNATURE, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(SECRET, TIMESTAMP, BODY, SIGNATURE, now + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check(SECRET, TIMESTAMP, BODY, SIGNATURE, now - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            check(SECRET, TIMESTAMP, BODY, "a2114d57", now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(SECRET, "yesterday", BODY, SIGNATURE, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check("", TIMESTAMP, BODY, SIGNATURE, now),
            Err(SignatureError::NotConfigured)
        );
    }

    #[test]
    fn a_button_press_names_the_action_its_token_and_who() {
        let payload = serde_json::json!({
            "type": "block_actions",
            "user": {"id": "U123", "username": "tanaka", "name": "tanaka"},
            "actions": [{"action_id": "hinomi_acknowledge", "block_id": "hinomi_actions",
                         "value": "ack-token", "type": "button"}],
        });
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        assert_eq!(
            parse_interaction(body.as_bytes()),
            Some(Interaction {
                kind: ActionKind::Acknowledge,
                token: "ack-token".into(),
                user_id: "U123".into(),
                user_name: "tanaka".into(),
            })
        );
        assert_eq!(parse_interaction(b"payload=%7B%7D"), None);
        assert_eq!(parse_interaction(b"not a form"), None);
    }

    #[test]
    fn tokens_stay_out_of_debug_output() {
        let s = SlackSettings {
            bot_token: "xoxb-secret".into(),
            signing_secret: "sign-secret".into(),
            ..SlackSettings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret\""), "{shown}");
        assert!(!shown.contains("xoxb"), "{shown}");
    }
}
