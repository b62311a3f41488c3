//! The channels that carry a notice to a person: each takes an [`Envelope`] and its
//! channel's settings, renders the notice with [`crate::templates`], and answers a
//! [`SendReport`] with what the peer said.
//!
//! [`Channels`] holds the settings (`[channels.*]` in hinomi's settings file) and the
//! clients; a channel that is not configured fails its notices at once, saying which
//! setting is missing, rather than retrying what can never succeed. The inbound halves of
//! the interactive channels (Slack's interaction callbacks, Twilio's keypad callbacks, a
//! receiver checking hinomi's webhook signature) verify their peer with
//! [`slack::verify_signature`], [`twilio::verify_signature`] and [`webhook::verify`].

pub mod email;
pub mod line_works;
pub mod slack;
pub mod teams;
pub mod twilio;
pub mod webhook;

use std::fmt;
use std::time::Duration;

use hinomi_core::{ContactKind, Envelope};
use serde::{Deserialize, Serialize};

use crate::SendReport;

/// The settings of every channel (`[channels]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelSettings {
    pub smtp: email::SmtpSettings,
    pub slack: slack::SlackSettings,
    pub teams: teams::TeamsSettings,
    pub twilio: twilio::TwilioSettings,
    pub line_works: line_works::LineWorksSettings,
    pub webhook: webhook::WebhookSettings,
}

/// Why an inbound callback's signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The channel has no secret to check against.
    #[error("no signing secret is configured")]
    NotConfigured,
    /// The signature or its timestamp is missing or not in the expected form.
    #[error("the signature is missing or malformed")]
    Malformed,
    /// The timestamp is too far from now: a replay, or a clock far off.
    #[error("the signature's timestamp is outside the allowed window")]
    Stale,
    /// The signature does not match the body.
    #[error("the signature does not match")]
    Mismatch,
}

/// Sends envelopes on the channel their contact names. Cheap to clone.
#[derive(Clone)]
pub struct Channels {
    settings: std::sync::Arc<ChannelSettings>,
    http: reqwest::Client,
    timeout: Duration,
    line_works_token: line_works::TokenCache,
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channels")
            .field("settings", &self.settings)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Channels {
    /// `timeout` bounds every request (and an SMTP session).
    pub fn new(settings: ChannelSettings, timeout: Duration, user_agent: &str) -> Channels {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_max_idle_per_host(8)
            .build()
            .expect("the HTTP client builds with static settings");
        Channels {
            settings: std::sync::Arc::new(settings),
            http,
            timeout,
            line_works_token: line_works::TokenCache::default(),
        }
    }

    pub fn settings(&self) -> &ChannelSettings {
        &self.settings
    }

    /// Checks a Slack interaction callback against `[channels.slack] signing_secret`:
    /// the `X-Slack-Request-Timestamp` and `X-Slack-Signature` headers and the raw body, at
    /// `now_secs` (UTC seconds). See [`slack::verify_signature`].
    pub fn verify_slack(
        &self,
        timestamp: &str,
        body: &[u8],
        signature: &str,
        now_secs: i64,
    ) -> Result<(), SignatureError> {
        slack::verify_signature(
            &self.settings.slack.signing_secret,
            timestamp,
            body,
            signature,
            now_secs,
        )
    }

    /// Checks a Teams outgoing webhook's `Authorization` header against `[channels.teams]
    /// outgoing_webhook_secret`. See [`teams::verify_outgoing`].
    pub fn verify_teams(&self, body: &[u8], authorization: &str) -> Result<(), SignatureError> {
        teams::verify_outgoing(
            &self.settings.teams.outgoing_webhook_secret,
            body,
            authorization,
        )
    }

    /// Checks a Twilio callback against `[channels.twilio] auth_token`: the full URL
    /// Twilio requested, the raw form body and `X-Twilio-Signature`. See
    /// [`twilio::verify_signature`].
    pub fn verify_twilio(
        &self,
        url: &str,
        body: &[u8],
        signature: &str,
    ) -> Result<(), SignatureError> {
        twilio::verify_signature(
            &self.settings.twilio.auth_token,
            url,
            &twilio::form_fields(body),
            signature,
        )
    }

    /// Sends one envelope at `now` (UTC epoch milliseconds: signatures and token grants
    /// are stamped with it).
    pub async fn send(&self, envelope: &Envelope, now: i64) -> SendReport {
        let s = &self.settings;
        match envelope.contact.kind {
            ContactKind::Email => email::send_notice(&s.smtp, self.timeout, envelope, now).await,
            ContactKind::Sms => twilio::send_sms(&self.http, &s.twilio, envelope).await,
            ContactKind::Voice => twilio::call(&self.http, &s.twilio, envelope).await,
            ContactKind::Slack => slack::send(&self.http, &s.slack, envelope).await,
            ContactKind::Teams => teams::send(&self.http, envelope).await,
            ContactKind::LineWorks => {
                line_works::send(
                    &self.http,
                    &s.line_works,
                    &self.line_works_token,
                    envelope,
                    now,
                )
                .await
            }
            ContactKind::Webhook => webhook::send(&self.http, &s.webhook, envelope, now).await,
        }
    }

    /// Sends a status page mail (a confirmation or an update) to a subscriber at `now`.
    pub async fn send_status_email(&self, status_mail: &email::StatusMail, now: i64) -> SendReport {
        email::send_status(&self.settings.smtp, self.timeout, status_mail, now).await
    }

    /// Sends a status page update to a webhook subscriber at `now`.
    pub async fn send_status_webhook(&self, post: &webhook::StatusPost, now: i64) -> SendReport {
        webhook::send_status(&self.http, &self.settings.webhook, post, now).await
    }
}

/// The report of a notice whose channel lacks a setting: final, naming what to set.
pub(crate) fn not_configured(what: &str) -> SendReport {
    SendReport::failed(format!("channel not configured: {what}"), false)
}

/// `***` for a set secret, nothing for an unset one.
pub(crate) fn redact(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "***" }
}

/// Equal in time independent of where the two differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// POSTs `request` and reads the answer into a report.
pub(crate) async fn post(request: reqwest::RequestBuilder) -> SendReport {
    post_reading(request).await.0
}

/// POSTs `request`; answers the report and the peer's whole body, for callers that read it
/// (the report keeps only its first characters).
pub(crate) async fn post_reading(request: reqwest::RequestBuilder) -> (SendReport, String) {
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            (SendReport::from_status(status, &body), body)
        }
        Err(e) => (SendReport::from_transport(e), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_checked_with_the_configured_secrets() {
        let mut settings = ChannelSettings::default();
        settings.slack.signing_secret = "slack-secret".into();
        let channels = Channels::new(settings, Duration::from_secs(1), "hinomi-test");
        let body = b"payload=%7B%7D";
        let signature = format!("v0={}", hex::encode(slack::sign("slack-secret", 100, body)));
        assert_eq!(channels.verify_slack("100", body, &signature, 160), Ok(()));
        assert_eq!(
            channels.verify_slack("100", b"payload=1", &signature, 160),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            channels.verify_twilio("https://hinomi.example/a/t", b"Digits=1", "AAAA"),
            Err(SignatureError::NotConfigured),
            "no auth token: every Twilio callback is refused"
        );
    }
}
