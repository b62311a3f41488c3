//! What an incident's timeline holds: the entries people write (notes, hypotheses with
//! their verdicts, findings, measures taken) and the ones hinomi writes for every change
//! (declaration, status, severity, impact, summary, milestones, linked alert groups and
//! services, roles given and taken, playbooks applied, checklist items checked and overdue,
//! escalation criteria acting, action items overdue,
//! recovery checks, the business-impact record) and for what happens around it (alerts of
//! its groups firing and resolving, their pages acknowledged), and the updates sent to
//! stakeholders.
//! People's entries are corrected by a new entry that points at the old one, which stays.

use std::fmt;

use super::FieldError;

/// The kind of a timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Note,
    /// A possible cause, with its [`Verdict`].
    Hypothesis,
    /// Something established (a direct cause, a log line).
    Finding,
    /// Something done (a restart, a pool resized).
    Measure,
    Declared,
    StatusChange,
    SeverityChange,
    ImpactChange,
    SummaryChange,
    MilestoneEdit,
    AlertGroupLinked,
    ServicesChange,
    /// An alert of a linked group began firing (at its start).
    AlertFired,
    /// An alert of a linked group resolved.
    AlertResolved,
    /// A linked group's page was acknowledged.
    PageAcknowledged,
    /// An update sent to the stakeholder lists.
    Update,
    /// An update to stakeholders was owed and none was sent; the lead was reminded.
    UpdateOverdue,
    /// An update posted on a status page incident that tells of this one.
    StatusPageUpdate,
    /// A recovery check's state set (`data`: the check, its state before and after).
    RecoveryCheck,
    /// The business-impact record changed.
    ImpactRecordChange,
    /// A role given to a person or an external contact.
    RoleAssigned,
    RoleUnassigned,
    /// A playbook's items copied onto the incident.
    PlaybookApplied,
    /// A checklist item checked, unchecked or given to someone.
    ChecklistItem,
    /// A checklist item's deadline passed unchecked; its people were reminded.
    ChecklistOverdue,
    /// An escalation criterion held; the people it names were paged.
    Escalated,
    /// An action item's due date passed and it is not done; its owner (later the incident
    /// manager) was reminded.
    ActionItemOverdue,
}

impl EntryKind {
    pub const ALL: [EntryKind; 27] = [
        EntryKind::Note,
        EntryKind::Hypothesis,
        EntryKind::Finding,
        EntryKind::Measure,
        EntryKind::Declared,
        EntryKind::StatusChange,
        EntryKind::SeverityChange,
        EntryKind::ImpactChange,
        EntryKind::SummaryChange,
        EntryKind::MilestoneEdit,
        EntryKind::AlertGroupLinked,
        EntryKind::ServicesChange,
        EntryKind::AlertFired,
        EntryKind::AlertResolved,
        EntryKind::PageAcknowledged,
        EntryKind::Update,
        EntryKind::UpdateOverdue,
        EntryKind::StatusPageUpdate,
        EntryKind::RecoveryCheck,
        EntryKind::ImpactRecordChange,
        EntryKind::RoleAssigned,
        EntryKind::RoleUnassigned,
        EntryKind::PlaybookApplied,
        EntryKind::ChecklistItem,
        EntryKind::ChecklistOverdue,
        EntryKind::Escalated,
        EntryKind::ActionItemOverdue,
    ];

    /// The kinds people write.
    pub const MANUAL: [EntryKind; 4] = [
        EntryKind::Note,
        EntryKind::Hypothesis,
        EntryKind::Finding,
        EntryKind::Measure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Hypothesis => "hypothesis",
            EntryKind::Finding => "finding",
            EntryKind::Measure => "measure",
            EntryKind::Declared => "declared",
            EntryKind::StatusChange => "status_change",
            EntryKind::SeverityChange => "severity_change",
            EntryKind::ImpactChange => "impact_change",
            EntryKind::SummaryChange => "summary_change",
            EntryKind::MilestoneEdit => "milestone_edit",
            EntryKind::AlertGroupLinked => "alert_group_linked",
            EntryKind::ServicesChange => "services_change",
            EntryKind::AlertFired => "alert_fired",
            EntryKind::AlertResolved => "alert_resolved",
            EntryKind::PageAcknowledged => "page_acknowledged",
            EntryKind::Update => "update",
            EntryKind::UpdateOverdue => "update_overdue",
            EntryKind::StatusPageUpdate => "status_page_update",
            EntryKind::RecoveryCheck => "recovery_check",
            EntryKind::ImpactRecordChange => "impact_record_change",
            EntryKind::RoleAssigned => "role_assigned",
            EntryKind::RoleUnassigned => "role_unassigned",
            EntryKind::PlaybookApplied => "playbook_applied",
            EntryKind::ChecklistItem => "checklist_item",
            EntryKind::ChecklistOverdue => "checklist_overdue",
            EntryKind::Escalated => "escalated",
            EntryKind::ActionItemOverdue => "action_item_overdue",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<EntryKind, FieldError> {
        super::one_of(
            &EntryKind::ALL,
            EntryKind::as_str,
            field,
            "timeline kind",
            value,
        )
    }

    /// Whether people write entries of this kind (and may correct them).
    pub fn is_manual(self) -> bool {
        EntryKind::MANUAL.contains(&self)
    }

    /// A kind people may write: one of [`EntryKind::MANUAL`].
    pub fn parse_manual(field: &str, value: &str) -> Result<EntryKind, FieldError> {
        let kind = EntryKind::parse(field, value)?;
        if !kind.is_manual() {
            return Err(FieldError::new(
                field,
                format!(
                    "{value:?} entries are written by hinomi: write a note, hypothesis, finding or measure"
                ),
            ));
        }
        Ok(kind)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a hypothesis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Open,
    Confirmed,
    Rejected,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Open, Verdict::Confirmed, Verdict::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Open => "open",
            Verdict::Confirmed => "confirmed",
            Verdict::Rejected => "rejected",
        }
    }

    pub fn parse(value: &str) -> Result<Verdict, FieldError> {
        super::one_of(&Verdict::ALL, Verdict::as_str, "verdict", "verdict", value)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict an entry of `kind` carries: a hypothesis has one (open unless given),
/// other kinds none.
pub fn entry_verdict(
    kind: EntryKind,
    verdict: Option<&str>,
) -> Result<Option<Verdict>, FieldError> {
    let given = verdict.map(str::trim).filter(|v| !v.is_empty());
    match (kind, given) {
        (EntryKind::Hypothesis, None) => Ok(Some(Verdict::Open)),
        (EntryKind::Hypothesis, Some(v)) => Verdict::parse(v).map(Some),
        (_, None) => Ok(None),
        (_, Some(_)) => Err(FieldError::new(
            "verdict",
            "only a hypothesis has a verdict",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_write_four_kinds_and_hypotheses_have_verdicts() {
        assert_eq!(
            EntryKind::parse_manual("kind", "Finding").unwrap(),
            EntryKind::Finding
        );
        assert_eq!(
            EntryKind::parse_manual("kind", "status_change")
                .unwrap_err()
                .field,
            "kind"
        );
        assert_eq!(
            EntryKind::parse("kind", "gossip").unwrap_err().field,
            "kind"
        );
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse("kind", k.as_str()).unwrap(), k);
        }
        assert_eq!(
            entry_verdict(EntryKind::Hypothesis, None).unwrap(),
            Some(Verdict::Open)
        );
        assert_eq!(
            entry_verdict(EntryKind::Hypothesis, Some("rejected")).unwrap(),
            Some(Verdict::Rejected)
        );
        assert_eq!(
            entry_verdict(EntryKind::Note, Some("confirmed"))
                .unwrap_err()
                .field,
            "verdict"
        );
        assert_eq!(
            entry_verdict(EntryKind::Hypothesis, Some("maybe"))
                .unwrap_err()
                .field,
            "verdict"
        );
        assert_eq!(entry_verdict(EntryKind::Note, Some(" ")).unwrap(), None);
    }
}
