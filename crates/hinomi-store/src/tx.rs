//! [`WriteTx`]: one write transaction, with the statements the engine composes into intake
//! commits and group flushes. Nothing here decides anything; it reads and writes rows.

use hinomi_core::{Fingerprint, Silence};
use sqlx::Row;

use crate::codec;
use crate::durable::{Durable, Txn};
use crate::records::{
    ALERT_COLUMNS, ALERT_TABLES, GROUP_COLUMNS, GroupRow, NewGroup, NewOutbox, SILENCE_COLUMNS,
    StoredAlert, StoredNotifyLog, silence_from_row,
};
use crate::{Backend, ChangeRecord, Result};

use crate::codec::CHUNK;

/// A write transaction. Dropping it without [`WriteTx::commit`] rolls it back.
#[derive(Debug)]
pub struct WriteTx {
    pub(crate) tx: Txn,
    backend: Backend,
}

impl WriteTx {
    pub(crate) fn new(tx: Txn, backend: Backend) -> WriteTx {
        WriteTx { tx, backend }
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits, and answers once the commit is durable.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    /// Commits, and answers at once with the [`Durable`] to wait on before anyone is told
    /// of the commit; the write connection is free for the next transaction meanwhile.
    /// `another_follows` says the caller is about to commit again, so that one fsync may
    /// cover both (the first waits a bounded time for it).
    pub async fn commit_pipelined(self, another_follows: bool) -> Result<Durable> {
        self.tx.commit_pipelined(another_follows).await
    }

    /// The stored alerts among `fps`, locked for update on PostgreSQL.
    pub async fn lock_alerts(&mut self, fps: &[Fingerprint]) -> Result<Vec<StoredAlert>> {
        let mut sorted: Vec<i64> = fps.iter().map(|fp| codec::fp_to_db(*fp)).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut out = Vec::with_capacity(sorted.len());
        for chunk in sorted.chunks(CHUNK) {
            let sql = format!(
                "SELECT {ALERT_COLUMNS} FROM {ALERT_TABLES} WHERE a.fingerprint IN ({}) \
                 ORDER BY a.fingerprint{}",
                codec::placeholders(self.backend, 1, chunk.len()),
                self.backend.for_update()
            );
            let mut q = sqlx::query(&sql);
            for v in chunk {
                q = q.bind(*v);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                out.push(StoredAlert::from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Inserts or replaces what these alerts are (labels, annotations, link, dedup key).
    pub async fn upsert_alert_content(&mut self, alerts: &[&StoredAlert]) -> Result<()> {
        for chunk in alerts.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO alerts (fingerprint, labels, annotations, generator_url, dedup) \
                 VALUES {} ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, \
                 annotations = excluded.annotations, generator_url = excluded.generator_url, \
                 dedup = excluded.dedup",
                codec::value_tuples(self.backend, chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                let a = &s.alert;
                q = q
                    .bind(codec::fp_to_db(s.fingerprint()))
                    .bind(codec::labels_to_json(&a.labels))
                    .bind(codec::labels_to_json(&a.annotations))
                    .bind(a.generator_url.as_str())
                    .bind(s.dedup.as_deref());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Inserts or replaces the times of these alerts.
    pub async fn upsert_alert_times(&mut self, alerts: &[&StoredAlert]) -> Result<()> {
        for chunk in alerts.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO alert_times (fingerprint, starts_at, ends_at, updated_at, timeout) \
                 VALUES {} ON CONFLICT (fingerprint) DO UPDATE SET starts_at = excluded.starts_at, \
                 ends_at = excluded.ends_at, updated_at = excluded.updated_at, \
                 timeout = excluded.timeout",
                codec::value_tuples(self.backend, chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                let a = &s.alert;
                q = q
                    .bind(codec::fp_to_db(s.fingerprint()))
                    .bind(a.starts_at)
                    .bind(a.ends_at)
                    .bind(a.updated_at)
                    .bind(i64::from(a.timeout));
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Firing alerts with this dedup key, locked for update on PostgreSQL.
    pub async fn lock_alerts_by_dedup(
        &mut self,
        dedup: &str,
        now: i64,
    ) -> Result<Vec<StoredAlert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM {ALERT_TABLES} \
             WHERE a.dedup = $1 AND (t.ends_at = 0 OR t.ends_at > $2) ORDER BY a.fingerprint{}",
            self.backend.for_update()
        );
        let rows = sqlx::query(&sql)
            .bind(dedup)
            .bind(now)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(StoredAlert::from_row).collect()
    }

    /// Creates the groups that do not exist yet. A group that exists and has not flushed
    /// yet moves its first flush earlier if the new one is earlier (an alert that started
    /// long ago does not wait `group_wait` again). Answers every one of the groups as it
    /// now stands, locked until this transaction ends.
    pub async fn ensure_groups(&mut self, groups: &[NewGroup], now: i64) -> Result<Vec<GroupRow>> {
        let mut out = Vec::with_capacity(groups.len());
        for chunk in groups.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO alert_groups (group_key, route_id, receiver, group_labels, created_at, \
                 next_flush_at, flushed) VALUES {} \
                 ON CONFLICT (group_key) DO UPDATE SET next_flush_at = CASE \
                 WHEN alert_groups.flushed = 0 AND excluded.next_flush_at < alert_groups.next_flush_at \
                 THEN excluded.next_flush_at ELSE alert_groups.next_flush_at END \
                 RETURNING {GROUP_COLUMNS}",
                codec::value_tuples(self.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for g in chunk {
                q = q
                    .bind(g.group_key.clone())
                    .bind(g.route_id.clone())
                    .bind(g.receiver.clone())
                    .bind(codec::labels_to_json(&g.group_labels))
                    .bind(now)
                    .bind(g.flush_at)
                    .bind(0i64);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                out.push(GroupRow::from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Puts alerts into groups (idempotent).
    pub async fn add_members(&mut self, members: &[(String, Fingerprint)]) -> Result<()> {
        for chunk in members.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO group_alerts (group_key, fingerprint) VALUES {} \
                 ON CONFLICT (group_key, fingerprint) DO NOTHING",
                codec::value_tuples(self.backend, chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (key, fp) in chunk {
                q = q.bind(key.clone()).bind(codec::fp_to_db(*fp));
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Every (group, alert) membership: what a routing change is compared against.
    pub async fn memberships(&mut self) -> Result<Vec<(String, Fingerprint)>> {
        let rows = sqlx::query("SELECT group_key, fingerprint FROM group_alerts")
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("group_key")?,
                    codec::fp_from_db(r.try_get("fingerprint")?),
                ))
            })
            .collect()
    }

    /// Removes one membership regardless of the alert's state (routing changed).
    pub async fn remove_member(&mut self, group_key: &str, fp: Fingerprint) -> Result<()> {
        sqlx::query("DELETE FROM group_alerts WHERE group_key = $1 AND fingerprint = $2")
            .bind(group_key)
            .bind(codec::fp_to_db(fp))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Claims up to `limit` groups whose timer is due, groups that never notified first (a
    /// new group's first page must not wait behind thousands of routine re-flushes). On
    /// PostgreSQL the rows stay locked until this transaction ends, and rows another
    /// instance holds are skipped.
    pub async fn claim_due_groups(&mut self, now: i64, limit: i64) -> Result<Vec<GroupRow>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM alert_groups WHERE next_flush_at <= $1 \
             ORDER BY flushed, next_flush_at LIMIT $2{}",
            self.backend.skip_locked()
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(GroupRow::from_row).collect()
    }

    /// The alerts of one group.
    pub async fn group_members(&mut self, group_key: &str) -> Result<Vec<StoredAlert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM group_alerts g \
             JOIN alerts a ON a.fingerprint = g.fingerprint \
             JOIN alert_times t ON t.fingerprint = g.fingerprint WHERE g.group_key = $1"
        );
        let rows = sqlx::query(&sql)
            .bind(group_key)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(StoredAlert::from_row).collect()
    }

    /// The notification log entries of one group, one per (receiver, integration).
    pub async fn notify_logs(&mut self, group_key: &str) -> Result<Vec<StoredNotifyLog>> {
        let rows = sqlx::query(
            "SELECT receiver, integration, firing, resolved, sent_at FROM notify_log \
             WHERE group_key = $1",
        )
        .bind(group_key)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredNotifyLog {
                    receiver: r.try_get("receiver")?,
                    integration: r.try_get("integration")?,
                    firing: codec::fp_set_from_json(&r.try_get::<String, _>("firing")?)?,
                    resolved: codec::fp_set_from_json(&r.try_get::<String, _>("resolved")?)?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    pub async fn put_notify_log(&mut self, group_key: &str, log: &StoredNotifyLog) -> Result<()> {
        sqlx::query(
            "INSERT INTO notify_log (group_key, receiver, integration, firing, resolved, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_key, receiver, integration) \
             DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved, \
             sent_at = excluded.sent_at",
        )
        .bind(group_key)
        .bind(&log.receiver)
        .bind(log.integration)
        .bind(codec::fp_set_to_json(&log.firing))
        .bind(codec::fp_set_to_json(&log.resolved))
        .bind(log.sent_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes a notification into the outbox; answers its id, or `None` if one with the
    /// same idempotency key is there already.
    pub async fn insert_outbox(&mut self, n: &NewOutbox) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO outbox (idempotency_key, group_key, receiver, integration, kind, payload, \
             state, created_at, due_at, attempts, lease_owner, lease_until, last_error) \
             VALUES ($1, $2, $3, $4, $5, $6, $10, $7, $7, 0, $8, $9, $11) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(&n.idempotency_key)
        .bind(&n.group_key)
        .bind(&n.receiver)
        .bind(n.integration)
        .bind(&n.kind)
        .bind(&n.payload)
        .bind(n.created_at)
        .bind(&n.lease_owner)
        .bind(n.lease_until)
        .bind(if n.undeliverable.is_some() {
            "failed"
        } else {
            "pending"
        })
        .bind(n.undeliverable.clone())
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    /// Takes resolved alerts out of a group once they were notified, unless they changed
    /// since they were read (`updated_at` still as seen).
    pub async fn remove_unmodified_members(
        &mut self,
        group_key: &str,
        seen: &[(Fingerprint, i64)],
    ) -> Result<()> {
        for (fp, updated_at) in seen {
            sqlx::query(
                "DELETE FROM group_alerts WHERE group_key = $1 AND fingerprint = $2 AND EXISTS \
                 (SELECT 1 FROM alert_times t WHERE t.fingerprint = $2 AND t.updated_at = $3)",
            )
            .bind(group_key)
            .bind(codec::fp_to_db(*fp))
            .bind(*updated_at)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Sets a group's next flush, marking it flushed; deletes it instead if it has no
    /// alerts left. Answers whether the group still exists.
    pub async fn reschedule_or_drop_group(&mut self, group_key: &str, next: i64) -> Result<bool> {
        let dropped = sqlx::query(
            "DELETE FROM alert_groups WHERE group_key = $1 AND NOT EXISTS \
             (SELECT 1 FROM group_alerts g WHERE g.group_key = $1)",
        )
        .bind(group_key)
        .execute(&mut *self.tx)
        .await?;
        if dropped.rows_affected() > 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE alert_groups SET next_flush_at = $2, flushed = 1 WHERE group_key = $1")
            .bind(group_key)
            .bind(next)
            .execute(&mut *self.tx)
            .await?;
        Ok(true)
    }

    /// Deletes groups that have no alerts left.
    pub async fn drop_empty_groups(&mut self) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM alert_groups WHERE NOT EXISTS \
             (SELECT 1 FROM group_alerts g WHERE g.group_key = alert_groups.group_key)",
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Sends `payload` on a PostgreSQL notification channel when this transaction commits
    /// (nothing on SQLite, where one instance runs).
    pub async fn notify(&mut self, channel: &str, payload: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)::text")
                .bind(channel)
                .bind(payload)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// One silence by id, locked for update on PostgreSQL.
    pub async fn lock_silence(&mut self, id: &str) -> Result<Option<Silence>> {
        let sql = format!(
            "SELECT {SILENCE_COLUMNS} FROM silences WHERE id = $1{}",
            self.backend.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(silence_from_row).transpose()
    }

    pub async fn upsert_silence(&mut self, s: &Silence) -> Result<()> {
        sqlx::query(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, created_by, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
             matchers = excluded.matchers, starts_at = excluded.starts_at, \
             ends_at = excluded.ends_at, updated_at = excluded.updated_at, \
             created_by = excluded.created_by, comment = excluded.comment",
        )
        .bind(&s.id)
        .bind(codec::matchers_to_json(&s.matchers))
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.updated_at)
        .bind(&s.created_by)
        .bind(&s.comment)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a change event; answers its id.
    pub async fn insert_change(&mut self, c: &ChangeRecord) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO changes (integration, summary, source, at, custom_details, links, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&c.integration)
        .bind(&c.summary)
        .bind(&c.source)
        .bind(c.at)
        .bind(&c.custom_details)
        .bind(&c.links)
        .bind(c.received_at)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Appends to the event log (append-only: there is no update or delete of events).
    pub async fn append_event(
        &mut self,
        at: i64,
        kind: &str,
        subject: &str,
        actor: &str,
        data: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO events (at, kind, subject, actor, data) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(at)
        .bind(kind)
        .bind(subject)
        .bind(actor)
        .bind(data)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
