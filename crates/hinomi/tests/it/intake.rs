//! Intake besides Alertmanager's API: PagerDuty's Events API v2 (`/v2/enqueue`,
//! `/v2/change/enqueue`) and hinomi's generic JSON intake, authenticated by integration
//! keys made with `hinomi integration create`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

const WAIT: Duration = Duration::from_secs(15);
const MIN: i64 = 60_000;

/// Alerts of integrations labelled `team=payments` go to the sink; the rest to `nobody`.
fn routing_config(sink: &Sink) -> String {
    format!(
        "route:\n  receiver: nobody\n  group_by: [dedup_key]\n  group_wait: 0s\n  group_interval: 1m\n  repeat_interval: 1h\n  routes:\n    - receiver: sink\n      matchers: ['team=\"payments\"']\nreceivers:\n  - name: nobody\n  - name: sink\n    webhook_configs:\n      - url: {}\n",
        sink.url
    )
}

/// PagerDuty writes offsets without a colon: `2015-07-17T08:42:58.315+0000`.
fn pd_time(ms: i64) -> String {
    api_time(ms).replace('Z', "+0000")
}

fn trigger(key: &str, dedup_key: Option<&str>, summary: &str, timestamp: Option<String>) -> Value {
    let mut event = json!({
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "db1", "severity": "critical"}
    });
    if let Some(k) = dedup_key {
        event["dedup_key"] = json!(k);
    }
    if let Some(ts) = timestamp {
        event["payload"]["timestamp"] = json!(ts);
    }
    event
}

async fn enqueue(server: &Server, event: &Value) -> (u16, Value) {
    let r = server.post_json("/v2/enqueue", event).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("/v2/enqueue answered {status} with non-JSON {text:?}: {e}"));
    (status, body)
}

/// Every listed alert whose `label` is `value`.
async fn alerts_with(server: &Server, label: &str, value: &str) -> Vec<Value> {
    let list = server.get_json("/api/v2/alerts").await;
    list.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"][label] == value)
        .cloned()
        .collect()
}

async fn wait_gone(server: &Server, label: &str, value: &str) {
    eventually_async(
        WAIT,
        &format!("the alert with {label}={value} to leave the list"),
        || async move {
            alerts_with(server, label, value)
                .await
                .is_empty()
                .then_some(())
        },
    )
    .await;
}

/// PagerDuty's error shape, with an error naming `needle`.
fn assert_pd_invalid(status: u16, body: &Value, needle: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["status"], "invalid event", "{body}");
    assert_eq!(body["message"], "Event object is invalid", "{body}");
    let errors = body["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().is_some_and(|e| e.contains(needle))),
        "no error names {needle:?}: {body}"
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
}

both_databases!(pagerduty_events_become_routed_alerts, |db| async move {
    let sink = Sink::start().await;
    let Some(server) = Server::start(
        db,
        Options {
            alertmanager_yml: Some(routing_config(&sink)),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let key = server.create_integration("pay", &[("team", "payments")]);
    let t = now_ms();

    let (status, body) = enqueue(
        &server,
        &trigger(
            &key,
            Some("disk-db1"),
            "Disk full on db1",
            Some(pd_time(t - 10 * MIN)),
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "disk-db1"})
    );
    let found = alerts_with(&server, "dedup_key", "disk-db1").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let alert = &found[0];
    assert_eq!(
        alert["labels"],
        json!({
            "dedup_key": "disk-db1",
            "integration": "pay",
            "severity": "critical",
            "source": "db1",
            "team": "payments"
        })
    );
    assert_eq!(alert["annotations"]["summary"], "Disk full on db1");
    assert_eq!(alert["startsAt"], api_time(t - 10 * MIN));
    assert_eq!(alert["receivers"], json!([{"name": "sink"}]));
    let got = sink
        .wait_for(WAIT, "the trigger delivered through the route", |r| {
            r.iter()
                .any(|n| alert_labels(n, "dedup_key").contains(&"disk-db1".to_owned()))
        })
        .await;
    let n = got
        .iter()
        .find(|n| alert_labels(n, "dedup_key").contains(&"disk-db1".to_owned()))
        .unwrap();
    assert_eq!(n.body["receiver"], "sink");
    assert_eq!(n.body["alerts"][0]["labels"]["team"], "payments");

    // The same dedup_key again: still one alert, which keeps its start.
    let (status, _) = enqueue(
        &server,
        &trigger(
            &key,
            Some("disk-db1"),
            "Disk still full",
            Some(pd_time(t - 5 * MIN)),
        ),
    )
    .await;
    assert_eq!(status, 202);
    let found = alerts_with(&server, "dedup_key", "disk-db1").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["startsAt"], api_time(t - 10 * MIN));
    assert_eq!(found[0]["annotations"]["summary"], "Disk still full");

    // PagerDuty's own timestamp example.
    let (status, _) = enqueue(
        &server,
        &trigger(
            &key,
            Some("old"),
            "old",
            Some("2015-07-17T08:42:58.315+0000".into()),
        ),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        alerts_with(&server, "dedup_key", "old").await[0]["startsAt"],
        "2015-07-17T08:42:58.315Z"
    );

    // No dedup_key: one is made, 32 hex digits like PagerDuty's.
    let (status, body) = enqueue(&server, &trigger(&key, None, "no key", None)).await;
    assert_eq!(status, 202, "{body}");
    let made = body["dedup_key"].as_str().expect("a dedup_key").to_owned();
    assert_eq!(made.len(), 32, "{made}");
    assert!(made.chars().all(|c| c.is_ascii_hexdigit()), "{made}");
    assert_eq!(alerts_with(&server, "dedup_key", &made).await.len(), 1);

    // An integration without the team label takes the default route.
    let other = server.create_integration("misc", &[]);
    let (status, _) = enqueue(&server, &trigger(&other, Some("misc-1"), "misc", None)).await;
    assert_eq!(status, 202);
    let misc = alerts_with(&server, "dedup_key", "misc-1").await;
    assert_eq!(misc[0]["receivers"], json!([{"name": "nobody"}]));
    assert_eq!(misc[0]["labels"]["integration"], "misc");

    let (status, body) = enqueue(
        &server,
        &json!({"routing_key": key, "event_action": "acknowledge", "dedup_key": "disk-db1"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "success");
    assert_eq!(body["dedup_key"], "disk-db1");
    assert_eq!(alerts_with(&server, "dedup_key", "disk-db1").await.len(), 1);

    let (status, body) = enqueue(
        &server,
        &json!({"routing_key": key, "event_action": "resolve", "dedup_key": "disk-db1"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "disk-db1"})
    );
    wait_gone(&server, "dedup_key", "disk-db1").await;
    // Only that one.
    assert_eq!(alerts_with(&server, "dedup_key", "old").await.len(), 1);
    // Resolving what is not open is accepted, as PagerDuty does.
    let (status, body) = enqueue(
        &server,
        &json!({"routing_key": key, "event_action": "resolve", "dedup_key": "never-seen"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    // The same dedup_key under another integration is another alert.
    let (status, _) = enqueue(&server, &trigger(&other, Some("old"), "misc old", None)).await;
    assert_eq!(status, 202);
    assert_eq!(alerts_with(&server, "dedup_key", "old").await.len(), 2);
});

both_databases!(
    a_retrigger_with_other_fields_keeps_the_alerts_start,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let key = server.create_integration("pay", &[]);
        let t = now_ms();
        let first = trigger(
            &key,
            Some("disk"),
            "Disk filling",
            Some(pd_time(t - 10 * MIN)),
        );
        assert_eq!(enqueue(&server, &first).await.0, 202);
        // The same incident escalates: other severity and source, same dedup_key. PagerDuty
        // folds it into the open incident, which keeps its start.
        let mut escalated = trigger(&key, Some("disk"), "Disk full", None);
        escalated["payload"]["severity"] = json!("warning");
        escalated["payload"]["source"] = json!("db1-replica");
        assert_eq!(enqueue(&server, &escalated).await.0, 202);
        let found = alerts_with(&server, "dedup_key", "disk").await;
        assert_eq!(found.len(), 1, "one dedup_key, one alert: {found:?}");
        assert_eq!(found[0]["labels"]["severity"], "warning");
        assert_eq!(found[0]["annotations"]["summary"], "Disk full");
        assert_eq!(
            found[0]["startsAt"],
            api_time(t - 10 * MIN),
            "the re-trigger restarted the incident"
        );
    }
);

both_databases!(pagerduty_rejections_and_change_events, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let key = server.create_integration("deploys", &[("team", "web")]);

    let (status, body) = enqueue(
        &server,
        &trigger("0123456789abcdef0123456789abcdef", Some("x"), "s", None),
    )
    .await;
    assert_pd_invalid(status, &body, "routing_key");

    let mut no_summary = trigger(&key, Some("x"), "s", None);
    no_summary["payload"]
        .as_object_mut()
        .unwrap()
        .remove("summary");
    let (status, body) = enqueue(&server, &no_summary).await;
    assert_pd_invalid(status, &body, "payload.summary");

    let mut bad_severity = trigger(&key, Some("x"), "s", None);
    bad_severity["payload"]["severity"] = json!("fatal");
    let (status, body) = enqueue(&server, &bad_severity).await;
    assert_pd_invalid(status, &body, "payload.severity");

    let (status, body) = enqueue(
        &server,
        &json!({"routing_key": key, "event_action": "resolve"}),
    )
    .await;
    assert_pd_invalid(status, &body, "dedup_key");

    let (status, body) = enqueue(&server, &trigger(&key, Some(&"k".repeat(256)), "s", None)).await;
    assert_pd_invalid(status, &body, "dedup_key");
    let (status, body) = enqueue(&server, &trigger(&key, Some("x"), &"s".repeat(1025), None)).await;
    assert_pd_invalid(status, &body, "payload.summary");

    let mut bad_time = trigger(&key, Some("x"), "s", None);
    bad_time["payload"]["timestamp"] = json!("17 July 2015");
    let (status, body) = enqueue(&server, &bad_time).await;
    assert_pd_invalid(status, &body, "payload.timestamp");
    assert_eq!(server.get_json("/api/v2/alerts").await, json!([]));

    // A revoked key stops working at once.
    let revoked = server.create_integration("old-tool", &[]);
    let (status, _) = enqueue(&server, &trigger(&revoked, Some("r"), "s", None)).await;
    assert_eq!(status, 202);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .args([
            "--database-url",
            &server.database_url,
            "integration",
            "revoke",
            "old-tool",
        ])
        .env_remove("HINOMI_CONFIG")
        .output()
        .await
        .expect("run hinomi integration revoke");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, body) = enqueue(&server, &trigger(&revoked, Some("r"), "s", None)).await;
    assert_pd_invalid(status, &body, "routing_key");

    let r = server
        .post_json(
            "/v2/change/enqueue",
            &json!({
                "routing_key": key,
                "payload": {
                    "summary": "Deployed build 4711",
                    "source": "ci-runner",
                    "timestamp": "2015-07-17T08:42:58.315+0000",
                    "custom_details": {"build": 4711}
                },
                "links": [{"href": "https://ci.example/4711", "text": "build"}]
            }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "success", "{body}");
    let r = server
        .post_json(
            "/v2/change/enqueue",
            &json!({"routing_key": "nope", "payload": {"summary": "x"}}),
        )
        .await;
    let status = r.status().as_u16();
    assert_pd_invalid(status, &r.json().await.unwrap(), "routing_key");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .args(["--database-url", &server.database_url, "changes"])
        .env_remove("HINOMI_CONFIG")
        .output()
        .await
        .expect("run hinomi changes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("Deployed build 4711"))
        .unwrap_or_else(|| panic!("the change is not listed:\n{stdout}"));
    assert!(line.contains("deploys"), "{line}");
    assert!(line.contains("ci-runner"), "{line}");
    assert!(line.contains("2015-07-17T08:42:58.315Z"), "{line}");
    assert_eq!(
        stdout.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "the refused change was stored:\n{stdout}"
    );
});

async fn generic(server: &Server, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = server.http.post(format!("{}{path}", server.url)).json(body);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{path} answered {status} with non-JSON {text:?}: {e}"));
    (status, body)
}

both_databases!(generic_intake_with_path_or_bearer_key, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let key = server.create_integration("monitor", &[("team", "infra")]);

    let (status, body) = generic(
        &server,
        &format!("/intake/generic/{key}"),
        None,
        &json!({
            "title": "Disk almost full",
            "dedup_key": "db1-disk",
            "labels": {"severity": "warning"},
            "annotations": {"runbook": "https://runbooks.example/disk"},
            "url": "https://monitor.example/db1"
        }),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, json!({"status": "success", "accepted": 1}));
    let found = alerts_with(&server, "dedup_key", "db1-disk").await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["labels"],
        json!({"dedup_key": "db1-disk", "integration": "monitor", "severity": "warning", "team": "infra"})
    );
    assert_eq!(
        found[0]["annotations"],
        json!({"runbook": "https://runbooks.example/disk", "summary": "Disk almost full"})
    );
    assert_eq!(found[0]["generatorURL"], "https://monitor.example/db1");

    let (status, body) = generic(
        &server,
        "/intake/generic",
        Some(&key),
        &json!([
            {"title": "A", "dedup_key": "k-a"},
            {"title": "B", "labels": {"alertname": "B"}}
        ]),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(alerts_with(&server, "dedup_key", "k-a").await.len(), 1);
    let b = alerts_with(&server, "alertname", "B").await;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["labels"]["integration"], "monitor");

    let (status, body) = generic(
        &server,
        "/intake/generic",
        Some(&key),
        &json!({"status": "resolved", "dedup_key": "db1-disk"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    wait_gone(&server, "dedup_key", "db1-disk").await;
    assert_eq!(alerts_with(&server, "dedup_key", "k-a").await.len(), 1);

    let one = json!({"title": "unauthorised"});
    for (path, bearer) in [
        ("/intake/generic", None),
        ("/intake/generic", Some("0123456789abcdef0123456789abcdef")),
        ("/intake/generic/0123456789abcdef0123456789abcdef", None),
        ("/intake/generic/x", Some(key.as_str())),
    ] {
        let (status, body) = generic(&server, path, bearer, &one).await;
        assert_eq!(status, 401, "{path} {bearer:?}: {body}");
        assert!(
            body["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("key")),
            "{body}"
        );
    }
    let list = server.get_json("/api/v2/alerts").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
});
