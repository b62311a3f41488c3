//! Escalation: pages for alert groups, and the timers that move them.
//!
//! A group flush that sees new firing alerts in a group bound to an escalation policy (by
//! its receiver, or by its alerts' integration) opens a page in the flush's own transaction
//! and fires the policy's first step there: each person it reaches gets one outbox row per
//! notification rule (kind `contact:<kind>`, the `Envelope` as payload, due when the rule
//! says), with one-time acknowledge and resolve links. The page's `next_at` is its timer; a
//! worker claims pages whose timer is due (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
//! instances never fire one step twice) and fires the next step, starts the next round, or
//! ends the escalation. Acknowledging stops it and cancels the messages not yet sent; a
//! group whose alerts have all resolved resolves its page. Every change to a page is an
//! event on it (its timeline), committed with the change.

use std::collections::BTreeSet;

use hinomi_core::escalation::{
    Directory, Due, Firing, Needs, PageClock, PageStatus, Paged, Position, Skip, Step, Target, due,
    fire_from, page_title,
};
use hinomi_core::{ActionKind, Envelope, Locale, Notice, NoticeAction, NoticeAlert, NoticeKind};
use hinomi_store::{
    ActionRecord, ClaimedDelivery, GroupRow, NewNotice, PageRecord, PagingPeople, PolicyRecord,
    Store, StoredAlert, WriteTx,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{EngineError, Shared};

/// Pages whose timers one transaction handles.
pub(crate) const PAGE_BATCH: i64 = 8;
/// How long the one-time links of a page's messages work.
pub const ACTION_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// The name events give escalation's own decisions.
const ENGINE_ACTOR: &str = "hinomi";

/// Who changes a page by hand, and by which path.
#[derive(Clone, Debug)]
pub struct PageActor {
    /// The user's id, when a user acts (not the operator at the command line).
    pub user_id: Option<String>,
    /// The name the timeline shows.
    pub name: String,
    /// `console`, `api`, `cli`, `link`, `slack`, `teams`, `voice`, ...
    pub how: String,
}

/// A change to a page that a person asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageCommand {
    /// Stop escalating: someone has it.
    Acknowledge,
    /// Close the page.
    Resolve,
    /// Fire the next step now (triggering an acknowledged page again).
    Escalate,
    /// Page this user now and make the page theirs; escalation goes on from the current
    /// step if they do not answer.
    Reassign { user_id: String },
    /// Acknowledge until this instant, then trigger again with a new run of the policy.
    Snooze { until: i64 },
}

impl PageCommand {
    fn name(&self) -> &'static str {
        match self {
            PageCommand::Acknowledge => "acknowledge",
            PageCommand::Resolve => "resolve",
            PageCommand::Escalate => "escalate",
            PageCommand::Reassign { .. } => "reassign",
            PageCommand::Snooze { .. } => "snooze",
        }
    }
}

/// The SHA-256 (hex) that stands for a secret token in the database.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 32 hex characters, 122 random bits.
pub(crate) fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What firing needs besides a transaction: the store (for schedules, teams, skills and
/// people), the URL messages link to, and the lease rows due now are written under (`None`
/// from the command line, where no delivery runs: the server's poll sends them).
#[derive(Clone, Debug)]
pub struct Firer {
    pub(crate) store: Store,
    pub(crate) external_url: String,
    lease: Option<(String, i64)>,
}

impl Firer {
    /// A firer for a process that delivers nothing itself (the command line).
    pub fn offline(store: Store, external_url: &str) -> Firer {
        Firer {
            store,
            external_url: external_url.trim_end_matches('/').to_owned(),
            lease: None,
        }
    }

    pub(crate) fn of(shared: &Shared) -> Firer {
        Firer {
            store: shared.store.clone(),
            external_url: shared
                .settings
                .external_url
                .trim_end_matches('/')
                .to_owned(),
            lease: Some((shared.instance.clone(), shared.settings.delivery_lease_ms)),
        }
    }

    /// The outbox row of a message to a person (a page's, a role's, a reminder's): kind
    /// `contact:<kind>`, due at `due_at`, leased to this instance when due now and this
    /// process delivers.
    pub(crate) fn notice_row(
        &self,
        idempotency_key: String,
        receiver: String,
        envelope: &Envelope,
        due_at: i64,
        now: i64,
    ) -> NewNotice {
        NewNotice {
            idempotency_key,
            group_key: String::new(),
            receiver,
            integration: 0,
            kind: format!(
                "{}{}",
                crate::CONTACT_PREFIX,
                envelope.contact.kind.as_str()
            ),
            payload: serde_json::to_string(envelope).expect("envelopes serialise"),
            created_at: now,
            due_at,
            lease: self
                .lease
                .as_ref()
                .filter(|_| due_at <= now)
                .map(|(owner, ms)| (owner.clone(), now + ms)),
        }
    }

    /// The lookups a policy's steps may need, as they stand now.
    async fn directory(
        &self,
        tx: &mut WriteTx,
        people: &PagingPeople,
        policy: &PolicyRecord,
    ) -> Result<Directory, EngineError> {
        let mut dir = people_directory(people);
        let needs = Needs::of(&policy.policy);
        for team in &needs.teams {
            if self.store.team(team).await?.is_some_and(|t| &t.id == team) {
                let members = self.store.team_members(team).await?;
                dir.add_team(
                    team.clone(),
                    members.into_iter().map(|m| m.user_id).collect(),
                );
            }
        }
        for id in &needs.schedules {
            if let Some(stored) = self.store.schedule(id).await?
                && &stored.record.id == id
            {
                dir.add_schedule(id.clone(), stored.schedule);
            }
        }
        for skill in &needs.skills {
            dir.add_skill(skill.clone(), self.store.users_with_skill(skill).await?);
        }
        for (step, team, turns) in tx.cursors(&policy.id).await? {
            dir.set_cursor(step, team, turns);
        }
        Ok(dir)
    }

    /// Fires `policy` from `from` for `page` (updating its position, timer and assignees),
    /// writing the messages and the timeline entries.
    #[allow(clippy::too_many_arguments)]
    async fn fire(
        &self,
        tx: &mut WriteTx,
        page: &mut PageRecord,
        policy: &PolicyRecord,
        from: Position,
        alerts: &[StoredAlert],
        now: i64,
        leased: &mut Vec<ClaimedDelivery>,
    ) -> Result<(), EngineError> {
        let people = self.store.paging_people().await?;
        let mut dir = self.directory(tx, &people, policy).await?;
        let Firing { steps, reached } =
            fire_from(&policy.policy, from, page.first_round, &mut dir, now);
        for (step, team, turns) in dir.moved_cursors() {
            tx.put_cursor(&policy.id, step, &team, turns).await?;
        }
        for fired in &steps {
            let pos = fired.position;
            let r = &fired.resolution;
            if r.people.is_empty() {
                let data = json!({
                    "round": pos.round, "step": pos.step,
                    "skipped": skips_json(&r.skipped, &people),
                });
                event(tx, now, "page.step_skipped", &page.id, ENGINE_ACTOR, &data).await?;
                continue;
            }
            let key = |user: &str, cm: &str| {
                format!("page:{}|{}|{}|{user}|{cm}", page.id, pos.round, pos.step)
            };
            let paged = self
                .send(
                    tx,
                    page,
                    &r.people,
                    &people,
                    alerts,
                    NoticeKind::Page {
                        step: pos.step,
                        round: pos.round,
                    },
                    &key,
                    now,
                    leased,
                )
                .await?;
            let data = json!({
                "round": pos.round, "step": pos.step,
                "people": paged,
                "skipped": skips_json(&r.skipped, &people),
            });
            event(tx, now, "page.step", &page.id, ENGINE_ACTOR, &data).await?;
        }
        if let Some(last) = steps.last() {
            page.position = last.position;
        }
        match reached {
            Some((pos, next_at)) => {
                page.position = pos;
                page.next_at = Some(next_at);
                page.assigned_to = steps
                    .last()
                    .map(|s| s.resolution.people.iter().map(|p| p.user.clone()).collect())
                    .unwrap_or_default();
            }
            None => {
                page.next_at = None;
                let data = json!({ "nobody_reached": true });
                event(tx, now, "page.exhausted", &page.id, ENGINE_ACTOR, &data).await?;
            }
        }
        Ok(())
    }

    /// Writes the messages to `to` for `page`: for each person, an acknowledge and a resolve
    /// token, and one outbox row per planned notice. Answers what the timeline records.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        tx: &mut WriteTx,
        page: &PageRecord,
        to: &[Paged],
        people: &PagingPeople,
        alerts: &[StoredAlert],
        kind: NoticeKind,
        key: &(dyn Fn(&str, &str) -> String + Sync),
        now: i64,
        leased: &mut Vec<ClaimedDelivery>,
    ) -> Result<Vec<Value>, EngineError> {
        let mut listed: Vec<&StoredAlert> = alerts.iter().collect();
        listed.sort_by_key(|a| (a.alert.resolved_at(now), a.alert.starts_at));
        let notice_alerts: Vec<NoticeAlert> = listed
            .iter()
            .map(|a| NoticeAlert::from_alert(&a.alert, now))
            .collect();
        let mut out = Vec::with_capacity(to.len());
        for paged in to {
            let person = people.users.iter().find(|u| u.id == paged.user);
            let mut actions = Vec::new();
            for action in [ActionKind::Acknowledge, ActionKind::Resolve] {
                let token = new_token();
                tx.insert_action(&ActionRecord {
                    token_hash: token_hash(&token),
                    page_id: page.id.clone(),
                    user_id: paged.user.clone(),
                    action,
                    created_at: now,
                    expires_at: now + ACTION_TTL_MS,
                    used_at: None,
                })
                .await?;
                actions.push(NoticeAction {
                    kind: action,
                    url: format!("{}/a/{token}", self.external_url),
                    token,
                });
            }
            let notice = Notice {
                kind: kind.clone(),
                locale: person
                    .and_then(|p| p.locale.as_deref())
                    .and_then(Locale::parse)
                    .unwrap_or(Locale::Ja),
                recipient: person.map_or_else(|| paged.user.clone(), |p| p.display_name.clone()),
                page_id: Some(page.id.clone()),
                title: page.title.clone(),
                alerts: notice_alerts.clone(),
                console_url: Some(format!("{}/pages/{}", self.external_url, page.id)),
                actions,
                at: now,
            };
            let mut messages = Vec::new();
            for planned in &paged.notices {
                let Some(cm) = people.contact_methods.get(&planned.contact_method) else {
                    continue;
                };
                let envelope = Envelope {
                    contact: cm.contact(),
                    notice: notice.clone(),
                };
                let mut row = self.notice_row(
                    key(&paged.user, &cm.id),
                    format!("page:{}", page.id),
                    &envelope,
                    planned.due_at,
                    now,
                );
                row.group_key = page.group_key.clone();
                row.integration = planned.rule as i64;
                if let Some(id) = tx.insert_notice(&row).await? {
                    leased.extend(row.claimed(id));
                }
                messages.push(json!({
                    "contact_method": cm.id, "kind": cm.kind.as_str(),
                    "label": cm.label, "due_at": planned.due_at,
                }));
            }
            out.push(json!({
                "user": paged.user,
                "username": person.map(|p| p.username.as_str()),
                "via": paged.via,
                "messages": messages,
            }));
        }
        Ok(out)
    }
}

/// A directory of everyone with their backups and notification rules.
fn people_directory(people: &PagingPeople) -> Directory {
    let mut dir = Directory::new();
    for u in &people.users {
        dir.add_user(u.id.clone(), u.enabled);
    }
    for (user, backup) in &people.backups {
        dir.add_backup(user.clone(), backup.clone());
    }
    for (user, rules) in &people.rules {
        dir.add_rules(user.clone(), rules.clone());
    }
    dir
}

/// The timeline's form of skipped targets: usernames beside user ids.
fn skips_json(skips: &[Skip], people: &PagingPeople) -> Value {
    let name = |id: &str| {
        people
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.username.clone())
    };
    Value::Array(
        skips
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).expect("skips serialise");
                let user = match s {
                    Skip::UnknownUser { id } | Skip::DisabledUser { id } => Some(id.as_str()),
                    Skip::Unreachable { user, .. } => Some(user.as_str()),
                    _ => None,
                };
                if let Some(username) = user.and_then(name) {
                    v["username"] = username.into();
                }
                v
            })
            .collect(),
    )
}

async fn event(
    tx: &mut WriteTx,
    now: i64,
    kind: &str,
    page_id: &str,
    actor: &str,
    data: &Value,
) -> Result<(), EngineError> {
    tx.append_event(now, kind, page_id, actor, &data.to_string())
        .await?;
    Ok(())
}

/// An alert episode as pages remember it: its fingerprint and when it started.
fn episode(a: &StoredAlert) -> String {
    format!("{}@{}", a.fingerprint(), a.alert.starts_at)
}

/// What a flush does for paging, in its transaction: `members` are the group's alerts,
/// `visible` those neither silenced nor inhibited. New firing episodes among the visible
/// ones open a page when the group is bound to a policy (an open page takes them in
/// instead); when every member has resolved, the open page resolves.
pub(crate) async fn on_flush(
    firer: &Firer,
    tx: &mut WriteTx,
    group: &GroupRow,
    members: &[StoredAlert],
    visible: &[&StoredAlert],
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<(), EngineError> {
    let firing: Vec<&StoredAlert> = visible
        .iter()
        .copied()
        .filter(|a| !a.alert.resolved_at(now))
        .collect();
    if members.iter().all(|a| a.alert.resolved_at(now)) {
        return resolve_when_quiet(tx, &group.group_key, now).await;
    }
    if firing.is_empty() {
        return Ok(());
    }
    let episodes: BTreeSet<String> = firing.iter().map(|a| episode(a)).collect();
    if let Some(mut open) = tx.open_page_of_group(&group.group_key).await? {
        let mut covered: BTreeSet<String> = open.alerts.iter().cloned().collect();
        if !episodes.is_subset(&covered) {
            covered.extend(episodes);
            open.alerts = covered.into_iter().collect();
            let all: Vec<&hinomi_core::Alert> = members.iter().map(|a| &a.alert).collect();
            open.title = page_title(&group.group_labels, &all, now);
            tx.update_page(&open).await?;
        }
        return Ok(());
    }
    let integrations: Vec<&str> = firing
        .iter()
        .filter_map(|a| a.alert.labels.get("integration"))
        .collect();
    let Some(policy_id) = tx.bound_policy(&group.receiver, &integrations).await? else {
        return Ok(());
    };
    // A page resolved by hand while its alerts fire on is not opened again for them.
    if let Some(last) = tx.latest_page_of_group(&group.group_key).await?
        && episodes.iter().all(|e| last.alerts.contains(e))
    {
        return Ok(());
    }
    let Some(policy) = tx.policy(&policy_id).await? else {
        return Ok(());
    };
    let all: Vec<&hinomi_core::Alert> = members.iter().map(|a| &a.alert).collect();
    let mut page = PageRecord {
        id: uuid::Uuid::new_v4().to_string(),
        group_key: group.group_key.clone(),
        policy_id: policy.id.clone(),
        title: page_title(&group.group_labels, &all, now),
        alerts: episodes.into_iter().collect(),
        status: PageStatus::Triggered,
        position: Position::START,
        first_round: 0,
        next_at: None,
        assigned_to: Vec::new(),
        snoozed_until: None,
        acknowledged_by: None,
        acknowledged_how: None,
        acknowledged_at: None,
        resolved_by: None,
        resolved_how: None,
        created_at: now,
        resolved_at: None,
    };
    let data = json!({
        "group_key": page.group_key, "policy": policy.id, "policy_name": policy.name,
        "title": page.title,
    });
    event(tx, now, "page.opened", &page.id, ENGINE_ACTOR, &data).await?;
    firer
        .fire(
            tx,
            &mut page,
            &policy,
            Position::START,
            members,
            now,
            leased,
        )
        .await?;
    tx.insert_page(&page).await?;
    metrics::counter!("hinomi_pages_opened_total").increment(1);
    Ok(())
}

/// Resolves the group's open page: its alerts have all resolved.
pub(crate) async fn resolve_when_quiet(
    tx: &mut WriteTx,
    group_key: &str,
    now: i64,
) -> Result<(), EngineError> {
    if let Some(mut page) = tx.open_page_of_group(group_key).await? {
        close(
            tx,
            &mut page,
            PageStatus::Resolved,
            ENGINE_ACTOR,
            "alerts_resolved",
            now,
        )
        .await?;
    }
    Ok(())
}

/// Acknowledges or resolves `page`: stops its timer, cancels the messages not yet sent,
/// and records who and how.
async fn close(
    tx: &mut WriteTx,
    page: &mut PageRecord,
    to: PageStatus,
    actor: &str,
    how: &str,
    now: i64,
) -> Result<(), EngineError> {
    page.status = to;
    page.next_at = None;
    page.snoozed_until = None;
    let kind = match to {
        PageStatus::Resolved => {
            page.resolved_by = Some(actor.to_owned());
            page.resolved_how = Some(how.to_owned());
            page.resolved_at = Some(now);
            "page.resolved"
        }
        _ => {
            page.acknowledged_by = Some(actor.to_owned());
            page.acknowledged_how = Some(how.to_owned());
            page.acknowledged_at = Some(now);
            "page.acknowledged"
        }
    };
    let cancelled = tx.cancel_page_notices(&page.id, now).await?;
    tx.update_page(page).await?;
    if to == PageStatus::Acknowledged {
        tx.note_page_acknowledged(&page.group_key, &page.id, &page.title, actor, how, now)
            .await?;
    }
    let data = json!({ "how": how, "cancelled": cancelled });
    event(tx, now, kind, &page.id, actor, &data).await
}

/// What one pass over due pages did.
#[derive(Debug, Default, Clone)]
pub struct EscalationReport {
    /// Pages whose timer was handled.
    pub pages: usize,
    /// Outbox rows written and leased to this instance, ready to deliver.
    pub leased: Vec<ClaimedDelivery>,
}

/// Handles up to one batch of pages whose timer is due at `now`.
pub(crate) async fn escalate_due(
    shared: &Shared,
    now: i64,
) -> Result<EscalationReport, EngineError> {
    let firer = Firer::of(shared);
    let mut tx = shared.store.begin().await?;
    let pages = tx.claim_due_pages(now, PAGE_BATCH).await?;
    if pages.is_empty() {
        return Ok(EscalationReport::default());
    }
    let mut leased = Vec::new();
    for page in &pages {
        on_timer(&firer, &mut tx, page.clone(), now, &mut leased).await?;
    }
    tx.commit().await?;
    Ok(EscalationReport {
        pages: pages.len(),
        leased,
    })
}

/// A page whose timer is due: resolve it if its alerts have, else fire, stop, or set the
/// timer right.
async fn on_timer(
    firer: &Firer,
    tx: &mut WriteTx,
    mut page: PageRecord,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<(), EngineError> {
    let members = tx.group_members(&page.group_key).await?;
    if members.iter().all(|a| a.alert.resolved_at(now)) {
        return close(
            tx,
            &mut page,
            PageStatus::Resolved,
            ENGINE_ACTOR,
            "alerts_resolved",
            now,
        )
        .await;
    }
    let Some(policy) = tx.policy(&page.policy_id).await? else {
        page.next_at = None;
        tx.update_page(&page).await?;
        let data = json!({ "policy": page.policy_id });
        return event(
            tx,
            now,
            "page.policy_missing",
            &page.id,
            ENGINE_ACTOR,
            &data,
        )
        .await;
    };
    let clock = PageClock {
        status: page.status,
        position: page.position,
        first_round: page.first_round,
        next_at: page.next_at,
        snoozed_until: page.snoozed_until,
    };
    match due(&policy.policy, &clock, now) {
        Due::Wait(at) => {
            page.next_at = at;
            tx.update_page(&page).await?;
        }
        Due::Exhausted => {
            page.next_at = None;
            tx.update_page(&page).await?;
            let data = json!({ "rounds": page.position.round - page.first_round + 1 });
            event(tx, now, "page.exhausted", &page.id, ENGINE_ACTOR, &data).await?;
        }
        Due::Fire { from, retrigger } => {
            if retrigger {
                trigger_again(&mut page);
                page.first_round = from.round;
                event(
                    tx,
                    now,
                    "page.retriggered",
                    &page.id,
                    ENGINE_ACTOR,
                    &json!({}),
                )
                .await?;
            }
            firer
                .fire(tx, &mut page, &policy, from, &members, now, leased)
                .await?;
            tx.update_page(&page).await?;
        }
    }
    Ok(())
}

/// Back to triggered: the acknowledgement and any snooze are forgotten.
fn trigger_again(page: &mut PageRecord) {
    page.status = PageStatus::Triggered;
    page.snoozed_until = None;
    page.acknowledged_by = None;
    page.acknowledged_how = None;
    page.acknowledged_at = None;
}

/// Carries out a person's command on a page, in one transaction; answers the page as it
/// now stands. Acknowledging an acknowledged page or resolving a resolved one changes
/// nothing; any other change to a resolved page is refused.
pub async fn command(
    firer: &Firer,
    page_id: &str,
    cmd: &PageCommand,
    actor: &PageActor,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<PageRecord, EngineError> {
    let mut tx = firer.store.begin().await?;
    let page = apply(firer, &mut tx, page_id, cmd, actor, now, leased).await?;
    tx.commit().await?;
    Ok(page)
}

async fn apply(
    firer: &Firer,
    tx: &mut WriteTx,
    page_id: &str,
    cmd: &PageCommand,
    actor: &PageActor,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<PageRecord, EngineError> {
    let mut page = tx
        .lock_page(page_id)
        .await?
        .ok_or_else(|| EngineError::NotFound(format!("page {page_id}")))?;
    let unchanged = matches!(
        (page.status, cmd),
        (PageStatus::Acknowledged, PageCommand::Acknowledge)
            | (PageStatus::Resolved, PageCommand::Resolve)
    );
    if unchanged {
        return Ok(page);
    }
    if page.status == PageStatus::Resolved {
        return Err(EngineError::PageResolved(format!(
            "page {page_id} is resolved: it cannot {}",
            cmd.name()
        )));
    }
    let name = actor.name.as_str();
    match cmd {
        PageCommand::Acknowledge | PageCommand::Resolve => {
            let to = if *cmd == PageCommand::Resolve {
                PageStatus::Resolved
            } else {
                PageStatus::Acknowledged
            };
            close(tx, &mut page, to, name, &actor.how, now).await?;
        }
        PageCommand::Snooze { until } => {
            if *until <= now {
                return Err(EngineError::Invalid(
                    "until: a snooze must end in the future".into(),
                ));
            }
            close(
                tx,
                &mut page,
                PageStatus::Acknowledged,
                name,
                &actor.how,
                now,
            )
            .await?;
            page.snoozed_until = Some(*until);
            page.next_at = Some(*until);
            tx.update_page(&page).await?;
            let data = json!({ "how": actor.how, "until": until });
            event(tx, now, "page.snoozed", &page.id, name, &data).await?;
        }
        PageCommand::Escalate => {
            let policy = tx.policy(&page.policy_id).await?.ok_or_else(|| {
                EngineError::Invalid(format!("page {page_id}'s policy no longer exists"))
            })?;
            trigger_again(&mut page);
            let from = policy.policy.next_unbounded(page.position);
            let data = json!({ "how": actor.how, "round": from.round, "step": from.step });
            event(tx, now, "page.escalated", &page.id, name, &data).await?;
            let members = tx.group_members(&page.group_key).await?;
            firer
                .fire(tx, &mut page, &policy, from, &members, now, leased)
                .await?;
            tx.update_page(&page).await?;
        }
        PageCommand::Reassign { user_id } => {
            reassign(firer, tx, &mut page, user_id, actor, now, leased).await?;
        }
    }
    Ok(page)
}

/// Pages `user_id` (and their backup) now and makes the page theirs; the current step's
/// wait starts again, so escalation goes on if nobody answers.
async fn reassign(
    firer: &Firer,
    tx: &mut WriteTx,
    page: &mut PageRecord,
    user_id: &str,
    actor: &PageActor,
    now: i64,
    leased: &mut Vec<ClaimedDelivery>,
) -> Result<(), EngineError> {
    let people = firer.store.paging_people().await?;
    let Some(user) = people.users.iter().find(|u| u.id == user_id && u.enabled) else {
        return Err(EngineError::Invalid(format!(
            "user: no enabled user {user_id:?}"
        )));
    };
    let policy = tx.policy(&page.policy_id).await?;
    let mut dir = people_directory(&people);
    let step = Step {
        delay_ms: hinomi_core::escalation::MIN_DELAY_MS,
        targets: vec![Target::User {
            id: user_id.to_owned(),
        }],
    };
    let resolution = dir.resolve(u32::MAX, &step, now);
    trigger_again(page);
    let members = tx.group_members(&page.group_key).await?;
    let round = page.position.round;
    let key = |u: &str, cm: &str| format!("page:{}|{round}|reassign@{now}|{u}|{cm}", page.id);
    let snapshot = page.clone();
    let paged = firer
        .send(
            tx,
            &snapshot,
            &resolution.people,
            &people,
            &members,
            NoticeKind::Page {
                step: page.position.step,
                round,
            },
            &key,
            now,
            leased,
        )
        .await?;
    page.assigned_to = vec![user.id.clone()];
    page.next_at = policy
        .as_ref()
        .map(|p| p.policy.due_after(page.position, now));
    tx.update_page(page).await?;
    let data = json!({
        "how": actor.how, "user": user.id, "username": user.username,
        "people": paged, "skipped": skips_json(&resolution.skipped, &people),
    });
    event(tx, now, "page.reassigned", &page.id, &actor.name, &data).await
}

/// What redeeming a one-time action token did.
#[derive(Clone, Debug)]
pub struct Redeemed {
    pub action: ActionKind,
    /// The page as it now stands.
    pub page: PageRecord,
    /// The username of the person the token was sent to, who acted.
    pub by: String,
    /// Their user id.
    pub user_id: String,
}

/// Redeems a one-time action token from a message (a link, a button, a keypad digit):
/// marks it used and acknowledges or resolves its page as the person it was sent to,
/// recording `how`. Fails with [`EngineError::ActionInvalid`] when the token is unknown,
/// used or expired.
pub(crate) async fn redeem(
    firer: &Firer,
    token: &str,
    how: &str,
    now: i64,
) -> Result<Redeemed, EngineError> {
    let mut tx = firer.store.begin().await?;
    let Some(action) = tx.use_action(&token_hash(token), how, now).await? else {
        return Err(EngineError::ActionInvalid);
    };
    let by = firer
        .store
        .user_by_id(&action.user_id)
        .await?
        .map_or_else(|| action.user_id.clone(), |u| u.username);
    let actor = PageActor {
        user_id: Some(action.user_id.clone()),
        name: by.clone(),
        how: how.to_owned(),
    };
    let cmd = match action.action {
        ActionKind::Acknowledge => PageCommand::Acknowledge,
        ActionKind::Resolve => PageCommand::Resolve,
    };
    let mut leased = Vec::new();
    // A page resolved meanwhile takes an acknowledgement as already done.
    let page = match apply(
        firer,
        &mut tx,
        &action.page_id,
        &cmd,
        &actor,
        now,
        &mut leased,
    )
    .await
    {
        Err(EngineError::PageResolved(_)) => tx
            .lock_page(&action.page_id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("page {}", action.page_id)))?,
        other => other?,
    };
    tx.commit().await?;
    Ok(Redeemed {
        action: action.action,
        page,
        by,
        user_id: action.user_id,
    })
}
