//! hinomi's engine: the alert pipeline between the HTTP edge and the database.
//!
//! [`Engine`] owns the background work (the intake writer, group flushes, escalation,
//! heartbeat monitors, delivery and housekeeping) and answers the questions the API asks
//! (which alerts, which groups, which silences). Reads come from an in-memory [`index::Index`]; every change goes through the
//! database first and reaches the index only after it committed.
#![forbid(unsafe_code)]

pub mod clock;
mod deliver;
mod dispatch;
pub mod escalate;
pub mod heartbeat;
pub mod incidents;
pub mod index;
mod query;
mod shifts;
pub mod verify;
mod writer;

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hinomi_core::{Alert, Config, Fingerprint, Silence, SilenceUpsert, plan_upsert};
use hinomi_notify::channels::{ChannelSettings, Channels};
use hinomi_notify::webhook::WebhookSender;
use hinomi_store::{AuditEntry, Backend, ClaimedDelivery, Store, StoreError, WriteTx};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;

pub use clock::{Clock, ManualClock, SystemClock};
pub use deliver::{CONTACT_PREFIX, STATUS_EMAIL, STATUS_WEBHOOK};
pub use dispatch::FlushReport;
pub use escalate::{EscalationReport, PageActor, PageCommand, Redeemed};
pub use incidents::{ReminderReport, RoleGiven, RoleInput, Told};
pub use query::{AlertQuery, AlertState, AlertView, GroupView};
pub use shifts::ShiftReport;
pub use writer::{Incoming, WriteOp, WriteOutcome};

/// How long a resolved alert stays in memory and in the database before it is collected.
const RESOLVED_RETENTION_MS: i64 = 30 * 60 * 1000;
/// How long an expired silence is kept (Alertmanager's default `--data.retention`).
const SILENCE_RETENTION_MS: i64 = 120 * 60 * 60 * 1000;

/// Errors the engine reports to its callers.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The intake queue is full: try again shortly.
    #[error("intake queue is full")]
    Overloaded,
    /// The engine is stopping or its database failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("silence {0} not found")]
    SilenceNotFound(String),
    #[error("{0}")]
    Silence(#[from] hinomi_core::SilenceError),
    /// What was not found: `page x`, `contact method y`.
    #[error("{0} not found")]
    NotFound(String),
    /// The page is resolved: nothing but resolving it again is possible.
    #[error("{0}")]
    PageResolved(String),
    /// The link or button was used already, has expired, or never existed.
    #[error("this action was used already, has expired, or does not exist")]
    ActionInvalid,
    /// A value the request gave is refused; the message starts with the field's name.
    #[error("{0}")]
    Invalid(String),
}

/// Settings the engine runs with.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// This instance's name in leases and the delivery log.
    pub instance: String,
    /// The URL hinomi is reached at, for `externalURL` in notifications.
    pub external_url: String,
    /// Requests queued for the intake writer before intake answers 503.
    pub intake_queue: usize,
    /// How often idle workers look for due work another instance may have written.
    pub poll_interval: Duration,
    /// Webhook timeout when the receiver sets none.
    pub webhook_timeout: Duration,
    /// How long a notification stays leased to the instance sending it.
    pub delivery_lease_ms: i64,
    /// Attempts before a notification is given up as failed.
    pub max_attempts: i64,
    /// The channels that carry notices to people (email, Slack, voice ...).
    pub channels: ChannelSettings,
    /// Sends per minute on this instance, per contact kind; a kind missing or 0 is not
    /// throttled.
    pub contact_per_minute: std::collections::HashMap<hinomi_core::ContactKind, u32>,
    /// The `[incidents]` settings: the lead role (reminders nobody else holds go to it),
    /// the escalation criteria and how action items are chased, as the reminder worker
    /// reads them.
    pub incidents: Arc<hinomi_core::incident::SeverityPolicy>,
    /// Run flushes and delivery in the background. Tests of timers turn this off and
    /// drive [`Engine::flush_now`] and [`Engine::deliver_now`] on a [`ManualClock`].
    pub background: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            instance: format!("hinomi-{}", uuid::Uuid::new_v4().simple()),
            external_url: "http://127.0.0.1:9093".into(),
            intake_queue: 4096,
            poll_interval: Duration::from_secs(1),
            webhook_timeout: Duration::from_secs(10),
            delivery_lease_ms: 15_000,
            max_attempts: 12,
            channels: ChannelSettings::default(),
            contact_per_minute: std::collections::HashMap::new(),
            incidents: Arc::default(),
            background: true,
        }
    }
}

/// State every part of the engine shares. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Arc<EngineSettings>,
    pub(crate) instance: String,
    pub(crate) index: Arc<RwLock<index::Index>>,
    config: Arc<RwLock<Arc<Config>>>,
    dispatcher_wake: Arc<Notify>,
    /// Where committed flushes hand the outbox rows they leased to this instance.
    handover: mpsc::UnboundedSender<Vec<ClaimedDelivery>>,
    pub(crate) sender: WebhookSender,
    pub(crate) channels: Channels,
    pub(crate) throttle: Arc<deliver::ChannelThrottle>,
}

impl Shared {
    pub(crate) fn config(&self) -> Arc<Config> {
        self.config.read().expect("config lock").clone()
    }

    pub(crate) fn wake_dispatcher(&self) {
        self.dispatcher_wake.notify_one();
    }

    /// Passes outbox rows a committed flush leased to this instance on to delivery.
    pub(crate) fn hand_over(&self, leased: Vec<ClaimedDelivery>) {
        if !leased.is_empty() {
            let _ = self.handover.send(leased);
        }
    }

    /// Tells the other instances on PostgreSQL which alerts this transaction changed.
    pub(crate) async fn publish_alert_changes(
        &self,
        tx: &mut WriteTx,
        fps: impl Iterator<Item = Fingerprint>,
    ) -> Result<(), EngineError> {
        if self.store.backend() != Backend::Postgres {
            return Ok(());
        }
        let fps: Vec<String> = fps.map(|fp| fp.to_string()).collect();
        for chunk in fps.chunks(400) {
            tx.notify(
                feed::ALERTS,
                &format!("{} {}", self.instance, chunk.join(",")),
            )
            .await?;
        }
        Ok(())
    }
}

mod feed {
    //! Channel names of the PostgreSQL change feed between instances.
    pub(crate) const ALERTS: &str = "hinomi_alerts";
    pub(crate) const SILENCES: &str = "hinomi_silences";
}

/// The running alert pipeline. Cheap to clone; [`Engine::shutdown`] stops it.
#[derive(Clone, Debug)]
pub struct Engine {
    shared: Shared,
    intake: mpsc::Sender<writer::WriteRequest>,
    stop: Arc<watch::Sender<bool>>,
    tasks: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    started_at: i64,
    /// Without background workers, the rows flushes hand over wait here for
    /// [`Engine::flush_now`].
    manual_handover: Option<Arc<std::sync::Mutex<mpsc::UnboundedReceiver<Vec<ClaimedDelivery>>>>>,
}

impl Engine {
    /// Loads the index from the database, re-routes stored alerts under `config`, and
    /// starts the workers.
    pub async fn start(
        store: Store,
        config: Config,
        settings: EngineSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, EngineError> {
        let now = clock.now_ms();
        let user_agent = concat!("hinomi/", env!("CARGO_PKG_VERSION"));
        let sender = WebhookSender::new(settings.webhook_timeout, user_agent);
        let channels = Channels::new(
            settings.channels.clone(),
            settings.webhook_timeout,
            user_agent,
        );
        let throttle = Arc::new(deliver::ChannelThrottle::new(
            settings.contact_per_minute.clone(),
        ));
        let (leased_tx, leased_rx) = mpsc::unbounded_channel();
        let shared = Shared {
            store: store.clone(),
            clock,
            instance: settings.instance.clone(),
            settings: Arc::new(settings),
            index: Arc::default(),
            config: Arc::new(RwLock::new(Arc::new(config))),
            dispatcher_wake: Arc::new(Notify::new()),
            handover: leased_tx,
            sender,
            channels,
            throttle,
        };
        reload_index(&shared, now).await?;
        if store.backend() == Backend::Sqlite {
            // One instance runs on SQLite: leases left by a killed process are this
            // instance's own, so its notifications go out now instead of after the lease.
            store.release_all_leases().await?;
        }
        regroup(&shared).await?;

        let (intake_tx, intake_rx) = mpsc::channel(shared.settings.intake_queue);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(writer::run(shared.clone(), intake_rx, stop_rx.clone()));
        let mut manual_handover = None;
        if shared.settings.background {
            tasks.spawn(run_dispatcher(shared.clone(), stop_rx.clone()));
            tasks.spawn(run_escalator(shared.clone(), stop_rx.clone()));
            tasks.spawn(run_heartbeats(
                shared.clone(),
                intake_tx.clone(),
                stop_rx.clone(),
            ));
            tasks.spawn(run_shift_notices(shared.clone(), stop_rx.clone()));
            tasks.spawn(run_reminders(shared.clone(), stop_rx.clone()));
            tasks.spawn(deliver::run(shared.clone(), leased_rx, stop_rx.clone()));
            tasks.spawn(housekeeping(shared.clone(), stop_rx.clone()));
            if store.backend() == Backend::Postgres {
                tasks.spawn(follow_other_instances(shared.clone(), stop_rx.clone()));
            }
        } else {
            manual_handover = Some(Arc::new(std::sync::Mutex::new(leased_rx)));
        }
        Ok(Engine {
            shared,
            manual_handover,
            intake: intake_tx,
            stop: Arc::new(stop_tx),
            tasks: Arc::new(tokio::sync::Mutex::new(tasks)),
            started_at: now,
        })
    }

    /// Stops the workers after they finish what they hold: queued intake is committed and
    /// answered, a running flush commits, sends in flight complete.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let mut tasks = self.tasks.lock().await;
        let drained = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(30), drained)
            .await
            .is_err()
        {
            tracing::warn!("workers did not stop within 30s");
            tasks.abort_all();
        }
    }

    pub fn now(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    pub fn started_at(&self) -> i64 {
        self.started_at
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The URL people reach hinomi at, without a trailing slash.
    pub fn external_url(&self) -> &str {
        self.shared.settings.external_url.trim_end_matches('/')
    }

    /// The channels notices go out on; inbound callbacks check their signatures with it
    /// ([`Channels::verify_slack`], [`Channels::verify_twilio`]).
    pub fn channels(&self) -> &Channels {
        &self.shared.channels
    }

    /// A receiver told each time this instance's view of alerts or silences changes (its
    /// own commits and, on PostgreSQL, the other instances'). Changes that come with the
    /// clock alone (an alert's `endsAt` passing, a silence starting) are not told.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.index.read().expect("index lock").changes()
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.shared.config()
    }

    /// Puts a new configuration in force and re-routes the stored alerts under it.
    pub async fn reload(&self, config: Config) -> Result<(), EngineError> {
        *self.shared.config.write().expect("config lock") = Arc::new(config);
        self.shared
            .index
            .write()
            .expect("index lock")
            .invalidate_inhibitions();
        regroup(&self.shared).await?;
        self.shared.wake_dispatcher();
        Ok(())
    }

    /// Fills in what a posted alert left out, as Alertmanager's API does: a missing start
    /// is now, a missing end is now plus `resolve_timeout`.
    pub fn normalize_posted(&self, alert: Alert) -> Alert {
        let resolve_timeout = self.shared.config().resolve_timeout;
        hinomi_core::normalize_posted(alert, self.now(), resolve_timeout)
    }

    /// Commits a change to alerts; returns once it is durable.
    pub async fn write(&self, op: WriteOp) -> Result<WriteOutcome, EngineError> {
        writer::submit(&self.intake, op).await
    }

    /// Requests waiting for the intake writer.
    pub fn intake_queue_depth(&self) -> usize {
        self.intake.max_capacity() - self.intake.capacity()
    }

    /// Runs one flush pass at the clock's `now` and delivers what it wrote (for tests on a
    /// [`ManualClock`] and for operators' manual runs).
    pub async fn flush_now(&self) -> Result<FlushReport, EngineError> {
        let mut report = dispatch::flush_due(&self.shared, self.now()).await?;
        report.leased = self.deliver_here(std::mem::take(&mut report.leased)).await;
        Ok(report)
    }

    /// Handles the escalation timers due at the clock's `now` and delivers what they wrote
    /// (for tests on a [`ManualClock`]).
    pub async fn escalate_now(&self) -> Result<EscalationReport, EngineError> {
        let mut report = escalate::escalate_due(&self.shared, self.now()).await?;
        report.leased = self.deliver_here(std::mem::take(&mut report.leased)).await;
        Ok(report)
    }

    /// Tells the handoffs of the schedules whose shift-notice timer is due at the clock's
    /// `now`, and delivers the notices (for tests on a [`ManualClock`]).
    pub async fn shift_notices_now(&self) -> Result<ShiftReport, EngineError> {
        let mut report = shifts::notify_due(&self.shared, self.now()).await?;
        report.leased = self.deliver_here(std::mem::take(&mut report.leased)).await;
        Ok(report)
    }

    /// Handles the incident reminders due at the clock's `now` and delivers what they wrote
    /// (for tests on a [`ManualClock`]).
    pub async fn reminders_now(&self) -> Result<ReminderReport, EngineError> {
        let mut report = incidents::remind_due(&self.shared, self.now()).await?;
        report.leased = self.deliver_here(std::mem::take(&mut report.leased)).await;
        Ok(report)
    }

    /// Declares an incident with its team (see [`incidents::declare`]); the messages due at
    /// once are handed to delivery when it has committed.
    pub async fn declare_incident(
        &self,
        policy: &hinomi_core::incident::SeverityPolicy,
        new: &hinomi_store::NewIncident,
        team: &[RoleInput],
        declarer: Option<&str>,
        actor: &str,
    ) -> Result<
        hinomi_store::IncidentWrite<(hinomi_store::IncidentRecord, Vec<RoleGiven>)>,
        EngineError,
    > {
        let mut leased = Vec::new();
        let firer = escalate::Firer::of(&self.shared);
        let done = incidents::declare(
            &firer,
            policy,
            new,
            team,
            declarer,
            actor,
            self.now(),
            &mut leased,
        )
        .await?;
        self.shared.hand_over(leased);
        Ok(done)
    }

    /// Gives a role on the incident `id` (see [`incidents::assign_role`]).
    pub async fn assign_incident_role(
        &self,
        policy: &hinomi_core::incident::SeverityPolicy,
        id: &str,
        input: &RoleInput,
        actor: &str,
    ) -> Result<hinomi_store::IncidentWrite<RoleGiven>, EngineError> {
        let mut leased = Vec::new();
        let firer = escalate::Firer::of(&self.shared);
        let done =
            incidents::assign_role(&firer, policy, id, input, actor, self.now(), &mut leased)
                .await?;
        self.shared.hand_over(leased);
        Ok(done)
    }

    /// Takes a role back (see [`incidents::unassign_role`]).
    pub async fn unassign_incident_role(
        &self,
        id: &str,
        assignment: i64,
        actor: &str,
    ) -> Result<hinomi_store::IncidentWrite<hinomi_store::RoleAssignmentRecord>, EngineError> {
        let firer = escalate::Firer::of(&self.shared);
        incidents::unassign_role(&firer, id, assignment, actor, self.now()).await
    }

    /// Opens the alerts of the heartbeat monitors overdue at the clock's `now` (for tests on
    /// a [`ManualClock`]); answers how many.
    pub async fn heartbeats_now(&self) -> Result<usize, EngineError> {
        heartbeat::check_due(&self.shared, &self.intake, self.now()).await
    }

    /// A heartbeat monitor's beat, by its token: on time until its next period and grace
    /// are over; a missing beat's alert resolves.
    pub async fn beat(&self, token: &str) -> Result<hinomi_store::HeartbeatRecord, EngineError> {
        heartbeat::beat(&self.shared, &self.intake, token, self.now()).await
    }

    /// Removes a heartbeat monitor (`audit` commits with it); its alert resolves. Answers
    /// whether it existed.
    pub async fn delete_heartbeat(
        &self,
        h: &hinomi_store::HeartbeatRecord,
        audit: &AuditEntry,
    ) -> Result<bool, EngineError> {
        heartbeat::delete(&self.shared, &self.intake, h, audit).await
    }

    /// Delivers, before it returns, `rows` and (without background workers) the rows
    /// commits handed over meanwhile; answers every row it delivered.
    async fn deliver_here(&self, mut rows: Vec<ClaimedDelivery>) -> Vec<ClaimedDelivery> {
        if let Some(handover) = &self.manual_handover {
            // Rows the intake writer and page changes handed over, then the caller's own.
            let mut all = Vec::new();
            let mut handover = handover.lock().expect("handover lock");
            while let Ok(more) = handover.try_recv() {
                all.extend(more);
            }
            all.append(&mut rows);
            rows = all;
        }
        let mut finished = Vec::new();
        for row in rows.iter().cloned() {
            finished.extend(deliver::deliver(&self.shared, row).await);
        }
        deliver::record(&self.shared, &finished).await;
        rows
    }

    /// Carries out a person's command on a page (acknowledge, resolve, escalate, reassign,
    /// snooze) and answers the page as it now stands. Messages due at once are handed to
    /// delivery when the change has committed.
    pub async fn page_command(
        &self,
        page_id: &str,
        cmd: PageCommand,
        actor: &PageActor,
    ) -> Result<hinomi_store::PageRecord, EngineError> {
        let mut leased = Vec::new();
        let firer = escalate::Firer::of(&self.shared);
        let page = escalate::command(&firer, page_id, &cmd, actor, self.now(), &mut leased).await?;
        self.shared.hand_over(leased);
        Ok(page)
    }

    /// Sends a test message to one of `user_id`'s contact methods, carrying a new code that
    /// verifies the method when the person confirms it.
    pub async fn send_contact_test(
        &self,
        user_id: &str,
        contact_method_id: &str,
    ) -> Result<(), EngineError> {
        let leased =
            verify::send_test(&self.shared, user_id, contact_method_id, self.now()).await?;
        self.shared.hand_over(leased);
        Ok(())
    }

    /// Redeems a one-time action token from a page's message: every inbound path (a link
    /// in an email or text, a Slack or Teams button, a keypad digit) calls this with its
    /// `how`. The page is acknowledged or resolved as the person the message went to.
    pub async fn redeem_action(&self, token: &str, how: &str) -> Result<Redeemed, EngineError> {
        escalate::redeem(&escalate::Firer::of(&self.shared), token, how, self.now()).await
    }

    /// Delivers whatever is due in the outbox now; answers how many rows it tried.
    pub async fn deliver_now(&self) -> Result<usize, EngineError> {
        let rows = deliver::claim_due(&self.shared).await?;
        let n = rows.len();
        let mut finished = Vec::new();
        for row in rows {
            finished.extend(deliver::deliver(&self.shared, row).await);
        }
        deliver::record(&self.shared, &finished).await;
        Ok(n)
    }

    /// Creates or updates a silence under Alertmanager's rules; answers its id. `audit`
    /// commits with the change; its target is set to the silence's resulting id. A new
    /// silence joins `team_id` when one is given; a replaced one keeps its old team.
    pub async fn upsert_silence(
        &self,
        incoming: Silence,
        team_id: Option<&str>,
        mut audit: AuditEntry,
    ) -> Result<String, EngineError> {
        let now = self.now();
        let mut tx = self.shared.store.begin().await?;
        let existing = if incoming.id.is_empty() {
            None
        } else {
            match tx.lock_silence(&incoming.id).await? {
                Some(s) => Some(s),
                None => return Err(EngineError::SilenceNotFound(incoming.id.clone())),
            }
        };
        let plan = plan_upsert(existing.as_ref(), incoming, now, || {
            uuid::Uuid::new_v4().to_string()
        })?;
        let (written, id) = match plan {
            SilenceUpsert::Create(s) | SilenceUpsert::UpdateInPlace(s) => {
                tx.upsert_silence(&s).await?;
                let id = s.id.clone();
                (vec![s], id)
            }
            SilenceUpsert::ReplaceWithNew { expire_old, new } => {
                tx.upsert_silence(&expire_old).await?;
                tx.upsert_silence(&new).await?;
                tx.copy_silence_team(&expire_old.id, &new.id).await?;
                let id = new.id.clone();
                (vec![expire_old, new], id)
            }
        };
        for s in &written {
            tx.append_event(now, "silence.saved", &s.id, &s.created_by, "{}")
                .await?;
        }
        if let Some(team) = team_id {
            tx.set_silence_team(&id, team).await?;
        }
        audit.target = id.clone();
        tx.append_audit(&audit).await?;
        self.publish_silences(&mut tx).await?;
        tx.commit().await?;
        let mut index = self.shared.index.write().expect("index lock");
        for s in written {
            index.put_silence(s);
        }
        Ok(id)
    }

    /// Expires a silence now; `audit` commits with the change (and is dropped when the
    /// silence had already expired, since nothing changes).
    pub async fn expire_silence(&self, id: &str, audit: &AuditEntry) -> Result<(), EngineError> {
        let now = self.now();
        let mut tx = self.shared.store.begin().await?;
        let existing = tx
            .lock_silence(id)
            .await?
            .ok_or_else(|| EngineError::SilenceNotFound(id.to_owned()))?;
        let expired = match hinomi_core::expire(&existing, now) {
            Ok(s) => s,
            // Expiring an expired silence changes nothing; Alertmanager answers 200 too.
            Err(hinomi_core::SilenceError::AlreadyExpired(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        tx.upsert_silence(&expired).await?;
        tx.append_event(now, "silence.expired", id, &audit.actor_name, "{}")
            .await?;
        tx.append_audit(audit).await?;
        self.publish_silences(&mut tx).await?;
        tx.commit().await?;
        self.shared
            .index
            .write()
            .expect("index lock")
            .put_silence(expired);
        self.shared.wake_dispatcher();
        Ok(())
    }

    async fn publish_silences(&self, tx: &mut WriteTx) -> Result<(), EngineError> {
        if self.shared.store.backend() == Backend::Postgres {
            tx.notify(feed::SILENCES, &self.shared.instance).await?;
        }
        Ok(())
    }

    pub fn silence(&self, id: &str) -> Option<Arc<Silence>> {
        self.shared.index.read().expect("index lock").silence(id)
    }

    pub fn silences(&self) -> Vec<Arc<Silence>> {
        self.shared.index.read().expect("index lock").silences()
    }
}

/// Brings the index up to what the database holds. Versions are compared, so a commit
/// that lands while this reads is never rolled back.
async fn reload_index(shared: &Shared, now: i64) -> Result<(), EngineError> {
    let alerts = shared
        .store
        .alerts_since(now - RESOLVED_RETENTION_MS)
        .await?;
    let silences = shared.store.silences().await?;
    let mut index = shared.index.write().expect("index lock");
    index.apply(alerts);
    for s in silences {
        index.put_silence(s);
    }
    Ok(())
}

/// Makes group memberships match the route tree in force: every firing alert in the groups
/// its routes put it in, and in no others. Runs at start and on every reload.
async fn regroup(shared: &Shared) -> Result<(), EngineError> {
    let now = shared.clock.now_ms();
    let config = shared.config();
    let firing: Vec<Arc<hinomi_store::StoredAlert>> = {
        let index = shared.index.read().expect("index lock");
        index
            .select(&[])
            .into_iter()
            .filter(|a| !a.alert.resolved_at(now))
            .collect()
    };
    let (groups, wanted) =
        writer::route_into_groups(&config, firing.iter().map(|a| a.as_ref()), now);
    let wanted_set: std::collections::HashSet<(String, Fingerprint)> =
        wanted.iter().cloned().collect();
    let mut tx = shared.store.begin().await?;
    let existing = tx.memberships().await?;
    let existing_set: std::collections::HashSet<(String, Fingerprint)> =
        existing.iter().cloned().collect();
    let firing_fps: std::collections::HashSet<Fingerprint> =
        firing.iter().map(|a| a.fingerprint()).collect();
    let mut removed = 0;
    for (key, fp) in &existing {
        // Resolved members stay until their group has notified them.
        if firing_fps.contains(fp) && !wanted_set.contains(&(key.clone(), *fp)) {
            tx.remove_member(key, *fp).await?;
            removed += 1;
        }
    }
    let missing: Vec<(String, Fingerprint)> = wanted
        .into_iter()
        .filter(|m| !existing_set.contains(m))
        .collect();
    let needed: std::collections::HashSet<&String> = missing.iter().map(|(k, _)| k).collect();
    let groups: Vec<_> = groups
        .into_iter()
        .filter(|g| needed.contains(&g.group_key))
        .collect();
    tx.ensure_groups(&groups, now).await?;
    tx.add_members(&missing).await?;
    tx.drop_empty_groups().await?;
    tx.commit().await?;
    if removed > 0 || !missing.is_empty() {
        tracing::info!(
            added = missing.len(),
            removed,
            "re-routed alerts under the configuration in force"
        );
    }
    Ok(())
}

/// Runs `pass` over work kept as due times in the database (group flushes, escalation
/// timers): again at once while a pass fills its batch, else after sleeping until the next
/// due time `next_due` reports (at most the poll interval: another instance or a command
/// may set an earlier one), a `wake`-up, or the stop.
async fn run_timers<P, PF, N, NF>(
    shared: Shared,
    mut stop: watch::Receiver<bool>,
    wake: Option<Arc<Notify>>,
    batch: i64,
    what: &'static str,
    pass: P,
    next_due: N,
) where
    P: Fn(Shared, i64) -> PF,
    PF: Future<Output = Result<usize, EngineError>>,
    N: Fn(Shared) -> NF,
    NF: Future<Output = Option<i64>>,
{
    let poll_ms = shared.settings.poll_interval.as_millis() as i64;
    loop {
        let now = shared.clock.now_ms();
        let done = match pass(shared.clone(), now).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "{what} failed");
                tokio::time::sleep(Duration::from_millis(500)).await;
                0
            }
        };
        if done as i64 >= batch {
            continue;
        }
        let next = next_due(shared.clone()).await;
        let now = shared.clock.now_ms();
        let wait_ms = match next {
            // Due but not taken: another instance holds it; look again shortly.
            Some(t) if t <= now && done == 0 => 100,
            Some(t) => (t - now).clamp(0, poll_ms),
            None => poll_ms,
        };
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            _ = woken => {}
            _ = stop.changed() => break,
        }
    }
}

/// Group flushes as their timers come due.
async fn run_dispatcher(shared: Shared, stop: watch::Receiver<bool>) {
    let wake = Some(shared.dispatcher_wake.clone());
    let pass = |shared: Shared, now| async move {
        let report = dispatch::flush_due(&shared, now).await?;
        shared.hand_over(report.leased);
        Ok(report.groups)
    };
    let next = |shared: Shared| async move { shared.store.next_group_due().await.ok().flatten() };
    run_timers(
        shared,
        stop,
        wake,
        dispatch::FLUSH_BATCH,
        "group flush",
        pass,
        next,
    )
    .await;
}

/// Escalation steps as page timers come due.
async fn run_escalator(shared: Shared, stop: watch::Receiver<bool>) {
    let pass = |shared: Shared, now| async move {
        let report = escalate::escalate_due(&shared, now).await?;
        shared.hand_over(report.leased);
        Ok(report.pages)
    };
    let next = |shared: Shared| async move { shared.store.next_page_due().await.ok().flatten() };
    run_timers(
        shared,
        stop,
        None,
        escalate::PAGE_BATCH,
        "escalation",
        pass,
        next,
    )
    .await;
}

/// Shift start and end notices as schedules' handoffs come due.
async fn run_shift_notices(shared: Shared, stop: watch::Receiver<bool>) {
    let pass = |shared: Shared, now| async move {
        let report = shifts::notify_due(&shared, now).await?;
        shared.hand_over(report.leased);
        Ok(report.schedules)
    };
    let next =
        |shared: Shared| async move { shared.store.next_shift_notice_due().await.ok().flatten() };
    run_timers(
        shared,
        stop,
        None,
        shifts::SHIFT_BATCH,
        "shift notices",
        pass,
        next,
    )
    .await;
}

/// Incident reminders (overdue checklist items) as their timers come due.
async fn run_reminders(shared: Shared, stop: watch::Receiver<bool>) {
    let pass = |shared: Shared, now| async move {
        let report = incidents::remind_due(&shared, now).await?;
        shared.hand_over(report.leased);
        Ok(report.reminders)
    };
    let next =
        |shared: Shared| async move { shared.store.next_reminder_due().await.ok().flatten() };
    run_timers(
        shared,
        stop,
        None,
        incidents::REMINDER_BATCH,
        "incident reminders",
        pass,
        next,
    )
    .await;
}

/// Heartbeat monitors' alerts as their timers come due.
async fn run_heartbeats(
    shared: Shared,
    intake: mpsc::Sender<writer::WriteRequest>,
    stop: watch::Receiver<bool>,
) {
    let pass = move |shared: Shared, now| {
        let intake = intake.clone();
        async move { heartbeat::check_due(&shared, &intake, now).await }
    };
    let next =
        |shared: Shared| async move { shared.store.next_heartbeat_due().await.ok().flatten() };
    run_timers(
        shared,
        stop,
        None,
        heartbeat::HEARTBEAT_BATCH,
        "heartbeat check",
        pass,
        next,
    )
    .await;
}

/// Collects resolved alerts and old silences, and publishes queue depths.
async fn housekeeping(shared: Shared, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut rounds: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let now = shared.clock.now_ms();
        if let Ok((groups, outbox)) = shared.store.queue_depths(now).await {
            metrics::gauge!("hinomi_groups_due").set(groups as f64);
            metrics::gauge!("hinomi_outbox_pending").set(outbox as f64);
        }
        metrics::gauge!("hinomi_alerts_in_memory")
            .set(shared.index.read().expect("index lock").len() as f64);
        rounds += 1;
        if !rounds.is_multiple_of(12) {
            continue;
        }
        let before = now - RESOLVED_RETENTION_MS;
        match shared.store.gc_resolved_alerts(before).await {
            Ok(n) if n > 0 => tracing::debug!(alerts = n, "collected resolved alerts"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot collect resolved alerts"),
        }
        shared.index.write().expect("index lock").sweep(before);
        let before = now - SILENCE_RETENTION_MS;
        if let Err(e) = shared.store.gc_silences(before).await {
            tracing::warn!(error = %e, "cannot collect expired silences");
        }
        shared
            .index
            .write()
            .expect("index lock")
            .sweep_silences(before);
    }
}

/// On PostgreSQL: applies the other instances' alert and silence changes to this
/// instance's index as they commit, and reloads everything after a gap in the feed.
async fn follow_other_instances(shared: Shared, mut stop: watch::Receiver<bool>) {
    loop {
        let mut feed = match shared.store.listen(&[feed::ALERTS, feed::SILENCES]).await {
            Ok(feed) => feed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot follow the other instances; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        // Whatever changed while not listening.
        if let Err(e) = reload_index(&shared, shared.clock.now_ms()).await {
            tracing::warn!(error = %e, "cannot reload the index");
        }
        loop {
            let message = tokio::select! {
                m = feed.recv() => m,
                _ = stop.changed() => return,
            };
            let (channel, payload) = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed interrupted; reconnecting");
                    break;
                }
            };
            let (origin, rest) = payload.split_once(' ').unwrap_or((payload.as_str(), ""));
            if origin == shared.instance {
                continue;
            }
            let result = if channel == feed::SILENCES {
                shared.store.silences().await.map(|silences| {
                    let mut index = shared.index.write().expect("index lock");
                    for s in silences {
                        index.put_silence(s);
                    }
                })
            } else {
                let fps: Vec<Fingerprint> =
                    rest.split(',').filter_map(|s| s.parse().ok()).collect();
                shared
                    .store
                    .alerts_by_fingerprint(&fps)
                    .await
                    .map(|alerts| {
                        shared.index.write().expect("index lock").apply(alerts);
                    })
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot apply a change from another instance");
            }
        }
    }
}
