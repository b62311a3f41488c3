//! LINE WORKS: a text message from the bot to a user (Bot API v2), with an access token
//! from the service-account JWT grant (OAuth 2.0, RS256 assertion signed with the app's
//! private key), kept until shortly before it expires.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hinomi_core::Envelope;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{not_configured, post, post_reading, redact};
use crate::{SendReport, read_secret, templates};

/// How long before its expiry a token is replaced.
const REFRESH_MARGIN_MS: i64 = 60_000;
/// The assertion's lifetime (LINE WORKS accepts at most an hour).
const ASSERTION_SECS: i64 = 3_600;

/// `[channels.line_works]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineWorksSettings {
    /// The app's client id; empty: LINE WORKS is not configured.
    pub client_id: String,
    pub client_secret: String,
    /// The service account (`xxxxx.serviceaccount@example`).
    pub service_account: String,
    /// The app's private key (PEM), or a file holding it.
    pub private_key: String,
    pub private_key_file: String,
    /// The bot that sends.
    pub bot_id: String,
    /// The API's base URL.
    pub api_url: String,
    /// The token endpoint.
    pub auth_url: String,
}

impl Default for LineWorksSettings {
    fn default() -> Self {
        LineWorksSettings {
            client_id: String::new(),
            client_secret: String::new(),
            service_account: String::new(),
            private_key: String::new(),
            private_key_file: String::new(),
            bot_id: String::new(),
            api_url: "https://www.worksapis.com/v1.0".into(),
            auth_url: "https://auth.worksmobile.com/oauth2/v2.0/token".into(),
        }
    }
}

impl fmt::Debug for LineWorksSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineWorksSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &redact(&self.client_secret))
            .field("service_account", &self.service_account)
            .field("private_key", &redact(&self.private_key))
            .field("private_key_file", &self.private_key_file)
            .field("bot_id", &self.bot_id)
            .field("api_url", &self.api_url)
            .field("auth_url", &self.auth_url)
            .finish()
    }
}

/// The access token in use, shared by every send of this process.
#[derive(Clone, Default)]
pub struct TokenCache(Arc<tokio::sync::Mutex<Option<Token>>>);

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCache(<secret>)")
    }
}

struct Token {
    value: String,
    /// UTC epoch milliseconds.
    expires_at: i64,
}

pub async fn send(
    http: &reqwest::Client,
    settings: &LineWorksSettings,
    cache: &TokenCache,
    envelope: &Envelope,
    now: i64,
) -> SendReport {
    let s = settings;
    if s.client_id.is_empty()
        || s.client_secret.is_empty()
        || s.service_account.is_empty()
        || (s.private_key.is_empty() && s.private_key_file.is_empty())
        || s.bot_id.is_empty()
    {
        return not_configured(
            "line_works needs [channels.line_works] client_id, client_secret, service_account, private_key (or private_key_file) and bot_id",
        );
    }
    let token = {
        let mut held = cache.0.lock().await;
        match held.as_ref() {
            Some(t) if t.expires_at - REFRESH_MARGIN_MS > now => t.value.clone(),
            _ => match grant(http, s, now).await {
                Ok(t) => {
                    let value = t.value.clone();
                    *held = Some(t);
                    value
                }
                Err(report) => return report,
            },
        }
    };
    let url = format!(
        "{}/bots/{}/users/{}/messages",
        s.api_url.trim_end_matches('/'),
        s.bot_id,
        envelope.contact.address
    );
    let body =
        json!({"content": {"type": "text", "text": templates::line_works(&envelope.notice)}});
    let mut report = post(http.post(url).bearer_auth(token).json(&body)).await;
    if report.status_code == Some(401) {
        // Revoked or expired early: the next attempt asks for a new one.
        *cache.0.lock().await = None;
        report.retryable = true;
    }
    report
}

/// Asks the token endpoint for an access token with a signed assertion.
async fn grant(
    http: &reqwest::Client,
    s: &LineWorksSettings,
    now: i64,
) -> Result<Token, SendReport> {
    let pem = if s.private_key.is_empty() {
        read_secret(&s.private_key_file)
            .await
            .map_err(|e| SendReport::failed(format!("line_works private key: {e}"), true))?
    } else {
        s.private_key.clone()
    };
    let assertion = assertion(&pem, &s.client_id, &s.service_account, now / 1000)
        .map_err(|e| SendReport::failed(e, false))?;
    let form = [
        ("assertion", assertion.as_str()),
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("client_id", s.client_id.as_str()),
        ("client_secret", s.client_secret.as_str()),
        ("scope", "bot"),
    ];
    let (report, body) = post_reading(http.post(&s.auth_url).form(&form)).await;
    if let Some(error) = report.error {
        return Err(SendReport {
            error: Some(format!("line_works token grant: {error}")),
            ..report
        });
    }
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let value = answer["access_token"].as_str().unwrap_or_default();
    // LINE WORKS sends `expires_in` as a string of seconds; accept a number too.
    let expires_in = answer["expires_in"]
        .as_i64()
        .or_else(|| answer["expires_in"].as_str().and_then(|s| s.parse().ok()));
    match (value, expires_in) {
        (v, Some(secs)) if !v.is_empty() => Ok(Token {
            value: v.to_owned(),
            expires_at: now + secs * 1000,
        }),
        _ => Err(SendReport::failed(
            "line_works token grant: the answer has no access_token and expires_in",
            true,
        )),
    }
}

/// The JWT assertion: `{"alg":"RS256","typ":"JWT"}` and `{iss, sub, iat, exp}`, signed
/// with RSASSA-PKCS1-v1_5 SHA-256. `pem` is a PKCS #8 or PKCS #1 private key.
pub fn assertion(
    pem: &str,
    client_id: &str,
    service_account: &str,
    iat: i64,
) -> Result<String, String> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| "line_works private key is not an RSA private key in PEM".to_owned())?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"iss": client_id, "sub": service_account, "iat": iat, "exp": iat + ASSERTION_SECS})
            .to_string(),
    );
    let signing_input = format!("{header}.{claims}");
    let signature = SigningKey::<rsa::sha2::Sha256>::new(key).sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_pem_is_named_in_the_error() {
        let err = assertion("not a key", "c", "s", 0).unwrap_err();
        assert_eq!(
            err,
            "line_works private key is not an RSA private key in PEM"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = LineWorksSettings {
            client_secret: "cs-123".into(),
            private_key: "-----BEGIN PRIVATE KEY-----".into(),
            ..LineWorksSettings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("cs-123") && !shown.contains("BEGIN"),
            "{shown}"
        );
    }
}
