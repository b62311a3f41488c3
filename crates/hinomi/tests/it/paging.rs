//! Paging, black-box: people add and verify contact methods and notification rules, an
//! admin writes an escalation policy and binds it to a receiver, an alert opens a page whose
//! steps fire on the server's own timers; the page is answered through the API, the command
//! line and a message's one-time link (which a link prefetcher's GET does not use). The
//! timers outlive `kill -9`, and two instances on PostgreSQL fire each step once.

use std::time::Duration;

use hinomi_store::{SqliteSync, Store, StoreOptions};
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// Every group goes to `oncall`, which has no webhook: only the policy bound to it pages.
/// Groups flush every second, so a page resolves soon after its alerts do.
pub(crate) const PAGING_YML: &str = "global:\n  resolve_timeout: 1h\nroute:\n  receiver: oncall\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: oncall\n";

pub(crate) fn options() -> Options {
    Options {
        alertmanager_yml: Some(PAGING_YML.into()),
        ..Options::default()
    }
}

/// The server's database, for what only a message's recipient sees (a test message's code,
/// a link's token). Reads only.
pub(crate) async fn database(server: &Server) -> Store {
    Store::connect(&StoreOptions {
        url: server.database_url.clone(),
        sqlite_sync: SqliteSync::Normal,
        max_connections: 2,
    })
    .await
    .expect("open the server's database")
}

/// The envelopes (outbox payloads) sent to `receiver` (`user:<id>`, `page:<id>`), by due
/// time.
pub(crate) async fn envelopes(server: &Server, receiver: &str) -> Vec<(String, Value)> {
    let store = database(server).await;
    let rows = store.notices(receiver).await.unwrap();
    store.close().await;
    rows.into_iter()
        .map(|n| (n.state, serde_json::from_str(&n.payload).unwrap()))
        .collect()
}

/// The path (`/a/<token>`) of the one-time acknowledge link in the email page `page_id`
/// sent `recipient` at `address`.
pub(crate) async fn acknowledge_link(
    server: &Server,
    page_id: &str,
    recipient: &str,
    address: &str,
) -> String {
    let sent = envelopes(server, &format!("page:{page_id}")).await;
    let email = &sent
        .iter()
        .find(|(_, e)| e["contact"]["kind"] == "email" && e["notice"]["recipient"] == recipient)
        .expect("an email to the recipient")
        .1;
    assert_eq!(email["contact"]["address"], address);
    let link = email["notice"]["actions"]
        .as_array()
        .expect("the message's actions")
        .iter()
        .find(|a| a["kind"] == "acknowledge")
        .expect("an acknowledge link")["url"]
        .as_str()
        .expect("the link's address")
        .to_owned();
    link.split_once("/a/")
        .map(|(_, t)| format!("/a/{t}"))
        .expect("a link to /a/")
}

async fn call(
    client: &reqwest::Client,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method.parse().unwrap(), format!("{}{path}", server.url));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A user with `role` whose contact methods (kind, address, delay in minutes) are added,
/// tested, verified with the code their test message carried, and given a rule each.
/// Answers the user's id and a client acting as them.
pub(crate) async fn person(
    server: &Server,
    name: &str,
    role: &str,
    methods: &[(&str, &str, i64)],
) -> (String, reqwest::Client) {
    server.create_user(name, role);
    let client = authorized_client(&server.create_token(name, None));
    let (_, me) = call(&client, server, "GET", "/api/v1/me", None).await;
    let id = me["id"].as_str().unwrap().to_owned();
    for (kind, address, delay) in methods {
        let (s, m) = call(
            &client,
            server,
            "POST",
            "/api/v1/me/contact-methods",
            Some(json!({"kind": kind, "address": address, "label": kind})),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["verified"], false);
        let cm = m["id"].as_str().unwrap().to_owned();
        // Unverified, a method takes no rule's messages... but the rule may be made first.
        let (s, _) = call(
            &client,
            server,
            "POST",
            &format!("/api/v1/me/contact-methods/{cm}/test"),
            None,
        )
        .await;
        assert_eq!(s, 202);
        let sent = envelopes(server, &format!("user:{id}")).await;
        let test = sent
            .iter()
            .rev()
            .find(|(_, e)| e["contact"]["kind"] == *kind)
            .expect("a test message");
        let code = test.1["notice"]["kind"]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, m) = call(
            &client,
            server,
            "POST",
            &format!("/api/v1/me/contact-methods/{cm}/verify"),
            Some(json!({"code": code})),
        )
        .await;
        assert_eq!(s, 200, "{m}");
        assert_eq!(m["verified"], true);
        let (s, r) = call(
            &client,
            server,
            "POST",
            "/api/v1/me/notification-rules",
            Some(json!({"contact_method": cm, "delay_minutes": delay})),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
    (id, client)
}

/// A policy paging `steps` (each a list of usernames) `delay` apart, bound to `oncall`.
pub(crate) async fn policy(
    server: &Server,
    name: &str,
    delay: &str,
    steps: &[&[&str]],
    repeat: u32,
) {
    let steps: Vec<Value> = steps
        .iter()
        .map(|users| {
            let targets: Vec<Value> = users
                .iter()
                .map(|u| json!({"type": "user", "name": u}))
                .collect();
            json!({"delay": delay, "targets": targets})
        })
        .collect();
    let r = server
        .post_json(
            "/api/v1/escalation-policies",
            &json!({"name": name, "repeat": repeat, "steps": steps}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = server
        .http
        .put(format!(
            "{}/api/v1/escalation-policies/{name}/bindings/receiver/oncall",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

pub(crate) async fn fire(server: &Server, alertname: &str) {
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([am_alert(&[("alertname", alertname)])]),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// The page of the group of `alertname`, once it exists.
pub(crate) async fn page_of(server: &Server, alertname: &str) -> Value {
    eventually_async(Duration::from_secs(20), "a page", || async {
        let pages = server.get_json("/api/v1/pages").await;
        pages
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["group_key"].as_str().unwrap_or("").contains(alertname))
            .cloned()
    })
    .await
}

pub(crate) async fn detail(server: &Server, id: &str) -> Value {
    server.get_json(&format!("/api/v1/pages/{id}")).await
}

/// The timeline entries of `kind`.
fn entries<'a>(page: &'a Value, kind: &str) -> Vec<&'a Value> {
    page["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

both_databases!(
    a_page_is_answered_through_the_api_the_cli_and_a_link,
    |db| async move {
        let Some(server) = Server::start(db, options()).await else {
            return;
        };
        let (aya_id, aya) = person(
            &server,
            "aya",
            "responder",
            &[("email", "aya@example.com", 0), ("sms", "+819012345678", 3)],
        )
        .await;
        person(
            &server,
            "ben",
            "responder",
            &[("email", "ben@example.com", 0)],
        )
        .await;
        let (_, vic) = person(&server, "vic", "viewer", &[]).await;
        // A policy naming nobody who exists is refused, naming the field.
        let r = server
            .post_json(
                "/api/v1/escalation-policies",
                &json!({"name": "bad", "steps": [{"delay": "5m", "targets": [{"type": "user", "name": "nobody"}]}]}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "steps");
        policy(&server, "primary", "2s", &[&["aya"], &["ben"]], 0).await;
        let p = server.get_json("/api/v1/escalation-policies/primary").await;
        assert_eq!(p["steps"][1]["targets"][0]["name"], "ben");
        assert_eq!(p["bindings"][0]["target"], "oncall");

        fire(&server, "DiskFull").await;
        let page = page_of(&server, "DiskFull").await;
        let id = page["id"].as_str().unwrap().to_owned();
        assert_eq!(page["assigned_to"], json!(["aya"]));
        let d = detail(&server, &id).await;
        assert_eq!(entries(&d, "page.opened").len(), 1);
        let messages = d["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(
            (&messages[0]["kind"], &messages[1]["kind"]),
            (&json!("email"), &json!("sms"))
        );
        // Two seconds later the server's timer pages ben.
        let d = eventually_async(Duration::from_secs(20), "step 2", || async {
            let d = detail(&server, &id).await;
            (entries(&d, "page.step").len() == 2).then_some(d)
        })
        .await;
        assert_eq!(d["assigned_to"], json!(["ben"]));

        // A viewer the page is not with may not answer it; aya, who was paged, may.
        let (s, _) = call(
            &vic,
            &server,
            "POST",
            &format!("/api/v1/pages/{id}/acknowledge"),
            None,
        )
        .await;
        assert_eq!(s, 403);
        eventually_async(Duration::from_secs(20), "the email's failure", || async {
            let d = detail(&server, &id).await;
            (!entries(&d, "page.fell_through").is_empty()).then_some(())
        })
        .await;
        let (s, p) = call(
            &aya,
            &server,
            "POST",
            &format!("/api/v1/pages/{id}/acknowledge"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["state"], "acknowledged");
        assert_eq!(p["acknowledged_by"], "aya");
        assert_eq!(p["acknowledged_how"], "api");
        assert_eq!(p["next_at"], Value::Null);
        // No email server is set up here: aya's email failed at once, so her text, due in
        // 3 minutes, went out at once too (and failed, or was cancelled by the
        // acknowledgement before it went).
        let d = detail(&server, &id).await;
        let sms = d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "sms")
            .unwrap();
        assert_ne!(sms["state"], "pending", "{sms}");
        assert_eq!(entries(&d, "page.fell_through").len(), 1, "{d}");
        // Bad input names its field and changes nothing.
        let r = server
            .post_json(
                &format!("/api/v1/pages/{id}/snooze"),
                &json!({"duration": "2y"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "duration");

        // The command line resolves it, as ben.
        let out = server.cli(&["resolve", &id, "--as", "ben"], None);
        assert!(out.contains("resolved"), "{out}");
        let d = detail(&server, &id).await;
        assert_eq!(d["state"], "resolved");
        assert_eq!(d["resolved_by"], "ben");
        assert_eq!(d["resolved_how"], "cli");
        assert!(server.cli(&["pages"], None).contains(&id));
        let r = server
            .post_json(&format!("/api/v1/pages/{id}/escalate"), &json!({}))
            .await;
        assert_eq!(r.status(), 409, "a resolved page does not escalate");

        // A new group's page, answered from aya's email: the GET shows a button, the
        // POST acknowledges, a second POST finds the link used.
        fire(&server, "Backup").await;
        let page = page_of(&server, "Backup").await;
        let id = page["id"].as_str().unwrap().to_owned();
        let path = acknowledge_link(&server, &id, "aya", "aya@example.com").await;
        let anonymous = server.anonymous();
        let r = anonymous
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("method=\"post\""), "{html}");
        assert_eq!(
            detail(&server, &id).await["state"],
            "triggered",
            "a GET acknowledges nothing"
        );
        let r = anonymous
            .post(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let d = detail(&server, &id).await;
        assert_eq!(d["state"], "acknowledged");
        assert_eq!(d["acknowledged_by"], "aya");
        assert_eq!(d["acknowledged_how"], "link");
        let r = anonymous
            .post(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 410);
        assert_eq!(
            envelopes(&server, &format!("user:{aya_id}")).await.len(),
            2,
            "one test message per method"
        );
        assert!(server.terminate().await.success());
    }
);

both_databases!(the_next_step_fires_on_time_after_kill9, |db| async move {
    let Some(server) = Server::start(db, options()).await else {
        return;
    };
    person(
        &server,
        "aya",
        "responder",
        &[("email", "aya@example.com", 0)],
    )
    .await;
    person(
        &server,
        "ben",
        "responder",
        &[("email", "ben@example.com", 0)],
    )
    .await;
    policy(&server, "primary", "6s", &[&["aya"], &["ben"]], 0).await;
    fire(&server, "DiskFull").await;
    let page = page_of(&server, "DiskFull").await;
    let id = page["id"].as_str().unwrap().to_owned();
    let due = hinomi_core::time::parse(page["next_at"].as_str().unwrap()).unwrap();
    let (database_url, dir) = (server.database_url.clone(), server.dir.clone());
    server.kill9().await;
    let server = Server::start_on(database_url, dir, options()).await;
    let d = eventually_async(
        Duration::from_secs(20),
        "step 2 after the restart",
        || async {
            let d = detail(&server, &id).await;
            (entries(&d, "page.step").len() >= 2).then_some(d)
        },
    )
    .await;
    let steps = entries(&d, "page.step");
    assert_eq!(steps.len(), 2, "the step fired once");
    let at = hinomi_core::time::parse(steps[1]["at"].as_str().unwrap()).unwrap();
    assert!(at >= due, "not before its time: {at} < {due}");
    assert!(at - due < 3_000, "on time: {} ms late", at - due);
    assert_eq!(steps[1]["data"]["people"][0]["username"], "ben");
    assert!(server.terminate().await.success());
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_fire_each_step_once() {
    let Some(a) = Server::start(Db::Postgres, options()).await else {
        return;
    };
    let b = Server::start_on(a.database_url.clone(), a.dir.clone(), options()).await;
    person(&a, "aya", "responder", &[("email", "aya@example.com", 0)]).await;
    person(&a, "ben", "responder", &[("email", "ben@example.com", 0)]).await;
    policy(
        &a,
        "primary",
        "1s",
        &[&["aya"], &["ben"], &["aya", "ben"]],
        1,
    )
    .await;
    const GROUPS: usize = 12;
    // Each alert to both instances, as an HA Prometheus pair sends it.
    for g in 0..GROUPS {
        for server in [&a, &b] {
            fire(server, &format!("Pair{g}")).await;
        }
    }
    // Two rounds of three steps a second apart, then the end, for every page.
    let pages = eventually_async(
        Duration::from_secs(60),
        "every escalation to end",
        || async {
            let pages = a.get_json("/api/v1/pages?limit=1000").await;
            let pages = pages.as_array().unwrap().clone();
            let done = pages.len() >= GROUPS && pages.iter().all(|p| p["next_at"].is_null());
            done.then_some(pages)
        },
    )
    .await;
    assert_eq!(pages.len(), GROUPS, "one page per group");
    for p in &pages {
        let d = detail(&a, p["id"].as_str().unwrap()).await;
        let fired: Vec<(u64, u64)> = entries(&d, "page.step")
            .iter()
            .map(|e| {
                (
                    e["data"]["round"].as_u64().unwrap(),
                    e["data"]["step"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            fired,
            [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)],
            "page {}",
            p["id"]
        );
        assert_eq!(entries(&d, "page.exhausted").len(), 1);
        // aya twice a round, ben twice a round.
        assert_eq!(d["messages"].as_array().unwrap().len(), 8);
    }
    assert!(a.terminate().await.success());
    assert!(b.terminate().await.success());
}

/// The firing `HeartbeatMissed` alerts' `heartbeat` labels, as the Alertmanager API lists them.
async fn missed(server: &Server) -> Vec<String> {
    let alerts = server
        .get_json("/api/v2/alerts?filter=alertname%3D%22HeartbeatMissed%22")
        .await;
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["heartbeat"].as_str().unwrap_or("").to_owned())
        .collect()
}

both_databases!(
    a_missed_heartbeat_opens_an_alert_the_next_beat_resolves,
    |db| async move {
        let Some(server) = Server::start(db, options()).await else {
            return;
        };
        // The seed's nightly backup verification, as the documentation sets it up.
        let out = server.cli(
            &[
                "heartbeat",
                "create",
                "backup-verification",
                "--period",
                "24h",
                "--grace",
                "1h",
            ],
            None,
        );
        assert!(out.trim().contains("/heartbeat/"), "{out}");
        assert!(
            server
                .cli(&["heartbeat", "list"], None)
                .contains("backup-verification")
        );
        let r = server
            .post_json(
                "/api/v1/heartbeats",
                &json!({"name": "fast", "period": "2s"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let h: Value = r.json().await.unwrap();
        assert_eq!(h["state"], "waiting");
        let url = h["url"].as_str().unwrap();
        let path = url
            .split_once("/heartbeat/")
            .map(|(_, t)| format!("/heartbeat/{t}"))
            .unwrap();
        // Bad input is named; a wrong token is a 404.
        let r = server
            .post_json(
                "/api/v1/heartbeats",
                &json!({"name": "slow", "period": "forever"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], "period");
        let anonymous = server.anonymous();
        let r = anonymous
            .get(format!("{}/heartbeat/0123456789abcdef", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        // A beat (GET or POST) is on time; after two quiet seconds the alert fires.
        let r = anonymous
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let list = server.get_json("/api/v1/heartbeats").await;
        let fast = list
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == "fast")
            .unwrap()
            .clone();
        assert_eq!(fast["state"], "ok");
        assert!(fast.get("url").is_none(), "the token is shown once");
        // The alert is written first, the monitor marked missing in the next commit.
        eventually_async(Duration::from_secs(20), "the missed-beat alert", || async {
            let list = server.get_json("/api/v1/heartbeats").await;
            let missing = list
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["name"] == "fast" && h["state"] == "missing");
            (missing && missed(&server).await == ["fast"]).then_some(())
        })
        .await;
        let r = anonymous
            .post(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(missed(&server).await.is_empty(), "the beat resolved it");
        let r = server.delete("/api/v1/heartbeats/fast").await;
        assert_eq!(r.status(), 204);
        assert!(server.terminate().await.success());
    }
);

/// A page of the console in `lang`: status and body.
async fn console_page(
    server: &Server,
    browser: &reqwest::Client,
    path: &str,
    lang: &str,
) -> (u16, String) {
    let r = browser
        .get(format!("{}{path}", server.url))
        .header("accept", "text/html")
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a console form with the session's CSRF token: status and `Location` (or body).
async fn submit(
    server: &Server,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let csrf = server.csrf(browser, "/pages").await;
    let mut form = form.to_vec();
    form.push(("csrf", &csrf));
    let r = browser
        .post(format!("{}{path}", server.url))
        .header("accept-language", "en")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, location.unwrap_or(r.text().await.unwrap()))
}

/// The id in the first `/{prefix}/<id>/{suffix}` of a page.
fn id_in(html: &str, prefix: &str, suffix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {html}"))
        + prefix.len();
    let rest = &html[start..];
    rest[..rest.find(suffix).unwrap()].to_owned()
}

both_databases!(
    the_console_sets_up_paging_and_answers_a_page_in_both_languages,
    |db| async move {
        let Some(server) = Server::start(db, options()).await else {
            return;
        };
        let aya_password = server.create_user("aya", "responder");
        let aya = server.sign_in("aya", &aya_password).await;
        let kei_password = server.create_user("kei", "admin");
        let kei = server.sign_in("kei", &kei_password).await;

        // aya adds her email, has it send a code, types the code back, and makes a rule.
        let (s, html) = console_page(&server, &aya, "/account/contact", "ja").await;
        assert_eq!(s, 200);
        assert!(html.contains("連絡方法"), "{html}");
        let (s, to) = submit(
            &server,
            &aya,
            "/account/contact",
            &[
                ("kind", "email"),
                ("address", "aya@example.com"),
                ("label", "work"),
            ],
        )
        .await;
        assert_eq!((s, to.as_str()), (303, "/account/contact?done=added"));
        let (s, html) = submit(
            &server,
            &aya,
            "/account/contact",
            &[("kind", "sms"), ("address", "090-1234")],
        )
        .await;
        assert_eq!(s, 400, "a phone number that is not E.164 is refused");
        assert!(html.contains("E.164"), "{html}");
        let (_, html) = console_page(&server, &aya, "/account/contact", "en").await;
        assert!(html.contains("Not verified"));
        let cm = id_in(&html, "/account/contact/", "/test");
        let (s, _) = submit(&server, &aya, &format!("/account/contact/{cm}/test"), &[]).await;
        assert_eq!(s, 303);
        let store = database(&server).await;
        let aya_id = store.user_by_username("aya").await.unwrap().unwrap().id;
        store.close().await;
        let sent = envelopes(&server, &format!("user:{aya_id}")).await;
        let code = sent[0].1["notice"]["kind"]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (s, html) = submit(
            &server,
            &aya,
            &format!("/account/contact/{cm}/verify"),
            &[("code", wrong)],
        )
        .await;
        assert_eq!(s, 400);
        assert!(html.contains("wrong code"), "{html}");
        let (s, _) = submit(
            &server,
            &aya,
            &format!("/account/contact/{cm}/verify"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _) = submit(
            &server,
            &aya,
            "/account/rules",
            &[("contact_method", &cm), ("delay_minutes", "0")],
        )
        .await;
        assert_eq!(s, 303);
        let (_, html) = console_page(&server, &aya, "/account/contact", "en").await;
        assert!(
            html.contains("Verified") && html.contains("at once"),
            "{html}"
        );

        // kei writes the policy, one step a line, and binds it to the receiver.
        let (s, html) = submit(
            &server,
            &kei,
            "/escalation-policies",
            &[("name", "primary"), ("steps", "1m aya")],
        )
        .await;
        assert_eq!(s, 400);
        assert!(html.contains("kind:name"), "{html}");
        let (s, to) = submit(
            &server,
            &kei,
            "/escalation-policies",
            &[
                ("name", "primary"),
                ("repeat", "1"),
                ("steps", "1m user:aya"),
            ],
        )
        .await;
        assert_eq!(s, 303, "{to}");
        let (s, _) = submit(
            &server,
            &kei,
            &format!("{to}/bindings"),
            &[("kind", "receiver"), ("target", "oncall")],
        )
        .await;
        assert_eq!(s, 303);
        let (_, html) = console_page(&server, &kei, &to, "ja").await;
        assert!(
            html.contains("oncall") && html.contains("1 回繰り返します"),
            "{html}"
        );
        let (_, html) = console_page(&server, &aya, "/escalation-policies", "en").await;
        assert!(
            html.contains("primary") && !html.contains("action=\"/escalation-policies\""),
            "readers see no form"
        );

        // The alert's page, read and acknowledged in the console.
        fire(&server, "DiskFull").await;
        let page = page_of(&server, "DiskFull").await;
        let id = page["id"].as_str().unwrap().to_owned();
        let (s, html) = console_page(&server, &aya, "/pages", "en").await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("/pages/{id}")));
        let (_, html) = console_page(&server, &aya, &format!("/pages/{id}"), "en").await;
        assert!(html.contains("Step 1 of round 1 paged"), "{html}");
        assert!(html.contains("aya (named by the step)"), "{html}");
        let (_, html) = console_page(&server, &aya, &format!("/pages/{id}"), "ja").await;
        assert!(
            html.contains("ラウンド 1 のステップ 1 で呼び出し"),
            "{html}"
        );
        let (s, to) = submit(&server, &aya, &format!("/pages/{id}/acknowledge"), &[]).await;
        assert_eq!((s, to), (303, format!("/pages/{id}")));
        let (_, html) = console_page(&server, &aya, &format!("/pages/{id}"), "en").await;
        assert!(html.contains("aya acknowledged (console)"), "{html}");
        let (_, html) = console_page(&server, &aya, &format!("/pages/{id}"), "ja").await;
        assert!(html.contains("aya が応答 (コンソール)"), "{html}");
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    a_page_reaches_a_persons_webhook_and_its_link_answers_it,
    |db| async move {
        let sink = Sink::start().await;
        let mut opts = options();
        opts.env
            .push(("HINOMI_CHANNELS__WEBHOOK__SECRET".into(), "s3cret".into()));
        let Some(server) = Server::start(db, opts).await else {
            return;
        };
        server.create_user("aya", "responder");
        let aya = authorized_client(&server.create_token("aya", None));
        let (s, m) = call(
            &aya,
            &server,
            "POST",
            "/api/v1/me/contact-methods",
            Some(json!({"kind": "webhook", "address": sink.url})),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        let cm = m["id"].as_str().unwrap().to_owned();
        let (s, _) = call(
            &aya,
            &server,
            "POST",
            &format!("/api/v1/me/contact-methods/{cm}/test"),
            None,
        )
        .await;
        assert_eq!(s, 202);
        // The code arrives where the person is reached, and verifies the method.
        let got = sink
            .wait_for(Duration::from_secs(20), "the test message", |r| {
                !r.is_empty()
            })
            .await;
        assert_eq!(got[0].body["kind"]["type"], "test");
        assert!(header(&got[0], "x-hinomi-signature").is_some_and(|h| h.starts_with("t=")));
        let code = got[0].body["kind"]["code"].as_str().unwrap().to_owned();
        let (s, _) = call(
            &aya,
            &server,
            "POST",
            &format!("/api/v1/me/contact-methods/{cm}/verify"),
            Some(json!({"code": code})),
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = call(
            &aya,
            &server,
            "POST",
            "/api/v1/me/notification-rules",
            Some(json!({"contact_method": cm})),
        )
        .await;
        assert_eq!(s, 201);
        policy(&server, "primary", "5m", &[&["aya"]], 0).await;

        fire(&server, "DiskFull").await;
        let got = sink
            .wait_for(Duration::from_secs(20), "the page", |r| r.len() >= 2)
            .await;
        let notice = &got[1].body;
        assert_eq!(notice["kind"]["type"], "page");
        let page_id = notice["page_id"].as_str().unwrap().to_owned();
        let ack = notice["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "acknowledge")
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = ack
            .split_once("/a/")
            .map(|(_, t)| format!("/a/{t}"))
            .unwrap();
        let r = server
            .anonymous()
            .post(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let d = eventually_async(Duration::from_secs(20), "the message delivered", || async {
            let d = detail(&server, &page_id).await;
            (d["messages"][0]["state"] == "delivered").then_some(d)
        })
        .await;
        assert_eq!(d["state"], "acknowledged");
        assert_eq!(d["acknowledged_by"], "aya");
        assert_eq!(d["acknowledged_how"], "link");
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    an_override_starting_soon_tells_its_person_when_it_starts_and_ends,
    |db| async move {
        let sink = Sink::start().await;
        let mut opts = options();
        opts.env
            .push(("HINOMI_CHANNELS__WEBHOOK__SECRET".into(), "s3cret".into()));
        let Some(server) = Server::start(db, opts).await else {
            return;
        };
        server.create_user("aya", "responder");
        server.create_user("ben", "responder");
        let aya = authorized_client(&server.create_token("aya", None));
        let (_, me) = call(&aya, &server, "GET", "/api/v1/me", None).await;
        let aya_id = me["id"].as_str().unwrap().to_owned();

        // The choice of notices: both by default; a word outside the three is refused.
        let (s, got) = call(&aya, &server, "GET", "/api/v1/me/shift-notices", None).await;
        assert_eq!((s, &got["notify"]), (200, &json!("both")));
        let bad = json!({"notify": "sometimes"});
        let (s, err) = call(&aya, &server, "PUT", "/api/v1/me/shift-notices", Some(bad)).await;
        assert_eq!(s, 400, "{err}");
        assert!(err.to_string().contains("notify"), "{err}");
        let (s, _) = call(&aya, &server, "GET", "/api/v1/me/shift-notices", None).await;
        assert_eq!(s, 200);

        // A verified webhook and a rule using it.
        let (s, m) = call(
            &aya,
            &server,
            "POST",
            "/api/v1/me/contact-methods",
            Some(json!({"kind": "webhook", "address": sink.url})),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        let cm = m["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/me/contact-methods/{cm}/test");
        assert_eq!(call(&aya, &server, "POST", &path, None).await.0, 202);
        let got = sink
            .wait_for(Duration::from_secs(20), "the test message", |r| {
                !r.is_empty()
            })
            .await;
        let code = got[0].body["kind"]["code"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/me/contact-methods/{cm}/verify");
        let body = Some(json!({"code": code}));
        assert_eq!(call(&aya, &server, "POST", &path, body).await.0, 200);
        let rule = Some(json!({"contact_method": cm}));
        let path = "/api/v1/me/notification-rules";
        assert_eq!(call(&aya, &server, "POST", path, rule).await.0, 201);

        // Ben's weekly rotation, and an override putting aya on call for three seconds
        // from three seconds after now.
        let users = server.get_json("/api/v1/users").await;
        let ben = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "ben")
            .expect("ben");
        let ben_id = ben["id"].as_str().unwrap();
        let schedule = json!({"name": "db-primary", "time_zone": "Asia/Tokyo", "layers": [{
            "name": "weekly", "participants": [ben_id],
            "shift_length": {"unit": "weeks", "count": 1},
            "start": "2026-01-05T10:00:00+09:00", "handoff": "10:00"}]});
        let r = server.post_json("/api/v1/schedules", &schedule).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let start = now_ms() + 3_000;
        let sick = json!({"user_id": aya_id, "start": api_time(start), "end": api_time(start + 3_000),
            "note": "ben is ill"});
        let r = server
            .post_json("/api/v1/schedules/db-primary/overrides", &sick)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

        let got = sink
            .wait_for(Duration::from_secs(30), "the shift notices", |r| {
                r.len() >= 3
            })
            .await;
        let kinds: Vec<&Value> = got[1..].iter().map(|g| &g.body["kind"]["type"]).collect();
        assert_eq!(kinds, [&json!("shift_start"), &json!("shift_end")]);
        assert_eq!(got[1].body["kind"]["schedule"], "db-primary");
        assert_eq!(got[1].body["kind"]["at"], start);
        assert!(header(&got[1], "x-hinomi-signature").is_some());
        let told = envelopes(&server, &format!("user:{aya_id}")).await;
        assert_eq!(told.len(), 3, "the test message and two notices");
        assert!(server.terminate().await.success());
    }
);
