//! Heartbeat monitors at work: a beat moves the monitor's timer (`heartbeats.due_at`); a
//! timer that comes due opens the monitor's alert through the intake writer, like any
//! alert (so it routes, groups and pages as configured); the next beat resolves it.
//!
//! The alert and the monitor's row are written in separate transactions (the intake
//! writer's, then the monitor's), so a crash between them is repaired, not lost: an overdue
//! monitor not yet marked missing is taken again, and writing its alert twice is one alert
//! (same labels, same deduplication key). A beat that lands while a miss is being written
//! is resolved after it, whichever commits first.

use hinomi_core::LabelSet;
use hinomi_core::heartbeat::{self, HeartbeatError};
use hinomi_store::HeartbeatRecord;
use serde_json::json;
use tokio::sync::mpsc;

use crate::escalate::{new_token, token_hash};
use crate::writer::{self, Incoming, WriteOp, WriteRequest};
use crate::{EngineError, Shared};

/// Monitors one pass handles.
pub(crate) const HEARTBEAT_BATCH: i64 = 32;

/// A new monitor expecting a beat every `period_ms` (and `grace_ms` more) from `now`, and
/// its token: the secret in the URL its job calls, shown once (only its hash is kept).
pub fn new_monitor(
    name: &str,
    period_ms: i64,
    grace_ms: i64,
    labels: LabelSet,
    now: i64,
) -> Result<(HeartbeatRecord, String), HeartbeatError> {
    heartbeat::check_name(name)?;
    heartbeat::check(period_ms, grace_ms, &labels)?;
    let token = new_token();
    let record = HeartbeatRecord {
        id: uuid::Uuid::new_v4().simple().to_string()[..24].to_owned(),
        name: name.to_owned(),
        token_hash: token_hash(&token),
        period_ms,
        grace_ms,
        labels,
        created_at: now,
        last_beat_at: None,
        due_at: Some(heartbeat::overdue_at(now, period_ms, grace_ms)),
        missing_since: None,
    };
    Ok((record, token))
}

/// Resolves the alert of `name`, if it has one.
async fn resolve_alert(intake: &mpsc::Sender<WriteRequest>, name: &str) -> Result<(), EngineError> {
    writer::submit(
        intake,
        WriteOp::Resolve {
            dedup: heartbeat::dedup_key(name),
        },
    )
    .await?;
    Ok(())
}

/// Opens the alert of every monitor whose beat is overdue at `now`; answers how many.
pub(crate) async fn check_due(
    shared: &Shared,
    intake: &mpsc::Sender<WriteRequest>,
    now: i64,
) -> Result<usize, EngineError> {
    let due = shared
        .store
        .overdue_heartbeats(now, HEARTBEAT_BATCH)
        .await?;
    for h in &due {
        let alert = heartbeat::missed_alert(&h.name, &h.labels, h.last_beat_at, now);
        let incoming = Incoming::new(alert, Some(heartbeat::dedup_key(&h.name)));
        writer::submit(intake, WriteOp::Alerts(vec![incoming])).await?;
        let mut tx = shared.store.begin().await?;
        let Some(mut current) = tx.lock_heartbeat(&h.id).await? else {
            // Deleted meanwhile: its alert goes with it.
            drop(tx);
            resolve_alert(intake, &h.name).await?;
            continue;
        };
        if current.due_at == h.due_at {
            current.due_at = None;
            current.missing_since = Some(now);
            tx.update_heartbeat_timer(&current).await?;
            let data = json!({ "name": h.name, "last_beat_at": h.last_beat_at });
            tx.append_event(now, "heartbeat.missed", &h.id, "hinomi", &data.to_string())
                .await?;
            tx.commit().await?;
        } else if current.missing_since.is_none() {
            // A beat came while the alert was being written: it stands resolved.
            drop(tx);
            resolve_alert(intake, &h.name).await?;
        }
    }
    Ok(due.len())
}

/// A beat: the monitor whose token this is is on time until its next period (and grace)
/// is over; if its beat was overdue or missing, its alert resolves. Fails with
/// [`EngineError::NotFound`] for a token no monitor has.
pub(crate) async fn beat(
    shared: &Shared,
    intake: &mpsc::Sender<WriteRequest>,
    token: &str,
    now: i64,
) -> Result<HeartbeatRecord, EngineError> {
    let mut tx = shared.store.begin().await?;
    let mut h = tx
        .lock_heartbeat_by_token(&token_hash(token))
        .await?
        .ok_or_else(|| EngineError::NotFound("heartbeat".into()))?;
    let was_missing = h.missing_since.is_some();
    let was_overdue = was_missing || h.due_at.is_some_and(|d| d <= now);
    h.last_beat_at = Some(now);
    h.due_at = Some(heartbeat::overdue_at(now, h.period_ms, h.grace_ms));
    h.missing_since = None;
    tx.update_heartbeat_timer(&h).await?;
    if was_missing {
        let data = json!({ "name": h.name });
        tx.append_event(
            now,
            "heartbeat.recovered",
            &h.id,
            "hinomi",
            &data.to_string(),
        )
        .await?;
    }
    tx.commit().await?;
    if was_overdue {
        resolve_alert(intake, &h.name).await?;
    }
    Ok(h)
}

/// Removes a monitor; its alert, if it has one, resolves.
pub(crate) async fn delete(
    shared: &Shared,
    intake: &mpsc::Sender<WriteRequest>,
    h: &HeartbeatRecord,
    audit: &hinomi_store::AuditEntry,
) -> Result<bool, EngineError> {
    let deleted = shared.store.delete_heartbeat(&h.id, audit).await?;
    if deleted {
        resolve_alert(intake, &h.name).await?;
    }
    Ok(deleted)
}
