//! The public status page's tables: components, status incidents and maintenances, and
//! their updates (migration 0010), linked to an internal incident and components to a
//! service (migration 0014); its subscribers (migrations 0011 and 0014). Reads answer the core's types; a change locks what it
//! reads (`FOR UPDATE` on PostgreSQL; SQLite has one writer) inside a [`WriteTx`], so the
//! caller decides with the core and writes the result, its event and its audit entry in
//! the same transaction.

use hinomi_core::status_page::{
    Affected, Component, ComponentState, Impact, Kind, Progress, StatusIncident, Update,
};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, WriteTx};

const COMPONENT_COLUMNS: &str = "id, name, description, group_name, position, state, showcase, \
     only_show_if_degraded, start_date, created_at, updated_at, service_id";
const INCIDENT_COLUMNS: &str = "id, kind, name, impact, progress, scheduled_for, \
     scheduled_until, auto_transition, component_ids, created_at, updated_at, started_at, \
     monitoring_at, resolved_at, incident_id";
const UPDATE_COLUMNS: &str = "id, incident_id, progress, body_ja, body_en, affected, created_at";
/// The updates of one incident, oldest first.
const UPDATES_OF: &str = "SELECT id, incident_id, progress, body_ja, body_en, affected, \
     created_at FROM status_updates WHERE incident_id = $1 ORDER BY created_at, id";
/// The incidents a listing since `$1` holds (see [`Store::status_incidents`]), as `i`.
const LISTED: &str =
    "i.created_at >= $1 OR i.progress NOT IN ('resolved', 'completed') OR i.scheduled_until >= $2";

fn word<T>(parse: fn(&str) -> Option<T>, text: &str) -> Result<T> {
    parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown status page word {text:?}")))
}

fn component_from_row(row: &AnyRow) -> Result<Component> {
    Ok(Component {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        group: row.try_get("group_name")?,
        position: row.try_get("position")?,
        state: word(ComponentState::parse, &row.try_get::<String, _>("state")?)?,
        showcase: row.try_get::<i64, _>("showcase")? != 0,
        only_show_if_degraded: row.try_get::<i64, _>("only_show_if_degraded")? != 0,
        start_date: row.try_get("start_date")?,
        service_id: row.try_get("service_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn incident_from_row(row: &AnyRow) -> Result<StatusIncident> {
    let ids: String = row.try_get("component_ids")?;
    Ok(StatusIncident {
        id: row.try_get("id")?,
        kind: word(Kind::parse, &row.try_get::<String, _>("kind")?)?,
        name: row.try_get("name")?,
        impact: word(Impact::parse, &row.try_get::<String, _>("impact")?)?,
        progress: word(Progress::parse, &row.try_get::<String, _>("progress")?)?,
        scheduled_for: row.try_get("scheduled_for")?,
        scheduled_until: row.try_get("scheduled_until")?,
        auto_transition: row.try_get::<i64, _>("auto_transition")? != 0,
        component_ids: serde_json::from_str(&ids)
            .map_err(|e| StoreError::Corrupt(format!("status incident components: {e}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        started_at: row.try_get("started_at")?,
        monitoring_at: row.try_get("monitoring_at")?,
        resolved_at: row.try_get("resolved_at")?,
        incident_id: row.try_get("incident_id")?,
        updates: Vec::new(),
    })
}

fn affected_to_json(list: &[Affected]) -> String {
    Value::Array(
        list.iter()
            .map(|a| {
                json!({"component_id": a.component_id, "name": a.name,
                       "old_state": a.old_state.as_str(), "new_state": a.new_state.as_str()})
            })
            .collect(),
    )
    .to_string()
}

fn affected_from_json(text: &str) -> Result<Vec<Affected>> {
    let bad = |what: &str| StoreError::Corrupt(format!("status update affected: {what}"));
    let list: Vec<Value> = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    list.iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(|| bad(k));
            Ok(Affected {
                component_id: s("component_id")?,
                name: s("name")?,
                old_state: word(ComponentState::parse, &s("old_state")?)?,
                new_state: word(ComponentState::parse, &s("new_state")?)?,
            })
        })
        .collect()
}

fn update_from_row(row: &AnyRow) -> Result<(String, Update)> {
    Ok((
        row.try_get("incident_id")?,
        Update {
            id: row.try_get("id")?,
            progress: word(Progress::parse, &row.try_get::<String, _>("progress")?)?,
            body_ja: row.try_get("body_ja")?,
            body_en: row.try_get("body_en")?,
            affected: affected_from_json(&row.try_get::<String, _>("affected")?)?,
            created_at: row.try_get("created_at")?,
        },
    ))
}

/// An incident's row and its update rows, as the core's incident.
fn one_incident(row: &AnyRow, updates: &[AnyRow]) -> Result<Option<StatusIncident>> {
    let incident = incident_from_row(row)?;
    let updates = updates.iter().map(update_from_row).collect::<Result<_>>()?;
    Ok(attach(vec![incident], updates).pop())
}

/// Gives each incident its updates, oldest first.
fn attach(
    mut incidents: Vec<StatusIncident>,
    updates: Vec<(String, Update)>,
) -> Vec<StatusIncident> {
    for (incident_id, u) in updates {
        if let Some(i) = incidents.iter_mut().find(|i| i.id == incident_id) {
            i.updates.push(u);
        }
    }
    incidents
}

impl WriteTx {
    /// Every component, locked for update on PostgreSQL.
    pub async fn lock_status_components(&mut self) -> Result<Vec<Component>> {
        let sql = format!(
            "SELECT {COMPONENT_COLUMNS} FROM status_components ORDER BY id{}",
            self.backend().for_update()
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *self.tx).await?;
        rows.iter().map(component_from_row).collect()
    }

    /// One status incident with its updates, locked for update on PostgreSQL.
    pub async fn lock_status_incident(&mut self, id: &str) -> Result<Option<StatusIncident>> {
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE id = $1{}",
            self.backend().for_update()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let updates = sqlx::query(UPDATES_OF)
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?;
        one_incident(&row, &updates)
    }

    /// Writes a component, new or changed. Answers false (writing nothing) when another
    /// component has its name.
    pub async fn put_status_component(&mut self, c: &Component) -> Result<bool> {
        let taken = sqlx::query("SELECT id FROM status_components WHERE name = $1 AND id <> $2")
            .bind(&c.name)
            .bind(&c.id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if taken.is_some() {
            return Ok(false);
        }
        sqlx::query(&format!(
            "INSERT INTO status_components ({COMPONENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, group_name = excluded.group_name, \
             position = excluded.position, state = excluded.state, \
             showcase = excluded.showcase, only_show_if_degraded = excluded.only_show_if_degraded, \
             start_date = excluded.start_date, updated_at = excluded.updated_at, \
             service_id = excluded.service_id"
        ))
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.description)
        .bind(&c.group)
        .bind(c.position)
        .bind(c.state.as_str())
        .bind(i64::from(c.showcase))
        .bind(i64::from(c.only_show_if_degraded))
        .bind(c.start_date.clone())
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.service_id.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(true)
    }

    /// Removes a component; answers whether it existed. Incidents that named it keep the
    /// name in their updates.
    pub async fn delete_status_component(&mut self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM status_components WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Writes a status incident (new or changed, without its updates) and `update`, posted
    /// on it now.
    pub async fn save_status_incident(
        &mut self,
        i: &StatusIncident,
        update: &Update,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO status_incidents ({INCIDENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, impact = excluded.impact, progress = excluded.progress, \
             scheduled_for = excluded.scheduled_for, scheduled_until = excluded.scheduled_until, \
             auto_transition = excluded.auto_transition, component_ids = excluded.component_ids, \
             updated_at = excluded.updated_at, started_at = excluded.started_at, \
             monitoring_at = excluded.monitoring_at, resolved_at = excluded.resolved_at"
        ))
        .bind(&i.id)
        .bind(i.kind.as_str())
        .bind(&i.name)
        .bind(i.impact.as_str())
        .bind(i.progress.as_str())
        .bind(i.scheduled_for)
        .bind(i.scheduled_until)
        .bind(i64::from(i.auto_transition))
        .bind(serde_json::to_string(&i.component_ids).unwrap_or_else(|_| "[]".into()))
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(i.started_at)
        .bind(i.monitoring_at)
        .bind(i.resolved_at)
        .bind(i.incident_id.clone())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO status_updates ({UPDATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&update.id)
        .bind(&i.id)
        .bind(update.progress.as_str())
        .bind(&update.body_ja)
        .bind(&update.body_en)
        .bind(affected_to_json(&update.affected))
        .bind(update.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Every component, in page order (position, then name).
    pub async fn status_components(&self) -> Result<Vec<Component>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS} FROM status_components ORDER BY position, name"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(component_from_row).collect()
    }

    /// The status incidents and maintenances created since `since`, together with every one
    /// not closed as posted whenever it was created (a maintenance may close by the clock
    /// alone, which the caller decides), newest first, each with its updates.
    pub async fn status_incidents(&self, since: i64) -> Result<Vec<StatusIncident>> {
        let rows = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM status_incidents i WHERE {LISTED} \
             ORDER BY i.created_at DESC, i.id"
        ))
        .bind(since)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        let incidents: Vec<StatusIncident> =
            rows.iter().map(incident_from_row).collect::<Result<_>>()?;
        let updates = sqlx::query(&format!(
            "SELECT u.id, u.incident_id, u.progress, u.body_ja, u.body_en, u.affected, \
             u.created_at FROM status_updates u JOIN status_incidents i ON i.id = u.incident_id \
             WHERE {LISTED} ORDER BY u.created_at, u.id"
        ))
        .bind(since)
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        let updates = updates.iter().map(update_from_row).collect::<Result<_>>()?;
        Ok(attach(incidents, updates))
    }

    /// The status incidents that tell of internal incident `incident_id`: (id, name),
    /// oldest first.
    pub async fn status_incidents_of(&self, incident_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT id, name FROM status_incidents WHERE incident_id = $1 ORDER BY created_at, id",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    /// One status incident or maintenance with its updates.
    pub async fn status_incident(&self, id: &str) -> Result<Option<StatusIncident>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        let updates = sqlx::query(UPDATES_OF)
            .bind(id)
            .fetch_all(&self.read)
            .await?;
        one_incident(&row, &updates)
    }
}

/// Someone told of every update the page publishes: a webhook (`kind` `webhook`,
/// `address` its URL) or an email address (`kind` `email`), in `language` (`ja` or `en`).
/// Only a confirmed subscriber is told; an unconfirmed email subscriber waits for its
/// confirmation link until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSubscriber {
    pub id: String,
    pub kind: String,
    pub address: String,
    pub language: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub expires_at: Option<i64>,
}

const SUBSCRIBER_SELECT: &str = "SELECT id, kind, address, language, created_at, confirmed_at, \
     expires_at FROM status_subscribers";

fn subscriber_from_row(row: &AnyRow) -> Result<StatusSubscriber> {
    Ok(StatusSubscriber {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        address: row.try_get("address")?,
        language: row.try_get("language")?,
        created_at: row.try_get("created_at")?,
        confirmed_at: row.try_get("confirmed_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl WriteTx {
    /// Adds a subscriber; answers false (writing nothing) when one of its kind has its
    /// address already.
    pub async fn insert_status_subscriber(&mut self, s: &StatusSubscriber) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO status_subscribers (id, kind, address, language, created_at, \
             confirmed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (kind, address) DO NOTHING",
        )
        .bind(&s.id)
        .bind(&s.kind)
        .bind(&s.address)
        .bind(&s.language)
        .bind(s.created_at)
        .bind(s.confirmed_at)
        .bind(s.expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a subscriber; answers it, or `None` when there was none with that id.
    pub async fn delete_status_subscriber(&mut self, id: &str) -> Result<Option<StatusSubscriber>> {
        let Some(gone) = self.lock_status_subscriber(id).await? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM status_subscribers WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(Some(gone))
    }

    /// One subscriber by id, locked for update on PostgreSQL.
    pub async fn lock_status_subscriber(&mut self, id: &str) -> Result<Option<StatusSubscriber>> {
        let sql = format!(
            "{SUBSCRIBER_SELECT} WHERE id = $1{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    /// The subscriber of `kind` at `address`, locked for update on PostgreSQL.
    pub async fn lock_status_subscriber_at(
        &mut self,
        kind: &str,
        address: &str,
    ) -> Result<Option<StatusSubscriber>> {
        let sql = format!(
            "{SUBSCRIBER_SELECT} WHERE kind = $1 AND address = $2{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(kind)
            .bind(address)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    /// Renews an unconfirmed subscriber's request: its language and the end of its new
    /// confirmation link.
    pub async fn renew_status_subscriber(
        &mut self,
        id: &str,
        language: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE status_subscribers SET language = $2, expires_at = $3 \
             WHERE id = $1 AND confirmed_at IS NULL",
        )
        .bind(id)
        .bind(language)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks a subscriber confirmed at `now` (its `expires_at` stays, so its confirmation
    /// link can still be recognised as used).
    pub async fn confirm_status_subscriber(&mut self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE status_subscribers SET confirmed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Deletes the unconfirmed subscribers whose link ran out by `now`, and forgets the
    /// confirmation mails sent before `forget_before`.
    pub async fn prune_status_subscriptions(&mut self, now: i64, forget_before: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM status_subscribers WHERE confirmed_at IS NULL AND expires_at <= $1",
        )
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("DELETE FROM status_confirmations WHERE sent_at < $1")
            .bind(forget_before)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Confirmation mails sent to `address` since `address_since`, and to anyone since
    /// `all_since`.
    pub async fn status_confirmations_sent(
        &mut self,
        address: &str,
        address_since: i64,
        all_since: i64,
    ) -> Result<(u32, u32)> {
        let to_address: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM status_confirmations WHERE address = $1 AND sent_at >= $2",
        )
        .bind(address)
        .bind(address_since)
        .fetch_one(&mut *self.tx)
        .await?;
        let all: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM status_confirmations WHERE sent_at >= $1")
                .bind(all_since)
                .fetch_one(&mut *self.tx)
                .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok((count(to_address), count(all)))
    }

    /// Counts a confirmation mail sent to `address` at `now`.
    pub async fn record_status_confirmation(&mut self, address: &str, now: i64) -> Result<()> {
        sqlx::query("INSERT INTO status_confirmations (address, sent_at) VALUES ($1, $2)")
            .bind(address)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Cancels the mails and posts queued for subscriber `id` that have not gone out and
    /// that no instance is sending now; answers how many.
    pub async fn cancel_status_subscriber_notices(&mut self, id: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'cancelled', lease_owner = NULL, lease_until = NULL \
             WHERE receiver = $1 AND state = 'pending' \
             AND (lease_until IS NULL OR lease_until < $2)",
        )
        .bind(format!("status_subscriber:{id}"))
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Every confirmed subscriber, as the transaction sees them (to queue an update for
    /// each), oldest first.
    pub async fn confirmed_status_subscribers(&mut self) -> Result<Vec<StatusSubscriber>> {
        let sql =
            format!("{SUBSCRIBER_SELECT} WHERE confirmed_at IS NOT NULL ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(&mut *self.tx).await?;
        rows.iter().map(subscriber_from_row).collect()
    }
}

impl Store {
    /// One subscriber by id.
    pub async fn status_subscriber(&self, id: &str) -> Result<Option<StatusSubscriber>> {
        let row = sqlx::query(&format!("{SUBSCRIBER_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    /// Every subscriber, confirmed or waiting for confirmation, oldest first.
    pub async fn status_subscribers(&self) -> Result<Vec<StatusSubscriber>> {
        let sql = format!("{SUBSCRIBER_SELECT} ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(subscriber_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affected_components_round_trip_through_json() {
        let list = vec![Affected {
            component_id: "c1".into(),
            name: "受注 API".into(),
            old_state: ComponentState::Operational,
            new_state: ComponentState::MajorOutage,
        }];
        assert_eq!(affected_from_json(&affected_to_json(&list)).unwrap(), list);
        assert!(affected_from_json("[{\"component_id\":1}]").is_err());
    }
}
