//! Incident reminders on a simulated clock: a SEV1 declared with its incident manager gets
//! the seed's first-response checklist; when a phase's deadline passes, each unchecked item
//! reminds its role's holders (else the incident manager) once, through their notification
//! rules, with a `checklist_overdue` timeline entry; a checked item does not remind, and
//! one unchecked before it reminded is re-armed. An update owed to stakeholders by the
//! severity's cadence reminds the incident manager once; each update sent re-arms it.
//! The seed's escalation criteria page the executive liaison of a SEV1 (or of an incident
//! found to hurt more than 100 customers) at once, and the incident manager and executive
//! liaison of one still open four hours after its declaration, once each. An overdue
//! action item reminds its owner from the midnight ending its due date in Tokyo, then the
//! incident manager three days later; one done meanwhile reminds nobody.

use hinomi_core::ContactKind;
use hinomi_core::incident::action_item::{Category, Horizon, ItemStatus};
use hinomi_core::incident::{EntryKind, Impact, Milestones, PolicyDef, Severity, SeverityPolicy};
use hinomi_engine::RoleInput;
use hinomi_store::{ActionItemPatch, IncidentChange, ItemChange, NewActionItem, NewIncident};

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
    // No update cadence or escalation criteria here: only the checklist's reminders.
    let mut def = PolicyDef::default();
    for level in &mut def.severities {
        level.update_every_minutes = None;
    }
    def.escalations.clear();
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
    // A SEV1 owes an update every 30 minutes; no playbook or criteria, to hear the cadence
    // alone.
    let mut def = PolicyDef::default();
    def.playbooks.clear();
    def.escalations.clear();
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

/// Every notice written for the reminders, as (receiver, address, notice kind).
async fn reminder_notices(store: &hinomi_store::Store) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for id in 1..=40 {
        let receiver = format!("incident_reminder:{id}");
        for n in store.notices(&receiver).await.unwrap() {
            let envelope: Value = serde_json::from_str(&n.payload).unwrap();
            out.push((
                receiver.clone(),
                envelope["contact"]["address"].as_str().unwrap().to_owned(),
                envelope["notice"]["kind"].clone(),
            ));
        }
    }
    out
}

/// The seed's policy without its playbooks, so only the criteria and the cadence remind.
fn criteria_policy() -> SeverityPolicy {
    let mut def = PolicyDef::default();
    def.playbooks.clear();
    for level in &mut def.severities {
        level.update_every_minutes = None;
    }
    def.build().unwrap()
}

#[tokio::test]
async fn escalation_criteria_page_the_executive_liaison_and_escalate_after_four_hours() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.person("kei", &[(ContactKind::Email, "kei@example.com", 0)])
        .await;
    let policy = criteria_policy();
    // A SEV2 with 30 customers: no criterion holds but the four-hour one.
    let new = NewIncident {
        severity: Severity::Sev2,
        impact: Impact {
            customers_affected: Some(30),
            ..Impact::default()
        },
        ..seed_incident()
    };
    let team = [RoleInput {
        role: "executive_liaison".into(),
        user: Some("kei".into()),
        contact: None,
    }];
    let (incident, _) = rig
        .engine
        .declare_incident(&policy, &new, &team, Some(&aya), "aya")
        .await
        .unwrap()
        .unwrap();
    let store = rig.engine.store();
    assert_eq!(
        store.next_reminder_due().await.unwrap(),
        Some(T0 + 240 * MIN)
    );
    assert_eq!(rig.remind_at(T0 + 10 * MIN).await, (0, 0));

    // The team finds 1,000 customers hurt: the executive liaison is paged at once, once.
    let change = |at: i64, changes: Vec<IncidentChange>| {
        let store = store.clone();
        let policy = policy.clone();
        let id = incident.id.clone();
        async move {
            store
                .change_incident(&id, &changes, &policy, "aya", at)
                .await
                .unwrap()
                .unwrap()
        }
    };
    change(
        T0 + 20 * MIN,
        vec![IncidentChange::Impact(Impact {
            customers_affected: Some(1_000),
            ..Impact::default()
        })],
    )
    .await;
    assert_eq!(rig.remind_at(T0 + 20 * MIN).await, (1, 1));
    // Raising it to SEV1 later does not page again: the criterion acted.
    change(
        T0 + 30 * MIN,
        vec![IncidentChange::Severity {
            to: Severity::Sev1,
            reason: None,
        }],
    )
    .await;
    assert_eq!(rig.remind_at(T0 + 30 * MIN).await, (0, 0), "once");
    let sent = reminder_notices(store).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].1, "kei@example.com");
    assert_eq!(sent[0].2["type"], "incident_escalated");
    assert_eq!(
        sent[0].2["reason"],
        "customers_affected 1000 is at least 101"
    );

    // Still open four hours after the declaration: the incident manager and the
    // executive liaison are paged.
    assert_eq!(rig.remind_at(T0 + 239 * MIN).await, (0, 0));
    assert_eq!(rig.remind_at(T0 + 240 * MIN).await, (1, 1));
    let sent = reminder_notices(store).await;
    let mut late: Vec<&str> = sent[1..].iter().map(|(_, a, _)| a.as_str()).collect();
    late.sort_unstable();
    assert_eq!(late, ["aya@example.com", "kei@example.com"]);
    let entries = store
        .incident_timeline(&incident.id, &[EntryKind::Escalated])
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries[0]
            .data
            .contains("\"criterion\":\"executive_liaison\"")
            && entries[0].data.contains("\"paged\":[\"kei\"]"),
        "{}",
        entries[0].data
    );
    assert!(
        entries[1].text.starts_with("宣言から4時間未解決"),
        "{}",
        entries[1].text
    );
    assert_eq!(store.next_reminder_due().await.unwrap(), None);
}

#[tokio::test]
async fn a_criterion_nobody_can_answer_tells_the_lead_and_a_resolved_incident_is_left_alone() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let policy = criteria_policy();
    let (first, _) = rig
        .engine
        .declare_incident(&policy, &seed_incident(), &[], Some(&aya), "aya")
        .await
        .unwrap()
        .unwrap();
    // A SEV1 with nobody as executive liaison: its incident manager hears of it, and the
    // timeline says the role was not held.
    assert_eq!(rig.remind_at(T0).await, (1, 1));
    let store = rig.engine.store();
    let entries = store
        .incident_timeline(&first.id, &[EntryKind::Escalated])
        .await
        .unwrap();
    assert!(
        entries[0].data.contains("\"paged\":[\"aya\"]")
            && entries[0]
                .data
                .contains("\"unheld_roles\":[\"executive_liaison\"]"),
        "{}",
        entries[0].data
    );
    // Resolved within the four hours: the late criterion does not act.
    store
        .change_incident(
            &first.id,
            &[IncidentChange::Status {
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
    assert_eq!(rig.remind_at(T0 + 300 * MIN).await, (0, 0));
}

#[tokio::test]
async fn overdue_action_items_remind_their_owner_then_the_incident_manager() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    let mut def = PolicyDef::default();
    def.playbooks.clear();
    def.escalations.clear();
    for level in &mut def.severities {
        level.update_every_minutes = None;
    }
    let policy = def.build().unwrap();
    let (incident, _) = rig
        .engine
        .declare_incident(&policy, &seed_incident(), &[], Some(&aya), "aya")
        .await
        .unwrap()
        .unwrap();
    let store = rig.engine.store();
    // T0 is 2026-01-01 09:00 in Tokyo; items due on the 5th are overdue from the 6th,
    // 00:00 JST (the 5th, 15:00 UTC).
    let due = "2026-01-05".parse().unwrap();
    let item = |id: &str, title: &str| NewActionItem {
        id: id.into(),
        category: Category::System,
        horizon: Horizon::Short,
        title: title.into(),
        owner_id: Some(ben.clone()),
        due: Some(due),
        ticket_url: None,
        source: "manual".into(),
    };
    store
        .add_action_items(
            &incident.id,
            &[
                item("ai-1", "接続プール監視"),
                item("ai-2", "キャッシュ増強"),
            ],
            false,
            policy.chase(),
            "aya",
            T0,
        )
        .await
        .unwrap()
        .unwrap();
    let overdue_at = T0 + 4 * 24 * 60 * MIN + 15 * 60 * MIN;
    assert_eq!(store.next_reminder_due().await.unwrap(), Some(overdue_at));
    // The second is done before its date: only the first is chased.
    store
        .update_action_item(
            "ai-2",
            &ActionItemPatch {
                status: Some(ItemStatus::Done),
                ..ActionItemPatch::default()
            },
            policy.chase(),
            "ben",
            T0 + MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rig.remind_at(overdue_at - MIN).await, (0, 0));
    assert_eq!(rig.remind_at(overdue_at).await, (1, 1));
    let sent = reminder_notices(store).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].1, "ben@example.com");
    assert_eq!(sent[0].2["type"], "action_item_overdue");
    assert_eq!(sent[0].2["due"], "2026-01-05");
    assert_eq!(sent[0].2["to_lead"], false);
    // Three days on, still open: the incident manager hears of it.
    let lead_at = overdue_at + 3 * 24 * 60 * MIN;
    assert_eq!(store.next_reminder_due().await.unwrap(), Some(lead_at));
    assert_eq!(rig.remind_at(lead_at).await, (1, 1));
    let sent = reminder_notices(store).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].1, "aya@example.com");
    assert_eq!(sent[1].2["to_lead"], true);
    assert_eq!(sent[1].2["owner"], "ben");
    let entries = store
        .incident_timeline(&incident.id, &[EntryKind::ActionItemOverdue])
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].text, "接続プール監視");

    // A new due date chases again from its owner; done, nothing more is due.
    let later = "2026-01-20".parse().unwrap();
    store
        .update_action_item(
            "ai-1",
            &ActionItemPatch {
                due: Some(Some(later)),
                ..ActionItemPatch::default()
            },
            policy.chase(),
            "ben",
            lead_at + MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.next_reminder_due().await.unwrap(),
        Some(policy.chase().overdue_at(later))
    );
    store
        .update_action_item(
            "ai-1",
            &ActionItemPatch {
                status: Some(ItemStatus::Done),
                ..ActionItemPatch::default()
            },
            policy.chase(),
            "ben",
            lead_at + 2 * MIN,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.next_reminder_due().await.unwrap(), None);
}
