//! Microsoft Teams: a contact's address is a Teams workflow webhook ("When a Teams webhook
//! request is received"); the notice is posted as an Adaptive Card whose actions open the
//! signed action URLs, so acknowledging from Teams goes through hinomi's one-time links.

use hinomi_core::Envelope;
use serde_json::{Value, json};

use super::post;
use crate::{SendReport, templates};

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
