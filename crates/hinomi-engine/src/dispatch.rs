//! Group flushes: the durable form of Alertmanager's aggregation groups.
//!
//! Each group is a row with a due time. A flush claims due groups, decides per receiver
//! integration whether anything changed since the last notification (silenced and
//! inhibited alerts left out), and writes the notification into the outbox together with
//! the notification log and the group's next due time, in one transaction. In the same
//! transaction a group bound to an escalation policy opens its page, or resolves it when
//! its alerts have (`escalate`), and a group linked to an unresolved incident tells the
//! incident's timeline which of its alerts began firing or resolved since it last looked.

use std::collections::BTreeSet;
use std::sync::Arc;

use hinomi_core::{
    Alert, Config, NotifyLogEntry, Receiver, Route, UNDELIVERED_KIND_BASE, needs_update,
};
use hinomi_notify::webhook::{Notification, render};
use hinomi_store::{
    ClaimedDelivery, GroupLink, GroupRow, NewOutbox, StoredAlert, StoredNotifyLog, WriteTx,
};

use crate::escalate::{self, Firer};
use crate::index::Inhibition;
use crate::{EngineError, Shared};

/// Groups flushed per transaction. Small, because a flush holds SQLite's one write
/// connection: intake commits and a new group's first page wait behind it (during 2,000
/// routine re-flushes, W3's p99 was 47 ms with 64, 8.2 ms with 16 and 5.4 ms with 4).
pub(crate) const FLUSH_BATCH: i64 = 4;

/// What one flush pass did.
#[derive(Debug, Default, Clone)]
pub struct FlushReport {
    pub groups: usize,
    /// Outbox rows written and leased to this instance, ready to deliver.
    pub leased: Vec<ClaimedDelivery>,
}

/// Flushes up to one batch of groups due at `now`.
pub(crate) async fn flush_due(shared: &Shared, now: i64) -> Result<FlushReport, EngineError> {
    let config = shared.config();
    let mut tx = shared.store.begin().await?;
    let groups = tx.claim_due_groups(now, FLUSH_BATCH).await?;
    if groups.is_empty() {
        return Ok(FlushReport::default());
    }
    let leased = flush_groups(shared, &mut tx, &config, &groups, &[], now).await?;
    tx.commit().await?;
    Ok(FlushReport {
        groups: groups.len(),
        leased,
    })
}

/// Flushes `groups`, which `tx` holds, and answers the outbox rows it wrote for this
/// instance to deliver once `tx` commits. `pending` are alerts `tx` itself wrote: the
/// intake writer flushes a group that is due at once in the commit that created it.
pub(crate) async fn flush_groups(
    shared: &Shared,
    tx: &mut WriteTx,
    config: &Config,
    groups: &[GroupRow],
    pending: &[&StoredAlert],
    now: i64,
) -> Result<Vec<ClaimedDelivery>, EngineError> {
    let (silences, inhibit) = {
        let mut index = shared.index.write().expect("index lock");
        (
            index.active_silences(now),
            index.inhibit_sources(&config.inhibit_rules),
        )
    };
    let ctx = FlushContext {
        shared,
        firer: Firer::of(shared),
        config,
        silences: &silences,
        inhibit: Inhibition::new(&inhibit, &config.inhibit_rules, pending),
        now,
    };
    let keys: Vec<&str> = groups.iter().map(|g| g.group_key.as_str()).collect();
    let links = tx.incident_links(&keys).await?;
    let mut leased = Vec::new();
    for group in groups {
        let linked: Vec<&GroupLink> = links
            .iter()
            .filter(|l| l.group_key == group.group_key)
            .collect();
        ctx.flush_group(tx, group, &linked, &mut leased).await?;
    }
    metrics::counter!("hinomi_group_flushes_total").increment(groups.len() as u64);
    Ok(leased)
}

struct FlushContext<'a> {
    shared: &'a Shared,
    firer: Firer,
    config: &'a Config,
    silences: &'a [Arc<hinomi_core::Silence>],
    inhibit: Inhibition<'a>,
    now: i64,
}

impl FlushContext<'_> {
    async fn flush_group(
        &self,
        tx: &mut WriteTx,
        group: &GroupRow,
        links: &[&GroupLink],
        leased: &mut Vec<ClaimedDelivery>,
    ) -> Result<(), EngineError> {
        let now = self.now;
        let members = tx.group_members(&group.group_key).await?;
        if !links.is_empty() {
            let alerts: Vec<&Alert> = members.iter().map(|m| &m.alert).collect();
            for link in links {
                tx.tell_group_alerts(link, &alerts, now).await?;
            }
        }
        let route = self.config.route.walk().find(|r| r.id == group.route_id);
        let receiver = self
            .config
            .receivers
            .iter()
            .find(|r| r.name == group.receiver);
        let (Some(route), Some(receiver)) = (route, receiver) else {
            // The configuration no longer has this route: its alerts were re-routed on
            // reload, so the group only waits to be emptied (and its page, to resolve).
            if members.iter().all(|a| a.alert.resolved_at(now)) {
                escalate::resolve_when_quiet(tx, &group.group_key, now).await?;
            }
            tx.reschedule_or_drop_group(&group.group_key, now + 60_000)
                .await?;
            return Ok(());
        };

        let visible: Vec<&StoredAlert> = members.iter().filter(|a| !self.muted(&a.alert)).collect();
        let firing: BTreeSet<u64> = visible
            .iter()
            .filter(|a| !a.alert.resolved_at(now))
            .map(|a| a.fingerprint().0)
            .collect();
        let resolved: BTreeSet<u64> = visible
            .iter()
            .filter(|a| a.alert.resolved_at(now))
            .map(|a| a.fingerprint().0)
            .collect();

        if !visible.is_empty() {
            let logs = tx
                .notify_logs(&hinomi_core::group_key(route, &group.group_labels))
                .await?;
            self.notify_receiver(
                tx, group, route, receiver, &visible, &logs, &firing, &resolved, leased,
            )
            .await?;
        }

        escalate::on_flush(&self.firer, tx, group, &members, &visible, now, leased).await?;

        // Resolved alerts leave the group once notified, unless they changed meanwhile.
        let done: Vec<_> = members
            .iter()
            .filter(|a| a.alert.resolved_at(now))
            .map(|a| (a.fingerprint(), a.alert.updated_at))
            .collect();
        tx.remove_unmodified_members(&group.group_key, &done)
            .await?;
        tx.reschedule_or_drop_group(&group.group_key, now + route.opts.group_interval)
            .await?;
        Ok(())
    }

    fn muted(&self, alert: &Alert) -> bool {
        self.silences.iter().any(|s| s.matches(&alert.labels))
            || self.inhibit.inhibits(&alert.labels, self.now)
    }

    #[allow(clippy::too_many_arguments)]
    async fn notify_receiver(
        &self,
        tx: &mut WriteTx,
        group: &GroupRow,
        route: &Route,
        receiver: &Receiver,
        visible: &[&StoredAlert],
        logs: &[StoredNotifyLog],
        firing: &BTreeSet<u64>,
        resolved: &BTreeSet<u64>,
        leased: &mut Vec<ClaimedDelivery>,
    ) -> Result<(), EngineError> {
        let now = self.now;
        // Alertmanager's `groupKey`: what receivers see, and what the notification log and
        // idempotency keys are kept under (the stored group's key also names its route).
        let group_key = hinomi_core::group_key(route, &group.group_labels);
        let previous = |integration: i64| {
            logs.iter()
                .find(|l| l.receiver == receiver.name && l.integration == integration)
                .map(|l| NotifyLogEntry {
                    firing: l.firing.clone(),
                    resolved: l.resolved.clone(),
                    sent_at: l.sent_at,
                })
        };
        let log_entry = |integration: i64| StoredNotifyLog {
            receiver: receiver.name.clone(),
            integration,
            firing: firing.clone(),
            resolved: resolved.clone(),
            sent_at: now,
        };
        let alerts: Vec<&Alert> = visible.iter().map(|a| &a.alert).collect();
        let notification = Notification {
            receiver: &receiver.name,
            group_key: &group_key,
            group_labels: &group.group_labels,
            external_url: &self.shared.settings.external_url,
            alerts: alerts.clone(),
            now,
        };
        let lease_until = now + self.shared.settings.delivery_lease_ms;
        // Every integration's payload is Alertmanager's version 4 message: a webhook sends
        // it as it is, the other kinds turn it into their own format at send time.
        for (integration, config) in receiver.integrations() {
            let prev = previous(integration);
            if !needs_update(
                prev.as_ref(),
                firing,
                resolved,
                config.send_resolved(),
                route.opts.repeat_interval,
                now,
            ) {
                continue;
            }
            if let Some(payload) =
                render(&notification, config.send_resolved(), config.max_alerts())
            {
                let row = NewOutbox {
                    idempotency_key: format!("{}|{}|{integration}|{now}", group_key, receiver.name),
                    group_key: group_key.clone(),
                    receiver: receiver.name.clone(),
                    integration,
                    kind: config.kind().name().into(),
                    payload,
                    created_at: now,
                    lease_owner: self.shared.instance.clone(),
                    lease_until,
                    undeliverable: None,
                };
                if let Some(id) = tx.insert_outbox(&row).await? {
                    leased.push(ClaimedDelivery {
                        id,
                        group_key: row.group_key,
                        receiver: row.receiver,
                        integration,
                        kind: row.kind,
                        payload: row.payload,
                        attempts: 0,
                        created_at: now,
                        lease_until,
                    });
                }
            }
            tx.put_notify_log(&group_key, &log_entry(integration))
                .await?;
        }
        // Receiver kinds hinomi does not deliver (pushover, wechat ...) are logged as
        // undeliverable, so the page they should have carried is visible in the delivery
        // log, never lost silently.
        for (i, kind) in receiver.other_kinds.iter().enumerate() {
            let integration = UNDELIVERED_KIND_BASE + i as i64;
            let prev = previous(integration);
            if !needs_update(
                prev.as_ref(),
                firing,
                resolved,
                true,
                route.opts.repeat_interval,
                now,
            ) {
                continue;
            }
            let row = NewOutbox {
                idempotency_key: format!("{}|{}|{integration}|{now}", group_key, receiver.name),
                group_key: group_key.clone(),
                receiver: receiver.name.clone(),
                integration,
                kind: kind.clone(),
                payload: String::new(),
                created_at: now,
                lease_owner: self.shared.instance.clone(),
                lease_until,
                undeliverable: Some(format!("{kind} is not delivered by hinomi")),
            };
            tx.insert_outbox(&row).await?;
            metrics::counter!("hinomi_notifications_total", "integration" => kind.clone(), "outcome" => "undeliverable")
                .increment(1);
            tx.put_notify_log(&group_key, &log_entry(integration))
                .await?;
        }
        Ok(())
    }
}
