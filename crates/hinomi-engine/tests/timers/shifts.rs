//! Shift start and end notices on a simulated clock: a schedule's handoff tells whoever
//! comes on call and whoever goes off, as each chose, once; an override re-arms the timer
//! and is told when it begins; handoffs long past when the engine comes back are not told.
//! Also here, because it is a page's message that fails: a failed contact method brings the
//! person's next rule forward.

use hinomi_core::ContactKind;
use hinomi_core::escalation::ShiftNotices;
use hinomi_core::oncall::{LayerDef, ScheduleDef, ShiftLengthDef};
use hinomi_store::{OverrideKind, OverrideRecord, ScheduleRecord, ScheduleWrite};

use super::escalation::{PAGING, audit, step, user};
use super::*;

const HOUR: i64 = 60 * MIN;
/// Monday 2026-01-05 10:00 in Tokyo: the weekly handoff after T0 (Thursday 09:00 there).
const HANDOFF: i64 = T0 + 4 * 24 * HOUR + HOUR;

impl Rig {
    /// A weekly schedule of `people` handing off Mondays 10:00 in Tokyo, created at T0.
    async fn weekly(&self, people: &[&str]) {
        let schedule = ScheduleRecord {
            id: "sched-db".into(),
            name: "DB primary".into(),
            description: String::new(),
            team_id: None,
            definition: ScheduleDef {
                time_zone: "Asia/Tokyo".into(),
                layers: vec![LayerDef {
                    name: "weekly".into(),
                    participants: people.iter().map(|p| (*p).to_owned()).collect(),
                    shift_length: ShiftLengthDef {
                        unit: "weeks".into(),
                        count: 1,
                    },
                    start: "2025-12-29T10:00:00+09:00".into(),
                    handoff: "10:00".into(),
                    restriction: None,
                }],
            },
            created_at: T0,
            updated_at: T0,
        };
        let store = self.engine.store();
        let saved = store.create_schedule(&schedule, &audit(T0)).await;
        assert_eq!(saved.unwrap(), ScheduleWrite::Done);
    }

    /// Moves the clock to `at` and tells the handoffs due; answers the notices written.
    async fn shifts_at(&self, at: i64) -> usize {
        self.clock.set(at);
        self.engine
            .shift_notices_now()
            .await
            .expect("shift notices")
            .notices
    }

    /// (kind of notice, contact kind, schedule, at) of each notice sent to `user_id`.
    async fn told(&self, user_id: &str) -> Vec<(String, String, i64)> {
        let rows = self
            .engine
            .store()
            .notices(&format!("user:{user_id}"))
            .await;
        rows.unwrap()
            .iter()
            .map(|m| {
                let envelope: Value = serde_json::from_str(&m.payload).unwrap();
                let kind = &envelope["notice"]["kind"];
                (
                    kind["type"].as_str().unwrap().to_owned(),
                    m.kind.clone(),
                    kind["at"].as_i64().unwrap(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn a_handoff_tells_who_comes_on_and_who_goes_off_once() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    // Ben's first rule calls him: his shift notice goes by his email, the next rule.
    let ben = rig
        .person(
            "ben",
            &[
                (ContactKind::Voice, "+819011112222", 0),
                (ContactKind::Email, "ben@example.com", 2),
            ],
        )
        .await;
    let carol = rig
        .person("carol", &[(ContactKind::Sms, "+819033334444", 0)])
        .await;
    let store = rig.engine.store();
    store
        .set_shift_notices(&ben, ShiftNotices::Start, &audit(T0))
        .await
        .unwrap();
    rig.weekly(&[&aya, &ben]).await;

    // The first pass tells nothing of the past and sets the timer to the next handoff.
    assert_eq!(rig.shifts_at(T0).await, 0);
    assert_eq!(store.next_shift_notice_due().await.unwrap(), Some(HANDOFF));
    assert_eq!(rig.shifts_at(HANDOFF - 1).await, 0);

    // Aya goes off call (she wants both notices), Ben comes on (he wants starts only).
    assert_eq!(rig.shifts_at(HANDOFF).await, 2);
    assert_eq!(
        rig.told(&aya).await,
        [("shift_end".into(), "contact:email".into(), HANDOFF)]
    );
    assert_eq!(
        rig.told(&ben).await,
        [("shift_start".into(), "contact:email".into(), HANDOFF)]
    );
    let rows = store.notices(&format!("user:{ben}")).await.unwrap();
    let envelope: Value = serde_json::from_str(&rows[0].payload).unwrap();
    assert_eq!(envelope["notice"]["kind"]["schedule"], "DB primary");
    assert_eq!(envelope["notice"]["kind"]["end"], HANDOFF + 7 * 24 * HOUR);
    assert_eq!(envelope["contact"]["address"], "ben@example.com");
    assert_eq!(rig.shifts_at(HANDOFF + MIN).await, 0, "told once");
    assert_eq!(
        store.next_shift_notice_due().await.unwrap(),
        Some(HANDOFF + 7 * 24 * HOUR)
    );

    // An override for Carol from +2h to +3h, made at +1h: the change re-arms the timer,
    // and her shift is told when it begins and ends. Ben hears nothing of losing the two
    // hours: he asked for starts only, and his stretch after the override starts anew.
    let sick = OverrideRecord {
        id: "ov-1".into(),
        schedule_id: "sched-db".into(),
        user_id: carol.clone(),
        start_at: HANDOFF + 2 * HOUR,
        end_at: HANDOFF + 3 * HOUR,
        kind: OverrideKind::Override,
        note: "ben at the dentist".into(),
        created_by: "test".into(),
        created_at: HANDOFF + HOUR,
    };
    let added = store.add_override(&sick, &audit(HANDOFF + HOUR)).await;
    assert_eq!(added.unwrap(), ScheduleWrite::Done);
    assert_eq!(
        store.next_shift_notice_due().await.unwrap(),
        Some(HANDOFF + HOUR)
    );
    assert_eq!(rig.shifts_at(HANDOFF + HOUR).await, 0);
    assert_eq!(rig.shifts_at(HANDOFF + 2 * HOUR).await, 1);
    assert_eq!(rig.shifts_at(HANDOFF + 3 * HOUR).await, 2);
    assert_eq!(
        rig.told(&carol).await,
        [
            (
                "shift_start".into(),
                "contact:sms".into(),
                HANDOFF + 2 * HOUR
            ),
            ("shift_end".into(), "contact:sms".into(), HANDOFF + 3 * HOUR),
        ]
    );
    assert_eq!(
        rig.told(&ben).await.last().unwrap(),
        &(
            "shift_start".into(),
            "contact:email".into(),
            HANDOFF + 3 * HOUR
        )
    );
    let events = store.events_for(&["sched-db"], 100).await.unwrap();
    let told: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "schedule.handoff_told")
        .collect();
    assert_eq!(told.len(), 3);
}

#[tokio::test]
async fn handoffs_long_past_are_not_told_after_a_restart() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    rig.weekly(&[&aya, &ben]).await;
    assert_eq!(rig.shifts_at(T0).await, 0);
    // Down from before the handoff until an hour after it: the timer survives the
    // restart, but a notice an hour late is not sent.
    rig.restart().await;
    assert_eq!(rig.shifts_at(HANDOFF + HOUR).await, 0);
    assert!(rig.told(&ben).await.is_empty());
    // Back within minutes of the next one, it is told.
    let next = HANDOFF + 7 * 24 * HOUR;
    assert_eq!(rig.shifts_at(next + 5 * MIN).await, 2);
    assert_eq!(
        rig.told(&aya).await,
        [("shift_start".into(), "contact:email".into(), next)]
    );
}

#[tokio::test]
async fn a_failed_contact_method_brings_the_next_rule_forward() {
    let mut rig = Rig::start(PAGING).await;
    // Aya's webhook fails; her SMS rule waits 3 minutes, her email 10.
    let url = rig.sink.url.clone();
    let aya = rig
        .person(
            "aya",
            &[
                (ContactKind::Webhook, &url, 0),
                (ContactKind::Sms, "+819012345678", 3),
                (ContactKind::Email, "aya@example.com", 10),
            ],
        )
        .await;
    rig.policy(vec![step(30, vec![user(&aya)])], 0).await;
    rig.sink.fail_next.store(1, Ordering::SeqCst);
    rig.post_at(T0, alert(&[("alertname", "DiskFull")], 0, 0))
        .await;
    rig.flush(T0).await;
    assert_eq!(rig.sink.posts.load(Ordering::SeqCst), 1);

    let page = rig.page().await;
    let messages = rig
        .engine
        .store()
        .notices(&format!("page:{}", page.id))
        .await
        .unwrap();
    let due: Vec<(&str, i64)> = messages
        .iter()
        .map(|m| (m.kind.as_str(), m.due_at))
        .collect();
    // The SMS is due now; the email keeps its delay; the webhook retries on its backoff.
    assert!(due.contains(&("contact:sms", T0)), "{due:?} {messages:#?}");
    assert!(due.contains(&("contact:email", T0 + 10 * MIN)), "{due:?}");
    let events = rig.engine.store().events_for(&[&page.id], 100).await;
    let fell: Vec<Value> = events
        .unwrap()
        .iter()
        .filter(|e| e.kind == "page.fell_through")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(fell.len(), 1, "{fell:?}");
    assert_eq!(fell[0]["username"], "aya");
    assert_eq!(fell[0]["failed"], "webhook");
    assert_eq!(fell[0]["next"], "sms");

    // A minute later the webhook's retry goes through, and the SMS fails too (no SMS
    // provider is configured here): the email, her last rule, is brought forward in turn.
    rig.deliver(T0 + MIN).await;
    assert_eq!(rig.sink.received.lock().unwrap().len(), 1);
    let messages = rig
        .engine
        .store()
        .notices(&format!("page:{}", page.id))
        .await
        .unwrap();
    let state = |kind: &str| {
        let m = messages.iter().find(|m| m.kind == kind).unwrap();
        (m.state.clone(), m.due_at)
    };
    assert_eq!(state("contact:webhook").0, "delivered");
    assert_eq!(state("contact:sms"), ("failed".into(), T0));
    assert_eq!(state("contact:email"), ("pending".into(), T0 + MIN));
    let events = rig.engine.store().events_for(&[&page.id], 100).await;
    let fell = events
        .unwrap()
        .iter()
        .filter(|e| e.kind == "page.fell_through")
        .count();
    assert_eq!(fell, 2);
}
