//! hinomi's own REST API, black-box: teams, silences with team scope, integrations, alerts
//! and the audit log, the OpenAPI document and the offline Swagger UI, on both databases.

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// Sends `method path` with an optional JSON body as the harness owner; answers status and
/// parsed body (`Value::Null` for an empty one).
pub(crate) async fn call(
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    send(&server.http, server, method, path, body).await
}

/// `method path` as the client holding `token`: status and parsed body.
pub(crate) async fn call_as(
    server: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    send(&authorized_client(token), server, method, path, body).await
}

async fn send(
    client: &reqwest::Client,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", server.url),
    );
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"))
    };
    (status, value)
}

pub(crate) fn assert_error(got: &(u16, Value), status: u16, code: &str, field: Option<&str>) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    match field {
        Some(f) => assert_eq!(got.1["error"]["field"], f, "{}", got.1),
        None => assert!(got.1["error"].get("field").is_none(), "{}", got.1),
    }
}

fn silence(matchers: &[&str], team: Option<&str>) -> Value {
    let mut body = json!({
        "matchers": matchers,
        "ends_at": api_time(now_ms() + 3_600_000),
        "comment": "メンテナンス中",
    });
    if let Some(team) = team {
        body["team"] = team.into();
    }
    body
}

both_databases!(teams_and_silences, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    // Teams.
    let created = call(
        &server,
        "POST",
        "/api/v1/teams",
        Some(json!({"name": "db", "description": "データベース"})),
    )
    .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let team_id = created.1["id"].as_str().unwrap().to_owned();
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "db"})),
        )
        .await,
        409,
        "conflict",
        None,
    );
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "  "})),
        )
        .await,
        400,
        "invalid_field",
        Some("name"),
    );
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "x", "colour": "red"})),
        )
        .await,
        400,
        "bad_request",
        Some("body"),
    );
    let (status, team) = call(&server, "GET", "/api/v1/teams/db", None).await;
    assert_eq!(status, 200);
    assert_eq!(team["id"], team_id.as_str());
    assert_eq!(team["members"], json!([]));
    assert_error(
        &call(
            &server,
            "PUT",
            "/api/v1/teams/db/members/nobody",
            Some(json!({"role": "admin"})),
        )
        .await,
        400,
        "invalid_field",
        Some("role"),
    );
    assert_error(
        &call(
            &server,
            "PUT",
            "/api/v1/teams/db/members/nobody",
            Some(json!({"role": "responder"})),
        )
        .await,
        404,
        "not_found",
        None,
    );
    let (status, renamed) = call(
        &server,
        "PATCH",
        "/api/v1/teams/db",
        Some(json!({"name": "database"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "database");

    // Silences: one in the team, one in none.
    let (status, s1) = call(
        &server,
        "POST",
        "/api/v1/silences",
        Some(silence(&["alertname=\"Disk\""], Some("database"))),
    )
    .await;
    assert_eq!(status, 201, "{s1}");
    assert_eq!(s1["team_id"], team_id.as_str());
    assert_eq!(s1["state"], "active");
    assert_eq!(s1["created_by"], "harness-owner");
    assert_eq!(s1["matchers"], json!(["alertname=\"Disk\""]));
    let id1 = s1["id"].as_str().unwrap().to_owned();
    // Bad input names its field and stores nothing.
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/silences",
            Some(silence(&["alertname=~("], None)),
        )
        .await,
        400,
        "invalid_field",
        Some("matchers[0]"),
    );
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/silences",
            Some(silence(&[], None)),
        )
        .await,
        400,
        "invalid_field",
        Some("matchers"),
    );
    let mut past = silence(&["a=\"b\""], None);
    past["ends_at"] = api_time(now_ms() - 60_000).into();
    assert_error(
        &call(&server, "POST", "/api/v1/silences", Some(past)).await,
        400,
        "invalid_field",
        Some("ends_at"),
    );
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/silences",
            Some(silence(&["a=\"b\""], Some("nope"))),
        )
        .await,
        400,
        "invalid_field",
        Some("team"),
    );
    let (_, list) = call(&server, "GET", "/api/v1/silences", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // New matchers replace the silence; the new one stays in the team.
    let (status, s2) = call(
        &server,
        "PUT",
        &format!("/api/v1/silences/{id1}"),
        Some(silence(&["alertname=\"Memory\""], None)),
    )
    .await;
    assert_eq!(status, 200, "{s2}");
    let id2 = s2["id"].as_str().unwrap().to_owned();
    assert_ne!(id1, id2);
    assert_eq!(s2["team_id"], team_id.as_str());
    let (_, old) = call(&server, "GET", &format!("/api/v1/silences/{id1}"), None).await;
    assert_eq!(old["state"], "expired");
    let (status, _) = call(&server, "DELETE", &format!("/api/v1/silences/{id2}"), None).await;
    assert_eq!(status, 204);
    assert_error(
        &call(&server, "DELETE", "/api/v1/silences/no-such-id", None).await,
        404,
        "not_found",
        None,
    );
    // Deleting the team leaves its silences in no team.
    let (status, _) = call(&server, "DELETE", "/api/v1/teams/database", None).await;
    assert_eq!(status, 204);
    let (_, s2) = call(&server, "GET", &format!("/api/v1/silences/{id2}"), None).await;
    assert_eq!(s2["team_id"], Value::Null);

    // Every change is in the audit log, newest first, paged by id.
    let (status, page) = call(
        &server,
        "GET",
        "/api/v1/audit?action=silence.&limit=2",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "silence.expired");
    assert_eq!(entries[0]["target"], id2.as_str());
    assert_eq!(entries[1]["action"], "silence.updated");
    assert_eq!(entries[1]["detail"]["previous_id"], id1.as_str());
    let before = page["next_before_id"].as_i64().expect("a next page");
    let (_, page) = call(
        &server,
        "GET",
        &format!("/api/v1/audit?action=silence.&limit=2&before_id={before}"),
        None,
    )
    .await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "silence.created");
    assert_eq!(entries[0]["target"], id1.as_str());
    assert_eq!(entries[0]["detail"]["comment"], "メンテナンス中");
    assert_eq!(page["next_before_id"], Value::Null);
    assert_error(
        &call(&server, "GET", "/api/v1/audit?limit=0", None).await,
        400,
        "invalid_field",
        Some("limit"),
    );
    assert_error(
        &call(&server, "GET", "/api/v1/audit?since=yesterday", None).await,
        400,
        "invalid_field",
        Some("since"),
    );
    // The export streams every entry as one JSON object per line.
    let r = server.get("/api/v1/audit/export").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    for a in [
        "team.created",
        "team.updated",
        "team.deleted",
        "silence.created",
        "silence.updated",
        "silence.expired",
    ] {
        assert!(
            actions.contains(&a),
            "{a} missing from the export: {actions:?}"
        );
    }
    assert!(server.terminate().await.success());
});

both_databases!(integrations_and_alerts, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let (status, created) = call(
        &server,
        "POST",
        "/api/v1/integrations",
        Some(json!({"name": "grafana", "labels": {"team": "db"}})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 32);
    assert_eq!(created["kind"], "pagerduty");
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/integrations",
            Some(json!({"name": "grafana"})),
        )
        .await,
        409,
        "conflict",
        None,
    );
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/integrations",
            Some(json!({"name": "x", "kind": "email"})),
        )
        .await,
        400,
        "invalid_field",
        Some("kind"),
    );
    let (_, list) = call(&server, "GET", "/api/v1/integrations", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(&key),
        "the key is shown only once"
    );
    // The key works for intake until it is revoked.
    let event = json!({"routing_key": key, "event_action": "trigger", "dedup_key": "d1",
        "payload": {"summary": "disk full", "source": "db1", "severity": "critical"}});
    let r = server.post_json("/v2/enqueue", &event).await;
    assert_eq!(r.status(), 202);

    // Alerts: filter by matchers and state; one alert with its history.
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([am_alert(&[("alertname", "Disk"), ("sev", "crit")])]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (status, alerts) = call(
        &server,
        "GET",
        "/api/v1/alerts?filter=%7Balertname%3D%22Disk%22%7D",
        None,
    )
    .await;
    assert_eq!(status, 200, "{alerts}");
    let alerts = alerts.as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["labels"]["sev"], "crit");
    assert_eq!(alerts[0]["state"], "active");
    let fp = alerts[0]["fingerprint"].as_str().unwrap().to_owned();
    let (status, one) = call(&server, "GET", &format!("/api/v1/alerts/{fp}"), None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["labels"]["alertname"], "Disk");
    assert!(one["history"].is_array());
    let (_, suppressed_only) = call(&server, "GET", "/api/v1/alerts?active=false", None).await;
    assert_eq!(suppressed_only, json!([]));
    assert_error(
        &call(
            &server,
            "GET",
            "/api/v1/alerts?filter=%7Balertname%3D~%22(%22%7D",
            None,
        )
        .await,
        400,
        "invalid_field",
        Some("filter"),
    );
    assert_error(
        &call(&server, "GET", "/api/v1/alerts?active=maybe", None).await,
        400,
        "bad_request",
        Some("query"),
    );
    assert_error(
        &call(&server, "GET", "/api/v1/alerts/0000000000000001", None).await,
        404,
        "not_found",
        None,
    );
    let (status, groups) = call(&server, "GET", "/api/v1/groups", None).await;
    assert_eq!(status, 200);
    assert!(!groups.as_array().unwrap().is_empty());

    let (status, _) = call(&server, "DELETE", "/api/v1/integrations/grafana", None).await;
    assert_eq!(status, 204);
    assert_error(
        &call(&server, "DELETE", "/api/v1/integrations/grafana", None).await,
        404,
        "not_found",
        None,
    );
    let r = server.post_json("/v2/enqueue", &event).await;
    assert!(r.status().is_client_error(), "a revoked key is refused");
    assert!(server.terminate().await.success());
});

both_databases!(openapi_and_swagger_ui, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let doc = server.get_json("/api/v1/openapi.json").await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/silences",
        "/api/v1/silences/{id}",
        "/api/v1/teams",
        "/api/v1/audit/export",
        "/api/v1/alerts/{fingerprint}",
        "/api/v1/me",
        "/api/v1/me/tokens/{id}",
        "/api/v1/users/{id}/password-reset",
        "/api/v1/incidents/{incident}/drafts",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
    assert!(doc["components"]["schemas"].get("SilenceIn").is_some());
    assert!(doc["components"]["securitySchemes"].get("token").is_some());
    // The error code table is in the document and in docs/api.md, alike.
    let codes = doc["info"]["x-error-codes"]
        .as_array()
        .expect("x-error-codes");
    let api_md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    for c in codes {
        let row = format!("| `{}` | {} |", c["code"].as_str().unwrap(), c["status"]);
        assert!(
            api_md.contains(&row),
            "docs/api.md lacks the row starting {row:?}"
        );
    }
    assert_eq!(
        api_md.matches("\n| `").count(),
        codes.len(),
        "docs/api.md lists other codes"
    );
    // Swagger UI is served from the binary.
    let r = server.get("/api/v1/docs/").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    let r = server.get("/api/v1/docs/swagger-ui-bundle.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/javascript");
    assert!(r.text().await.unwrap().len() > 100_000);
    let r = server.get("/api/v1/docs/swagger-initializer.js").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/api/v1/openapi.json"));
    let r = server.get("/api/v1/docs").await;
    assert_eq!(r.url().path(), "/api/v1/docs/", "sent on to the directory");
    assert_eq!(r.status(), 200);
    let r = server.get("/api/v1/docs/no-such-file.js").await;
    assert_eq!(r.status(), 404);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "not_found");
    assert!(server.terminate().await.success());
});

both_databases!(me_and_own_tokens, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let me = call(&server, "GET", "/api/v1/me", None).await;
    assert_eq!(me.0, 200, "{}", me.1);
    assert_eq!(me.1["username"], "harness-owner");
    assert_eq!(me.1["role"], "owner");
    assert!(me.1.get("password_hash").is_none());
    let patched = call(
        &server,
        "PATCH",
        "/api/v1/me",
        Some(
            json!({"display_name": "管理者", "email": "owner@example.com",
                    "locale": "ja", "time_zone": "Asia/Tokyo"}),
        ),
    )
    .await;
    assert_eq!(patched.0, 200, "{}", patched.1);
    // Each bad field is named, and nothing changes.
    for (body, field) in [
        (json!({"locale": "fr"}), "locale"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"email": "not an address"}), "email"),
        (json!({"display_name": " "}), "display_name"),
        (json!({"locale": "en", "email": "x"}), "email"),
    ] {
        assert_error(
            &call(&server, "PATCH", "/api/v1/me", Some(body)).await,
            400,
            "invalid_field",
            Some(field),
        );
    }
    let me = call(&server, "GET", "/api/v1/me", None).await;
    assert_eq!(me.1["display_name"], "管理者");
    assert_eq!(me.1["email"], "owner@example.com");
    assert_eq!(me.1["locale"], "ja");
    assert_eq!(me.1["time_zone"], "Asia/Tokyo");

    // Own tokens: shown once, capped at one's role, revocable.
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "ci", "role": "root"}), "role"),
        (json!({"name": "ci", "expires_in": "soon"}), "expires_in"),
        (json!({"name": "ci", "expires_in": "0"}), "expires_in"),
    ] {
        assert_error(
            &call(&server, "POST", "/api/v1/me/tokens", Some(body)).await,
            400,
            "invalid_field",
            Some(field),
        );
    }
    let created = call(
        &server,
        "POST",
        "/api/v1/me/tokens",
        Some(json!({"name": "ci", "role": "viewer", "expires_in": "30d"})),
    )
    .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let secret = created.1["secret"].as_str().unwrap().to_owned();
    let id = created.1["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("hnm_"), "{secret}");
    assert_eq!(created.1["role"], "viewer");
    assert!(created.1["expires_at"].is_string(), "{}", created.1);
    let listed = call(&server, "GET", "/api/v1/me/tokens", None).await;
    assert_eq!(listed.0, 200);
    let mine = listed.1.as_array().unwrap();
    assert!(
        mine.iter()
            .any(|t| t["id"] == id.as_str() && t["live"] == true)
    );
    assert!(mine.iter().all(|t| t.get("secret").is_none()));
    assert_eq!(
        call_as(&server, &secret, "GET", "/api/v1/alerts", None)
            .await
            .0,
        200
    );
    // The viewer token may not make a token above viewer.
    assert_error(
        &call_as(
            &server,
            &secret,
            "POST",
            "/api/v1/me/tokens",
            Some(json!({"name": "up", "role": "responder"})),
        )
        .await,
        403,
        "forbidden",
        None,
    );
    let r = call(&server, "DELETE", &format!("/api/v1/me/tokens/{id}"), None).await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_error(
        &call_as(&server, &secret, "GET", "/api/v1/alerts", None).await,
        401,
        "unauthenticated",
        None,
    );
    assert_error(
        &call(&server, "DELETE", &format!("/api/v1/me/tokens/{id}"), None).await,
        404,
        "not_found",
        None,
    );
    assert!(server.terminate().await.success());
});

both_databases!(users_roles_and_the_last_owner, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    for (body, field) in [
        (
            json!({"username": "bad name", "role": "viewer"}),
            "username",
        ),
        (json!({"username": "hanako", "role": "root"}), "role"),
        (
            json!({"username": "hanako", "role": "viewer", "email": "@"}),
            "email",
        ),
    ] {
        assert_error(
            &call(&server, "POST", "/api/v1/users", Some(body)).await,
            400,
            "invalid_field",
            Some(field),
        );
    }
    let created = call(
        &server,
        "POST",
        "/api/v1/users",
        Some(json!({"username": "hanako", "role": "responder", "display_name": "花子"})),
    )
    .await;
    assert_eq!(created.0, 201, "{}", created.1);
    assert_eq!(created.1["must_change_password"], true);
    let otp = created.1["one_time_password"].as_str().unwrap().to_owned();
    assert!(otp.len() >= 12, "{otp}");
    assert_error(
        &call(
            &server,
            "POST",
            "/api/v1/users",
            Some(json!({"username": "hanako", "role": "viewer"})),
        )
        .await,
        409,
        "conflict",
        None,
    );
    let users = call(&server, "GET", "/api/v1/users", None).await;
    assert_eq!(users.0, 200);
    assert!(
        users
            .1
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "hanako")
    );
    let one = call(&server, "GET", "/api/v1/users/hanako", None).await;
    assert_eq!(one.1["display_name"], "花子");
    let by_id = call(
        &server,
        "GET",
        &format!("/api/v1/users/{}", one.1["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(by_id.1["username"], "hanako");

    // An admin grants and touches nothing above admin.
    server.create_user("aiko", "admin");
    let aiko = server.create_token("aiko", None);
    assert_error(
        &call_as(
            &server,
            &aiko,
            "POST",
            "/api/v1/users",
            Some(json!({"username": "boss", "role": "owner"})),
        )
        .await,
        403,
        "forbidden",
        None,
    );
    assert_error(
        &call_as(
            &server,
            &aiko,
            "PATCH",
            "/api/v1/users/hanako",
            Some(json!({"role": "owner"})),
        )
        .await,
        403,
        "forbidden",
        None,
    );
    assert_error(
        &call_as(
            &server,
            &aiko,
            "PATCH",
            "/api/v1/users/harness-owner",
            Some(json!({"display_name": "x"})),
        )
        .await,
        403,
        "forbidden",
        None,
    );
    let r = call_as(
        &server,
        &aiko,
        "PATCH",
        "/api/v1/users/hanako",
        Some(json!({"role": "admin", "email": "hanako@example.jp"})),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["role"], "admin");
    assert_error(
        &call(
            &server,
            "PATCH",
            "/api/v1/users/hanako",
            Some(json!({"role": "chief"})),
        )
        .await,
        400,
        "invalid_field",
        Some("role"),
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/users/hanako", None).await.1["role"],
        "admin"
    );

    // The only owner can be neither demoted, disabled nor deleted.
    for (method, body) in [
        ("PATCH", Some(json!({"role": "admin"}))),
        ("PATCH", Some(json!({"disabled": true}))),
        ("DELETE", None),
    ] {
        assert_error(
            &call(&server, method, "/api/v1/users/harness-owner", body).await,
            409,
            "last_owner",
            None,
        );
    }
    let me = call(&server, "GET", "/api/v1/me", None).await;
    assert_eq!(me.1["role"], "owner");
    assert!(me.1["disabled_at"].is_null());
    // With a second owner, the first may step down.
    server.create_user("second-owner", "owner");
    let second = server.create_token("second-owner", None);
    let r = call_as(
        &server,
        &second,
        "PATCH",
        "/api/v1/users/harness-owner",
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_error(
        &call_as(
            &server,
            &second,
            "DELETE",
            "/api/v1/users/second-owner",
            None,
        )
        .await,
        409,
        "last_owner",
        None,
    );

    // Everyone's tokens: an admin revokes an admin's, not an owner's.
    let made = call_as(
        &server,
        &aiko,
        "POST",
        "/api/v1/me/tokens",
        Some(json!({"name": "script"})),
    )
    .await;
    assert_eq!(made.0, 201, "{}", made.1);
    assert_eq!(made.1["role"], "admin");
    let script = made.1["secret"].as_str().unwrap().to_owned();
    let all = call_as(&server, &second, "GET", "/api/v1/tokens", None).await;
    assert_eq!(all.0, 200, "{}", all.1);
    let all = all.1.as_array().unwrap().clone();
    let script_id = all
        .iter()
        .find(|t| t["id"] == made.1["id"])
        .expect("listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owners_token = all
        .iter()
        .find(|t| t["username"] == "second-owner")
        .expect("the owner's token")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_error(
        &call_as(
            &server,
            &aiko,
            "DELETE",
            &format!("/api/v1/tokens/{owners_token}"),
            None,
        )
        .await,
        403,
        "forbidden",
        None,
    );
    assert_eq!(
        call_as(&server, &second, "GET", "/api/v1/me", None).await.0,
        200
    );
    let r = call_as(
        &server,
        &aiko,
        "DELETE",
        &format!("/api/v1/tokens/{script_id}"),
        None,
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_eq!(
        call_as(&server, &script, "GET", "/api/v1/alerts", None)
            .await
            .0,
        401
    );

    // Disabling shuts the user out; deleting removes them.
    let r = call_as(
        &server,
        &second,
        "PATCH",
        "/api/v1/users/aiko",
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert!(r.1["disabled_at"].is_string());
    assert_eq!(
        call_as(&server, &aiko, "GET", "/api/v1/me", None).await.0,
        401
    );
    let r = call_as(&server, &second, "DELETE", "/api/v1/users/hanako", None).await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_error(
        &call_as(&server, &second, "GET", "/api/v1/users/hanako", None).await,
        404,
        "not_found",
        None,
    );
    // Every change is in the audit log.
    let audit = call_as(&server, &second, "GET", "/api/v1/audit?action=user.", None).await;
    let actions: Vec<&str> = audit.1["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", audit.1))
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["user.created", "user.updated", "user.deleted"] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
    assert!(server.terminate().await.success());
});

both_databases!(a_reset_password_must_be_changed, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let old = server.create_user("kenji", "responder");
    let kenji = server.create_token("kenji", None);
    assert_eq!(
        call_as(&server, &kenji, "GET", "/api/v1/alerts", None)
            .await
            .0,
        200
    );
    let reset = call(&server, "POST", "/api/v1/users/kenji/password-reset", None).await;
    assert_eq!(reset.0, 200, "{}", reset.1);
    let otp = reset.1["one_time_password"].as_str().unwrap().to_owned();
    assert_error(
        &call_as(&server, &kenji, "GET", "/api/v1/alerts", None).await,
        403,
        "password_change_required",
        None,
    );
    // Reading one's profile and changing the password stay open.
    let me = call_as(&server, &kenji, "GET", "/api/v1/me", None).await;
    assert_eq!(me.1["must_change_password"], true);
    for (body, field) in [
        (
            json!({"current": old, "new": "a brand new passphrase"}),
            "current",
        ),
        (json!({"current": otp, "new": "short"}), "new"),
    ] {
        assert_error(
            &call_as(&server, &kenji, "POST", "/api/v1/me/password", Some(body)).await,
            400,
            "invalid_field",
            Some(field),
        );
    }
    let r = call_as(
        &server,
        &kenji,
        "POST",
        "/api/v1/me/password",
        Some(json!({"current": otp, "new": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_eq!(
        call_as(&server, &kenji, "GET", "/api/v1/alerts", None)
            .await
            .0,
        200
    );
    let me = call_as(&server, &kenji, "GET", "/api/v1/me", None).await;
    assert_eq!(me.1["must_change_password"], false);
    server.sign_in("kenji", "a brand new passphrase").await;
    let audit = call(&server, "GET", "/api/v1/audit?target=kenji", None).await;
    let text = audit.1.to_string();
    assert!(text.contains("user.password_reset"), "{text}");
    assert!(text.contains("user.password_changed"), "{text}");
    assert!(
        !text.contains(&otp),
        "the one-time password is in the audit log"
    );
    assert!(server.terminate().await.success());
});

both_databases!(the_cli_manages_users_and_tokens, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    // The same last-owner rule as the API, from the command line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .args(["--database-url", &server.database_url])
        .args(["user", "set-role", "harness-owner", "admin"])
        .env_remove("HINOMI_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("last enabled owner"), "{stderr}");
    assert_eq!(
        call(&server, "GET", "/api/v1/me", None).await.1["role"],
        "owner"
    );

    server.create_user("yuki", "responder");
    server.cli(&["user", "set-role", "yuki", "viewer"], None);
    let yuki = call(&server, "GET", "/api/v1/users/yuki", None).await;
    assert_eq!(yuki.1["role"], "viewer");
    let otp = server
        .cli(&["user", "reset-password", "yuki"], None)
        .trim()
        .to_owned();
    assert!(otp.len() >= 12, "{otp}");
    let token = server.create_token("yuki", None);
    assert_error(
        &call_as(&server, &token, "GET", "/api/v1/alerts", None).await,
        403,
        "password_change_required",
        None,
    );
    let r = call_as(
        &server,
        &token,
        "POST",
        "/api/v1/me/password",
        Some(json!({"current": otp, "new": "ゆきの新しいパスワードです"})),
    )
    .await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_eq!(
        call_as(&server, &token, "GET", "/api/v1/alerts", None)
            .await
            .0,
        200
    );

    let listed = server.cli(&["token", "list", "--user", "yuki"], None);
    let line = listed.lines().next().unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("live"), "{listed}");
    assert!(!listed.contains("harness-owner"), "{listed}");
    let id = line.split_whitespace().next().unwrap().to_owned();
    server.cli(&["token", "revoke", &id], None);
    assert!(server.cli(&["token", "list"], None).contains("revoked"));
    // The audit entry names the token's user, as a revocation through the API does.
    let audit = server.cli(&["audit", "--action", "token.revoked", "--json"], None);
    assert!(
        audit.lines().any(|l| l.contains(&id) && l.contains("yuki")),
        "{audit}"
    );
    // The server may hold the token in its credential cache for a few seconds.
    eventually_async(
        std::time::Duration::from_secs(15),
        "the revoked token refused",
        || async {
            (call_as(&server, &token, "GET", "/api/v1/alerts", None)
                .await
                .0
                == 401)
                .then_some(())
        },
    )
    .await;

    server.cli(&["user", "disable", "yuki"], None);
    assert!(call(&server, "GET", "/api/v1/users/yuki", None).await.1["disabled_at"].is_string());
    let audit = call(&server, "GET", "/api/v1/audit?target=yuki", None).await;
    let entries = audit.1["entries"].as_array().unwrap();
    let reset = entries
        .iter()
        .find(|e| e["action"] == "user.password_reset")
        .unwrap_or_else(|| panic!("{}", audit.1));
    assert_eq!(reset["actor"]["kind"], "cli");
    assert!(!audit.1.to_string().contains(&otp));
    assert!(server.terminate().await.success());
});
