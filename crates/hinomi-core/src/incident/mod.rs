//! Incidents: what someone declares when alerts (or a customer's call) mean the business is
//! hurt, and the rules that keep its record honest. Severities and the rules that suggest
//! one from the impact ([`severity`]), statuses and their transitions, milestones and the
//! durations derived from them ([`milestone`]), the response team's roles ([`roles`]),
//! checklist templates ([`playbook`]), escalation criteria that act on an incident's state
//! ([`criteria`]), what a timeline entry may be ([`timeline`]), what
//! linked alert groups tell it ([`feed`]), stakeholder updates ([`comms`]), what customers
//! are told, drafted from templates per status ([`customer`]), the recovery checks and
//! business-impact record ([`recovery`]), the postmortem drafted from all of it
//! ([`postmortem`]) and its action items ([`action_item`]). Pure: every rule that needs the
//! time takes `now` (UTC epoch milliseconds); storage and wire formats live elsewhere.

pub mod action_item;
pub mod comms;
pub mod criteria;
pub mod customer;
pub mod feed;
pub mod milestone;
pub mod playbook;
pub mod postmortem;
pub mod recovery;
pub mod roles;
pub mod severity;
pub mod timeline;

#[cfg(test)]
mod proptests;

use std::fmt;

pub use action_item::{Category, Chase, ChaseDef, Horizon, ItemStatus};
pub use criteria::{Criterion, CriterionDef};
pub use milestone::{Durations, Milestone, MilestoneChange, Milestones, Span};
pub use playbook::{PlannedItem, Playbook, PlaybookDef, Playbooks};
pub use postmortem::Section;
pub use recovery::{Check, CheckState, ImpactRecord};
pub use roles::{Role, RoleDef, RoleGroup, Roles};
pub use severity::{
    Condition, Currency, Impact, LevelDef, Money, PolicyDef, ReputationalRisk, RuleDef, Severity,
    SeverityLevel, SeverityPolicy, SeverityRule, Suggestion, Thresholds,
};
pub use timeline::{EntryKind, Verdict};

/// Bad input, naming the field it was in (`title`, `impact.currency`,
/// `milestones.detected`, `incidents.rules[0].severity`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same fault under a longer path: `severity` inside `rules[2]`.
    pub fn within(self, prefix: &str) -> FieldError {
        FieldError {
            field: format!("{prefix}.{}", self.field),
            message: self.message,
        }
    }
}

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest summary or timeline text, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest reason for an edit or a reopening, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Finds `value` (trimmed, any case) among `all` by name; the error lists the names.
fn one_of<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    field: &str,
    what: &str,
    value: &str,
) -> Result<T, FieldError> {
    let v = value.trim().to_ascii_lowercase();
    all.iter().copied().find(|x| name(*x) == v).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|x| name(*x)).collect();
        FieldError::new(
            field,
            format!(
                "{value:?} is not a {what}: expected one of {}",
                names.join(", ")
            ),
        )
    })
}

/// Checks the key a settings entry is known by (a role's, a playbook's, a criterion's):
/// trimmed, 1 to `max` of a-z, 0-9 and `_`, and not among the keys `taken` before it;
/// faults name `<path>.key`.
fn settings_key<'k, 't>(
    path: &str,
    key: &'k str,
    max: usize,
    mut taken: impl Iterator<Item = &'t str>,
) -> Result<&'k str, FieldError> {
    let key = key.trim();
    let ok = !key.is_empty()
        && key.len() <= max
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(FieldError::new(
            format!("{path}.key"),
            format!("must be 1 to {max} of a-z, 0-9 and _"),
        ));
    }
    if taken.any(|t| t == key) {
        return Err(FieldError::new(
            format!("{path}.key"),
            format!("{key:?} is given twice"),
        ));
    }
    Ok(key)
}

/// Checks free text: trimmed, not empty unless `may_be_empty`, at most `max` characters.
fn text(field: &str, value: &str, max: usize, may_be_empty: bool) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() && !may_be_empty {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An incident's title: one line, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(value: &str) -> Result<Title, FieldError> {
        let t = text("title", value, MAX_TITLE_CHARS, false)?;
        if t.contains(['\n', '\r']) {
            return Err(FieldError::new("title", "must be one line"));
        }
        Ok(Title(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A summary (may be empty) or a timeline entry's text (may not), trimmed.
pub fn parse_text(field: &str, value: &str, may_be_empty: bool) -> Result<String, FieldError> {
    text(field, value, MAX_TEXT_CHARS, may_be_empty)
}

/// Why a record was changed after the fact: required, so the history says why.
pub fn parse_reason(value: &str) -> Result<String, FieldError> {
    text("reason", value, MAX_REASON_CHARS, false)
}

/// Where an incident stands. Any open status may follow any other (a cause once identified
/// may turn out wrong, a fix being monitored may fail); a resolved incident opens again
/// only with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Investigating,
        Status::Identified,
        Status::Monitoring,
        Status::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Identified => "identified",
            Status::Monitoring => "monitoring",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(value: &str) -> Result<Status, FieldError> {
        one_of(&Status::ALL, Status::as_str, "status", "status", value)
    }

    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change decided: the new status, and what it does to the milestones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPlan {
    pub from: Status,
    pub to: Status,
    /// A resolved incident opened again.
    pub reopened: bool,
    /// The milestones after the change (see [`plan_status`]).
    pub milestones: Milestones,
    /// The milestones the change set or cleared.
    pub changes: Vec<MilestoneChange>,
}

/// Decides a status change at `now`. Moving to monitoring marks the incident mitigated,
/// and resolving it resolved, when those milestones are not yet set (a fix in place is a
/// mitigation); reopening needs a reason and clears the resolved milestone (the history
/// keeps it).
pub fn plan_status(
    from: Status,
    to: Status,
    reason: Option<&str>,
    milestones: &Milestones,
    now: i64,
) -> Result<StatusPlan, FieldError> {
    if from == to {
        return Err(FieldError::new(
            "status",
            format!("the incident is {from} already"),
        ));
    }
    let reopened = from == Status::Resolved;
    if reopened {
        let given = reason.map(str::trim).unwrap_or("");
        if given.is_empty() {
            return Err(FieldError::new(
                "reason",
                "reopening a resolved incident needs a reason",
            ));
        }
        parse_reason(given)?;
    }
    let mut next = milestones.clone();
    let mut changes = Vec::new();
    let mut set = |m: Milestone, at: Option<i64>, next: &mut Milestones| {
        let before = next.get(m);
        if before != at {
            next.set(m, at);
            changes.push(MilestoneChange {
                milestone: m,
                from: before,
                to: at,
            });
        }
    };
    if reopened {
        set(Milestone::Resolved, None, &mut next);
    }
    if to == Status::Monitoring && next.get(Milestone::Mitigated).is_none() {
        set(Milestone::Mitigated, Some(now), &mut next);
    }
    if to == Status::Resolved && next.get(Milestone::Resolved).is_none() {
        set(Milestone::Resolved, Some(now), &mut next);
    }
    next.check(now)?;
    Ok(StatusPlan {
        from,
        to,
        reopened,
        milestones: next,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn declared_at(t: i64) -> Milestones {
        let mut m = Milestones::default();
        m.set(Milestone::Declared, Some(t));
        m
    }

    #[test]
    fn titles_and_texts_are_checked() {
        assert_eq!(
            Title::parse("  受注システム障害 ").unwrap().as_str(),
            "受注システム障害"
        );
        assert_eq!(Title::parse("").unwrap_err().field, "title");
        assert_eq!(Title::parse("a\nb").unwrap_err().field, "title");
        assert!(Title::parse(&"x".repeat(201)).is_err());
        assert_eq!(parse_text("summary", " ", true).unwrap(), "");
        assert_eq!(parse_text("text", " ", false).unwrap_err().field, "text");
        assert_eq!(parse_reason("").unwrap_err().field, "reason");
    }

    #[test]
    fn statuses_parse_and_move() {
        assert_eq!(Status::parse("Monitoring").unwrap(), Status::Monitoring);
        assert_eq!(Status::parse("open").unwrap_err().field, "status");
        let m = declared_at(10 * H);
        let plan =
            plan_status(Status::Investigating, Status::Monitoring, None, &m, 11 * H).unwrap();
        assert_eq!(plan.milestones.get(Milestone::Mitigated), Some(11 * H));
        assert_eq!(plan.changes.len(), 1);
        let plan = plan_status(
            Status::Monitoring,
            Status::Resolved,
            None,
            &plan.milestones,
            12 * H,
        )
        .unwrap();
        assert_eq!(plan.milestones.get(Milestone::Resolved), Some(12 * H));
        assert_eq!(plan.milestones.get(Milestone::Mitigated), Some(11 * H));
        // The same status is refused, naming the field.
        let err = plan_status(Status::Resolved, Status::Resolved, None, &m, 12 * H).unwrap_err();
        assert_eq!(err.field, "status");
    }

    #[test]
    fn reopening_needs_a_reason_and_clears_the_resolution() {
        let mut m = declared_at(10 * H);
        m.set(Milestone::Resolved, Some(12 * H));
        let err =
            plan_status(Status::Resolved, Status::Investigating, None, &m, 13 * H).unwrap_err();
        assert_eq!(err.field, "reason");
        let err = plan_status(
            Status::Resolved,
            Status::Investigating,
            Some(" "),
            &m,
            13 * H,
        )
        .unwrap_err();
        assert_eq!(err.field, "reason");
        let plan = plan_status(
            Status::Resolved,
            Status::Investigating,
            Some("the error rate came back"),
            &m,
            13 * H,
        )
        .unwrap();
        assert!(plan.reopened);
        assert_eq!(plan.milestones.get(Milestone::Resolved), None);
        assert_eq!(
            plan.changes,
            vec![MilestoneChange {
                milestone: Milestone::Resolved,
                from: Some(12 * H),
                to: None
            }]
        );
    }

    #[test]
    fn resolving_directly_leaves_mitigation_unset() {
        let m = declared_at(10 * H);
        let plan = plan_status(Status::Investigating, Status::Resolved, None, &m, 11 * H).unwrap();
        assert_eq!(plan.milestones.get(Milestone::Mitigated), None);
        assert_eq!(plan.milestones.get(Milestone::Resolved), Some(11 * H));
    }
}
