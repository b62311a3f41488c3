//! A person's own webhook: the notice as JSON, POSTed to the contact's URL and signed so
//! the receiver can tell it came from hinomi.
//!
//! The signature header is `X-Hinomi-Signature: t=<unix seconds>,v1=<hex>`, where the hex
//! is the HMAC-SHA256, under `[channels.webhook] secret`, of the timestamp, a full stop and
//! the raw body (`<t>.<body>`). A receiver recomputes it, compares in constant time, and
//! refuses timestamps more than five minutes from its clock ([`verify`] does all three).
//!
//! The status page's webhook subscribers are signed the same way: a [`StatusPost`] is a
//! body in Statuspage's webhook shape, made when the update was posted, and its address.

use std::fmt;

use hinomi_core::Envelope;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{SignatureError, constant_time_eq, not_configured, post, redact};
use crate::SendReport;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Hinomi-Signature";
/// How far a signature's timestamp may be from the receiver's clock.
pub const SIGNATURE_WINDOW_SECS: i64 = 5 * 60;

/// `[channels.webhook]`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// The key every body is signed with; empty: webhook contacts are not configured.
    pub secret: String,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("secret", &redact(&self.secret))
            .finish()
    }
}

pub async fn send(
    http: &reqwest::Client,
    settings: &WebhookSettings,
    envelope: &Envelope,
    now: i64,
) -> SendReport {
    let body = serde_json::to_vec(&envelope.notice).expect("a notice always serialises");
    signed_post(http, settings, &envelope.contact.address, body, now).await
}

/// A status page update for a webhook subscriber (an outbox row's payload): where it goes
/// and the JSON it carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusPost {
    pub url: String,
    pub body: serde_json::Value,
}

/// POSTs a status page update, signed as webhook contacts' notices are.
pub async fn send_status(
    http: &reqwest::Client,
    settings: &WebhookSettings,
    status_post: &StatusPost,
    now: i64,
) -> SendReport {
    let body = serde_json::to_vec(&status_post.body).expect("JSON values serialise");
    signed_post(http, settings, &status_post.url, body, now).await
}

async fn signed_post(
    http: &reqwest::Client,
    settings: &WebhookSettings,
    url: &str,
    body: Vec<u8>,
    now: i64,
) -> SendReport {
    if settings.secret.is_empty() {
        return not_configured("webhooks need [channels.webhook] secret to sign with");
    }
    let signature = sign(&settings.secret, now.div_euclid(1000), &body);
    post(
        http.post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body),
    )
    .await
}

/// The header value for `body` signed at `timestamp` (UTC seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body))
    )
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks a signature header against the raw body at `now_secs`, as a receiver does.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let mut timestamp = None;
    let mut given = None;
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => given = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return Err(SignatureError::Malformed);
    };
    if (now_secs - timestamp).abs() > SIGNATURE_WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    if constant_time_eq(&mac(secret, timestamp, body), &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_names_its_time() {
        let header = sign("k", 1_700_000_000, b"{}");
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert_eq!(verify("k", &header, b"{}", 1_700_000_100), Ok(()));
    }

    #[test]
    fn tampering_replays_and_bad_headers_are_refused() {
        let header = sign("k", 1_700_000_000, b"{}");
        assert_eq!(
            verify("k", &header, b"{ }", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &header, b"{}", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("k", &header, b"{}", 1_700_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("k", "v1=00", b"{}", 1_700_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("", &header, b"{}", 1_700_000_000),
            Err(SignatureError::NotConfigured)
        );
    }
}
