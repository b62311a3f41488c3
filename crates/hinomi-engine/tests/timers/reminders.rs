//! Incident reminders on a simulated clock: a SEV1 declared with its incident manager gets
//! the seed's first-response checklist; when a phase's deadline passes, each unchecked item
//! reminds its role's holders (else the incident manager) once, through their notification
//! rules, with a `checklist_overdue` timeline entry; a checked item does not remind, and
//! one unchecked before it reminded is re-armed. An update owed to stakeholders by the
//! severity's cadence reminds the incident manager once; each update sent re-arms it.

use hinomi_core::ContactKind;
use hinomi_core::incident::{EntryKind, Impact, Milestones, PolicyDef, Severity, SeverityPolicy};
use hinomi_engine::RoleInput;
use hinomi_store::{ItemChange, NewIncident};

use super::escalation::PAGING;
use super::*;

impl Rig {
    /// Moves the clock to `at` and runs the reminders due; answers (claimed, fired).
    async fn remind_at(&self, at: i64) -> (usize, usize) {
        self.clock.set(at);
        let r = self.engine.reminders_now().await.expect("reminders");
        (r.reminders, r.fired)
    }
}

/// The seed's SEV1, declared with no team named.
fn seed_incident() -> NewIncident {
    NewIncident {
        id: "inc-1".into(),
        title: "受注システム全面障害".into(),
        summary: String::new(),
        severity: Severity::Sev1,
        impact: Impact::default(),
        milestones: Milestones::default(),
        services: Vec::new(),
        alert_groups: Vec::new(),
        suggestion: None,
    }
}

#[tokio::test]
async fn overdue_checklist_items_remind_their_people_once() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    // No update cadence here: only the checklist's reminders.
    let mut def = PolicyDef::default();
    for level in &mut def.severities {
        level.update_every_minutes = None;
    }
    let policy = def.build().unwrap();
    let new = seed_incident();
    let team = [RoleInput {
        role: "system_expert".into(),
        user: Some("ben".into()),
        contact: None,
    }];
    let (incident, given) = rig
        .engine
        .declare_incident(&policy, &new, &team, Some(&aya), "aya")
        .await
        .unwrap()
        .unwrap();
    // The declarer leads; Ben is the system expert. Both were paged.
    assert_eq!(given.len(), 2);
    assert_eq!(given[0].assignment.role, "incident_manager");
    let store = rig.engine.store();
    let items = store.checklist(&incident.id).await.unwrap();
    assert_eq!(items.len(), 8);
    assert_eq!(
        store.next_reminder_due().await.unwrap(),
        Some(T0 + 60 * MIN)
    );
    // "Declare the incident" is done.
    store
        .change_checklist_item(
            &incident.id,
            items[0].id,
            &ItemChange::Check(true),
            "aya",
            T0,
        )
        .await
        .unwrap()
        .unwrap();

    // Not before the deadline; at it, the three unchecked items of the first hour remind,
    // all to Aya: two are the incident manager's or the technical lead's, and nobody
    // holds technical lead.
    assert_eq!(rig.remind_at(T0 + 59 * MIN).await, (0, 0));
    assert_eq!(rig.remind_at(T0 + 60 * MIN).await, (3, 3));
    assert_eq!(rig.remind_at(T0 + 61 * MIN).await, (0, 0), "once");
    let overdue = store
        .incident_timeline(&incident.id, &[EntryKind::ChecklistOverdue])
        .await
        .unwrap();
    assert_eq!(overdue.len(), 3);
    assert_eq!(overdue[0].text, "対応チーム編成");
    assert!(
        overdue[0].data.contains("\"reminded\":[\"aya\"]"),
        "{}",
        overdue[0].data
    );
    let mut sent = Vec::new();
    for id in 1..=8 {
        for n in store
            .notices(&format!("incident_reminder:{id}"))
            .await
            .unwrap()
        {
            let envelope: Value = serde_json::from_str(&n.payload).unwrap();
            sent.push((n.kind, envelope));
        }
    }
    assert_eq!(sent.len(), 3);
    let (kind, envelope) = &sent[0];
    assert_eq!(kind, "contact:email");
    assert_eq!(envelope["contact"]["address"], "aya@example.com");
    assert_eq!(envelope["notice"]["locale"], "en");
    assert_eq!(envelope["notice"]["kind"]["type"], "checklist_overdue");
    assert_eq!(envelope["notice"]["kind"]["item"], "Form the response team");
    assert_eq!(envelope["notice"]["kind"]["due_at"], T0 + 60 * MIN);

    // Unchecked before it reminded, the declaration item is re-armed and reminds now.
    store
        .change_checklist_item(
            &incident.id,
            items[0].id,
            &ItemChange::Check(false),
            "aya",
            T0 + 62 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rig.remind_at(T0 + 62 * MIN).await, (1, 1));

    // The second phase: the system expert's two items go to Ben, the rest to Aya.
    assert_eq!(rig.remind_at(T0 + 180 * MIN).await, (4, 4));
    let overdue = store
        .incident_timeline(&incident.id, &[EntryKind::ChecklistOverdue])
        .await
        .unwrap();
    let to_ben = overdue
        .iter()
        .filter(|e| e.data.contains("\"reminded\":[\"ben\"]"))
        .count();
    assert_eq!(to_ben, 2);
    assert_eq!(store.next_reminder_due().await.unwrap(), None);
}

#[tokio::test]
async fn an_update_owed_to_stakeholders_reminds_the_incident_manager_once() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    // A SEV1 owes an update every 30 minutes; no playbook, to hear the cadence alone.
    let mut def = PolicyDef::default();
    def.playbooks.clear();
    let policy: SeverityPolicy = def.build().unwrap();
    let (incident, _) = rig
        .engine
        .declare_incident(&policy, &seed_incident(), &[], Some(&aya), "aya")
        .await
        .unwrap()
        .unwrap();
    let store = rig.engine.store();
    assert_eq!(
        store.next_reminder_due().await.unwrap(),
        Some(T0 + 30 * MIN)
    );
    assert_eq!(rig.remind_at(T0 + 29 * MIN).await, (0, 0));
    assert_eq!(rig.remind_at(T0 + 30 * MIN).await, (1, 1));
    assert_eq!(rig.remind_at(T0 + 45 * MIN).await, (0, 0), "once");
    let overdue = store
        .incident_timeline(&incident.id, &[EntryKind::UpdateOverdue])
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1);
    assert!(
        overdue[0].data.contains("\"reminded\":[\"aya\"]"),
        "{}",
        overdue[0].data
    );
    let sent: Vec<Value> = store
        .notices("incident_reminder:1")
        .await
        .unwrap()
        .iter()
        .map(|n| serde_json::from_str(&n.payload).unwrap())
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["notice"]["kind"]["type"], "update_overdue");
    assert_eq!(sent[0]["notice"]["kind"]["due_at"], T0 + 30 * MIN);

    // An update at 50 minutes re-arms the cadence from then; resolving clears it.
    rig.clock.set(T0 + 50 * MIN);
    store
        .post_incident_update(
            &incident.id,
            &hinomi_store::NewUpdate {
                text: "調査中".into(),
                data: serde_json::json!({}),
                notices: Vec::new(),
                next_due: Some(T0 + 80 * MIN),
            },
            "aya",
            T0 + 50 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.next_reminder_due().await.unwrap(),
        Some(T0 + 80 * MIN)
    );
    store
        .change_incident(
            &incident.id,
            &[hinomi_store::IncidentChange::Status {
                to: hinomi_core::incident::Status::Resolved,
                reason: None,
            }],
            &policy,
            "aya",
            T0 + 60 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.next_reminder_due().await.unwrap(), None);
}
