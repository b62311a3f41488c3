//! Group timers on a simulated clock: group_wait, group_interval, repeat_interval,
//! resolution by `endsAt` and by `resolve_timeout`, delivery backoff, and timers that
//! outlive a restart. Nothing waits for real time: a [`ManualClock`] is moved by hand and
//! [`Engine::flush_now`] / [`Engine::deliver_now`] run the work that is due, delivering to
//! a local webhook receiver before they return.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hinomi_core::{Alert, Config, LabelSet};
use hinomi_engine::{Engine, EngineSettings, FlushReport, Incoming, ManualClock, WriteOp};
use hinomi_store::{SqliteSync, Store, StoreOptions};
use serde_json::Value;

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;

/// A webhook receiver that records what it accepts and can refuse the next N posts.
#[derive(Clone)]
struct Sink {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
    posts: Arc<AtomicUsize>,
    fail_next: Arc<AtomicUsize>,
}

impl Sink {
    async fn start() -> Sink {
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let posts = Arc::new(AtomicUsize::new(0));
        let fail_next = Arc::new(AtomicUsize::new(0));
        let (r, p, f) = (received.clone(), posts.clone(), fail_next.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let (r, p, f) = (r.clone(), p.clone(), f.clone());
                async move {
                    p.fetch_add(1, Ordering::SeqCst);
                    if f.load(Ordering::SeqCst) > 0 {
                        f.fetch_sub(1, Ordering::SeqCst);
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let body: Value = serde_json::from_slice(&body).expect("JSON payload");
                    r.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Sink {
            url: format!("http://{addr}/hook"),
            received,
            posts,
            fail_next,
        }
    }
}

/// An engine on a temp SQLite file, a manual clock and a sink; `yaml` has `{url}` where
/// the sink's URL goes.
struct Rig {
    dir: tempfile::TempDir,
    clock: ManualClock,
    sink: Sink,
    config: Config,
    engine: Engine,
    /// Notifications already handed out by [`Rig::flush`].
    seen: usize,
}

impl Rig {
    async fn start(yaml: &str) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(T0);
        let sink = Sink::start().await;
        let config = Config::parse(&yaml.replace("{url}", &sink.url)).expect("config parses");
        let engine = Rig::engine(&dir, &config, &clock).await;
        Rig {
            dir,
            clock,
            sink,
            config,
            engine,
            seen: 0,
        }
    }

    async fn engine(dir: &tempfile::TempDir, config: &Config, clock: &ManualClock) -> Engine {
        let store = Store::open(&StoreOptions {
            url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("hinomi.db").display()
            ),
            sqlite_sync: SqliteSync::Full,
            max_connections: 2,
        })
        .await
        .expect("open store");
        let mut settings = EngineSettings {
            background: false,
            webhook_timeout: Duration::from_secs(10),
            ..EngineSettings::default()
        };
        // Webhook contacts post signed notices to the sink.
        settings.channels.webhook.secret = "timers-secret".into();
        Engine::start(store, config.clone(), settings, Arc::new(clock.clone()))
            .await
            .expect("engine starts")
    }

    /// Stops the engine, closes the database, and starts a new engine on the same file
    /// and clock: a process restart.
    async fn restart(&mut self) {
        self.engine.shutdown().await;
        self.engine.store().close().await;
        self.engine = Rig::engine(&self.dir, &self.config, &self.clock).await;
    }

    /// Posts an alert as the API does, at the clock's now.
    async fn post(&self, alert: Alert) {
        self.post_batch(vec![alert]).await;
    }

    /// Posts alerts in one request, as Prometheus sends a rule group's alerts.
    async fn post_batch(&self, alerts: Vec<Alert>) {
        let incoming = alerts
            .into_iter()
            .map(|a| Incoming::new(self.engine.normalize_posted(a), None))
            .collect();
        self.engine
            .write(WriteOp::Alerts(incoming))
            .await
            .expect("write commits");
    }

    async fn post_at(&self, at: i64, alert: Alert) {
        self.clock.set(at);
        self.post(alert).await;
    }

    /// Moves the clock to `at`, flushes what is due and delivers it; answers the flush
    /// report and the notifications the sink accepted since the last call.
    async fn flush(&mut self, at: i64) -> (FlushReport, Vec<Value>) {
        self.clock.set(at);
        let report = self.engine.flush_now().await.expect("flush");
        (report, self.take())
    }

    /// [`Rig::flush`] without the report.
    async fn at(&mut self, at: i64) -> Vec<Value> {
        self.flush(at).await.1
    }

    /// Moves the clock to `at` and delivers what the outbox has due; answers how many
    /// rows were tried.
    async fn deliver(&mut self, at: i64) -> usize {
        self.clock.set(at);
        self.engine.deliver_now().await.expect("deliver")
    }

    fn take(&mut self) -> Vec<Value> {
        let all = self.sink.received.lock().unwrap().clone();
        let new = all[self.seen..].to_vec();
        self.seen = all.len();
        new
    }
}

/// An alert with these labels; times in ms, 0 for absent.
fn alert(labels: &[(&str, &str)], starts_at: i64, ends_at: i64) -> Alert {
    Alert {
        labels: labels.iter().copied().collect(),
        annotations: LabelSet::new(),
        starts_at,
        ends_at,
        updated_at: 0,
        generator_url: String::new(),
        timeout: false,
    }
}

fn disk(id: &str) -> Alert {
    alert(&[("alertname", "Disk"), ("id", id)], 0, 0)
}

/// `id=status` for each alert of a notification, in payload order.
fn alerts(n: &Value) -> Vec<String> {
    n["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            format!(
                "{}={}",
                a["labels"]["id"].as_str().unwrap(),
                a["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// The alerts of the single notification in `got`.
#[track_caller]
fn one(got: &[Value]) -> Vec<String> {
    assert_eq!(got.len(), 1, "expected one notification, got {got:#?}");
    alerts(&got[0])
}

#[track_caller]
fn none(got: &[Value]) {
    assert!(got.is_empty(), "expected no notification, got {got:#?}");
}

const TIMED: &str = "\
global:
  resolve_timeout: 24h
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: '{url}'
";

#[tokio::test]
async fn group_wait_batches_then_group_interval_follows_up() {
    let mut rig = Rig::start(TIMED).await;
    rig.post_at(T0, disk("a1")).await;
    let (report, got) = rig.flush(T0).await;
    none(&got);
    assert_eq!(report.groups, 0, "the group is not due before group_wait");
    rig.post_at(T0 + 10 * SEC, disk("a2")).await;
    none(&rig.at(T0 + 30 * SEC - 1).await);

    let got = rig.at(T0 + 30 * SEC).await;
    assert_eq!(one(&got), ["a1=firing", "a2=firing"]);
    assert_eq!(got[0]["groupKey"], r#"{}:{alertname="Disk"}"#);
    assert_eq!(got[0]["status"], "firing");
    none(&rig.at(T0 + 30 * SEC + 1).await);

    // A new alert waits for group_interval, counted from the last flush.
    rig.post_at(T0 + MIN, disk("a3")).await;
    none(&rig.at(T0 + 30 * SEC + 5 * MIN - 1).await);
    assert_eq!(
        one(&rig.at(T0 + 30 * SEC + 5 * MIN).await),
        ["a1=firing", "a2=firing", "a3=firing"]
    );
    // Nothing changed: the next interval sends nothing.
    none(&rig.at(T0 + 30 * SEC + 10 * MIN).await);
}

#[tokio::test]
async fn timers_default_to_alertmanagers() {
    // No group_wait, group_interval or repeat_interval: 30 s, 5 m and 4 h.
    let mut rig = Rig::start(
        "global:\n  resolve_timeout: 24h\nroute:\n  receiver: hook\n  group_by: [alertname]\n\
         receivers:\n  - name: hook\n    webhook_configs:\n      - url: '{url}'\n",
    )
    .await;
    rig.post_at(T0, disk("a1")).await;
    none(&rig.at(T0 + 30 * SEC - 1).await);
    assert_eq!(one(&rig.at(T0 + 30 * SEC).await), ["a1=firing"]);
    rig.post_at(T0 + 31 * SEC, disk("a2")).await;
    none(&rig.at(T0 + 30 * SEC + 5 * MIN - 1).await);
    assert_eq!(
        one(&rig.at(T0 + 30 * SEC + 5 * MIN).await),
        ["a1=firing", "a2=firing"]
    );
    let sent = T0 + 30 * SEC + 5 * MIN;
    // Every 5 minutes nothing, until 4 hours have passed (strictly).
    for k in 1..=48 {
        none(&rig.at(sent + k * 5 * MIN).await);
    }
    assert_eq!(
        one(&rig.at(sent + 49 * 5 * MIN).await),
        ["a1=firing", "a2=firing"]
    );
}

#[tokio::test]
async fn repeat_interval_resends_an_unchanged_group() {
    let mut rig = Rig::start(&TIMED.replace("repeat_interval: 4h", "repeat_interval: 1h")).await;
    rig.post_at(T0, disk("a1")).await;
    let first = rig.at(T0 + 30 * SEC).await;
    assert_eq!(one(&first), ["a1=firing"]);
    let sent = T0 + 30 * SEC;
    for k in 1..=12 {
        none(&rig.at(sent + k * 5 * MIN).await);
    }
    let again = rig.at(sent + 13 * 5 * MIN).await;
    assert_eq!(one(&again), ["a1=firing"]);
    assert_eq!(again[0]["groupKey"], first[0]["groupKey"]);
    // The repeat restarts the count.
    for k in 14..=25 {
        none(&rig.at(sent + k * 5 * MIN).await);
    }
    assert_eq!(one(&rig.at(sent + 26 * 5 * MIN).await), ["a1=firing"]);
}

#[tokio::test]
async fn an_alert_resolves_when_its_ends_at_passes() {
    let mut rig = Rig::start(
        &TIMED
            .replace("group_wait: 30s", "group_wait: 0s")
            .replace("group_interval: 5m", "group_interval: 1m"),
    )
    .await;
    rig.post_at(
        T0,
        alert(&[("alertname", "Disk"), ("id", "a1")], T0, T0 + 150 * SEC),
    )
    .await;
    let got = rig.at(T0).await;
    assert_eq!(one(&got), ["a1=firing"]);
    // A firing alert's end is not shown, even when the client sent one.
    assert_eq!(got[0]["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    none(&rig.at(T0 + MIN).await);
    none(&rig.at(T0 + 2 * MIN).await);

    let got = rig.at(T0 + 3 * MIN).await;
    assert_eq!(one(&got), ["a1=resolved"]);
    assert_eq!(got[0]["status"], "resolved");
    assert_eq!(got[0]["alerts"][0]["endsAt"], "2026-01-01T00:02:30Z");
    // Resolved and notified: the group and its timer are gone.
    let (report, got) = rig.flush(T0 + 4 * MIN).await;
    none(&got);
    assert_eq!(report.groups, 0);
}

#[tokio::test]
async fn resolve_timeout_ends_alerts_that_are_not_re_sent() {
    for (global, timeout) in [("", 5 * MIN), ("global:\n  resolve_timeout: 2m\n", 2 * MIN)] {
        let yaml = format!(
            "{global}route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1m\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: '{{url}}'\n"
        );
        let mut rig = Rig::start(&yaml).await;
        rig.clock.set(T0);
        rig.post_batch(vec![disk("a1"), disk("a2")]).await;
        let got = rig.at(T0).await;
        assert_eq!(one(&got), ["a1=firing", "a2=firing"], "{global:?}");
        let mut t = T0 + MIN;
        while t < T0 + timeout {
            if t == T0 + timeout - MIN {
                // Prometheus re-sends a2 before its timeout; a1 goes quiet.
                rig.post_at(t, disk("a2")).await;
            }
            none(&rig.at(t).await);
            t += MIN;
        }
        let got = rig.at(T0 + timeout).await;
        assert_eq!(one(&got), ["a1=resolved", "a2=firing"], "{global:?}");
        let ended = hinomi_core::time::format_nano(T0 + timeout);
        assert_eq!(got[0]["alerts"][0]["endsAt"], ended.as_str());
    }
}

#[tokio::test]
async fn group_timers_survive_a_restart() {
    let mut rig = Rig::start(&TIMED.replace("group_wait: 30s", "group_wait: 1m")).await;
    rig.post_at(T0, disk("a1")).await;
    none(&rig.at(T0 + 30 * SEC).await);

    // group_wait is pending across the restart and fires when it was due.
    rig.restart().await;
    none(&rig.at(T0 + MIN - 1).await);
    assert_eq!(one(&rig.at(T0 + MIN).await), ["a1=firing"]);

    // What was sent is remembered: the next interval sends nothing.
    rig.restart().await;
    none(&rig.at(T0 + 6 * MIN).await);

    // A group_interval timer is pending across a restart too.
    rig.post_at(T0 + 7 * MIN, disk("a2")).await;
    rig.restart().await;
    none(&rig.at(T0 + 11 * MIN - 1).await);
    assert_eq!(
        one(&rig.at(T0 + 11 * MIN).await),
        ["a1=firing", "a2=firing"]
    );
}

#[tokio::test]
async fn failed_delivery_backs_off_and_resumes_after_a_restart() {
    let mut rig = Rig::start(&TIMED.replace("group_wait: 30s", "group_wait: 0s")).await;
    rig.sink.fail_next.store(2, Ordering::SeqCst);
    rig.post_at(T0, disk("a1")).await;
    none(&rig.at(T0).await);
    assert_eq!(rig.sink.posts.load(Ordering::SeqCst), 1);

    // Backoff 1 s after the first failure...
    assert_eq!(rig.deliver(T0 + SEC - 1).await, 0);
    assert_eq!(rig.deliver(T0 + SEC).await, 1);
    assert_eq!(rig.sink.posts.load(Ordering::SeqCst), 2);
    none(&rig.take());

    // ...then 2 s, and the retry is a row in the database: it outlives a restart.
    rig.restart().await;
    assert_eq!(rig.deliver(T0 + 3 * SEC - 1).await, 0);
    assert_eq!(rig.deliver(T0 + 3 * SEC).await, 1);
    assert_eq!(one(&rig.take()), ["a1=firing"]);

    let rows = rig.engine.store().outbox(10).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].state, "delivered");
    assert_eq!(rows[0].attempts, 3);
    assert_eq!(rows[0].delivered_at, Some(T0 + 3 * SEC));

    // Delivered is final: nothing is due any more, before or after a restart.
    assert_eq!(rig.deliver(T0 + 10 * MIN).await, 0);
    rig.restart().await;
    assert_eq!(rig.deliver(T0 + 20 * MIN).await, 0);
    assert_eq!(rig.sink.posts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_group_due_at_once_is_flushed_by_the_commit_that_created_it() {
    let mut rig = Rig::start(
        &TIMED
            .replace("group_wait: 30s", "group_wait: 0s")
            .replace("group_interval: 5m", "group_interval: 1m"),
    )
    .await;
    rig.post_at(T0, disk("a1")).await;
    // The page is in the outbox before any flush pass runs: the pass finds nothing due.
    let (report, got) = rig.flush(T0).await;
    assert_eq!(report.groups, 0);
    assert_eq!(one(&got), ["a1=firing"]);
    // A later alert joins a group that already paged: it waits for group_interval, as in
    // Alertmanager.
    rig.post_at(T0 + SEC, disk("a2")).await;
    none(&rig.at(T0 + SEC).await);
    assert_eq!(one(&rig.at(T0 + MIN).await), ["a1=firing", "a2=firing"]);
}

/// Inhibition when the source and the target arrive in the commit that pages: the source
/// is not in the index yet, and must count all the same; a source resolved in that
/// commit no longer inhibits.
#[tokio::test]
async fn inhibition_counts_alerts_of_the_same_commit() {
    let yaml = "route:\n  receiver: hook\n  group_by: [id]\n  group_wait: 0s\n  group_interval: 1m\n\
                inhibit_rules:\n  - source_matchers: [severity=critical]\n    \
                target_matchers: [severity=warning]\n    equal: [alertname]\n\
                receivers:\n  - name: hook\n    webhook_configs:\n      - url: '{url}'\n";
    let mut rig = Rig::start(yaml).await;
    let source = |ends_at| {
        alert(
            &[
                ("alertname", "Disk"),
                ("id", "src"),
                ("severity", "critical"),
            ],
            0,
            ends_at,
        )
    };
    let target = |id| {
        alert(
            &[("alertname", "Disk"), ("id", id), ("severity", "warning")],
            0,
            0,
        )
    };

    rig.clock.set(T0);
    rig.post_batch(vec![target("t1"), source(0)]).await;
    assert_eq!(one(&rig.at(T0).await), ["src=firing"]);

    let later = T0 + 2 * MIN;
    rig.clock.set(later);
    rig.post_batch(vec![source(later), target("t2")]).await;
    let got = rig.at(later).await;
    let mut pages: Vec<Vec<String>> = got.iter().map(alerts).collect();
    pages.sort();
    assert_eq!(
        pages,
        [vec!["src=resolved"], vec!["t1=firing"], vec!["t2=firing"]]
    );
}

// Escalation's and heartbeats' timers, in this test binary (one per crate) but a file of their own.
#[path = "timers/escalation.rs"]
mod escalation;
#[path = "timers/heartbeats.rs"]
mod heartbeats;
#[path = "timers/reminders.rs"]
mod reminders;
#[path = "timers/shifts.rs"]
mod shifts;
