//! Delivery: takes notifications out of the outbox and hands them to their channel.
//!
//! Rows written by this instance's flushes arrive pre-leased and go out at once; a poll
//! claims anything else that is due (retries, and rows whose lease ran out because the
//! instance holding them died). Every attempt lands in the delivery log. A delivered row is
//! never sent again; a crash between sending and recording means one resend (at least once).

use std::sync::Arc;
use std::time::Duration;

use hinomi_core::WebhookConfig;
use hinomi_store::{ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, FinishedDelivery};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::Shared;

/// Sends in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// Rows claimed per poll.
const CLAIM_BATCH: i64 = 64;
/// Lease left over a send's timeout, for recording its outcome.
const LEASE_MARGIN_MS: i64 = 2_000;

/// Backoff before attempt `n + 1`: 1 s doubling, at most 5 minutes.
pub(crate) fn backoff_ms(attempts_so_far: i64) -> i64 {
    let exp = attempts_so_far.clamp(0, 9) as u32;
    (1_000i64 << exp).min(300_000)
}

pub(crate) async fn run(
    shared: Shared,
    mut leased: mpsc::UnboundedReceiver<Vec<ClaimedDelivery>>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut in_flight = JoinSet::new();
    let (finished, finished_rx) = mpsc::unbounded_channel();
    let recorder = tokio::spawn(record_rounds(shared.clone(), finished_rx));
    let mut poll = tokio::time::interval(shared.settings.poll_interval);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        while in_flight.try_join_next().is_some() {}
        let rows = tokio::select! {
            rows = leased.recv() => match rows {
                Some(rows) => Ok(rows),
                None => break,
            },
            _ = poll.tick() => claim_due(&shared).await,
            _ = shutdown.changed() => break,
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        for row in rows {
            let permit = permits
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            let shared = shared.clone();
            let finished = finished.clone();
            in_flight.spawn(async move {
                if let Some(done) = deliver(&shared, row).await {
                    let _ = finished.send(done);
                }
                drop(permit);
            });
        }
    }
    // Finish what is in flight; anything not started stays leased and is retried after
    // the lease runs out (or at once on the next start with SQLite).
    while in_flight.join_next().await.is_some() {}
    drop(finished);
    let _ = recorder.await;
}

/// Records finished sends: everything that finished since the last round, in one
/// transaction, so a burst of deliveries costs one commit rather than one each.
async fn record_rounds(shared: Shared, mut finished: mpsc::UnboundedReceiver<FinishedDelivery>) {
    while let Some(first) = finished.recv().await {
        let mut round = vec![first];
        while round.len() < 512 {
            match finished.try_recv() {
                Ok(next) => round.push(next),
                Err(_) => break,
            }
        }
        record(&shared, &round).await;
    }
}

/// Writes finished sends into the delivery log and the outbox.
pub(crate) async fn record(shared: &Shared, round: &[FinishedDelivery]) {
    match shared
        .store
        .finish_deliveries(&shared.instance, round)
        .await
    {
        Ok(held) => {
            for (item, held) in round.iter().zip(held) {
                if !held {
                    tracing::warn!(
                        outbox = item.id,
                        "lease ran out before the delivery was recorded"
                    );
                }
            }
        }
        Err(e) => tracing::error!(error = %e, rows = round.len(), "cannot record deliveries"),
    }
}

/// Leases whatever is due and nobody holds.
pub(crate) async fn claim_due(shared: &Shared) -> hinomi_store::Result<Vec<ClaimedDelivery>> {
    let now = shared.clock.now_ms();
    shared
        .store
        .claim_deliveries(
            &shared.instance,
            now,
            shared.settings.delivery_lease_ms,
            CLAIM_BATCH,
        )
        .await
}

/// Whether this instance may send `row` now. Its lease was taken when the row was written
/// or claimed, and the row may since have waited behind other sends: when too little of
/// the lease is left to cover this send, it is renewed, which fails if the lease ran out
/// and the row was claimed again (by another instance, or by this one's poll). Without
/// this, a backlog longer than the lease is sent twice.
async fn hold_lease(
    shared: &Shared,
    row: &ClaimedDelivery,
    webhook: &WebhookConfig,
    now: i64,
) -> bool {
    let timeout_ms = webhook
        .timeout_ms
        .filter(|ms| *ms > 0)
        .unwrap_or(shared.settings.webhook_timeout.as_millis() as i64);
    let needed = timeout_ms + LEASE_MARGIN_MS;
    if row.lease_until - now >= needed {
        return true;
    }
    let until = now + shared.settings.delivery_lease_ms.max(needed);
    match shared
        .store
        .renew_lease(row.id, &shared.instance, row.lease_until, until)
        .await
    {
        Ok(true) => true,
        Ok(false) => {
            tracing::debug!(
                outbox = row.id,
                "claimed again while it waited; not sending it twice"
            );
            false
        }
        Err(e) => {
            tracing::warn!(outbox = row.id, error = %e, "cannot renew a delivery lease; leaving the row for a retry");
            false
        }
    }
}

/// Sends one notification; answers what to record, or `None` when another claim took the
/// row while it waited.
pub(crate) async fn deliver(shared: &Shared, row: ClaimedDelivery) -> Option<FinishedDelivery> {
    let config = shared.config();
    let webhook = config
        .receivers
        .iter()
        .find(|r| r.name == row.receiver)
        .and_then(|r| r.webhooks.get(row.integration as usize));
    let at = shared.clock.now_ms();
    let (attempt, outcome) = match webhook {
        None => (
            DeliveryAttempt {
                at,
                duration_ms: 0,
                status_code: None,
                error: Some(format!(
                    "receiver {:?} has no webhook #{} any more",
                    row.receiver, row.integration
                )),
            },
            DeliveryOutcome::Failed,
        ),
        Some(webhook) => {
            if !hold_lease(shared, &row, webhook, at).await {
                return None;
            }
            let (report, took) = shared.sender.send(webhook, row.payload.clone()).await;
            let outcome = if report.delivered() {
                DeliveryOutcome::Delivered
            } else if report.retryable && row.attempts + 1 < shared.settings.max_attempts {
                DeliveryOutcome::Retry {
                    due_at: shared.clock.now_ms() + backoff_ms(row.attempts),
                }
            } else {
                DeliveryOutcome::Failed
            };
            (
                DeliveryAttempt {
                    at,
                    duration_ms: took.as_millis() as i64,
                    status_code: report.status_code.map(i64::from),
                    error: report.error,
                },
                outcome,
            )
        }
    };
    let label = match outcome {
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Retry { .. } => "retry",
        DeliveryOutcome::Failed => "failed",
    };
    metrics::counter!("hinomi_notifications_total", "integration" => "webhook", "outcome" => label)
        .increment(1);
    if let Some(ms) = (outcome == DeliveryOutcome::Delivered).then_some(at - row.created_at) {
        metrics::histogram!("hinomi_notification_queue_seconds").record(ms as f64 / 1000.0);
    }
    if let Some(err) = &attempt.error {
        tracing::warn!(outbox = row.id, receiver = %row.receiver, attempt = row.attempts + 1, outcome = label, error = %err, "webhook delivery failed");
    }
    Some(FinishedDelivery {
        id: row.id,
        attempt,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(9), 300_000);
        assert_eq!(backoff_ms(40), 300_000);
    }
}
