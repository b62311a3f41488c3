//! Reads of the event log: what happened to one alert or silence, oldest first.

use sqlx::Row;

use crate::{Result, Store};

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub id: i64,
    pub at: i64,
    /// `alert.resolved`, `silence.expired`, ...
    pub kind: String,
    /// What it happened to: a silence id, an alert's fingerprint or dedup key.
    pub subject: String,
    pub actor: String,
    /// A JSON object.
    pub data: String,
}

impl Store {
    /// The newest `limit` events about any of `subjects`, oldest first.
    pub async fn events_about(&self, subjects: &[String], limit: i64) -> Result<Vec<EventRecord>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=subjects.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, at, kind, subject, actor, data FROM events WHERE subject IN ({}) \
             ORDER BY id DESC LIMIT ${}",
            placeholders.join(", "),
            subjects.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for s in subjects {
            query = query.bind(s.clone());
        }
        let rows = query.bind(limit).fetch_all(&self.read).await?;
        let mut out = rows
            .iter()
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
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }
}
