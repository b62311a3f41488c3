//! Outgoing notifications for hinomi: what a message says (payloads) and how it travels
//! (channels). Today one channel: webhooks with Alertmanager's version 4 payload.
#![forbid(unsafe_code)]

pub mod webhook;

/// What a channel reports back about one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReport {
    /// The peer's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed, if it did: the peer's answer or the transport error.
    pub error: Option<String>,
    /// Whether trying again later could succeed.
    pub retryable: bool,
}

impl SendReport {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}
