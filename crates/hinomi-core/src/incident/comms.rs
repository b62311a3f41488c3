//! Keeping people informed while an incident runs: the stakeholder lists that hear its
//! updates (`[[incidents.stakeholders]]`: a management list hears SEV1 and SEV2, the
//! support desk every incident), and when the next update is due, by the cadence its
//! severity calls for (`update_every_minutes` on a severity).

use serde::{Deserialize, Serialize};

use super::{FieldError, Severity};
use crate::contact::parse_address;
use crate::{Contact, ContactKind, Locale};

/// A stakeholder list as the settings write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakeholderDef {
    pub name: String,
    /// The severities whose updates it hears (`SEV1`, ...); empty: every incident's.
    #[serde(default)]
    pub severities: Vec<String>,
    /// `kind:address`: `email:ops-managers@example.com`,
    /// `slack:https://hooks.slack.com/...`, `teams:https://...`, `webhook:https://...`.
    pub contacts: Vec<String>,
    /// The language its messages are written in: `ja` or `en`.
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "ja".to_owned()
}

/// A stakeholder list, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeholderList {
    pub name: String,
    /// Empty: every severity.
    pub severities: Vec<Severity>,
    pub contacts: Vec<Contact>,
    pub locale: Locale,
}

impl StakeholderDef {
    /// Checks the list; faults name their path under `path`
    /// (`incidents.stakeholders[0].contacts[1]`).
    pub fn build(&self, path: &str) -> Result<StakeholderList, FieldError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(FieldError::new(
                format!("{path}.name"),
                "must be 1 to 80 characters",
            ));
        }
        let severities = self
            .severities
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Severity::parse(s)
                    .map_err(|e| FieldError::new(format!("{path}.severities[{i}]"), e.message))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.contacts.is_empty() {
            return Err(FieldError::new(
                format!("{path}.contacts"),
                "name at least one contact (kind:address)",
            ));
        }
        let contacts = self
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                parse_contact(c).map_err(|m| FieldError::new(format!("{path}.contacts[{i}]"), m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let locale = Locale::parse(&self.language)
            .filter(|_| matches!(self.language.trim(), "ja" | "en"))
            .ok_or_else(|| FieldError::new(format!("{path}.language"), "must be ja or en"))?;
        Ok(StakeholderList {
            name: name.to_owned(),
            severities,
            contacts,
            locale,
        })
    }
}

/// `kind:address` as a contact; the address checked for its kind. Phone calls are not a
/// way to send an update.
fn parse_contact(text: &str) -> Result<Contact, String> {
    let (kind, address) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not kind:address"))?;
    let kind = ContactKind::parse(kind.trim())
        .filter(|k| *k != ContactKind::Voice)
        .ok_or_else(|| {
            format!(
                "{kind:?} is not a kind of contact: email, sms, slack, teams, line_works or webhook"
            )
        })?;
    let address = parse_address(kind, address).map_err(|e| e.to_string())?;
    Ok(Contact { kind, address })
}

impl StakeholderList {
    /// Whether it hears the updates of an incident of `severity`.
    pub fn hears(&self, severity: Severity) -> bool {
        self.severities.is_empty() || self.severities.contains(&severity)
    }
}

/// When the next update is due: `every` minutes after the last one (or the declaration),
/// or never when the severity sets no cadence.
pub fn next_update_due(last: i64, every_minutes: Option<u32>) -> Option<i64> {
    every_minutes.map(|m| last + i64::from(m) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(severities: &[&str], contacts: &[&str], language: &str) -> StakeholderDef {
        StakeholderDef {
            name: "経営層".into(),
            severities: severities.iter().map(|s| (*s).to_owned()).collect(),
            contacts: contacts.iter().map(|s| (*s).to_owned()).collect(),
            language: language.into(),
        }
    }

    #[test]
    fn lists_are_checked_and_hear_their_severities() {
        let list = def(
            &["SEV1", "sev2"],
            &[
                "email:exec@example.com",
                "slack:https://hooks.slack.com/services/T/B/x",
            ],
            "ja",
        )
        .build("incidents.stakeholders[0]")
        .unwrap();
        assert!(list.hears(Severity::Sev1) && list.hears(Severity::Sev2));
        assert!(!list.hears(Severity::Sev3));
        assert_eq!(list.contacts[0].kind, ContactKind::Email);
        assert_eq!(list.locale, Locale::Ja);
        let all = def(&[], &["webhook:https://example.com/hook"], "en")
            .build("p")
            .unwrap();
        assert!(all.hears(Severity::Sev4));

        for (d, field) in [
            (
                def(&["P1"], &["email:a@example.com"], "ja"),
                "p.severities[0]",
            ),
            (def(&[], &[], "ja"), "p.contacts"),
            (def(&[], &["fax:0312345678"], "ja"), "p.contacts[0]"),
            (def(&[], &["voice:+819012345678"], "ja"), "p.contacts[0]"),
            (def(&[], &["email:not-an-address"], "ja"), "p.contacts[0]"),
            (def(&[], &["email:a@example.com"], "fr"), "p.language"),
        ] {
            assert_eq!(d.build("p").unwrap_err().field, field);
        }
    }

    #[test]
    fn updates_fall_due_by_the_cadence() {
        assert_eq!(next_update_due(1_000, Some(30)), Some(1_000 + 1_800_000));
        assert_eq!(next_update_due(1_000, None), None);
    }
}
