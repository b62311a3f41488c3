//! An incident's team and checklist (migrations 0012 and 0013): the external contacts
//! catalogue (vendors' people without accounts), who holds which role on an incident (kept
//! after they hand it on), the checklist items copied from playbooks, and the incidents'
//! reminder timers (`incident_reminders`, one row per thing to remind of: checklist
//! deadlines, update cadence, escalation criteria, overdue action items; claimed by the
//! engine like pages). Every change writes its timeline entry and event in the transaction
//! that makes it; the engine adds the messages that go with it.

use hinomi_core::incident::criteria::Criterion;
use hinomi_core::incident::{EntryKind, FieldError, Playbooks};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::append_audit;
use crate::incidents::{IncidentFault, IncidentRecord, IncidentWrite};
use crate::postmortems::ActionItemRecord;
use crate::{AuditEntry, Result, Store, WriteTx};

/// A person outside the company who may hold a role (a vendor's engineer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalContactRecord {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `ja` or `en`: the language they are written to in.
    pub locale: String,
    pub created_by: String,
    pub created_at: i64,
}

const CONTACT_COLUMNS: &str =
    "id, name, organisation, email, phone, locale, created_by, created_at";

impl ExternalContactRecord {
    /// How the contact is named wherever a person's name would be: `name (organisation)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.organisation)
    }

    fn from_row(row: &AnyRow) -> Result<ExternalContactRecord> {
        Ok(ExternalContactRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            organisation: row.try_get("organisation")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            locale: row.try_get("locale")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Who holds a role: a user, or an external contact, by id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Holder {
    User(String),
    Contact(String),
}

impl Holder {
    fn kind(&self) -> &'static str {
        match self {
            Holder::User(_) => "user",
            Holder::Contact(_) => "contact",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Holder::User(id) | Holder::Contact(id) => id,
        }
    }
}

/// A role held (or once held) on an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleAssignmentRecord {
    pub id: i64,
    pub incident_id: String,
    /// The role's key.
    pub role: String,
    pub holder: Holder,
    pub assigned_at: i64,
    pub assigned_by: String,
    pub unassigned_at: Option<i64>,
    pub unassigned_by: Option<String>,
}

const ROLE_COLUMNS: &str = "id, incident_id, role, holder_kind, holder_id, assigned_at, \
     assigned_by, unassigned_at, unassigned_by";

fn assignment_from_row(row: &AnyRow) -> Result<RoleAssignmentRecord> {
    let kind: String = row.try_get("holder_kind")?;
    let id: String = row.try_get("holder_id")?;
    let holder = match kind.as_str() {
        "user" => Holder::User(id),
        "contact" => Holder::Contact(id),
        other => return Err(crate::incidents::corrupt(format!("holder kind {other:?}"))),
    };
    Ok(RoleAssignmentRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        role: row.try_get("role")?,
        holder,
        assigned_at: row.try_get("assigned_at")?,
        assigned_by: row.try_get("assigned_by")?,
        unassigned_at: row.try_get("unassigned_at")?,
        unassigned_by: row.try_get("unassigned_by")?,
    })
}

/// The outbox receiver of the messages an assignment sends: unassigning cancels those not
/// yet sent.
pub fn assignment_receiver(id: i64) -> String {
    format!("incident_role:{id}")
}

/// A checklist item on an incident, copied from a playbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItemRecord {
    pub id: i64,
    pub incident_id: String,
    pub playbook: String,
    pub playbook_name_ja: String,
    pub playbook_name_en: String,
    pub phase: i64,
    pub phase_name_ja: String,
    pub phase_name_en: String,
    pub position: i64,
    pub text_ja: String,
    pub text_en: String,
    /// The key of the role it is for.
    pub role: Option<String>,
    /// The user it was given to.
    pub assignee: Option<String>,
    pub due_at: i64,
    pub checked_at: Option<i64>,
    pub checked_by: Option<String>,
}

const ITEM_COLUMNS: &str = "id, incident_id, playbook, playbook_name_ja, playbook_name_en, phase, \
     phase_name_ja, phase_name_en, position, text_ja, text_en, role, assignee, due_at, \
     checked_at, checked_by";

fn item_from_row(row: &AnyRow) -> Result<ChecklistItemRecord> {
    Ok(ChecklistItemRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        playbook: row.try_get("playbook")?,
        playbook_name_ja: row.try_get("playbook_name_ja")?,
        playbook_name_en: row.try_get("playbook_name_en")?,
        phase: row.try_get("phase")?,
        phase_name_ja: row.try_get("phase_name_ja")?,
        phase_name_en: row.try_get("phase_name_en")?,
        position: row.try_get("position")?,
        text_ja: row.try_get("text_ja")?,
        text_en: row.try_get("text_en")?,
        role: row.try_get("role")?,
        assignee: row.try_get("assignee")?,
        due_at: row.try_get("due_at")?,
        checked_at: row.try_get("checked_at")?,
        checked_by: row.try_get("checked_by")?,
    })
}

/// What a reminder timer is for; the worker decides by it. A further kind adds a variant
/// and a branch in the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    /// A checklist item's deadline; the subject is the item's id.
    ChecklistOverdue,
    /// When the next update to stakeholders is owed, by the severity's cadence; the
    /// subject is the incident's id.
    UpdateDue,
    /// When an escalation criterion acts on an incident; the subject is
    /// `<incident id>|<criterion key>`. It acts once: a fired row is not armed again.
    Escalation,
    /// When an action item is overdue (its owner is reminded); the subject is its id.
    ActionItemOverdue,
    /// When the incident manager hears of an overdue action item; the subject is its id.
    ActionItemLead,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 5] = [
        ReminderKind::ChecklistOverdue,
        ReminderKind::UpdateDue,
        ReminderKind::Escalation,
        ReminderKind::ActionItemOverdue,
        ReminderKind::ActionItemLead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::ChecklistOverdue => "checklist_overdue",
            ReminderKind::UpdateDue => "update_due",
            ReminderKind::Escalation => "escalation",
            ReminderKind::ActionItemOverdue => "action_item_overdue",
            ReminderKind::ActionItemLead => "action_item_lead",
        }
    }

    fn parse(text: &str) -> Option<ReminderKind> {
        ReminderKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A reminder whose time has come, claimed by this transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueReminder {
    pub id: i64,
    pub incident_id: String,
    /// `None`: a kind this version does not know (written by a newer one).
    pub kind: Option<ReminderKind>,
    pub kind_name: String,
    pub subject: String,
    pub due_at: i64,
}

impl WriteTx {
    /// The roles held on an incident now, oldest assignment first.
    pub async fn held_roles(&mut self, incident_id: &str) -> Result<Vec<RoleAssignmentRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM incident_roles \
             WHERE incident_id = $1 AND unassigned_at IS NULL ORDER BY id"
        ))
        .bind(incident_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(assignment_from_row).collect()
    }

    /// Gives `role` on the (locked) incident to `holder`, named `holder_name` on the
    /// timeline. A `lead` role has one holder: whoever held it is unassigned first. Answers
    /// the assignment and those it replaced; holding the role already is a conflict.
    #[allow(clippy::too_many_arguments)]
    pub async fn assign_role(
        &mut self,
        incident: &IncidentRecord,
        role: &str,
        lead: bool,
        holder: &Holder,
        holder_name: &str,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<(RoleAssignmentRecord, Vec<RoleAssignmentRecord>)>> {
        let held = self.held_roles(&incident.id).await?;
        if held.iter().any(|a| a.role == role && &a.holder == holder) {
            return Ok(Err(IncidentFault::Conflict(format!(
                "{holder_name} holds {role} on {} already",
                incident.reference()
            ))));
        }
        let mut replaced = Vec::new();
        if lead {
            for a in held.into_iter().filter(|a| a.role == role) {
                replaced.push(self.end_assignment(a, actor, now).await?);
            }
        }
        let id: i64 = sqlx::query(
            "INSERT INTO incident_roles (incident_id, role, holder_kind, holder_id, assigned_at, \
             assigned_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&incident.id)
        .bind(role)
        .bind(holder.kind())
        .bind(holder.id())
        .bind(now)
        .bind(actor)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get(0)?;
        let data = json!({
            "assignment": id,
            "role": role,
            "holder_kind": holder.kind(),
            "holder_id": holder.id(),
            "holder": holder_name,
            "replaced": replaced.iter().map(|a| a.id).collect::<Vec<_>>(),
        });
        self.record_change(
            &incident.id,
            now,
            EntryKind::RoleAssigned,
            actor,
            &format!("{role}: {holder_name}"),
            &data,
        )
        .await?;
        let assignment = RoleAssignmentRecord {
            id,
            incident_id: incident.id.clone(),
            role: role.to_owned(),
            holder: holder.clone(),
            assigned_at: now,
            assigned_by: actor.to_owned(),
            unassigned_at: None,
            unassigned_by: None,
        };
        Ok(Ok((assignment, replaced)))
    }

    /// Takes a role back: the assignment `id` of the (locked) incident ends, and its
    /// messages not yet sent are cancelled.
    pub async fn unassign_role(
        &mut self,
        incident: &IncidentRecord,
        id: i64,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<RoleAssignmentRecord>> {
        let held = self.held_roles(&incident.id).await?;
        let Some(a) = held.into_iter().find(|a| a.id == id) else {
            return Ok(Err(IncidentFault::NotFound(format!(
                "role assignment {id} on {}",
                incident.reference()
            ))));
        };
        Ok(Ok(self.end_assignment(a, actor, now).await?))
    }

    async fn end_assignment(
        &mut self,
        mut a: RoleAssignmentRecord,
        actor: &str,
        now: i64,
    ) -> Result<RoleAssignmentRecord> {
        sqlx::query(
            "UPDATE incident_roles SET unassigned_at = $2, unassigned_by = $3 WHERE id = $1",
        )
        .bind(a.id)
        .bind(now)
        .bind(actor)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "UPDATE outbox SET state = 'cancelled', lease_owner = NULL, lease_until = NULL \
             WHERE receiver = $1 AND state = 'pending' \
             AND (lease_until IS NULL OR lease_until < $2)",
        )
        .bind(assignment_receiver(a.id))
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        let data = json!({
            "assignment": a.id,
            "role": a.role,
            "holder_kind": a.holder.kind(),
            "holder_id": a.holder.id(),
        });
        self.record_change(
            &a.incident_id,
            now,
            EntryKind::RoleUnassigned,
            actor,
            &a.role,
            &data,
        )
        .await?;
        a.unassigned_at = Some(now);
        a.unassigned_by = Some(actor.to_owned());
        Ok(a)
    }

    /// Copies onto `incident` the items of the playbooks that apply to it and were not
    /// copied before, each due its phase's deadline from `now`, with a reminder timer per
    /// item and a `playbook_applied` entry per playbook.
    pub async fn apply_playbooks(
        &mut self,
        incident: &IncidentRecord,
        playbooks: &Playbooks,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        if playbooks.all().is_empty() {
            return Ok(());
        }
        let services: Vec<String> = sqlx::query(
            "SELECT s.name FROM incident_services x JOIN services s ON s.id = x.service_id \
             WHERE x.incident_id = $1",
        )
        .bind(&incident.id)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let applied: Vec<String> =
            sqlx::query("SELECT DISTINCT playbook FROM incident_checklist WHERE incident_id = $1")
                .bind(&incident.id)
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
        let plan = playbooks.plan(incident.severity, &services, now, &applied);
        let mut done: Vec<&str> = Vec::new();
        for item in &plan {
            let id: i64 = sqlx::query(
                "INSERT INTO incident_checklist (incident_id, playbook, playbook_name_ja, \
                 playbook_name_en, phase, phase_name_ja, phase_name_en, position, text_ja, \
                 text_en, role, due_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(&incident.id)
            .bind(&item.playbook)
            .bind(&item.playbook_name_ja)
            .bind(&item.playbook_name_en)
            .bind(i64::from(item.phase))
            .bind(&item.phase_name_ja)
            .bind(&item.phase_name_en)
            .bind(i64::from(item.position))
            .bind(&item.text_ja)
            .bind(&item.text_en)
            .bind(item.role.as_deref())
            .bind(item.due_at)
            .bind(now)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get(0)?;
            self.set_reminder(
                &incident.id,
                ReminderKind::ChecklistOverdue,
                &id.to_string(),
                Some(item.due_at),
                now,
            )
            .await?;
            if !done.contains(&item.playbook.as_str()) {
                done.push(&item.playbook);
                let items = plan.iter().filter(|i| i.playbook == item.playbook).count();
                let data = json!({
                    "playbook": item.playbook,
                    "name_ja": item.playbook_name_ja,
                    "name_en": item.playbook_name_en,
                    "items": items,
                });
                self.record_change(
                    &incident.id,
                    now,
                    EntryKind::PlaybookApplied,
                    actor,
                    &item.playbook_name_ja,
                    &data,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Sets (or, with `None`, clears) the timer of a reminder, creating its row.
    pub async fn set_reminder(
        &mut self,
        incident_id: &str,
        kind: ReminderKind,
        subject: &str,
        due_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO incident_reminders (incident_id, kind, subject, due_at, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind, subject) DO UPDATE SET due_at = $6",
        )
        .bind(incident_id)
        .bind(kind.as_str())
        .bind(subject)
        .bind(due_at)
        .bind(now)
        .bind(due_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Claims reminders due at `now` (`FOR UPDATE SKIP LOCKED` on PostgreSQL: another
    /// instance's pass skips them), earliest first.
    pub async fn claim_due_reminders(&mut self, now: i64, limit: i64) -> Result<Vec<DueReminder>> {
        let rows = sqlx::query(&format!(
            "SELECT id, incident_id, kind, subject, due_at FROM incident_reminders \
             WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, id LIMIT {limit}{}",
            self.backend().skip_locked()
        ))
        .bind(now)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                let kind_name: String = r.try_get("kind")?;
                Ok(DueReminder {
                    id: r.try_get("id")?,
                    incident_id: r.try_get("incident_id")?,
                    kind: ReminderKind::parse(&kind_name),
                    kind_name,
                    subject: r.try_get("subject")?,
                    due_at: r.try_get("due_at")?,
                })
            })
            .collect()
    }

    /// Marks a claimed reminder done: its timer cleared, `fired` when it was sent.
    pub async fn finish_reminder(&mut self, id: i64, fired: bool, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE incident_reminders SET due_at = NULL, \
             fired_at = CASE WHEN $2 = 1 THEN $3 ELSE fired_at END WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(fired))
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// A checklist item, read in the transaction.
    pub async fn checklist_item(&mut self, id: i64) -> Result<Option<ChecklistItemRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM incident_checklist WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(item_from_row).transpose()
    }

    /// Writes the timeline entry of an overdue item's reminder.
    pub async fn record_overdue(
        &mut self,
        item: &ChecklistItemRecord,
        reminded: &[String],
        now: i64,
    ) -> Result<()> {
        let data = json!({
            "item": item.id,
            "text_ja": item.text_ja,
            "text_en": item.text_en,
            "due_at": hinomi_core::time::format_millis(item.due_at),
            "reminded": reminded,
        });
        self.record_change(
            &item.incident_id,
            now,
            EntryKind::ChecklistOverdue,
            "hinomi",
            &item.text_ja,
            &data,
        )
        .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Arms (or with `None`, clears) the reminder that an incident's next update to
    /// stakeholders is owed at `due_at`.
    pub async fn arm_update_due(
        &mut self,
        incident_id: &str,
        due_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        self.set_reminder(
            incident_id,
            ReminderKind::UpdateDue,
            incident_id,
            due_at,
            now,
        )
        .await
    }

    /// Records on the timeline that an update was owed at `due_at` and who was reminded.
    pub async fn record_update_overdue(
        &mut self,
        incident_id: &str,
        due_at: i64,
        reminded: &[String],
        now: i64,
    ) -> Result<()> {
        let data = json!({
            "due_at": hinomi_core::time::format_millis(due_at),
            "reminded": reminded,
        });
        self.record_change(
            incident_id,
            now,
            EntryKind::UpdateOverdue,
            "hinomi",
            "",
            &data,
        )
        .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Arms the timers of the escalation `criteria` that have not acted on `incident`, by
    /// its state as written now ([`Criterion::due`]): cleared for those whose conditions
    /// no longer hold. A criterion that acted keeps its record and is not armed again.
    pub async fn arm_criteria(
        &mut self,
        incident: &IncidentRecord,
        criteria: &[Criterion],
        now: i64,
    ) -> Result<()> {
        let facts = incident.criteria_facts();
        for c in criteria {
            let due = c.due(&facts);
            sqlx::query(
                "INSERT INTO incident_reminders (incident_id, kind, subject, due_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (kind, subject) DO UPDATE SET due_at = $6 \
                 WHERE incident_reminders.fired_at IS NULL",
            )
            .bind(&incident.id)
            .bind(ReminderKind::Escalation.as_str())
            .bind(criterion_subject(&incident.id, &c.key))
            .bind(due)
            .bind(now)
            .bind(due)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Records on the timeline that criterion `key` (named `name`) acted for `reason`:
    /// whom it paged, the roles it names that nobody held and the people it names that
    /// are not enabled users.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_escalated(
        &mut self,
        incident_id: &str,
        key: &str,
        name: &str,
        reason: &str,
        paged: &[String],
        unheld: &[String],
        unknown: &[String],
        now: i64,
    ) -> Result<()> {
        let data = json!({
            "criterion": key,
            "name": name,
            "reason": reason,
            "paged": paged,
            "unheld_roles": unheld,
            "unknown_users": unknown,
        });
        self.record_change(
            incident_id,
            now,
            EntryKind::Escalated,
            "hinomi",
            &format!("{name} ({reason})"),
            &data,
        )
        .await?;
        Ok(())
    }

    /// Arms the chase of an action item: its owner is reminded at `overdue_at` and the
    /// incident manager's timer waits for that; both cleared with `None` (done, cancelled,
    /// or no due date).
    pub async fn arm_action_item(
        &mut self,
        incident_id: &str,
        item_id: &str,
        overdue_at: Option<i64>,
        now: i64,
    ) -> Result<()> {
        self.set_reminder(
            incident_id,
            ReminderKind::ActionItemOverdue,
            item_id,
            overdue_at,
            now,
        )
        .await?;
        self.set_reminder(
            incident_id,
            ReminderKind::ActionItemLead,
            item_id,
            None,
            now,
        )
        .await
    }

    /// Records on the timeline that an action item is overdue and who was reminded
    /// (`to_lead`: the incident manager's turn).
    pub async fn record_action_item_overdue(
        &mut self,
        item: &ActionItemRecord,
        to_lead: bool,
        reminded: &[String],
        now: i64,
    ) -> Result<()> {
        let data = json!({
            "item": item.id,
            "title": item.title,
            "due": item.due.map(|d| d.to_string()),
            "owner": item.owner,
            "to_lead": to_lead,
            "reminded": reminded,
        });
        self.record_change(
            &item.incident_id,
            now,
            EntryKind::ActionItemOverdue,
            "hinomi",
            &item.title,
            &data,
        )
        .await?;
        Ok(())
    }
}

/// The subject of a criterion's timer on an incident.
pub fn criterion_subject(incident_id: &str, key: &str) -> String {
    format!("{incident_id}|{key}")
}

/// A change to a checklist item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemChange {
    /// Checked (`true`) or unchecked.
    Check(bool),
    /// Given to a role (its key) and/or a user (by id); `None` clears.
    Assign {
        role: Option<String>,
        assignee: Option<String>,
    },
}

impl Store {
    // ---- external contacts ----------------------------------------------------------------

    /// Every external contact, by organisation and name.
    pub async fn external_contacts(&self) -> Result<Vec<ExternalContactRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM external_contacts ORDER BY organisation, name, id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(ExternalContactRecord::from_row).collect()
    }

    pub async fn external_contact(&self, id: &str) -> Result<Option<ExternalContactRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM external_contacts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref()
            .map(ExternalContactRecord::from_row)
            .transpose()
    }

    /// Adds an external contact, with its audit entry.
    pub async fn add_external_contact(
        &self,
        c: &ExternalContactRecord,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO external_contacts (id, name, organisation, email, phone, locale, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.organisation)
        .bind(c.email.as_deref())
        .bind(c.phone.as_deref())
        .bind(&c.locale)
        .bind(&c.created_by)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an external contact that holds no role now; answers the incidents
    /// (ids) where they do, and deletes nothing then.
    pub async fn delete_external_contact(
        &self,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<IncidentWrite<()>> {
        let mut tx = self.write.begin().await?;
        let holding: Vec<String> = sqlx::query(
            "SELECT DISTINCT i.number FROM incident_roles r JOIN incidents i \
             ON i.id = r.incident_id WHERE r.holder_kind = 'contact' AND r.holder_id = $1 \
             AND r.unassigned_at IS NULL ORDER BY i.number",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0).map(|n| format!("INC-{n}")))
        .collect::<std::result::Result<_, _>>()?;
        if !holding.is_empty() {
            return Ok(Err(IncidentFault::Conflict(format!(
                "the contact holds roles on {}: unassign them first",
                holding.join(", ")
            ))));
        }
        let done = sqlx::query("DELETE FROM external_contacts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(Err(IncidentFault::NotFound(format!(
                "external contact {id}"
            ))));
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    // ---- roles ------------------------------------------------------------------------

    /// An incident's role assignments, oldest first: those held now, and with `past` those
    /// handed on too.
    pub async fn incident_roles(
        &self,
        incident_id: &str,
        past: bool,
    ) -> Result<Vec<RoleAssignmentRecord>> {
        let only_now = if past {
            ""
        } else {
            " AND unassigned_at IS NULL"
        };
        let rows = sqlx::query(&format!(
            "SELECT {ROLE_COLUMNS} FROM incident_roles WHERE incident_id = $1{only_now} ORDER BY id"
        ))
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(assignment_from_row).collect()
    }

    // ---- checklist ----------------------------------------------------------------------

    /// An incident's checklist, by playbook, phase and position.
    pub async fn checklist(&self, incident_id: &str) -> Result<Vec<ChecklistItemRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM incident_checklist WHERE incident_id = $1 \
             ORDER BY created_at, playbook, phase, position"
        ))
        .bind(incident_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// Changes a checklist item of an incident, with a `checklist_item` timeline entry. A
    /// checked item's reminder is cleared; unchecking re-arms one that has not reminded yet
    /// (each item reminds once).
    pub async fn change_checklist_item(
        &self,
        incident_id: &str,
        item_id: i64,
        change: &ItemChange,
        actor: &str,
        now: i64,
    ) -> Result<IncidentWrite<ChecklistItemRecord>> {
        let mut tx = self.begin().await?;
        let Some(incident) = tx.lock_incident(incident_id).await? else {
            return Ok(Err(IncidentFault::NotFound(format!(
                "incident {incident_id}"
            ))));
        };
        let Some(mut item) = tx
            .checklist_item(item_id)
            .await?
            .filter(|i| i.incident_id == incident.id)
        else {
            return Ok(Err(IncidentFault::NotFound(format!(
                "checklist item {item_id} of {}",
                incident.reference()
            ))));
        };
        let data = match change {
            ItemChange::Check(checked) => {
                if item.checked_at.is_some() == *checked {
                    let state = if *checked { "checked" } else { "unchecked" };
                    return Ok(Err(IncidentFault::Invalid(FieldError::new(
                        "checked",
                        format!("the item is {state} already"),
                    ))));
                }
                if *checked {
                    item.checked_at = Some(now);
                    item.checked_by = Some(actor.to_owned());
                } else {
                    item.checked_at = None;
                    item.checked_by = None;
                }
                sqlx::query(
                    "UPDATE incident_checklist SET checked_at = $2, checked_by = $3 WHERE id = $1",
                )
                .bind(item.id)
                .bind(item.checked_at)
                .bind(item.checked_by.as_deref())
                .execute(&mut *tx.tx)
                .await?;
                // Checked: no reminder. Unchecked: the deadline again, unless it reminded.
                sqlx::query(
                    "UPDATE incident_reminders SET due_at = $3 \
                     WHERE kind = $1 AND subject = $2 AND fired_at IS NULL",
                )
                .bind(ReminderKind::ChecklistOverdue.as_str())
                .bind(item.id.to_string())
                .bind((!checked).then_some(item.due_at))
                .execute(&mut *tx.tx)
                .await?;
                json!({ "item": item.id, "checked": checked,
                        "text_ja": item.text_ja, "text_en": item.text_en })
            }
            ItemChange::Assign { role, assignee } => {
                item.role = role.clone();
                item.assignee = assignee.clone();
                sqlx::query("UPDATE incident_checklist SET role = $2, assignee = $3 WHERE id = $1")
                    .bind(item.id)
                    .bind(item.role.as_deref())
                    .bind(item.assignee.as_deref())
                    .execute(&mut *tx.tx)
                    .await?;
                json!({ "item": item.id, "role": role, "assignee": assignee,
                        "text_ja": item.text_ja, "text_en": item.text_en })
            }
        };
        tx.record_change(
            &incident.id,
            now,
            EntryKind::ChecklistItem,
            actor,
            &item.text_ja,
            &data,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(item))
    }

    /// The earliest reminder timer, if any.
    /// The escalation criteria's timers on an incident: (criterion key, due, fired), by
    /// key. A criterion never armed has no row.
    pub async fn criteria_timers(
        &self,
        incident_id: &str,
    ) -> Result<Vec<(String, Option<i64>, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT subject, due_at, fired_at FROM incident_reminders \
             WHERE incident_id = $1 AND kind = $2 ORDER BY subject",
        )
        .bind(incident_id)
        .bind(ReminderKind::Escalation.as_str())
        .fetch_all(&self.read)
        .await?;
        let prefix = criterion_subject(incident_id, "");
        rows.iter()
            .map(|r| {
                let subject: String = r.try_get("subject")?;
                let key = subject.strip_prefix(&prefix).unwrap_or(&subject).to_owned();
                Ok((key, r.try_get("due_at")?, r.try_get("fired_at")?))
            })
            .collect()
    }

    pub async fn next_reminder_due(&self) -> Result<Option<i64>> {
        let row =
            sqlx::query("SELECT MIN(due_at) FROM incident_reminders WHERE due_at IS NOT NULL")
                .fetch_one(&self.read)
                .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }
}
