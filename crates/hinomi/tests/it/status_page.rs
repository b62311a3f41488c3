//! The status page end to end: components, incidents with updates and maintenances made
//! through `/api/v1/status`; Statuspage's public JSON checked field by field against its
//! documented shapes (and Alertmanager's `/api/v2/status` beside it unchanged); the public
//! HTML page in both languages; the RSS 2.0 and Atom feeds parsed and checked for the
//! elements their specifications require; the events each change leaves; webhook
//! subscribers receiving each update signed, in Statuspage's webhook shape.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// The keys of a JSON object, sorted (JSON objects are unordered; `serde_json::Value`
/// sorts them).
fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// `names`, sorted, to compare with [`keys`].
fn sorted<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut names = names.to_vec();
    names.sort_unstable();
    names
}

const PAGE: &[&str] = &["id", "name", "url", "time_zone", "updated_at"];
const COMPONENT: &[&str] = &[
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
];
const INCIDENT: &[&str] = &[
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
];
const UPDATE: &[&str] = &[
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
];

/// Statuspage's time format: ISO 8601 with milliseconds and the page's offset (Tokyo).
fn assert_time(v: &Value, what: &str) {
    let t = v.as_str().unwrap_or_else(|| panic!("{what}: {v}"));
    assert_eq!(t.len(), 29, "{what}: {t}");
    assert!(
        t.ends_with("+09:00") && t.as_bytes()[19] == b'.',
        "{what}: {t}"
    );
}

/// The page object; its `url` is the public page at the external URL.
fn assert_page(v: &Value) {
    assert_eq!(keys(v), sorted(PAGE));
    assert_eq!(v["id"].as_str().unwrap().len(), 12);
    assert_eq!(v["name"], "hinomi");
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("http") && url.ends_with("/status"), "{url}");
    assert_eq!(v["time_zone"], "Asia/Tokyo");
    assert_time(&v["updated_at"], "page.updated_at");
}

fn assert_component(c: &Value, page_id: &Value) {
    let mut want = COMPONENT.to_vec();
    if c["group"] == true {
        want.push("components");
    }
    assert_eq!(keys(c), sorted(&want), "{c}");
    assert_eq!(&c["page_id"], page_id);
    assert!(
        [
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance"
        ]
        .contains(&c["status"].as_str().unwrap()),
        "{c}"
    );
    assert_time(&c["created_at"], "component.created_at");
    assert_time(&c["updated_at"], "component.updated_at");
    assert!(c["position"].is_i64() && c["showcase"].is_boolean());
    assert!(c["only_show_if_degraded"].is_boolean());
    assert!(c["description"].is_string() || c["description"].is_null());
    assert!(c["group_id"].is_string() || c["group_id"].is_null());
}

fn assert_incident(i: &Value, page_id: &Value, maintenance: bool) {
    let mut want = INCIDENT.to_vec();
    if maintenance {
        want.extend(["scheduled_for", "scheduled_until"]);
    }
    assert_eq!(keys(i), sorted(&want), "{i}");
    assert_eq!(&i["page_id"], page_id);
    let statuses: &[&str] = if maintenance {
        &["scheduled", "in_progress", "verifying", "completed"]
    } else {
        &["investigating", "identified", "monitoring", "resolved"]
    };
    assert!(statuses.contains(&i["status"].as_str().unwrap()), "{i}");
    let impacts: &[&str] = if maintenance {
        &["maintenance"]
    } else {
        &["none", "minor", "major", "critical"]
    };
    assert!(impacts.contains(&i["impact"].as_str().unwrap()), "{i}");
    for t in ["created_at", "updated_at", "started_at"] {
        assert_time(&i[t], t);
    }
    for t in ["monitoring_at", "resolved_at"] {
        assert!(i[t].is_null() || i[t].is_string(), "{t}: {i}");
    }
    assert!(
        i["shortlink"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/status/incidents/{}", i["id"].as_str().unwrap()))
    );
    for u in i["incident_updates"].as_array().unwrap() {
        assert_eq!(keys(u), sorted(UPDATE), "{u}");
        assert_eq!(u["incident_id"], i["id"]);
        for t in ["created_at", "updated_at", "display_at"] {
            assert_time(&u[t], t);
        }
        assert!(u["affected_components"].is_null() || u["affected_components"].is_array());
        for a in u["affected_components"].as_array().into_iter().flatten() {
            assert_eq!(
                keys(a),
                sorted(&["code", "name", "old_status", "new_status"])
            );
        }
    }
    for c in i["components"].as_array().unwrap() {
        assert_component(c, page_id);
    }
}

/// The page: a group of two components and one alone; an incident on one of them with two
/// updates; a maintenance under way, one to come and one done.
pub async fn build(server: &Server) -> (Value, Value, Value) {
    let mut ids = Vec::new();
    for (name, group) in [("受注 API", "基幹"), ("在庫 API", "基幹"), ("Web", "")] {
        let r = server
            .post_json(
                "/api/v1/status/components",
                &json!({"name": name, "group": group, "description": format!("{name} の説明")}),
            )
            .await;
        assert_eq!(r.status(), 201);
        ids.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let r = server
        .post_json(
            "/api/v1/status/incidents",
            &json!({"name": "受注システムの障害", "impact": "major",
                    "body_ja": "受注できない事象を調査しています。", "body_en": "Investigating failed orders.",
                    "components": {ids[0].clone(): "major_outage"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let incident: Value = r.json().await.unwrap();
    let id = incident["id"].as_str().unwrap();
    let r = server
        .post_json(
            &format!("/api/v1/status/incidents/{id}/updates"),
            &json!({"status": "identified", "body_ja": "原因を特定しました。",
                    "components": {ids[0].clone(): "partial_outage"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let incident: Value = r.json().await.unwrap();
    let now = now_ms();
    let h = 3_600_000;
    let mut maintenances = Vec::new();
    for (name, from, until) in [
        ("DB 更新", now - h, now + h),
        ("ネットワーク工事", now + 24 * h, now + 26 * h),
        ("証明書更新", now - 3 * h, now - 2 * h),
    ] {
        let r = server
            .post_json(
                "/api/v1/status/maintenances",
                &json!({"name": name, "scheduled_for": api_time(from), "scheduled_until": api_time(until),
                        "component_ids": [ids[1].clone()], "body_ja": "メンテナンスを行います。",
                        "body_en": "Scheduled maintenance."}),
            )
            .await;
        assert_eq!(r.status(), 201, "{name}");
        maintenances.push(r.json::<Value>().await.unwrap());
    }
    (json!(ids), incident, json!(maintenances))
}

async fn public_json(server: &Server, path: &str) -> Value {
    let r = server
        .anonymous()
        .get(format!("{}{path}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path} answers without credentials");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    r.json().await.unwrap()
}

both_databases!(statuspage_json_keeps_statuspages_shapes, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let (ids, incident, maintenances) = build(&server).await;
    assert_eq!(
        incident["incident_updates"][0]["body_ja"],
        "原因を特定しました。"
    );

    let summary = public_json(&server, "/api/v2/summary.json").await;
    assert_eq!(
        keys(&summary),
        sorted(&[
            "page",
            "components",
            "incidents",
            "scheduled_maintenances",
            "status"
        ])
    );
    assert_page(&summary["page"]);
    let page_id = summary["page"]["id"].clone();
    // The group comes first, listing its members, which name it.
    let components = summary["components"].as_array().unwrap();
    assert_eq!(components.len(), 4, "{components:?}");
    for c in components {
        assert_component(c, &page_id);
    }
    let group = &components[0];
    assert_eq!(
        (group["name"].as_str(), group["group"].as_bool()),
        (Some("基幹"), Some(true))
    );
    assert_eq!(group["components"], json!([ids[0], ids[1]]));
    assert_eq!(group["status"], "partial_outage", "its worst member");
    assert_eq!(components[1]["group_id"], group["id"]);
    assert_eq!(components[1]["status"], "partial_outage");
    assert_eq!(
        components[2]["status"], "under_maintenance",
        "the active maintenance"
    );
    assert_eq!(components[3]["group_id"], Value::Null);
    assert_eq!(components[1]["description"], "受注 API の説明");

    let incidents = summary["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_incident(i, &page_id, false);
    assert_eq!(
        (i["status"].as_str(), i["impact"].as_str()),
        (Some("identified"), Some("major"))
    );
    let updates = i["incident_updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["status"], "identified", "newest first");
    assert_eq!(
        updates[0]["body"], "原因を特定しました。",
        "Japanese by default"
    );
    assert_eq!(
        updates[0]["affected_components"],
        json!([{"code": ids[0], "name": "受注 API", "old_status": "major_outage", "new_status": "partial_outage"}])
    );
    assert_eq!(
        updates[1]["affected_components"][0]["old_status"],
        "operational"
    );

    // Under way first, then to come; the finished one is in neither.
    let sm = summary["scheduled_maintenances"].as_array().unwrap();
    let names: Vec<_> = sm.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["DB 更新", "ネットワーク工事"]);
    assert_eq!(
        (sm[0]["status"].as_str(), sm[1]["status"].as_str()),
        (Some("in_progress"), Some("scheduled"))
    );
    for m in sm {
        assert_incident(m, &page_id, true);
        assert_time(&m["scheduled_for"], "scheduled_for");
    }
    assert_eq!(
        summary["status"],
        json!({"indicator": "major", "description": "Partial System Outage"})
    );

    let status = public_json(&server, "/api/v2/status.json").await;
    assert_eq!(keys(&status), sorted(&["page", "status"]));
    assert_eq!(status["status"], summary["status"]);
    let list = public_json(&server, "/api/v2/components.json").await;
    assert_eq!(keys(&list), sorted(&["page", "components"]));
    assert_eq!(list["components"], summary["components"]);
    let all = public_json(&server, "/api/v2/incidents.json?lang=en").await;
    assert_eq!(keys(&all), sorted(&["page", "incidents"]));
    assert_eq!(
        all["incidents"].as_array().unwrap().len(),
        1,
        "no maintenance among incidents"
    );
    // English asked for; the update written only in Japanese stays in Japanese.
    assert_eq!(
        all["incidents"][0]["incident_updates"][1]["body"],
        "Investigating failed orders."
    );
    assert_eq!(
        all["incidents"][0]["incident_updates"][0]["body"],
        "原因を特定しました。"
    );
    let unresolved = public_json(&server, "/api/v2/incidents/unresolved.json").await;
    assert_eq!(unresolved["incidents"], summary["incidents"]);
    let every = public_json(&server, "/api/v2/scheduled-maintenances.json").await;
    assert_eq!(keys(&every), sorted(&["page", "scheduled_maintenances"]));
    let every = every["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(every.len(), 3);
    let done = every.iter().find(|m| m["name"] == "証明書更新").unwrap();
    assert_eq!(done["status"], "completed", "completed by the clock");
    assert_time(&done["resolved_at"], "completed maintenance resolved_at");
    let upcoming = public_json(&server, "/api/v2/scheduled-maintenances/upcoming.json").await;
    let names: Vec<_> = upcoming["scheduled_maintenances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(names, ["ネットワーク工事"]);
    let active = public_json(&server, "/api/v2/scheduled-maintenances/active.json").await;
    assert_eq!(
        active["scheduled_maintenances"][0]["id"],
        maintenances[0]["id"]
    );
    assert_eq!(
        active["scheduled_maintenances"].as_array().unwrap().len(),
        1
    );

    // Resolving puts the incident's components back and the page to maintenance.
    let id = incident["id"].as_str().unwrap();
    let r = server
        .post_json(
            &format!("/api/v1/status/incidents/{id}/updates"),
            &json!({"status": "resolved", "body_en": "Resolved.", "body_ja": "復旧しました。"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let summary = public_json(&server, "/api/v2/summary.json").await;
    assert_eq!(summary["incidents"], json!([]));
    assert_eq!(summary["components"][1]["status"], "operational");
    assert_eq!(
        summary["status"],
        json!({"indicator": "maintenance", "description": "Service Under Maintenance"})
    );
    let resolved = &public_json(&server, "/api/v2/incidents.json").await["incidents"][0];
    assert_eq!(resolved["status"], "resolved");
    assert_time(&resolved["resolved_at"], "resolved_at");
    assert_eq!(
        resolved["incident_updates"][0]["affected_components"][0]["new_status"],
        "operational"
    );

    // Alertmanager's status is still Alertmanager's, and still needs credentials.
    let am = server.get_json("/api/v2/status").await;
    assert!(
        am["versionInfo"].is_object() && am["cluster"].is_object(),
        "{am}"
    );
    let r = server
        .anonymous()
        .get(format!("{}/api/v2/status", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Each change left its event, written with it.
    let pool = server.database().await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM events WHERE kind LIKE 'status_%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "status_component.created")
            .count(),
        3
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "status_incident.opened")
            .count(),
        1
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "status_incident.updated")
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "status_maintenance.scheduled")
            .count(),
        3
    );
});

both_databases!(bad_status_page_input_names_the_field, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let field = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 400);
        r.json::<Value>().await.unwrap()["error"]["field"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = server
        .post_json("/api/v1/status/components", &json!({"name": " "}))
        .await;
    assert_eq!(field(r).await, "name");
    let r = server
        .post_json(
            "/api/v1/status/components",
            &json!({"name": "a", "status": "broken"}),
        )
        .await;
    assert_eq!(field(r).await, "status");
    let r = server
        .post_json(
            "/api/v1/status/components",
            &json!({"name": "a", "start_date": "2026-02-30"}),
        )
        .await;
    assert_eq!(field(r).await, "start_date");
    let r = server
        .post_json(
            "/api/v1/status/incidents",
            &json!({"name": "x", "impact": "huge", "body_ja": "a"}),
        )
        .await;
    assert_eq!(field(r).await, "impact");
    let r = server
        .post_json(
            "/api/v1/status/incidents",
            &json!({"name": "x", "impact": "minor"}),
        )
        .await;
    assert_eq!(field(r).await, "body");
    let r = server
        .post_json("/api/v1/status/incidents",
                   &json!({"name": "x", "impact": "minor", "body_en": "a", "components": {"nope": "major_outage"}}))
        .await;
    assert_eq!(field(r).await, "components[0]");
    let r = server
        .post_json(
            "/api/v1/status/incidents",
            &json!({"name": "x", "impact": "minor", "body_en": "a", "status": "completed"}),
        )
        .await;
    assert_eq!(field(r).await, "status");
    let now = now_ms();
    let r = server
        .post_json("/api/v1/status/maintenances",
                   &json!({"name": "m", "scheduled_for": api_time(now), "scheduled_until": api_time(now), "body_en": "a"}))
        .await;
    assert_eq!(field(r).await, "scheduled_until");
    let r = server
        .post_json("/api/v1/status/maintenances",
                   &json!({"name": "m", "scheduled_for": "soon", "scheduled_until": api_time(now), "body_en": "a"}))
        .await;
    assert_eq!(field(r).await, "scheduled_for");
    let r = server
        .post_json("/api/v1/status/components", &json!({"name": "a"}))
        .await;
    assert_eq!(r.status(), 201);
    let r = server
        .post_json("/api/v1/status/components", &json!({"name": "a"}))
        .await;
    assert_eq!(r.status(), 409, "a name taken");
    let r = server
        .post_json(
            "/api/v1/status/incidents/nope/updates",
            &json!({"body_en": "a"}),
        )
        .await;
    assert_eq!(r.status(), 404);
    // Nothing refused was kept.
    let listed = server.get_json("/api/v1/status/incidents").await;
    assert_eq!(listed, json!([]));
    assert_eq!(
        server
            .get_json("/api/v1/status/components")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

async fn fetch(server: &Server, path: &str, lang: &str) -> (u16, String, String) {
    let r = server
        .anonymous()
        .get(format!("{}{path}", server.url))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    (status, kind, r.text().await.unwrap())
}

/// The text of `parent`'s child element `name` (in `ns`, or none), which must exist.
fn child_text<'a>(parent: roxmltree::Node<'a, 'a>, ns: Option<&str>, name: &str) -> &'a str {
    parent
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == ns)
        .unwrap_or_else(|| panic!("<{}> has no <{name}>", parent.tag_name().name()))
        .text()
        .unwrap_or("")
}

both_databases!(public_page_and_feeds, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let (_, incident, _) = build(&server).await;
    let id = incident["id"].as_str().unwrap();

    let (status, kind, ja) = fetch(&server, "/status", "ja").await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    for text in [
        "<html lang=\"ja\">",
        "一部のシステムで障害が発生しています",
        "受注システムの障害",
        "原因を特定しました。",
        "基幹",
        "一部停止",
        "DB 更新",
        "ネットワーク工事",
        "実施中",
        "過去 14 日間の履歴",
        "証明書更新",
    ] {
        assert!(ja.contains(text), "the Japanese page shows {text}");
    }
    let (_, _, en) = fetch(&server, "/status", "en-US,en;q=0.9").await;
    for text in [
        "<html lang=\"en\">",
        "Partial System Outage",
        "Partial outage",
        "Identified",
        "In progress",
    ] {
        assert!(en.contains(text), "the English page shows {text}");
    }
    let (_, _, by_query) = fetch(&server, "/status?lang=en", "ja").await;
    assert!(
        by_query.contains("<html lang=\"en\">"),
        "?lang= wins over the browser"
    );
    let (status, _, one) = fetch(&server, &format!("/status/incidents/{id}"), "en").await;
    assert_eq!(status, 200);
    assert!(one.contains("Investigating failed orders.") && one.contains("原因を特定しました。"));
    let (status, _, _) = fetch(&server, "/status/incidents/nope", "en").await;
    assert_eq!(status, 404);

    // RSS 2.0: <rss version="2.0"><channel> with title, link and description; each item
    // with a title or description (here all of title, link, guid, pubDate, description).
    let (status, kind, rss) = fetch(&server, "/status/history.rss", "ja").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/rss+xml; charset=utf-8")
    );
    let doc = roxmltree::Document::parse(&rss).expect("well-formed RSS");
    let root = doc.root_element();
    assert_eq!(
        (root.tag_name().name(), root.attribute("version")),
        ("rss", Some("2.0"))
    );
    let channel = root
        .children()
        .find(|n| n.has_tag_name("channel"))
        .expect("channel");
    assert!(child_text(channel, None, "link").ends_with("/status"));
    assert!(!child_text(channel, None, "title").is_empty());
    assert!(!child_text(channel, None, "description").is_empty());
    let items: Vec<_> = channel
        .children()
        .filter(|n| n.has_tag_name("item"))
        .collect();
    assert_eq!(items.len(), 4, "the incident and the three maintenances");
    for item in &items {
        assert!(!child_text(*item, None, "title").is_empty());
        assert_eq!(
            child_text(*item, None, "guid"),
            child_text(*item, None, "link")
        );
        let date = child_text(*item, None, "pubDate");
        assert!(
            date.ends_with("+0000") && date.contains(", "),
            "RFC 822 date: {date}"
        );
    }
    let first = items
        .iter()
        .find(|i| child_text(**i, None, "title").contains("受注システムの障害"))
        .unwrap();
    assert!(child_text(*first, None, "description").contains("原因を特定しました。"));

    // Atom (RFC 4287): feed with id, title, updated and an author; entries with id, title,
    // updated and a link.
    const ATOM: &str = "http://www.w3.org/2005/Atom";
    let atom_ns = Some(ATOM);
    let (status, kind, atom) = fetch(&server, "/status/history.atom", "en").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/atom+xml; charset=utf-8")
    );
    let doc = roxmltree::Document::parse(&atom).expect("well-formed Atom");
    let feed = doc.root_element();
    assert_eq!(
        (feed.tag_name().name(), feed.tag_name().namespace()),
        ("feed", atom_ns)
    );
    assert!(!child_text(feed, atom_ns, "id").is_empty());
    assert!(!child_text(feed, atom_ns, "title").is_empty());
    assert!(jiff_like(child_text(feed, atom_ns, "updated")));
    let author = feed
        .children()
        .find(|n| n.has_tag_name((ATOM, "author")))
        .expect("author");
    assert!(!child_text(author, atom_ns, "name").is_empty());
    let entries: Vec<_> = feed
        .children()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
        .collect();
    assert_eq!(entries.len(), 4);
    for e in &entries {
        assert!(!child_text(*e, atom_ns, "id").is_empty());
        assert!(!child_text(*e, atom_ns, "title").is_empty());
        assert!(jiff_like(child_text(*e, atom_ns, "updated")));
        let link = e
            .children()
            .find(|n| n.has_tag_name((ATOM, "link")))
            .expect("link");
        assert!(
            link.attribute("href")
                .unwrap()
                .contains("/status/incidents/")
        );
    }
    assert!(
        atom.contains("[Maintenance] DB 更新"),
        "titles in the language asked for"
    );
});

/// An RFC 3339 date-time with an offset, as Atom's date constructs are.
fn jiff_like(text: &str) -> bool {
    text.len() >= 25
        && text.as_bytes()[10] == b'T'
        && (text.ends_with(":00") || text.ends_with('Z'))
}

both_databases!(
    webhook_subscribers_get_signed_statuspage_bodies,
    |db| async move {
        let sink = Sink::start().await;
        let mut options = Options::default();
        options
            .env
            .push(("HINOMI_CHANNELS__WEBHOOK__SECRET".into(), "s3cret".into()));
        let Some(server) = Server::start(db, options).await else {
            return;
        };
        // Bad input names the field; a viewer may neither list nor add.
        for (body, field) in [
            (json!({"url": "ftp://example.com/"}), "url"),
            (json!({"url": sink.url, "language": "fr"}), "language"),
        ] {
            let r = server.post_json("/api/v1/status/subscribers", &body).await;
            assert_eq!(r.status(), 400, "{body}");
            let text = r.text().await.unwrap();
            assert!(text.contains(field), "{field}: {text}");
        }
        server.create_user("sub-viewer", "viewer");
        let viewer = authorized_client(&server.create_token("sub-viewer", None));
        let r = viewer
            .get(format!("{}/api/v1/status/subscribers", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = server
            .post_json(
                "/api/v1/status/subscribers",
                &json!({"url": sink.url, "language": "en"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let subscriber: Value = r.json().await.unwrap();
        assert_eq!(subscriber["language"], "en");
        let r = server
            .post_json("/api/v1/status/subscribers", &json!({"url": sink.url}))
            .await;
        assert_eq!(r.status(), 409, "one subscription per URL");
        let listed = server.get_json("/api/v1/status/subscribers").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);

        let (ids, incident, _) = build(&server).await;
        let incident_id = incident["id"].as_str().unwrap();
        // Two incident updates, two component changes, three maintenances.
        let got = sink
            .wait_for(Duration::from_secs(20), "every update", |r| r.len() >= 7)
            .await;
        let now_secs = now_ms() / 1000;
        for r in &got {
            let signature = header(r, "x-hinomi-signature").expect("signed");
            let raw = serde_json::to_vec(&r.body).unwrap();
            assert_eq!(
                hinomi_notify::channels::webhook::verify("s3cret", signature, &raw, now_secs),
                Ok(()),
                "{}",
                r.body
            );
            assert_eq!(
                sorted(&keys(&r.body["meta"])),
                ["documentation", "generated_at", "unsubscribe"]
            );
            assert_eq!(
                sorted(&keys(&r.body["page"])),
                ["id", "status_description", "status_indicator"]
            );
        }
        let incidents: Vec<&Value> = got
            .iter()
            .map(|r| &r.body)
            .filter(|b| b["incident"]["id"] == incident_id)
            .collect();
        assert_eq!(incidents.len(), 2);
        let last = incidents
            .iter()
            .find(|b| b["incident"]["status"] == "identified")
            .expect("the second update");
        assert_eq!(sorted(&keys(&last["incident"])), sorted(INCIDENT));
        let updates = last["incident"]["incident_updates"].as_array().unwrap();
        assert_eq!(updates.len(), 2);
        assert_eq!(
            updates[1]["body"], "Investigating failed orders.",
            "in the subscriber's language (English), oldest last"
        );
        let changes: Vec<&Value> = got
            .iter()
            .map(|r| &r.body)
            .filter(|b| b.get("component_update").is_some())
            .collect();
        assert_eq!(changes.len(), 2, "{changes:?}");
        for c in &changes {
            assert_eq!(c["component"]["id"], ids[0]);
            assert_eq!(c["component_update"]["component_id"], ids[0]);
            assert_eq!(sorted(&keys(&c["component"])), sorted(COMPONENT));
        }
        assert!(
            changes
                .iter()
                .any(|c| c["component_update"]["old_status"] == "major_outage"
                    && c["component_update"]["new_status"] == "partial_outage")
        );
        let maintenances = got
            .iter()
            .filter(|r| r.body["incident"]["scheduled_for"].is_string())
            .count();
        assert_eq!(maintenances, 3);

        // The outbox names the rows' kind; a removed subscriber hears nothing more.
        let rows = deliveries(&server.database_url).await;
        assert!(rows.iter().filter(|d| d.kind == "status:webhook").count() >= 7);
        let id = subscriber["id"].as_str().unwrap();
        let r = server
            .delete(&format!("/api/v1/status/subscribers/{id}"))
            .await;
        assert_eq!(r.status(), 204);
        let r = server
            .delete(&format!("/api/v1/status/subscribers/{id}"))
            .await;
        assert_eq!(r.status(), 404);
        let r = server
            .post_json(
                &format!("/api/v1/status/incidents/{incident_id}/updates"),
                &json!({"status": "resolved", "body_en": "Resolved."}),
            )
            .await;
        assert_eq!(r.status(), 201);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(sink.received().len(), got.len());
        let pool = server.database().await;
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM events WHERE kind LIKE 'status_subscriber.%'")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(kinds.contains(&"status_subscriber.added".to_owned()));
        assert!(kinds.contains(&"status_subscriber.removed".to_owned()));
    }
);

/// `url` (at the external URL, which the test server does not listen on) at `server`.
fn at_server(server: &Server, url: &str) -> String {
    let path = url.splitn(4, '/').nth(3).unwrap_or_default();
    format!("{}/{path}", server.url)
}

/// The first link in a mail's text that starts with `prefix` (after the origin).
fn link_in(mail: &Value, prefix: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"))
        .to_owned()
}

fn mails_to<'a>(mails: &'a [Value], to: &str) -> Vec<&'a Value> {
    mails.iter().filter(|m| m["to"] == to).collect()
}

async fn status_email_rows(pool: &sqlx::AnyPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'status:email'")
        .fetch_one(pool)
        .await
        .unwrap()
}

both_databases!(
    email_subscribers_confirm_receive_updates_and_unsubscribe_in_one_click,
    |db| async move {
        let Some(smtp) = crate::channels::SmtpServer::start().await else {
            return;
        };
        let mut options = Options {
            env: smtp.env(),
            ..Options::default()
        };
        for (k, v) in [
            ("HINOMI_STATUS_PAGE__CONFIRMATIONS_PER_ADDRESS_PER_DAY", "2"),
            ("HINOMI_STATUS_PAGE__CONFIRMATIONS_PER_HOUR", "4"),
        ] {
            options.env.push((k.into(), v.into()));
        }
        let Some(server) = Server::start(db, options).await else {
            return;
        };
        let public = server.anonymous();
        let pool = server.database().await;
        let form = |email: &str, language: &str| {
            public
                .post(format!("{}/status/subscribe", server.url))
                .form(&[("email", email), ("language", language)])
                .send()
        };
        let json = |body: Value| {
            public
                .post(format!("{}/status/subscribe.json", server.url))
                .json(&body)
                .send()
        };

        // The public page offers the form; bad input names the field.
        let (_, _, page) = fetch(&server, "/status", "en").await;
        assert!(page.contains("action=\"/status/subscribe\""), "{page}");
        let r = form("not-an-address", "en").await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("email: "));
        for (body, field) in [
            (json!({"email": "x"}), "email"),
            (
                json!({"email": "a@example.org", "language": "fr"}),
                "language",
            ),
        ] {
            let r = json(body).await.unwrap();
            assert_eq!(r.status(), 400);
            let error: Value = r.json().await.unwrap();
            assert_eq!(error["error"]["field"], field);
        }

        // Tanaka subscribes in English by the form, Sato in Japanese by JSON.
        let r = form("tanaka@Example.org", "en").await.unwrap();
        assert_eq!(r.status(), 200);
        let neutral_en = r.text().await.unwrap();
        assert!(neutral_en.contains("a message with a confirmation link is on its way"));
        let r = json(json!({"email": "sato@example.org"})).await.unwrap();
        assert_eq!(r.status(), 202);
        let neutral_ja: Value = r.json().await.unwrap();
        assert!(
            neutral_ja["message"]
                .as_str()
                .unwrap()
                .contains("確認用リンク")
        );
        let mails = smtp.wait_for(2).await;
        let confirm = mails_to(&mails, "tanaka@example.org")[0];
        assert_eq!(confirm["subject"], "[hinomi] Confirm your subscription");
        assert!(
            confirm["headers"].get("List-Unsubscribe").is_none(),
            "nobody is subscribed yet: {confirm}"
        );
        assert_eq!(
            mails_to(&mails, "sato@example.org")[0]["subject"],
            "[hinomi] 購読の確認"
        );

        // Loading the link confirms nothing; its button does.
        let link = at_server(&server, &link_in(confirm, "/status/confirm/"));
        let r = public.get(&link).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Confirm subscription"));
        let listed = server.get_json("/api/v1/status/subscribers").await;
        let tanaka = |listed: &Value| {
            listed
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["email"] == "tanaka@example.org")
                .cloned()
        };
        assert!(tanaka(&listed).unwrap()["confirmed_at"].is_null());
        let r = public.post(&link).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Your subscription is confirmed")
        );
        let listed = server.get_json("/api/v1/status/subscribers").await;
        assert!(tanaka(&listed).unwrap()["confirmed_at"].is_string());
        let mut forged = link.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        assert_eq!(public.post(&forged).send().await.unwrap().status(), 404);

        // The bounds: Sato has one more mail today (2 an address), then the hour's fourth
        // goes to Suzuki and Kato gets none; a confirmed address is sent nothing. Every
        // answer is the same.
        for (email, lang) in [
            ("sato@example.org", "ja"),
            ("sato@example.org", "ja"),
            ("tanaka@example.org", "en"),
            ("suzuki@example.org", "en"),
            ("kato@example.org", "en"),
        ] {
            let r = form(email, lang).await.unwrap();
            assert_eq!(r.status(), 200);
            if lang == "en" {
                assert_eq!(r.text().await.unwrap(), neutral_en, "{email}");
            }
        }
        assert_eq!(status_email_rows(&pool).await, 4, "four confirmation mails");

        // Updates reach the confirmed subscriber only, in English, with one-click
        // unsubscribe headers.
        let (_, incident, _) = build(&server).await;
        let mails = smtp.wait_for(4 + 5).await;
        assert_eq!(mails_to(&mails, "sato@example.org").len(), 2);
        assert!(mails_to(&mails, "kato@example.org").is_empty());
        let updates: Vec<&Value> = mails_to(&mails, "tanaka@example.org")
            .into_iter()
            .filter(|m| m["headers"].get("List-Unsubscribe").is_some())
            .collect();
        assert_eq!(updates.len(), 5, "two incident updates, three maintenances");
        let first = updates
            .iter()
            .find(|m| {
                m["text"]
                    .as_str()
                    .unwrap()
                    .contains("Investigating failed orders.")
            })
            .expect("the incident's first update, in English");
        assert_eq!(
            first["subject"],
            "[hinomi] 受注システムの障害 — Investigating"
        );
        assert!(
            first["html"]
                .as_str()
                .unwrap()
                .contains("Investigating failed orders.")
        );
        assert!(first["text"].as_str().unwrap().contains(&format!(
            "/status/incidents/{}?lang=en",
            incident["id"].as_str().unwrap()
        )));
        let header = first["headers"]["List-Unsubscribe"].as_str().unwrap();
        assert_eq!(
            first["headers"]["List-Unsubscribe-Post"],
            "List-Unsubscribe=One-Click"
        );
        let unsubscribe = header.trim_start_matches('<').trim_end_matches('>');
        assert!(unsubscribe.contains("/status/unsubscribe/"), "{header}");
        assert!(
            updates
                .iter()
                .all(|m| m["headers"]["List-Unsubscribe"] == header)
        );

        // A GET shows a button and unsubscribes nobody; the one-click POST, with no
        // session or confirmation, does, and cancels what is still queued (a mail due in
        // an hour stands for one).
        let tanaka_id = tanaka(&server.get_json("/api/v1/status/subscribers").await).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let later = now_ms() + 3_600_000;
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, group_key, receiver, integration, kind, \
             payload, state, created_at, due_at, attempts) \
             VALUES ('queued', '', $1, 0, 'status:email', '{}', 'pending', $2, $2, 0)",
        )
        .bind(format!("status_subscriber:{tanaka_id}"))
        .bind(later)
        .execute(&pool)
        .await
        .unwrap();
        let unsubscribe = at_server(&server, unsubscribe);
        let r = public.get(&unsubscribe).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("<form method=\"post\">"));
        assert!(tanaka(&server.get_json("/api/v1/status/subscribers").await).is_some());
        let r = public
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("You are unsubscribed"));
        assert!(tanaka(&server.get_json("/api/v1/status/subscribers").await).is_none());
        assert_eq!(
            public.post(&unsubscribe).send().await.unwrap().status(),
            404
        );
        let queued: String =
            sqlx::query_scalar("SELECT state FROM outbox WHERE idempotency_key = 'queued'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(queued, "cancelled");

        // The next update mails nobody.
        let before = status_email_rows(&pool).await;
        let r = server
            .post_json(
                &format!(
                    "/api/v1/status/incidents/{}/updates",
                    incident["id"].as_str().unwrap()
                ),
                &json!({"status": "resolved", "body_en": "Resolved."}),
            )
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(status_email_rows(&pool).await, before);
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM events WHERE kind LIKE 'status_subscriber.%'")
                .fetch_all(&pool)
                .await
                .unwrap();
        for kind in ["requested", "confirmed", "unsubscribed"] {
            assert!(
                kinds.contains(&format!("status_subscriber.{kind}")),
                "{kinds:?}"
            );
        }
        pool.close().await;
    }
);

both_databases!(
    the_console_lists_subscribers_masked_for_viewers_and_manages_them,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        // An email subscriber waiting for confirmation, and a webhook with a secret path.
        let r = server
            .anonymous()
            .post(format!("{}/status/subscribe.json", server.url))
            .json(&json!({"email": "tanaka@example.org", "language": "en"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let viewer = server.create_user("mori", "viewer");
        let viewer = server.sign_in("mori", &viewer).await;
        let responder = server.create_user("aoki", "responder");
        let responder = server.sign_in("aoki", &responder).await;
        let page = |client: &reqwest::Client, lang: &'static str| {
            let url = format!("{}/status-page/subscribers", server.url);
            let request = client.get(url).header("accept-language", lang);
            async move {
                let r = request.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let csrf = server.csrf(&responder, "/status-page/subscribers").await;
        let post = |path: &str, form: Vec<(&str, &str)>| {
            let mut form = form;
            form.push(("csrf", &csrf));
            responder
                .post(format!("{}{path}", server.url))
                .header("accept-language", "en")
                .form(&form)
                .send()
        };
        // Bad input names the field; a webhook is added.
        let r = post(
            "/status-page/subscribers",
            vec![("url", "ftp://x"), ("language", "en")],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("url: "));
        let hook = "https://hooks.example.org/t/s3cret-path";
        let r = post(
            "/status-page/subscribers",
            vec![("url", hook), ("language", "ja")],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 303);

        let (status, full) = page(&responder, "en").await;
        assert_eq!(status, 200);
        assert!(
            full.contains("tanaka@example.org") && full.contains(hook),
            "{full}"
        );
        assert!(full.contains("Waiting for confirmation") && full.contains("Confirmed"));
        let (status, masked) = page(&viewer, "ja").await;
        assert_eq!(status, 200);
        assert!(masked.contains("ta***@example.org"), "{masked}");
        assert!(masked.contains("https://hooks.example.org/…"));
        assert!(!masked.contains("tanaka@") && !masked.contains("s3cret"));
        assert!(masked.contains("確認待ち") && !masked.contains("/delete"));

        // A request whose link ran out shows so, and the next request deletes it.
        let pool = server.database().await;
        sqlx::query("UPDATE status_subscribers SET expires_at = $1 WHERE kind = 'email'")
            .bind(now_ms() - 1)
            .execute(&pool)
            .await
            .unwrap();
        let (_, expired) = page(&responder, "en").await;
        assert!(expired.contains("Link expired"), "{expired}");
        let r = server
            .anonymous()
            .post(format!("{}/status/subscribe.json", server.url))
            .json(&json!({"email": "sato@example.org"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let listed = server.get_json("/api/v1/status/subscribers").await;
        let emails: Vec<&Value> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["email"])
            .collect();
        assert!(!emails.contains(&&json!("tanaka@example.org")), "{listed}");
        assert!(emails.contains(&&json!("sato@example.org")), "{listed}");
        pool.close().await;

        // Any subscriber can be removed from the page.
        let listed = server.get_json("/api/v1/status/subscribers").await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        for s in listed.as_array().unwrap() {
            let id = s["id"].as_str().unwrap();
            let r = post(&format!("/status-page/subscribers/{id}/delete"), vec![])
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
        let (_, empty) = page(&responder, "en").await;
        assert!(empty.contains("Nobody subscribes to the status page yet."));
    }
);

both_databases!(
    status_incidents_name_their_internal_incident_and_components_their_service,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let r = server
            .post_json("/api/v1/services", &json!({"name": "受注システム"}))
            .await;
        assert_eq!(r.status(), 201);
        let service: Value = r.json().await.unwrap();
        let service_id = service["id"].as_str().unwrap();
        // A component names the service it shows (by id or name); an unknown one is
        // refused, naming the field.
        let r = server
            .post_json(
                "/api/v1/status/components",
                &json!({"name": "受注 API", "service_id": "受注システム"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let component: Value = r.json().await.unwrap();
        assert_eq!(component["service_id"], service_id);
        let r = server
            .post_json(
                "/api/v1/status/components",
                &json!({"name": "在庫 API", "service_id": "nope"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"]["field"], "service_id");
        let r = server
            .post_json(
                "/api/v1/incidents",
                &json!({"title": "受注の遅延", "summary": "受注処理が遅れています",
                        "severity": "SEV2", "services": [service_id]}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let internal: Value = r.json().await.unwrap();
        let internal_id = internal["id"].as_str().unwrap();

        // The internal incident page offers publishing it: prefilled, SEV2 as major, the
        // service's component offered.
        let password = server.create_user("aoki", "responder");
        let aoki = server.sign_in("aoki", &password).await;
        let page = aoki
            .get(format!("{}/incidents/{internal_id}", server.url))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Publish to the status page"), "{page}");
        assert!(page.contains(&format!("name=\"incident_id\" value=\"{internal_id}\"")));
        assert!(page.contains("value=\"受注の遅延\""));
        assert!(page.contains("<option value=\"major\" selected>"));
        let component_id = component["id"].as_str().unwrap();
        assert!(page.contains(&format!("name=\"state.{component_id}\"")));
        assert!(page.contains("Not published on the status page."));

        // Publishing through that form links both ways.
        let csrf = server
            .csrf(&aoki, &format!("/incidents/{internal_id}"))
            .await;
        let r = aoki
            .post(format!("{}/status-page/incidents", server.url))
            .form(&[
                ("csrf", csrf.as_str()),
                ("incident_id", internal["reference"].as_str().unwrap()),
                ("name", "受注の遅延"),
                ("impact", "major"),
                ("body_ja", "受注処理が遅れています。"),
                (&format!("state.{component_id}"), "degraded_performance"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let status_id = to.rsplit('/').next().unwrap().to_owned();
        let status_page = aoki
            .get(format!("{}{to}", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            status_page.contains(&format!("href=\"/incidents/{internal_id}\">INC-1</a>")),
            "{status_page}"
        );
        let page = aoki
            .get(format!("{}/incidents/{internal_id}", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("href=\"/status-page/incidents/{status_id}\"")));
        let own = server
            .get_json(&format!("/api/v1/status/incidents/{status_id}"))
            .await;
        assert_eq!(own["incident_id"], internal_id);
        // Publishing it wrote the first status update on the internal incident's timeline.
        let timeline = server
            .get_json(&format!(
                "/api/v1/incidents/{internal_id}/timeline?kind=status_page_update"
            ))
            .await;
        let entries = timeline.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{timeline}");
        assert_eq!(entries[0]["data"]["status_incident"], status_id.as_str());

        // The console's component form shows and changes the service.
        let csrf = server.csrf(&aoki, "/status-page").await;
        let manage = aoki
            .get(format!("{}/status-page", server.url))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(manage.contains("Service: 受注システム"), "{manage}");
        let r = aoki
            .post(format!(
                "{}/status-page/components/{component_id}",
                server.url
            ))
            .form(&[
                ("csrf", csrf.as_str()),
                ("state", "operational"),
                ("service", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let components = server.get_json("/api/v1/status/components").await;
        assert!(components[0].get("service_id").is_none(), "{components}");

        // An unknown incident is refused, naming the field.
        let r = server
            .post_json(
                "/api/v1/status/incidents",
                &json!({"name": "x", "impact": "minor", "body_ja": "x", "incident_id": "INC-99"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"]["field"], "incident_id");

        // The public never sees the links.
        for path in [
            "/api/v2/summary.json".to_owned(),
            "/api/v2/incidents.json".to_owned(),
            "/api/v2/components.json".to_owned(),
            "/status".to_owned(),
            format!("/status/incidents/{status_id}"),
            "/status/history.atom".to_owned(),
        ] {
            let (status, _, body) = fetch(&server, &path, "en").await;
            assert_eq!(status, 200, "{path}");
            assert!(
                !body.contains(internal_id) && !body.contains(service_id),
                "{path}: {body}"
            );
            assert!(
                !body.contains("INC-1") && !body.contains("service_id"),
                "{path}"
            );
        }
    }
);
