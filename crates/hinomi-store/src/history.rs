//! Reads of the event log for one subject's history: what happened to an alert (by
//! fingerprint or deduplication key) and to the silences that touched it.

use sqlx::Row;

use crate::{Result, Store, codec};

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub id: i64,
    pub at: i64,
    /// `alert.resolved`, `silence.saved`, ...
    pub kind: String,
    pub subject: String,
    pub actor: String,
    /// A JSON object with the particulars.
    pub data: String,
}

impl Store {
    /// The newest `limit` events about any of `subjects`, newest first.
    pub async fn events_for(&self, subjects: &[&str], limit: i64) -> Result<Vec<EventRecord>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, at, kind, subject, actor, data FROM events WHERE subject IN ({}) \
             ORDER BY at DESC, id DESC LIMIT {}",
            codec::placeholders(self.backend, 1, subjects.len()),
            limit.max(0)
        );
        let mut q = sqlx::query(&sql);
        for s in subjects {
            q = q.bind(*s);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(EventRecord {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    kind: row.try_get("kind")?,
                    subject: row.try_get("subject")?,
                    actor: row.try_get("actor")?,
                    data: row.try_get("data")?,
                })
            })
            .collect()
    }
}
