//! Heartbeat monitors on a simulated clock: a beat that does not come within the period and
//! its grace opens an alert (which pages, when its receiver is bound to a policy), the next
//! beat resolves it, and a monitor stays quiet while beats come on time.

use hinomi_core::ContactKind;
use hinomi_core::escalation::PageStatus;
use hinomi_engine::{AlertQuery, EngineError};
use hinomi_store::HeartbeatRecord;

use super::escalation::{PAGING, audit, step, user};
use super::*;

const HOUR: i64 = 60 * MIN;

/// A monitor of a nightly job: a beat a day, an hour's grace; its token is `token`.
async fn nightly(rig: &Rig, token: &str) -> HeartbeatRecord {
    let h = HeartbeatRecord {
        id: "hb-1".into(),
        name: "backup-verification".into(),
        token_hash: hinomi_engine::escalate::token_hash(token),
        period_ms: 24 * HOUR,
        grace_ms: HOUR,
        labels: [("team", "db")].into_iter().collect(),
        created_at: T0,
        last_beat_at: None,
        due_at: Some(T0 + 25 * HOUR),
        missing_since: None,
    };
    assert!(
        rig.engine
            .store()
            .create_heartbeat(&h, &audit(T0))
            .await
            .unwrap()
    );
    h
}

/// The firing `HeartbeatMissed` alerts.
fn missed(rig: &Rig) -> Vec<LabelSet> {
    rig.engine
        .query_alerts(&AlertQuery::default())
        .into_iter()
        .filter(|v| v.alert.alert.name() == "HeartbeatMissed")
        .map(|v| v.alert.alert.labels.clone())
        .collect()
}

#[tokio::test]
async fn a_missed_beat_pages_and_the_next_beat_resolves_it() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.policy(vec![step(5, vec![user(&aya)])], 0).await;
    let h = nightly(&rig, "tok").await;

    // Beats on time move the timer; nothing fires.
    rig.clock.set(T0 + 20 * HOUR);
    let beat = rig.engine.beat("tok").await.unwrap();
    assert_eq!(beat.due_at, Some(T0 + 45 * HOUR));
    rig.clock.set(T0 + 45 * HOUR - 1);
    assert_eq!(rig.engine.heartbeats_now().await.unwrap(), 0);
    assert!(missed(&rig).is_empty());

    // Past the period and the grace: the alert opens, and through its receiver, a page.
    rig.clock.set(T0 + 45 * HOUR);
    assert_eq!(rig.engine.heartbeats_now().await.unwrap(), 1);
    let labels = missed(&rig);
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0].get("heartbeat"), Some("backup-verification"));
    assert_eq!(labels[0].get("team"), Some("db"));
    let stored = rig.engine.store().heartbeat(&h.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.due_at, stored.missing_since),
        (None, Some(T0 + 45 * HOUR))
    );
    let page = rig.page().await;
    assert_eq!(page.status, PageStatus::Triggered);
    // Once open, the alert is not opened again.
    rig.clock.set(T0 + 46 * HOUR);
    assert_eq!(rig.engine.heartbeats_now().await.unwrap(), 0);

    // The job runs at last: the alert resolves, and with it the page.
    rig.engine.beat("tok").await.unwrap();
    assert!(missed(&rig).is_empty());
    rig.flush(T0 + 46 * HOUR + 5 * MIN).await;
    assert_eq!(rig.reload(&page).await.status, PageStatus::Resolved);
    let events = rig.engine.store().events_for(&[&h.id], 10).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["heartbeat.recovered", "heartbeat.missed"]);

    assert!(matches!(
        rig.engine.beat("not-a-token").await,
        Err(EngineError::NotFound(_))
    ));
}

#[tokio::test]
async fn deleting_a_missing_heartbeat_resolves_its_alert() {
    let rig = Rig::start(PAGING).await;
    let h = nightly(&rig, "tok").await;
    rig.clock.set(T0 + 25 * HOUR);
    assert_eq!(rig.engine.heartbeats_now().await.unwrap(), 1);
    assert_eq!(missed(&rig).len(), 1);
    assert!(rig.engine.delete_heartbeat(&h, &audit(T0)).await.unwrap());
    assert!(missed(&rig).is_empty());
    assert!(rig.engine.store().heartbeat(&h.id).await.unwrap().is_none());
}
