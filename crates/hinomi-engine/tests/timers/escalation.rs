//! Whole escalations on a simulated clock: a group bound to a policy opens a page whose
//! first step fires at once, later steps and rounds follow on their timers, an
//! acknowledgement stops it and cancels the messages not yet sent, resolved alerts resolve
//! it, a step that reaches nobody is skipped and said, and the timer outlives a restart.
//! [`Engine::escalate_now`] runs the timers due at the manual clock's `now`.

use hinomi_core::ContactKind;
use hinomi_core::escalation::{PageStatus, Policy, Step, Target, TeamMode};
use hinomi_engine::{EngineError, PageActor, PageCommand};
use hinomi_store::{
    AuditEntry, BindingKind, BindingRecord, CodeCheck, ContactMethodRecord, IntegrationRecord,
    NotificationRuleRecord, PageNotice, PageRecord, PolicyRecord, UserRecord,
};
use serde_json::Value;

use super::*;

/// Every group goes to `oncall`, which has no webhook: only its policy pages. Alerts fire
/// for a day unless they say otherwise.
pub(super) const PAGING: &str = "\
global:
  resolve_timeout: 24h
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: oncall
  - name: other
";

pub(super) fn audit(at: i64) -> AuditEntry {
    AuditEntry {
        id: 0,
        at,
        actor_kind: "system".into(),
        actor_id: "test".into(),
        actor_name: "test".into(),
        action: "test".into(),
        target: String::new(),
        detail: "{}".into(),
        source: "test".into(),
    }
}

pub(super) fn step(minutes: i64, targets: Vec<Target>) -> Step {
    Step {
        delay_ms: minutes * MIN,
        targets,
    }
}

pub(super) fn user(id: &str) -> Target {
    Target::User { id: id.into() }
}

fn named(name: &str) -> Alert {
    alert(&[("alertname", name)], 0, 0)
}

impl Rig {
    /// A user with verified contact methods, one notification rule each: (kind, address,
    /// delay in minutes). Answers the user's id.
    pub(super) async fn person(&self, name: &str, rules: &[(ContactKind, &str, u32)]) -> String {
        let store = self.engine.store();
        let id = format!("id-{name}");
        let record = UserRecord {
            id: id.clone(),
            username: name.into(),
            display_name: name.to_uppercase(),
            email: None,
            password_hash: None,
            role: hinomi_core::Role::Responder,
            locale: Some("en".into()),
            time_zone: None,
            oidc_subject: None,
            must_change_password: false,
            created_at: T0,
            disabled_at: None,
        };
        assert!(store.create_user(&record, &audit(T0)).await.unwrap());
        for (i, (kind, address, delay)) in rules.iter().enumerate() {
            let cm = format!("cm-{name}-{i}");
            let method = ContactMethodRecord {
                id: cm.clone(),
                user_id: id.clone(),
                kind: *kind,
                address: (*address).into(),
                label: kind.as_str().into(),
                created_at: T0,
                verified_at: Some(T0),
            };
            assert!(store.add_contact_method(&method, &audit(T0)).await.unwrap());
            let rule = NotificationRuleRecord {
                id: format!("rule-{name}-{i}"),
                user_id: id.clone(),
                contact_method_id: cm,
                delay_minutes: *delay,
                created_at: T0,
            };
            assert!(
                store
                    .add_notification_rule(&rule, &audit(T0))
                    .await
                    .unwrap()
            );
        }
        id
    }

    /// A policy bound to the receiver `oncall`; answers its id.
    pub(super) async fn policy(&self, steps: Vec<Step>, repeat: u32) -> String {
        let id = self.unbound_policy("primary", steps, repeat).await;
        self.bind(&id, BindingKind::Receiver, "oncall").await;
        id
    }

    async fn unbound_policy(&self, name: &str, steps: Vec<Step>, repeat: u32) -> String {
        let record = PolicyRecord {
            id: format!("policy-{name}"),
            name: name.into(),
            description: String::new(),
            team_id: None,
            policy: Policy::new(steps, repeat).unwrap(),
            created_at: T0,
            updated_at: T0,
        };
        assert!(
            self.engine
                .store()
                .put_policy(&record, &audit(T0))
                .await
                .unwrap()
        );
        record.id
    }

    async fn bind(&self, policy: &str, kind: BindingKind, target: &str) {
        let binding = BindingRecord {
            kind,
            target: target.into(),
            policy_id: policy.into(),
            created_at: T0,
        };
        self.engine
            .store()
            .bind_policy(&binding, &audit(T0))
            .await
            .unwrap();
    }

    /// Every page, newest first.
    async fn pages(&self) -> Vec<PageRecord> {
        self.engine.store().pages(None, 100).await.unwrap()
    }

    /// The one page there is.
    pub(super) async fn page(&self) -> PageRecord {
        let pages = self.pages().await;
        assert_eq!(pages.len(), 1, "expected one page, got {pages:#?}");
        pages.into_iter().next().unwrap()
    }

    pub(super) async fn reload(&self, page: &PageRecord) -> PageRecord {
        self.engine.store().page(&page.id).await.unwrap().unwrap()
    }

    /// The page's timeline, oldest first: (kind, actor, data).
    async fn timeline(&self, page: &PageRecord) -> Vec<(String, String, Value)> {
        let mut events = self
            .engine
            .store()
            .events_for(&[&page.id], 1000)
            .await
            .unwrap();
        events.reverse();
        events
            .into_iter()
            .map(|e| (e.kind, e.actor, serde_json::from_str(&e.data).unwrap()))
            .collect()
    }

    async fn kinds(&self, page: &PageRecord) -> Vec<String> {
        self.timeline(page)
            .await
            .into_iter()
            .map(|(k, _, _)| k)
            .collect()
    }

    async fn messages(&self, page: &PageRecord) -> Vec<PageNotice> {
        self.engine
            .store()
            .notices(&format!("page:{}", page.id))
            .await
            .unwrap()
    }

    /// Moves the clock to `at` and runs the escalation timers due; answers how many pages
    /// they moved.
    async fn tick(&mut self, at: i64) -> usize {
        self.clock.set(at);
        self.engine.escalate_now().await.expect("escalate").pages
    }
}

/// (the contact kind, who, when) of each message, by due time.
fn sent(messages: &[PageNotice]) -> Vec<(String, String, i64)> {
    messages
        .iter()
        .map(|m| {
            let envelope: Value = serde_json::from_str(&m.payload).unwrap();
            (
                m.kind.clone(),
                envelope["notice"]["recipient"].as_str().unwrap().to_owned(),
                m.due_at,
            )
        })
        .collect()
}

async fn confirm(store: &hinomi_store::Store, user: &str, code: &str) -> CodeCheck {
    let hash = hinomi_engine::verify::code_hash("cm-new", code);
    store
        .confirm_contact_code(user, "cm-new", &hash, T0 + MIN, &audit(T0))
        .await
        .unwrap()
}

fn actor(name: &str, how: &str) -> PageActor {
    PageActor {
        user_id: None,
        name: name.into(),
        how: how.into(),
    }
}

#[tokio::test]
async fn steps_fire_on_their_timers_for_every_round_then_escalation_ends() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person(
            "aya",
            &[
                (ContactKind::Email, "aya@example.com", 0),
                (ContactKind::Voice, "+819012345678", 3),
            ],
        )
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Sms, "+819011112222", 0)])
        .await;
    rig.policy(
        vec![step(5, vec![user(&aya)]), step(5, vec![user(&ben)])],
        2,
    )
    .await;

    // The commit that stores the alert opens the page and fires step 0 at once: aya's
    // email now, her voice call 3 minutes later.
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    assert_eq!(page.status, PageStatus::Triggered);
    assert_eq!(page.next_at, Some(T0 + 5 * MIN));
    assert_eq!(page.assigned_to, vec![aya.clone()]);
    let m = rig.messages(&page).await;
    assert_eq!(
        sent(&m),
        [
            ("contact:email".into(), "AYA".into(), T0),
            ("contact:voice".into(), "AYA".into(), T0 + 3 * MIN),
        ]
    );
    assert_eq!(
        m[0].idempotency_key,
        format!("page:{}|0|0|{aya}|cm-aya-0", page.id)
    );
    let envelope: Value = serde_json::from_str(&m[0].payload).unwrap();
    assert_eq!(envelope["contact"]["address"], "aya@example.com");
    assert_eq!(envelope["notice"]["kind"]["type"], "page");
    assert_eq!(envelope["notice"]["locale"], "en");
    let actions = envelope["notice"]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert!(
        actions[0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:9093/a/")
    );

    // Nothing before the step's delay; then ben, then the rounds.
    assert_eq!(rig.tick(T0 + 5 * MIN - 1).await, 0);
    assert_eq!(rig.tick(T0 + 5 * MIN).await, 1);
    let page = rig.reload(&page).await;
    assert_eq!(page.assigned_to, vec![ben.clone()]);
    for minutes in [10, 15, 20, 25] {
        assert_eq!(rig.tick(T0 + minutes * MIN).await, 1, "at +{minutes}m");
    }
    // Three rounds: aya twice a round (email, voice), ben once.
    let m = rig.messages(&page).await;
    assert_eq!(m.len(), 9);
    assert_eq!(
        sent(&m).last().unwrap(),
        &("contact:sms".to_owned(), "BEN".to_owned(), T0 + 25 * MIN)
    );
    assert!(
        m.iter()
            .any(|n| n.idempotency_key == format!("page:{}|2|1|{ben}|cm-ben-0", page.id))
    );
    // The wait after the last step of the last round ends the escalation, and says so.
    assert_eq!(rig.tick(T0 + 30 * MIN).await, 1);
    assert_eq!(rig.reload(&page).await.next_at, None);
    assert_eq!(rig.tick(T0 + 60 * MIN).await, 0);
    assert_eq!(rig.messages(&page).await.len(), 9);
    // No email server is configured here, so each of aya's emails fails when it is sent,
    // and her voice call is brought forward (`page.fell_through`).
    let timeline = rig.timeline(&page).await;
    let kinds: Vec<&str> = timeline.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "page.opened",
            "page.step",
            "page.step",
            "page.step",
            "page.fell_through",
            "page.step",
            "page.step",
            "page.fell_through",
            "page.step",
            "page.exhausted"
        ]
    );
    assert_eq!(timeline[1].2["people"][0]["username"], "aya");
    assert_eq!(timeline[1].2["people"][0]["messages"][1]["kind"], "voice");
    assert_eq!(timeline.last().unwrap().2["rounds"], 3);
}

#[tokio::test]
async fn acknowledging_stops_escalation_and_cancels_what_was_not_sent() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person(
            "aya",
            &[
                (ContactKind::Email, "aya@example.com", 0),
                (ContactKind::Voice, "+819012345678", 3),
            ],
        )
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    rig.policy(
        vec![step(5, vec![user(&aya)]), step(5, vec![user(&ben)])],
        2,
    )
    .await;
    rig.post_at(T0, named("DiskFull")).await;
    // Delivery takes what was due at once.
    rig.tick(T0).await;
    let page = rig.page().await;

    rig.clock.set(T0 + MIN);
    let acked = rig
        .engine
        .page_command(&page.id, PageCommand::Acknowledge, &actor("aya", "console"))
        .await
        .unwrap();
    assert_eq!(acked.status, PageStatus::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("aya"));
    assert_eq!(acked.acknowledged_how.as_deref(), Some("console"));
    assert_eq!(acked.next_at, None);
    let m = rig.messages(&page).await;
    assert_eq!(m[1].kind, "contact:voice");
    assert_eq!(m[1].state, "cancelled");
    assert_ne!(m[0].state, "pending", "the email due at once was sent");

    // Nothing more fires, however long nobody resolves it.
    assert_eq!(rig.tick(T0 + 5 * MIN).await, 0);
    assert_eq!(rig.tick(T0 + 60 * MIN).await, 0);
    assert_eq!(rig.messages(&page).await.len(), 2);
    let timeline = rig.timeline(&page).await;
    let (kind, who, data) = timeline.last().unwrap();
    assert_eq!((kind.as_str(), who.as_str()), ("page.acknowledged", "aya"));
    assert_eq!(data["how"], "console");
    assert_eq!(data["cancelled"], 1);
    // Acknowledging again changes nothing.
    rig.engine
        .page_command(&page.id, PageCommand::Acknowledge, &actor("ben", "api"))
        .await
        .unwrap();
    assert_eq!(rig.timeline(&page).await.len(), timeline.len());
    // Resolving closes it; a resolved page refuses any other change.
    let resolved = rig
        .engine
        .page_command(&page.id, PageCommand::Resolve, &actor("aya", "cli"))
        .await
        .unwrap();
    assert_eq!(resolved.status, PageStatus::Resolved);
    assert_eq!(resolved.resolved_how.as_deref(), Some("cli"));
    let refused = rig
        .engine
        .page_command(&page.id, PageCommand::Escalate, &actor("aya", "api"))
        .await;
    assert!(matches!(refused, Err(EngineError::PageResolved(_))));
}

#[tokio::test]
async fn a_page_resolves_when_its_alerts_have() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person(
            "aya",
            &[
                (ContactKind::Email, "aya@example.com", 0),
                (ContactKind::Voice, "+819012345678", 10),
            ],
        )
        .await;
    rig.policy(vec![step(3, vec![user(&aya)])], 3).await;
    // A resolves at +4m, B at +2m.
    rig.post_at(T0, alert(&[("alertname", "A")], T0, T0 + 4 * MIN))
        .await;
    rig.post_at(T0, alert(&[("alertname", "B")], T0, T0 + 2 * MIN))
        .await;
    let pages = rig.pages().await;
    assert_eq!(pages.len(), 2);
    let title = |p: &PageRecord| p.title.clone();
    let a = pages
        .iter()
        .find(|p| title(p).contains('A'))
        .unwrap()
        .clone();
    let b = pages
        .iter()
        .find(|p| title(p).contains('B'))
        .unwrap()
        .clone();

    // At +3m B's timer finds its alerts resolved: resolved, not escalated. A fires on.
    assert_eq!(rig.tick(T0 + 3 * MIN).await, 2);
    let b = rig.reload(&b).await;
    assert_eq!(b.status, PageStatus::Resolved);
    assert_eq!(b.resolved_by.as_deref(), Some("hinomi"));
    assert_eq!(b.resolved_how.as_deref(), Some("alerts_resolved"));
    assert_eq!(rig.messages(&b).await.len(), 2);
    assert_eq!(rig.messages(&b).await[1].state, "cancelled");
    assert_eq!(rig.reload(&a).await.status, PageStatus::Triggered);
    assert_eq!(rig.messages(&a).await.len(), 4);

    // At +5m the group's flush sees A resolved and resolves its page.
    rig.flush(T0 + 5 * MIN).await;
    let a = rig.reload(&a).await;
    assert_eq!(a.status, PageStatus::Resolved);
    assert_eq!(a.next_at, None);
    assert_eq!(rig.kinds(&a).await.last().unwrap(), "page.resolved");
    assert_eq!(rig.tick(T0 + 30 * MIN).await, 0);
}

#[tokio::test]
async fn a_step_that_reaches_nobody_is_skipped_and_said() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    // ben exists but has no way to be reached.
    let ben = rig.person("ben", &[]).await;
    rig.policy(
        vec![
            step(
                5,
                vec![
                    Target::Skill {
                        name: "oracle".into(),
                    },
                    user(&ben),
                ],
            ),
            step(5, vec![user(&aya)]),
        ],
        0,
    )
    .await;
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    // The empty step passed at once to the next.
    assert_eq!(page.position.step, 1);
    assert_eq!(page.next_at, Some(T0 + 5 * MIN));
    assert_eq!(sent(&rig.messages(&page).await).len(), 1);
    let timeline = rig.timeline(&page).await;
    let kinds: Vec<&str> = timeline.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(kinds, ["page.opened", "page.step_skipped", "page.step"]);
    let skipped = &timeline[1].2["skipped"];
    assert_eq!(skipped[0]["type"], "nobody_skilled");
    assert_eq!(skipped[0]["name"], "oracle");
    assert_eq!(skipped[1]["type"], "unreachable");
    assert_eq!(skipped[1]["username"], "ben");
    assert_eq!(skipped[1]["why"], "no_rules");
    // After the last step the policy (no repeat) ends.
    assert_eq!(rig.tick(T0 + 5 * MIN).await, 1);
    assert_eq!(rig.kinds(&page).await.last().unwrap(), "page.exhausted");
}

#[tokio::test]
async fn the_next_step_fires_on_time_after_a_restart() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    rig.policy(
        vec![step(5, vec![user(&aya)]), step(5, vec![user(&ben)])],
        0,
    )
    .await;
    rig.post_at(T0, named("DiskFull")).await;
    rig.restart().await;
    assert_eq!(rig.tick(T0 + 5 * MIN - 1).await, 0);
    assert_eq!(rig.tick(T0 + 5 * MIN).await, 1);
    let page = rig.page().await;
    assert_eq!(
        sent(&rig.messages(&page).await),
        [
            ("contact:email".into(), "AYA".into(), T0),
            ("contact:email".into(), "BEN".into(), T0 + 5 * MIN),
        ]
    );
}

#[tokio::test]
async fn a_snoozed_page_triggers_again_with_a_new_run_of_the_policy() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.policy(vec![step(5, vec![user(&aya)])], 1).await;
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    rig.clock.set(T0 + MIN);
    let snoozed = rig
        .engine
        .page_command(
            &page.id,
            PageCommand::Snooze {
                until: T0 + 30 * MIN,
            },
            &actor("aya", "console"),
        )
        .await
        .unwrap();
    assert_eq!(snoozed.status, PageStatus::Acknowledged);
    assert_eq!(snoozed.next_at, Some(T0 + 30 * MIN));
    assert_eq!(rig.tick(T0 + 29 * MIN).await, 0);
    assert_eq!(rig.tick(T0 + 30 * MIN).await, 1);
    let page = rig.reload(&page).await;
    assert_eq!(page.status, PageStatus::Triggered);
    assert_eq!((page.position.round, page.first_round), (1, 1));
    // The new run has its own two rounds: +35m, then the end at +40m.
    assert_eq!(rig.tick(T0 + 35 * MIN).await, 1);
    assert_eq!(rig.tick(T0 + 40 * MIN).await, 1);
    let keys: Vec<String> = rig
        .messages(&page)
        .await
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect();
    assert_eq!(
        keys,
        [0, 1, 2].map(|r| format!("page:{}|{r}|0|{aya}|cm-aya-0", page.id))
    );
    let kinds = rig.kinds(&page).await;
    assert_eq!(
        kinds[2..],
        [
            "page.acknowledged",
            "page.snoozed",
            "page.retriggered",
            "page.step",
            "page.step",
            "page.exhausted"
        ]
    );
}

#[tokio::test]
async fn a_link_in_a_message_acknowledges_once_as_its_recipient() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.policy(vec![step(5, vec![user(&aya)])], 0).await;
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    let envelope: Value = serde_json::from_str(&rig.messages(&page).await[0].payload).unwrap();
    let token = |kind: &str| {
        envelope["notice"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == kind)
            .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    rig.clock.set(T0 + MIN);
    let done = rig
        .engine
        .redeem_action(&token("acknowledge"), "link")
        .await
        .unwrap();
    assert_eq!(done.by, "aya");
    assert_eq!(done.page.status, PageStatus::Acknowledged);
    assert_eq!(done.page.acknowledged_how.as_deref(), Some("link"));
    assert!(matches!(
        rig.engine
            .redeem_action(&token("acknowledge"), "link")
            .await,
        Err(EngineError::ActionInvalid)
    ));
    assert!(matches!(
        rig.engine.redeem_action("no-such-token", "link").await,
        Err(EngineError::ActionInvalid)
    ));
    let done = rig
        .engine
        .redeem_action(&token("resolve"), "slack")
        .await
        .unwrap();
    assert_eq!(done.page.status, PageStatus::Resolved);
    assert_eq!(done.page.resolved_by.as_deref(), Some("aya"));
    // Past its expiry a token does nothing.
    rig.post_at(T0 + 2 * MIN, named("Other")).await;
    let other = rig.pages().await.into_iter().next().unwrap();
    let envelope: Value = serde_json::from_str(&rig.messages(&other).await[0].payload).unwrap();
    let late = envelope["notice"]["actions"][0]["token"].as_str().unwrap();
    rig.clock
        .set(T0 + 2 * MIN + hinomi_engine::escalate::ACTION_TTL_MS);
    assert!(matches!(
        rig.engine.redeem_action(late, "link").await,
        Err(EngineError::ActionInvalid)
    ));
}

#[tokio::test]
async fn escalating_and_reassigning_by_hand_page_at_once() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    let chie = rig
        .person("chie", &[(ContactKind::Email, "chie@example.com", 0)])
        .await;
    rig.policy(
        vec![step(5, vec![user(&aya)]), step(5, vec![user(&ben)])],
        0,
    )
    .await;
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    rig.clock.set(T0 + MIN);
    let p = rig
        .engine
        .page_command(&page.id, PageCommand::Escalate, &actor("aya", "console"))
        .await
        .unwrap();
    assert_eq!((p.position.step, p.next_at), (1, Some(T0 + 6 * MIN)));
    rig.clock.set(T0 + 2 * MIN);
    let p = rig
        .engine
        .page_command(
            &page.id,
            PageCommand::Reassign {
                user_id: chie.clone(),
            },
            &actor("ben", "api"),
        )
        .await
        .unwrap();
    assert_eq!(p.assigned_to, vec![chie.clone()]);
    assert_eq!(p.next_at, Some(T0 + 7 * MIN));
    assert_eq!(
        sent(&rig.messages(&page).await),
        [
            ("contact:email".into(), "AYA".into(), T0),
            ("contact:email".into(), "BEN".into(), T0 + MIN),
            ("contact:email".into(), "CHIE".into(), T0 + 2 * MIN),
        ]
    );
    let kinds = rig.kinds(&page).await;
    assert_eq!(
        kinds[2..],
        ["page.escalated", "page.step", "page.reassigned"]
    );
    // Unanswered, escalation goes on from where it was: past the last step, the end.
    assert_eq!(rig.tick(T0 + 7 * MIN).await, 1);
    assert_eq!(rig.kinds(&page).await.last().unwrap(), "page.exhausted");
    let nobody = rig
        .engine
        .page_command(
            &page.id,
            PageCommand::Reassign {
                user_id: "nobody".into(),
            },
            &actor("ben", "api"),
        )
        .await;
    assert!(matches!(nobody, Err(EngineError::Invalid(_))));
}

#[tokio::test]
async fn a_resolved_page_is_not_opened_again_until_a_new_alert_fires() {
    let mut rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    rig.policy(vec![step(5, vec![user(&aya)])], 0).await;
    rig.post_at(T0, disk("a1")).await;
    let page = rig.page().await;
    rig.clock.set(T0 + MIN);
    rig.engine
        .page_command(&page.id, PageCommand::Resolve, &actor("aya", "console"))
        .await
        .unwrap();
    // The alert fires on, re-sent by its source; the group's flushes open no page.
    rig.post_at(T0 + 2 * MIN, disk("a1")).await;
    rig.flush(T0 + 5 * MIN).await;
    assert_eq!(rig.pages().await.len(), 1);
    // A new alert in the group opens a new page.
    rig.post_at(T0 + 6 * MIN, disk("a2")).await;
    rig.flush(T0 + 10 * MIN).await;
    let pages = rig.pages().await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].status, PageStatus::Triggered);
    assert_eq!(pages[0].alerts.len(), 2);
}

#[tokio::test]
async fn integrations_and_round_robin_teams_page_in_turn() {
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    let store = rig.engine.store();
    let team = hinomi_store::TeamRecord {
        id: "team-db".into(),
        name: "db".into(),
        description: String::new(),
        created_at: T0,
    };
    assert!(store.create_team(&team, &audit(T0)).await.unwrap());
    for u in [&aya, &ben] {
        store
            .set_team_member(
                "team-db",
                u,
                hinomi_core::TeamRole::Responder,
                T0,
                &audit(T0),
            )
            .await
            .unwrap();
    }
    store
        .create_integration(
            &IntegrationRecord {
                id: "int-1".into(),
                name: "backup-job".into(),
                kind: "generic".into(),
                key_hash: "h".into(),
                labels: LabelSet::new(),
                created_at: T0,
                revoked_at: None,
            },
            &audit(T0),
        )
        .await
        .unwrap();
    let policy = rig
        .unbound_policy(
            "db",
            vec![step(
                5,
                vec![Target::Team {
                    id: "team-db".into(),
                    mode: TeamMode::RoundRobin,
                }],
            )],
            0,
        )
        .await;
    rig.bind(&policy, BindingKind::Integration, "int-1").await;
    // Alerts of another integration page nobody; the bound one's do, in turn.
    rig.post_at(
        T0,
        alert(&[("alertname", "X"), ("integration", "other")], 0, 0),
    )
    .await;
    assert!(rig.pages().await.is_empty());
    for (i, name) in ["A", "B", "C"].iter().enumerate() {
        rig.post_at(
            T0 + i as i64,
            alert(&[("alertname", name), ("integration", "backup-job")], 0, 0),
        )
        .await;
    }
    let mut pages = rig.pages().await;
    pages.sort_by_key(|p| p.created_at);
    let assigned: Vec<String> = pages.iter().map(|p| p.assigned_to[0].clone()).collect();
    assert_eq!(assigned, [aya.clone(), ben.clone(), aya.clone()]);
}

#[tokio::test]
async fn a_test_message_carries_the_code_that_verifies_the_method() {
    let rig = Rig::start(PAGING).await;
    let aya = rig.person("aya", &[]).await;
    let store = rig.engine.store();
    let method = ContactMethodRecord {
        id: "cm-new".into(),
        user_id: aya.clone(),
        kind: ContactKind::Sms,
        address: "+819012345678".into(),
        label: "phone".into(),
        created_at: T0,
        verified_at: None,
    };
    assert!(store.add_contact_method(&method, &audit(T0)).await.unwrap());
    assert!(matches!(
        rig.engine.send_contact_test("id-other", "cm-new").await,
        Err(EngineError::NotFound(_))
    ));
    rig.engine.send_contact_test(&aya, "cm-new").await.unwrap();
    let sent = store.notices(&format!("user:{aya}")).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "contact:sms");
    let envelope: Value = serde_json::from_str(&sent[0].payload).unwrap();
    assert_eq!(envelope["contact"]["address"], "+819012345678");
    let code = envelope["notice"]["kind"]["code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        confirm(store, &aya, wrong).await,
        CodeCheck::Wrong { attempts_left: 4 }
    );
    assert_eq!(confirm(store, &aya, code).await, CodeCheck::Verified);
    assert!(
        store
            .contact_method("cm-new")
            .await
            .unwrap()
            .unwrap()
            .verified_at
            .is_some()
    );
    // A code works once.
    assert_eq!(confirm(store, &aya, code).await, CodeCheck::NoCode);
}

#[tokio::test]
async fn a_schedule_step_pages_whoever_is_on_call_then() {
    use hinomi_core::oncall::{LayerDef, ScheduleDef, ShiftLengthDef};
    let rig = Rig::start(PAGING).await;
    let aya = rig
        .person("aya", &[(ContactKind::Email, "aya@example.com", 0)])
        .await;
    let ben = rig
        .person("ben", &[(ContactKind::Email, "ben@example.com", 0)])
        .await;
    // Weekly from Monday 2025-12-29 10:00 in Tokyo: aya's week holds T0 (Thursday 09:00).
    let schedule = hinomi_store::ScheduleRecord {
        id: "sched-primary".into(),
        name: "primary".into(),
        description: String::new(),
        team_id: None,
        definition: ScheduleDef {
            time_zone: "Asia/Tokyo".into(),
            layers: vec![LayerDef {
                name: "weekly".into(),
                participants: vec![aya.clone(), ben.clone()],
                shift_length: ShiftLengthDef {
                    unit: "weeks".into(),
                    count: 1,
                },
                start: "2025-12-29T10:00:00+09:00".into(),
                handoff: "10:00".into(),
                restriction: None,
            }],
        },
        created_at: T0,
        updated_at: T0,
    };
    assert_eq!(
        rig.engine
            .store()
            .create_schedule(&schedule, &audit(T0))
            .await
            .unwrap(),
        hinomi_store::ScheduleWrite::Done
    );
    rig.policy(
        vec![step(
            5,
            vec![
                Target::Schedule {
                    id: "sched-primary".into(),
                },
                Target::Schedule { id: "gone".into() },
            ],
        )],
        0,
    )
    .await;
    rig.post_at(T0, named("DiskFull")).await;
    let page = rig.page().await;
    assert_eq!(page.assigned_to, vec![aya]);
    let timeline = rig.timeline(&page).await;
    let step = &timeline[1].2;
    assert_eq!(step["people"][0]["via"]["type"], "schedule");
    assert_eq!(step["people"][0]["via"]["layer"], "weekly");
    assert_eq!(step["skipped"][0]["type"], "unknown_schedule");
}
