//! Alertmanager API v2 compatibility through the real server: the exact bytes of listed
//! alerts, fingerprints, the `filter`/`active`/`silenced`/`inhibited`/`receiver` query
//! parameters, alert groups, the silence lifecycle, receivers, status, configuration
//! reload (HTTP and SIGHUP) and the operational endpoints.
//!
//! Expected values come from Alertmanager's behaviour (`api/v2/api.go`, the go-swagger
//! models in `api/v2/models`), not from hinomi's code.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

const WAIT: Duration = Duration::from_secs(15);
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

async fn start(db: Db, yml: &str) -> Option<Server> {
    Server::start(
        db,
        Options {
            alertmanager_yml: Some(yml.to_owned()),
            ..Options::default()
        },
    )
    .await
}

/// `model.LabelSet.Fingerprint()` rendered as Alertmanager's API does (`%016x`): FNV-1a 64
/// over the names in byte order, each name and value followed by 0xff.
fn am_fingerprint(labels: &[(&str, &str)]) -> String {
    let mut sorted = labels.to_vec();
    sorted.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for (name, value) in sorted {
        name.bytes().for_each(&mut add);
        add(0xff);
        value.bytes().for_each(&mut add);
        add(0xff);
    }
    format!("{hash:016x}")
}

/// `2006-01-02T15:04:05.000Z` exactly.
fn is_api_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

fn ms(s: &Value) -> i64 {
    hinomi_core::time::parse(s.as_str().expect("a time string")).expect("an RFC 3339 time")
}

async fn post_alerts(server: &Server, alerts: Value) {
    let r = server.post_json("/api/v2/alerts", &alerts).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "POST /api/v2/alerts: {body}");
    assert_eq!(body, "", "Alertmanager answers a post with an empty body");
}

async fn get_query(server: &Server, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    server
        .http
        .get(format!("{}{path}", server.url))
        .query(query)
        .send()
        .await
        .expect("request")
}

/// The `id` labels of the alerts a query lists, sorted and comma-joined.
async fn ids(server: &Server, query: &[(&str, &str)]) -> String {
    let r = get_query(server, "/api/v2/alerts", query).await;
    assert_eq!(r.status(), 200, "GET /api/v2/alerts {query:?}");
    let list: Value = r.json().await.unwrap();
    let mut ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["id"].as_str().unwrap_or("?"))
        .collect();
    ids.sort_unstable();
    ids.join(",")
}

async fn receivers(server: &Server) -> String {
    let r = server.get("/api/v2/receivers").await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn find_alert<'a>(list: &'a Value, label: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"][label] == value)
        .unwrap_or_else(|| panic!("no alert with {label}={value} in {list}"))
}

both_databases!(alerts_are_listed_in_alertmanager_format, |db| async move {
    let Some(server) = start(
        db,
        "global:\n  resolve_timeout: 7m\nroute:\n  receiver: team-x\nreceivers:\n  - name: team-x\n",
    )
    .await
    else {
        return;
    };
    let t = now_ms();
    let (starts, ends) = (api_time(t - MIN), api_time(t + HOUR));
    let before = now_ms();
    post_alerts(
        &server,
        json!([
            {
                "labels": {"alertname": "DiskFull", "instance": "db1"},
                "annotations": {"summary": "disk"},
                "startsAt": starts, "endsAt": ends,
                "generatorURL": "http://prom.example/graph"
            },
            {
                // The empty label is dropped before the fingerprint is taken.
                "labels": {"alertname": "CpuHigh", "instance": "web1", "empty": ""},
                "startsAt": starts, "endsAt": ends
            }
        ]),
    )
    .await;
    let after = now_ms();

    let r = server.get("/api/v2/alerts").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let raw = r.text().await.unwrap();
    let list: Value = serde_json::from_str(&raw).unwrap();
    let disk_fp = am_fingerprint(&[("alertname", "DiskFull"), ("instance", "db1")]);
    let cpu_fp = am_fingerprint(&[("alertname", "CpuHigh"), ("instance", "web1")]);
    let updated = |fp: &str| -> String {
        let a = list
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["fingerprint"] == fp)
            .unwrap_or_else(|| panic!("no alert with fingerprint {fp} in {raw}"));
        let u = a["updatedAt"].as_str().unwrap().to_owned();
        assert!(is_api_time(&u), "updatedAt {u}");
        assert!(
            (before..=after).contains(&ms(&a["updatedAt"])),
            "updatedAt {u}"
        );
        u
    };
    let status = r#"{"inhibitedBy":[],"silencedBy":[],"state":"active"}"#;
    let disk = format!(
        r#"{{"annotations":{{"summary":"disk"}},"endsAt":"{ends}","fingerprint":"{disk_fp}","receivers":[{{"name":"team-x"}}],"startsAt":"{starts}","status":{status},"updatedAt":"{}","generatorURL":"http://prom.example/graph","labels":{{"alertname":"DiskFull","instance":"db1"}}}}"#,
        updated(&disk_fp)
    );
    let cpu = format!(
        r#"{{"annotations":{{}},"endsAt":"{ends}","fingerprint":"{cpu_fp}","receivers":[{{"name":"team-x"}}],"startsAt":"{starts}","status":{status},"updatedAt":"{}","labels":{{"alertname":"CpuHigh","instance":"web1"}}}}"#,
        updated(&cpu_fp)
    );
    // Sorted by fingerprint, as Alertmanager sorts the list.
    let expected = if disk_fp < cpu_fp {
        format!("[{disk},{cpu}]")
    } else {
        format!("[{cpu},{disk}]")
    };
    assert_eq!(raw.trim_end(), expected);

    // The same labels again update the alert instead of adding one.
    post_alerts(
        &server,
        json!([{
            "labels": {"alertname": "DiskFull", "instance": "db1"},
            "annotations": {"summary": "disk still full"},
            "startsAt": starts, "endsAt": ends
        }]),
    )
    .await;
    let list = server.get_json("/api/v2/alerts").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let disk = find_alert(&list, "alertname", "DiskFull");
    assert_eq!(disk["annotations"]["summary"], "disk still full");
    assert_eq!(disk["startsAt"], starts.as_str());
    assert_eq!(disk["fingerprint"], disk_fp.as_str());

    // Prometheus resolves by sending endsAt = now: the alert leaves the list.
    post_alerts(
        &server,
        json!([{
            "labels": {"alertname": "CpuHigh", "instance": "web1"},
            "startsAt": starts, "endsAt": api_time(now_ms() - 1)
        }]),
    )
    .await;
    let list = server.get_json("/api/v2/alerts").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["fingerprint"], disk_fp.as_str());

    // No endsAt: it ends resolve_timeout (7m) after it was received.
    let before = now_ms();
    post_alerts(&server, json!([{"labels": {"alertname": "NoEnd"}}])).await;
    let after = now_ms();
    // Already over: accepted, and not listed.
    post_alerts(
        &server,
        json!([{
            "labels": {"alertname": "Over"},
            "startsAt": api_time(t - 2 * HOUR), "endsAt": api_time(t - HOUR)
        }]),
    )
    .await;
    let list = server.get_json("/api/v2/alerts").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["alertname"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"Over"), "{names:?}");
    let no_end = find_alert(&list, "alertname", "NoEnd");
    assert!(
        (before + 7 * MIN..=after + 7 * MIN).contains(&ms(&no_end["endsAt"])),
        "endsAt {} is not receipt + 7m",
        no_end["endsAt"]
    );
    assert!((before..=after).contains(&ms(&no_end["startsAt"])));
    let fps: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["fingerprint"].as_str().unwrap())
        .collect();
    let mut sorted = fps.clone();
    sorted.sort_unstable();
    assert_eq!(fps, sorted, "sorted by fingerprint");
    for a in list.as_array().unwrap() {
        for key in ["startsAt", "endsAt", "updatedAt"] {
            assert!(is_api_time(a[key].as_str().unwrap()), "{key}: {a}");
        }
    }
});

/// Routes to three receivers, `...` grouping for one, and an inhibition rule.
const FILTER_CONFIG: &str = "\
route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: db-team
      matchers: ['team=\"db\"']
    - receiver: ops
      matchers: ['team=\"ops\"']
      group_by: ['...']
receivers:
  - name: default
  - name: db-team
  - name: ops
inhibit_rules:
  - source_matchers: ['severity=\"critical\"']
    target_matchers: ['severity=\"warning\"']
    equal: [cluster]
";

/// a: critical db alert; b: warning db alert inhibited by a; c, d: ops alerts (d gets
/// silenced by the test); e: goes to the default receiver.
fn filter_alerts() -> Value {
    let alert = |labels: &[(&str, &str)]| am_alert(labels);
    json!([
        alert(&[
            ("id", "a"),
            ("alertname", "DiskFull"),
            ("team", "db"),
            ("severity", "critical"),
            ("cluster", "c1")
        ]),
        alert(&[
            ("id", "b"),
            ("alertname", "DiskFull"),
            ("team", "db"),
            ("severity", "warning"),
            ("cluster", "c1")
        ]),
        alert(&[
            ("id", "c"),
            ("alertname", "HighLatency"),
            ("team", "ops"),
            ("severity", "warning"),
            ("cluster", "c2")
        ]),
        alert(&[
            ("id", "d"),
            ("alertname", "Noise"),
            ("team", "ops"),
            ("severity", "info"),
            ("cluster", "c2")
        ]),
        alert(&[("id", "e"), ("alertname", "Other"), ("severity", "info")]),
    ])
}

fn silence_body(matchers: Value, starts: i64, ends: i64) -> Value {
    json!({
        "matchers": matchers,
        "startsAt": api_time(starts),
        "endsAt": api_time(ends),
        "createdBy": "tester",
        "comment": "test silence"
    })
}

fn eq_matcher(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value, "isRegex": false, "isEqual": true})
}

async fn create_silence(server: &Server, body: &Value) -> String {
    let r = server.post_json("/api/v2/silences", body).await;
    let status = r.status();
    let raw = r.text().await.unwrap();
    assert_eq!(status, 200, "POST /api/v2/silences: {raw}");
    let v: Value = serde_json::from_str(&raw).unwrap();
    let id = v["silenceID"].as_str().expect("silenceID").to_owned();
    assert_eq!(raw.trim_end(), format!(r#"{{"silenceID":"{id}"}}"#));
    id
}

both_databases!(alert_filters_follow_alertmanager, |db| async move {
    let Some(server) = start(db, FILTER_CONFIG).await else {
        return;
    };
    post_alerts(&server, filter_alerts()).await;
    let t = now_ms();
    let silence = create_silence(
        &server,
        &silence_body(json!([eq_matcher("alertname", "Noise")]), t, t + HOUR),
    )
    .await;

    assert_eq!(ids(&server, &[]).await, "a,b,c,d,e");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("filter", r#"alertname="DiskFull""#)], "a,b"),
        (&[("filter", "alertname=DiskFull")], "a,b"),
        (&[("filter", r#"alertname!="DiskFull""#)], "c,d,e"),
        (&[("filter", r#"alertname=~"Disk.*|High.*""#)], "a,b,c"),
        (&[("filter", r#"alertname!~"Disk.*""#)], "c,d,e"),
        // Regexes are anchored.
        (&[("filter", r#"alertname=~"Disk""#)], ""),
        (&[("filter", r#"{team="db"}"#)], "a,b"),
        (
            &[
                ("filter", r#"team="ops""#),
                ("filter", r#"severity="warning""#),
            ],
            "c",
        ),
        (&[("filter", r#"team="nobody""#)], ""),
        // An absent label is the empty string to a matcher.
        (&[("filter", r#"team="""#)], "e"),
        (&[("active", "false")], "b,d"),
        (&[("silenced", "false")], "a,b,c,e"),
        (&[("inhibited", "false")], "a,c,d,e"),
        (&[("active", "false"), ("silenced", "false")], "b"),
        (
            &[
                ("active", "true"),
                ("silenced", "true"),
                ("inhibited", "true"),
            ],
            "a,b,c,d,e",
        ),
        (&[("receiver", "db-team")], "a,b"),
        (&[("receiver", "db")], ""),
        (&[("receiver", "db.*")], "a,b"),
        (&[("receiver", "ops|default")], "c,d,e"),
        (
            &[("receiver", "ops"), ("filter", r#"severity="warning""#)],
            "c",
        ),
    ];
    for (query, want) in cases {
        assert_eq!(ids(&server, query).await, *want, "query {query:?}");
    }

    let list = server.get_json("/api/v2/alerts").await;
    let a = find_alert(&list, "id", "a");
    let b = find_alert(&list, "id", "b");
    assert_eq!(
        b["status"],
        json!({"inhibitedBy": [a["fingerprint"]], "silencedBy": [], "state": "suppressed"})
    );
    assert_eq!(b["receivers"], json!([{"name": "db-team"}]));
    assert_eq!(
        find_alert(&list, "id", "d")["status"],
        json!({"inhibitedBy": [], "silencedBy": [silence], "state": "suppressed"})
    );
    assert_eq!(
        a["status"],
        json!({"inhibitedBy": [], "silencedBy": [], "state": "active"})
    );
    assert_eq!(
        find_alert(&list, "id", "e")["receivers"],
        json!([{"name": "default"}])
    );
});

both_databases!(alert_groups_follow_the_routes_group_by, |db| async move {
    let Some(server) = start(db, FILTER_CONFIG).await else {
        return;
    };
    post_alerts(&server, filter_alerts()).await;
    let r = server.get("/api/v2/alerts/groups").await;
    assert_eq!(r.status(), 200);
    let raw = r.text().await.unwrap();
    let groups: Value = serde_json::from_str(&raw).unwrap();
    let groups = groups.as_array().unwrap();
    let summary: Vec<(String, Value, String)> = groups
        .iter()
        .map(|g| {
            let mut ids: Vec<&str> = g["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["labels"]["id"].as_str().unwrap())
                .collect();
            ids.sort_unstable();
            (
                g["receiver"]["name"].as_str().unwrap().to_owned(),
                g["labels"].clone(),
                ids.join(","),
            )
        })
        .collect();
    let want = |receiver: &str, labels: Value, ids: &str| {
        assert!(
            summary.contains(&(receiver.to_owned(), labels.clone(), ids.to_owned())),
            "no group {receiver} {labels} [{ids}] in {summary:?}"
        );
    };
    assert_eq!(summary.len(), 4, "{summary:?}");
    // The child route inherits group_by [alertname].
    want("db-team", json!({"alertname": "DiskFull"}), "a,b");
    want("default", json!({"alertname": "Other"}), "e");
    // `...` groups by every label: one group per alert.
    want(
        "ops",
        json!({"alertname": "HighLatency", "cluster": "c2", "id": "c", "severity": "warning", "team": "ops"}),
        "c",
    );
    want(
        "ops",
        json!({"alertname": "Noise", "cluster": "c2", "id": "d", "severity": "info", "team": "ops"}),
        "d",
    );
    // alertGroup's keys in go-swagger order: alerts, labels, receiver.
    assert!(
        raw.contains(r#"],"labels":{"alertname":"Other"},"receiver":{"name":"default"}}"#),
        "{raw}"
    );
    for g in groups {
        for a in g["alerts"].as_array().unwrap() {
            assert_eq!(a["receivers"], json!([g["receiver"]]), "{a}");
        }
    }

    let r = get_query(&server, "/api/v2/alerts/groups", &[("receiver", "ops")]).await;
    let only_ops: Value = r.json().await.unwrap();
    assert_eq!(only_ops.as_array().unwrap().len(), 2, "{only_ops}");
    assert!(
        only_ops
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["receiver"]["name"] == "ops")
    );
    let r = get_query(
        &server,
        "/api/v2/alerts/groups",
        &[("filter", r#"id="b""#), ("inhibited", "true")],
    )
    .await;
    let only_b: Value = r.json().await.unwrap();
    assert_eq!(only_b.as_array().unwrap().len(), 1, "{only_b}");
    assert_eq!(only_b[0]["alerts"].as_array().unwrap().len(), 1);
    let r = get_query(
        &server,
        "/api/v2/alerts/groups",
        &[("filter", r#"id="b""#), ("inhibited", "false")],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
});

async fn silence(server: &Server, id: &str) -> Value {
    server.get_json(&format!("/api/v2/silence/{id}")).await
}

async fn wait_state(server: &Server, id: &str, state: &str) {
    eventually_async(
        WAIT,
        &format!("silence {id} to be {state}"),
        || async move { (silence(server, id).await["status"]["state"] == state).then_some(()) },
    )
    .await;
}

/// Waits until the first listed alert is silenced by exactly `ids`.
async fn wait_silenced_by(server: &Server, ids: Value) {
    let ids = &ids;
    eventually_async(
        WAIT,
        &format!("the alert silenced by {ids}"),
        || async move {
            let alerts = server.get_json("/api/v2/alerts").await;
            (alerts[0]["status"]["silencedBy"] == *ids).then_some(())
        },
    )
    .await;
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

both_databases!(silences_follow_alertmanagers_rules, |db| async move {
    let Some(server) = start(db, "route:\n  receiver: r\nreceivers:\n  - name: r\n").await else {
        return;
    };
    post_alerts(
        &server,
        json!([am_alert(&[("alertname", "Maint"), ("host", "h1")])]),
    )
    .await;
    let t = now_ms();
    let first = create_silence(
        &server,
        &silence_body(json!([eq_matcher("alertname", "Maint")]), t, t + HOUR),
    )
    .await;
    assert!(is_uuid(&first), "{first}");
    let delete = |id: String| {
        let server = &server;
        async move {
            server
                .delete(&format!("/api/v2/silence/{id}"))
                .await
                .status()
        }
    };

    // The silence as GET shows it, keys in go-swagger order (gettableSilence's own, then
    // silence's; matcher's alphabetical).
    let r = server.get(&format!("/api/v2/silence/{first}")).await;
    assert_eq!(r.status(), 200);
    let raw = r.text().await.unwrap();
    let got: Value = serde_json::from_str(&raw).unwrap();
    let starts = got["startsAt"].as_str().unwrap().to_owned();
    assert!(is_api_time(&starts) && is_api_time(got["updatedAt"].as_str().unwrap()));
    assert_eq!(
        raw.trim_end(),
        format!(
            r#"{{"id":"{first}","status":{{"state":"active"}},"updatedAt":"{}","comment":"test silence","createdBy":"tester","endsAt":"{}","matchers":[{{"isEqual":true,"isRegex":false,"name":"alertname","value":"Maint"}}],"startsAt":"{starts}"}}"#,
            got["updatedAt"].as_str().unwrap(),
            api_time(t + HOUR)
        )
    );
    let alerts = server.get_json("/api/v2/alerts").await;
    assert_eq!(
        alerts[0]["status"],
        json!({"inhibitedBy": [], "silencedBy": [first], "state": "suppressed"})
    );

    // Same matchers, same start: updated in place.
    let mut update = silence_body(json!([eq_matcher("alertname", "Maint")]), 0, t + 2 * HOUR);
    update["id"] = json!(first);
    update["startsAt"] = json!(starts);
    update["comment"] = json!("longer");
    assert_eq!(create_silence(&server, &update).await, first);
    let s = silence(&server, &first).await;
    assert_eq!(s["comment"], "longer");
    assert_eq!(s["endsAt"], api_time(t + 2 * HOUR));
    assert_eq!(s["status"]["state"], "active");

    // New matchers on an active silence: the old one expires, a new id takes over.
    let mut changed = silence_body(
        json!([eq_matcher("alertname", "Maint"), eq_matcher("host", "h1")]),
        t,
        t + HOUR,
    );
    changed["id"] = json!(first);
    let second = create_silence(&server, &changed).await;
    assert_ne!(second, first);
    // (Polled: see `an_expired_silence_is_expired_at_once` for the same millisecond.)
    wait_state(&server, &first, "expired").await;
    assert_eq!(silence(&server, &second).await["status"]["state"], "active");
    wait_silenced_by(&server, json!([second])).await;

    // Updating an expired silence makes a new one; the expired one stays as it was.
    let mut revive = silence_body(json!([eq_matcher("alertname", "Maint")]), t, t + HOUR);
    revive["id"] = json!(first);
    let third = create_silence(&server, &revive).await;
    assert!(third != first && third != second, "{third}");
    wait_state(&server, &first, "expired").await;
    assert_eq!(delete(third.clone()).await, 200);

    // A pending silence is updated in place.
    let pending = create_silence(
        &server,
        &silence_body(
            json!([eq_matcher("alertname", "Later")]),
            t + HOUR,
            t + 2 * HOUR,
        ),
    )
    .await;
    assert_eq!(
        silence(&server, &pending).await["status"]["state"],
        "pending"
    );
    let mut later = silence_body(
        json!([eq_matcher("alertname", "Later")]),
        t + 90 * MIN,
        t + 3 * HOUR,
    );
    later["id"] = json!(pending);
    assert_eq!(create_silence(&server, &later).await, pending);
    let p = silence(&server, &pending).await;
    assert_eq!(p["startsAt"], api_time(t + 90 * MIN));
    assert_eq!(p["endsAt"], api_time(t + 3 * HOUR));
    assert_eq!(p["status"]["state"], "pending");

    // The list: active, then pending, then expired; each with its state.
    let list = server.get_json("/api/v2/silences").await;
    let order: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap(),
                s["status"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order[..2],
        [(second.as_str(), "active"), (pending.as_str(), "pending")]
    );
    let mut expired = order[2..].to_vec();
    expired.sort_unstable();
    let mut want = vec![(first.as_str(), "expired"), (third.as_str(), "expired")];
    want.sort_unstable();
    assert_eq!(expired, want);
    // Expired ones: the most recently ended first.
    assert!(ms(&list[2]["endsAt"]) >= ms(&list[3]["endsAt"]), "{list}");

    // filter on silences.
    let r = get_query(
        &server,
        "/api/v2/silences",
        &[("filter", r#"alertname="Later""#)],
    )
    .await;
    let only: Value = r.json().await.unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    assert_eq!(only[0]["id"], pending.as_str());
    let r = get_query(&server, "/api/v2/silences", &[("filter", r#"host="h1""#)]).await;
    let only: Value = r.json().await.unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    assert_eq!(only[0]["id"], second.as_str());

    // DELETE expires; expiring again is still 200; the alert is active again.
    assert_eq!(delete(second.clone()).await, 200);
    wait_state(&server, &second, "expired").await;
    assert_eq!(delete(second.clone()).await, 200);
    wait_silenced_by(&server, json!([])).await;
    let alerts = server.get_json("/api/v2/alerts").await;
    assert_eq!(
        alerts[0]["status"],
        json!({"inhibitedBy": [], "silencedBy": [], "state": "active"})
    );
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(delete(unknown.to_owned()).await, 404);
    assert_eq!(
        server
            .get(&format!("/api/v2/silence/{unknown}"))
            .await
            .status(),
        404
    );
});

const SECRET_CONFIG: &str = "\
global:
  resolve_timeout: 5m
route:
  receiver: sink
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: {sink}
        http_config:
          basic_auth:
            username: alice
            password: hunter2
  - name: other
";

both_databases!(
    status_receivers_and_operational_endpoints,
    |db| async move {
        let sink = Sink::start().await;
        let Some(server) = start(db, &SECRET_CONFIG.replace("{sink}", &sink.url)).await else {
            return;
        };
        assert_eq!(
            receivers(&server).await.trim_end(),
            r#"[{"name":"sink"},{"name":"other"}]"#
        );

        let status = server.get_json("/api/v2/status").await;
        assert_eq!(status["cluster"]["status"], "disabled");
        assert_eq!(status["cluster"]["peers"], json!([]));
        assert!(is_api_time(status["uptime"].as_str().unwrap()), "{status}");
        let original = status["config"]["original"]
            .as_str()
            .expect("config.original");
        assert!(
            !original.contains("hunter2"),
            "a secret is shown: {original}"
        );
        assert!(original.contains("<secret>"), "{original}");
        assert!(original.contains("alice"), "{original}");
        let parsed = hinomi_core::Config::parse(original)
            .unwrap_or_else(|e| panic!("config.original does not parse: {e}\n{original}"));
        let names: Vec<&str> = parsed.receivers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["sink", "other"]);
        let version = status["versionInfo"].as_object().expect("versionInfo");
        let mut keys: Vec<&str> = version.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "branch",
                "buildDate",
                "buildUser",
                "goVersion",
                "revision",
                "version"
            ]
        );
        assert!(version.values().all(Value::is_string), "{status}");

        for path in ["/-/healthy", "/-/ready"] {
            assert_eq!(server.get(path).await.status(), 200, "GET {path}");
            let head = server
                .http
                .head(format!("{}{path}", server.url))
                .send()
                .await
                .unwrap();
            assert_eq!(head.status(), 200, "HEAD {path}");
        }

        post_alerts(&server, json!([am_alert(&[("alertname", "Metered")])])).await;
        sink.wait_for(WAIT, "the notification", |r| !r.is_empty())
            .await;
        let server = &server;
        let text = eventually_async(WAIT, "all metrics on /metrics", || async move {
            let r = server.get("/metrics").await;
            assert_eq!(r.status(), 200);
            let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            let text = r.text().await.unwrap();
            [
                "hinomi_alerts_received_total",
                "hinomi_intake_commit_seconds",
                "hinomi_outbox_pending",
                "hinomi_notifications_total",
            ]
            .iter()
            .all(|m| text.lines().any(|l| l.starts_with(m)))
            .then_some(text)
        })
        .await;
        // Prometheus text: every sample line is `name{labels} value` or `name value`.
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
                "not a sample line: {line}"
            );
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("hinomi_alerts_received_total{")
                    && l.contains("alertmanager")),
            "{text}"
        );
        // On SQLite the acknowledged alert went through the log-sync thread: its fsyncs
        // are counted, and each made at least one commit durable.
        let sample = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
        };
        let fsyncs = sample("hinomi_wal_fsync_seconds_count");
        let synced = sample("hinomi_wal_fsync_commits_sum");
        if db == Db::Sqlite {
            let (fsyncs, synced) = (fsyncs.expect("fsync count"), synced.expect("commits"));
            assert!(
                fsyncs >= 1.0 && synced >= fsyncs,
                "{fsyncs} fsyncs, {synced} commits"
            );
        } else {
            assert_eq!(fsyncs, None, "PostgreSQL syncs its own commits");
        }
    }
);

both_databases!(reload_by_http_and_sighup, |db| async move {
    let Some(server) = start(
        db,
        "route:\n  receiver: a\nreceivers:\n  - name: a\n  - name: b\n",
    )
    .await
    else {
        return;
    };
    let path = server.config_path.clone().expect("config file");
    post_alerts(&server, json!([am_alert(&[("alertname", "Routed")])])).await;
    assert_eq!(
        receivers(&server).await.trim_end(),
        r#"[{"name":"a"},{"name":"b"}]"#
    );

    std::fs::write(
        &path,
        "route:\n  receiver: c\nreceivers:\n  - name: a\n  - name: c\n",
    )
    .unwrap();
    let r = server.post_raw("/-/reload", "").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        receivers(&server).await.trim_end(),
        r#"[{"name":"a"},{"name":"c"}]"#
    );
    // Stored alerts are routed under the new tree.
    let alerts = server.get_json("/api/v2/alerts").await;
    assert_eq!(alerts[0]["receivers"], json!([{"name": "c"}]));

    // A broken file is refused with its problem, and the running configuration stays.
    for (broken, needle) in [
        (
            "route:\n  receiver: nope\nreceivers:\n  - name: a\n",
            "nope",
        ),
        ("route: [\n", "route"),
    ] {
        std::fs::write(&path, broken).unwrap();
        let r = server.post_raw("/-/reload", "").await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_client_error(), "{status}: {body}");
        assert!(
            body.contains(needle) || body.contains("line"),
            "the error does not name the problem: {body}"
        );
        assert_eq!(
            receivers(&server).await.trim_end(),
            r#"[{"name":"a"},{"name":"c"}]"#
        );
        let status = server.get_json("/api/v2/status").await;
        let shown = status["config"]["original"].as_str().unwrap();
        assert!(
            shown.contains("name: c") && !shown.contains("nope"),
            "{shown}"
        );
    }

    std::fs::write(
        &path,
        "route:\n  receiver: a\nreceivers:\n  - name: a\n  - name: d\n",
    )
    .unwrap();
    let hup = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(server.pid().to_string())
        .status()
        .unwrap();
    assert!(hup.success());
    let server = &server;
    eventually_async(
        WAIT,
        "the configuration reloaded by SIGHUP",
        || async move {
            (receivers(server).await.trim_end() == r#"[{"name":"a"},{"name":"d"}]"#).then_some(())
        },
    )
    .await;
    let status = server.get_json("/api/v2/status").await;
    assert!(
        status["config"]["original"]
            .as_str()
            .unwrap()
            .contains("name: d"),
        "{status}"
    );
    assert_eq!(server.get("/-/healthy").await.status(), 200);
});

both_databases!(an_expired_silence_is_expired_at_once, |db| async move {
    let Some(server) = start(db, "route:\n  receiver: r\nreceivers:\n  - name: r\n").await else {
        return;
    };
    post_alerts(&server, json!([am_alert(&[("alertname", "Quick")])])).await;
    // Alertmanager's clock has nanoseconds, so whatever follows a DELETE sees the silence
    // over. Tried many times, as the window is the millisecond of the DELETE.
    for round in 0..150 {
        let t = now_ms();
        let (starts, ends) = if round % 2 == 0 {
            (t, t + HOUR)
        } else {
            (t + HOUR, t + 2 * HOUR)
        };
        let id = create_silence(
            &server,
            &silence_body(json!([eq_matcher("alertname", "Quick")]), starts, ends),
        )
        .await;
        let r = server.delete(&format!("/api/v2/silence/{id}")).await;
        assert_eq!(r.status(), 200);
        let state = silence(&server, &id).await["status"]["state"].clone();
        let alerts = server.get_json("/api/v2/alerts").await;
        assert_eq!(
            state, "expired",
            "round {round}: silence {id} answered DELETE with 200 but is still {state}"
        );
        assert_eq!(
            alerts[0]["status"]["silencedBy"],
            json!([]),
            "round {round}: an expired silence still mutes"
        );
    }
});
