//! Delivery: takes notifications out of the outbox and hands them to their channel.
//!
//! Rows written by this instance's flushes arrive pre-leased and go out at once; a poll
//! claims anything else that is due (retries, and rows whose lease ran out because the
//! instance holding them died). Every attempt lands in the delivery log. A delivered row is
//! never sent again; a crash between sending and recording means one resend (at least once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hinomi_core::{Config, ContactKind, Envelope, Integration, IntegrationKind};
use hinomi_notify::channels::email::StatusMail;
use hinomi_notify::channels::webhook::StatusPost;
use hinomi_notify::{SendReport, receivers};
use hinomi_store::{
    ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, FinishedDelivery, NewNotice,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::Shared;

/// Sends in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// Rows claimed per poll.
const CLAIM_BATCH: i64 = 64;
/// Lease left over a send's timeout, for recording its outcome.
const LEASE_MARGIN_MS: i64 = 2_000;
/// The kind of outbox rows that carry an [`Envelope`] to a person: `contact:<kind>`.
pub const CONTACT_PREFIX: &str = "contact:";
/// The kind of outbox rows that carry a status page update to a webhook subscriber; the
/// payload is a [`StatusPost`].
pub const STATUS_WEBHOOK: &str = "status:webhook";
/// The kind of outbox rows that carry a status page mail to an email subscriber (its
/// confirmation, or an update); the payload is a [`StatusMail`].
pub const STATUS_EMAIL: &str = "status:email";

/// A message to a person outside any page (a test message, a shift notice), due now and
/// leased to this instance, which delivers it once the transaction that writes it commits.
pub(crate) fn to_person_now(
    shared: &Shared,
    idempotency_key: String,
    user_id: &str,
    envelope: &Envelope,
    now: i64,
) -> NewNotice {
    NewNotice {
        idempotency_key,
        group_key: String::new(),
        receiver: format!("user:{user_id}"),
        integration: 0,
        kind: format!("{CONTACT_PREFIX}{}", envelope.contact.kind.as_str()),
        payload: serde_json::to_string(envelope).expect("envelopes serialise"),
        created_at: now,
        due_at: now,
        lease: Some((
            shared.instance.clone(),
            now + shared.settings.delivery_lease_ms,
        )),
    }
}

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
/// the lease is left to cover this send (`timeout_ms`), it is renewed, which fails if the
/// lease ran out and the row was claimed again (by another instance, or by this one's
/// poll). Without this, a backlog longer than the lease is sent twice.
async fn hold_lease(shared: &Shared, row: &ClaimedDelivery, timeout_ms: i64, now: i64) -> bool {
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

/// What an outbox row is sent to.
enum Target<'a> {
    /// A person's contact method (`contact:<kind>` rows written by paging).
    Contact(Box<Envelope>),
    /// An integration of an Alertmanager receiver.
    Integration(Integration<'a>),
    /// A status page update for a webhook subscriber (`status:webhook` rows).
    StatusWebhook(Box<StatusPost>),
    /// A status page mail for an email subscriber (`status:email` rows).
    StatusEmail(Box<StatusMail>),
}

/// Where `row` goes, or why it cannot go anywhere (final).
fn target<'a>(config: &'a Config, row: &ClaimedDelivery) -> Result<Target<'a>, String> {
    if let Some(kind) = row.kind.strip_prefix(CONTACT_PREFIX) {
        let envelope: Envelope = serde_json::from_str(&row.payload)
            .map_err(|e| format!("the envelope is not readable: {e}"))?;
        if envelope.contact.kind.as_str() != kind {
            return Err(format!(
                "the envelope is for {}, the row for {kind}",
                envelope.contact.kind.as_str()
            ));
        }
        return Ok(Target::Contact(Box::new(envelope)));
    }
    if row.kind == STATUS_WEBHOOK {
        let post: StatusPost = serde_json::from_str(&row.payload)
            .map_err(|e| format!("the status update is not readable: {e}"))?;
        return Ok(Target::StatusWebhook(Box::new(post)));
    }
    if row.kind == STATUS_EMAIL {
        let mail: StatusMail = serde_json::from_str(&row.payload)
            .map_err(|e| format!("the status mail is not readable: {e}"))?;
        return Ok(Target::StatusEmail(Box::new(mail)));
    }
    let kind = IntegrationKind::parse(&row.kind)
        .ok_or_else(|| format!("{} is not delivered by hinomi", row.kind))?;
    config
        .receiver(&row.receiver)
        .and_then(|r| r.integration(kind, row.integration))
        .map(Target::Integration)
        .ok_or_else(|| {
            format!(
                "receiver {:?} has no {} #{} any more",
                row.receiver,
                kind.name(),
                row.integration - kind.base()
            )
        })
}

/// Sends one notification; answers what to record, or `None` when another claim took the
/// row while it waited, or its channel's throttle put it off.
pub(crate) async fn deliver(shared: &Shared, row: ClaimedDelivery) -> Option<FinishedDelivery> {
    let config = shared.config();
    let at = shared.clock.now_ms();
    let default_timeout_ms = shared.settings.webhook_timeout.as_millis() as i64;
    let (report, took_ms) = match target(&config, &row) {
        Err(error) => (SendReport::failed(error, false), 0),
        Ok(target) => {
            let timeout_ms = match &target {
                Target::Integration(i) => i.timeout_ms().unwrap_or(default_timeout_ms),
                Target::Contact(_) | Target::StatusWebhook(_) | Target::StatusEmail(_) => {
                    default_timeout_ms
                }
            };
            if let Target::Contact(envelope) = &target
                && let Err(ready_at) = shared.throttle.take(envelope.contact.kind, at)
            {
                defer(shared, &row, envelope.contact.kind, ready_at).await;
                return None;
            }
            if !hold_lease(shared, &row, timeout_ms, at).await {
                return None;
            }
            let started = Instant::now();
            let report = match target {
                Target::Contact(envelope) => shared.channels.send(&envelope, at).await,
                Target::StatusWebhook(post) => shared.channels.send_status_webhook(&post, at).await,
                Target::StatusEmail(mail) => shared.channels.send_status_email(&mail, at).await,
                Target::Integration(integration) => {
                    let timeout = Duration::from_millis(timeout_ms as u64);
                    receivers::send(
                        &shared.sender,
                        &config.template_set,
                        integration,
                        &row.payload,
                        timeout,
                        at,
                    )
                    .await
                }
            };
            let took = started.elapsed();
            metrics::histogram!("hinomi_notification_send_seconds", "integration" => row.kind.clone())
                .record(took.as_secs_f64());
            (report, took.as_millis() as i64)
        }
    };
    let outcome = if report.delivered() {
        DeliveryOutcome::Delivered
    } else if report.retryable && row.attempts + 1 < shared.settings.max_attempts {
        DeliveryOutcome::Retry {
            due_at: shared.clock.now_ms() + backoff_ms(row.attempts),
        }
    } else {
        DeliveryOutcome::Failed
    };
    let label = match outcome {
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Retry { .. } => "retry",
        DeliveryOutcome::Failed => "failed",
    };
    metrics::counter!("hinomi_notifications_total", "integration" => row.kind.clone(), "outcome" => label)
        .increment(1);
    if let Some(ms) = (outcome == DeliveryOutcome::Delivered).then_some(at - row.created_at) {
        metrics::histogram!("hinomi_notification_queue_seconds").record(ms as f64 / 1000.0);
    }
    if let Some(err) = &report.error {
        tracing::warn!(outbox = row.id, kind = %row.kind, receiver = %row.receiver, attempt = row.attempts + 1, outcome = label, error = %err, "delivery failed");
    }
    Some(FinishedDelivery {
        id: row.id,
        attempt: DeliveryAttempt {
            at,
            duration_ms: took_ms,
            status_code: report.status_code.map(i64::from),
            error: report.error,
            answer: report.answer,
        },
        outcome,
    })
}

/// Gives a throttled row back, due when its channel has room again.
async fn defer(shared: &Shared, row: &ClaimedDelivery, kind: ContactKind, ready_at: i64) {
    metrics::counter!("hinomi_notifications_throttled_total", "integration" => row.kind.clone())
        .increment(1);
    tracing::debug!(
        outbox = row.id,
        kind = kind.as_str(),
        ready_at,
        "throttled; sending later"
    );
    if let Err(e) = shared
        .store
        .defer_delivery(row.id, &shared.instance, ready_at)
        .await
    {
        tracing::warn!(outbox = row.id, error = %e, "cannot put off a throttled delivery; it is retried when its lease runs out");
    }
}

/// Token buckets, one per contact kind: at most `per_minute` sends in any minute on this
/// instance, the full minute's allowance usable at once. Rows over the limit wait in the
/// outbox (their due time moved) instead of in memory.
#[derive(Debug)]
pub(crate) struct ChannelThrottle {
    per_minute: HashMap<ContactKind, u32>,
    buckets: Mutex<HashMap<ContactKind, Bucket>>,
}

/// A bucket's fill in 1/60,000ths of a send, so that a rate per minute refills a whole
/// number of units each millisecond and the arithmetic is exact.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: i64,
    at: i64,
}

/// Units one send costs.
const UNITS_PER_SEND: i64 = 60_000;

impl ChannelThrottle {
    /// A kind missing from `per_minute`, or given 0, is not throttled.
    pub(crate) fn new(per_minute: HashMap<ContactKind, u32>) -> ChannelThrottle {
        ChannelThrottle {
            per_minute,
            buckets: Mutex::default(),
        }
    }

    /// Takes one send of `kind` at `now`, or answers when one will be free.
    pub(crate) fn take(&self, kind: ContactKind, now: i64) -> Result<(), i64> {
        let rate = match self.per_minute.get(&kind) {
            Some(r) if *r > 0 => i64::from(*r),
            _ => return Ok(()),
        };
        let capacity = rate * UNITS_PER_SEND;
        let mut buckets = self.buckets.lock().expect("throttle lock");
        let bucket = buckets.entry(kind).or_insert(Bucket {
            units: capacity,
            at: now,
        });
        let elapsed = (now - bucket.at).max(0);
        bucket.units = (bucket.units + elapsed * rate).min(capacity);
        bucket.at = bucket.at.max(now);
        if bucket.units >= UNITS_PER_SEND {
            bucket.units -= UNITS_PER_SEND;
            Ok(())
        } else {
            let missing = UNITS_PER_SEND - bucket.units;
            Err(now + (missing + rate - 1) / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, receiver: &str, integration: i64, payload: &str) -> ClaimedDelivery {
        ClaimedDelivery {
            id: 1,
            group_key: String::new(),
            receiver: receiver.into(),
            integration,
            kind: kind.into(),
            payload: payload.into(),
            attempts: 0,
            created_at: 0,
            lease_until: 0,
        }
    }

    /// Where `row` goes: `Ok` names the integration kind or contact kind.
    fn check(config: &Config, row: ClaimedDelivery, expect: Result<&str, &str>) {
        let got = target(config, &row).map(|t| match t {
            Target::Contact(e) => format!("contact {}", e.contact.kind.as_str()),
            Target::Integration(i) => format!("integration {}", i.kind().name()),
            Target::StatusWebhook(p) => format!("status webhook {}", p.url),
            Target::StatusEmail(m) => format!("status email {}", m.to),
        });
        match expect {
            Ok(want) => assert_eq!(got.as_deref(), Ok(want)),
            Err(fragment) => {
                let err = got.unwrap_err();
                assert!(err.contains(fragment), "{err}");
            }
        }
    }

    #[test]
    fn rows_find_their_integration_or_say_why_not() {
        let config = Config::parse(
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{url: 'http://w/'}]\n    msteams_configs: [{webhook_url: 'http://t/'}]\n",
        )
        .unwrap();
        let envelope = r#"{"contact":{"kind":"sms","address":"+8190"},"notice":{"kind":{"type":"resolved"},"locale":"ja","recipient":"r","page_id":null,"title":"t","alerts":[],"console_url":null,"actions":[],"at":0}}"#;
        for (kind, receiver, integration, payload, expect) in [
            ("webhook", "r", 0, "", Ok("integration webhook")),
            ("msteams", "r", 6000, "", Ok("integration msteams")),
            ("contact:sms", "page:1", 0, envelope, Ok("contact sms")),
            (
                "status:webhook",
                "status_subscriber:s1",
                0,
                r#"{"url":"http://w/","body":{}}"#,
                Ok("status webhook http://w/"),
            ),
            (
                "status:webhook",
                "status_subscriber:s1",
                0,
                "{}",
                Err("the status update is not readable"),
            ),
            (
                "status:email",
                "status_subscriber:s2",
                0,
                r#"{"to":"a@example.org","subject":"s","text":"t","html":"h","unsubscribe":null}"#,
                Ok("status email a@example.org"),
            ),
            (
                "status:email",
                "status_subscriber:s2",
                0,
                "{}",
                Err("the status mail is not readable"),
            ),
            (
                "contact:voice",
                "page:1",
                0,
                envelope,
                Err("the envelope is for sms, the row for voice"),
            ),
            (
                "contact:sms",
                "page:1",
                0,
                "{}",
                Err("the envelope is not readable"),
            ),
            (
                "msteams",
                "r",
                6001,
                "",
                Err("receiver \"r\" has no msteams #1 any more"),
            ),
            (
                "email",
                "gone",
                2000,
                "",
                Err("receiver \"gone\" has no email #0 any more"),
            ),
            (
                "pushover_configs",
                "r",
                1000,
                "",
                Err("pushover_configs is not delivered by hinomi"),
            ),
        ] {
            check(&config, row(kind, receiver, integration, payload), expect);
        }
    }

    #[test]
    fn the_throttle_allows_a_minutes_worth_then_paces() {
        let t = ChannelThrottle::new(HashMap::from([
            (ContactKind::Voice, 2),
            (ContactKind::Email, 0),
        ]));
        assert_eq!(t.take(ContactKind::Voice, 0), Ok(()));
        assert_eq!(t.take(ContactKind::Voice, 0), Ok(()));
        assert_eq!(t.take(ContactKind::Voice, 0), Err(30_000), "one every 30 s");
        assert_eq!(t.take(ContactKind::Voice, 29_999), Err(30_000));
        assert_eq!(t.take(ContactKind::Voice, 30_000), Ok(()));
        for _ in 0..100 {
            assert_eq!(t.take(ContactKind::Email, 0), Ok(()), "0 is no limit");
            assert_eq!(
                t.take(ContactKind::Slack, 0),
                Ok(()),
                "unlisted is no limit"
            );
        }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(9), 300_000);
        assert_eq!(backoff_ms(40), 300_000);
    }
}
