//! Shift start and end notices' storage: each schedule's notice timer (`notices_at`, the
//! next handoff to tell people about, and `noticed_until`, how far handoffs were told;
//! migration 0008) and each person's choice of notices (`shift_notice_prefs`).
//!
//! A change to a schedule, its overrides or a holiday calendar re-arms the timer of what it
//! touches to the change's time ([`rearm_shift_notices`], in the change's transaction), so
//! the next pass works the handoffs out again from the new definition.

use hinomi_core::escalation::ShiftNotices;
use sqlx::Row;

use crate::access::append_audit;
use crate::{AuditEntry, Result, Store, StoreError, WriteTx};

/// A schedule whose notice timer came due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueShiftNotices {
    pub schedule_id: String,
    /// Handoffs up to this instant were told; `None` before the first pass.
    pub noticed_until: Option<i64>,
}

/// Sets the notice timer of schedule `id` (with `None`, of every schedule) to `at`.
pub(crate) async fn rearm_shift_notices(tx: &mut WriteTx, id: Option<&str>, at: i64) -> Result<()> {
    match id {
        Some(id) => {
            sqlx::query("UPDATE schedules SET notices_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *tx.tx)
                .await?
        }
        None => {
            sqlx::query("UPDATE schedules SET notices_at = $1")
                .bind(at)
                .execute(&mut *tx.tx)
                .await?
        }
    };
    Ok(())
}

impl WriteTx {
    /// Claims up to `limit` schedules whose notice timer is due at `now`, earliest first;
    /// on PostgreSQL they stay locked until this transaction ends and those another
    /// instance holds are skipped, so a handoff is told once.
    pub async fn claim_shift_notices(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<DueShiftNotices>> {
        let sql = format!(
            "SELECT id, noticed_until FROM schedules WHERE notices_at IS NOT NULL \
             AND notices_at <= $1 ORDER BY notices_at LIMIT $2{}",
            self.backend().skip_locked()
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DueShiftNotices {
                    schedule_id: r.try_get("id")?,
                    noticed_until: r.try_get("noticed_until")?,
                })
            })
            .collect()
    }

    /// Records that handoffs up to `noticed_until` were told and sets the next timer.
    pub async fn set_shift_notice_timer(
        &mut self,
        schedule_id: &str,
        next_at: i64,
        noticed_until: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE schedules SET notices_at = $2, noticed_until = $3 WHERE id = $1")
            .bind(schedule_id)
            .bind(next_at)
            .bind(noticed_until)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The earliest shift-notice timer, if any.
    pub async fn next_shift_notice_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(notices_at) FROM schedules")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// The shift notices a person wants.
    pub async fn shift_notices(&self, user_id: &str) -> Result<ShiftNotices> {
        let row = sqlx::query("SELECT notify FROM shift_notice_prefs WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(ShiftNotices::default()),
            Some(r) => parse(&r.try_get::<String, _>("notify")?),
        }
    }

    /// Records which shift notices a person wants, with its audit entry.
    pub async fn set_shift_notices(
        &self,
        user_id: &str,
        notify: ShiftNotices,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO shift_notice_prefs (user_id, notify) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET notify = excluded.notify",
        )
        .bind(user_id)
        .bind(notify.as_str())
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A stored choice of shift notices.
pub(crate) fn parse(text: &str) -> Result<ShiftNotices> {
    ShiftNotices::parse(text).ok_or_else(|| StoreError::Corrupt(format!("shift notices {text:?}")))
}
