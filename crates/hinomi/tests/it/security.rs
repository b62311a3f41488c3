//! Security checks through the real binary: the security headers on every kind of response,
//! and no secret in the logs even at debug level.

use std::time::Duration;

use reqwest::header;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;
use crate::oidc::{GROUPS, Person, Provider, sign_in as oidc_sign_in, start_with_env};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' \
                   data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn assert_secure(r: &reqwest::Response, what: &str, hsts: bool) {
    let h = r.headers();
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(get("content-security-policy"), Some(CSP), "{what}");
    assert_eq!(get("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(get("referrer-policy"), Some("same-origin"), "{what}");
    assert_eq!(get("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        get("strict-transport-security").is_some(),
        hsts,
        "{what}: HSTS exactly when the external URL is https"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    for (external_url, hsts) in [
        ("http://127.0.0.1:9093", false),
        ("https://hinomi.test", true),
    ] {
        let server = Server::start(
            Db::Sqlite,
            Options {
                env: vec![("HINOMI_EXTERNAL_URL".into(), external_url.into())],
                ..Options::default()
            },
        )
        .await
        .expect("sqlite");
        let anonymous = server.anonymous();
        let cases = [
            (
                "a browser sent to sign in",
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .get(format!("{}/api/v2/alerts", server.url))
                    .header(header::ACCEPT, "text/html"),
                303,
            ),
            (
                "a sign-in error page",
                anonymous.get(format!("{}/auth/oidc/callback?state=s", server.url)),
                404,
            ),
            (
                "the API",
                server.http.get(format!("{}/api/v2/status", server.url)),
                200,
            ),
            (
                "an API error",
                anonymous.get(format!("{}/api/v2/alerts", server.url)),
                401,
            ),
            (
                "bad input",
                server
                    .http
                    .post(format!("{}/api/v2/alerts", server.url))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body("{not json"),
                400,
            ),
            (
                "no such route",
                anonymous.get(format!("{}/no/such/page", server.url)),
                404,
            ),
            (
                "sign-in not configured",
                anonymous.get(format!("{}/auth/oidc/login", server.url)),
                404,
            ),
            (
                "health",
                anonymous.get(format!("{}/-/healthy", server.url)),
                200,
            ),
        ];
        for (what, request, status) in cases {
            let r = request.send().await.expect("request");
            assert_eq!(r.status(), status, "{what}");
            assert_secure(&r, what, hsts);
        }
        assert!(server.terminate().await.success());
    }
}

both_databases!(secrets_never_reach_the_logs, |db| async move {
    let provider = Provider::start(Person::new("sub-rin", "rin", &["oncall"])).await;
    let env = vec![
        ("HINOMI_LOG__LEVEL".to_string(), "debug".to_string()),
        ("HINOMI_LOG__FORMAT".to_string(), "json".to_string()),
    ];
    let Some((server, _dir)) = start_with_env(db, &provider, GROUPS, env).await else {
        return;
    };
    let mut secrets: Vec<(String, String)> = vec![
        ("the harness token".into(), server.token.clone()),
        (
            "the OIDC client secret".into(),
            provider.client_secret().into(),
        ),
    ];

    // A user with a password (given on the CLI's standard input, never to the server's log).
    let password = server.create_user("haru", "responder");
    secrets.push(("a password".into(), password.clone()));

    // An API token, used as a bearer and as a basic-auth password.
    let token = server.create_token("haru", None);
    secrets.push(("an API token".into(), token.clone()));
    let alert = json!([am_alert(&[("alertname", "Secrets")])]);
    let r = server
        .anonymous()
        .post(format!("{}/api/v2/alerts", server.url))
        .bearer_auth(&token)
        .json(&alert)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = server
        .anonymous()
        .get(format!("{}/api/v2/alerts", server.url))
        .basic_auth("amtool", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = server
        .anonymous()
        .get(format!("{}/api/v2/alerts", server.url))
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong token is refused");
    // A failed basic-auth sign-in: the wrong secret is often a near miss of the real one.
    let wrong = format!("{password}-typo");
    secrets.push(("a mistyped password".into(), wrong.clone()));
    let r = server
        .anonymous()
        .get(format!("{}/api/v2/alerts", server.url))
        .basic_auth("haru", Some(&wrong))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong password is refused");

    // Signing in through the console: a failure, then a session and its CSRF token.
    let wrong = format!("{password}!");
    secrets.push(("a password mistyped at /login".into(), wrong.clone()));
    let r = server
        .anonymous()
        .post(format!("{}/login", server.url))
        .form(&[("username", "haru"), ("password", &wrong), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong password is refused at /login");
    let (browser, session) = server.sign_in_session("haru", &password).await;
    let csrf = server.csrf(&browser, "/account/password").await;
    secrets.push(("a session cookie from /login".into(), session));
    secrets.push(("a CSRF token".into(), csrf.clone()));
    // A password change through the API, with the cookie and the CSRF header.
    let changed = format!("changed-{}", uuid_hex());
    secrets.push(("a changed password".into(), changed.clone()));
    let r = browser
        .post(format!("{}/api/v1/me/password", server.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"current": password, "new": changed}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    // An admin resets it; the one-time password signs in and is changed in the console.
    let r = server
        .post_json("/api/v1/users/haru/password-reset", &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let reset: serde_json::Value = r.json().await.unwrap();
    let one_time = reset["one_time_password"].as_str().unwrap().to_owned();
    secrets.push(("a one-time password".into(), one_time.clone()));
    let (browser, session) = server.sign_in_session("haru", &one_time).await;
    let csrf = server.csrf(&browser, "/account/password").await;
    secrets.push(("the one-time password's session".into(), session));
    secrets.push(("its CSRF token".into(), csrf.clone()));
    let chosen = format!("chosen-{}", uuid_hex());
    secrets.push(("a password chosen after a reset".into(), chosen.clone()));
    let r = browser
        .post(format!("{}/account/password", server.url))
        .form(&[
            ("current", one_time.as_str()),
            ("new", &chosen),
            ("confirm", &chosen),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, session) = server.sign_in_session("haru", &chosen).await;
    secrets.push(("the session of the chosen password".into(), session));

    // An integration key, used for intake.
    let key = server.create_integration("logs-test", &[]);
    secrets.push(("an integration key".into(), key.clone()));
    let r = server
        .anonymous()
        .post(format!("{}/v2/enqueue", server.url))
        .json(&json!({
            "routing_key": key,
            "event_action": "trigger",
            "payload": { "summary": "s", "source": "h", "severity": "error" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    // An OpenID Connect sign-in: its code, tokens and the session it makes.
    let (session, _) = oidc_sign_in(&server, "/").await;
    let r = server
        .anonymous()
        .get(format!("{}/api/v2/alerts", server.url))
        .header(header::COOKIE, format!("hinomi_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session works");
    secrets.push(("a session cookie".into(), session));
    for issued in provider.issued_secrets() {
        secrets.push(("an OIDC code or token".into(), issued));
    }

    // An iCal feed URL, whose signature is its credential: fetched, then rotated.
    for rotate in [false, true] {
        let url: serde_json::Value = if rotate {
            server.post_json("/api/v1/me/ical/rotate", &json!({})).await
        } else {
            server.get("/api/v1/me/ical").await
        }
        .json()
        .await
        .unwrap();
        let url = url["url"].as_str().unwrap();
        let path = &url[url.find("/ical/").unwrap()..];
        let r = server
            .anonymous()
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let signature = path.rsplit('/').next().unwrap().trim_end_matches(".ics");
        secrets.push(("an iCal feed signature".into(), signature.to_owned()));
    }

    let lines = server.log.clone();
    assert!(server.terminate().await.success());
    let log = eventually(Duration::from_secs(10), "the log up to the stop", || {
        let text = lines.lock().unwrap().join("\n");
        text.contains("\"stopped\"").then_some(text)
    })
    .await;
    assert!(
        log.contains("\"level\":\"DEBUG\""),
        "the test must see debug logs to mean anything"
    );
    for (what, secret) in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{what} appears in the log:\n{}",
            log.lines()
                .filter(|l| l.contains(secret.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
});
