//! Bad input gets a clear error, never a 500, and loses nothing already accepted: tables of
//! malformed requests to every intake route, and a few hundred garbled bodies per POST
//! route thrown at one running server.

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// Query parameters, in order.
type Query<'a> = &'a [(&'a str, &'a str)];

/// Alertmanager's error shape: a bare JSON string. Answers the message.
async fn am_error(r: reqwest::Response, what: &str) -> (u16, String) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let message = match serde_json::from_str::<Value>(&text) {
        Ok(Value::String(m)) => m,
        _ => panic!("{what}: {status}: the body is not a bare JSON string: {text:?}"),
    };
    (status, message)
}

async fn ids(server: &Server) -> Vec<String> {
    let list = server.get_json("/api/v2/alerts").await;
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["id"].as_str().unwrap_or("?").to_owned())
        .collect();
    ids.sort_unstable();
    ids
}

both_databases!(malformed_alert_posts_get_a_named_4xx, |db| async move {
    let Some(server) = Server::start(
        db,
        Options {
            env: vec![
                ("HINOMI_INTAKE__MAX_LABEL_VALUE_BYTES".into(), "64".into()),
                ("HINOMI_INTAKE__MAX_BODY_BYTES".into(), "4096".into()),
                ("HINOMI_INTAKE__MAX_ALERTS_PER_REQUEST".into(), "5".into()),
            ],
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let now = now_ms();
    let alert = |extra: Value| {
        let mut a = json!({"labels": {"alertname": "A"}});
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!([a]).to_string().into_bytes()
    };
    let long_value = "v".repeat(65);
    let huge = json!([{"labels": {"alertname": "A"}, "annotations": {"pad": "x".repeat(5000)}}]);
    let cases: Vec<(&str, Vec<u8>, u16, &[&str])> = vec![
        ("not JSON", b"this is not json".to_vec(), 400, &["body"]),
        ("empty body", Vec::new(), 400, &["body"]),
        (
            "an object, not an array",
            br#"{"labels":{"alertname":"A"}}"#.to_vec(),
            400,
            &["body", "array"],
        ),
        (
            "trailing garbage",
            br#"[{"labels":{"alertname":"A"}}] x"#.to_vec(),
            400,
            &["body"],
        ),
        (
            "deep nesting",
            "[".repeat(2000).into_bytes(),
            400,
            &["body"],
        ),
        ("array of numbers", b"[1,2]".to_vec(), 400, &["alerts[0]"]),
        (
            "labels a string",
            br#"[{"labels":"alertname=A"}]"#.to_vec(),
            400,
            &["alerts[0]"],
        ),
        (
            "label value a number",
            br#"[{"labels":{"alertname":1}}]"#.to_vec(),
            400,
            &["alerts[0]"],
        ),
        (
            "annotations an array",
            alert(json!({"annotations": []})),
            400,
            &["alerts[0]"],
        ),
        (
            "startsAt a number",
            alert(json!({"startsAt": 12})),
            400,
            &["alerts[0]"],
        ),
        (
            "labels missing",
            br#"[{"annotations":{"summary":"x"}}]"#.to_vec(),
            400,
            &["alerts[0].labels"],
        ),
        (
            "labels null",
            br#"[{"labels":null}]"#.to_vec(),
            400,
            &["alerts[0].labels"],
        ),
        (
            "empty label set",
            br#"[{"labels":{}}]"#.to_vec(),
            400,
            &["alerts[0].labels", "at least one label pair"],
        ),
        (
            "only empty values",
            br#"[{"labels":{"alertname":""}}]"#.to_vec(),
            400,
            &["alerts[0].labels", "at least one label pair"],
        ),
        (
            "label name starting with a digit",
            br#"[{"labels":{"0abc":"x"}}]"#.to_vec(),
            400,
            &["alerts[0].labels", "0abc"],
        ),
        (
            "label name with a dash",
            br#"[{"labels":{"alertname":"A","bad-name":"x"}}]"#.to_vec(),
            400,
            &["alerts[0].labels", "bad-name"],
        ),
        (
            "label value over the limit",
            json!([{"labels": {"alertname": "A", "big": long_value}}])
                .to_string()
                .into_bytes(),
            400,
            &["alerts[0].labels", "big", "64"],
        ),
        (
            "endsAt before startsAt",
            alert(json!({"startsAt": api_time(now), "endsAt": api_time(now - HOUR)})),
            400,
            &["alerts[0]", "end time"],
        ),
        (
            "startsAt not a time",
            alert(json!({"startsAt": "yesterday"})),
            400,
            &["alerts[0].startsAt", "yesterday"],
        ),
        (
            "endsAt out of range",
            alert(json!({"endsAt": "2024-13-45T00:00:00Z"})),
            400,
            &["alerts[0].endsAt"],
        ),
        (
            "endsAt without a zone",
            alert(json!({"endsAt": "2024-01-01 00:00:00"})),
            400,
            &["alerts[0].endsAt"],
        ),
        (
            "invalid UTF-8",
            b"[{\"labels\":{\"alertname\":\"\xff\xfe\"}}]".to_vec(),
            400,
            &["body"],
        ),
        (
            "body over the limit",
            huge.to_string().into_bytes(),
            413,
            &["limit", "4096"],
        ),
        (
            "more alerts than allowed",
            json!(
                (0..6)
                    .map(|i| json!({"labels": {"alertname": format!("A{i}")}}))
                    .collect::<Vec<_>>()
            )
            .to_string()
            .into_bytes(),
            413,
            &["6 alerts", "5"],
        ),
    ];
    for (what, body, want_status, needles) in cases {
        let r = server.post_raw("/api/v2/alerts", body).await;
        let (status, message) = am_error(r, what).await;
        assert_eq!(status, want_status, "{what}: {message}");
        for needle in needles {
            assert!(
                message.contains(needle),
                "{what}: the error {message:?} does not name {needle:?}"
            );
        }
    }
    assert_eq!(
        server.get_json("/api/v2/alerts").await,
        json!([]),
        "an invalid alert was stored"
    );
    // The limits bound what is refused, not what is accepted.
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([{"labels": {"alertname": "A", "fits": "v".repeat(64)}}]),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(server.get("/-/healthy").await.status(), 200);
});

both_databases!(a_mixed_batch_stores_its_valid_alerts, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let batches = [
        (
            json!([
                {"labels": {"id": "a"}},
                {"labels": {"id": "b", "0abc": "x"}},
                {"labels": {"id": "c"}}
            ]),
            "0abc",
        ),
        (
            json!([
                {"labels": {"id": "d"}},
                {"labels": {"id": 5}},
                {"labels": {"id": "e"}}
            ]),
            "alerts[1]",
        ),
        (
            json!([
                {"labels": {"id": "f"}},
                {"labels": {"id": "g"}, "startsAt": "soon"},
                {"labels": {"id": "h"}}
            ]),
            "startsAt",
        ),
    ];
    for (batch, needle) in batches {
        let r = server.post_json("/api/v2/alerts", &batch).await;
        let (status, message) = am_error(r, needle).await;
        assert_eq!(status, 400, "{message}");
        assert!(message.contains("alerts[1]"), "{message}");
        assert!(message.contains(needle), "{message}");
        assert!(
            !message.contains("alerts[0]") && !message.contains("alerts[2]"),
            "a valid alert was reported: {message}"
        );
    }
    assert_eq!(ids(&server).await, ["a", "c", "d", "e", "f", "h"]);
});

fn silence(matchers: Value, starts: i64, ends: i64) -> Value {
    json!({
        "matchers": matchers,
        "startsAt": api_time(starts),
        "endsAt": api_time(ends),
        "createdBy": "tester",
        "comment": "why"
    })
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

/// PagerDuty's error shape with an error naming `needle`.
async fn assert_pd_invalid(r: reqwest::Response, needle: &str) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON: {text:?}: {e}"));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["status"], "invalid event", "{body}");
    assert_eq!(body["message"], "Event object is invalid", "{body}");
    assert!(
        body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e.as_str().is_some_and(|e| e.contains(needle))),
        "no error names {needle:?}: {body}"
    );
}

both_databases!(
    bad_queries_silences_and_events_are_refused,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        server
            .post_json(
                "/api/v2/alerts",
                &json!([am_alert(&[("alertname", "Kept")])]),
            )
            .await;

        let queries: &[(&str, Query, &str)] = &[
            ("/api/v2/alerts", &[("filter", "alertname")], "filter"),
            (
                "/api/v2/alerts",
                &[("filter", r#"alertname=~"(""#)],
                "filter",
            ),
            ("/api/v2/alerts/groups", &[("filter", "=x")], "filter"),
            ("/api/v2/silences", &[("filter", "alertname")], "filter"),
            ("/api/v2/alerts", &[("receiver", "(")], "receiver"),
            ("/api/v2/alerts/groups", &[("receiver", "a[")], "receiver"),
            ("/api/v2/alerts", &[("active", "maybe")], "active"),
            ("/api/v2/alerts", &[("silenced", "2")], "silenced"),
            (
                "/api/v2/alerts/groups",
                &[("inhibited", "yes")],
                "inhibited",
            ),
        ];
        for (path, query, needle) in queries {
            let r = server
                .http
                .get(format!("{}{path}", server.url))
                .query(query)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            // Alertmanager answers 400 to a bad matcher or regex; go-swagger answers 422 to a
            // parameter that is not a boolean. Either way: a client error naming the parameter.
            assert!(
                status.is_client_error(),
                "{path} {query:?}: {status} {text}"
            );
            if !["active", "silenced", "inhibited"].contains(needle) {
                assert_eq!(status, 400, "{path} {query:?}: {text}");
            }
            assert!(text.contains(needle), "{path} {query:?}: {text}");
        }

        let now = now_ms();
        let m = json!([{"name": "alertname", "value": "Kept", "isRegex": false}]);
        let good = silence(m.clone(), now, now + HOUR);
        let silences: Vec<(&str, Vec<u8>, &[&str])> = vec![
            (
                "no matchers",
                silence(json!([]), now, now + HOUR).to_string().into_bytes(),
                &["matchers"],
            ),
            (
                "matchers missing",
                without(good.clone(), "matchers").to_string().into_bytes(),
                &["matchers"],
            ),
            (
                "bad regex matcher",
                silence(
                    json!([{"name": "alertname", "value": "(", "isRegex": true}]),
                    now,
                    now + HOUR,
                )
                .to_string()
                .into_bytes(),
                &["matchers[0]"],
            ),
            (
                "matchers matching everything",
                silence(
                    json!([{"name": "alertname", "value": ".*", "isRegex": true}]),
                    now,
                    now + HOUR,
                )
                .to_string()
                .into_bytes(),
                &["empty"],
            ),
            (
                "endsAt in the past",
                silence(m.clone(), now - 2 * HOUR, now - HOUR)
                    .to_string()
                    .into_bytes(),
                &["end time", "past"],
            ),
            (
                "startsAt after endsAt",
                silence(m.clone(), now + 2 * HOUR, now + HOUR)
                    .to_string()
                    .into_bytes(),
                &["start time", "end time"],
            ),
            (
                "startsAt equal to endsAt",
                silence(m.clone(), now + HOUR, now + HOUR)
                    .to_string()
                    .into_bytes(),
                &["start time", "end time"],
            ),
            (
                "startsAt not a time",
                {
                    let mut s = good.clone();
                    s["startsAt"] = json!("now");
                    s.to_string().into_bytes()
                },
                &["startsAt"],
            ),
            (
                "createdBy missing",
                without(good.clone(), "createdBy").to_string().into_bytes(),
                &["createdBy"],
            ),
            (
                "comment missing",
                without(good.clone(), "comment").to_string().into_bytes(),
                &["comment"],
            ),
            ("malformed JSON", br#"{"matchers": [}"#.to_vec(), &["body"]),
            (
                "matcher of wrong type",
                {
                    let mut s = good.clone();
                    s["matchers"] = json!([{"name": "a", "value": 1, "isRegex": false}]);
                    s.to_string().into_bytes()
                },
                &["body"],
            ),
        ];
        for (what, body, needles) in silences {
            let r = server.post_raw("/api/v2/silences", body).await;
            let (status, message) = am_error(r, what).await;
            assert_eq!(status, 400, "{what}: {message}");
            for needle in needles {
                assert!(
                    message.contains(needle),
                    "{what}: the error {message:?} does not name {needle:?}"
                );
            }
        }
        let mut unknown = good.clone();
        unknown["id"] = json!("00000000-0000-4000-8000-000000000000");
        let r = server.post_json("/api/v2/silences", &unknown).await;
        assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
        assert_eq!(
            server.get_json("/api/v2/silences").await,
            json!([]),
            "a refused silence was stored"
        );

        let key = server.create_integration("pd", &[]);
        assert_pd_invalid(server.post_raw("/v2/enqueue", "{not json").await, "body").await;
        assert_pd_invalid(server.post_raw("/v2/enqueue", "[]").await, "body").await;
        assert_pd_invalid(
        server
            .post_json(
                "/v2/enqueue",
                &json!({"event_action": "trigger", "payload": {"summary": "s", "source": "s", "severity": "info"}}),
            )
            .await,
        "routing_key",
    )
    .await;
        assert_pd_invalid(
            server
                .post_json(
                    "/v2/enqueue",
                    &json!({"routing_key": key, "event_action": "explode", "dedup_key": "x"}),
                )
                .await,
            "event_action",
        )
        .await;
        assert_pd_invalid(
            server
                .post_json(
                    "/v2/enqueue",
                    &json!({"routing_key": key, "dedup_key": "x"}),
                )
                .await,
            "event_action",
        )
        .await;
        assert_pd_invalid(
            server
                .post_json(
                    "/v2/enqueue",
                    &json!({"routing_key": key, "event_action": "trigger"}),
                )
                .await,
            "payload",
        )
        .await;
        assert_pd_invalid(
            server
                .post_raw("/v2/change/enqueue", "{\"routing_key\":")
                .await,
            "body",
        )
        .await;

        // Generic intake: hinomi's own error shape, naming the event and field.
        let generic: &[(Value, &str)] = &[
            (json!({"title": "t", "status": "open"}), "events[0].status"),
            (json!([{"title": "t"}, {"labels": {}}]), "events[1].title"),
            (json!({"title": "t", "labels": {"0abc": "x"}}), "0abc"),
            (json!({"title": "t", "severity": "high"}), "severity"),
            (
                json!({"title": "t", "starts_at": "now"}),
                "events[0].starts_at",
            ),
            (json!("just a string"), "body"),
        ];
        for (body, needle) in generic {
            let r = server
                .post_json(&format!("/intake/generic/{key}"), body)
                .await;
            let status = r.status();
            let answer: Value = r.json().await.unwrap();
            assert_eq!(status, 400, "{body}: {answer}");
            assert_eq!(answer["code"], "invalid_request", "{body}: {answer}");
            assert!(
                answer["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(needle)),
                "{body}: the error does not name {needle:?}: {answer}"
            );
        }

        // Nothing refused was stored, and what was accepted before is still there.
        let list = server.get_json("/api/v2/alerts").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["labels"]["alertname"], "Kept");
    }
);

/// xorshift64*: a fixed seed makes every run throw the same bodies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "alertname",
    "matchers",
    "name",
    "value",
    "isRegex",
    "isEqual",
    "id",
    "createdBy",
    "comment",
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
    "links",
    "images",
    "client",
    "client_url",
    "title",
    "status",
    "url",
    "starts_at",
    "ends_at",
    "trigger",
    "acknowledge",
    "resolve",
    "critical",
    "warning",
    "info",
    "error",
    "firing",
    "resolved",
    "0abc",
    "bad-name",
    "",
    " ",
    "日本語",
    "\u{0}",
    "\u{202e}",
    "a\nb",
    ".*",
    "(",
    "a|b",
    "\\",
    "\"",
];

const TIMES: &[&str] = &[
    "2015-07-17T08:42:58.315+0000",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.123456789+09:00",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "now",
    "",
];

fn random_string(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => (*rng.pick(WORDS)).to_owned(),
        1 => (*rng.pick(TIMES)).to_owned(),
        2 => "x".repeat(rng.below(3000)),
        _ => (0..rng.below(12))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
    }
}

fn random_json(rng: &mut Rng, depth: usize, words: &[String]) -> Value {
    let kinds = if depth == 0 { 5 } else { 8 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => match rng.below(4) {
            0 => json!(rng.next() as i64),
            1 => json!(rng.below(100)),
            2 => json!(f64::from_bits(rng.next() & 0x7fef_ffff_ffff_ffff)),
            _ => json!(-1),
        },
        3 => json!(random_string(rng)),
        4 => json!(rng.pick(words)),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth - 1, words))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(6))
                .map(|_| {
                    let key = if rng.below(5) == 0 {
                        random_string(rng)
                    } else {
                        (*rng.pick(WORDS)).to_owned()
                    };
                    (key, random_json(rng, depth - 1, words))
                })
                .collect(),
        ),
    }
}

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "1e999",
    "-0",
    "\"\\ud800\"",
    "\\",
    "true",
    "\"0abc\"",
    "\"\"",
    "\"\\u0000\"",
    "日本",
    "\u{0}",
    "\u{feff}",
];

/// Replaces one value somewhere inside `v` (maybe `v` itself) by a random one.
fn replace_somewhere(rng: &mut Rng, v: &mut Value, words: &[String]) {
    match v {
        Value::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            replace_somewhere(rng, &mut items[i], words);
        }
        Value::Object(map) if !map.is_empty() && rng.below(4) != 0 => {
            let i = rng.below(map.len());
            replace_somewhere(rng, map.values_mut().nth(i).unwrap(), words);
        }
        _ => *v = random_json(rng, 3, words),
    }
}

/// A valid body, garbled one of several ways, or something else entirely.
fn garble(rng: &mut Rng, valid: &[u8], words: &[String]) -> Vec<u8> {
    let mut body = valid.to_vec();
    match rng.below(6) {
        0 => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
        1 => {
            for _ in 0..=rng.below(4) {
                if !body.is_empty() {
                    let at = rng.below(body.len());
                    body[at] = rng.next() as u8;
                }
            }
            body
        }
        2 => {
            body.truncate(rng.below(body.len() + 1));
            body
        }
        3 => {
            for _ in 0..=rng.below(3) {
                let at = rng.below(body.len() + 1);
                let fragment = rng.pick(FRAGMENTS).as_bytes();
                body.splice(at..at, fragment.iter().copied());
            }
            body
        }
        4 => {
            // The same shape with one value replaced by anything.
            let mut v: Value = serde_json::from_slice(valid).unwrap();
            replace_somewhere(rng, &mut v, words);
            v.to_string().into_bytes()
        }
        _ => random_json(rng, 4, words).to_string().into_bytes(),
    }
}

both_databases!(garbled_bodies_never_cause_a_5xx, |db| async move {
    let Some(server) = Server::start(
        db,
        Options {
            alertmanager_yml: Some("route:\n  receiver: r\nreceivers:\n  - name: r\n".into()),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let key = server.create_integration("fuzz", &[("team", "fuzz")]);
    server
        .post_json(
            "/api/v2/alerts",
            &json!([{"labels": {"alertname": "Sentinel", "id": "keep"}, "endsAt": api_time(now_ms() + 24 * HOUR)}]),
        )
        .await;
    let now = now_ms();
    let words: Vec<String> = WORDS
        .iter()
        .map(|w| (*w).to_owned())
        .chain([key.clone()])
        .collect();
    let routes: Vec<(String, bool, Value)> = vec![
        (
            "/api/v2/alerts".into(),
            false,
            json!([{
                "labels": {"alertname": "Fuzz", "severity": "info"},
                "annotations": {"summary": "s"},
                "startsAt": api_time(now), "endsAt": api_time(now + HOUR),
                "generatorURL": "http://g/x"
            }]),
        ),
        (
            "/api/v2/silences".into(),
            false,
            json!({
                "matchers": [{"name": "alertname", "value": "Fuzz.*", "isRegex": true, "isEqual": true}],
                "startsAt": api_time(now), "endsAt": api_time(now + HOUR),
                "createdBy": "fuzz", "comment": "fuzz"
            }),
        ),
        (
            "/v2/enqueue".into(),
            false,
            json!({
                "routing_key": key, "event_action": "trigger", "dedup_key": "fuzz",
                "payload": {"summary": "s", "source": "s", "severity": "info",
                            "timestamp": "2015-07-17T08:42:58.315+0000", "custom_details": {"a": 1}},
                "links": [{"href": "http://x"}], "images": []
            }),
        ),
        (
            "/v2/change/enqueue".into(),
            false,
            json!({"routing_key": key, "payload": {"summary": "s", "source": "s", "timestamp": "2015-07-17T08:42:58.315+0000"}}),
        ),
        (
            format!("/intake/generic/{key}"),
            false,
            json!({"title": "t", "dedup_key": "fuzz-g", "labels": {"severity": "info"}, "starts_at": api_time(now)}),
        ),
        (
            "/intake/generic".into(),
            true,
            json!([{"title": "t", "status": "resolved", "dedup_key": "fuzz-g"}, {"title": "u"}]),
        ),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (path, bearer, valid) in &routes {
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        let valid = valid.to_string().into_bytes();
        for _ in 0..250 {
            let body = garble(&mut rng, &valid, &words);
            let mut request = server
                .http
                .post(format!("{}{path}", server.url))
                .header("content-type", "application/json")
                .body(body.clone());
            if *bearer {
                request = request.bearer_auth(&key);
            }
            let r = request.send().await.expect("the server answers");
            let status = r.status().as_u16();
            *statuses.entry(status).or_default() += 1;
            let text = r.text().await.unwrap_or_default();
            assert!(
                status < 500,
                "POST {path} answered {status} {text:?} to {:?}",
                String::from_utf8_lossy(&body)
            );
        }
        // Most garbled bodies are refused and some still get through: both paths were taken.
        assert!(statuses.keys().any(|s| *s >= 400), "{path}: {statuses:?}");
        assert!(statuses.keys().any(|s| *s < 300), "{path}: {statuses:?}");
    }
    assert_eq!(server.get("/-/healthy").await.status(), 200);
    assert_eq!(server.get("/-/ready").await.status(), 200);
    let list = server.get_json("/api/v2/alerts").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["labels"]["id"] == "keep"),
        "the alert accepted before the fuzz is gone"
    );
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
});
