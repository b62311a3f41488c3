//! Incidents (migration 0009): the service catalogue, incidents with their reference
//! numbers, impact and milestones, the alert groups they came from, milestone edits and the
//! timeline. The decisions are the core's (`hinomi_core::incident`); this module runs them
//! inside the transaction that writes their outcome, so each change commits with its
//! timeline entry and its event, or not at all.

use std::collections::{BTreeSet, HashMap};

use hinomi_core::incident::feed::{AlertEntry, alert_entries};
use hinomi_core::incident::{
    Currency, EntryKind, FieldError, Impact, Milestone, MilestoneChange, Milestones, Money,
    Playbooks, ReputationalRisk, Severity, SeverityPolicy, Status, Verdict, plan_status,
};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::append_audit;
use crate::{AuditEntry, Result, Store, StoreError, WriteTx, codec};

/// A service incidents name, and the status page will map components to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRecord {
    pub id: String,
    /// Unique; what people type.
    pub name: String,
    pub description: String,
    pub team_id: Option<String>,
    pub created_at: i64,
}

const SERVICE_COLUMNS: &str = "id, name, description, team_id, created_at";

impl ServiceRecord {
    fn from_row(row: &AnyRow) -> Result<ServiceRecord> {
        Ok(ServiceRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            team_id: row.try_get("team_id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// What a service write came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceWrite {
    Done,
    NotFound,
    /// Another service has the name.
    NameTaken,
    /// The team does not exist.
    UnknownTeam,
    /// Incidents name the service; it cannot be deleted.
    InUse(i64),
}

/// An incident as stored, with its services and alert groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRecord {
    pub id: String,
    /// The human reference number: `INC-<number>`.
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    pub status: Status,
    pub impact: Impact,
    pub milestones: Milestones,
    pub declared_by: String,
    pub updated_at: i64,
    /// (id, name), by name.
    pub services: Vec<(String, String)>,
    /// Group keys, in the order they were linked.
    pub alert_groups: Vec<String>,
}

impl IncidentRecord {
    /// `INC-42`.
    pub fn reference(&self) -> String {
        format!("INC-{}", self.number)
    }

    /// What escalation criteria read of it.
    pub fn criteria_facts(&self) -> hinomi_core::incident::criteria::Facts<'_> {
        hinomi_core::incident::criteria::Facts {
            severity: self.severity,
            status: self.status,
            impact: &self.impact,
            declared_at: self
                .milestones
                .get(Milestone::Declared)
                .unwrap_or(self.updated_at),
        }
    }
}

const INCIDENT_COLUMNS: &str = "id, number, title, summary, severity, status, people_affected, \
     revenue_per_day, currency, customers_affected, reputational_risk, started_at, detected_at, \
     declared_at, acknowledged_at, mitigated_at, resolved_at, declared_by, updated_at";

/// The milestone columns, in [`Milestone::ALL`]'s order.
const MILESTONE_COLUMNS: [&str; 6] = [
    "started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
];

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("incident: {e}"))
}

fn incident_from_row(row: &AnyRow) -> Result<IncidentRecord> {
    let mut milestones = Milestones::default();
    for (m, col) in Milestone::ALL.into_iter().zip(MILESTONE_COLUMNS) {
        milestones.set(m, row.try_get(col)?);
    }
    let currency: Option<String> = row.try_get("currency")?;
    let revenue: Option<i64> = row.try_get("revenue_per_day")?;
    let revenue_per_day = match (revenue, currency) {
        (Some(amount), Some(c)) => Some(Money {
            amount,
            currency: Currency::parse("currency", &c).map_err(corrupt)?,
        }),
        _ => None,
    };
    let risk: Option<String> = row.try_get("reputational_risk")?;
    Ok(IncidentRecord {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        severity: Severity::from_level(row.try_get("severity")?)
            .ok_or_else(|| corrupt("severity out of range"))?,
        status: Status::parse(&row.try_get::<String, _>("status")?).map_err(corrupt)?,
        impact: Impact {
            people_affected: row.try_get("people_affected")?,
            revenue_per_day,
            customers_affected: row.try_get("customers_affected")?,
            reputational_risk: risk
                .map(|r| ReputationalRisk::parse("reputational_risk", &r))
                .transpose()
                .map_err(corrupt)?,
        },
        milestones,
        declared_by: row.try_get("declared_by")?,
        updated_at: row.try_get("updated_at")?,
        services: Vec::new(),
        alert_groups: Vec::new(),
    })
}

/// Why an incident change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncidentFault {
    /// What was not found: `incident INC-4`, `timeline entry 12`.
    NotFound(String),
    /// Bad input, naming the field.
    Invalid(FieldError),
    /// The change contradicts the record (correcting an entry already corrected).
    Conflict(String),
}

impl From<FieldError> for IncidentFault {
    fn from(e: FieldError) -> Self {
        IncidentFault::Invalid(e)
    }
}

/// The outcome of an incident write: done, or refused with the reason.
pub type IncidentWrite<T> = std::result::Result<T, IncidentFault>;

/// An incident to declare.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    pub impact: Impact,
    /// Milestones known at declaration (started, detected, acknowledged); `declared` is
    /// set to the declaration's time. Started and detected not given are taken from the
    /// linked groups' first alert.
    pub milestones: Milestones,
    /// Service ids or names.
    pub services: Vec<String>,
    pub alert_groups: Vec<String>,
    /// What the declaration's event keeps about the suggested severity (a JSON object), if
    /// one was suggested.
    pub suggestion: Option<serde_json::Value>,
}

/// One change to an incident (a request may carry several; they apply in order).
#[derive(Clone, Debug)]
pub enum IncidentChange {
    Status {
        to: Status,
        reason: Option<String>,
    },
    Severity {
        to: Severity,
        reason: Option<String>,
    },
    Impact(Impact),
    Summary(String),
    Milestone {
        milestone: Milestone,
        at: Option<i64>,
        reason: String,
    },
    /// The services affected, by id or name (replacing those named before).
    Services(Vec<String>),
    /// Alert groups to link, by key (one already linked is left as it is).
    LinkGroups(Vec<String>),
}

/// An entry of an incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRecord {
    pub id: i64,
    pub incident_id: String,
    /// When it happened.
    pub at: i64,
    /// When it was written.
    pub recorded_at: i64,
    pub kind: EntryKind,
    pub actor: String,
    pub text: String,
    pub verdict: Option<Verdict>,
    /// A JSON object with the particulars of hinomi's own entries (`{"from","to"}`).
    pub data: String,
    /// The entry this one corrects.
    pub corrects: Option<i64>,
    /// The entry that corrects this one, if any.
    pub corrected_by: Option<i64>,
}

/// An entry someone writes.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub text: String,
    pub verdict: Option<Verdict>,
    /// When it happened (defaults to now).
    pub at: Option<i64>,
}

/// An update to send to an incident's stakeholders.
#[derive(Clone, Debug)]
pub struct NewUpdate {
    pub text: String,
    /// What the timeline entry keeps: the lists told and the number of messages.
    pub data: serde_json::Value,
    /// One message per list and contact.
    pub notices: Vec<crate::NewNotice>,
    /// When the next update will be owed (the severity's cadence from now), if ever.
    pub next_due: Option<i64>,
}

/// A milestone's edit, as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MilestoneEditRecord {
    pub milestone: Milestone,
    pub previous_at: Option<i64>,
    pub new_at: Option<i64>,
    pub reason: String,
    pub actor: String,
    pub at: i64,
}

/// Which incidents to list.
#[derive(Clone, Debug, Default)]
pub struct IncidentQuery {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    /// A service id or name.
    pub service: Option<String>,
    pub limit: i64,
}

const TIMELINE_COLUMNS: &str = "t.id, t.incident_id, t.at, t.recorded_at, t.kind, t.actor, t.text, \
     t.verdict, t.data, t.corrects, (SELECT c.id FROM incident_timeline c WHERE c.corrects = t.id) \
     AS corrected_by";

fn timeline_from_row(row: &AnyRow) -> Result<TimelineRecord> {
    let verdict: Option<String> = row.try_get("verdict")?;
    Ok(TimelineRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        at: row.try_get("at")?,
        recorded_at: row.try_get("recorded_at")?,
        kind: EntryKind::parse("kind", &row.try_get::<String, _>("kind")?).map_err(corrupt)?,
        actor: row.try_get("actor")?,
        text: row.try_get("text")?,
        verdict: verdict
            .map(|v| Verdict::parse(&v))
            .transpose()
            .map_err(corrupt)?,
        data: row.try_get("data")?,
        corrects: row.try_get("corrects")?,
        corrected_by: row.try_get("corrected_by")?,
    })
}

/// The impact as JSON for events and timeline entries.
fn impact_json(i: &Impact) -> serde_json::Value {
    json!({
        "people_affected": i.people_affected,
        "revenue_per_day": i.revenue_per_day.map(|m| m.amount),
        "currency": i.revenue_per_day.map(|m| m.currency.to_string()),
        "customers_affected": i.customers_affected,
        "reputational_risk": i.reputational_risk.map(|r| r.as_str()),
    })
}

/// Who writes the entries nobody typed (alerts firing and resolving).
const HINOMI: &str = "hinomi";

/// A link between an unresolved incident and an alert group, with the alert episodes it
/// has told the incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLink {
    pub incident_id: String,
    pub group_key: String,
    pub told: BTreeSet<String>,
}

/// The incident's subject in the event log.
pub(crate) fn subject(id: &str) -> String {
    format!("incident:{id}")
}

impl WriteTx {
    /// Appends a timeline entry and its event; answers the entry's id.
    #[allow(clippy::too_many_arguments)]
    async fn append_timeline(
        &mut self,
        incident_id: &str,
        at: i64,
        now: i64,
        kind: EntryKind,
        actor: &str,
        text: &str,
        verdict: Option<Verdict>,
        data: &serde_json::Value,
        corrects: Option<i64>,
    ) -> Result<i64> {
        let id: i64 = sqlx::query(
            "INSERT INTO incident_timeline (incident_id, at, recorded_at, kind, actor, text, \
             verdict, data, corrects) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(incident_id)
        .bind(at)
        .bind(now)
        .bind(kind.as_str())
        .bind(actor)
        .bind(text)
        .bind(verdict.map(|v| v.as_str()))
        .bind(data.to_string())
        .bind(corrects)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get(0)?;
        let event = json!({ "entry": id, "kind": kind.as_str(), "data": data });
        self.append_event(
            now,
            &format!("incident.{}", kind.as_str()),
            &subject(incident_id),
            actor,
            &event.to_string(),
        )
        .await?;
        Ok(id)
    }

    /// An entry hinomi writes about a change it made at `now` (no verdict, correcting
    /// nothing).
    pub(crate) async fn record_change(
        &mut self,
        incident_id: &str,
        now: i64,
        kind: EntryKind,
        actor: &str,
        text: &str,
        data: &serde_json::Value,
    ) -> Result<i64> {
        self.append_timeline(incident_id, now, now, kind, actor, text, None, data, None)
            .await
    }

    /// The links of unresolved incidents to any of `group_keys`.
    pub async fn incident_links(&mut self, group_keys: &[&str]) -> Result<Vec<GroupLink>> {
        let mut out = Vec::new();
        for chunk in group_keys.chunks(codec::CHUNK) {
            let sql = format!(
                "SELECT g.incident_id, g.group_key, g.told FROM incident_alert_groups g \
                 JOIN incidents i ON i.id = g.incident_id \
                 WHERE i.status <> 'resolved' AND g.group_key IN ({}) ORDER BY g.incident_id",
                codec::placeholders(self.backend(), 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for key in chunk {
                q = q.bind(*key);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let told: String = row.try_get("told")?;
                out.push(GroupLink {
                    incident_id: row.try_get("incident_id")?,
                    group_key: row.try_get("group_key")?,
                    told: serde_json::from_str(&told).map_err(corrupt)?,
                });
            }
        }
        Ok(out)
    }

    /// Tells a linked incident's timeline what began and ended among its group's alerts
    /// (`members`) since the link last looked, and remembers what it told.
    pub async fn tell_group_alerts(
        &mut self,
        link: &GroupLink,
        members: &[&hinomi_core::Alert],
        now: i64,
    ) -> Result<()> {
        let (entries, told) = alert_entries(&link.told, members, &link.group_key, now);
        if entries.is_empty() && told == link.told {
            return Ok(());
        }
        for AlertEntry {
            kind,
            at,
            text,
            data,
        } in &entries
        {
            self.append_timeline(
                &link.incident_id,
                *at,
                now,
                *kind,
                HINOMI,
                text,
                None,
                data,
                None,
            )
            .await?;
        }
        sqlx::query(
            "UPDATE incident_alert_groups SET told = $1 WHERE incident_id = $2 AND group_key = $3",
        )
        .bind(serde_json::to_string(&told).map_err(corrupt)?)
        .bind(&link.incident_id)
        .bind(&link.group_key)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// A page of `group_key` was acknowledged at `now` by `actor` (`how`: console, link,
    /// Slack...): an entry on each unresolved incident linked to the group, and the
    /// incident's acknowledged milestone if it has none yet.
    pub async fn note_page_acknowledged(
        &mut self,
        group_key: &str,
        page_id: &str,
        title: &str,
        actor: &str,
        how: &str,
        now: i64,
    ) -> Result<()> {
        let links = self.incident_links(&[group_key]).await?;
        for link in links {
            let Some(mut rec) = self.lock_incident(&link.incident_id).await? else {
                continue;
            };
            let data = json!({ "group_key": group_key, "page": page_id, "how": how });
            self.record_change(
                &rec.id,
                now,
                EntryKind::PageAcknowledged,
                actor,
                title,
                &data,
            )
            .await?;
            if rec.milestones.get(Milestone::Acknowledged).is_none()
                && let Ok((next, change)) =
                    rec.milestones.edit(Milestone::Acknowledged, Some(now), now)
            {
                let why = format!("page acknowledged by {actor}");
                self.record_milestone(&rec.id, change, &why, actor, now)
                    .await?;
                rec.milestones = next;
                rec.updated_at = now;
                self.write_incident_state(&rec).await?;
            }
        }
        Ok(())
    }

    /// Links an alert group to an incident at `now`: the link, its timeline entry, and what
    /// the group's alerts already tell (those firing, at their start). Answers when the
    /// group's page was acknowledged, if it is.
    async fn link_group(
        &mut self,
        incident_id: &str,
        group_key: &str,
        actor: &str,
        now: i64,
    ) -> Result<Option<i64>> {
        sqlx::query(
            "INSERT INTO incident_alert_groups (incident_id, group_key, linked_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(incident_id)
        .bind(group_key)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        self.record_change(
            incident_id,
            now,
            EntryKind::AlertGroupLinked,
            actor,
            group_key,
            &json!({ "group_key": group_key }),
        )
        .await?;
        let members = self.group_members(group_key).await?;
        let alerts: Vec<&hinomi_core::Alert> = members.iter().map(|m| &m.alert).collect();
        let link = GroupLink {
            incident_id: incident_id.to_owned(),
            group_key: group_key.to_owned(),
            told: BTreeSet::new(),
        };
        self.tell_group_alerts(&link, &alerts, now).await?;
        let acknowledged: Option<i64> = sqlx::query(
            "SELECT MAX(acknowledged_at) FROM pages WHERE group_key = $1 AND state = 'acknowledged'",
        )
        .bind(group_key)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get(0)?;
        Ok(acknowledged)
    }

    /// Notes on internal incident `incident_id` an update posted on the status page incident
    /// that tells of it (`status_incident`, its name): the text in Japanese (else English),
    /// the status posted and both bodies in `data`. A link to an incident since deleted is
    /// skipped.
    pub async fn note_status_page_update(
        &mut self,
        incident_id: &str,
        status_incident: (&str, &str),
        update: &hinomi_core::status_page::Update,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let known = sqlx::query("SELECT id FROM incidents WHERE id = $1")
            .bind(incident_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if known.is_none() {
            return Ok(());
        }
        let data = json!({
            "status_incident": status_incident.0,
            "name": status_incident.1,
            "status": update.progress.as_str(),
            "body_ja": update.body_ja,
            "body_en": update.body_en,
        });
        self.record_change(
            incident_id,
            now,
            EntryKind::StatusPageUpdate,
            actor,
            update.body(hinomi_core::Locale::Ja),
            &data,
        )
        .await?;
        Ok(())
    }

    /// The services named (by id or name) in `names` as (id, name), by id and without
    /// repeats; an unknown one is a fault at `<field>[i]`.
    async fn resolve_services(
        &mut self,
        names: &[String],
        field: &str,
    ) -> Result<IncidentWrite<Vec<(String, String)>>> {
        let mut ids = Vec::new();
        for (i, s) in names.iter().enumerate() {
            let row = sqlx::query(
                "SELECT id, name FROM services WHERE id = $1 OR name = $2 \
                 ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END LIMIT 1",
            )
            .bind(s)
            .bind(s)
            .bind(s)
            .fetch_optional(&mut *self.tx)
            .await?;
            match row {
                Some(r) => ids.push((r.try_get("id")?, r.try_get("name")?)),
                None => {
                    return Ok(Err(IncidentFault::Invalid(FieldError::new(
                        format!("{field}[{i}]"),
                        format!("no service {s:?}"),
                    ))));
                }
            }
        }
        ids.sort();
        ids.dedup();
        Ok(Ok(ids))
    }

    /// Whether an alert group with this key exists now.
    async fn group_exists(&mut self, key: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT group_key FROM alert_groups WHERE group_key = $1")
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?
                .is_some(),
        )
    }

    /// The incident, locked for the transaction, or the fault naming it as not found.
    pub(crate) async fn lock_existing(
        &mut self,
        id: &str,
    ) -> Result<IncidentWrite<IncidentRecord>> {
        Ok(self
            .lock_incident(id)
            .await?
            .ok_or_else(|| IncidentFault::NotFound(format!("incident {id}"))))
    }

    /// The incident, locked for the transaction, with its services (by id) and groups.
    pub async fn lock_incident(&mut self, id: &str) -> Result<Option<IncidentRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1{}",
            self.backend().for_update()
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(mut rec) = row.as_ref().map(incident_from_row).transpose()? else {
            return Ok(None);
        };
        for row in sqlx::query(
            "SELECT s.id, s.name FROM incident_services x JOIN services s ON s.id = x.service_id \
             WHERE x.incident_id = $1 ORDER BY s.id",
        )
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?
        {
            rec.services
                .push((row.try_get("id")?, row.try_get("name")?));
        }
        for row in sqlx::query(
            "SELECT group_key FROM incident_alert_groups WHERE incident_id = $1 \
             ORDER BY linked_at, group_key",
        )
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?
        {
            rec.alert_groups.push(row.try_get("group_key")?);
        }
        Ok(Some(rec))
    }

    async fn write_incident_state(&mut self, i: &IncidentRecord) -> Result<()> {
        let m = &i.milestones;
        sqlx::query(
            "UPDATE incidents SET summary = $2, severity = $3, status = $4, people_affected = $5, \
             revenue_per_day = $6, currency = $7, customers_affected = $8, \
             reputational_risk = $9, started_at = $10, detected_at = $11, declared_at = $12, \
             acknowledged_at = $13, mitigated_at = $14, resolved_at = $15, updated_at = $16 \
             WHERE id = $1",
        )
        .bind(&i.id)
        .bind(&i.summary)
        .bind(i64::from(i.severity.level()))
        .bind(i.status.as_str())
        .bind(i.impact.people_affected)
        .bind(i.impact.revenue_per_day.map(|r| r.amount))
        .bind(i.impact.revenue_per_day.map(|r| r.currency.to_string()))
        .bind(i.impact.customers_affected)
        .bind(i.impact.reputational_risk.map(|r| r.as_str()))
        .bind(m.get(Milestone::Started))
        .bind(m.get(Milestone::Detected))
        .bind(m.get(Milestone::Declared))
        .bind(m.get(Milestone::Acknowledged))
        .bind(m.get(Milestone::Mitigated))
        .bind(m.get(Milestone::Resolved))
        .bind(i.updated_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Declares an incident at `now` in this transaction: takes the next reference number,
    /// links its services and alert groups (taking started and detected from the groups'
    /// first alert when not given, telling the timeline their firing alerts, and taking
    /// acknowledged from their page's acknowledgement), writes the declaration's timeline
    /// entries and events, and copies the items of the `playbooks` that apply. The caller
    /// adds the team and commits.
    pub async fn declare_incident(
        &mut self,
        new: &NewIncident,
        playbooks: &Playbooks,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<IncidentRecord>> {
        let tx = self;
        let service_ids: Vec<String> = match tx.resolve_services(&new.services, "services").await? {
            Ok(found) => found.into_iter().map(|(id, _)| id).collect(),
            Err(e) => return Ok(Err(e)),
        };
        let mut groups: Vec<String> = Vec::new();
        let mut first_alert: Option<i64> = None;
        for (i, key) in new.alert_groups.iter().enumerate() {
            if !tx.group_exists(key).await? {
                return Ok(Err(IncidentFault::Invalid(FieldError::new(
                    format!("alert_groups[{i}]"),
                    format!("no alert group {key:?}"),
                ))));
            }
            let start: Option<i64> = sqlx::query(
                "SELECT MIN(t.starts_at) FROM group_alerts g \
                 JOIN alert_times t ON t.fingerprint = g.fingerprint WHERE g.group_key = $1",
            )
            .bind(key)
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get(0)?;
            first_alert = match (first_alert, start) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if !groups.contains(key) {
                groups.push(key.clone());
            }
        }
        let mut milestones = new.milestones.clone();
        milestones.set(Milestone::Declared, Some(now));
        for m in [Milestone::Started, Milestone::Detected] {
            if milestones.get(m).is_none() {
                milestones.set(m, first_alert.filter(|t| *t <= now));
            }
        }
        if let Err(e) = milestones.check(now) {
            return Ok(Err(e.into()));
        }
        let number: i64 = sqlx::query(
            "UPDATE counters SET value = value + 1 WHERE name = 'incident' RETURNING value",
        )
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO incidents (id, number, title, summary, severity, status, declared_at, \
             declared_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&new.id)
        .bind(number)
        .bind(&new.title)
        .bind(&new.summary)
        .bind(i64::from(new.severity.level()))
        .bind(Status::Investigating.as_str())
        .bind(now)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let mut record = IncidentRecord {
            id: new.id.clone(),
            number,
            title: new.title.clone(),
            summary: new.summary.clone(),
            severity: new.severity,
            status: Status::Investigating,
            impact: new.impact.clone(),
            milestones,
            declared_by: actor.to_owned(),
            updated_at: now,
            services: Vec::new(),
            alert_groups: groups.clone(),
        };
        tx.write_incident_state(&record).await?;
        for s in &service_ids {
            sqlx::query("INSERT INTO incident_services (incident_id, service_id) VALUES ($1, $2)")
                .bind(&new.id)
                .bind(s)
                .execute(&mut *tx.tx)
                .await?;
        }
        let data = json!({
            "reference": record.reference(),
            "title": new.title,
            "severity": new.severity.as_str(),
            "impact": impact_json(&new.impact),
            "services": service_ids,
            "suggestion": new.suggestion,
        });
        tx.record_change(&new.id, now, EntryKind::Declared, actor, &new.title, &data)
            .await?;
        let mut acknowledged: Option<i64> = None;
        for key in &groups {
            if let Some(at) = tx.link_group(&new.id, key, actor, now).await? {
                acknowledged = Some(acknowledged.map_or(at, |a| a.min(at)));
            }
        }
        if record.milestones.get(Milestone::Acknowledged).is_none()
            && let Some(at) = acknowledged
            && let Ok((next, change)) =
                record
                    .milestones
                    .edit(Milestone::Acknowledged, Some(at), now)
        {
            tx.record_milestone(
                &new.id,
                change,
                "the alert group's page was acknowledged",
                actor,
                now,
            )
            .await?;
            record.milestones = next;
            tx.write_incident_state(&record).await?;
        }
        tx.apply_playbooks(&record, playbooks, actor, now).await?;
        Ok(Ok(record))
    }

    /// Records a milestone's change: the edit kept with its reason, and a timeline entry.
    async fn record_milestone(
        &mut self,
        incident_id: &str,
        change: MilestoneChange,
        reason: &str,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO incident_milestone_edits (incident_id, milestone, previous_at, new_at, \
             reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(incident_id)
        .bind(change.milestone.as_str())
        .bind(change.from)
        .bind(change.to)
        .bind(reason)
        .bind(actor)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        let data = json!({
            "milestone": change.milestone.as_str(),
            "from": change.from.map(hinomi_core::time::format_millis),
            "to": change.to.map(hinomi_core::time::format_millis),
            "reason": reason,
        });
        self.record_change(
            incident_id,
            now,
            EntryKind::MilestoneEdit,
            actor,
            reason,
            &data,
        )
        .await?;
        Ok(())
    }
}

impl Store {
    // ---- services ----------------------------------------------------------------------

    /// Every service, by name.
    pub async fn services(&self) -> Result<Vec<ServiceRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLUMNS} FROM services ORDER BY name"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(ServiceRecord::from_row).collect()
    }

    /// The service with this id or, failing that, this name.
    pub async fn service(&self, id_or_name: &str) -> Result<Option<ServiceRecord>> {
        let row = self
            .by_id_or_name("services", SERVICE_COLUMNS, id_or_name)
            .await?;
        row.as_ref().map(ServiceRecord::from_row).transpose()
    }

    /// Creates a service, or (when `update`) rewrites the one with its id; with its audit
    /// entry.
    pub async fn save_service(
        &self,
        s: &ServiceRecord,
        update: bool,
        audit: &AuditEntry,
    ) -> Result<ServiceWrite> {
        let mut tx = self.write.begin().await?;
        let taken = sqlx::query("SELECT id FROM services WHERE name = $1 AND id <> $2")
            .bind(&s.name)
            .bind(&s.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(ServiceWrite::NameTaken);
        }
        if let Some(team) = &s.team_id {
            let known = sqlx::query("SELECT id FROM teams WHERE id = $1")
                .bind(team)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Ok(ServiceWrite::UnknownTeam);
            }
        }
        let sql = if update {
            "UPDATE services SET name = $2, description = $3, team_id = $4 WHERE id = $1"
        } else {
            "INSERT INTO services (id, name, description, team_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)"
        };
        let mut q = sqlx::query(sql)
            .bind(&s.id)
            .bind(&s.name)
            .bind(&s.description)
            .bind(s.team_id.as_deref());
        if !update {
            q = q.bind(s.created_at);
        }
        if q.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(ServiceWrite::NotFound);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(ServiceWrite::Done)
    }

    /// Deletes a service no incident names.
    pub async fn delete_service(&self, id: &str, audit: &AuditEntry) -> Result<ServiceWrite> {
        let mut tx = self.write.begin().await?;
        let used: i64 = sqlx::query("SELECT COUNT(*) FROM incident_services WHERE service_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if used > 0 {
            return Ok(ServiceWrite::InUse(used));
        }
        let done = sqlx::query("DELETE FROM services WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(ServiceWrite::NotFound);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(ServiceWrite::Done)
    }

    // ---- incidents ---------------------------------------------------------------------

    /// Applies `changes` to an incident at `now`, in order, in one transaction: each with
    /// its timeline entry and event (and, for milestones, the kept edit), the items of the
    /// `playbooks` that apply once the severity changed, the update cadence's timer and the
    /// escalation criteria's timers re-armed. Answers the incident as it then is.
    pub async fn change_incident(
        &self,
        id: &str,
        changes: &[IncidentChange],
        policy: &SeverityPolicy,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<IncidentRecord>> {
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_incident(id).await? else {
            return Ok(Err(IncidentFault::NotFound(format!("incident {id}"))));
        };
        let severity_before = rec.severity;
        let status_before = rec.status;
        let services_before = rec.services.clone();
        for change in changes {
            match change {
                IncidentChange::Status { to, reason } => {
                    let plan =
                        match plan_status(rec.status, *to, reason.as_deref(), &rec.milestones, now)
                        {
                            Ok(p) => p,
                            Err(e) => return Ok(Err(e.into())),
                        };
                    let reason = reason.as_deref().map(str::trim).unwrap_or("");
                    let data = json!({
                        "from": plan.from.as_str(),
                        "to": plan.to.as_str(),
                        "reopened": plan.reopened,
                        "reason": reason,
                    });
                    tx.record_change(id, now, EntryKind::StatusChange, actor, reason, &data)
                        .await?;
                    let why = format!("status {} -> {}", plan.from, plan.to);
                    for c in &plan.changes {
                        tx.record_milestone(id, *c, &why, actor, now).await?;
                    }
                    rec.status = plan.to;
                    rec.milestones = plan.milestones;
                }
                IncidentChange::Severity { to, reason } => {
                    if *to == rec.severity {
                        continue;
                    }
                    let reason = reason.as_deref().map(str::trim).unwrap_or("");
                    let data = json!({
                        "from": rec.severity.as_str(),
                        "to": to.as_str(),
                        "reason": reason,
                    });
                    tx.record_change(id, now, EntryKind::SeverityChange, actor, reason, &data)
                        .await?;
                    rec.severity = *to;
                }
                IncidentChange::Impact(impact) => {
                    if *impact == rec.impact {
                        continue;
                    }
                    let data = json!({
                        "from": impact_json(&rec.impact),
                        "to": impact_json(impact),
                    });
                    tx.record_change(id, now, EntryKind::ImpactChange, actor, "", &data)
                        .await?;
                    rec.impact = impact.clone();
                }
                IncidentChange::Summary(summary) => {
                    if *summary == rec.summary {
                        continue;
                    }
                    let data = json!({ "from": rec.summary, "to": summary });
                    tx.record_change(id, now, EntryKind::SummaryChange, actor, summary, &data)
                        .await?;
                    rec.summary = summary.clone();
                }
                IncidentChange::Milestone {
                    milestone,
                    at,
                    reason,
                } => {
                    let (next, c) = match rec.milestones.edit(*milestone, *at, now) {
                        Ok(done) => done,
                        Err(e) => return Ok(Err(e.into())),
                    };
                    if c.from != c.to {
                        tx.record_milestone(id, c, reason, actor, now).await?;
                    }
                    rec.milestones = next;
                }
                IncidentChange::Services(names) => {
                    let found = match tx.resolve_services(names, "services").await? {
                        Ok(found) => found,
                        Err(e) => return Ok(Err(e)),
                    };
                    if found == rec.services {
                        continue;
                    }
                    sqlx::query("DELETE FROM incident_services WHERE incident_id = $1")
                        .bind(id)
                        .execute(&mut *tx.tx)
                        .await?;
                    for (service, _) in &found {
                        sqlx::query(
                            "INSERT INTO incident_services (incident_id, service_id) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(service)
                        .execute(&mut *tx.tx)
                        .await?;
                    }
                    let names = |list: &[(String, String)]| -> Vec<String> {
                        list.iter().map(|(_, n)| n.clone()).collect()
                    };
                    let data = json!({ "from": names(&rec.services), "to": names(&found) });
                    let text = names(&found).join(", ");
                    tx.record_change(id, now, EntryKind::ServicesChange, actor, &text, &data)
                        .await?;
                    rec.services = found;
                }
                IncidentChange::LinkGroups(keys) => {
                    for (i, key) in keys.iter().enumerate() {
                        if rec.alert_groups.contains(key) {
                            continue;
                        }
                        if !tx.group_exists(key).await? {
                            return Ok(Err(IncidentFault::Invalid(FieldError::new(
                                format!("link_alert_groups[{i}]"),
                                format!("no alert group {key:?}"),
                            ))));
                        }
                        let acknowledged = tx.link_group(id, key, actor, now).await?;
                        rec.alert_groups.push(key.clone());
                        if rec.milestones.get(Milestone::Acknowledged).is_none()
                            && let Some(at) = acknowledged
                            && let Ok((next, c)) =
                                rec.milestones.edit(Milestone::Acknowledged, Some(at), now)
                        {
                            let why = "the alert group's page was acknowledged";
                            tx.record_milestone(id, c, why, actor, now).await?;
                            rec.milestones = next;
                        }
                    }
                }
            }
        }
        rec.updated_at = now;
        tx.write_incident_state(&rec).await?;
        tx.arm_criteria(&rec, policy.criteria(), now).await?;
        if rec.severity != severity_before || rec.services != services_before {
            tx.apply_playbooks(&rec, policy.playbooks(), actor, now)
                .await?;
        }
        if rec.severity != severity_before || rec.status != status_before {
            let due = if rec.status == Status::Resolved {
                None
            } else {
                let last: Option<i64> = sqlx::query(
                    "SELECT MAX(at) FROM incident_timeline WHERE incident_id = $1 AND kind = 'update'",
                )
                .bind(id)
                .fetch_one(&mut *tx.tx)
                .await?
                .try_get(0)?;
                let since = last
                    .or(rec.milestones.get(Milestone::Declared))
                    .unwrap_or(now);
                let every = policy.level(rec.severity).update_every_minutes;
                hinomi_core::incident::comms::next_update_due(since, every)
            };
            tx.arm_update_due(id, due, now).await?;
        }
        tx.commit().await?;
        Ok(self
            .incident(id)
            .await?
            .ok_or_else(|| IncidentFault::NotFound(format!("incident {id}"))))
    }

    /// The incident with this id or reference (`INC-42`, `42`).
    pub async fn incident(&self, id_or_ref: &str) -> Result<Option<IncidentRecord>> {
        let number = id_or_ref
            .trim()
            .to_ascii_uppercase()
            .strip_prefix("INC-")
            .map_or_else(|| id_or_ref.trim().parse::<i64>().ok(), |n| n.parse().ok());
        let row = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1 OR number = $2 \
             ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END LIMIT 1"
        ))
        .bind(id_or_ref)
        .bind(number.unwrap_or(-1))
        .bind(id_or_ref)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut rec = incident_from_row(&row)?;
        self.fill(std::slice::from_mut(&mut rec)).await?;
        Ok(Some(rec))
    }

    /// Incidents matching `q`, newest first.
    pub async fn incidents(&self, q: &IncidentQuery) -> Result<Vec<IncidentRecord>> {
        let mut sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.status.is_some() {
            sql.push_str(&format!(" AND status = {}", next()));
        }
        if q.severity.is_some() {
            sql.push_str(&format!(" AND severity = {}", next()));
        }
        if q.service.is_some() {
            let (a, b) = (next(), next());
            sql.push_str(&format!(
                " AND id IN (SELECT x.incident_id FROM incident_services x JOIN services s \
                 ON s.id = x.service_id WHERE s.id = {a} OR s.name = {b})"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY number DESC LIMIT {}",
            q.limit.clamp(1, 1000)
        ));
        let mut query = sqlx::query(&sql);
        if let Some(s) = q.status {
            query = query.bind(s.as_str());
        }
        if let Some(s) = q.severity {
            query = query.bind(i64::from(s.level()));
        }
        if let Some(s) = &q.service {
            query = query.bind(s).bind(s);
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut out = rows
            .iter()
            .map(incident_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.fill(&mut out).await?;
        Ok(out)
    }

    /// Fills in the services and alert groups of `incidents`.
    async fn fill(&self, incidents: &mut [IncidentRecord]) -> Result<()> {
        let ids: Vec<&str> = incidents.iter().map(|i| i.id.as_str()).collect();
        let mut services = self.incident_services(&ids).await?;
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(codec::CHUNK) {
            let sql = format!(
                "SELECT incident_id, group_key FROM incident_alert_groups \
                 WHERE incident_id IN ({}) ORDER BY linked_at, group_key",
                codec::placeholders(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.read).await? {
                groups
                    .entry(row.try_get("incident_id")?)
                    .or_default()
                    .push(row.try_get("group_key")?);
            }
        }
        for i in incidents {
            i.services = services.remove(&i.id).unwrap_or_default();
            i.alert_groups = groups.remove(&i.id).unwrap_or_default();
        }
        Ok(())
    }

    async fn incident_services(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, Vec<(String, String)>>> {
        let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for chunk in ids.chunks(codec::CHUNK) {
            let sql = format!(
                "SELECT x.incident_id, s.id, s.name FROM incident_services x \
                 JOIN services s ON s.id = x.service_id WHERE x.incident_id IN ({}) \
                 ORDER BY s.name",
                codec::placeholders(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.read).await? {
                out.entry(row.try_get("incident_id")?)
                    .or_default()
                    .push((row.try_get("id")?, row.try_get("name")?));
            }
        }
        Ok(out)
    }

    /// What changes whenever anything about an incident does: its last change and its
    /// newest timeline entry (every change writes one). `None` if there is no such incident.
    pub async fn incident_version(&self, id: &str) -> Result<Option<(i64, i64)>> {
        let row = sqlx::query(
            "SELECT i.updated_at, (SELECT COALESCE(MAX(t.id), 0) FROM incident_timeline t \
             WHERE t.incident_id = i.id) AS newest FROM incidents i WHERE i.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((r.try_get("updated_at")?, r.try_get("newest")?)))
            .transpose()
    }

    /// The incidents linked to an alert group, newest first.
    pub async fn incidents_for_group(&self, group_key: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT i.id, i.number FROM incident_alert_groups g JOIN incidents i \
             ON i.id = g.incident_id WHERE g.group_key = $1 ORDER BY i.number DESC",
        )
        .bind(group_key)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("number")?)))
            .collect()
    }

    /// An incident's timeline in the order things happened, optionally only `kinds`.
    pub async fn incident_timeline(
        &self,
        incident_id: &str,
        kinds: &[EntryKind],
    ) -> Result<Vec<TimelineRecord>> {
        let mut sql =
            format!("SELECT {TIMELINE_COLUMNS} FROM incident_timeline t WHERE t.incident_id = $1");
        if !kinds.is_empty() {
            let list: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(" AND t.kind IN ({})", list.join(", ")));
        }
        sql.push_str(" ORDER BY t.at, t.id");
        let mut q = sqlx::query(&sql).bind(incident_id);
        for k in kinds {
            q = q.bind(k.as_str());
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(timeline_from_row).collect()
    }

    /// An incident's milestone edits, oldest first.
    pub async fn milestone_edits(&self, incident_id: &str) -> Result<Vec<MilestoneEditRecord>> {
        let rows = sqlx::query(
            "SELECT milestone, previous_at, new_at, reason, actor, at \
             FROM incident_milestone_edits WHERE incident_id = $1 ORDER BY id",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MilestoneEditRecord {
                    milestone: Milestone::parse(&r.try_get::<String, _>("milestone")?)
                        .map_err(corrupt)?,
                    previous_at: r.try_get("previous_at")?,
                    new_at: r.try_get("new_at")?,
                    reason: r.try_get("reason")?,
                    actor: r.try_get("actor")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Writes someone's entry on an incident's timeline, with its event.
    pub async fn add_timeline_entry(
        &self,
        incident_id: &str,
        entry: &NewEntry,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<TimelineRecord>> {
        let at = entry.at.unwrap_or(now);
        if at > now {
            return Ok(Err(
                FieldError::new("at", "must not be in the future").into()
            ));
        }
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let id = tx
            .append_timeline(
                incident_id,
                at,
                now,
                entry.kind,
                actor,
                &entry.text,
                entry.verdict,
                &json!({}),
                None,
            )
            .await?;
        tx.commit().await?;
        self.timeline_entry(incident_id, id).await
    }

    /// Records an update sent to an incident's stakeholders, queues its messages
    /// (`notices`, one per contact) and arms the reminder of the next one at `next_due`, in
    /// one transaction; answers the entry.
    pub async fn post_incident_update(
        &self,
        incident_id: &str,
        update: &NewUpdate,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<TimelineRecord>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let id = tx
            .record_change(
                incident_id,
                now,
                EntryKind::Update,
                actor,
                &update.text,
                &update.data,
            )
            .await?;
        for n in &update.notices {
            tx.insert_notice(n).await?;
        }
        tx.arm_update_due(incident_id, update.next_due, now).await?;
        tx.commit().await?;
        self.timeline_entry(incident_id, id).await
    }

    /// When the last update went to an incident's stakeholders, if one did.
    pub async fn last_incident_update(&self, incident_id: &str) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT MAX(at) FROM incident_timeline WHERE incident_id = $1 AND kind = 'update'",
        )
        .bind(incident_id)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Corrects someone's entry: a new entry of the same kind (and time) pointing at the
    /// original, which stays as it was. Only the latest version of an entry is corrected.
    #[allow(clippy::too_many_arguments)]
    pub async fn correct_timeline_entry(
        &self,
        incident_id: &str,
        entry_id: i64,
        text: &str,
        verdict: Option<Verdict>,
        reason: &str,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<TimelineRecord>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let row = sqlx::query(&format!(
            "SELECT {TIMELINE_COLUMNS} FROM incident_timeline t \
             WHERE t.id = $1 AND t.incident_id = $2"
        ))
        .bind(entry_id)
        .bind(incident_id)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(original) = row.as_ref().map(timeline_from_row).transpose()? else {
            return Ok(Err(IncidentFault::NotFound(format!(
                "timeline entry {entry_id}"
            ))));
        };
        if !original.kind.is_manual() {
            return Ok(Err(IncidentFault::Conflict(format!(
                "{} entries are hinomi's record of a change and cannot be corrected",
                original.kind
            ))));
        }
        if let Some(by) = original.corrected_by {
            return Ok(Err(IncidentFault::Conflict(format!(
                "entry {entry_id} was corrected by entry {by}: correct that one"
            ))));
        }
        if original.kind != EntryKind::Hypothesis && verdict.is_some() {
            return Ok(Err(FieldError::new(
                "verdict",
                "only a hypothesis has a verdict",
            )
            .into()));
        }
        let verdict = verdict.or(original.verdict);
        let id = tx
            .append_timeline(
                incident_id,
                original.at,
                now,
                original.kind,
                actor,
                text,
                verdict,
                &json!({ "reason": reason }),
                Some(entry_id),
            )
            .await?;
        tx.commit().await?;
        self.timeline_entry(incident_id, id).await
    }

    async fn timeline_entry(
        &self,
        incident_id: &str,
        id: i64,
    ) -> Result<IncidentWrite<TimelineRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TIMELINE_COLUMNS} FROM incident_timeline t WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row
            .as_ref()
            .map(timeline_from_row)
            .transpose()?
            .ok_or_else(|| {
                IncidentFault::NotFound(format!("timeline entry {id} of {incident_id}"))
            }))
    }
}
