//! Durability and high availability: what `kill -9`, SIGTERM and a second instance do to
//! acknowledged alerts, pending group timers and the outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// Routing to `sink` with a one-hour resolve timeout, so nothing expires during a test.
fn durable_config(sink: &Sink, group_wait: &str, group_interval: &str, repeat: &str) -> String {
    config_for(&sink.url, group_wait, group_interval, repeat)
}

fn config_for(url: &str, group_wait: &str, group_interval: &str, repeat: &str) -> String {
    format!(
        "global:\n  resolve_timeout: 1h\nroute:\n  receiver: sink\n  group_by: [alertname]\n  group_wait: {group_wait}\n  group_interval: {group_interval}\n  repeat_interval: {repeat}\nreceivers:\n  - name: sink\n    webhook_configs:\n      - url: {url}\n"
    )
}

fn options(yml: String) -> Options {
    Options {
        alertmanager_yml: Some(yml),
        ..Options::default()
    }
}

/// What a storm of posting clients got acknowledged: the `id` label of every alert whose
/// POST was answered 200 by at least one instance.
#[derive(Clone, Default)]
struct Acked(Arc<Mutex<BTreeSet<String>>>);

impl Acked {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn snapshot(&self) -> BTreeSet<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Concurrent clients that post batches of new alerts to every URL in `targets` (as HA
/// Prometheus pairs do) until `stop` is set. Each alert has a unique `id`; with
/// `group_per_alert` each also has its own `alertname`, so each is its own group.
struct Storm {
    stop: Arc<AtomicBool>,
    acked: Acked,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Storm {
    /// `token` authenticates the posts (every target shares one database, so one token).
    fn start(
        targets: Vec<String>,
        token: &str,
        clients: usize,
        batch: usize,
        group_per_alert: bool,
    ) -> Storm {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Acked::default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {token}").parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        let clients = (0..clients)
            .map(|c| {
                let (stop, acked, http) = (stop.clone(), acked.clone(), http.clone());
                let mut alive = targets.clone();
                tokio::spawn(async move {
                    let mut n = 0usize;
                    while !stop.load(Ordering::SeqCst) && !alive.is_empty() {
                        let ids: Vec<String> =
                            (0..batch).map(|i| format!("c{c}-{}", n + i)).collect();
                        n += batch;
                        let body: Vec<Value> = ids
                            .iter()
                            .map(|id| {
                                let name = if group_per_alert {
                                    format!("Storm-{id}")
                                } else {
                                    format!("Storm{c}")
                                };
                                am_alert(&[("alertname", &name), ("id", id)])
                            })
                            .collect();
                        let mut ok = false;
                        let mut dead = Vec::new();
                        for url in &alive {
                            match http
                                .post(format!("{url}/api/v2/alerts"))
                                .json(&body)
                                .send()
                                .await
                            {
                                Ok(r) => ok |= r.status() == 200,
                                // Connection refused or reset: the instance is gone.
                                Err(_) => dead.push(url.clone()),
                            }
                        }
                        alive.retain(|u| !dead.contains(u));
                        if ok {
                            acked.0.lock().unwrap().extend(ids);
                        }
                    }
                })
            })
            .collect();
        Storm {
            stop,
            acked,
            clients,
        }
    }

    /// Waits until at least `n` alerts are acknowledged in all.
    async fn wait_acked(&self, n: usize, timeout: Duration) {
        let acked = self.acked.clone();
        eventually(timeout, &format!("{n} acknowledged alerts"), || {
            (acked.len() >= n).then_some(())
        })
        .await;
    }

    async fn stop(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::SeqCst);
        for c in self.clients {
            c.await.expect("storm client panicked");
        }
        self.acked.snapshot()
    }
}

/// The `id` labels of every alert the server lists.
async fn listed_ids(server: &Server) -> BTreeSet<String> {
    let alerts = server.get_json("/api/v2/alerts").await;
    alerts
        .as_array()
        .expect("an array of alerts")
        .iter()
        .filter_map(|a| a["labels"]["id"].as_str().map(str::to_owned))
        .collect()
}

fn assert_none_lost(acked: &BTreeSet<String>, listed: &BTreeSet<String>) {
    let lost: Vec<&String> = acked.difference(listed).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged alerts were lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(10)]
    );
}

both_databases!(
    kill9_during_storm_loses_no_acknowledged_alert,
    |db| async move {
        let sink = Sink::start().await;
        let opts = options(durable_config(&sink, "1s", "1m", "1h"));
        let Some(server) = Server::start(db, opts.clone()).await else {
            return;
        };
        let storm = Storm::start(vec![server.url.clone()], &server.token, 4, 25, false);
        // Kill while the clients are still posting, once a good number were acknowledged.
        storm.wait_acked(2000, Duration::from_secs(30)).await;
        let (database_url, dir) = (server.database_url.clone(), server.dir.clone());
        server.kill9().await;
        let acked = storm.stop().await;

        let server = Server::start_on(database_url, dir, opts).await;
        let listed = listed_ids(&server).await;
        assert_none_lost(&acked, &listed);
    }
);

both_databases!(
    sigterm_is_graceful_and_keeps_acknowledged_alerts,
    |db| async move {
        let sink = Sink::start().await;
        let opts = options(durable_config(&sink, "1s", "1m", "1h"));
        let Some(server) = Server::start(db, opts.clone()).await else {
            return;
        };
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([am_alert(&[("alertname", "Before"), ("id", "before-term")])]),
            )
            .await;
        assert_eq!(r.status(), 200);
        // SIGTERM while clients are posting: queued intake is committed and answered.
        let storm = Storm::start(vec![server.url.clone()], &server.token, 3, 20, false);
        storm.wait_acked(1000, Duration::from_secs(30)).await;
        let (database_url, dir) = (server.database_url.clone(), server.dir.clone());
        let status = server.terminate().await;
        let mut acked = storm.stop().await;
        assert!(status.success(), "hinomi exited with {status} on SIGTERM");
        acked.insert("before-term".into());

        let server = Server::start_on(database_url, dir, opts).await;
        let listed = listed_ids(&server).await;
        assert_none_lost(&acked, &listed);
        assert!(server.terminate().await.success());
    }
);

both_databases!(due_notification_survives_kill9, |db| async move {
    let sink = Sink::start().await;
    // group_wait is long enough for the kill to land before the first flush.
    let opts = options(durable_config(&sink, "2s", "1m", "1h"));
    let Some(server) = Server::start(db, opts.clone()).await else {
        return;
    };
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([
                am_alert(&[("alertname", "Pending"), ("id", "1")]),
                am_alert(&[("alertname", "Pending"), ("id", "2")]),
                am_alert(&[("alertname", "Pending"), ("id", "3")]),
            ]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (database_url, dir) = (server.database_url.clone(), server.dir.clone());
    server.kill9().await;
    assert!(
        sink.received().is_empty(),
        "the notification went out before the kill; this test needs a longer group_wait"
    );

    let _server = Server::start_on(database_url, dir, opts).await;
    let got = sink
        .wait_for(
            Duration::from_secs(20),
            "the pending group's notification after restart",
            |r| !r.is_empty(),
        )
        .await;
    assert_eq!(group_key_of(&got[0]), r#"{}:{alertname="Pending"}"#);
    let mut ids = alert_labels(&got[0], "id");
    ids.sort();
    assert_eq!(ids, ["1", "2", "3"]);
});

both_databases!(
    delivered_notification_not_resent_after_kill9,
    |db| async move {
        let sink = Sink::start().await;
        let opts = options(durable_config(&sink, "0s", "1s", "1h"));
        let Some(server) = Server::start(db, opts.clone()).await else {
            return;
        };
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([
                    am_alert(&[("alertname", "Once"), ("id", "1")]),
                    am_alert(&[("alertname", "Once"), ("id", "2")]),
                ]),
            )
            .await;
        assert_eq!(r.status(), 200);
        sink.wait_for(Duration::from_secs(10), "the first notification", |r| {
            !r.is_empty()
        })
        .await;
        // At least once: a kill between the send and its record may resend. Kill only once
        // the delivery is recorded, which is what "delivered" means here.
        let database_url = server.database_url.clone();
        wait_for_deliveries(
            &database_url,
            Duration::from_secs(10),
            "the delivery to be recorded",
            |rows| rows.iter().any(|r| r.state == "delivered"),
        )
        .await;
        let dir = server.dir.clone();
        server.kill9().await;

        let server = Server::start_on(database_url, dir, opts).await;
        // Prove the restarted instance delivers: a new group goes out...
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([am_alert(&[("alertname", "After"), ("id", "3")])]),
            )
            .await;
        assert_eq!(r.status(), 200);
        sink.wait_for(
            Duration::from_secs(10),
            "the new group's notification",
            |r| {
                r.iter()
                    .any(|n| group_key_of(n) == r#"{}:{alertname="After"}"#)
            },
        )
        .await;
        // ...and the old group, whose timer fires every second, stays quiet for a few rounds.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let once: Vec<_> = sink
            .received()
            .into_iter()
            .filter(|n| group_key_of(n) == r#"{}:{alertname="Once"}"#)
            .collect();
        assert_eq!(
            once.len(),
            1,
            "the delivered notification was sent again: {:?}",
            once.iter().map(|n| &n.body).collect::<Vec<_>>()
        );
    }
);

both_databases!(failed_deliveries_are_retried_and_logged, |db| async move {
    let sink = Sink::start().await;
    sink.fail_next(2);
    let opts = options(durable_config(&sink, "0s", "1h", "1h"));
    let Some(server) = Server::start(db, opts).await else {
        return;
    };
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([am_alert(&[("alertname", "Flaky"), ("id", "1")])]),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Backoff is 1 s, then 2 s.
    let got = sink
        .wait_for(
            Duration::from_secs(20),
            "the notification after two 500s",
            |r| !r.is_empty(),
        )
        .await;
    assert_eq!(group_key_of(&got[0]), r#"{}:{alertname="Flaky"}"#);
    let rows = wait_for_deliveries(
        &server.database_url,
        Duration::from_secs(10),
        "the delivered row in the delivery log",
        |rows| rows.iter().any(|r| r.state == "delivered"),
    )
    .await;
    assert_eq!(rows.len(), 1, "one notification, one outbox row: {rows:?}");
    assert_eq!(rows[0].receiver, "sink");
    assert_eq!(
        rows[0].attempts, 3,
        "two refused attempts and the one that got through: {rows:?}"
    );
    assert_eq!(sink.received().len(), 1);
});

/// Notifications received per group key.
fn per_group(received: &[Received]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in received {
        *counts.entry(group_key_of(r).to_owned()).or_insert(0) += 1;
    }
    counts
}

async fn start_pair(opts: Options) -> Option<(Server, Server)> {
    let a = Server::start(Db::Postgres, opts.clone()).await?;
    let b = Server::start_on(a.database_url.clone(), a.dir.clone(), opts).await;
    Some((a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_notify_each_group_once() {
    let sink = Sink::start().await;
    let opts = options(durable_config(&sink, "1s", "1m", "1h"));
    let Some((a, b)) = start_pair(opts).await else {
        return;
    };
    const GROUPS: usize = 200;
    let key = |g: usize| format!(r#"{{}}:{{alertname="Pair{g}"}}"#);
    // As HA Prometheus does: every alert to both instances, at about the same time.
    let mut posts = Vec::new();
    for g in 0..GROUPS {
        let body = json!([
            am_alert(&[("alertname", &format!("Pair{g}")), ("id", "x")]),
            am_alert(&[("alertname", &format!("Pair{g}")), ("id", "y")]),
        ]);
        for server in [&a, &b] {
            let (http, url, body) = (server.http.clone(), server.url.clone(), body.clone());
            posts.push(tokio::spawn(async move {
                http.post(format!("{url}/api/v2/alerts"))
                    .json(&body)
                    .send()
                    .await
                    .expect("post")
                    .status()
            }));
        }
    }
    for p in posts {
        assert_eq!(p.await.unwrap(), 200);
    }
    sink.wait_for(Duration::from_secs(30), "every group notified", |r| {
        per_group(r).len() >= GROUPS
    })
    .await;
    // Both instances flush every 100 ms: give a double send time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = sink.received();
    let counts = per_group(&got);
    let expected: BTreeSet<String> = (0..GROUPS).map(key).collect();
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        doubled.is_empty(),
        "groups notified more than once: {doubled:?}"
    );
    for n in &got {
        let mut ids = alert_labels(n, "id");
        ids.sort();
        assert_eq!(ids, ["x", "y"], "{}", n.body);
    }
}

/// A webhook receiver that takes a while to answer, so an instance killed mid-storm dies
/// holding deliveries in flight (leased to it). Records the `groupKey` of what it answers.
#[derive(Clone)]
struct SlowSink {
    url: String,
    keys: Arc<Mutex<Vec<String>>>,
}

impl SlowSink {
    async fn start(delay: Duration) -> SlowSink {
        let keys: Arc<Mutex<Vec<String>>> = Arc::default();
        let k = keys.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let k = k.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let key = v["groupKey"].as_str().unwrap_or("").to_owned();
                    k.lock().unwrap().push(key);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        SlowSink {
            url: format!("http://{addr}/hook"),
            keys,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survivor_delivers_everything_after_kill9() {
    let sink = SlowSink::start(Duration::from_millis(300)).await;
    let mut opts = options(config_for(&sink.url, "1s", "1m", "1h"));
    // The survivor takes over the dead instance's deliveries once their lease runs out.
    opts.env
        .push(("HINOMI_DELIVERY__LEASE_SECONDS".into(), "3".into()));
    // A send holds its lease for its timeout: keep both short.
    opts.env
        .push(("HINOMI_DELIVERY__TIMEOUT_SECONDS".into(), "2".into()));
    let Some((a, b)) = start_pair(opts).await else {
        return;
    };
    // Every alert its own group, posted to both; kill one instance while groups are
    // waiting, being flushed and being delivered.
    let storm = Storm::start(vec![a.url.clone(), b.url.clone()], &a.token, 3, 5, true);
    storm.wait_acked(150, Duration::from_secs(30)).await;
    let keys = sink.keys.clone();
    eventually(Duration::from_secs(30), "deliveries under way", || {
        (keys.lock().unwrap().len() >= 30).then_some(())
    })
    .await;
    a.kill9().await;
    let at_kill = storm.acked.len();
    storm
        .wait_acked(at_kill + 100, Duration::from_secs(30))
        .await;
    let acked = storm.stop().await;

    let expected: BTreeSet<String> = acked
        .iter()
        .map(|id| format!(r#"{{}}:{{alertname="Storm-{id}"}}"#))
        .collect();
    // Poll rather than `wait_for`, so a timeout names the groups that never came.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = sink.keys.lock().unwrap().clone();
        let seen: BTreeSet<&str> = got.iter().map(String::as_str).collect();
        let missing: Vec<&String> = expected
            .iter()
            .filter(|k| !seen.contains(k.as_str()))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {} acknowledged groups never notified by the survivor, e.g. {:?}",
            missing.len(),
            expected.len(),
            &missing[..missing.len().min(10)]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // At least once: what the dead instance was sending when it died may go out again, and
    // it sends at most 64 at a time. Everything else goes out once.
    let got = sink.keys.lock().unwrap().clone();
    let distinct: BTreeSet<&String> = got.iter().collect();
    let repeated = got.len() - distinct.len();
    assert!(
        repeated <= 64,
        "{repeated} notifications sent twice, more than the dead instance had in flight"
    );
    drop(b);
}

// A lease is taken when a notification is written, and the instance sends at most 64 at a
// time: with a slow receiver, rows wait in the instance's queue past their lease. They
// must still go out once, not once from the queue and again from the poll that finds the
// lease expired.
both_databases!(
    backlog_longer_than_the_lease_is_sent_once,
    |db| async move {
        let sink = SlowSink::start(Duration::from_millis(300)).await;
        let mut opts = options(config_for(&sink.url, "0s", "1h", "1h"));
        opts.env
            .push(("HINOMI_DELIVERY__LEASE_SECONDS".into(), "2".into()));
        let Some(server) = Server::start(db, opts).await else {
            return;
        };
        // 64 sends of 300 ms in flight: 640 groups take about 3 s, longer than the lease.
        const GROUPS: usize = 640;
        for chunk in 0..8 {
            let alerts: Vec<Value> = (0..GROUPS / 8)
                .map(|i| am_alert(&[("alertname", &format!("Backlog{chunk}-{i}"))]))
                .collect();
            let r = server.post_json("/api/v2/alerts", &json!(alerts)).await;
            assert_eq!(r.status(), 200);
        }
        let keys = sink.keys.clone();
        eventually(Duration::from_secs(60), "every group notified", || {
            let distinct: BTreeSet<String> = keys.lock().unwrap().iter().cloned().collect();
            (distinct.len() >= GROUPS).then_some(())
        })
        .await;
        // Sends still in flight land within the receiver's delay.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for k in keys.lock().unwrap().iter() {
            *counts.entry(k.clone()).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), GROUPS);
        let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            doubled.is_empty(),
            "{} groups notified more than once, e.g. {:?}",
            doubled.len(),
            &doubled[..doubled.len().min(5)]
        );
    }
);
