//! After service is restored: the recovery checks a team walks through (performance,
//! functions, data integrity, access), each with its state and a note, and the business
//! impact the incident left behind (data lost, how long business was delayed, how the
//! customers were handled). The downtime is not part of the record: it is computed from the
//! milestones ([`super::Milestones::durations`]), so it cannot disagree with them.

use std::fmt;

use super::{FieldError, MAX_TEXT_CHARS, one_of, text};

/// What a recovery check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// Response times and throughput are back to normal.
    Performance,
    /// Every function works again.
    Functions,
    /// The data is consistent; nothing is lost or duplicated.
    DataIntegrity,
    /// Users can reach and sign in to the system.
    Access,
}

impl Check {
    pub const ALL: [Check; 4] = [
        Check::Performance,
        Check::Functions,
        Check::DataIntegrity,
        Check::Access,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Performance => "performance",
            Check::Functions => "functions",
            Check::DataIntegrity => "data_integrity",
            Check::Access => "access",
        }
    }

    pub fn parse(value: &str) -> Result<Check, FieldError> {
        one_of(&Check::ALL, Check::as_str, "check", "recovery check", value)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckState {
    NotChecked,
    /// Fully recovered.
    Ok,
    /// Working, but not as before.
    Degraded,
    /// Still broken.
    Failed,
}

impl CheckState {
    pub const ALL: [CheckState; 4] = [
        CheckState::NotChecked,
        CheckState::Ok,
        CheckState::Degraded,
        CheckState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::NotChecked => "not_checked",
            CheckState::Ok => "ok",
            CheckState::Degraded => "degraded",
            CheckState::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Result<CheckState, FieldError> {
        one_of(
            &CheckState::ALL,
            CheckState::as_str,
            "state",
            "check state",
            value,
        )
    }
}

impl fmt::Display for CheckState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest note on a check, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// A check's note: trimmed, may be empty, at most [`MAX_NOTE_CHARS`].
pub fn parse_note(value: &str) -> Result<String, FieldError> {
    text("note", value, MAX_NOTE_CHARS, true)
}

/// What the incident did to the business once it was over, as the team records it. Every
/// field may be empty while nobody knows yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactRecord {
    /// `none`, or what was lost.
    pub data_loss: String,
    /// How long business was held up: "cleared within 2 days".
    pub business_delay: String,
    /// How the affected customers were handled, in words.
    pub customers_handled: String,
    /// How many customers were contacted or compensated, if counted.
    pub customers_handled_count: Option<i64>,
}

impl ImpactRecord {
    /// Checks each part, naming it under `impact_record.`.
    pub fn parse(
        data_loss: &str,
        business_delay: &str,
        customers_handled: &str,
        customers_handled_count: Option<i64>,
    ) -> Result<ImpactRecord, FieldError> {
        let field =
            |name: &str, v: &str| text(&format!("impact_record.{name}"), v, MAX_TEXT_CHARS, true);
        if customers_handled_count.is_some_and(|n| n < 0) {
            return Err(FieldError::new(
                "impact_record.customers_handled_count",
                "must not be negative",
            ));
        }
        Ok(ImpactRecord {
            data_loss: field("data_loss", data_loss)?,
            business_delay: field("business_delay", business_delay)?,
            customers_handled: field("customers_handled", customers_handled)?,
            customers_handled_count,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == ImpactRecord::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_states_parse_and_name_the_field() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.as_str()).unwrap(), c);
        }
        assert_eq!(
            Check::parse("Data_Integrity").unwrap(),
            Check::DataIntegrity
        );
        assert_eq!(Check::parse("latency").unwrap_err().field, "check");
        assert_eq!(CheckState::parse("degraded").unwrap(), CheckState::Degraded);
        assert_eq!(CheckState::parse("fine").unwrap_err().field, "state");
        assert_eq!(parse_note(" ok ").unwrap(), "ok");
        assert_eq!(parse_note(&"x".repeat(2001)).unwrap_err().field, "note");
    }

    #[test]
    fn the_impact_record_is_checked() {
        let r = ImpactRecord::parse(" なし ", "2日以内に解消", "完了", Some(1000)).unwrap();
        assert_eq!(r.data_loss, "なし");
        assert!(!r.is_empty());
        assert!(ImpactRecord::parse("", "", "", None).unwrap().is_empty());
        assert_eq!(
            ImpactRecord::parse("", "", "", Some(-1)).unwrap_err().field,
            "impact_record.customers_handled_count"
        );
        assert_eq!(
            ImpactRecord::parse(&"x".repeat(20_001), "", "", None)
                .unwrap_err()
                .field,
            "impact_record.data_loss"
        );
    }
}
