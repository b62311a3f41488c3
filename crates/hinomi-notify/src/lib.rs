//! Outgoing notifications for hinomi: what a message says (payloads and the texts of
//! [`templates`]) and how it travels: Alertmanager's webhooks ([`webhook`]), the channels
//! that carry a person's notices ([`channels`]: email, Slack, Teams, LINE WORKS, voice and
//! SMS, signed webhooks) and Alertmanager's other receiver kinds ([`receivers`]).
#![forbid(unsafe_code)]

pub mod channels;
pub mod receivers;
pub mod templates;
pub mod webhook;

/// What a channel reports back about one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReport {
    /// The peer's HTTP status (or SMTP reply code), if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed, if it did: the peer's answer or the transport error.
    pub error: Option<String>,
    /// Whether trying again later could succeed.
    pub retryable: bool,
    /// What the peer answered (its body, or the SMTP server's reply), cut to
    /// [`ANSWER_LIMIT`] characters, for the delivery log.
    pub answer: Option<String>,
}

/// Characters of a peer's answer kept in the delivery log.
pub const ANSWER_LIMIT: usize = 512;

impl SendReport {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }

    /// An attempt that never reached a peer.
    pub fn failed(error: impl Into<String>, retryable: bool) -> SendReport {
        SendReport {
            status_code: None,
            error: Some(error.into()),
            retryable,
            answer: None,
        }
    }

    /// A peer's HTTP answer: any 2xx is delivered; 4xx other than 408 and 429 is final.
    pub(crate) fn from_status(status: reqwest::StatusCode, body: &str) -> SendReport {
        let answer = truncate(body.trim());
        let answer = (!answer.is_empty()).then_some(answer);
        if status.is_success() {
            SendReport {
                status_code: Some(status.as_u16()),
                error: None,
                retryable: false,
                answer,
            }
        } else {
            SendReport {
                status_code: Some(status.as_u16()),
                error: Some(format!(
                    "unexpected status {status}: {}",
                    answer.as_deref().unwrap_or("")
                )),
                retryable: status.is_server_error()
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
                answer,
            }
        }
    }

    /// A request that got no answer. The URL is left out: it may itself be a secret (a
    /// Slack or Teams webhook, a `url_file`).
    pub(crate) fn from_transport(error: reqwest::Error) -> SendReport {
        SendReport::failed(format!("{}", error.without_url()), true)
    }
}

/// `text` cut to [`ANSWER_LIMIT`] characters.
pub(crate) fn truncate(text: &str) -> String {
    text.chars().take(ANSWER_LIMIT).collect()
}

/// A secret or URL kept in a file, trimmed of surrounding whitespace. The error names the
/// file, never its content.
pub(crate) async fn read_secret(path: &str) -> Result<String, String> {
    tokio::fs::read_to_string(path)
        .await
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("cannot read {path}: {e}"))
}
