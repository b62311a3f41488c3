//! Every protected `/api/v1` and `/api/v2` route, tried with every kind of caller: a viewer, a
//! responder, an admin and an owner (API tokens), an integration key, and nobody. Each
//! answer must agree with the access table in `hinomi_core::access`: allowed means neither
//! 401 nor 403; denied means 403 (401 without credentials). The list of routes walked must
//! be the router's own, so a new route cannot go unchecked. Team scope: a viewer who is a
//! responder in a team manages that team's silences and no others, and a token capped
//! below its user's role takes nothing from the user's teams. The console's pages and forms
//! are walked the same way by `console_walk`.

use axum::http::Method;
use hinomi_core::{Action, Role};
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Role(Role),
    Integration,
    Nobody,
}

impl Caller {
    fn allowed(self, action: Action) -> bool {
        match self {
            Caller::Role(r) => r.may(action),
            Caller::Integration => action == Action::PostAlerts,
            Caller::Nobody => false,
        }
    }
}

/// A schedule with one weekly layer of `user_id`, named afresh.
fn walk_schedule(user_id: &str) -> Value {
    json!({"name": format!("s{}", uuid_hex()), "time_zone": "Asia/Tokyo", "layers": [{
        "name": "primary", "participants": [user_id],
        "shift_length": {"unit": "weeks", "count": 1},
        "start": "2026-01-05T10:00:00+09:00", "handoff": "10:00"}]})
}

/// The action each route performs, and a body that would be accepted (`user_id` is a user
/// that schedules may name).
fn route_action(method: &Method, path: &str, user_id: &str) -> (Action, Value) {
    let silence = json!({"matchers": ["walk=\"x\""], "ends_at": api_time(now_ms() + 3_600_000), "comment": "walk"});
    let am_silence = json!({"matchers": [{"name": "walk", "value": "x", "isRegex": false, "isEqual": true}],
        "startsAt": api_time(now_ms()), "endsAt": api_time(now_ms() + 3_600_000), "createdBy": "walk", "comment": "walk"});
    let read = *method == Method::GET;
    match (path, read) {
        ("/api/v2/alerts", false) => (
            Action::PostAlerts,
            json!([am_alert(&[("alertname", "Walk")])]),
        ),
        ("/api/v2/silences", false) => (Action::ManageSilences, am_silence),
        ("/api/v2/silence/{id}", false) => (Action::ManageSilences, Value::Null),
        (p, true) if p.starts_with("/api/v2/") => (Action::Read, Value::Null),
        ("/api/v1/audit" | "/api/v1/audit/export", true) => (Action::ReadAudit, Value::Null),
        (p, _) if p.starts_with("/api/v1/me") => (
            Action::ManageSelf,
            match (method.as_str(), p) {
                ("PATCH", _) => json!({"locale": "ja"}),
                ("POST", "/api/v1/me/password") => {
                    json!({"current": "not the password", "new": "a long enough passphrase"})
                }
                ("POST", "/api/v1/me/contact-methods") => {
                    json!({"kind": "email", "address": "walk@example.com"})
                }
                ("POST", "/api/v1/me/contact-methods/{id}/verify") => json!({"code": "000000"}),
                ("POST", "/api/v1/me/notification-rules") => {
                    json!({"contact_method": "walk-no-such-method", "delay_minutes": 0})
                }
                ("PUT", "/api/v1/me/backup") => json!({"user": null}),
                ("PUT", "/api/v1/me/shift-notices") => json!({"notify": "start"}),
                ("POST", _) => json!({"name": "walk"}),
                _ => Value::Null,
            },
        ),
        (p, _) if p.starts_with("/api/v1/users") || p.starts_with("/api/v1/tokens") => (
            Action::ManageUsers,
            match (method.as_str(), p) {
                ("POST", "/api/v1/users") => {
                    json!({"username": format!("u{}", uuid_hex()), "role": "viewer"})
                }
                ("PATCH", _) => json!({"display_name": "walk"}),
                ("PUT", "/api/v1/users/{id}/skills") => json!({"skills": ["walk"]}),
                _ => Value::Null,
            },
        ),
        ("/api/v1/status/subscribers", true) => (Action::ManageStatusPage, Value::Null),
        (p, true) if p.starts_with("/api/v1/") => (Action::Read, Value::Null),
        ("/api/v1/silences" | "/api/v1/silences/{id}", false) => (Action::ManageSilences, silence),
        (p, false) if p.starts_with("/api/v1/pages") => (
            Action::RespondToPages,
            match p {
                "/api/v1/pages/{id}/reassign" => json!({"user": "walk-viewer"}),
                "/api/v1/pages/{id}/snooze" => json!({"duration": "30m"}),
                _ => Value::Null,
            },
        ),
        (p, false)
            if p.starts_with("/api/v1/incidents")
                || p.starts_with("/api/v1/alert-groups")
                || p.starts_with("/api/v1/action-items")
                || p.starts_with("/api/v1/external-contacts") =>
        {
            (
                Action::RespondToIncidents,
                match (method.as_str(), p) {
                    ("POST", "/api/v1/incidents") => json!({"title": "walk", "severity": "SEV4"}),
                    ("PUT", "/api/v1/incidents/{incident}/recovery/checks/{check}") => {
                        json!({"state": "ok", "note": "walk"})
                    }
                    ("PUT", "/api/v1/incidents/{incident}/recovery/impact-record") => {
                        json!({"data_loss": "walk"})
                    }
                    ("POST", "/api/v1/incidents/{incident}/postmortem") => {
                        json!({"language": "en"})
                    }
                    ("PUT", "/api/v1/incidents/{incident}/postmortem/sections/{section}") => {
                        json!({"body": "walk"})
                    }
                    ("POST", "/api/v1/incidents/{incident}/action-items") => json!({
                        "category": "system", "horizon": "short", "title": format!("walk {}", uuid_hex())}),
                    ("PATCH", "/api/v1/action-items/{item}") => json!({"status": "open"}),
                    ("POST", "/api/v1/incidents/{incident}/roles") => {
                        json!({"role": "operator", "user": "walk-viewer"})
                    }
                    ("PATCH", "/api/v1/incidents/{incident}/checklist/{item}") => {
                        json!({"checked": true})
                    }
                    ("POST", "/api/v1/external-contacts") => {
                        json!({"name": "walk", "organisation": "walk", "email": "walk@example.com"})
                    }
                    ("PATCH", _) => json!({"summary": "walk"}),
                    ("PUT", _) => json!({"at": api_time(now_ms() - 60_000), "reason": "walk"}),
                    ("POST", "/api/v1/incidents/{incident}/timeline") => {
                        json!({"kind": "note", "text": "walk"})
                    }
                    ("POST", "/api/v1/incidents/{incident}/updates") => json!({"text": "walk"}),
                    ("POST", "/api/v1/alert-groups/{group_key}/incident") => {
                        json!({"severity": "SEV4"})
                    }
                    _ => json!({"text": "walk", "reason": "walk"}),
                },
            )
        }
        (p, false) if p.starts_with("/api/v1/services") => (
            Action::ManageServices,
            json!({"name": format!("svc{}", uuid_hex())}),
        ),
        (p, false) if p.starts_with("/api/v1/status/") => (
            Action::ManageStatusPage,
            match p {
                "/api/v1/status/incidents" => {
                    json!({"name": "walk", "impact": "minor", "body_en": "walk"})
                }
                "/api/v1/status/maintenances" => json!({"name": "walk", "body_en": "walk",
                    "scheduled_for": api_time(now_ms()), "scheduled_until": api_time(now_ms() + 3_600_000)}),
                "/api/v1/status/incidents/{id}/updates" => json!({"body_en": "walk"}),
                "/api/v1/status/subscribers" => {
                    json!({"url": format!("http://127.0.0.1:9/{}", uuid_hex())})
                }
                _ => json!({"name": format!("c{}", uuid_hex())}),
            },
        ),
        (p, false) if p.starts_with("/api/v1/heartbeats") => (
            Action::ManageHeartbeats,
            json!({"name": format!("h{}", uuid_hex()), "period": "1h"}),
        ),
        (p, false) if p.starts_with("/api/v1/escalation-policies") => (
            Action::ManagePolicies,
            if p.contains("/bindings/") {
                Value::Null
            } else {
                json!({"name": format!("p{}", uuid_hex()), "repeat": 1, "steps": [
                    {"delay": "5m", "targets": [{"type": "user", "name": "walk-viewer"}]}
                ]})
            },
        ),
        (p, false) if p.starts_with("/api/v1/teams") => (
            Action::ManageTeams,
            if *method == Method::PUT {
                json!({"role": "viewer"})
            } else {
                json!({"name": format!("t{}", uuid_hex())})
            },
        ),
        (p, false) if p.starts_with("/api/v1/schedules") => (
            Action::ManageSchedules,
            match (method.as_str(), p) {
                ("POST" | "PUT", "/api/v1/schedules" | "/api/v1/schedules/{schedule}") => {
                    walk_schedule(user_id)
                }
                ("PATCH", _) => json!({"description": "walk"}),
                // An override: a swap of the caller's own time needs no right to manage
                // (`schedules::a_person_swaps_away_their_own_shift`).
                ("POST", "/api/v1/schedules/{schedule}/overrides") => json!({"user_id": user_id,
                    "start": api_time(now_ms()), "end": api_time(now_ms() + 3_600_000)}),
                _ => Value::Null,
            },
        ),
        (p, false) if p.starts_with("/api/v1/holiday-calendars") => (
            Action::ManageSchedules,
            match (method.as_str(), p) {
                ("POST", "/api/v1/holiday-calendars/{calendar}/import") => {
                    Value::String("2026-12-29,walk".into())
                }
                ("POST", _) => json!({"name": format!("c{}", uuid_hex())}),
                ("PATCH", _) => json!({"description": "walk"}),
                _ => Value::Null,
            },
        ),
        (p, false) if p.starts_with("/api/v1/integrations") => (
            Action::ManageIntegrations,
            if *method == Method::PUT {
                json!({"team": null})
            } else {
                json!({"name": format!("i{}", uuid_hex())})
            },
        ),
        _ => panic!("the walk does not know {method} {path}: add it"),
    }
}

both_databases!(every_route_with_every_role, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let mut callers: Vec<(Caller, reqwest::Client)> = Vec::new();
    for role in Role::ALL {
        let name = format!("walk-{role}");
        server.create_user(&name, role.as_str());
        callers.push((
            Caller::Role(role),
            authorized_client(&server.create_token(&name, None)),
        ));
    }
    let key = server.create_integration("walk-key", &[]);
    callers.push((Caller::Integration, authorized_client(&key)));
    callers.push((Caller::Nobody, server.anonymous()));

    let me = server.get_json("/api/v1/me").await;
    let user_id = me["id"].as_str().unwrap().to_owned();

    let routes: Vec<_> = hinomi_web::route_list(false)
        .into_iter()
        // Public routes (Statuspage's JSON under /api/v2) are walked by `access`.
        .filter(|(r, public)| {
            !public && (r.path.starts_with("/api/v1/") || r.path.starts_with("/api/v2/"))
        })
        .map(|(r, _)| r)
        .collect();
    assert!(
        routes
            .iter()
            .any(|r| r.path == "/api/v1/teams/{team}/members/{username}")
    );
    for route in &routes {
        let (action, body) = route_action(&route.method, route.path, &user_id);
        for (caller, client) in &callers {
            // Fresh resources per call, so a delete by one caller leaves the next its own.
            let team = format!("t{}", uuid_hex());
            let (s, _) = (
                server
                    .http
                    .post(format!("{}/api/v1/teams", server.url))
                    .json(&json!({"name": team}))
                    .send()
                    .await
                    .unwrap(),
                (),
            );
            assert_eq!(s.status(), 201);
            let r = server.http.post(format!("{}/api/v1/silences", server.url))
                .json(&json!({"matchers": ["walk=\"y\""], "ends_at": api_time(now_ms() + 3_600_000), "comment": "walk"}))
                .send().await.unwrap();
            let silence: Value = r.json().await.unwrap();
            let integration = format!("i{}", uuid_hex());
            let r = server
                .http
                .post(format!("{}/api/v1/integrations", server.url))
                .json(&json!({"name": integration}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let mut path = route.path.to_owned();
            if path.contains("{schedule}") {
                let s: Value = server
                    .post_json("/api/v1/schedules", &walk_schedule(&user_id))
                    .await
                    .json()
                    .await
                    .unwrap();
                let id = s["id"].as_str().unwrap();
                let o: Value = server
                    .post_json(
                        &format!("/api/v1/schedules/{id}/overrides"),
                        &json!({"user_id": user_id, "start": api_time(now_ms()),
                                "end": api_time(now_ms() + 3_600_000)}),
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                path = path
                    .replace("{schedule}", id)
                    .replace("{override}", o["id"].as_str().unwrap());
            }
            if path.contains("{calendar}") {
                let c: Value = server
                    .post_json(
                        "/api/v1/holiday-calendars",
                        &json!({"name": format!("c{}", uuid_hex())}),
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                path = path.replace("{calendar}", c["id"].as_str().unwrap());
            }
            let path = path
                .replace("{id}", silence["id"].as_str().unwrap())
                .replace("{team}", &team)
                .replace("{username}", "walk-viewer")
                .replace("{name}", &integration)
                .replace("{policy}", "walk-no-such-policy")
                .replace("{heartbeat}", "walk-no-such-heartbeat")
                .replace("{incident}", "INC-1")
                .replace("{entry}", "1")
                .replace("{assignment}", "999999")
                .replace("{item}", "999999")
                .replace("{milestone}", "started")
                .replace("{check}", "access")
                .replace("{section}", "lessons")
                .replace("{service}", "walk-no-such-service")
                .replace("{group_key}", "walk-no-such-group")
                .replace("{component}", "walk-no-such-component")
                .replace("{kind}", "receiver")
                .replace("{target}", "walk-no-such-receiver")
                .replace("{fingerprint}", "0000000000000001")
                .replace("{*file}", "swagger-ui.css");
            let mut req = client.request(route.method.clone(), format!("{}{path}", server.url));
            if let Value::String(text) = &body {
                req = req.header("content-type", "text/csv").body(text.clone());
            } else if !body.is_null() {
                req = req.json(&body);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            let what = format!(
                "{} {} as {caller:?} ({})",
                route.method,
                route.path,
                action.as_str()
            );
            if caller.allowed(action) {
                assert!(
                    status != 401 && status != 403,
                    "{what} must be allowed: {status} {text}"
                );
            } else if matches!(caller, Caller::Nobody) {
                assert_eq!(status, 401, "{what}: {text}");
            } else {
                assert_eq!(status, 403, "{what}: {text}");
            }
        }
    }
    assert!(server.terminate().await.success());
});

/// Makes `username` a member of `team` with `role`.
async fn set_member(server: &Server, team: &str, username: &str, role: &str) {
    let r = server
        .http
        .put(format!(
            "{}/api/v1/teams/{team}/members/{username}",
            server.url
        ))
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

both_databases!(
    a_team_responder_manages_the_team_silences_only,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        server.create_user("kenji", "viewer");
        let kenji = authorized_client(&server.create_token("kenji", None));
        let r = server
            .post_json("/api/v1/teams", &json!({"name": "db"}))
            .await;
        assert_eq!(r.status(), 201);
        set_member(&server, "db", "kenji", "responder").await;
        let body = |team: Option<&str>| {
            let mut b = json!({"matchers": ["alertname=\"Disk\""], "ends_at": api_time(now_ms() + 3_600_000), "comment": "増設"});
            if let Some(t) = team {
                b["team"] = t.into();
            }
            b
        };
        let url = format!("{}/api/v1/silences", server.url);
        let in_db = |client: &reqwest::Client| client.post(&url).json(&body(Some("db"))).send();
        // In the team: allowed, and the silence is the team's.
        let r = in_db(&kenji).await.unwrap();
        assert_eq!(r.status(), 201);
        let s: Value = r.json().await.unwrap();
        let id = s["id"].as_str().unwrap().to_owned();
        // Outside any team: the global role (viewer) decides.
        let r = kenji.post(&url).json(&body(None)).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // Another team's silence: refused, and nothing changes.
        let r = server
            .post_json("/api/v1/teams", &json!({"name": "web"}))
            .await;
        assert_eq!(r.status(), 201);
        let r = server
            .post_json("/api/v1/silences", &body(Some("web")))
            .await;
        let other: Value = r.json().await.unwrap();
        let other_id = other["id"].as_str().unwrap();
        let r = kenji
            .delete(format!("{url}/{other_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let still = server
            .get_json(&format!("/api/v1/silences/{other_id}"))
            .await;
        assert_eq!(still["state"], "active");
        // The team's own silence: expired by the team responder.
        let r = kenji.delete(format!("{url}/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 204);
        // A token capped below its user's role is capped inside the team too: aya responds
        // for the team, but her viewer token may not touch its silences; her full one may.
        server.create_user("aya", "responder");
        set_member(&server, "db", "aya", "responder").await;
        let capped = authorized_client(&server.create_token("aya", Some("viewer")));
        let full = authorized_client(&server.create_token("aya", None));
        let r = in_db(&capped).await.unwrap();
        assert_eq!(r.status(), 403);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["code"], "forbidden");
        let r = in_db(&full).await.unwrap();
        assert_eq!(r.status(), 201);
        let s: Value = r.json().await.unwrap();
        let id = s["id"].as_str().unwrap().to_owned();
        let r = capped.delete(format!("{url}/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = full.delete(format!("{url}/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 204);
        // As a team viewer, no longer.
        set_member(&server, "db", "kenji", "viewer").await;
        let r = in_db(&kenji).await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(server.terminate().await.success());
    }
);
