//! What a person is told, before any channel shapes it.
//!
//! A page, a test message or a shift notice is decided by the engine as a [`Notice`]: the
//! facts (which alerts, which step, which links) in the recipient's language, with no
//! channel's wire format in it. Paired with the [`Contact`] it goes to, it is an
//! [`Envelope`], the payload of one outbox row; the channel that carries it (email, voice,
//! Slack ...) renders it at send time. Decisions and the envelopes they send commit together.

use serde::{Deserialize, Serialize};

use crate::locale::Locale;

/// How a contact method reaches its person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// An email address.
    Email,
    /// A phone number (E.164) for text messages.
    Sms,
    /// A phone number (E.164) called, the alert read out, acknowledged on the keypad.
    Voice,
    /// A Slack incoming-webhook URL, or a channel or user id posted to with the bot token.
    Slack,
    /// A Microsoft Teams workflow webhook URL.
    Teams,
    /// A LINE WORKS user id messaged by the bot.
    LineWorks,
    /// An HTTPS URL posted a signed JSON body.
    Webhook,
}

impl ContactKind {
    pub const ALL: [ContactKind; 7] = [
        ContactKind::Email,
        ContactKind::Sms,
        ContactKind::Voice,
        ContactKind::Slack,
        ContactKind::Teams,
        ContactKind::LineWorks,
        ContactKind::Webhook,
    ];

    /// The name used in the API, the database and the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Sms => "sms",
            ContactKind::Voice => "voice",
            ContactKind::Slack => "slack",
            ContactKind::Teams => "teams",
            ContactKind::LineWorks => "line_works",
            ContactKind::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<ContactKind> {
        ContactKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where one message goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub kind: ContactKind,
    /// The address in the kind's own form: an email address, an E.164 number, a URL, an id.
    pub address: String,
}

/// Why a notice is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NoticeKind {
    /// An alert group needs someone: escalation step `step` (0-based) of round `round`.
    Page {
        step: u32,
        round: u32,
    },
    /// A contact method's test message; the person confirms it with `code`.
    Test {
        code: String,
    },
    /// Someone acknowledged the page (told to those paged before).
    Acknowledged {
        by: String,
        how: String,
    },
    /// The alert group was resolved.
    Resolved,
    /// The recipient's on-call shift on `schedule` starts or ends at `at`.
    ShiftStart {
        schedule: String,
        at: i64,
        end: i64,
    },
    ShiftEnd {
        schedule: String,
        at: i64,
    },
    /// Incident `reference` owed its stakeholders an update at `due_at` and none was sent
    /// (told to the incident manager).
    UpdateOverdue {
        reference: String,
        due_at: i64,
    },
    /// An update on incident `reference` (`INC-4`) for a stakeholder list: its severity's
    /// name, its status (`investigating`...) and what the responders wrote.
    IncidentUpdate {
        reference: String,
        severity: String,
        status: String,
        text: String,
    },
    /// The recipient was given `role` (its name in their language) on incident
    /// `reference` (`INC-3`), of `severity` (`SEV1`); the notice's title is the incident's.
    IncidentRole {
        reference: String,
        role: String,
        severity: String,
    },
    /// A checklist item of incident `reference` was due at `due_at` and is not done.
    ChecklistOverdue {
        reference: String,
        item: String,
        due_at: i64,
    },
    /// The escalation criterion `criterion` (its name) held for incident `reference`, of
    /// `severity`, because of `reason` (in the recipient's language).
    IncidentEscalated {
        reference: String,
        severity: String,
        criterion: String,
        reason: String,
    },
    /// Action item `item` of incident `reference`, due on `due` (`2024-12-20`), is not
    /// done; `owner` (a username) holds it, if anyone. Told to the owner, and later
    /// (`to_lead`) to the incident manager.
    ActionItemOverdue {
        reference: String,
        item: String,
        due: String,
        owner: Option<String>,
        to_lead: bool,
    },
}

/// One alert as a notice shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeAlert {
    /// Label name and value pairs, sorted by name.
    pub labels: Vec<(String, String)>,
    /// The `summary` annotation, else `description`, if any.
    pub summary: Option<String>,
    pub starts_at: i64,
    pub firing: bool,
}

impl NoticeAlert {
    /// An alert as a notice shows it at `now`.
    pub fn from_alert(alert: &crate::Alert, now: i64) -> NoticeAlert {
        let summary = ["summary", "description"]
            .iter()
            .find_map(|k| alert.annotations.get(k).filter(|v| !v.trim().is_empty()))
            .map(str::to_owned);
        NoticeAlert {
            labels: alert
                .labels
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            summary,
            starts_at: alert.starts_at,
            firing: !alert.resolved_at(now),
        }
    }
}

/// Something the recipient can do from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Acknowledge,
    Resolve,
}

/// A signed one-time action: the link in an email or text, the value of a Slack or Teams
/// button, what a keypad press redeems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeAction {
    pub kind: ActionKind,
    /// The one-time token (only its hash is stored).
    pub token: String,
    /// The absolute URL that redeems the token.
    pub url: String,
}

/// What one person is told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The recipient's language.
    pub locale: Locale,
    /// The recipient's display name.
    pub recipient: String,
    /// The page this notice is about, if any.
    pub page_id: Option<String>,
    /// One line naming what is wrong (the group's labels, or the alert's summary).
    pub title: String,
    /// The alerts, firing first.
    pub alerts: Vec<NoticeAlert>,
    /// The console page of the page or alert group.
    pub console_url: Option<String>,
    pub actions: Vec<NoticeAction>,
    /// When the engine decided to send it (UTC epoch milliseconds).
    pub at: i64,
}

/// A notice and where it goes: the payload of one outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub contact: Contact,
    pub notice: Notice,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_kinds_round_trip_through_their_names() {
        for kind in ContactKind::ALL {
            assert_eq!(ContactKind::parse(kind.as_str()), Some(kind));
            let json = serde_name(kind);
            assert_eq!(json, kind.as_str());
        }
        assert_eq!(ContactKind::parse("fax"), None);
    }

    /// The serde name equals `as_str` (the outbox stores one, the API shows the other).
    fn serde_name(kind: ContactKind) -> String {
        let yaml = serde_yaml_ng::to_string(&kind).unwrap();
        yaml.trim().to_owned()
    }
}
