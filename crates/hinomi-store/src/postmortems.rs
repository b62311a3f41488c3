//! After an incident (migration 0015): its recovery checks and business-impact record, the
//! postmortem drafted from it, and its action items. Each change commits with its timeline
//! entry (recovery checks, the impact record) or its event (postmortems, action items).
//! [`Store::postmortem_facts`] gathers what the core's `incident::postmortem::draft` needs.

use hinomi_core::incident::action_item::{Category, Chase, Horizon, ItemStatus};
use hinomi_core::incident::postmortem::{
    ActionItemFact, CheckFact, Facts, Section, TeamMember, TimelineFact,
};
use hinomi_core::incident::roles::Roles;
use hinomi_core::incident::{Check, CheckState, EntryKind, FieldError, ImpactRecord};
use hinomi_core::locale::Locale;
use jiff::civil::Date;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::incidents::{corrupt, subject};
use crate::{Holder, IncidentFault, IncidentRecord, IncidentWrite, Result, Store, WriteTx};

/// A recovery check as recorded; `not_checked` with no one's name until someone checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryCheckRecord {
    pub check: Check,
    pub state: CheckState,
    pub note: String,
    pub checked_by: Option<String>,
    pub checked_at: Option<i64>,
}

/// An incident's recovery checks (every [`Check`], in order) and impact record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryRecord {
    pub checks: Vec<RecoveryCheckRecord>,
    pub impact: ImpactRecord,
    pub impact_updated_by: Option<String>,
    pub impact_updated_at: Option<i64>,
}

/// A postmortem section as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionRecord {
    pub section: Section,
    pub body: String,
    /// Set once a person changed the body; a new draft keeps it.
    pub edited_by: Option<String>,
    pub edited_at: Option<i64>,
}

/// An incident's postmortem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostmortemRecord {
    pub incident_id: String,
    pub language: Locale,
    /// IANA zone the draft's times are written in.
    pub time_zone: String,
    pub drafted_by: String,
    pub drafted_at: i64,
    pub updated_at: i64,
    /// In [`Section::ALL`]'s order.
    pub sections: Vec<SectionRecord>,
}

/// An action item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionItemRecord {
    pub id: String,
    pub incident_id: String,
    /// The incident's reference number.
    pub incident_number: i64,
    pub category: Category,
    pub horizon: Horizon,
    pub title: String,
    pub owner_id: Option<String>,
    /// The owner's username.
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: ItemStatus,
    pub ticket_url: Option<String>,
    /// Where it came from: `manual`, or the postmortem section it was taken from.
    pub source: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An action item to add.
#[derive(Clone, Debug)]
pub struct NewActionItem {
    pub id: String,
    pub category: Category,
    pub horizon: Horizon,
    pub title: String,
    pub owner_id: Option<String>,
    pub due: Option<Date>,
    pub ticket_url: Option<String>,
    pub source: String,
}

/// Changes to an action item; `None` changes nothing, `Some(None)` clears.
#[derive(Clone, Debug, Default)]
pub struct ActionItemPatch {
    pub category: Option<Category>,
    pub horizon: Option<Horizon>,
    pub title: Option<String>,
    pub owner_id: Option<Option<String>>,
    pub due: Option<Option<Date>>,
    pub status: Option<ItemStatus>,
    pub ticket_url: Option<Option<String>>,
}

/// Which action items to list.
#[derive(Clone, Debug, Default)]
pub struct ActionItemQuery {
    pub incident_id: Option<String>,
    /// Only open and in-progress items.
    pub open_only: bool,
    /// Only this user's (by id).
    pub owner_id: Option<String>,
}

const ITEM_COLUMNS: &str = "a.id, a.incident_id, i.number, a.category, a.horizon, a.title, \
     a.owner_id, u.username AS owner, a.due_on, a.status, a.ticket_url, a.source, a.created_by, \
     a.created_at, a.updated_at";
const ITEM_FROM: &str = "action_items a JOIN incidents i ON i.id = a.incident_id \
     LEFT JOIN users u ON u.id = a.owner_id";

fn item_from_row(r: &AnyRow) -> Result<ActionItemRecord> {
    let due: Option<String> = r.try_get("due_on")?;
    Ok(ActionItemRecord {
        id: r.try_get("id")?,
        incident_id: r.try_get("incident_id")?,
        incident_number: r.try_get("number")?,
        category: Category::parse(&r.try_get::<String, _>("category")?).map_err(corrupt)?,
        horizon: Horizon::parse(&r.try_get::<String, _>("horizon")?).map_err(corrupt)?,
        title: r.try_get("title")?,
        owner_id: r.try_get("owner_id")?,
        owner: r.try_get("owner")?,
        due: due
            .map(|d| d.parse::<Date>().map_err(corrupt))
            .transpose()?,
        status: ItemStatus::parse(&r.try_get::<String, _>("status")?).map_err(corrupt)?,
        ticket_url: r.try_get("ticket_url")?,
        source: r.try_get("source")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn item_json(i: &ActionItemRecord) -> serde_json::Value {
    json!({
        "id": i.id,
        "category": i.category.as_str(),
        "horizon": i.horizon.as_str(),
        "title": i.title,
        "owner_id": i.owner_id,
        "due": i.due.map(|d| d.to_string()),
        "status": i.status.as_str(),
        "ticket_url": i.ticket_url,
    })
}

fn impact_record_json(r: &ImpactRecord) -> serde_json::Value {
    json!({
        "data_loss": r.data_loss,
        "business_delay": r.business_delay,
        "customers_handled": r.customers_handled,
        "customers_handled_count": r.customers_handled_count,
    })
}

fn impact_from_row(r: &AnyRow) -> Result<ImpactRecord> {
    Ok(ImpactRecord {
        data_loss: r.try_get("data_loss")?,
        business_delay: r.try_get("business_delay")?,
        customers_handled: r.try_get("customers_handled")?,
        customers_handled_count: r.try_get("customers_handled_count")?,
    })
}

impl WriteTx {
    async fn read_sections(&mut self, incident_id: &str) -> Result<Vec<SectionRecord>> {
        let rows = sqlx::query(
            "SELECT section, body, edited_by, edited_at FROM postmortem_sections \
             WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_all(&mut *self.tx)
        .await?;
        sections_from_rows(&rows)
    }
}

fn sections_from_rows(rows: &[AnyRow]) -> Result<Vec<SectionRecord>> {
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(SectionRecord {
                section: Section::parse(&r.try_get::<String, _>("section")?).map_err(corrupt)?,
                body: r.try_get("body")?,
                edited_by: r.try_get("edited_by")?,
                edited_at: r.try_get("edited_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|s| Section::ALL.iter().position(|x| *x == s.section));
    Ok(out)
}

impl Store {
    // ---- recovery ----------------------------------------------------------------------

    /// An incident's recovery checks and impact record (empty until someone records them).
    pub async fn recovery(&self, incident_id: &str) -> Result<RecoveryRecord> {
        let rows = sqlx::query(
            "SELECT check_name, state, note, checked_by, checked_at \
             FROM incident_recovery_checks WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        let mut checks: Vec<RecoveryCheckRecord> = Check::ALL
            .iter()
            .map(|c| RecoveryCheckRecord {
                check: *c,
                state: CheckState::NotChecked,
                note: String::new(),
                checked_by: None,
                checked_at: None,
            })
            .collect();
        for r in &rows {
            let check = Check::parse(&r.try_get::<String, _>("check_name")?).map_err(corrupt)?;
            let slot = &mut checks[check as usize];
            slot.state = CheckState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?;
            slot.note = r.try_get("note")?;
            slot.checked_by = Some(r.try_get("checked_by")?);
            slot.checked_at = Some(r.try_get("checked_at")?);
        }
        let row = sqlx::query(
            "SELECT data_loss, business_delay, customers_handled, customers_handled_count, \
             updated_by, updated_at FROM incident_impact_records WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_optional(&self.read)
        .await?;
        let (impact, by, at) = match row {
            Some(r) => (
                impact_from_row(&r)?,
                Some(r.try_get("updated_by")?),
                Some(r.try_get("updated_at")?),
            ),
            None => (ImpactRecord::default(), None, None),
        };
        Ok(RecoveryRecord {
            checks,
            impact,
            impact_updated_by: by,
            impact_updated_at: at,
        })
    }

    /// Records a recovery check's state and note, with a timeline entry saying who found
    /// what.
    pub async fn set_recovery_check(
        &self,
        incident_id: &str,
        check: Check,
        state: CheckState,
        note: &str,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<RecoveryRecord>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let before: Option<String> = sqlx::query(
            "SELECT state FROM incident_recovery_checks WHERE incident_id = $1 AND check_name = $2",
        )
        .bind(incident_id)
        .bind(check.as_str())
        .fetch_optional(&mut *tx.tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        sqlx::query(
            "INSERT INTO incident_recovery_checks (incident_id, check_name, state, note, \
             checked_by, checked_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (incident_id, check_name) DO UPDATE SET state = excluded.state, \
             note = excluded.note, checked_by = excluded.checked_by, \
             checked_at = excluded.checked_at",
        )
        .bind(incident_id)
        .bind(check.as_str())
        .bind(state.as_str())
        .bind(note)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let data = json!({
            "check": check.as_str(),
            "from": before.unwrap_or_else(|| CheckState::NotChecked.as_str().to_owned()),
            "to": state.as_str(),
            "note": note,
        });
        tx.record_change(
            incident_id,
            now,
            EntryKind::RecoveryCheck,
            actor,
            note,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(self.recovery(incident_id).await?))
    }

    /// Replaces the business-impact record; an unchanged record writes nothing.
    pub async fn set_impact_record(
        &self,
        incident_id: &str,
        record: &ImpactRecord,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<RecoveryRecord>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let row = sqlx::query(
            "SELECT data_loss, business_delay, customers_handled, customers_handled_count \
             FROM incident_impact_records WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let current = row.as_ref().map(impact_from_row).transpose()?;
        if current.as_ref() != Some(record) {
            sqlx::query(
                "INSERT INTO incident_impact_records (incident_id, data_loss, business_delay, \
                 customers_handled, customers_handled_count, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id) DO UPDATE SET \
                 data_loss = excluded.data_loss, business_delay = excluded.business_delay, \
                 customers_handled = excluded.customers_handled, \
                 customers_handled_count = excluded.customers_handled_count, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(incident_id)
            .bind(&record.data_loss)
            .bind(&record.business_delay)
            .bind(&record.customers_handled)
            .bind(record.customers_handled_count)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
            let data = json!({
                "from": impact_record_json(&current.unwrap_or_default()),
                "to": impact_record_json(record),
            });
            tx.record_change(
                incident_id,
                now,
                EntryKind::ImpactRecordChange,
                actor,
                "",
                &data,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(self.recovery(incident_id).await?))
    }

    // ---- postmortems -------------------------------------------------------------------

    /// What a postmortem of `incident` is drafted from: the incident, people's timeline
    /// entries (the latest version of each corrected one), the recovery checks, the impact
    /// record, the action items, and the response team: everyone who held a role, handed
    /// on or not, by the roles' order (core first), named in `locale`.
    pub async fn postmortem_facts(
        &self,
        incident: &IncidentRecord,
        severity_name: &str,
        roles: &Roles,
        locale: Locale,
    ) -> Result<Facts> {
        let mut held = self.incident_roles(&incident.id, true).await?;
        let order = |key: &str| roles.all().iter().position(|r| r.key == key);
        held.sort_by_key(|a| (order(&a.role).unwrap_or(usize::MAX), a.id));
        let mut team = Vec::new();
        for a in held {
            let person = match &a.holder {
                Holder::User(id) => self
                    .user_by_id(id)
                    .await?
                    .map_or_else(|| id.clone(), |u| u.display_name),
                Holder::Contact(id) => self
                    .external_contact(id)
                    .await?
                    .map_or_else(|| id.clone(), |c| c.label()),
            };
            let role = roles
                .get(&a.role)
                .map_or_else(|| a.role.clone(), |r| r.name(locale).to_owned());
            team.push(TeamMember { role, person });
        }
        let timeline = self
            .incident_timeline(&incident.id, &EntryKind::MANUAL)
            .await?
            .into_iter()
            .filter(|e| e.corrected_by.is_none())
            .map(|e| TimelineFact {
                at: e.at,
                kind: e.kind,
                verdict: e.verdict,
                text: e.text,
            })
            .collect();
        let recovery = self.recovery(&incident.id).await?;
        let items = self
            .action_items(&ActionItemQuery {
                incident_id: Some(incident.id.clone()),
                ..ActionItemQuery::default()
            })
            .await?;
        Ok(Facts {
            reference: incident.reference(),
            title: incident.title.clone(),
            summary: incident.summary.clone(),
            severity: incident.severity,
            severity_name: severity_name.to_owned(),
            services: incident.services.iter().map(|(_, n)| n.clone()).collect(),
            impact: incident.impact.clone(),
            milestones: incident.milestones.clone(),
            timeline,
            checks: recovery
                .checks
                .into_iter()
                .map(|c| CheckFact {
                    check: c.check,
                    state: c.state,
                    note: c.note,
                })
                .collect(),
            impact_record: recovery.impact,
            team,
            action_items: items
                .into_iter()
                .map(|i| ActionItemFact {
                    title: i.title,
                    category: i.category,
                    horizon: i.horizon,
                    owner: i.owner,
                    due: i.due,
                    status: i.status,
                })
                .collect(),
        })
    }

    /// An incident's postmortem, if one was drafted.
    pub async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>> {
        let row = sqlx::query(
            "SELECT language, time_zone, drafted_by, drafted_at, updated_at FROM postmortems \
             WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let rows = sqlx::query(
            "SELECT section, body, edited_by, edited_at FROM postmortem_sections \
             WHERE incident_id = $1",
        )
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        let language: String = r.try_get("language")?;
        Ok(Some(PostmortemRecord {
            incident_id: incident_id.to_owned(),
            language: Locale::parse(&language)
                .ok_or_else(|| corrupt(format!("postmortem language {language:?}")))?,
            time_zone: r.try_get("time_zone")?,
            drafted_by: r.try_get("drafted_by")?,
            drafted_at: r.try_get("drafted_at")?,
            updated_at: r.try_get("updated_at")?,
            sections: sections_from_rows(&rows)?,
        }))
    }

    /// Writes a new draft of an incident's postmortem. Sections people edited are kept
    /// unless `replace_edited`; the others take the draft's body. Answers the postmortem
    /// and the sections kept.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_postmortem_draft(
        &self,
        incident_id: &str,
        language: Locale,
        time_zone: &str,
        draft: &[(Section, String)],
        replace_edited: bool,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<(PostmortemRecord, Vec<Section>)>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let existing = tx.read_sections(incident_id).await?;
        let mut kept = Vec::new();
        for (section, body) in draft {
            let edited = existing
                .iter()
                .any(|s| s.section == *section && s.edited_at.is_some());
            if edited && !replace_edited {
                kept.push(*section);
                continue;
            }
            sqlx::query(
                "INSERT INTO postmortem_sections (incident_id, section, body, edited_by, \
                 edited_at) VALUES ($1, $2, $3, NULL, NULL) ON CONFLICT (incident_id, section) \
                 DO UPDATE SET body = excluded.body, edited_by = NULL, edited_at = NULL",
            )
            .bind(incident_id)
            .bind(section.as_str())
            .bind(body)
            .execute(&mut *tx.tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO postmortems (incident_id, language, time_zone, drafted_by, drafted_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (incident_id) DO UPDATE \
             SET language = excluded.language, time_zone = excluded.time_zone, \
             drafted_by = excluded.drafted_by, drafted_at = excluded.drafted_at, \
             updated_at = excluded.updated_at",
        )
        .bind(incident_id)
        .bind(language.tag())
        .bind(time_zone)
        .bind(actor)
        .bind(now)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let kept_names: Vec<&str> = kept.iter().map(|s| s.as_str()).collect();
        let data = json!({
            "language": language.tag(),
            "time_zone": time_zone,
            "replace_edited": replace_edited,
            "kept": kept_names,
        });
        tx.append_event(
            now,
            "postmortem.drafted",
            &subject(incident_id),
            actor,
            &data.to_string(),
        )
        .await?;
        tx.commit().await?;
        let record = self
            .postmortem(incident_id)
            .await?
            .ok_or_else(|| corrupt("postmortem vanished after its draft"))?;
        Ok(Ok((record, kept)))
    }

    /// Replaces one section's body with a person's text; a new draft keeps it.
    pub async fn edit_postmortem_section(
        &self,
        incident_id: &str,
        section: Section,
        body: &str,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<PostmortemRecord>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let done = sqlx::query(
            "UPDATE postmortem_sections SET body = $3, edited_by = $4, edited_at = $5 \
             WHERE incident_id = $1 AND section = $2",
        )
        .bind(incident_id)
        .bind(section.as_str())
        .bind(body)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(Err(IncidentFault::NotFound(format!(
                "postmortem of incident {incident_id}"
            ))));
        }
        sqlx::query("UPDATE postmortems SET updated_at = $2 WHERE incident_id = $1")
            .bind(incident_id)
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
        let data = json!({ "section": section.as_str(), "chars": body.chars().count() });
        tx.append_event(
            now,
            "postmortem.section_edited",
            &subject(incident_id),
            actor,
            &data.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(self.postmortem(incident_id).await?.ok_or_else(|| {
            IncidentFault::NotFound(format!("postmortem of incident {incident_id}"))
        }))
    }

    // ---- action items ------------------------------------------------------------------

    /// Action items matching `q`: an incident's in the order they were added; across
    /// incidents, by due date (undated last), then age.
    pub async fn action_items(&self, q: &ActionItemQuery) -> Result<Vec<ActionItemRecord>> {
        let mut sql = format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.incident_id.is_some() {
            sql.push_str(&format!(" AND a.incident_id = {}", next()));
        }
        if q.owner_id.is_some() {
            sql.push_str(&format!(" AND a.owner_id = {}", next()));
        }
        if q.open_only {
            sql.push_str(&format!(" AND a.status IN ({}, {})", next(), next()));
        }
        if q.incident_id.is_some() {
            sql.push_str(" ORDER BY a.created_at, a.id");
        } else {
            sql.push_str(
                " ORDER BY CASE WHEN a.due_on IS NULL THEN 1 ELSE 0 END, a.due_on, a.created_at, a.id",
            );
        }
        let mut query = sqlx::query(&sql);
        if let Some(i) = &q.incident_id {
            query = query.bind(i);
        }
        if let Some(o) = &q.owner_id {
            query = query.bind(o);
        }
        if q.open_only {
            for s in ItemStatus::OPEN {
                query = query.bind(s.as_str());
            }
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter().map(item_from_row).collect()
    }

    /// One action item.
    pub async fn action_item(&self, id: &str) -> Result<Option<ActionItemRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(item_from_row).transpose()
    }

    /// Adds action items to an incident, open, each with its event and, when it has a due
    /// date, its chase armed by `chase`. A title the incident has already is skipped when
    /// `skip_existing` (answering only the ones added), and refused as a conflict otherwise.
    pub async fn add_action_items(
        &self,
        incident_id: &str,
        items: &[NewActionItem],
        skip_existing: bool,
        chase: &Chase,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<Vec<ActionItemRecord>>> {
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(incident_id).await? {
            return Ok(Err(missing));
        }
        let rows = sqlx::query("SELECT title FROM action_items WHERE incident_id = $1")
            .bind(incident_id)
            .fetch_all(&mut *tx.tx)
            .await?;
        let mut titles: Vec<String> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut added = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if titles.contains(&item.title) {
                if !skip_existing {
                    return Ok(Err(IncidentFault::Conflict(format!(
                        "the incident has an action item {:?} already",
                        item.title
                    ))));
                }
                continue;
            }
            // Items added together keep their order.
            let at = now + i64::try_from(i).unwrap_or(0);
            sqlx::query(
                "INSERT INTO action_items (id, incident_id, category, horizon, title, owner_id, \
                 due_on, status, ticket_url, source, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&item.id)
            .bind(incident_id)
            .bind(item.category.as_str())
            .bind(item.horizon.as_str())
            .bind(&item.title)
            .bind(item.owner_id.as_deref())
            .bind(item.due.map(|d| d.to_string()))
            .bind(ItemStatus::Open.as_str())
            .bind(item.ticket_url.as_deref())
            .bind(&item.source)
            .bind(actor)
            .bind(at)
            .bind(at)
            .execute(&mut *tx.tx)
            .await?;
            let data = json!({
                "id": item.id, "title": item.title, "category": item.category.as_str(),
                "horizon": item.horizon.as_str(), "owner_id": item.owner_id,
                "due": item.due.map(|d| d.to_string()), "source": item.source,
            });
            tx.append_event(
                now,
                "action_item.created",
                &subject(incident_id),
                actor,
                &data.to_string(),
            )
            .await?;
            if let Some(due) = item.due {
                tx.arm_action_item(incident_id, &item.id, Some(chase.overdue_at(due)), now)
                    .await?;
            }
            titles.push(item.title.clone());
            added.push(item.id.clone());
        }
        tx.commit().await?;
        let mut out = Vec::new();
        for id in added {
            if let Some(r) = self.action_item(&id).await? {
                out.push(r);
            }
        }
        Ok(Ok(out))
    }

    /// Changes an action item, with an event holding it before and after. A new due date,
    /// owner or status arms its chase again by `chase` (from its owner's turn), or clears
    /// it for an item done or cancelled.
    pub async fn update_action_item(
        &self,
        id: &str,
        patch: &ActionItemPatch,
        chase: &Chase,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<ActionItemRecord>> {
        let Some(before) = self.action_item(id).await? else {
            return Ok(Err(IncidentFault::NotFound(format!("action item {id}"))));
        };
        let mut tx = self.begin().await?;
        if let Err(missing) = tx.lock_existing(&before.incident_id).await? {
            return Ok(Err(missing));
        }
        let mut after = before.clone();
        if let Some(c) = patch.category {
            after.category = c;
        }
        if let Some(h) = patch.horizon {
            after.horizon = h;
        }
        if let Some(t) = &patch.title {
            after.title.clone_from(t);
        }
        if let Some(o) = &patch.owner_id {
            after.owner_id.clone_from(o);
        }
        if let Some(d) = patch.due {
            after.due = d;
        }
        if let Some(s) = patch.status {
            after.status = s;
        }
        if let Some(u) = &patch.ticket_url {
            after.ticket_url.clone_from(u);
        }
        if after.title != before.title {
            let taken = sqlx::query(
                "SELECT id FROM action_items WHERE incident_id = $1 AND title = $2 AND id <> $3",
            )
            .bind(&before.incident_id)
            .bind(&after.title)
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?;
            if taken.is_some() {
                return Ok(Err(IncidentFault::Invalid(FieldError::new(
                    "title",
                    "the incident has an action item with this title already",
                ))));
            }
        }
        sqlx::query(
            "UPDATE action_items SET category = $2, horizon = $3, title = $4, owner_id = $5, \
             due_on = $6, status = $7, ticket_url = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(id)
        .bind(after.category.as_str())
        .bind(after.horizon.as_str())
        .bind(&after.title)
        .bind(after.owner_id.as_deref())
        .bind(after.due.map(|d| d.to_string()))
        .bind(after.status.as_str())
        .bind(after.ticket_url.as_deref())
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        let data = json!({ "from": item_json(&before), "to": item_json(&after) });
        tx.append_event(
            now,
            "action_item.updated",
            &subject(&before.incident_id),
            actor,
            &data.to_string(),
        )
        .await?;
        if (after.due, after.status, &after.owner_id)
            != (before.due, before.status, &before.owner_id)
        {
            let overdue_at = after
                .due
                .filter(|_| after.status.is_open())
                .map(|d| chase.overdue_at(d));
            tx.arm_action_item(&before.incident_id, id, overdue_at, now)
                .await?;
        }
        tx.commit().await?;
        Ok(self
            .action_item(id)
            .await?
            .ok_or_else(|| IncidentFault::NotFound(format!("action item {id}"))))
    }
}
