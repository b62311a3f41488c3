//! The outbox's delivery side: claiming due notifications under a lease, and recording each
//! attempt in the delivery log.

use sqlx::Row;

use crate::records::OutboxRow;
use crate::{Result, Store, WriteTx};

/// A notification this instance holds the lease on and should deliver now.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub group_key: String,
    pub receiver: String,
    pub integration: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    /// The lease this claim holds; [`Store::renew_lease`] succeeds only while it is still
    /// the row's lease.
    pub lease_until: i64,
}

/// One attempt to deliver, as the delivery log keeps it.
#[derive(Clone, Debug)]
pub struct DeliveryAttempt {
    pub at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// What the peer answered, cut short.
    pub answer: Option<String>,
}

/// One finished attempt on an outbox row, ready to be recorded.
#[derive(Clone, Debug)]
pub struct FinishedDelivery {
    pub id: i64,
    pub attempt: DeliveryAttempt,
    pub outcome: DeliveryOutcome,
}

/// What became of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    /// Try again at this instant.
    Retry {
        due_at: i64,
    },
    /// Give up: the peer refused it for good, or it ran out of attempts.
    Failed,
}

const CLAIMED_COLUMNS: &str =
    "id, group_key, receiver, integration, kind, payload, attempts, created_at, lease_until";

fn claimed_from_row(r: &sqlx::any::AnyRow) -> Result<ClaimedDelivery> {
    Ok(ClaimedDelivery {
        id: r.try_get("id")?,
        group_key: r.try_get("group_key")?,
        receiver: r.try_get("receiver")?,
        integration: r.try_get("integration")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
        lease_until: r.try_get::<Option<i64>, _>("lease_until")?.unwrap_or(0),
    })
}

/// When a page's message fails its first attempt, the person's next message of the same
/// step (their next notification rule) is made due now rather than at its own delay, with a
/// `page.fell_through` event on the page: a phone number that cannot be reached must not
/// cost the minutes until the next rule. The failed message keeps its retries.
async fn fall_through(tx: &mut WriteTx, outbox_id: i64, now: i64) -> Result<()> {
    let row =
        sqlx::query("SELECT receiver, idempotency_key, kind, attempts FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .fetch_one(&mut *tx.tx)
            .await?;
    let receiver: String = row.try_get("receiver")?;
    let key: String = row.try_get("idempotency_key")?;
    let attempts: i64 = row.try_get("attempts")?;
    // A page's message key: page:<page>|<round>|<step>|<user>|<contact method>.
    let Some(page_id) = receiver.strip_prefix("page:") else {
        return Ok(());
    };
    let Some((person, _method)) = key.rsplit_once('|') else {
        return Ok(());
    };
    if attempts != 1 {
        return Ok(());
    }
    let prefix = format!("{person}|");
    let next = sqlx::query(
        "UPDATE outbox SET due_at = $1 WHERE id = (SELECT id FROM outbox \
         WHERE receiver = $2 AND state = 'pending' AND due_at > $1 AND lease_owner IS NULL \
         AND id <> $5 AND substr(idempotency_key, 1, CAST($3 AS INTEGER)) = $4 \
         ORDER BY due_at, id LIMIT 1) RETURNING id, kind",
    )
    .bind(now)
    .bind(&receiver)
    .bind(prefix.chars().count() as i64)
    .bind(&prefix)
    .bind(outbox_id)
    .fetch_optional(&mut *tx.tx)
    .await?;
    let Some(next) = next else {
        return Ok(());
    };
    let user = person.rsplit('|').next().unwrap_or_default();
    let username: Option<String> = sqlx::query("SELECT username FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *tx.tx)
        .await?
        .map(|r| r.try_get("username"))
        .transpose()?;
    let failed_kind: String = row.try_get("kind")?;
    let next_kind: String = next.try_get("kind")?;
    let data = serde_json::json!({
        "user_id": user,
        "username": username.as_deref().unwrap_or(user),
        "failed": failed_kind.strip_prefix("contact:").unwrap_or(&failed_kind),
        "next": next_kind.strip_prefix("contact:").unwrap_or(&next_kind),
        "outbox_id": outbox_id,
        "next_outbox_id": next.try_get::<i64, _>("id")?,
    });
    tx.append_event(
        now,
        "page.fell_through",
        page_id,
        "hinomi",
        &data.to_string(),
    )
    .await?;
    Ok(())
}

impl Store {
    /// Leases up to `limit` due notifications to `owner` until `now + lease_ms`. A row whose
    /// lease ran out (its instance died mid-delivery) is due again.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        let sql = format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id IN \
             (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= $3 \
              AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4{}) \
             RETURNING {CLAIMED_COLUMNS}",
            self.backend.skip_locked()
        );
        let rows = self
            .write
            .fetch_all(
                sqlx::query(&sql)
                    .bind(owner)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(limit),
            )
            .await?;
        rows.iter().map(claimed_from_row).collect()
    }

    /// Extends the lease `owner` holds on a notification until `new_until`, if it still
    /// holds the lease it claimed (`held_until`) and the row is pending. Answers false when
    /// the lease ran out and the row was claimed again, by another instance or by this
    /// one's poll: then the caller must not send it.
    pub async fn renew_lease(
        &self,
        id: i64,
        owner: &str,
        held_until: i64,
        new_until: i64,
    ) -> Result<bool> {
        let done = self
            .write
            .execute(
                sqlx::query(
                    "UPDATE outbox SET lease_until = $4 WHERE id = $1 AND lease_owner = $2 \
                     AND lease_until = $3 AND state = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(held_until)
                .bind(new_until),
            )
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives back a notification `owner` holds without trying it, due again at `due_at`
    /// (its channel's throttle had no room). Not an attempt: nothing enters the delivery
    /// log. Answers false when the lease was no longer `owner`'s.
    pub async fn defer_delivery(&self, id: i64, owner: &str, due_at: i64) -> Result<bool> {
        let done = self
            .write
            .execute(
                sqlx::query(
                    "UPDATE outbox SET due_at = $3, lease_owner = NULL, lease_until = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(due_at),
            )
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The delivery log of one notification, oldest attempt first.
    pub async fn deliveries(&self, outbox_id: i64) -> Result<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(
            "SELECT at, duration_ms, status_code, error, answer FROM deliveries \
             WHERE outbox_id = $1 ORDER BY attempt",
        )
        .bind(outbox_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryAttempt {
                    at: r.try_get("at")?,
                    duration_ms: r.try_get("duration_ms")?,
                    status_code: r.try_get("status_code")?,
                    error: r.try_get("error")?,
                    answer: r.try_get("answer")?,
                })
            })
            .collect()
    }

    /// Records attempts and their outcomes in one transaction (one fsync for a whole round
    /// of sends). Each is recorded only if `owner` still holds the row's lease; answers, per
    /// item, whether it was (a lease that ran out may have passed the row to another
    /// instance).
    pub async fn finish_deliveries(
        &self,
        owner: &str,
        items: &[FinishedDelivery],
    ) -> Result<Vec<bool>> {
        let mut tx = self.begin().await?;
        let mut recorded = Vec::with_capacity(items.len());
        for item in items {
            let attempt = &item.attempt;
            let (state, due_at, delivered_at) = match item.outcome {
                DeliveryOutcome::Delivered => ("delivered", None, Some(attempt.at)),
                DeliveryOutcome::Retry { due_at } => ("pending", Some(due_at), None),
                DeliveryOutcome::Failed => ("failed", None, None),
            };
            let done = sqlx::query(
                "UPDATE outbox SET state = $3, attempts = attempts + 1, \
                 due_at = COALESCE($4, due_at), delivered_at = $5, last_error = $6, \
                 lease_owner = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_owner = $2 AND state = 'pending'",
            )
            .bind(item.id)
            .bind(owner)
            .bind(state)
            .bind(due_at)
            .bind(delivered_at)
            .bind(attempt.error.as_deref())
            .execute(&mut *tx.tx)
            .await?;
            let held = done.rows_affected() > 0;
            recorded.push(held);
            if !held {
                continue;
            }
            sqlx::query(
                "INSERT INTO deliveries (outbox_id, attempt, at, duration_ms, status_code, error, instance, answer) \
                 VALUES ($1, (SELECT attempts FROM outbox WHERE id = $1), $2, $3, $4, $5, $6, $7)",
            )
            .bind(item.id)
            .bind(attempt.at)
            .bind(attempt.duration_ms)
            .bind(attempt.status_code)
            .bind(attempt.error.as_deref())
            .bind(owner)
            .bind(attempt.answer.as_deref())
            .execute(&mut *tx.tx)
            .await?;
            if item.outcome != DeliveryOutcome::Delivered {
                fall_through(&mut tx, item.id, attempt.at).await?;
            }
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// The newest notifications, newest first: the delivery log operators read.
    pub async fn outbox(&self, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, group_key, receiver, integration, kind, state, attempts, created_at, \
             delivered_at, last_error FROM outbox ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    group_key: r.try_get("group_key")?,
                    receiver: r.try_get("receiver")?,
                    integration: r.try_get("integration")?,
                    kind: r.try_get("kind")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                    delivered_at: r.try_get("delivered_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }
}
