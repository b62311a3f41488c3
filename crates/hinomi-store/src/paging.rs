//! Paging's rows: contact methods and notification rules, skills and backups, escalation
//! policies and their bindings, pages with their escalation timers, and the one-time action
//! tokens of their messages. Changes people make to their own or the installation's paging
//! set-up commit with their audit entry; what escalation decides is written through
//! [`WriteTx`] in the transaction of the decision.

use std::collections::HashMap;

use hinomi_core::escalation::{PageStatus, Policy, Position, RuleRef, ShiftNotices};
use hinomi_core::{ActionKind, Contact, ContactKind};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::append_audit;
use crate::{AuditEntry, ClaimedDelivery, Result, Store, StoreError, WriteTx};

/// A way to reach one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactMethodRecord {
    pub id: String,
    pub user_id: String,
    pub kind: ContactKind,
    /// Checked and normalised for its kind (`hinomi_core::contact::parse_address`).
    pub address: String,
    pub label: String,
    pub created_at: i64,
    /// When the person confirmed the code of a test message; only verified methods are paged.
    pub verified_at: Option<i64>,
}

const CONTACT_COLUMNS: &str = "id, user_id, kind, address, label, created_at, verified_at";

impl ContactMethodRecord {
    fn from_row(row: &AnyRow) -> Result<ContactMethodRecord> {
        let kind: String = row.try_get("kind")?;
        Ok(ContactMethodRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            kind: ContactKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("contact kind {kind:?}")))?,
            address: row.try_get("address")?,
            label: row.try_get("label")?,
            created_at: row.try_get("created_at")?,
            verified_at: row.try_get("verified_at")?,
        })
    }
}

impl ContactMethodRecord {
    /// Where a message to this method goes.
    pub fn contact(&self) -> Contact {
        Contact {
            kind: self.kind,
            address: self.address.clone(),
        }
    }
}

/// "Use this contact method this many minutes after a page reaches me."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRuleRecord {
    pub id: String,
    pub user_id: String,
    pub contact_method_id: String,
    pub delay_minutes: u32,
    pub created_at: i64,
}

/// What confirming a verification code did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Verified,
    /// Wrong code; attempts left before a new test message is needed.
    Wrong {
        attempts_left: i64,
    },
    /// No code is pending (never sent, expired, or too many wrong attempts).
    NoCode,
}

/// Wrong codes allowed per test message.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// An escalation policy as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRecord {
    pub id: String,
    /// Unique.
    pub name: String,
    pub description: String,
    pub team_id: Option<String>,
    pub policy: Policy,
    pub created_at: i64,
    pub updated_at: i64,
}

const POLICY_COLUMNS: &str =
    "id, name, description, team_id, steps, repeats, created_at, updated_at";

/// The names of the escalation policies whose steps page `user` by name.
pub(crate) async fn policies_paging(
    conn: &mut sqlx::AnyConnection,
    user: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(&format!(
        "SELECT {POLICY_COLUMNS} FROM escalation_policies ORDER BY name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut names = Vec::new();
    for row in &rows {
        let p = PolicyRecord::from_row(row)?;
        let pages = p
            .policy
            .steps()
            .iter()
            .flat_map(|s| &s.targets)
            .any(|t| matches!(t, hinomi_core::escalation::Target::User { id } if id == user));
        if pages {
            names.push(p.name);
        }
    }
    Ok(names)
}

/// The usernames of the people whose backup responder `user` is.
pub(crate) async fn backup_of(conn: &mut sqlx::AnyConnection, user: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT u.username FROM backup_responders b JOIN users u ON u.id = b.user_id \
         WHERE b.backup_id = $1 ORDER BY u.username",
    )
    .bind(user)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("username")?)).collect()
}

impl PolicyRecord {
    fn from_row(row: &AnyRow) -> Result<PolicyRecord> {
        let id: String = row.try_get("id")?;
        let steps: String = row.try_get("steps")?;
        let steps = serde_json::from_str(&steps)
            .map_err(|e| StoreError::Corrupt(format!("policy {id} steps: {e}")))?;
        let repeats: i64 = row.try_get("repeats")?;
        let policy = Policy::new(steps, repeats as u32)
            .map_err(|e| StoreError::Corrupt(format!("policy {id}: {e}")))?;
        Ok(PolicyRecord {
            id,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            team_id: row.try_get("team_id")?,
            policy,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// What a policy is bound to: groups of a receiver, or alerts of an integration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingKind {
    /// A receiver of the routing tree, by name.
    Receiver,
    /// An integration key, by the integration's id.
    Integration,
}

impl BindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::Receiver => "receiver",
            BindingKind::Integration => "integration",
        }
    }

    pub fn parse(text: &str) -> Option<BindingKind> {
        [BindingKind::Receiver, BindingKind::Integration]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One binding: groups of this receiver, or alerts of this integration, page the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingRecord {
    pub kind: BindingKind,
    /// The receiver's name, or the integration's id.
    pub target: String,
    pub policy_id: String,
    pub created_at: i64,
}

/// An alert group's paging record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRecord {
    pub id: String,
    /// The stored group's key (route id and group labels).
    pub group_key: String,
    pub policy_id: String,
    pub title: String,
    /// The alert episodes (`fingerprint@starts_at`) the page covers, sorted.
    pub alerts: Vec<String>,
    pub status: PageStatus,
    /// The step that fired last.
    pub position: Position,
    /// The round the current run of the policy began at.
    pub first_round: u32,
    /// The escalation timer; `None` when nothing is due.
    pub next_at: Option<i64>,
    /// The users the page is with (those the last step reached, or the one it was
    /// reassigned to).
    pub assigned_to: Vec<String>,
    pub snoozed_until: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_how: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_how: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

const PAGE_COLUMNS: &str = "id, group_key, policy_id, title, alerts, state, round, step, first_round, next_at, \
     assigned_to, snoozed_until, acknowledged_by, acknowledged_how, acknowledged_at, \
     resolved_by, resolved_how, created_at, resolved_at";

impl PageRecord {
    fn from_row(row: &AnyRow) -> Result<PageRecord> {
        let id: String = row.try_get("id")?;
        let state: String = row.try_get("state")?;
        let assigned: String = row.try_get("assigned_to")?;
        let alerts: String = row.try_get("alerts")?;
        Ok(PageRecord {
            status: PageStatus::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("page {id} state {state:?}")))?,
            assigned_to: serde_json::from_str(&assigned)
                .map_err(|e| StoreError::Corrupt(format!("page {id} assignees: {e}")))?,
            alerts: serde_json::from_str(&alerts)
                .map_err(|e| StoreError::Corrupt(format!("page {id} alerts: {e}")))?,
            group_key: row.try_get("group_key")?,
            policy_id: row.try_get("policy_id")?,
            title: row.try_get("title")?,
            position: Position {
                round: row.try_get::<i64, _>("round")? as u32,
                step: row.try_get::<i64, _>("step")? as u32,
            },
            first_round: row.try_get::<i64, _>("first_round")? as u32,
            next_at: row.try_get("next_at")?,
            snoozed_until: row.try_get("snoozed_until")?,
            acknowledged_by: row.try_get("acknowledged_by")?,
            acknowledged_how: row.try_get("acknowledged_how")?,
            acknowledged_at: row.try_get("acknowledged_at")?,
            resolved_by: row.try_get("resolved_by")?,
            resolved_how: row.try_get("resolved_how")?,
            created_at: row.try_get("created_at")?,
            resolved_at: row.try_get("resolved_at")?,
            id,
        })
    }
}

/// A one-time action token of a page's message (only its hash is kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub token_hash: String,
    pub page_id: String,
    /// The person it was sent to: who acts when it is redeemed.
    pub user_id: String,
    pub action: ActionKind,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

const ACTION_COLUMNS: &str =
    "token_hash, page_id, user_id, action, created_at, expires_at, used_at";

fn action_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Acknowledge => "acknowledge",
        ActionKind::Resolve => "resolve",
    }
}

impl ActionRecord {
    fn from_row(row: &AnyRow) -> Result<ActionRecord> {
        let action: String = row.try_get("action")?;
        Ok(ActionRecord {
            action: match action.as_str() {
                "acknowledge" => ActionKind::Acknowledge,
                "resolve" => ActionKind::Resolve,
                other => return Err(StoreError::Corrupt(format!("page action {other:?}"))),
            },
            token_hash: row.try_get("token_hash")?,
            page_id: row.try_get("page_id")?,
            user_id: row.try_get("user_id")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
        })
    }
}

/// A message to one person's contact method, for the outbox: a page's (`receiver` =
/// `page:<id>`) or a test message's (`user:<id>`). Rows due now may come leased to the
/// writing instance, which delivers them once the transaction commits.
#[derive(Clone, Debug)]
pub struct NewNotice {
    pub idempotency_key: String,
    pub group_key: String,
    pub receiver: String,
    /// The notification rule's index, or 0.
    pub integration: i64,
    /// `contact:<kind>`.
    pub kind: String,
    /// The `Envelope` as JSON.
    pub payload: String,
    pub created_at: i64,
    pub due_at: i64,
    /// (owner, until) for a row the writer delivers itself.
    pub lease: Option<(String, i64)>,
}

impl NewNotice {
    /// The row as delivery takes it, once inserted as `id`, if it comes leased.
    pub fn claimed(&self, id: i64) -> Option<ClaimedDelivery> {
        let (_, until) = self.lease.as_ref()?;
        Some(ClaimedDelivery {
            id,
            group_key: self.group_key.clone(),
            receiver: self.receiver.clone(),
            integration: self.integration,
            kind: self.kind.clone(),
            payload: self.payload.clone(),
            attempts: 0,
            created_at: self.created_at,
            lease_until: *until,
        })
    }
}

/// One message to a person (a page's, or a test message), as the outbox has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageNotice {
    pub id: i64,
    pub idempotency_key: String,
    /// `contact:<kind>`.
    pub kind: String,
    /// The `Envelope` as JSON.
    pub payload: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub state: String,
    pub due_at: i64,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A person as paging sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pageable {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// `ja` or `en`, if chosen.
    pub locale: Option<String>,
    pub enabled: bool,
}

/// What the steps of one firing may look up, besides schedules: everyone, their backups and
/// notification rules, and the contact methods those rules use.
#[derive(Clone, Debug, Default)]
pub struct PagingPeople {
    pub users: Vec<Pageable>,
    pub backups: HashMap<String, String>,
    /// Each user's rules, in order, as the planner reads them.
    pub rules: HashMap<String, Vec<RuleRef>>,
    pub contact_methods: HashMap<String, ContactMethodRecord>,
    /// The shift notices each person chose, when not the default.
    pub shift_notices: HashMap<String, ShiftNotices>,
}

/// A heartbeat monitor: a job must call its URL at least every `period_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatRecord {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub period_ms: i64,
    pub grace_ms: i64,
    /// Added to the alert a missed beat opens.
    pub labels: hinomi_core::LabelSet,
    pub created_at: i64,
    pub last_beat_at: Option<i64>,
    /// When a beat is overdue; `None` while it is missing.
    pub due_at: Option<i64>,
    pub missing_since: Option<i64>,
}

impl HeartbeatRecord {
    /// `waiting` (no beat yet), `ok` or `missing`.
    pub fn state(&self) -> &'static str {
        match (self.missing_since, self.last_beat_at) {
            (Some(_), _) => "missing",
            (None, None) => "waiting",
            (None, Some(_)) => "ok",
        }
    }
}

const HEARTBEAT_COLUMNS: &str = "id, name, token_hash, period_ms, grace_ms, labels, created_at, \
     last_beat_at, due_at, missing_since";

impl HeartbeatRecord {
    fn from_row(row: &AnyRow) -> Result<HeartbeatRecord> {
        Ok(HeartbeatRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            token_hash: row.try_get("token_hash")?,
            period_ms: row.try_get("period_ms")?,
            grace_ms: row.try_get("grace_ms")?,
            labels: crate::codec::labels_from_json(&row.try_get::<String, _>("labels")?)?,
            created_at: row.try_get("created_at")?,
            last_beat_at: row.try_get("last_beat_at")?,
            due_at: row.try_get("due_at")?,
            missing_since: row.try_get("missing_since")?,
        })
    }
}

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings serialises")
}

impl WriteTx {
    /// The policy bound to groups of `receiver`, else to alerts of one of the
    /// integrations named (by name, as alerts carry them in their `integration` label); the
    /// receiver's binding wins, then the integration first by name.
    pub async fn bound_policy(
        &mut self,
        receiver: &str,
        integrations: &[&str],
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT policy_id FROM policy_bindings WHERE kind = 'receiver' AND target = $1",
        )
        .bind(receiver)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = row {
            return Ok(Some(row.try_get("policy_id")?));
        }
        let mut names: Vec<&str> = integrations.to_vec();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let row = sqlx::query(
                "SELECT b.policy_id FROM policy_bindings b JOIN integrations i ON i.id = b.target \
                 WHERE b.kind = 'integration' AND i.name = $1",
            )
            .bind(name)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(row) = row {
                return Ok(Some(row.try_get("policy_id")?));
            }
        }
        Ok(None)
    }

    /// The open (not resolved) page of a group, locked for update on PostgreSQL.
    pub async fn open_page_of_group(&mut self, group_key: &str) -> Result<Option<PageRecord>> {
        let sql = format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE group_key = $1 AND state <> 'resolved'{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(group_key)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(PageRecord::from_row).transpose()
    }

    /// The newest page of a group, open or not.
    pub async fn latest_page_of_group(&mut self, group_key: &str) -> Result<Option<PageRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE group_key = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(group_key)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(PageRecord::from_row).transpose()
    }

    /// One page, locked for update on PostgreSQL.
    pub async fn lock_page(&mut self, id: &str) -> Result<Option<PageRecord>> {
        let sql = format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(PageRecord::from_row).transpose()
    }

    /// Claims up to `limit` pages whose timer is due at `now`, earliest first. On
    /// PostgreSQL they stay locked until this transaction ends, and pages another instance
    /// holds are skipped: each step fires once.
    pub async fn claim_due_pages(&mut self, now: i64, limit: i64) -> Result<Vec<PageRecord>> {
        let sql = format!(
            "SELECT {PAGE_COLUMNS} FROM pages WHERE next_at IS NOT NULL AND next_at <= $1 \
             ORDER BY next_at LIMIT $2{}",
            self.backend().skip_locked()
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(PageRecord::from_row).collect()
    }

    pub async fn insert_page(&mut self, p: &PageRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO pages ({PAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        ))
        .bind(&p.id)
        .bind(&p.group_key)
        .bind(&p.policy_id)
        .bind(&p.title)
        .bind(json_list(&p.alerts))
        .bind(p.status.as_str())
        .bind(i64::from(p.position.round))
        .bind(i64::from(p.position.step))
        .bind(i64::from(p.first_round))
        .bind(p.next_at)
        .bind(json_list(&p.assigned_to))
        .bind(p.snoozed_until)
        .bind(p.acknowledged_by.as_deref())
        .bind(p.acknowledged_how.as_deref())
        .bind(p.acknowledged_at)
        .bind(p.resolved_by.as_deref())
        .bind(p.resolved_how.as_deref())
        .bind(p.created_at)
        .bind(p.resolved_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes every field of a page but its id, group, policy and creation time.
    pub async fn update_page(&mut self, p: &PageRecord) -> Result<()> {
        sqlx::query(
            "UPDATE pages SET title = $2, alerts = $3, state = $4, round = $5, step = $6, \
             first_round = $7, next_at = $8, assigned_to = $9, snoozed_until = $10, \
             acknowledged_by = $11, acknowledged_how = $12, acknowledged_at = $13, \
             resolved_by = $14, resolved_how = $15, resolved_at = $16 WHERE id = $1",
        )
        .bind(&p.id)
        .bind(&p.title)
        .bind(json_list(&p.alerts))
        .bind(p.status.as_str())
        .bind(i64::from(p.position.round))
        .bind(i64::from(p.position.step))
        .bind(i64::from(p.first_round))
        .bind(p.next_at)
        .bind(json_list(&p.assigned_to))
        .bind(p.snoozed_until)
        .bind(p.acknowledged_by.as_deref())
        .bind(p.acknowledged_how.as_deref())
        .bind(p.acknowledged_at)
        .bind(p.resolved_by.as_deref())
        .bind(p.resolved_how.as_deref())
        .bind(p.resolved_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// A policy, read in this transaction.
    pub async fn policy(&mut self, id: &str) -> Result<Option<PolicyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM escalation_policies WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(PolicyRecord::from_row).transpose()
    }

    /// The round-robin cursors of a policy: (step, team, turns).
    pub async fn cursors(&mut self, policy_id: &str) -> Result<Vec<(u32, String, u64)>> {
        let rows =
            sqlx::query("SELECT step, team_id, turns FROM escalation_cursors WHERE policy_id = $1")
                .bind(policy_id)
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("step")? as u32,
                    r.try_get("team_id")?,
                    r.try_get::<i64, _>("turns")? as u64,
                ))
            })
            .collect()
    }

    pub async fn put_cursor(
        &mut self,
        policy_id: &str,
        step: u32,
        team_id: &str,
        turns: u64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO escalation_cursors (policy_id, step, team_id, turns) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (policy_id, step, team_id) \
             DO UPDATE SET turns = excluded.turns",
        )
        .bind(policy_id)
        .bind(i64::from(step))
        .bind(team_id)
        .bind(turns as i64)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes a message to a person into the outbox; answers its id, or `None` when one with
    /// the same idempotency key is there already.
    pub async fn insert_notice(&mut self, n: &NewNotice) -> Result<Option<i64>> {
        let (owner, until) = match &n.lease {
            Some((owner, until)) => (Some(owner.as_str()), Some(*until)),
            None => (None, None),
        };
        let row = sqlx::query(
            "INSERT INTO outbox (idempotency_key, group_key, receiver, integration, kind, payload, \
             state, created_at, due_at, attempts, lease_owner, lease_until) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, 0, $9, $10) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(&n.idempotency_key)
        .bind(&n.group_key)
        .bind(&n.receiver)
        .bind(n.integration)
        .bind(&n.kind)
        .bind(&n.payload)
        .bind(n.created_at)
        .bind(n.due_at)
        .bind(owner)
        .bind(until)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    /// Cancels the messages of a page that have not gone out and that no instance is
    /// sending now (a send in flight finishes and is recorded); answers how many.
    pub async fn cancel_page_notices(&mut self, page_id: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'cancelled', lease_owner = NULL, lease_until = NULL \
             WHERE receiver = $1 AND state = 'pending' \
             AND (lease_until IS NULL OR lease_until < $2)",
        )
        .bind(format!("page:{page_id}"))
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn insert_action(&mut self, a: &ActionRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO page_actions ({ACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&a.token_hash)
        .bind(&a.page_id)
        .bind(&a.user_id)
        .bind(action_name(a.action))
        .bind(a.created_at)
        .bind(a.expires_at)
        .bind(a.used_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Uses a live (unused, unexpired) action token: marks it used and answers it; `None`
    /// when there is no such live token. Two concurrent redemptions cannot both succeed.
    pub async fn use_action(
        &mut self,
        token_hash: &str,
        how: &str,
        now: i64,
    ) -> Result<Option<ActionRecord>> {
        let row = sqlx::query(&format!(
            "UPDATE page_actions SET used_at = $2, used_how = $3 WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2 RETURNING {ACTION_COLUMNS}"
        ))
        .bind(token_hash)
        .bind(now)
        .bind(how)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(ActionRecord::from_row).transpose()
    }

    /// Stores the hash of a contact method's new verification code, valid until
    /// `expires_at`, and resets its attempts.
    pub async fn set_contact_code(
        &mut self,
        id: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE contact_methods SET code_hash = $2, code_expires_at = $3, code_attempts = 0 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(code_hash)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// One heartbeat, locked for update on PostgreSQL.
    pub async fn lock_heartbeat(&mut self, id: &str) -> Result<Option<HeartbeatRecord>> {
        let sql = format!(
            "SELECT {HEARTBEAT_COLUMNS} FROM heartbeats WHERE id = $1{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(HeartbeatRecord::from_row).transpose()
    }

    /// The heartbeat whose token hashes to `token_hash`, locked for update on PostgreSQL.
    pub async fn lock_heartbeat_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<HeartbeatRecord>> {
        let sql = format!(
            "SELECT {HEARTBEAT_COLUMNS} FROM heartbeats WHERE token_hash = $1{}",
            self.backend().for_update()
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(HeartbeatRecord::from_row).transpose()
    }

    /// Writes a heartbeat's beat and timer.
    pub async fn update_heartbeat_timer(&mut self, h: &HeartbeatRecord) -> Result<()> {
        sqlx::query(
            "UPDATE heartbeats SET last_beat_at = $2, due_at = $3, missing_since = $4 WHERE id = $1",
        )
        .bind(&h.id)
        .bind(h.last_beat_at)
        .bind(h.due_at)
        .bind(h.missing_since)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// A person's contact methods, oldest first.
    pub async fn contact_methods(&self, user_id: &str) -> Result<Vec<ContactMethodRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contact_methods WHERE user_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(ContactMethodRecord::from_row).collect()
    }

    pub async fn contact_method(&self, id: &str) -> Result<Option<ContactMethodRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contact_methods WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(ContactMethodRecord::from_row).transpose()
    }

    /// Adds a contact method; answers false (and writes nothing) when the person has one of
    /// that kind and address already.
    pub async fn add_contact_method(
        &self,
        c: &ContactMethodRecord,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query(&format!(
                "INSERT INTO contact_methods ({CONTACT_COLUMNS}, code_attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0) \
                 ON CONFLICT (user_id, kind, address) DO NOTHING"
            ))
            .bind(&c.id)
            .bind(&c.user_id)
            .bind(c.kind.as_str())
            .bind(&c.address)
            .bind(&c.label)
            .bind(c.created_at)
            .bind(c.verified_at),
            audit,
        )
        .await
    }

    /// Removes one of `user_id`'s contact methods and the rules that use it; answers whether
    /// it existed.
    pub async fn delete_contact_method(
        &self,
        user_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM contact_methods WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM notification_rules WHERE contact_method_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Checks a verification code's hash against the one pending for a contact method of
    /// `user_id`; a match verifies the method (audited), a miss counts an attempt.
    pub async fn confirm_contact_code(
        &self,
        user_id: &str,
        id: &str,
        code_hash: &str,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<CodeCheck> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT code_hash, code_expires_at, code_attempts FROM contact_methods \
             WHERE id = $1 AND user_id = $2{}",
            self.backend().for_update()
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(CodeCheck::NoCode);
        };
        let pending: Option<String> = row.try_get("code_hash")?;
        let expires: Option<i64> = row.try_get("code_expires_at")?;
        let attempts: i64 = row.try_get("code_attempts")?;
        let Some(pending) =
            pending.filter(|_| expires.is_some_and(|e| e > now) && attempts < MAX_CODE_ATTEMPTS)
        else {
            return Ok(CodeCheck::NoCode);
        };
        if pending != code_hash {
            sqlx::query(
                "UPDATE contact_methods SET code_attempts = code_attempts + 1 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(CodeCheck::Wrong {
                attempts_left: MAX_CODE_ATTEMPTS - attempts - 1,
            });
        }
        sqlx::query(
            "UPDATE contact_methods SET verified_at = $2, code_hash = NULL, \
             code_expires_at = NULL, code_attempts = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(CodeCheck::Verified)
    }

    /// A person's notification rules, earliest delay first.
    pub async fn notification_rules(&self, user_id: &str) -> Result<Vec<NotificationRuleRecord>> {
        let rows = sqlx::query(
            "SELECT id, user_id, contact_method_id, delay_minutes, created_at \
             FROM notification_rules WHERE user_id = $1 ORDER BY delay_minutes, created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rule_from_row).collect()
    }

    /// Adds a rule; the contact method must be one of the same person's.
    pub async fn add_notification_rule(
        &self,
        r: &NotificationRuleRecord,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query(
                "INSERT INTO notification_rules (id, user_id, contact_method_id, delay_minutes, \
                 created_at) SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM \
                 contact_methods c WHERE c.id = $6 AND c.user_id = $7)",
            )
            .bind(&r.id)
            .bind(&r.user_id)
            .bind(&r.contact_method_id)
            .bind(i64::from(r.delay_minutes))
            .bind(r.created_at)
            .bind(&r.contact_method_id)
            .bind(&r.user_id),
            audit,
        )
        .await
    }

    pub async fn delete_notification_rule(
        &self,
        user_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query("DELETE FROM notification_rules WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id),
            audit,
        )
        .await
    }

    /// A person's skills, by name.
    pub async fn skills(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT skill FROM user_skills WHERE user_id = $1 ORDER BY skill")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("skill")?)).collect()
    }

    /// Replaces a person's skills.
    pub async fn set_skills(
        &self,
        user_id: &str,
        skills: &[String],
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM user_skills WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for skill in skills {
            sqlx::query(
                "INSERT INTO user_skills (user_id, skill) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(skill)
            .execute(&mut *tx)
            .await?;
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The users with a skill, by username.
    pub async fn users_with_skill(&self, skill: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT s.user_id FROM user_skills s JOIN users u ON u.id = s.user_id \
             WHERE s.skill = $1 ORDER BY u.username",
        )
        .bind(skill)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("user_id")?)).collect()
    }

    /// A person's backup responder (a user id), if they named one.
    pub async fn backup(&self, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT backup_id FROM backup_responders WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok(r.try_get("backup_id")?)).transpose()
    }

    /// Names (or, with `None`, clears) a person's backup responder.
    pub async fn set_backup(
        &self,
        user_id: &str,
        backup_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        match backup_id {
            Some(b) => {
                sqlx::query(
                    "INSERT INTO backup_responders (user_id, backup_id) VALUES ($1, $2) \
                     ON CONFLICT (user_id) DO UPDATE SET backup_id = excluded.backup_id",
                )
                .bind(user_id)
                .bind(b)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM backup_responders WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Everyone paging may reach, with their backups, rules and contact methods.
    pub async fn paging_people(&self) -> Result<PagingPeople> {
        let mut out = PagingPeople::default();
        for r in sqlx::query(
            "SELECT id, username, display_name, locale, disabled_at FROM users ORDER BY username",
        )
        .fetch_all(&self.read)
        .await?
        {
            out.users.push(Pageable {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                locale: r.try_get("locale")?,
                enabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_none(),
            });
        }
        for r in sqlx::query("SELECT user_id, backup_id FROM backup_responders")
            .fetch_all(&self.read)
            .await?
        {
            out.backups
                .insert(r.try_get("user_id")?, r.try_get("backup_id")?);
        }
        for r in sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contact_methods"))
            .fetch_all(&self.read)
            .await?
        {
            let c = ContactMethodRecord::from_row(&r)?;
            out.contact_methods.insert(c.id.clone(), c);
        }
        for r in sqlx::query(
            "SELECT id, user_id, contact_method_id, delay_minutes, created_at \
             FROM notification_rules ORDER BY user_id, delay_minutes, created_at, id",
        )
        .fetch_all(&self.read)
        .await?
        {
            let rule = rule_from_row(&r)?;
            let verified = out
                .contact_methods
                .get(&rule.contact_method_id)
                .is_some_and(|c| c.verified_at.is_some());
            out.rules.entry(rule.user_id).or_default().push(RuleRef {
                contact_method: rule.contact_method_id,
                delay_minutes: rule.delay_minutes,
                verified,
            });
        }
        for r in sqlx::query("SELECT user_id, notify FROM shift_notice_prefs")
            .fetch_all(&self.read)
            .await?
        {
            let notify = crate::shift_notices::parse(&r.try_get::<String, _>("notify")?)?;
            out.shift_notices.insert(r.try_get("user_id")?, notify);
        }
        Ok(out)
    }

    /// Every escalation policy, by name.
    pub async fn policies(&self) -> Result<Vec<PolicyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM escalation_policies ORDER BY name"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(PolicyRecord::from_row).collect()
    }

    /// The policy with this id or, failing that, this name.
    pub async fn policy(&self, id_or_name: &str) -> Result<Option<PolicyRecord>> {
        let row = self
            .by_id_or_name("escalation_policies", POLICY_COLUMNS, id_or_name)
            .await?;
        row.as_ref().map(PolicyRecord::from_row).transpose()
    }

    /// Creates or replaces a policy (by id); answers false (and writes nothing) when another
    /// policy has the name.
    pub async fn put_policy(&self, p: &PolicyRecord, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let taken = sqlx::query("SELECT id FROM escalation_policies WHERE name = $1 AND id <> $2")
            .bind(&p.name)
            .bind(&p.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(false);
        }
        let steps = serde_json::to_string(p.policy.steps()).expect("steps serialise");
        sqlx::query(&format!(
            "INSERT INTO escalation_policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             description = excluded.description, team_id = excluded.team_id, \
             steps = excluded.steps, repeats = excluded.repeats, updated_at = excluded.updated_at"
        ))
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.team_id.as_deref())
        .bind(steps)
        .bind(i64::from(p.policy.repeat()))
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a policy and its bindings; answers whether it existed. Its open pages stop
    /// escalating (their steps find no policy) and stay open until acknowledged or resolved.
    pub async fn delete_policy(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM escalation_policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for table in ["policy_bindings", "escalation_cursors"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE policy_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every binding, or those of one policy.
    pub async fn bindings(&self, policy_id: Option<&str>) -> Result<Vec<BindingRecord>> {
        let rows = match policy_id {
            Some(id) => {
                sqlx::query(
                    "SELECT kind, target, policy_id, created_at FROM policy_bindings \
                     WHERE policy_id = $1 ORDER BY kind, target",
                )
                .bind(id)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT kind, target, policy_id, created_at FROM policy_bindings \
                     ORDER BY kind, target",
                )
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(BindingRecord {
                    kind: BindingKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("binding kind {kind:?}")))?,
                    target: r.try_get("target")?,
                    policy_id: r.try_get("policy_id")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Binds a receiver or an integration to a policy, replacing its binding to another.
    pub async fn bind_policy(&self, b: &BindingRecord, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO policy_bindings (kind, target, policy_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (kind, target) DO UPDATE SET \
             policy_id = excluded.policy_id, created_at = excluded.created_at",
        )
        .bind(b.kind.as_str())
        .bind(&b.target)
        .bind(&b.policy_id)
        .bind(b.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a binding of a policy; answers whether it existed.
    pub async fn unbind_policy(
        &self,
        policy_id: &str,
        kind: BindingKind,
        target: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query(
                "DELETE FROM policy_bindings WHERE policy_id = $1 AND kind = $2 AND target = $3",
            )
            .bind(policy_id)
            .bind(kind.as_str())
            .bind(target),
            audit,
        )
        .await
    }

    /// The newest pages, newest first; only those in `status` when given.
    pub async fn pages(&self, status: Option<PageStatus>, limit: i64) -> Result<Vec<PageRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {PAGE_COLUMNS} FROM pages WHERE state = $1 \
                     ORDER BY created_at DESC, id LIMIT $2"
                ))
                .bind(s.as_str())
                .bind(limit)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {PAGE_COLUMNS} FROM pages ORDER BY created_at DESC, id LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(PageRecord::from_row).collect()
    }

    pub async fn page(&self, id: &str) -> Result<Option<PageRecord>> {
        let row = sqlx::query(&format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(PageRecord::from_row).transpose()
    }

    /// The messages to one receiver (`page:<id>`, or `user:<id>` for test messages), by due
    /// time.
    pub async fn notices(&self, receiver: &str) -> Result<Vec<PageNotice>> {
        let rows = sqlx::query(
            "SELECT id, idempotency_key, kind, payload, state, due_at, attempts, delivered_at, \
             last_error FROM outbox WHERE receiver = $1 ORDER BY due_at, id",
        )
        .bind(receiver)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PageNotice {
                    id: r.try_get("id")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    state: r.try_get("state")?,
                    due_at: r.try_get("due_at")?,
                    attempts: r.try_get("attempts")?,
                    delivered_at: r.try_get("delivered_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    /// The earliest escalation timer, if any.
    pub async fn next_page_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(next_at) FROM pages WHERE next_at IS NOT NULL")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// An action token by its hash, used or not.
    pub async fn page_action(&self, token_hash: &str) -> Result<Option<ActionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM page_actions WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(ActionRecord::from_row).transpose()
    }

    /// Every heartbeat monitor, by name.
    pub async fn heartbeats(&self) -> Result<Vec<HeartbeatRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {HEARTBEAT_COLUMNS} FROM heartbeats ORDER BY name"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(HeartbeatRecord::from_row).collect()
    }

    /// The heartbeat with this id or, failing that, this name.
    pub async fn heartbeat(&self, id_or_name: &str) -> Result<Option<HeartbeatRecord>> {
        let row = self
            .by_id_or_name("heartbeats", HEARTBEAT_COLUMNS, id_or_name)
            .await?;
        row.as_ref().map(HeartbeatRecord::from_row).transpose()
    }

    /// Creates a heartbeat; answers false (and writes nothing) when the name is taken.
    pub async fn create_heartbeat(&self, h: &HeartbeatRecord, audit: &AuditEntry) -> Result<bool> {
        self.change_audited(
            sqlx::query(&format!(
                "INSERT INTO heartbeats ({HEARTBEAT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                 $8, $9, $10) ON CONFLICT (name) DO NOTHING"
            ))
            .bind(&h.id)
            .bind(&h.name)
            .bind(&h.token_hash)
            .bind(h.period_ms)
            .bind(h.grace_ms)
            .bind(crate::codec::labels_to_json(&h.labels))
            .bind(h.created_at)
            .bind(h.last_beat_at)
            .bind(h.due_at)
            .bind(h.missing_since),
            audit,
        )
        .await
    }

    /// Removes a heartbeat; answers whether it existed.
    pub async fn delete_heartbeat(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        self.change_audited(
            sqlx::query("DELETE FROM heartbeats WHERE id = $1").bind(id),
            audit,
        )
        .await
    }

    /// Up to `limit` heartbeats whose beat is overdue at `now`, the longest overdue first.
    pub async fn overdue_heartbeats(&self, now: i64, limit: i64) -> Result<Vec<HeartbeatRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {HEARTBEAT_COLUMNS} FROM heartbeats WHERE due_at IS NOT NULL AND due_at <= $1 \
             ORDER BY due_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(HeartbeatRecord::from_row).collect()
    }

    /// The earliest heartbeat timer, if any.
    pub async fn next_heartbeat_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(due_at) FROM heartbeats WHERE due_at IS NOT NULL")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }
}

impl Store {
    /// The row of `table` whose id is `id_or_name` or, failing that, whose name is.
    pub(crate) async fn by_id_or_name(
        &self,
        table: &str,
        columns: &str,
        id_or_name: &str,
    ) -> Result<Option<AnyRow>> {
        Ok(sqlx::query(&format!(
            "SELECT {columns} FROM {table} WHERE id = $1 OR name = $2 \
             ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END LIMIT 1"
        ))
        .bind(id_or_name)
        .bind(id_or_name)
        .bind(id_or_name)
        .fetch_optional(&self.read)
        .await?)
    }
}

fn rule_from_row(r: &AnyRow) -> Result<NotificationRuleRecord> {
    Ok(NotificationRuleRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        contact_method_id: r.try_get("contact_method_id")?,
        delay_minutes: r.try_get::<i64, _>("delay_minutes")? as u32,
        created_at: r.try_get("created_at")?,
    })
}
