//! What clients and people see, pinned with insta: the API's error shape, `/api/v1/me`, a
//! silence, and the sign-in and alerts pages in Japanese and English. Ids, times, CSRF
//! tokens and asset hashes are replaced by placeholders, so a snapshot changes only when
//! what is shown does. Both databases compare against the same snapshot.
//!
//! A missing or different snapshot fails the test; outside CI insta also writes the new
//! one beside it (`*.snap.new`) for `cargo insta review`, or rename it after reading it.

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// `value` with its ids and times replaced: keys `id` and `*_id`, and `*_at` (a `null`
/// stays `null`, as it tells the shape).
pub(crate) fn redacted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if k == "id" || k.ends_with("_id") => "[id]".into(),
                        Value::String(_) if k.ends_with("_at") => "[time]".into(),
                        v => redacted(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        v => v,
    }
}

/// A status and a JSON body, as one value to snapshot.
async fn answer(r: reqwest::Response) -> Value {
    let status = r.status().as_u16();
    json!({ "status": status, "body": redacted(r.json().await.expect("a JSON body")) })
}

/// Snapshots an answer of the API, made with [`answer`].
fn assert_body(name: &str, answer: &Value) {
    insta::assert_json_snapshot!(name, answer);
}

/// Snapshots a rendered page with what changes per run or per build replaced.
fn assert_page(name: &str, html: &str) {
    insta::with_settings!({
        filters => vec![
            (r#"(name="csrf" value=")[0-9a-f]+"#, "$1[csrf]"),
            // htmx's headers, in an attribute: the quotes are escaped.
            (r#"(X-CSRF-Token(?:"|&#34;):(?:"|&#34;))[0-9a-f]+"#, "$1[csrf]"),
            (r"(/static/[\w-]+)\.[0-9a-f]+\.(\w+)", "$1.[hash].$2"),
        ],
    }, {
        insta::assert_snapshot!(name, html);
    });
}

async fn page(client: &reqwest::Client, url: &str, lang: &str) -> String {
    let r = client
        .get(url)
        .header("accept", "text/html")
        .header("accept-language", lang)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200, "{url} in {lang}");
    r.text().await.expect("page")
}

both_databases!(api_bodies, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let url = |path: &str| format!("{}{path}", server.url);
    server.create_user("yui", "viewer");
    let viewer = authorized_client(&server.create_token("yui", None));
    let unauthenticated = server.anonymous().get(url("/api/v1/me")).send().await;
    let forbidden = viewer.get(url("/api/v1/audit")).send().await;
    let not_found = server.get("/api/v1/silences/no-such-silence").await;
    let bad_time = json!({"matchers": ["a=\"b\""], "ends_at": "tomorrow", "comment": "c"});
    let invalid_field = server.post_json("/api/v1/silences", &bad_time).await;
    let bad_request = server.post_raw("/api/v1/silences", "{not json").await;
    let taken = json!({"username": "yui", "role": "viewer"});
    let conflict = server.post_json("/api/v1/users", &taken).await;
    let errors = json!({
        "unauthenticated": answer(unauthenticated.unwrap()).await,
        "forbidden": answer(forbidden.unwrap()).await,
        "not_found": answer(not_found).await,
        "invalid_field": answer(invalid_field).await,
        "bad_request": answer(bad_request).await,
        "conflict": answer(conflict).await,
    });
    assert_body("api_errors", &errors);

    let r = viewer
        .patch(url("/api/v1/me"))
        .json(&json!({"display_name": "結衣", "locale": "ja", "time_zone": "Asia/Tokyo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me = answer(viewer.get(url("/api/v1/me")).send().await.unwrap()).await;
    assert_body("me", &me);

    let r = server
        .post_json("/api/v1/teams", &json!({"name": "db"}))
        .await;
    assert_eq!(r.status(), 201);
    let silence = json!({
        "matchers": ["alertname=\"DiskFull\"", "instance=~\"db-.*\""],
        "ends_at": api_time(now_ms() + 3_600_000),
        "comment": "ディスク増設中",
        "team": "db",
    });
    let created = answer(server.post_json("/api/v1/silences", &silence).await).await;
    assert_body("silence", &created);
    assert!(server.terminate().await.success());
});

both_databases!(pages, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let password = server.create_user("yui", "responder");
    let browser = server.sign_in("yui", &password).await;
    for lang in ["ja", "en"] {
        let html = page(
            &server.anonymous(),
            &format!("{}/login?next=/alerts", server.url),
            lang,
        )
        .await;
        assert_page(&format!("login_{lang}"), &html);
        let html = page(&browser, &format!("{}/alerts", server.url), lang).await;
        assert_page(&format!("alerts_empty_{lang}"), &html);
    }
    assert!(server.terminate().await.success());
});

/// Statuspage's `summary.json` with [`redacted`]'s placeholders, and also the values that
/// hold ids, times or the server's address: `url`, `shortlink`, an affected component's
/// `code`, a group's member list and a maintenance's window.
fn redacted_summary(value: Value) -> Value {
    match redacted(value) {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("url" | "shortlink", Value::String(_)) => "[url]".into(),
                        ("code", Value::String(_)) => "[id]".into(),
                        ("scheduled_for" | "scheduled_until", Value::String(_)) => "[time]".into(),
                        ("components", Value::Array(items))
                            if items.iter().all(Value::is_string) =>
                        {
                            Value::Array(items.iter().map(|_| "[id]".into()).collect())
                        }
                        (_, v) => redacted_summary(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted_summary).collect()),
        v => v,
    }
}

both_databases!(status_summary, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    crate::status_page::build(&server).await;
    let summary = server
        .anonymous()
        .get(format!("{}/api/v2/summary.json", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status(), 200);
    let summary = redacted_summary(summary.json().await.unwrap());
    assert_body("status_summary", &summary);
    assert!(server.terminate().await.success());
});
