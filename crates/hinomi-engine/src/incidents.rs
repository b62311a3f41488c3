//! Incidents' teams and reminders: the decisions about incidents that send messages.
//!
//! Giving someone a role pages them: the assignment, its timeline entry and event, and one
//! `contact:<kind>` outbox row per notification rule of the person (planned by
//! `escalation::plan_notifications`, as a page's step plans them; receiver
//! `incident_role:<assignment>`, so taking the role back cancels what was not sent yet)
//! commit in one transaction. An external contact is written to at their email, if they
//! have one. A declaration may name its team at once; the declarer holds the lead role
//! unless someone else is named for it.
//!
//! Reminders are timers in `incident_reminders`, one row per thing to remind of. A pass
//! ([`remind_due`]) claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and decides by
//! their kind, one transaction per batch; an overdue checklist item reminds its assignee,
//! else its role's holders, else the lead role's holders, once, with a `checklist_overdue`
//! timeline entry; an update owed to stakeholders (`update_due`, armed at the declaration by
//! the severity's cadence and re-armed by every update sent and every change of severity
//! or status) reminds the lead role's holders once, with an `update_overdue` entry. An
//! escalation criterion (`escalation`, armed by the declaration and every change while its
//! conditions hold, see `hinomi_core::incident::criteria`) is checked again and pages the
//! holders of its roles and the people it names (the lead's holders when that is nobody),
//! once per incident, with an `escalated` entry. An overdue action item
//! (`action_item_overdue`, armed from its due date read in `[incidents.action_items]`'s
//! zone) reminds its owner and arms the incident manager's turn (`action_item_lead`,
//! `tell_lead_after_days` later), each with an `action_item_overdue` entry. A new kind of
//! reminder adds a `ReminderKind` and a branch here.

use hinomi_core::escalation::{Unreachable, plan_notifications};
use hinomi_core::incident::comms::next_update_due;
use hinomi_core::incident::{FieldError, Role, SeverityPolicy, Status};
use hinomi_core::{Contact, ContactKind, Envelope, Locale, Notice, NoticeKind};
use hinomi_store::{
    ClaimedDelivery, DueReminder, ExternalContactRecord, Holder, IncidentFault, IncidentRecord,
    IncidentWrite, NewIncident, PagingPeople, ReminderKind, RoleAssignmentRecord, WriteTx,
    assignment_receiver,
};

use crate::escalate::Firer;
use crate::{EngineError, Shared};

/// Reminders one transaction handles.
pub(crate) const REMINDER_BATCH: i64 = 16;

/// A role to give, as a person asked for it: the role's key and a user (username or id)
/// or an external contact (id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleInput {
    pub role: String,
    pub user: Option<String>,
    pub contact: Option<String>,
}

/// What giving a role sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Told {
    /// Messages written (outbox rows), at least one.
    Messages(usize),
    /// The person has no rule that reaches them.
    Unreachable(Unreachable),
    /// An external contact without an email address.
    NoEmail,
}

/// A role given, with the assignments it replaced and what was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGiven {
    pub assignment: RoleAssignmentRecord,
    pub replaced: Vec<RoleAssignmentRecord>,
    pub told: Told,
}

/// The people and contacts a role may go to, as they are now.
struct Team {
    people: PagingPeople,
    contacts: Vec<ExternalContactRecord>,
}

impl Team {
    async fn load(firer: &Firer) -> Result<Team, EngineError> {
        Ok(Team {
            people: firer.store.paging_people().await?,
            contacts: firer.store.external_contacts().await?,
        })
    }

    /// The role, holder and holder's name `input` asks for; faults name `<prefix>role`,
    /// `<prefix>user` or `<prefix>contact`.
    fn resolve<'p>(
        &self,
        policy: &'p SeverityPolicy,
        input: &RoleInput,
        prefix: &str,
    ) -> Result<(&'p Role, Holder, String), FieldError> {
        let role = policy
            .roles()
            .parse(&format!("{prefix}role"), &input.role)?;
        match (given(&input.user), given(&input.contact)) {
            (Some(u), None) => {
                let person = self
                    .people
                    .users
                    .iter()
                    .find(|p| (p.username == u || p.id == u) && p.enabled)
                    .ok_or_else(|| {
                        FieldError::new(format!("{prefix}user"), format!("no enabled user {u:?}"))
                    })?;
                Ok((
                    role,
                    Holder::User(person.id.clone()),
                    person.display_name.clone(),
                ))
            }
            (None, Some(c)) => {
                let contact = self.contacts.iter().find(|x| x.id == c).ok_or_else(|| {
                    FieldError::new(
                        format!("{prefix}contact"),
                        format!("no external contact {c:?}"),
                    )
                })?;
                Ok((role, Holder::Contact(contact.id.clone()), contact.label()))
            }
            (Some(_), Some(_)) => Err(FieldError::new(
                format!("{prefix}contact"),
                "give a user or an external contact, not both",
            )),
            (None, None) => Err(FieldError::new(
                format!("{prefix}user"),
                "give a user or an external contact",
            )),
        }
    }
}

/// A value given and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Messages to a person through their notification rules: one row per planned notice,
/// keyed `<key>|<contact method>|<rule>`, to `receiver`. Answers how many, or why none.
#[allow(clippy::too_many_arguments)]
async fn tell_user(
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    user_id: &str,
    kind: impl Fn(Locale) -> NoticeKind,
    incident: &IncidentRecord,
    receiver: &str,
    key: &str,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<Told, EngineError> {
    let person = people.users.iter().find(|u| u.id == user_id);
    let rules = people.rules.get(user_id).map_or(&[][..], Vec::as_slice);
    let planned = match plan_notifications(rules, now) {
        Ok(p) => p,
        Err(why) => return Ok(Told::Unreachable(why)),
    };
    let locale = person
        .and_then(|p| p.locale.as_deref())
        .and_then(Locale::parse)
        .unwrap_or(Locale::Ja);
    let notice = incident_notice(
        firer,
        kind(locale),
        locale,
        person.map_or(user_id, |p| &p.display_name),
        incident,
        now,
    );
    let mut written = 0;
    for p in planned {
        let Some(cm) = people.contact_methods.get(&p.contact_method) else {
            continue;
        };
        let envelope = Envelope {
            contact: cm.contact(),
            notice: notice.clone(),
        };
        let mut row = firer.notice_row(
            format!("{key}|{}|{}", cm.id, p.rule),
            receiver.to_owned(),
            &envelope,
            p.due_at,
            now,
        );
        row.integration = p.rule as i64;
        if let Some(id) = tx.insert_notice(&row).await? {
            written += 1;
            leased.extend(row.claimed(id));
        }
    }
    Ok(Told::Messages(written))
}

fn incident_notice(
    firer: &Firer,
    kind: NoticeKind,
    locale: Locale,
    recipient: &str,
    incident: &IncidentRecord,
    now: i64,
) -> Notice {
    Notice {
        kind,
        locale,
        recipient: recipient.to_owned(),
        page_id: None,
        title: incident.title.clone(),
        alerts: Vec::new(),
        console_url: Some(format!(
            "{}/incidents/{}",
            firer.external_url,
            incident.reference()
        )),
        actions: Vec::new(),
        at: now,
    }
}

/// Gives `role` on the locked `incident` to `holder` in `tx` and writes the messages.
#[allow(clippy::too_many_arguments)]
async fn give(
    firer: &Firer,
    tx: &mut WriteTx,
    team: &Team,
    incident: &IncidentRecord,
    role: &Role,
    holder: &Holder,
    name: &str,
    actor: &str,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<IncidentWrite<RoleGiven>, EngineError> {
    let (assignment, replaced) = match tx
        .assign_role(incident, &role.key, role.lead, holder, name, actor, now)
        .await?
    {
        Ok(done) => done,
        Err(fault) => return Ok(Err(fault)),
    };
    let receiver = assignment_receiver(assignment.id);
    let key = format!("incident_role:{}", assignment.id);
    let kind = |l: Locale| NoticeKind::IncidentRole {
        reference: incident.reference(),
        role: role.name(l).to_owned(),
        severity: incident.severity.as_str().to_owned(),
    };
    let told = match holder {
        Holder::User(id) => {
            tell_user(
                firer,
                tx,
                &team.people,
                id,
                kind,
                incident,
                &receiver,
                &key,
                now,
                leased,
            )
            .await?
        }
        Holder::Contact(id) => {
            let contact = team.contacts.iter().find(|c| &c.id == id);
            match contact.and_then(|c| c.email.as_deref().map(|e| (c, e))) {
                None => Told::NoEmail,
                Some((c, email)) => {
                    let locale = Locale::parse(&c.locale).unwrap_or(Locale::Ja);
                    let envelope = Envelope {
                        contact: Contact {
                            kind: ContactKind::Email,
                            address: email.to_owned(),
                        },
                        notice: incident_notice(
                            firer,
                            kind(locale),
                            locale,
                            &c.name,
                            incident,
                            now,
                        ),
                    };
                    let row =
                        firer.notice_row(format!("{key}|email"), receiver, &envelope, now, now);
                    match tx.insert_notice(&row).await? {
                        Some(id) => {
                            leased.extend(row.claimed(id));
                            Told::Messages(1)
                        }
                        None => Told::Messages(0),
                    }
                }
            }
        }
    };
    Ok(Ok(RoleGiven {
        assignment,
        replaced,
        told,
    }))
}

/// Declares `new` with its team in one transaction: the incident, the playbooks that apply,
/// each role in `team` (faults named `roles[<i>].role|user|contact`) and, unless `team` names
/// the lead role, the lead role for `declarer` (a user's id; `None` at the command line).
#[allow(clippy::too_many_arguments)]
pub async fn declare(
    firer: &Firer,
    policy: &SeverityPolicy,
    new: &NewIncident,
    team: &[RoleInput],
    declarer: Option<&str>,
    actor: &str,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<IncidentWrite<(IncidentRecord, Vec<RoleGiven>)>, EngineError> {
    let known = Team::load(firer).await?;
    let mut wanted = Vec::new();
    for (i, input) in team.iter().enumerate() {
        match known.resolve(policy, input, &format!("roles[{i}].")) {
            Ok(w) => wanted.push(w),
            Err(e) => return Ok(Err(e.into())),
        }
    }
    let lead = policy.roles().lead();
    if let Some(user) = declarer
        && !wanted.iter().any(|(r, _, _)| r.key == lead.key)
        && let Some(p) = known
            .people
            .users
            .iter()
            .find(|p| p.id == user && p.enabled)
    {
        wanted.insert(
            0,
            (lead, Holder::User(p.id.clone()), p.display_name.clone()),
        );
    }
    let mut tx = firer.store.begin().await?;
    let incident = match tx
        .declare_incident(new, policy.playbooks(), actor, now)
        .await?
    {
        Ok(i) => i,
        Err(fault) => return Ok(Err(fault)),
    };
    let every = policy.level(incident.severity).update_every_minutes;
    tx.arm_update_due(&incident.id, next_update_due(now, every), now)
        .await?;
    tx.arm_criteria(&incident, policy.criteria(), now).await?;
    let mut given = Vec::new();
    for (role, holder, name) in &wanted {
        match give(
            firer, &mut tx, &known, &incident, role, holder, name, actor, now, leased,
        )
        .await?
        {
            Ok(g) => given.push(g),
            Err(fault) => {
                leased.clear();
                return Ok(Err(fault));
            }
        }
    }
    tx.commit().await?;
    let incident = firer
        .store
        .incident(&new.id)
        .await?
        .ok_or_else(|| EngineError::NotFound(format!("incident {}", new.id)))?;
    Ok(Ok((incident, given)))
}

/// Gives a role on the incident `id` (its id) as `input` asks.
pub async fn assign_role(
    firer: &Firer,
    policy: &SeverityPolicy,
    id: &str,
    input: &RoleInput,
    actor: &str,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<IncidentWrite<RoleGiven>, EngineError> {
    let team = Team::load(firer).await?;
    let (role, holder, name) = match team.resolve(policy, input, "") {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.into())),
    };
    let mut tx = firer.store.begin().await?;
    let Some(incident) = tx.lock_incident(id).await? else {
        return Ok(Err(IncidentFault::NotFound(format!("incident {id}"))));
    };
    let given = give(
        firer, &mut tx, &team, &incident, role, &holder, &name, actor, now, leased,
    )
    .await?;
    if given.is_ok() {
        tx.commit().await?;
    } else {
        leased.clear();
    }
    Ok(given)
}

/// Takes back the role assignment `assignment` on the incident `id` (its id); its messages
/// not yet sent are cancelled.
pub async fn unassign_role(
    firer: &Firer,
    id: &str,
    assignment: i64,
    actor: &str,
    now: i64,
) -> Result<IncidentWrite<RoleAssignmentRecord>, EngineError> {
    let mut tx = firer.store.begin().await?;
    let Some(incident) = tx.lock_incident(id).await? else {
        return Ok(Err(IncidentFault::NotFound(format!("incident {id}"))));
    };
    let done = tx.unassign_role(&incident, assignment, actor, now).await?;
    if done.is_ok() {
        tx.commit().await?;
    }
    Ok(done)
}

/// What one reminder pass did.
#[derive(Debug, Default)]
pub struct ReminderReport {
    /// Reminders claimed.
    pub reminders: usize,
    /// Reminders that sent something.
    pub fired: usize,
    /// Outbox rows written and leased to this instance, ready to deliver.
    pub leased: Vec<ClaimedDelivery>,
}

/// Handles the reminders due at `now`, one transaction for the batch.
pub(crate) async fn remind_due(shared: &Shared, now: i64) -> Result<ReminderReport, EngineError> {
    let firer = Firer::of(shared);
    let mut tx = shared.store.begin().await?;
    let due = tx.claim_due_reminders(now, REMINDER_BATCH).await?;
    let mut report = ReminderReport {
        reminders: due.len(),
        ..ReminderReport::default()
    };
    if due.is_empty() {
        return Ok(report);
    }
    let people = shared.store.paging_people().await?;
    for r in &due {
        let fired = match r.kind {
            Some(ReminderKind::ChecklistOverdue) => {
                overdue_item(shared, &firer, &mut tx, &people, r, now, &mut report.leased).await?
            }
            Some(ReminderKind::UpdateDue) => {
                update_overdue(shared, &firer, &mut tx, &people, r, now, &mut report.leased).await?
            }
            Some(ReminderKind::Escalation) => {
                criterion_met(shared, &firer, &mut tx, &people, r, now, &mut report.leased).await?
            }
            Some(kind @ (ReminderKind::ActionItemOverdue | ReminderKind::ActionItemLead)) => {
                let to_lead = kind == ReminderKind::ActionItemLead;
                let chase = Chasing { r, to_lead };
                overdue_action_item(
                    shared,
                    &firer,
                    &mut tx,
                    &people,
                    chase,
                    now,
                    &mut report.leased,
                )
                .await?
            }
            None => {
                tracing::warn!(reminder = r.id, kind = %r.kind_name, "a reminder of a kind this version does not know; cleared");
                false
            }
        };
        report.fired += usize::from(fired);
        tx.finish_reminder(r.id, fired, now).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Tells each of `users` what a reminder says (`kind`, in their language) through their
/// rules, keyed by the reminder (and `occasion`, for one that may fire again); answers the
/// usernames of those some message was written to.
#[allow(clippy::too_many_arguments)]
async fn remind(
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    users: &[String],
    kind: impl Fn(Locale) -> NoticeKind + Copy,
    incident: &IncidentRecord,
    r: &DueReminder,
    occasion: &str,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<Vec<String>, EngineError> {
    let receiver = format!("incident_reminder:{}", r.id);
    let mut reminded = Vec::new();
    for user in users {
        let key = if occasion.is_empty() {
            format!("reminder:{}|{user}", r.id)
        } else {
            format!("reminder:{}|{occasion}|{user}", r.id)
        };
        let told = tell_user(
            firer, tx, people, user, kind, incident, &receiver, &key, now, leased,
        )
        .await?;
        if matches!(told, Told::Messages(n) if n > 0) {
            let name = people.users.iter().find(|p| &p.id == user);
            reminded.push(name.map_or(user.clone(), |p| p.username.clone()));
        }
    }
    Ok(reminded)
}

/// Reminds the lead role's holders that the incident owes its stakeholders an update, and
/// says so on the timeline. Once: the next update sent re-arms the timer. Answers whether
/// it did (not for an incident resolved meanwhile).
async fn update_overdue(
    shared: &Shared,
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    r: &DueReminder,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<bool, EngineError> {
    let incident = shared.store.incident(&r.incident_id).await?;
    let Some(incident) = incident.filter(|i| i.status != Status::Resolved) else {
        return Ok(false);
    };
    let due_at = r.due_at;
    let leads = user_holders(&tx.held_roles(&incident.id).await?, lead_key(shared));
    let kind = |_: Locale| NoticeKind::UpdateOverdue {
        reference: incident.reference(),
        due_at,
    };
    let key = format!("{due_at}");
    let reminded = remind(
        firer, tx, people, &leads, kind, &incident, r, &key, now, leased,
    )
    .await?;
    tx.record_update_overdue(&incident.id, due_at, &reminded, now)
        .await?;
    Ok(true)
}

/// Reminds of an overdue checklist item: its assignee, else its role's holders, else the
/// lead role's holders. Answers whether it did (not for an item checked meanwhile, or an
/// incident resolved).
async fn overdue_item(
    shared: &Shared,
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    r: &DueReminder,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<bool, EngineError> {
    let Some(item) = (match r.subject.parse() {
        Ok(id) => tx.checklist_item(id).await?,
        Err(_) => None,
    }) else {
        return Ok(false);
    };
    // Read, not locked: a person checking the item locks the incident, then the reminder.
    let incident = shared.store.incident(&item.incident_id).await?;
    let Some(incident) = incident.filter(|i| i.status != Status::Resolved) else {
        return Ok(false);
    };
    if item.checked_at.is_some() {
        return Ok(false);
    }
    let held = tx.held_roles(&incident.id).await?;
    let mut to: Vec<String> = item.assignee.iter().cloned().collect();
    if to.is_empty()
        && let Some(role) = &item.role
    {
        to = user_holders(&held, role);
    }
    if to.is_empty() {
        to = user_holders(&held, lead_key(shared));
    }
    let kind = |l: Locale| NoticeKind::ChecklistOverdue {
        reference: incident.reference(),
        item: match l {
            Locale::Ja => item.text_ja.clone(),
            Locale::En => item.text_en.clone(),
        },
        due_at: item.due_at,
    };
    let reminded = remind(firer, tx, people, &to, kind, &incident, r, "", now, leased).await?;
    tx.record_overdue(&item, &reminded, now).await?;
    Ok(true)
}

/// The key of the lead role, which hears what nobody else holds.
fn lead_key(shared: &Shared) -> &str {
    &shared.settings.incidents.roles().lead().key
}

/// The users holding `role` among `held` (external contacts are not paged).
fn user_holders(held: &[RoleAssignmentRecord], role: &str) -> Vec<String> {
    held.iter()
        .filter(|a| a.role == role)
        .filter_map(|a| match &a.holder {
            Holder::User(id) => Some(id.clone()),
            Holder::Contact(_) => None,
        })
        .collect()
}

/// Acts on an escalation criterion whose timer came due: pages the holders of its roles
/// and the people it names (the lead role's holders when that is nobody), and says so on
/// the timeline. Its conditions are checked again on the incident as it is: a criterion
/// since removed from the settings, an incident resolved or no longer meeting them, does
/// nothing (and may be armed again by a later change). Answers whether it acted.
async fn criterion_met(
    shared: &Shared,
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    r: &DueReminder,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<bool, EngineError> {
    let policy = &shared.settings.incidents;
    let Some(criterion) = r
        .subject
        .rsplit_once('|')
        .and_then(|(_, key)| policy.criteria().iter().find(|c| c.key == key))
    else {
        return Ok(false);
    };
    let Some(incident) = shared.store.incident(&r.incident_id).await? else {
        return Ok(false);
    };
    let facts = incident.criteria_facts();
    let (Some(reason), Some(due)) = (criterion.reason(&facts), criterion.due(&facts)) else {
        return Ok(false);
    };
    if due > now {
        return Ok(false);
    }
    let held = tx.held_roles(&incident.id).await?;
    let mut to: Vec<String> = Vec::new();
    let mut unheld = Vec::new();
    for role in &criterion.page_roles {
        let holders = user_holders(&held, role);
        if holders.is_empty() {
            unheld.push(role.clone());
        }
        to.extend(holders);
    }
    let mut unknown = Vec::new();
    for name in &criterion.page_users {
        match people
            .users
            .iter()
            .find(|p| &p.username == name && p.enabled)
        {
            Some(p) => to.push(p.id.clone()),
            None => unknown.push(name.clone()),
        }
    }
    if to.is_empty() {
        to = user_holders(&held, lead_key(shared));
    }
    let mut seen = std::collections::HashSet::new();
    to.retain(|u| seen.insert(u.clone()));
    let kind = |l: Locale| NoticeKind::IncidentEscalated {
        reference: incident.reference(),
        severity: policy.level(incident.severity).name.clone(),
        criterion: criterion.name.clone(),
        reason: reason.describe(l),
    };
    let paged = remind(firer, tx, people, &to, kind, &incident, r, "", now, leased).await?;
    tx.record_escalated(
        &incident.id,
        &criterion.key,
        &criterion.name,
        &reason.to_string(),
        &paged,
        &unheld,
        &unknown,
        now,
    )
    .await?;
    Ok(true)
}

/// An action item's timer: the owner's turn, or the incident manager's.
struct Chasing<'a> {
    r: &'a DueReminder,
    to_lead: bool,
}

/// Reminds of an overdue action item: on the owner's turn its owner (the lead role's
/// holders when it has none), arming the incident manager's turn; on that turn the lead
/// role's holders. An item done, cancelled or given a later date meanwhile reminds nobody.
/// Answers whether it reminded.
async fn overdue_action_item(
    shared: &Shared,
    firer: &Firer,
    tx: &mut WriteTx,
    people: &PagingPeople,
    chasing: Chasing<'_>,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<bool, EngineError> {
    let chase = shared.settings.incidents.chase();
    let Some(item) = shared.store.action_item(&chasing.r.subject).await? else {
        return Ok(false);
    };
    let Some(due) = item.due.filter(|_| item.status.is_open()) else {
        return Ok(false);
    };
    if chase.overdue_at(due) > now {
        return Ok(false);
    }
    let Some(incident) = shared.store.incident(&item.incident_id).await? else {
        return Ok(false);
    };
    let leads = user_holders(&tx.held_roles(&incident.id).await?, lead_key(shared));
    let to = match (&item.owner_id, chasing.to_lead) {
        (Some(owner), false) => vec![owner.clone()],
        _ => leads,
    };
    let kind = |_: Locale| NoticeKind::ActionItemOverdue {
        reference: incident.reference(),
        item: item.title.clone(),
        due: due.to_string(),
        owner: item.owner.clone(),
        to_lead: chasing.to_lead,
    };
    // A later due date that passes again is a new occasion for the same timer.
    let occasion = due.to_string();
    let reminded = remind(
        firer, tx, people, &to, kind, &incident, chasing.r, &occasion, now, leased,
    )
    .await?;
    tx.record_action_item_overdue(&item, chasing.to_lead, &reminded, now)
        .await?;
    if !chasing.to_lead {
        tx.set_reminder(
            &item.incident_id,
            ReminderKind::ActionItemLead,
            &item.id,
            Some(chase.lead_at(now)),
            now,
        )
        .await?;
    }
    Ok(true)
}
