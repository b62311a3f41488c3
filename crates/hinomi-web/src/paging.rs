//! Paging as people change it, one function each, shared by the REST API (`api_v1`) and the
//! console so both follow the same rules: answering pages, one's own contact methods,
//! notification rules and backup, people's skills, escalation policies and what they are
//! bound to. Each checks the caller's [`Action`], validates what it is given (naming the
//! field), and commits the change with its audit entry or, for pages, its event.

use hinomi_core::escalation::{
    MAX_RULE_DELAY_MINUTES, MAX_RULES, Policy, ShiftNotices, Step, Target, TeamMode,
};
use hinomi_core::{Action, ContactKind};
use hinomi_engine::{EngineError, PageActor, PageCommand};
use hinomi_store::{
    BindingKind, BindingRecord, CodeCheck, ContactMethodRecord, HeartbeatRecord,
    NotificationRuleRecord, PageRecord, PolicyRecord, StoreError, UserRecord,
};

use crate::AppState;
use crate::auth::{self, Principal};
use crate::error::ApiError;

/// Why a paging change was refused.
#[derive(Debug, thiserror::Error)]
pub enum PagingError {
    /// The caller may not perform the action (the principal's own answer).
    #[error("{0}")]
    Denied(ApiError),
    /// What was not found: `page x`, `policy y`.
    #[error("{0} not found")]
    NotFound(String),
    /// A field has a value the rules refuse; the message names the field.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The change contradicts the current state (a name taken, a resolved page).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(EngineError),
}

impl From<EngineError> for PagingError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(what) => PagingError::NotFound(what),
            EngineError::PageResolved(m) => PagingError::Conflict(m),
            EngineError::Invalid(m) => {
                let field = m.split_once(':').map_or("body", |(f, _)| f);
                let field = ["user", "until"]
                    .into_iter()
                    .find(|known| *known == field)
                    .unwrap_or("body");
                PagingError::Invalid { field, message: m }
            }
            EngineError::Store(e) => PagingError::Store(e),
            e => PagingError::Engine(e),
        }
    }
}

impl From<PagingError> for ApiError {
    fn from(e: PagingError) -> ApiError {
        match e {
            PagingError::Denied(e) => e,
            PagingError::NotFound(what) => ApiError::not_found(what),
            PagingError::Invalid { field, message } => {
                ApiError::bad_request("invalid_field", field, message)
            }
            PagingError::Conflict(m) => ApiError::conflict("conflict", m),
            PagingError::Store(e) => e.into(),
            PagingError::Engine(e) => ApiError::internal(e),
        }
    }
}

type Result<T> = std::result::Result<T, PagingError>;

fn invalid(field: &'static str, message: impl Into<String>) -> PagingError {
    PagingError::Invalid {
        field,
        message: message.into(),
    }
}

fn require(principal: &Principal, action: Action) -> Result<()> {
    principal.require(action).map_err(PagingError::Denied)
}

/// The person behind the principal, for what one does for oneself.
fn me(principal: &Principal) -> Result<&UserRecord> {
    require(principal, Action::ManageSelf)?;
    principal
        .user
        .as_deref()
        .ok_or_else(|| PagingError::Denied(ApiError::forbidden(Action::ManageSelf)))
}

// ---- pages -------------------------------------------------------------------------------

/// A page the caller may read.
pub async fn page(principal: &Principal, state: &AppState, id: &str) -> Result<PageRecord> {
    require(principal, Action::Read)?;
    state
        .engine
        .store()
        .page(id)
        .await?
        .ok_or_else(|| PagingError::NotFound(format!("page {id}")))
}

/// Whether the caller may answer the page: responders may answer any page; anyone may
/// answer a page that is with them.
pub async fn may_answer(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    let Err(denied) = principal.require(Action::RespondToPages) else {
        return Ok(());
    };
    let mine = match (&principal.user, principal.require(Action::Read)) {
        (Some(user), Ok(())) => state
            .engine
            .store()
            .page(id)
            .await?
            .is_some_and(|p| p.assigned_to.contains(&user.id)),
        _ => false,
    };
    if mine {
        Ok(())
    } else {
        Err(PagingError::Denied(denied))
    }
}

/// Carries out `cmd` on a page, recorded as done by the caller through `how` (`api`,
/// `console`), if the caller may answer it ([`may_answer`]).
pub async fn page_command(
    principal: &Principal,
    state: &AppState,
    id: &str,
    cmd: PageCommand,
    how: &str,
) -> Result<PageRecord> {
    may_answer(principal, state, id).await?;
    let (_, user_id, _) = principal.actor_parts();
    let actor = PageActor {
        user_id: principal.user.as_ref().map(|_| user_id),
        name: principal
            .user
            .as_ref()
            .map_or_else(|| principal.actor_parts().2, |u| u.username.clone()),
        how: how.to_owned(),
    };
    Ok(state.engine.page_command(id, cmd, &actor).await?)
}

/// A snooze's length as a duration (`30m`, `2h`), into its end.
pub fn snooze_until(state: &AppState, duration: &str) -> Result<i64> {
    let ms = hinomi_core::parse_duration(duration.trim())
        .ok()
        .filter(|ms| (60_000..=7 * 24 * 3_600_000).contains(ms))
        .ok_or_else(|| {
            invalid(
                "duration",
                format!("duration: {duration:?} is not between 1m and 7d (such as 30m or 2h)"),
            )
        })?;
    Ok(state.engine.now() + ms)
}

/// The user a page is reassigned to, by username or id.
pub async fn reassign_target(state: &AppState, user: &str) -> Result<String> {
    let store = state.engine.store();
    let found = match store.user_by_username(user.trim()).await? {
        Some(u) => Some(u),
        None => store.user_by_id(user.trim()).await?,
    };
    found
        .filter(|u| u.disabled_at.is_none())
        .map(|u| u.id)
        .ok_or_else(|| invalid("user", format!("user: no enabled user {user:?}")))
}

// ---- contact methods, rules, backup ------------------------------------------------------

/// Longest label of a contact method.
const MAX_LABEL: usize = 100;

/// Adds a contact method for the caller; it is paged only once verified.
pub async fn add_contact_method(
    principal: &Principal,
    state: &AppState,
    kind: &str,
    address: &str,
    label: &str,
) -> Result<ContactMethodRecord> {
    let user = me(principal)?;
    let kind = ContactKind::parse(kind.trim()).ok_or_else(|| {
        let names: Vec<&str> = ContactKind::ALL.iter().map(|k| k.as_str()).collect();
        invalid(
            "kind",
            format!("kind: {kind:?} is none of {}", names.join(", ")),
        )
    })?;
    let address = hinomi_core::contact::parse_address(kind, address)
        .map_err(|e| invalid("address", format!("address: {e}")))?;
    let label = label.trim();
    if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
        return Err(invalid(
            "label",
            format!("label: at most {MAX_LABEL} characters, no control characters"),
        ));
    }
    let now = state.engine.now();
    let method = ContactMethodRecord {
        id: auth::random_hex(12),
        user_id: user.id.clone(),
        kind,
        label: if label.is_empty() {
            kind.as_str().to_owned()
        } else {
            label.to_owned()
        },
        address,
        created_at: now,
        verified_at: None,
    };
    let audit = principal.audit(
        now,
        "contact_method.created",
        &method.id,
        serde_json::json!({ "kind": kind.as_str(), "label": method.label }),
    );
    if !state
        .engine
        .store()
        .add_contact_method(&method, &audit)
        .await?
    {
        return Err(PagingError::Conflict(format!(
            "you have a {} contact method with that address already",
            kind.as_str()
        )));
    }
    Ok(method)
}

/// One of the caller's contact methods.
async fn my_method(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<ContactMethodRecord> {
    let user = me(principal)?;
    state
        .engine
        .store()
        .contact_method(id)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(|| PagingError::NotFound(format!("contact method {id}")))
}

/// Removes one of the caller's contact methods and the rules that use it.
pub async fn delete_contact_method(
    principal: &Principal,
    state: &AppState,
    id: &str,
) -> Result<()> {
    let method = my_method(principal, state, id).await?;
    let audit = principal.audit(
        state.engine.now(),
        "contact_method.deleted",
        id,
        serde_json::json!({ "kind": method.kind.as_str(), "label": method.label }),
    );
    if !state
        .engine
        .store()
        .delete_contact_method(&method.user_id, id, &audit)
        .await?
    {
        return Err(PagingError::NotFound(format!("contact method {id}")));
    }
    Ok(())
}

/// Sends a test message with a new code to one of the caller's contact methods.
pub async fn test_contact_method(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    let method = my_method(principal, state, id).await?;
    state
        .engine
        .send_contact_test(&method.user_id, &method.id)
        .await?;
    Ok(())
}

/// Confirms the code of the last test message; the method is verified when it matches.
pub async fn verify_contact_method(
    principal: &Principal,
    state: &AppState,
    id: &str,
    code: &str,
) -> Result<ContactMethodRecord> {
    let method = my_method(principal, state, id).await?;
    let now = state.engine.now();
    let audit = principal.audit(
        now,
        "contact_method.verified",
        id,
        serde_json::json!({ "kind": method.kind.as_str(), "label": method.label }),
    );
    let hash = hinomi_engine::verify::code_hash(id, code);
    let store = state.engine.store();
    match store
        .confirm_contact_code(&method.user_id, id, &hash, now, &audit)
        .await?
    {
        CodeCheck::Verified => store
            .contact_method(id)
            .await?
            .ok_or_else(|| PagingError::NotFound(format!("contact method {id}"))),
        CodeCheck::Wrong { attempts_left } => Err(invalid(
            "code",
            format!("code: wrong code; {attempts_left} attempts left"),
        )),
        CodeCheck::NoCode => Err(invalid(
            "code",
            "code: no code is waiting; send a test message first",
        )),
    }
}

/// Adds a notification rule: use `contact_method` `delay_minutes` after a page.
pub async fn add_rule(
    principal: &Principal,
    state: &AppState,
    contact_method: &str,
    delay_minutes: i64,
) -> Result<NotificationRuleRecord> {
    let method = my_method(principal, state, contact_method)
        .await
        .map_err(|e| match e {
            PagingError::NotFound(m) => {
                invalid("contact_method", format!("contact_method: {m} not found"))
            }
            e => e,
        })?;
    if !(0..=i64::from(MAX_RULE_DELAY_MINUTES)).contains(&delay_minutes) {
        return Err(invalid(
            "delay_minutes",
            format!("delay_minutes: between 0 and {MAX_RULE_DELAY_MINUTES}"),
        ));
    }
    let store = state.engine.store();
    if store.notification_rules(&method.user_id).await?.len() >= MAX_RULES {
        return Err(PagingError::Conflict(format!(
            "you have {MAX_RULES} notification rules, the most there may be"
        )));
    }
    let now = state.engine.now();
    let rule = NotificationRuleRecord {
        id: auth::random_hex(12),
        user_id: method.user_id.clone(),
        contact_method_id: method.id.clone(),
        delay_minutes: delay_minutes as u32,
        created_at: now,
    };
    let audit = principal.audit(
        now,
        "notification_rule.created",
        &rule.id,
        serde_json::json!({ "contact_method": method.id, "delay_minutes": delay_minutes }),
    );
    if !store.add_notification_rule(&rule, &audit).await? {
        return Err(PagingError::NotFound(format!(
            "contact method {contact_method}"
        )));
    }
    Ok(rule)
}

/// Removes one of the caller's notification rules.
pub async fn delete_rule(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    let user = me(principal)?;
    let audit = principal.audit(
        state.engine.now(),
        "notification_rule.deleted",
        id,
        serde_json::json!({}),
    );
    if !state
        .engine
        .store()
        .delete_notification_rule(&user.id, id, &audit)
        .await?
    {
        return Err(PagingError::NotFound(format!("notification rule {id}")));
    }
    Ok(())
}

/// Names the caller's backup responder (by username), or none.
pub async fn set_backup(
    principal: &Principal,
    state: &AppState,
    username: Option<&str>,
) -> Result<Option<UserRecord>> {
    let user = me(principal)?;
    let store = state.engine.store();
    let backup = match username.map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(name) => {
            let b = store
                .user_by_username(name)
                .await?
                .filter(|b| b.disabled_at.is_none())
                .ok_or_else(|| invalid("user", format!("user: no enabled user {name:?}")))?;
            if b.id == user.id {
                return Err(invalid("user", "user: you cannot be your own backup"));
            }
            Some(b)
        }
    };
    let audit = principal.audit(
        state.engine.now(),
        "backup.set",
        &user.username,
        serde_json::json!({ "backup": backup.as_ref().map(|b| b.username.as_str()) }),
    );
    store
        .set_backup(&user.id, backup.as_ref().map(|b| b.id.as_str()), &audit)
        .await?;
    Ok(backup)
}

/// Records which shift start and end notices the caller wants (`both`, `start`, `never`).
pub async fn set_shift_notices(
    principal: &Principal,
    state: &AppState,
    notify: &str,
) -> Result<ShiftNotices> {
    let user = me(principal)?;
    let notify = ShiftNotices::parse(notify.trim()).ok_or_else(|| {
        invalid(
            "notify",
            format!("notify: {notify:?} is not one of both, start, never"),
        )
    })?;
    let audit = principal.audit(
        state.engine.now(),
        "shift_notices.set",
        &user.username,
        serde_json::json!({ "notify": notify.as_str() }),
    );
    state
        .engine
        .store()
        .set_shift_notices(&user.id, notify, &audit)
        .await?;
    Ok(notify)
}

/// The caller's backup responder, if they named one who still exists.
pub async fn backup_of(state: &AppState, user_id: &str) -> Result<Option<UserRecord>> {
    let store = state.engine.store();
    Ok(match store.backup(user_id).await? {
        Some(id) => store.user_by_id(&id).await?,
        None => None,
    })
}

// ---- skills ------------------------------------------------------------------------------

/// Replaces a user's skills (the skill matrix): lower-case words of letters, digits, `-`,
/// `_` and `.`.
pub async fn set_skills(
    principal: &Principal,
    state: &AppState,
    user: &str,
    skills: &[String],
) -> Result<Vec<String>> {
    require(principal, Action::ManageUsers)?;
    let record = crate::people::user_record(state, user)
        .await
        .map_err(|_| PagingError::NotFound(format!("user {user}")))?;
    let mut clean = Vec::new();
    for s in skills {
        let s = s.trim().to_lowercase();
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(invalid(
                "skills",
                format!("skills: {s:?} is not a skill name (letters, digits, '-', '_', '.')"),
            ));
        }
        if !clean.contains(&s) {
            clean.push(s);
        }
    }
    clean.sort();
    let audit = principal.audit(
        state.engine.now(),
        "user.skills_set",
        &record.username,
        serde_json::json!({ "skills": clean }),
    );
    state
        .engine
        .store()
        .set_skills(&record.id, &clean, &audit)
        .await?;
    Ok(clean)
}

// ---- escalation policies -----------------------------------------------------------------

/// A target as people name it: a user by username, a schedule or team by name (or id), a
/// skill by name; teams are paged all together or one member in turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetInput {
    /// `user`, `schedule`, `team` or `skill`.
    pub kind: String,
    pub name: String,
    /// For teams: `all` (default) or `round_robin`.
    pub mode: Option<String>,
}

/// A step as people write it: a delay (`5m`) and its targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepInput {
    pub delay: String,
    pub targets: Vec<TargetInput>,
}

/// A policy as people write it.
#[derive(Clone, Debug, Default)]
pub struct PolicyInput {
    pub name: String,
    pub description: String,
    /// A team's name or id.
    pub team: Option<String>,
    pub repeat: u32,
    pub steps: Vec<StepInput>,
}

/// A policy's target as people read it: its kind, the name it has now, and for teams the
/// mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetView {
    pub kind: &'static str,
    pub id: String,
    /// The name the target has now; the id when it no longer exists.
    pub name: String,
    pub mode: Option<&'static str>,
}

/// Turns written targets into stored ones: every name must name something that exists.
async fn resolve_target(state: &AppState, step: usize, t: &TargetInput) -> Result<Target> {
    let store = state.engine.store();
    let name = t.name.trim();
    let missing = |what: &str| invalid("steps", format!("steps[{step}]: no {what} named {name:?}"));
    match t.kind.trim() {
        "user" => {
            let u = crate::people::user_record(state, name)
                .await
                .map_err(|_| missing("user"))?;
            Ok(Target::User { id: u.id })
        }
        "schedule" => {
            let s = store
                .schedule(name)
                .await?
                .ok_or_else(|| missing("schedule"))?;
            Ok(Target::Schedule { id: s.record.id })
        }
        "team" => {
            let team = store.team(name).await?.ok_or_else(|| missing("team"))?;
            let mode = match t.mode.as_deref().map(str::trim) {
                None | Some("") => TeamMode::All,
                Some(m) => TeamMode::parse(m).ok_or_else(|| {
                    invalid(
                        "steps",
                        format!("steps[{step}]: team mode {m:?} is neither all nor round_robin"),
                    )
                })?,
            };
            Ok(Target::Team { id: team.id, mode })
        }
        "skill" => {
            if name.is_empty() {
                return Err(invalid(
                    "steps",
                    format!("steps[{step}]: a skill needs a name"),
                ));
            }
            Ok(Target::Skill {
                name: name.to_lowercase(),
            })
        }
        other => Err(invalid(
            "steps",
            format!("steps[{step}]: target type {other:?} is none of user, schedule, team, skill"),
        )),
    }
}

/// Creates a policy, or replaces the one named `existing` (id or name).
pub async fn save_policy(
    principal: &Principal,
    state: &AppState,
    existing: Option<&str>,
    input: PolicyInput,
) -> Result<PolicyRecord> {
    require(principal, Action::ManagePolicies)?;
    let store = state.engine.store();
    let before = match existing {
        Some(id) => Some(
            store
                .policy(id)
                .await?
                .ok_or_else(|| PagingError::NotFound(format!("policy {id}")))?,
        ),
        None => None,
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "name: 1 to 100 characters, no control characters",
        ));
    }
    let team_id = match input
        .team
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => Some(
            store
                .team(t)
                .await?
                .ok_or_else(|| invalid("team", format!("team: no team named {t:?}")))?
                .id,
        ),
        None => None,
    };
    let mut steps = Vec::with_capacity(input.steps.len());
    for (i, s) in input.steps.iter().enumerate() {
        let delay_ms = hinomi_core::parse_duration(s.delay.trim()).map_err(|_| {
            invalid(
                "steps",
                format!(
                    "steps[{i}]: delay {:?} is not a duration such as 5m",
                    s.delay
                ),
            )
        })?;
        let mut targets = Vec::with_capacity(s.targets.len());
        for t in &s.targets {
            targets.push(resolve_target(state, i, t).await?);
        }
        steps.push(Step { delay_ms, targets });
    }
    let policy = Policy::new(steps, input.repeat).map_err(|e| {
        let field = if matches!(e, hinomi_core::escalation::PolicyError::Repeat) {
            "repeat"
        } else {
            "steps"
        };
        invalid(field, format!("{field}: {e}"))
    })?;
    let now = state.engine.now();
    let record = PolicyRecord {
        id: before
            .as_ref()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |b| b.id.clone()),
        name: name.to_owned(),
        description: input.description.trim().to_owned(),
        team_id,
        policy,
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    let action = if before.is_some() {
        "policy.updated"
    } else {
        "policy.created"
    };
    let audit = principal.audit(
        now,
        action,
        &record.id,
        serde_json::json!({
            "name": record.name,
            "steps": record.policy.steps().len(),
            "repeat": record.policy.repeat(),
        }),
    );
    if !store.put_policy(&record, &audit).await? {
        return Err(PagingError::Conflict(format!(
            "a policy named {name:?} exists already"
        )));
    }
    Ok(record)
}

/// A policy by id or name.
pub async fn policy(principal: &Principal, state: &AppState, id: &str) -> Result<PolicyRecord> {
    require(principal, Action::Read)?;
    state
        .engine
        .store()
        .policy(id)
        .await?
        .ok_or_else(|| PagingError::NotFound(format!("policy {id}")))
}

/// Deletes a policy and its bindings.
pub async fn delete_policy(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    require(principal, Action::ManagePolicies)?;
    let p = policy(principal, state, id).await?;
    let audit = principal.audit(
        state.engine.now(),
        "policy.deleted",
        &p.id,
        serde_json::json!({ "name": p.name }),
    );
    if !state.engine.store().delete_policy(&p.id, &audit).await? {
        return Err(PagingError::NotFound(format!("policy {id}")));
    }
    Ok(())
}

/// Parses a binding kind named in `field`.
fn binding_kind(text: &str) -> Result<BindingKind> {
    BindingKind::parse(text.trim()).ok_or_else(|| {
        invalid(
            "kind",
            format!("kind: {text:?} is neither receiver nor integration"),
        )
    })
}

/// What a binding's target is stored as: a receiver of the configuration in force by
/// name, an integration by its id (named by name).
async fn binding_target(state: &AppState, kind: BindingKind, target: &str) -> Result<String> {
    let target = target.trim();
    match kind {
        BindingKind::Receiver => {
            if !state
                .engine
                .config()
                .receivers
                .iter()
                .any(|r| r.name == target)
            {
                return Err(invalid(
                    "target",
                    format!("target: the configuration has no receiver named {target:?}"),
                ));
            }
            Ok(target.to_owned())
        }
        BindingKind::Integration => state
            .engine
            .store()
            .integrations()
            .await?
            .into_iter()
            .find(|i| i.name == target && i.revoked_at.is_none())
            .map(|i| i.id)
            .ok_or_else(|| {
                invalid(
                    "target",
                    format!("target: no live integration named {target:?}"),
                )
            }),
    }
}

/// Binds a receiver's groups or an integration's alerts to a policy (replacing a binding
/// to another policy).
pub async fn bind(
    principal: &Principal,
    state: &AppState,
    policy_id: &str,
    kind: &str,
    target: &str,
) -> Result<BindingRecord> {
    require(principal, Action::ManagePolicies)?;
    let p = policy(principal, state, policy_id).await?;
    let kind = binding_kind(kind)?;
    let stored = binding_target(state, kind, target).await?;
    let now = state.engine.now();
    let binding = BindingRecord {
        kind,
        target: stored,
        policy_id: p.id.clone(),
        created_at: now,
    };
    let audit = principal.audit(
        now,
        "policy.bound",
        &p.id,
        serde_json::json!({ "kind": kind.as_str(), "target": target.trim() }),
    );
    state.engine.store().bind_policy(&binding, &audit).await?;
    Ok(binding)
}

/// Removes a binding of a policy; the target is named as for [`bind`].
pub async fn unbind(
    principal: &Principal,
    state: &AppState,
    policy_id: &str,
    kind: &str,
    target: &str,
) -> Result<()> {
    require(principal, Action::ManagePolicies)?;
    let p = policy(principal, state, policy_id).await?;
    let kind = binding_kind(kind)?;
    let stored = match kind {
        BindingKind::Receiver => target.trim().to_owned(),
        BindingKind::Integration => state
            .engine
            .store()
            .integrations()
            .await?
            .into_iter()
            .find(|i| i.name == target.trim() || i.id == target.trim())
            .map_or_else(|| target.trim().to_owned(), |i| i.id),
    };
    let audit = principal.audit(
        state.engine.now(),
        "policy.unbound",
        &p.id,
        serde_json::json!({ "kind": kind.as_str(), "target": target.trim() }),
    );
    if !state
        .engine
        .store()
        .unbind_policy(&p.id, kind, &stored, &audit)
        .await?
    {
        return Err(PagingError::NotFound(format!(
            "binding of {} {target:?} to policy {}",
            kind.as_str(),
            p.name
        )));
    }
    Ok(())
}

/// A binding's target as people name it: a receiver's name, an integration's name.
pub async fn binding_name(state: &AppState, b: &BindingRecord) -> Result<String> {
    Ok(match b.kind {
        BindingKind::Receiver => b.target.clone(),
        BindingKind::Integration => state
            .engine
            .store()
            .integrations()
            .await?
            .into_iter()
            .find(|i| i.id == b.target)
            .map_or_else(|| b.target.clone(), |i| i.name),
    })
}

/// The targets of a step with the names they have now.
pub async fn target_views(state: &AppState, targets: &[Target]) -> Result<Vec<TargetView>> {
    let store = state.engine.store();
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let (name, mode) = match t {
            Target::User { id } => (store.user_by_id(id).await?.map(|u| u.username), None),
            Target::Schedule { id } => (store.schedule(id).await?.map(|s| s.record.name), None),
            Target::Team { id, mode } => {
                (store.team(id).await?.map(|t| t.name), Some(mode.as_str()))
            }
            Target::Skill { name } => (Some(name.clone()), None),
        };
        out.push(TargetView {
            kind: t.kind(),
            id: t.reference().to_owned(),
            name: name.unwrap_or_else(|| t.reference().to_owned()),
            mode,
        });
    }
    Ok(out)
}

/// Steps as one line each, the form the console edits: `5m user:aya team:db/round_robin`.
pub async fn steps_text(state: &AppState, policy: &Policy) -> Result<String> {
    let mut lines = Vec::new();
    for s in policy.steps() {
        let mut line = hinomi_core::format_duration(s.delay_ms);
        for t in target_views(state, &s.targets).await? {
            line.push(' ');
            line.push_str(&format!("{}:{}", t.kind, t.name));
            if t.mode == Some(TeamMode::RoundRobin.as_str()) {
                line.push_str("/round_robin");
            }
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// Reads steps written one a line (see [`steps_text`]).
pub fn parse_steps_text(text: &str) -> Result<Vec<StepInput>> {
    let mut steps = Vec::new();
    for (i, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let mut words = line.split_whitespace();
        let delay = words.next().unwrap_or_default().to_owned();
        let mut targets = Vec::new();
        for word in words {
            let (kind, rest) = word.split_once(':').ok_or_else(|| {
                invalid(
                    "steps",
                    format!("steps[{i}]: {word:?} is not kind:name (user:aya, team:db)"),
                )
            })?;
            let (name, mode) = match rest.split_once('/') {
                Some((n, m)) => (n, Some(m.to_owned())),
                None => (rest, None),
            };
            targets.push(TargetInput {
                kind: kind.to_owned(),
                name: name.to_owned(),
                mode,
            });
        }
        steps.push(StepInput { delay, targets });
    }
    Ok(steps)
}

// ---- heartbeat monitors ------------------------------------------------------------------

/// The URL a job calls for the monitor whose token this is.
pub fn heartbeat_url(state: &AppState, token: &str) -> String {
    format!("{}/heartbeat/{token}", state.engine.external_url())
}

/// Creates a heartbeat monitor: a beat is expected every `period` (a duration such as
/// `24h`), with `grace` more before its alert opens. Answers the monitor and its token,
/// shown once (only its hash is kept).
pub async fn create_heartbeat(
    principal: &Principal,
    state: &AppState,
    name: &str,
    period: &str,
    grace: &str,
    labels: hinomi_core::LabelSet,
) -> Result<(HeartbeatRecord, String)> {
    use hinomi_core::heartbeat::HeartbeatError;
    require(principal, Action::ManageHeartbeats)?;
    let name = name.trim();
    let duration = |field: &'static str, text: &str| {
        hinomi_core::parse_duration(text.trim()).map_err(|_| {
            invalid(
                field,
                format!("{field}: {text:?} is not a duration such as 24h"),
            )
        })
    };
    let period_ms = duration("period", period)?;
    let grace_ms = match grace.trim() {
        "" => 0,
        g => duration("grace", g)?,
    };
    let now = state.engine.now();
    let (record, token) = hinomi_engine::heartbeat::new_monitor(
        name, period_ms, grace_ms, labels, now,
    )
    .map_err(|e| {
        let field = match e {
            HeartbeatError::Name => "name",
            HeartbeatError::Period => "period",
            HeartbeatError::Grace => "grace",
            HeartbeatError::ReservedLabel => "labels",
        };
        invalid(field, format!("{field}: {e}"))
    })?;
    let audit = principal.audit(
        now,
        "heartbeat.created",
        &record.id,
        serde_json::json!({ "name": name, "period_ms": period_ms, "grace_ms": grace_ms }),
    );
    if !state
        .engine
        .store()
        .create_heartbeat(&record, &audit)
        .await?
    {
        return Err(PagingError::Conflict(format!(
            "a heartbeat named {name:?} exists already"
        )));
    }
    Ok((record, token))
}

/// Deletes a heartbeat monitor (by id or name); its alert, if open, resolves.
pub async fn delete_heartbeat(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    require(principal, Action::ManageHeartbeats)?;
    let h = state
        .engine
        .store()
        .heartbeat(id)
        .await?
        .ok_or_else(|| PagingError::NotFound(format!("heartbeat {id}")))?;
    let audit = principal.audit(
        state.engine.now(),
        "heartbeat.deleted",
        &h.id,
        serde_json::json!({ "name": h.name }),
    );
    if !state.engine.delete_heartbeat(&h, &audit).await? {
        return Err(PagingError::NotFound(format!("heartbeat {id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_written_one_a_line() {
        let steps =
            parse_steps_text("5m user:aya schedule:primary\n\n 10m team:db/round_robin skill:pg ")
                .unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].delay, "5m");
        assert_eq!(
            steps[1].targets[0],
            TargetInput {
                kind: "team".into(),
                name: "db".into(),
                mode: Some("round_robin".into())
            }
        );
        assert!(matches!(
            parse_steps_text("5m aya"),
            Err(PagingError::Invalid { field: "steps", .. })
        ));
    }
}
