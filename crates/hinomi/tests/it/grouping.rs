//! Alertmanager's grouping and notification behaviour through the real server: group_wait,
//! group_interval, repeat_interval, resolved notifications, silences, inhibition,
//! `continue`, max_alerts, webhook credentials and the `groupKey` format.
//!
//! Durations are short (0-2 s) but the assertions are on order and counts after waiting
//! with a deadline, never on how fast something happened. Where a test asserts that
//! something does not happen it watches for a fixed window longer than the timer that
//! would have made it happen.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

const WAIT: Duration = Duration::from_secs(15);

async fn post(server: &Server, alerts: Vec<Value>) {
    let r = server.post_json("/api/v2/alerts", &json!(alerts)).await;
    let status = r.status();
    assert_eq!(
        status,
        200,
        "POST /api/v2/alerts: {}",
        r.text().await.unwrap()
    );
}

/// An alert with explicit `startsAt` and, when given, `endsAt`.
fn timed_alert(labels: &[(&str, &str)], starts_at: i64, ends_at: Option<i64>) -> Value {
    let mut a = am_alert(labels);
    a["startsAt"] = json!(api_time(starts_at));
    if let Some(end) = ends_at {
        a["endsAt"] = json!(api_time(end));
    }
    a
}

/// The notifications received for one group key, in arrival order.
fn of_group(got: &[Received], key: &str) -> Vec<Received> {
    got.iter()
        .filter(|r| group_key_of(r) == key)
        .cloned()
        .collect()
}

fn sorted_ids(r: &Received) -> Vec<String> {
    let mut ids = alert_labels(r, "id");
    ids.sort();
    ids
}

/// Watches for a fixed window in which nothing is expected to happen.
async fn watch_quietly(d: Duration) {
    tokio::time::sleep(d).await;
}

fn statuses(r: &Received) -> Vec<String> {
    r.body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap().to_owned())
        .collect()
}

both_databases!(group_wait_batches_the_first_notification, |db| async move {
    let sink = Sink::start().await;
    let Some(server) = start_with_config(db, sink_config(&sink, "1s", "1h", "1h")).await else {
        return;
    };
    post(
        &server,
        vec![am_alert(&[("alertname", "Batch"), ("id", "1")])],
    )
    .await;
    post(
        &server,
        vec![am_alert(&[("alertname", "Batch"), ("id", "2")])],
    )
    .await;
    let got = sink
        .wait_for(WAIT, "the first notification", |r| !r.is_empty())
        .await;
    // Without group_wait the first alert would have gone out alone.
    assert_eq!(sorted_ids(&got[0]), ["1", "2"], "{}", got[0].body);
    assert_eq!(got[0].body["status"], "firing");
});

both_databases!(
    group_interval_sends_a_follow_up_for_a_new_alert,
    |db| async move {
        let sink = Sink::start().await;
        let Some(server) = start_with_config(db, sink_config(&sink, "0s", "1s", "1h")).await else {
            return;
        };
        post(
            &server,
            vec![am_alert(&[("alertname", "Grow"), ("id", "1")])],
        )
        .await;
        sink.wait_for(WAIT, "the first notification", |r| r.len() == 1)
            .await;
        post(
            &server,
            vec![am_alert(&[("alertname", "Grow"), ("id", "2")])],
        )
        .await;
        let got = sink
            .wait_for(WAIT, "the follow-up notification", |r| r.len() >= 2)
            .await;
        assert_eq!(sorted_ids(&got[0]), ["1"]);
        assert_eq!(sorted_ids(&got[1]), ["1", "2"]);
        // Nothing changed since: no third message (repeat_interval is an hour).
        watch_quietly(Duration::from_millis(2500)).await;
        assert_eq!(sink.received().len(), 2);
    }
);

both_databases!(
    resolved_alerts_are_sent_unless_send_resolved_is_false,
    |db| async move {
        let wants = Sink::start().await;
        let refuses = Sink::start().await;
        let yml = format!(
            "route:\n  receiver: both\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: both\n    webhook_configs:\n      - url: {}\n      - url: {}\n        send_resolved: false\n",
            wants.url, refuses.url
        );
        let Some(server) = start_with_config(db, yml).await else {
            return;
        };
        let started = now_ms() - 60_000;
        let labels = [("alertname", "Fixed"), ("id", "1")];
        post(&server, vec![timed_alert(&labels, started, None)]).await;
        wants
            .wait_for(WAIT, "the firing notification", |r| r.len() == 1)
            .await;
        refuses
            .wait_for(WAIT, "the firing notification", |r| r.len() == 1)
            .await;

        post(&server, vec![timed_alert(&labels, started, Some(now_ms()))]).await;
        let got = wants
            .wait_for(WAIT, "the resolved notification", |r| r.len() >= 2)
            .await;
        assert_eq!(got[0].body["status"], "firing");
        assert_eq!(got[1].body["status"], "resolved");
        assert_eq!(statuses(&got[1]), ["resolved"]);
        assert_ne!(got[1].body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        // Both integrations are flushed together: had the second been sent a resolved
        // message it would be here by now.
        watch_quietly(Duration::from_millis(2500)).await;
        let refused = refuses.received();
        assert_eq!(refused.len(), 1, "send_resolved: false got {refused:?}");
        assert_eq!(refused[0].body["status"], "firing");
        assert_eq!(wants.received().len(), 2);
    }
);

both_databases!(
    repeat_interval_resends_an_unchanged_group,
    |db| async move {
        let sink = Sink::start().await;
        let Some(server) = start_with_config(db, sink_config(&sink, "0s", "1s", "2s")).await else {
            return;
        };
        post(
            &server,
            vec![am_alert(&[("alertname", "Again"), ("id", "1")])],
        )
        .await;
        let got = sink
            .wait_for(WAIT, "a repeated notification", |r| r.len() >= 2)
            .await;
        for n in &got[..2] {
            assert_eq!(group_key_of(n), r#"{}:{alertname="Again"}"#);
            assert_eq!(sorted_ids(n), ["1"]);
            assert_eq!(n.body["status"], "firing");
        }
    }
);

both_databases!(
    silence_stops_notifications_until_it_expires,
    |db| async move {
        let sink = Sink::start().await;
        let Some(server) = start_with_config(db, sink_config(&sink, "0s", "1s", "1h")).await else {
            return;
        };
        let r = server
        .post_json(
            "/api/v2/silences",
            &json!({
                "matchers": [{"name": "alertname", "value": "Hushed", "isRegex": false, "isEqual": true}],
                "startsAt": api_time(now_ms()),
                "endsAt": api_time(now_ms() + 3_600_000),
                "createdBy": "test",
                "comment": "maintenance",
            }),
        )
        .await;
        assert_eq!(r.status(), 200);
        let id = r.json::<Value>().await.unwrap()["silenceID"]
            .as_str()
            .expect("silenceID")
            .to_owned();

        post(
            &server,
            vec![am_alert(&[("alertname", "Hushed"), ("id", "1")])],
        )
        .await;
        post(
            &server,
            vec![am_alert(&[("alertname", "Loud"), ("id", "2")])],
        )
        .await;
        sink.wait_for(WAIT, "the unsilenced group", |r| {
            !of_group(r, r#"{}:{alertname="Loud"}"#).is_empty()
        })
        .await;
        // The silenced group's timer fires every second meanwhile.
        watch_quietly(Duration::from_millis(2500)).await;
        let hushed = of_group(&sink.received(), r#"{}:{alertname="Hushed"}"#);
        assert!(
            hushed.is_empty(),
            "a silenced alert was notified: {hushed:?}"
        );

        let r = server.delete(&format!("/api/v2/silence/{id}")).await;
        assert_eq!(r.status(), 200);
        let got = sink
            .wait_for(WAIT, "the group once its silence expired", |r| {
                !of_group(r, r#"{}:{alertname="Hushed"}"#).is_empty()
            })
            .await;
        assert_eq!(
            sorted_ids(&of_group(&got, r#"{}:{alertname="Hushed"}"#)[0]),
            ["1"]
        );
    }
);

both_databases!(
    inhibition_suppresses_targets_while_the_source_fires,
    |db| async move {
        let sink = Sink::start().await;
        let yml = format!(
            "{}inhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    target_matchers: ['severity=\"warning\"']\n    equal: [cluster]\n",
            sink_config(&sink, "0s", "1s", "1h")
        );
        let Some(server) = start_with_config(db, yml).await else {
            return;
        };
        let started = now_ms() - 60_000;
        let source = [
            ("alertname", "Source"),
            ("severity", "critical"),
            ("cluster", "a"),
        ];
        post(&server, vec![timed_alert(&source, started, None)]).await;
        post(
            &server,
            vec![
                am_alert(&[
                    ("alertname", "Target"),
                    ("severity", "warning"),
                    ("cluster", "a"),
                ]),
                am_alert(&[
                    ("alertname", "Elsewhere"),
                    ("severity", "warning"),
                    ("cluster", "b"),
                ]),
            ],
        )
        .await;
        sink.wait_for(WAIT, "the source and the uninhibited target", |r| {
            !of_group(r, r#"{}:{alertname="Source"}"#).is_empty()
                && !of_group(r, r#"{}:{alertname="Elsewhere"}"#).is_empty()
        })
        .await;
        watch_quietly(Duration::from_millis(2500)).await;
        let target = of_group(&sink.received(), r#"{}:{alertname="Target"}"#);
        assert!(
            target.is_empty(),
            "an inhibited alert was notified: {target:?}"
        );

        // Once the source resolves, the target is no longer inhibited.
        post(&server, vec![timed_alert(&source, started, Some(now_ms()))]).await;
        sink.wait_for(WAIT, "the target once its source resolved", |r| {
            !of_group(r, r#"{}:{alertname="Target"}"#).is_empty()
        })
        .await;
    }
);

/// Notifications per receiver name, with the group keys each got.
fn by_receiver(got: &[Received]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in got {
        out.entry(r.body["receiver"].as_str().unwrap_or("").to_owned())
            .or_default()
            .push(group_key_of(r).to_owned());
    }
    out
}

fn continue_config(sink: &Sink, second_matcher: &str) -> String {
    let url = &sink.url;
    format!(
        "route:\n  receiver: fallback\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n  routes:\n\
         \x20   - receiver: first\n      matchers: ['team=\"a\"']\n      continue: true\n\
         \x20   - receiver: second\n      matchers: ['{second_matcher}']\n\
         receivers:\n\
         \x20 - name: fallback\n    webhook_configs: [{{url: '{url}'}}]\n\
         \x20 - name: first\n    webhook_configs: [{{url: '{url}'}}]\n\
         \x20 - name: second\n    webhook_configs: [{{url: '{url}'}}]\n"
    )
}

both_databases!(continue_notifies_two_receivers, |db| async move {
    let sink = Sink::start().await;
    let Some(server) = start_with_config(db, continue_config(&sink, "severity=\"page\"")).await
    else {
        return;
    };
    post(
        &server,
        vec![am_alert(&[
            ("alertname", "Both"),
            ("team", "a"),
            ("severity", "page"),
        ])],
    )
    .await;
    sink.wait_for(WAIT, "two notifications", |r| r.len() >= 2)
        .await;
    watch_quietly(Duration::from_millis(2000)).await;
    let got = by_receiver(&sink.received());
    let expected: BTreeMap<String, Vec<String>> = [
        ("first", r#"{}/{team="a"}:{alertname="Both"}"#),
        ("second", r#"{}/{severity="page"}:{alertname="Both"}"#),
    ]
    .into_iter()
    .map(|(r, k)| (r.to_owned(), vec![k.to_owned()]))
    .collect();
    assert_eq!(got, expected);
});

// Two sibling routes with the same matchers, the first with `continue`: a common way to
// page and also post to a chat room. Alertmanager keeps one aggregation group per route
// (their groupKey is the same, `Route.Key()` does not tell siblings apart) and notifies
// both receivers.
both_databases!(
    continue_with_equal_matchers_notifies_both_receivers,
    |db| async move {
        let sink = Sink::start().await;
        let Some(server) = start_with_config(db, continue_config(&sink, "team=\"a\"")).await else {
            return;
        };
        post(
            &server,
            vec![am_alert(&[("alertname", "Twice"), ("team", "a")])],
        )
        .await;
        sink.wait_for(WAIT, "a notification", |r| !r.is_empty())
            .await;
        // Wait for the second receiver's (without failing here, so the assertion below shows
        // what came), then a window for anything extra.
        let deadline = std::time::Instant::now() + WAIT;
        while sink.received().len() < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        watch_quietly(Duration::from_millis(1500)).await;
        let got = by_receiver(&sink.received());
        let key = r#"{}/{team="a"}:{alertname="Twice"}"#.to_owned();
        let expected: BTreeMap<String, Vec<String>> = [
            ("first".to_owned(), vec![key.clone()]),
            ("second".to_owned(), vec![key]),
        ]
        .into_iter()
        .collect();
        assert_eq!(got, expected);
    }
);

both_databases!(max_alerts_truncates_and_counts_the_rest, |db| async move {
    let sink = Sink::start().await;
    let yml = format!(
        "route:\n  receiver: few\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1h\n  repeat_interval: 1h\n\
         receivers:\n  - name: few\n    webhook_configs:\n      - url: {}\n        max_alerts: 2\n",
        sink.url
    );
    let Some(server) = start_with_config(db, yml).await else {
        return;
    };
    let alerts: Vec<Value> = (1..=5)
        .map(|i| am_alert(&[("alertname", "Many"), ("id", &i.to_string())]))
        .collect();
    post(&server, alerts).await;
    let got = sink
        .wait_for(WAIT, "the notification", |r| !r.is_empty())
        .await;
    let body = &got[0].body;
    assert_eq!(body["alerts"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(body["truncatedAlerts"], 3, "{body}");
    // Alertmanager's order (by label set): the first two ids.
    assert_eq!(alert_labels(&got[0], "id"), ["1", "2"]);
});

both_databases!(
    webhook_credentials_arrive_as_authorization_headers,
    |db| async move {
        let bearer = Sink::start().await;
        let basic = Sink::start().await;
        let plain = Sink::start().await;
        let yml = format!(
            "route:\n  receiver: auth\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1h\n  repeat_interval: 1h\n\
         receivers:\n  - name: auth\n    webhook_configs:\n\
         \x20     - url: {}\n        http_config:\n          bearer_token: t0ken-42\n\
         \x20     - url: {}\n        http_config:\n          basic_auth:\n            username: alice\n            password: s3cret\n\
         \x20     - url: {}\n",
            bearer.url, basic.url, plain.url
        );
        let Some(server) = start_with_config(db, yml).await else {
            return;
        };
        post(&server, vec![am_alert(&[("alertname", "Auth")])]).await;
        let b = bearer
            .wait_for(WAIT, "the bearer notification", |r| !r.is_empty())
            .await;
        let a = basic
            .wait_for(WAIT, "the basic-auth notification", |r| !r.is_empty())
            .await;
        let p = plain
            .wait_for(WAIT, "the plain notification", |r| !r.is_empty())
            .await;
        assert_eq!(header(&b[0], "authorization"), Some("Bearer t0ken-42"));
        // base64("alice:s3cret")
        assert_eq!(
            header(&a[0], "authorization"),
            Some("Basic YWxpY2U6czNjcmV0")
        );
        assert_eq!(header(&p[0], "authorization"), None);
        assert_eq!(header(&p[0], "content-type"), Some("application/json"));
    }
);

both_databases!(group_keys_have_alertmanagers_format, |db| async move {
    let sink = Sink::start().await;
    let yml = format!(
        "route:\n  receiver: sink\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1h\n  repeat_interval: 1h\n  routes:\n\
         \x20   - matchers: ['team=\"a\"', 'env=\"prod\"']\n      group_by: [alertname, job]\n\
         \x20   - matchers: ['team=\"b\"']\n      routes:\n        - matchers: ['env=~\"dev|test\"']\n\
         \x20   - matchers: ['team=\"c\"']\n      group_by: ['...']\n\
         receivers:\n  - name: sink\n    webhook_configs:\n      - url: {}\n",
        sink.url
    );
    let Some(server) = start_with_config(db, yml).await else {
        return;
    };
    post(
        &server,
        vec![
            am_alert(&[("alertname", "Root")]),
            am_alert(&[
                ("alertname", "Prod"),
                ("team", "a"),
                ("env", "prod"),
                ("job", "api"),
            ]),
            am_alert(&[("alertname", "Dev"), ("team", "b"), ("env", "dev")]),
            am_alert(&[("alertname", "All"), ("team", "c"), ("zone", "z1")]),
        ],
    )
    .await;
    let got = sink
        .wait_for(WAIT, "four notifications", |r| r.len() >= 4)
        .await;
    let mut keys: Vec<&str> = got.iter().map(group_key_of).collect();
    keys.sort();
    // Route keys are the path of sorted matcher sets (`{a="b",c="d"}`), group labels are a
    // Prometheus label set (`{a="b", c="d"}`).
    let mut expected = vec![
        r#"{}:{alertname="Root"}"#,
        r#"{}/{env="prod",team="a"}:{alertname="Prod", job="api"}"#,
        r#"{}/{team="b"}/{env=~"dev|test"}:{alertname="Dev"}"#,
        r#"{}/{team="c"}:{alertname="All", team="c", zone="z1"}"#,
    ];
    expected.sort();
    assert_eq!(keys, expected);
    let root = got
        .iter()
        .find(|r| group_key_of(r) == r#"{}:{alertname="Root"}"#)
        .unwrap();
    assert_eq!(root.body["groupLabels"], json!({"alertname": "Root"}));
});
