//! The intake writer: one task per database that commits everything queued since its last
//! commit in one transaction, then answers every waiting request. One fsync serves many
//! requests, and a request is answered only after its data is durable.

use std::collections::HashMap;
use std::sync::Arc;

use hinomi_core::{Alert, Config, Fingerprint};
use hinomi_store::{Backend, ClaimedDelivery, Durable, NewGroup, StoredAlert, WriteTx};
use tokio::sync::{mpsc, oneshot};

use crate::{EngineError, Shared, dispatch};

/// Most alerts committed in one transaction; more wait for the next commit.
const MAX_BATCH_ALERTS: usize = 20_000;

/// How often the writer lets other tasks run before it concludes no request is coming.
const YIELDS_BEFORE_IDLE: usize = 2;

/// Most due groups one intake commit flushes itself.
const INLINE_FLUSHES: usize = dispatch::FLUSH_BATCH as usize;

/// One alert as it enters: already normalised (times set) and validated.
#[derive(Debug, Clone)]
pub struct Incoming {
    alert: Alert,
    fingerprint: Fingerprint,
    dedup: Option<String>,
}

impl Incoming {
    /// An alert to store. `dedup` is set for alerts from an integration key
    /// (`integration/dedup_key`): a trigger under the same key with other labels replaces
    /// (resolves) the alert the key named before.
    pub fn new(alert: Alert, dedup: Option<String>) -> Incoming {
        Incoming {
            fingerprint: alert.fingerprint(),
            alert,
            dedup,
        }
    }
}

/// A change to alerts that must be durable before it is acknowledged.
#[derive(Debug)]
pub enum WriteOp {
    /// Alerts posted or re-posted.
    Alerts(Vec<Incoming>),
    /// Resolve every firing alert under this dedup key (PagerDuty `resolve`).
    Resolve { dedup: String },
    /// Record an acknowledgement of the alerts under this dedup key (PagerDuty
    /// `acknowledge`). Answers how many firing alerts the key names.
    Acknowledge { dedup: String, actor: String },
}

impl WriteOp {
    fn weight(&self) -> usize {
        match self {
            WriteOp::Alerts(list) => list.len().max(1),
            _ => 1,
        }
    }
}

/// What a committed op changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Alerts the op touched (stored, resolved or acknowledged).
    pub alerts: usize,
}

pub(crate) struct WriteRequest {
    pub(crate) op: WriteOp,
    pub(crate) reply: oneshot::Sender<Result<WriteOutcome, EngineError>>,
}

/// Hands `op` to the intake writer and answers once its commit is durable.
pub(crate) async fn submit(
    intake: &mpsc::Sender<WriteRequest>,
    op: WriteOp,
) -> Result<WriteOutcome, EngineError> {
    let (reply, answer) = oneshot::channel();
    let count = match &op {
        WriteOp::Alerts(list) => list.len() as u64,
        _ => 1,
    };
    intake
        .try_send(WriteRequest { op, reply })
        .map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => EngineError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => {
                EngineError::Unavailable("shutting down".into())
            }
        })?;
    let outcome = answer
        .await
        .map_err(|_| EngineError::Unavailable("intake writer stopped".into()))??;
    metrics::counter!("hinomi_alerts_committed_total").increment(count);
    Ok(outcome)
}

/// Commits what queued up each time round. A commit's requests are answered once it is
/// durable, on a task of their own, while the next commit is already being written: on
/// SQLite the log's fsync runs beside the write connection (see `hinomi_store::Durable`).
/// On `stop` it takes no more requests, commits and answers the ones already queued, and
/// ends.
pub(crate) async fn run(
    shared: Shared,
    mut rx: mpsc::Receiver<WriteRequest>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut acks = tokio::task::JoinSet::new();
    loop {
        while acks.try_join_next().is_some() {}
        let first = match next_request(&shared, &mut rx).await {
            Some(first) => Some(first),
            None => tokio::select! {
                next = rx.recv() => next,
                _ = stop.changed() => {
                    rx.close();
                    rx.recv().await
                }
            },
        };
        let Some(first) = first else { break };
        // Let requests already read be parsed, so they join this commit: a commit costs
        // about as much for a few hundred alerts as for one, since it rewrites whole pages.
        for _ in 0..YIELDS_BEFORE_IDLE {
            tokio::task::yield_now().await;
        }
        let mut weight = first.op.weight();
        let mut batch = vec![first];
        while weight < MAX_BATCH_ALERTS {
            match rx.try_recv() {
                Ok(next) => {
                    weight += next.op.weight();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let (ops, replies): (Vec<WriteOp>, Vec<_>) =
            batch.into_iter().map(|r| (r.op, r.reply)).unzip();
        match commit(&shared, ops).await {
            Ok(committed) => {
                let shared = shared.clone();
                acks.spawn(async move {
                    let durable = committed.durable.wait().await;
                    metrics::histogram!("hinomi_intake_commit_seconds")
                        .record(started.elapsed().as_secs_f64());
                    metrics::histogram!("hinomi_intake_commit_batch_alerts").record(weight as f64);
                    match durable {
                        Ok(()) => {
                            shared.hand_over(committed.leased);
                            if committed.new_groups {
                                shared.wake_dispatcher();
                            }
                            for (reply, outcome) in replies.into_iter().zip(committed.outcomes) {
                                let _ = reply.send(Ok(outcome));
                            }
                        }
                        Err(e) => fail(replies, &e.into()),
                    }
                });
            }
            Err(e) => fail(replies, &e),
        }
    }
    while acks.join_next().await.is_some() {}
}

/// A request already queued, or about to be: requests whose bytes have arrived are parsed
/// by tasks on the same runtime, so the writer lets them run before it concludes nothing
/// is coming. Only then does it tell the store that no commit follows the last one, so
/// that one fsync covers every commit of a burst.
async fn next_request(
    shared: &Shared,
    rx: &mut mpsc::Receiver<WriteRequest>,
) -> Option<WriteRequest> {
    for _ in 0..YIELDS_BEFORE_IDLE {
        if let Ok(next) = rx.try_recv() {
            return Some(next);
        }
        tokio::task::yield_now().await;
    }
    let next = rx.try_recv().ok();
    if next.is_none() {
        shared.store.nothing_follows();
    }
    next
}

/// Answers every request of a commit that failed.
fn fail(replies: Vec<oneshot::Sender<Result<WriteOutcome, EngineError>>>, e: &EngineError) {
    tracing::error!(error = %e, requests = replies.len(), "intake commit failed");
    let message = e.to_string();
    for reply in replies {
        let _ = reply.send(Err(EngineError::Unavailable(message.clone())));
    }
}

/// A commit that has returned: what to wait on before anyone hears of it, and what to do
/// then.
struct Committed {
    durable: Durable,
    outcomes: Vec<WriteOutcome>,
    /// Deliveries of groups flushed in the commit, for this instance to send.
    leased: Vec<ClaimedDelivery>,
    /// Whether the commit made groups whose timers the dispatcher must learn of.
    new_groups: bool,
}

/// The stored versions of the alerts about to be written. On SQLite this instance is the
/// only writer and its index is updated after every commit, so the index is exact and the
/// database is not read; on PostgreSQL the rows are read and locked, since another
/// instance may have written them.
async fn existing_alerts(
    shared: &Shared,
    tx: &mut WriteTx,
    fps: &[Fingerprint],
) -> Result<HashMap<Fingerprint, Arc<StoredAlert>>, EngineError> {
    if shared.store.backend() == Backend::Sqlite {
        let index = shared.index.read().expect("index lock");
        return Ok(fps
            .iter()
            .filter_map(|fp| index.get(*fp).map(|a| (*fp, a.clone())))
            .collect());
    }
    Ok(tx
        .lock_alerts(fps)
        .await?
        .into_iter()
        .map(|a| (a.fingerprint(), Arc::new(a)))
        .collect())
}

/// Writes `ops` in one transaction. Its sync waits for the next commit, or for the writer
/// to say none follows (see [`next_request`]).
async fn commit(shared: &Shared, ops: Vec<WriteOp>) -> Result<Committed, EngineError> {
    let now = shared.clock.now_ms();
    let config = shared.config();
    let mut tx = shared.store.begin().await?;

    let fps: Vec<Fingerprint> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::Alerts(list) => Some(list.iter().map(|i| i.fingerprint)),
            _ => None,
        })
        .flatten()
        .collect();
    let existing = existing_alerts(shared, &mut tx, &fps).await?;

    // The alerts as they will be after this commit, and which of them enter their groups.
    let mut current: HashMap<Fingerprint, StoredAlert> = HashMap::with_capacity(fps.len());
    let mut entering: Vec<Fingerprint> = Vec::new();
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        let outcome = match op {
            WriteOp::Alerts(list) => {
                let n = list.len();
                for incoming in list {
                    apply_incoming(
                        &mut tx,
                        incoming,
                        &existing,
                        &mut current,
                        &mut entering,
                        now,
                    )
                    .await?;
                }
                WriteOutcome { alerts: n }
            }
            WriteOp::Resolve { dedup } => {
                let n = resolve_dedup(&mut tx, &dedup, None, &mut current, now)
                    .await?
                    .count;
                tx.append_event(now, "alert.resolved", &dedup, "integration", "{}")
                    .await?;
                WriteOutcome { alerts: n }
            }
            WriteOp::Acknowledge { dedup, actor } => {
                let firing = tx.lock_alerts_by_dedup(&dedup, now).await?;
                for a in &firing {
                    let data = format!("{{\"fingerprint\":\"{}\"}}", a.fingerprint());
                    tx.append_event(now, "alert.acknowledged", &dedup, &actor, &data)
                        .await?;
                }
                WriteOutcome {
                    alerts: firing.len(),
                }
            }
        };
        outcomes.push(outcome);
    }

    // Sorted, like the groups below, so concurrent instances lock rows in one order. A
    // re-post that changes only times (the common case: Prometheus re-sends every firing
    // alert) writes only the narrow times row.
    let mut rows: Vec<&StoredAlert> = current.values().collect();
    rows.sort_unstable_by_key(|a| a.fingerprint());
    let changed: Vec<&StoredAlert> = rows
        .iter()
        .copied()
        .filter(|a| {
            existing
                .get(&a.fingerprint())
                .is_none_or(|before| !before.same_content(a))
        })
        .collect();
    tx.upsert_alert_content(&changed).await?;
    tx.upsert_alert_times(&rows).await?;
    let (groups, members) = route_into_groups(
        &config,
        entering.iter().filter_map(|fp| current.get(fp)),
        now,
    );
    let stored_groups = tx.ensure_groups(&groups, now).await?;
    tx.add_members(&members).await?;
    // A group due at once (group_wait 0s, or alerts that started long ago) is flushed in
    // this same commit: its page is in the outbox the moment the alert is acknowledged,
    // one commit and one dispatcher round sooner. A few per commit, so a storm of new
    // groups does not hold up intake; the dispatcher takes the rest.
    let due: Vec<_> = stored_groups
        .into_iter()
        .filter(|g| g.next_flush_at <= now)
        .take(INLINE_FLUSHES)
        .collect();
    let leased = if due.is_empty() {
        Vec::new()
    } else {
        dispatch::flush_groups(shared, &mut tx, &config, &due, &rows, now).await?
    };
    shared
        .publish_alert_changes(&mut tx, current.keys().copied())
        .await?;
    let durable = tx.commit_pipelined(true).await?;
    // At once, not when durable: the next commit, already under way, reads the index. A
    // read may so see an alert a moment before it is durable; its poster hears of it only
    // after.
    shared
        .index
        .write()
        .expect("index lock")
        .apply(current.into_values());
    Ok(Committed {
        durable,
        outcomes,
        leased,
        new_groups: !groups.is_empty(),
    })
}

async fn apply_incoming(
    tx: &mut WriteTx,
    incoming: Incoming,
    existing: &HashMap<Fingerprint, Arc<StoredAlert>>,
    current: &mut HashMap<Fingerprint, StoredAlert>,
    entering: &mut Vec<Fingerprint>,
    now: i64,
) -> Result<(), EngineError> {
    let fp = incoming.fingerprint;
    let before: Option<&StoredAlert> = current
        .get(&fp)
        .or_else(|| existing.get(&fp).map(|a| a.as_ref()));
    let was_firing = before.is_some_and(|b| !b.alert.resolved_at(now));
    let first_start = before.filter(|_| was_firing).map(|b| b.alert.starts_at);
    let from_integration = incoming.dedup.is_some();
    let dedup = incoming
        .dedup
        .or_else(|| before.and_then(|b| b.dedup.clone()));
    let mut alert = hinomi_core::merge_on_put(before.map(|b| &b.alert), incoming.alert, now);
    if from_integration && let Some(dedup) = &dedup {
        // An integration alert stays one alert from trigger to resolve: a repeated trigger
        // keeps the episode's first start, and an alert the key named with other labels
        // (a changed severity, say) is replaced by this one.
        let replaced = resolve_dedup(tx, dedup, Some(fp), current, now).await?;
        if let Some(start) = first_start.into_iter().chain(replaced.earliest_start).min() {
            alert.starts_at = start;
        }
    }
    if !was_firing && !alert.resolved_at(now) {
        entering.push(fp);
    }
    current.insert(fp, StoredAlert::with_fingerprint(alert, dedup, fp));
    Ok(())
}

/// What resolving the alerts under a dedup key did.
struct Resolved {
    count: usize,
    /// The earliest start among them: a re-trigger under the key continues that episode.
    earliest_start: Option<i64>,
}

/// Resolves the firing alerts under `dedup` (all but `keep`), as stored or as written
/// earlier in this same commit.
async fn resolve_dedup(
    tx: &mut WriteTx,
    dedup: &str,
    keep: Option<Fingerprint>,
    current: &mut HashMap<Fingerprint, StoredAlert>,
    now: i64,
) -> Result<Resolved, EngineError> {
    let mut candidates: HashMap<Fingerprint, StoredAlert> = tx
        .lock_alerts_by_dedup(dedup, now)
        .await?
        .into_iter()
        .map(|a| (a.fingerprint(), a))
        .collect();
    for (fp, pending) in current.iter() {
        if pending.dedup.as_deref() == Some(dedup) || candidates.contains_key(fp) {
            candidates.insert(*fp, pending.clone());
        }
    }
    let mut out = Resolved {
        count: 0,
        earliest_start: None,
    };
    for (fp, mut stored) in candidates {
        if Some(fp) == keep || stored.alert.resolved_at(now) {
            continue;
        }
        out.earliest_start = Some(
            out.earliest_start
                .map_or(stored.alert.starts_at, |s| s.min(stored.alert.starts_at)),
        );
        stored.alert.ends_at = now;
        stored.alert.updated_at = now;
        stored.alert.timeout = false;
        current.insert(fp, stored);
        out.count += 1;
    }
    Ok(out)
}

/// The groups these alerts belong to under `config`'s route tree, and their memberships.
pub(crate) fn route_into_groups<'a>(
    config: &Config,
    alerts: impl Iterator<Item = &'a StoredAlert>,
    now: i64,
) -> (Vec<NewGroup>, Vec<(String, Fingerprint)>) {
    let mut groups: HashMap<String, NewGroup> = HashMap::new();
    let mut members = Vec::new();
    for stored in alerts {
        let alert = &stored.alert;
        for route in config.route.match_routes(&alert.labels) {
            let group_labels = route.group_labels(&alert.labels);
            // One group per route, as Alertmanager keeps one aggregation group per route:
            // sibling routes with equal matchers share a `groupKey` (and its notification
            // log) but not a group. The payload's `groupKey` is made at flush time.
            let key = format!("{}:{}", route.id, group_labels);
            let wait = route.opts.group_wait;
            // Alertmanager flushes at once when the alert started longer than group_wait ago.
            let flush_at = if alert.starts_at + wait < now {
                now
            } else {
                now + wait
            };
            members.push((key.clone(), stored.fingerprint()));
            groups
                .entry(key.clone())
                .and_modify(|g| g.flush_at = g.flush_at.min(flush_at))
                .or_insert(NewGroup {
                    group_key: key,
                    route_id: route.id.clone(),
                    receiver: route.opts.receiver.clone(),
                    group_labels,
                    flush_at,
                });
        }
    }
    // A fixed order, so two instances writing overlapping groups lock rows in the same
    // order and cannot deadlock on PostgreSQL.
    let mut groups: Vec<NewGroup> = groups.into_values().collect();
    groups.sort_unstable_by(|a, b| a.group_key.cmp(&b.group_key));
    members.sort_unstable();
    members.dedup();
    (groups, members)
}
