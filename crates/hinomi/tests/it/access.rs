//! Access control, black-box: no route answers without credentials unless it is public
//! (walked from the router's own route list), API tokens act with their role, integration
//! keys may only send alerts, the Alertmanager API's open switch, and the first-start owner.

use axum::http::Method;
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// A concrete path for a route pattern: every `{param}` becomes a value that exists nowhere.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "0000000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(client: &reqwest::Client, method: &Method, url: &str) -> reqwest::Response {
    client
        .request(method.clone(), url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request")
}

/// Routes that answer without a principal: health, intake that checks its own key, the
/// OpenID Connect sign-in that makes a principal, the iCal feeds whose signed URL is the
/// credential, the one-time links of page messages and the heartbeat URLs jobs call (the
/// token is the credential) and the channels' callbacks that redeem links (the channel's
/// signature is the credential).
const PUBLIC_ROUTES: &[&str] = &[
    "GET /-/healthy",
    "GET /-/ready",
    "POST /v2/enqueue",
    "POST /v2/change/enqueue",
    "POST /intake/generic",
    "POST /intake/generic/{key}",
    "GET /static/{file}",
    "GET /login",
    "POST /login",
    "GET /auth/oidc/login",
    "GET /auth/oidc/callback",
    "GET /ical/{user}/{file}",
    "GET /a/{token}",
    "POST /a/{token}",
    "POST /a/{token}/keypad",
    "POST /integrations/slack/interactions",
    "POST /integrations/slack/commands",
    "POST /integrations/teams/commands",
    "GET /heartbeat/{token}",
    "POST /heartbeat/{token}",
    "GET /api/v2/summary.json",
    "GET /api/v2/status.json",
    "GET /api/v2/components.json",
    "GET /api/v2/incidents.json",
    "GET /api/v2/incidents/unresolved.json",
    "GET /api/v2/scheduled-maintenances.json",
    "GET /api/v2/scheduled-maintenances/upcoming.json",
    "GET /api/v2/scheduled-maintenances/active.json",
    "GET /status",
    "GET /status/incidents/{id}",
    "GET /status/history.rss",
    "GET /status/history.atom",
    "POST /status/subscribe",
    "POST /status/subscribe.json",
    "GET /status/confirm/{token}",
    "POST /status/confirm/{token}",
    "GET /status/unsubscribe/{token}",
    "POST /status/unsubscribe/{token}",
];

both_databases!(
    no_route_answers_without_credentials_unless_public,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let anonymous = server.anonymous();
        let routes = hinomi_web::route_list(false);
        assert!(
            routes.len() > 10,
            "the route list is the router's: {routes:?}"
        );
        // Swagger UI's files are served through the same table, so the walk covers them.
        for docs in ["/api/v1/docs", "/api/v1/docs/", "/api/v1/docs/{*file}"] {
            assert!(
                routes.iter().any(|(r, public)| r.path == docs && !public),
                "{docs} is a protected route of the list"
            );
        }
        // Every public route is one of these; a new one must be added here on purpose.
        let public: Vec<String> = routes
            .iter()
            .filter(|(_, public)| *public)
            .map(|(r, _)| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(public, PUBLIC_ROUTES, "public routes");
        for (route, public) in routes {
            let url = format!("{}{}", server.url, concrete(route.path));
            let r = send(&anonymous, &route.method, &url).await;
            let status = r.status().as_u16();
            if public {
                // Public intake answers 401 itself when the key is missing, in its own shape.
                let body = r.text().await.unwrap_or_default();
                assert!(
                    !body.contains("unauthenticated"),
                    "{} {}: {body}",
                    route.method,
                    route.path
                );
            } else {
                assert_eq!(
                    status, 401,
                    "{} {} without credentials",
                    route.method, route.path
                );
                let body: Value = r.json().await.expect("json error");
                assert_eq!(body["error"]["code"], "unauthenticated", "{}", route.path);
                // A wrong token is refused the same way, never passed through.
                let wrong = authorized_client("hnm_0000000000000000000000000000000000000000");
                let r = send(&wrong, &route.method, &url).await;
                assert_eq!(
                    r.status().as_u16(),
                    401,
                    "{} {} wrong token",
                    route.method,
                    route.path
                );
            }
        }
        // A browser asking for a protected page is sent to sign in, and comes back after.
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/api/v2/status?x=1", server.url))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            r.headers()["location"],
            "/login?next=%2Fapi%2Fv2%2Fstatus%3Fx%3D1"
        );
    }
);

both_databases!(
    tokens_act_with_their_role_and_keys_only_send,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        server.create_user("vera", "viewer");
        server.create_user("rin", "responder");
        let viewer = authorized_client(&server.create_token("vera", None));
        let responder = authorized_client(&server.create_token("rin", None));
        let capped = authorized_client(&server.create_token("rin", Some("viewer")));
        let alerts = format!("{}/api/v2/alerts", server.url);
        let body = json!([am_alert(&[("alertname", "AccessTest")])]);

        assert_eq!(viewer.get(&alerts).send().await.unwrap().status(), 200);
        let r = viewer.post(&alerts).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["code"], "forbidden");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("post_alerts"),
            "{err}"
        );
        let r = capped.post(&alerts).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 403, "a token acts with at most its own role");
        let r = responder.post(&alerts).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        // Reload and metrics need more than a responder.
        let r = responder
            .post(format!("{}/-/reload", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(
            viewer
                .get(format!("{}/metrics", server.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let r = server.post_raw("/-/reload", "").await;
        assert_eq!(r.status(), 200, "the owner may reload");

        // An integration key, sent the way Prometheus' basic_auth sends it, may post alerts
        // and nothing else.
        let key = server.create_integration("prom", &[]);
        let r = server
            .anonymous()
            .post(&alerts)
            .basic_auth("prometheus", Some(&key))
            .json(&json!([am_alert(&[("alertname", "ByKey")])]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = server
            .anonymous()
            .get(&alerts)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let names: Vec<String> = server
            .get_json("/api/v2/alerts")
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["labels"]["alertname"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            names.contains(&"AccessTest".into()) && names.contains(&"ByKey".into()),
            "{names:?}"
        );

        // The CLI refuses a token above its user's role.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
            .args([
                "--database-url",
                &server.database_url,
                "token",
                "create",
                "vera",
                "--name",
                "x",
                "--role",
                "owner",
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("above its user's"));

        // Who did what is in the audit log: the CLI's changes, with their actor kind.
        let audit = server.cli(&["audit", "--json"], None);
        assert!(audit.contains("token.created"), "{audit}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alertmanager_api_can_be_left_open_and_metrics_public() {
    let server = Server::start(
        Db::Sqlite,
        Options {
            env: vec![
                ("HINOMI_AUTH__ALERTMANAGER_API_OPEN".into(), "true".into()),
                ("HINOMI_AUTH__METRICS_PUBLIC".into(), "true".into()),
            ],
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let anonymous = server.anonymous();
    let r = anonymous
        .post(format!("{}/api/v2/alerts", server.url))
        .json(&json!([am_alert(&[("alertname", "Open")])]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        anonymous
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Open means the Alertmanager API only: reload stays closed.
    let r = anonymous
        .post(format!("{}/-/reload", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        hinomi_web::route_list(true)
            .iter()
            .any(|(r, public)| r.path == "/metrics" && *public)
    );
}

/// `hinomi serve` on an empty database makes the owner `admin` and prints its one-time
/// password once, on the terminal; a second start prints nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_makes_an_owner_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display());
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
            .env_remove("HINOMI_CONFIG")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let read_until_serving = |child: &mut std::process::Child| {
        use std::io::BufRead as _;
        let stderr = child.stderr.take().unwrap();
        let mut text = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap();
            text.push_str(&line);
            text.push('\n');
            if line.contains("hinomi is serving") {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        text
    };
    let first = tokio::task::spawn_blocking({
        let mut child = start();
        move || read_until_serving(&mut child)
    })
    .await
    .unwrap();
    assert!(
        first.contains("as \"admin\" with the one-time password"),
        "{first}"
    );
    let password = first
        .lines()
        .skip_while(|l| !l.contains("one-time password"))
        .nth(2)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(password.len(), 16, "{first}");
    assert_eq!(
        first.matches(&password).count(),
        1,
        "printed once, never logged"
    );
    let second = tokio::task::spawn_blocking({
        let mut child = start();
        move || read_until_serving(&mut child)
    })
    .await
    .unwrap();
    assert!(!second.contains("one-time password"), "{second}");
    let users = run_cli(&url, &["user", "list"], None);
    assert!(
        users.contains("admin") && users.contains("owner"),
        "{users}"
    );
}
