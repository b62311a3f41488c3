//! Microsoft Teams: a contact's address is a Teams workflow webhook ("When a Teams webhook
//! request is received"); the notice is posted as an Adaptive Card whose actions open the
//! signed action URLs, so acknowledging from Teams goes through hinomi's one-time links.
//! Commands typed to hinomi in a channel arrive through a Teams outgoing webhook, signed
//! with its security token ([`verify_outgoing`]).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hinomi_core::Envelope;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{SignatureError, constant_time_eq, post, redact};
use crate::{SendReport, templates};

/// `[channels.teams]`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamsSettings {
    /// The security token Teams shows when an outgoing webhook is created (base64), which
    /// signs the commands it sends.
    pub outgoing_webhook_secret: String,
}

impl fmt::Debug for TeamsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsSettings")
            .field(
                "outgoing_webhook_secret",
                &redact(&self.outgoing_webhook_secret),
            )
            .finish()
    }
}

/// Checks an outgoing webhook's `Authorization: HMAC <base64>` header: the HMAC-SHA256 of
/// the raw body under the security token (itself base64, as Teams gives it).
pub fn verify_outgoing(
    secret: &str,
    body: &[u8],
    authorization: &str,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let key = STANDARD
        .decode(secret.trim())
        .map_err(|_| SignatureError::NotConfigured)?;
    let given = authorization
        .trim()
        .strip_prefix("HMAC ")
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .ok_or(SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(body);
    if constant_time_eq(&mac.finalize().into_bytes(), &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The signature Teams would send for `body` under `secret` (base64): for tests and for
/// tools that call hinomi as Teams would.
pub fn sign_outgoing(secret: &str, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.trim()).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(body);
    Some(format!(
        "HMAC {}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The body a workflow webhook accepts: a message with one Adaptive Card attachment.
pub fn message(card: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

pub async fn send(http: &reqwest::Client, envelope: &Envelope) -> SendReport {
    let body = message(templates::teams_card(&envelope.notice));
    post(http.post(&envelope.contact.address).json(&body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_webhooks_are_checked_with_the_security_token() {
        let secret = STANDARD.encode(b"a token of 32 bytes, for testing");
        let body = br#"{"type":"message","text":"<at>hinomi</at> declare SEV1 x"}"#;
        let auth = sign_outgoing(&secret, body).unwrap();
        assert_eq!(verify_outgoing(&secret, body, &auth), Ok(()));
        assert_eq!(
            verify_outgoing(&secret, b"{}", &auth),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_outgoing(&secret, body, "Bearer x"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_outgoing("", body, &auth),
            Err(SignatureError::NotConfigured)
        );
        let shown = format!(
            "{:?}",
            TeamsSettings {
                outgoing_webhook_secret: secret.clone()
            }
        );
        assert!(!shown.contains(&secret), "{shown}");
    }
}
