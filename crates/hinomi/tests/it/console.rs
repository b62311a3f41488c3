//! The web console over real HTTP: pages render, forms change what they say they change
//! and refuse bad input without changing anything, the live stream announces changes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

/// A browser signed in as a new user with `role` (cookie session; redirects not followed).
pub(crate) async fn browser_as(server: &Server, name: &str, role: &str) -> reqwest::Client {
    let password = server.create_user(name, role);
    server.sign_in(name, &password).await
}

/// A responder's browser.
async fn browser(server: &Server) -> reqwest::Client {
    browser_as(server, "tanaka", "responder").await
}

pub(crate) async fn page(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    lang: &str,
) -> (u16, String) {
    let r = client
        .get(format!("{}{path}", server.url))
        .header("accept", "text/html")
        .header("accept-language", lang)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

pub(crate) async fn post_form(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let token = server.csrf(client, "/silences").await;
    let mut form = form.to_vec();
    form.push(("csrf", &token));
    client
        .post(format!("{}{path}", server.url))
        .header("accept-language", "en")
        .form(&form)
        .send()
        .await
        .expect("request")
}

async fn post_alert(server: &Server, labels: &[(&str, &str)]) -> String {
    let r = server
        .post_json("/api/v2/alerts", &json!([am_alert(labels)]))
        .await;
    assert_eq!(r.status(), 200);
    let alerts = server.get_json("/api/v2/alerts").await;
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == labels[0].1)
        .expect("posted alert listed")["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_databases!(pages_render_in_both_languages, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let c = browser(&server).await;
    let fp = post_alert(&server, &[("alertname", "DiskFull"), ("instance", "db-1")]).await;

    let r = c.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/alerts");

    for (path, en, ja) in [
        ("/alerts", "Alerts", "アラート"),
        ("/groups", "Alert groups", "アラートグループ"),
        ("/silences", "Silences", "サイレンス"),
        ("/silences/new", "New silence", "サイレンスを作成"),
        ("/teams", "Teams", "チーム"),
    ] {
        let (status, body) = page(&server, &c, path, "en-US,en;q=0.9").await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("<html lang=\"en\">"), "{path}");
        assert!(body.contains(&format!("<h1>{en}")), "{path}: {body}");
        let (status, body) = page(&server, &c, path, "ja").await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("<html lang=\"ja\">"), "{path}");
        assert!(body.contains(&format!("<h1>{ja}")), "{path}: {body}");
    }

    let (status, body) = page(&server, &c, "/alerts", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("href=\"/alerts/{fp}\"")), "{body}");
    let (_, body) = page(&server, &c, "/groups", "en").await;
    assert!(body.contains("DiskFull"), "{body}");

    let (status, body) = page(&server, &c, &format!("/alerts/{fp}"), "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("<dd>db-1</dd>"), "{body}");
    assert!(body.contains("/silences/new?matchers="), "{body}");

    let (status, _) = page(&server, &c, "/alerts/0000000000000001", "en").await;
    assert_eq!(status, 404);
    let (status, _) = page(&server, &c, "/alerts/not-hex", "en").await;
    assert_eq!(status, 404);
});

both_databases!(
    the_filter_selects_and_refuses_bad_matchers,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let c = browser(&server).await;
        post_alert(
            &server,
            &[("alertname", "CpuHigh"), ("severity", "critical")],
        )
        .await;
        post_alert(
            &server,
            &[("alertname", "QueueSlow"), ("severity", "warning")],
        )
        .await;

        let (status, body) = page(
            &server,
            &c,
            "/alerts/list?filter=%7Bseverity%3D%22critical%22%7D",
            "en",
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            body.contains("CpuHigh") && !body.contains("QueueSlow"),
            "{body}"
        );

        // Resolved only: nothing has resolved.
        let (_, body) = page(&server, &c, "/alerts/list?f=1&resolved=on", "en").await;
        assert!(body.contains("No alerts match"), "{body}");

        let (status, body) = page(&server, &c, "/alerts?filter=%7Bjob%3D~%22(%22%7D", "en").await;
        assert_eq!(status, 400);
        assert!(body.contains("filter: "), "{body}");
        // What was typed stays in the field to be corrected.
        assert!(body.contains("value=\"{job=~&#34;(&#34;}\""), "{body}");
    }
);

both_databases!(
    a_silence_made_with_the_form_exists_and_expires,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let c = browser(&server).await;
        post_alert(&server, &[("alertname", "DiskFull"), ("instance", "db-1")]).await;

        let (status, body) = page(
            &server,
            &c,
            "/silences/preview?matchers=%7Balertname%3D%22DiskFull%22%7D",
            "en",
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            body.contains("<strong>1</strong>") && body.contains("DiskFull"),
            "{body}"
        );
        let (status, _) = page(
            &server,
            &c,
            "/silences/preview?matchers=%7Bx%3D~%22(%22%7D",
            "en",
        )
        .await;
        assert_eq!(status, 400);

        // Missing comment: refused, field named, nothing stored.
        let r = post_form(
            &server,
            &c,
            "/silences",
            &[
                ("matchers", "{alertname=\"DiskFull\"}"),
                ("duration", "2h"),
                ("created_by", "tanaka"),
                ("comment", ""),
            ],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("comment: "));
        for (field, form) in [
            (
                "matchers",
                [("matchers", "{alertname=}"), ("duration", "2h")],
            ),
            (
                "duration",
                [("matchers", "{a=\"b\"}"), ("duration", "soon")],
            ),
        ] {
            let mut full = form.to_vec();
            full.extend([("created_by", "tanaka"), ("comment", "disk swap")]);
            let r = post_form(&server, &c, "/silences", &full).await;
            assert_eq!(r.status(), 400, "{field}");
            assert!(
                r.text().await.unwrap().contains(&format!("{field}: ")),
                "{field}"
            );
        }
        let silences = server.get_json("/api/v2/silences").await;
        assert_eq!(silences.as_array().unwrap().len(), 0);

        let r = post_form(
            &server,
            &c,
            "/silences",
            &[
                ("matchers", "{alertname=\"DiskFull\"}"),
                ("starts_at", ""),
                ("duration", "2h"),
                ("created_by", "tanaka"),
                ("comment", "ディスク交換中"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        let silences = server.get_json("/api/v2/silences").await;
        let s = &silences.as_array().unwrap()[0];
        assert_eq!(s["comment"], "ディスク交換中");
        // The signed-in person, whatever the form said.
        assert_eq!(s["createdBy"], "tanaka");
        assert_eq!(s["status"]["state"], "active");
        assert_eq!(s["matchers"][0]["name"], "alertname");
        let id = s["id"].as_str().unwrap().to_owned();

        let alerts = server.get_json("/api/v2/alerts").await;
        assert_eq!(alerts[0]["status"]["state"], "suppressed");
        let (_, body) = page(&server, &c, "/alerts", "en").await;
        assert!(body.contains("badge silenced"), "{body}");
        let (status, body) = page(&server, &c, &format!("/silences/{id}/edit"), "en").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("ディスク交換中") && body.contains("value=\"2h\""),
            "{body}"
        );

        let r = post_form(&server, &c, &format!("/silences/{id}/expire"), &[]).await;
        assert_eq!(r.status(), 303);
        let s = server.get_json(&format!("/api/v2/silence/{id}")).await;
        assert_eq!(s["status"]["state"], "expired");
        let r = post_form(&server, &c, "/silences/no-such-id/expire", &[]).await;
        assert_eq!(r.status(), 404);
    }
);

both_databases!(preferences_set_language_and_time_zone, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let c = browser(&server).await;
    let r = post_form(
        &server,
        &c,
        "/preferences",
        &[("lang", "ja"), ("next", "/silences")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/silences");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("hinomi_lang=ja;"), "{cookie}");

    let r = post_form(&server, &c, "/preferences", &[("tz", "Mars/Olympus")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().await.unwrap().contains("tz: "));
    let r = post_form(&server, &c, "/preferences", &[("lang", "de")]).await;
    assert_eq!(r.status(), 400);
    let r = post_form(
        &server,
        &c,
        "/preferences",
        &[("tz", "Asia/Tokyo"), ("next", "//elsewhere.example/")],
    )
    .await;
    assert_eq!(r.headers()["location"], "/");

    // Signed in, the choice is the person's: it holds over the browser's language and in
    // a new session, and times show in the chosen zone.
    post_alert(&server, &[("alertname", "Tz")]).await;
    post_form(&server, &c, "/preferences", &[("lang", "ja")]).await;
    let again = server.sign_in("tanaka", "tanaka-password-long").await;
    let (_, body) = page(&server, &again, "/alerts", "en").await;
    assert!(body.contains("<html lang=\"ja\">"), "{body}");
    assert!(body.contains(" JST</time>"), "{body}");
});

both_databases!(assets_are_served_with_long_cache, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let c = browser(&server).await;
    let (_, body) = page(&server, &c, "/alerts", "en").await;
    for name in ["console", "htmx"] {
        let start = body.find(&format!("/static/{name}.")).expect(name);
        let url = &body[start..start + body[start..].find('"').unwrap()];
        let r = c.get(format!("{}{url}", server.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    let r = c
        .get(format!("{}/static/console.css", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "only hashed names are served");
    // No inline script anywhere: the CSP allows only our own files.
    assert!(!body.contains("<script>") && !body.contains(" onclick="));
});

/// A signed-in browser's `/alerts/events` stream, open.
async fn open_event_stream(server: &Server) -> reqwest::Response {
    let r = browser(server)
        .await
        .get(format!("{}/alerts/events", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r
}

both_databases!(the_event_stream_announces_new_alerts, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let mut r = open_event_stream(&server).await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    let mut read_event = async |seen: &mut String| {
        let before = seen.matches("event: alerts").count();
        tokio::time::timeout(Duration::from_secs(10), async {
            while seen.matches("event: alerts").count() == before {
                let chunk = r.chunk().await.unwrap().expect("stream open");
                seen.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an alerts event within 10s");
    };
    // One at connect, then one when the list changes.
    read_event(&mut seen).await;
    post_alert(&server, &[("alertname", "Live")]).await;
    read_event(&mut seen).await;
    assert_eq!(seen.matches("event: alerts").count(), 2, "{seen}");
});

both_databases!(
    an_open_event_stream_ends_when_the_server_stops,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let mut r = open_event_stream(&server).await;
        r.chunk().await.unwrap().expect("the event at connect");
        let started = std::time::Instant::now();
        let status = server.terminate().await;
        assert!(status.success(), "{status}");
        // The stream used to end only after 25 s; now the shutdown ends it at once. The bound
        // is loose (a slow machine) but well under the old lifetime.
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "stopping took {:?} with a stream open",
            started.elapsed()
        );
        let rest = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(Some(_)) = r.chunk().await {}
        })
        .await;
        assert!(rest.is_ok(), "the stream ended");
    }
);

both_databases!(signing_in_and_out, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let anon = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anon
        .get(format!("{}/alerts?filter=x", server.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/login?next=%2Falerts%3Ffilter%3Dx"
    );
    let (status, body) = page(&server, &anon, "/login?next=%2Falerts", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("name=\"password\"") && body.contains("value=\"/alerts\""));
    // The sign-in page switches language without a session.
    let r = anon
        .get(format!("{}/login?lang=ja&next=%2Falerts", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, body) = page(&server, &anon, "/login", "en").await;
    assert!(body.contains("hinomi にログイン"), "{body}");

    let password = server.create_user("sato", "viewer");
    let r = anon
        .post(format!("{}/login", server.url))
        .form(&[
            ("username", "sato"),
            ("password", "wrong"),
            ("next", "/alerts"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ユーザー名またはパスワードが違います")
    );
    let r = anon
        .post(format!("{}/login", server.url))
        .form(&[
            ("username", "sato"),
            ("password", &password),
            ("next", "/groups"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/groups");
    let (status, body) = page(&server, &anon, "/groups", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("<strong>sato</strong>"), "{body}");

    let r = post_form(&server, &anon, "/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let (status, _) = page(&server, &anon, "/groups", "en").await;
    assert_eq!(status, 303);
});

both_databases!(forms_need_the_csrf_token_and_the_role, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let responder = browser(&server).await;
    let form = [
        ("matchers", "{alertname=\"X\"}"),
        ("duration", "1h"),
        ("comment", "no token"),
    ];
    let r = responder
        .post(format!("{}/silences", server.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = responder
        .post(format!("{}/silences", server.url))
        .form(&[form.as_slice(), &[("csrf", "forged")]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let viewer = browser_as(&server, "suzuki", "viewer").await;
    let (status, body) = page(&server, &viewer, "/silences", "en").await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("href=\"/integrations\""),
        "viewers see no admin links"
    );
    let r = post_form(&server, &viewer, "/silences", &form).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("manage_silences"));
    for path in ["/integrations", "/users", "/audit"] {
        let (status, _) = page(&server, &viewer, path, "en").await;
        assert_eq!(status, 403, "{path}");
    }
    let silences = server.get_json("/api/v2/silences").await;
    assert_eq!(silences.as_array().unwrap().len(), 0, "nothing was stored");
});

both_databases!(admin_pages_and_the_audit_trail, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let responder = browser(&server).await;
    let r = post_form(
        &server,
        &responder,
        "/silences",
        &[
            ("matchers", "{alertname=\"Audited\"}"),
            ("duration", "1h"),
            ("comment", "maintenance"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);

    // Own API tokens: the secret is shown once, then only its name.
    let r = post_form(
        &server,
        &responder,
        "/tokens",
        &[("name", "ci"), ("role", "responder")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("<code class=\"secret\">hnm_"), "{body}");
    let r = post_form(
        &server,
        &responder,
        "/tokens",
        &[("name", "ci"), ("role", "owner")],
    )
    .await;
    assert_eq!(r.status(), 400, "no token above one's own role");
    let (_, body) = page(&server, &responder, "/tokens", "en").await;
    assert!(!body.contains("hnm_") && body.contains("<strong>ci</strong>"));

    let admin = browser_as(&server, "yamada", "admin").await;
    let (status, body) = page(&server, &admin, "/audit?action=silence.", "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<code>silence.created</code>") && body.contains("tanaka"),
        "{body}"
    );
    assert!(body.contains("/api/v1/audit/export"));
    let (status, body) = page(&server, &admin, "/audit?since=yesterday", "en").await;
    assert_eq!(status, 400);
    assert!(body.contains("since: "));
    let (status, body) = page(&server, &admin, "/users", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("tanaka") && body.contains("yamada"));
    let start = body.find("<p class=\"who\"><a href=\"/users/").unwrap()
        + "<p class=\"who\"><a href=\"".len();
    let link = &body[start..start + body[start..].find('"').unwrap()];
    let (status, body) = page(&server, &admin, link, "en").await;
    assert_eq!(status, 200, "{link}");
    assert!(body.contains("Display name"), "{body}");
    let (status, _) = page(&server, &admin, "/users/no-such-user", "en").await;
    assert_eq!(status, 404);

    let r = post_form(
        &server,
        &admin,
        "/integrations",
        &[("name", "zabbix"), ("kind", "generic")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let open = "<code class=\"secret\">";
    let start = body.find(open).unwrap() + open.len();
    let key = &body[start..start + 32];
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    let r = post_form(
        &server,
        &admin,
        "/integrations",
        &[("name", "zabbix"), ("kind", "generic")],
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = post_form(
        &server,
        &admin,
        "/integrations",
        &[("name", "x"), ("kind", "smtp")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_form(&server, &admin, "/integrations/zabbix/revoke", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, body) = page(&server, &admin, "/audit", "en").await;
    assert!(
        body.contains("integration.revoked") && body.contains("token.created"),
        "{body}"
    );
});

/// The audit entries whose action starts with `prefix`, oldest first: `(action, actor,
/// target, detail)`.
async fn audit_entries(server: &Server, prefix: &str) -> Vec<(String, String, String, Value)> {
    let page = server
        .get_json(&format!("/api/v1/audit?action={prefix}&limit=1000"))
        .await;
    let mut entries: Vec<_> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&e["action"]),
                text(&e["actor"]["name"]),
                text(&e["target"]),
                e["detail"].clone(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

/// The audit entries under `prefix` that `actor` made, oldest first: `(action, target)`.
async fn audit_by(server: &Server, prefix: &str, actor: &str) -> Vec<(String, String)> {
    audit_entries(server, prefix)
        .await
        .into_iter()
        .filter(|e| e.1 == actor)
        .map(|e| (e.0, e.2))
        .collect()
}

/// What `/api/v1/users/{name}` says of a user.
async fn user_json(server: &Server, name: &str) -> Value {
    server.get_json(&format!("/api/v1/users/{name}")).await
}

/// The id of user `name`.
async fn user_id(server: &Server, name: &str) -> String {
    user_json(server, name).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The one-time password a page shows once.
fn shown_secret(body: &str) -> String {
    let open = "<code class=\"secret\">";
    let start = body.find(open).expect("a secret on the page") + open.len();
    body[start..start + body[start..].find('<').unwrap()].to_owned()
}

both_databases!(admins_manage_people_on_the_users_page, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let admin = browser_as(&server, "yamada", "admin").await;
    let tanaka_password = server.create_user("tanaka", "responder");
    let tanaka = server.sign_in("tanaka", &tanaka_password).await;
    let id = user_id(&server, "tanaka").await;
    let owner_id = user_id(&server, "harness-owner").await;

    let (status, body) = page(&server, &admin, "/users", "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("action=\"/users/{id}/role\"")),
        "{body}"
    );
    assert!(body.contains(&format!("action=\"/users/{id}/disable\"")));
    assert!(body.contains(&format!("action=\"/users/{id}/password-reset\"")));
    assert!(body.contains(&format!("<label for=\"role-{id}\">Role</label>")));
    // An admin may not touch an owner, and may give no role above admin.
    assert!(!body.contains(&format!("action=\"/users/{owner_id}/role\"")));
    assert!(body.contains("Their role is above yours"), "{body}");
    assert!(!body.contains("<option value=\"owner\""), "{body}");
    let (_, body) = page(&server, &admin, "/users", "ja").await;
    assert!(body.contains("<h1>ユーザー</h1>") && body.contains("ロールを変更"));

    // A role change.
    let r = post_form(
        &server,
        &admin,
        &format!("/users/{id}/role"),
        &[("role", "viewer")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/users");
    assert_eq!(user_json(&server, "tanaka").await["role"], "viewer");
    // Above one's own role: refused, said on the page, nothing changed.
    for (path, form) in [
        (format!("/users/{id}/role"), [("role", "owner")]),
        ("/users".to_owned(), [("role", "owner")]),
    ] {
        let mut form = form.to_vec();
        form.push(("username", "would-be-owner"));
        let r = post_form(&server, &admin, &path, &form).await;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("role: owner is above your own role"),
            "{path}: {body}"
        );
    }
    assert_eq!(user_json(&server, "tanaka").await["role"], "viewer");
    let r = server.get("/api/v1/users/would-be-owner").await;
    assert_eq!(r.status(), 404);
    let r = post_form(&server, &admin, &format!("/users/{owner_id}/disable"), &[]).await;
    assert_eq!(r.status(), 403, "an admin may not disable an owner");
    assert!(user_json(&server, "harness-owner").await["disabled_at"].is_null());

    // A new user, whose one-time password is shown once and works once.
    let r = post_form(
        &server,
        &admin,
        "/users",
        &[
            ("username", "kimura"),
            ("display_name", "木村 花子"),
            ("role", "responder"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("User created.") && body.contains("<strong>kimura</strong>"));
    let kimura_password = shown_secret(&body);
    assert_eq!(kimura_password.len(), 16, "{body}");
    let kimura = user_json(&server, "kimura").await;
    assert_eq!(kimura["role"], "responder");
    assert_eq!(kimura["display_name"], "木村 花子");
    assert_eq!(kimura["must_change_password"], true);
    let kimura = server.sign_in("kimura", &kimura_password).await;
    let (status, _) = page(&server, &kimura, "/alerts", "en").await;
    assert_eq!(
        status, 303,
        "a one-time password leads to choosing one's own"
    );
    let (_, body) = page(&server, &admin, "/users", "en").await;
    assert!(!body.contains(&kimura_password), "shown only once");
    // A taken or malformed username: the field is named and what was typed stays.
    let r = post_form(
        &server,
        &admin,
        "/users",
        &[
            ("username", "kimura"),
            ("display_name", "別人"),
            ("role", "viewer"),
        ],
    )
    .await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("username: this username is taken"), "{body}");
    assert!(body.contains("value=\"別人\""), "{body}");
    let r = post_form(
        &server,
        &admin,
        "/users",
        &[("username", "two words"), ("role", "viewer")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("username: use 1 to 64 letters"), "{body}");
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
    let r = post_form(
        &server,
        &admin,
        "/users",
        &[("username", "nobody"), ("role", "root")],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("role: choose one of the roles listed")
    );
    assert_eq!(server.get("/api/v1/users/nobody").await.status(), 404);

    // A password reset: the old password and the person's sessions end; the one shown
    // once signs in.
    let r = post_form(&server, &admin, &format!("/users/{id}/password-reset"), &[]).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("Password reset.") && body.contains("<strong>tanaka</strong>"));
    let reset_password = shown_secret(&body);
    let (status, _) = page(&server, &tanaka, "/alerts", "en").await;
    assert_eq!(status, 401, "the session ended");
    assert_eq!(server.try_sign_in("tanaka", &tanaka_password).await.1, 401);
    assert_eq!(server.try_sign_in("tanaka", &reset_password).await.1, 303);

    // Disabled, tanaka cannot sign in, even with a valid password; enabled again, can.
    let r = post_form(&server, &admin, &format!("/users/{id}/disable"), &[]).await;
    assert_eq!(r.status(), 303);
    assert!(user_json(&server, "tanaka").await["disabled_at"].is_string());
    let (_, body) = page(&server, &admin, "/users", "en").await;
    assert!(
        body.contains(&format!("action=\"/users/{id}/enable\"")),
        "{body}"
    );
    assert_eq!(server.try_sign_in("tanaka", &reset_password).await.1, 401);
    let r = post_form(&server, &admin, &format!("/users/{id}/enable"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(server.try_sign_in("tanaka", &reset_password).await.1, 303);

    let r = post_form(
        &server,
        &admin,
        "/users/no-such-user/role",
        &[("role", "viewer")],
    )
    .await;
    assert_eq!(r.status(), 404);

    // Every change is in the audit log, by the admin, about its person.
    let by_admin = audit_by(&server, "user.", "yamada").await;
    assert_eq!(
        by_admin,
        [
            ("user.updated", "tanaka"),
            ("user.created", "kimura"),
            ("user.password_reset", "tanaka"),
            ("user.updated", "tanaka"),
            ("user.updated", "tanaka"),
        ]
        .map(|(a, t)| (a.to_owned(), t.to_owned())),
    );
    let entries = audit_entries(&server, "user.").await;
    let role_change = entries
        .iter()
        .find(|e| e.0 == "user.updated" && e.1 == "yamada")
        .unwrap();
    assert_eq!(role_change.3["role"], "viewer");
    let (_, body) = page(&server, &admin, "/audit?action=user.", "en").await;
    assert!(body.contains("<code>user.password_reset</code>"), "{body}");
});

/// The id of `username`'s token named `name`, from `/api/v1/tokens`.
async fn token_id(server: &Server, username: &str, name: &str) -> String {
    let all = server.get_json("/api/v1/tokens").await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["username"] == username && t["name"] == name)
        .unwrap_or_else(|| panic!("{username}'s token {name} in {all}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The name the harness gave a token made by [`Server::create_token`]: the newest of
/// `username`'s tokens.
async fn newest_token_name(server: &Server, username: &str) -> String {
    let all = server.get_json("/api/v1/tokens").await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["username"] == username)
        .expect("a token")["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The status of `GET /api/v1/me` with `token`.
async fn me_with(server: &Server, token: &str) -> u16 {
    authorized_client(token)
        .get(format!("{}/api/v1/me", server.url))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `client` revokes token `id` on the everyone's-tokens page.
async fn revoke_as(server: &Server, client: &reqwest::Client, id: &str) -> reqwest::Response {
    post_form(server, client, &format!("/users/tokens/{id}/revoke"), &[]).await
}

both_databases!(admins_list_and_revoke_everyones_tokens, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let admin = browser_as(&server, "yamada", "admin").await;
    let responder = browser(&server).await;
    let viewer = browser_as(&server, "suzuki", "viewer").await;
    let tanakas = server.create_token("tanaka", None);
    let tanakas_name = newest_token_name(&server, "tanaka").await;
    let tanakas_id = token_id(&server, "tanaka", &tanakas_name).await;
    let owners_id = token_id(&server, "harness-owner", "harness").await;
    let tanaka_id = user_id(&server, "tanaka").await;
    assert_eq!(me_with(&server, &tanakas).await, 200);

    // Linked from the users page and from one's own tokens.
    for path in ["/users", "/tokens"] {
        let (_, body) = page(&server, &admin, path, "en").await;
        assert!(body.contains("href=\"/users/tokens\""), "{path}: {body}");
    }
    let (_, body) = page(&server, &responder, "/tokens", "en").await;
    assert!(!body.contains("href=\"/users/tokens\""), "{body}");

    // Every token with its user, role cap, times; a revoke button for those the admin may
    // revoke, none for the owner's.
    let (status, body) = page(&server, &admin, "/users/tokens", "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<h1>Everyone&#39;s API tokens</h1>"),
        "{body}"
    );
    assert!(
        body.contains(&format!("<strong>{tanakas_name}</strong>"))
            && body.contains(&format!("<a href=\"/users/{tanaka_id}\">tanaka</a>"))
            && body.contains("<strong>harness</strong>"),
        "{body}"
    );
    assert!(body.contains("2 tokens, 2 of them accepted now."), "{body}");
    assert!(body.contains("never (until revoked)"), "{body}");
    assert!(body.contains(&format!("action=\"/users/tokens/{tanakas_id}/revoke\"")));
    assert!(!body.contains(&format!("action=\"/users/tokens/{owners_id}/revoke\"")));
    assert!(
        body.contains("Its user&#39;s role is above yours"),
        "{body}"
    );
    assert!(body.contains("<dt>Role (at most)</dt><dd><span class=\"chip\">responder</span>"));
    let (status, body) = page(&server, &admin, "/users/tokens", "ja").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<h1>全員の API トークン</h1>") && body.contains("トークンを失効"),
        "{body}"
    );

    // Responders and viewers neither see nor revoke them.
    for client in [&responder, &viewer] {
        let (status, _) = page(&server, client, "/users/tokens", "en").await;
        assert_eq!(status, 403);
        let r = revoke_as(&server, client, &tanakas_id).await;
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("manage_users"));
    }
    assert_eq!(me_with(&server, &tanakas).await, 200);

    // Not the token of someone above the admin: said on the page, nothing changed.
    let r = revoke_as(&server, &admin, &owners_id).await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("role=\"alert\">The token&#39;s user has the role owner"),
        "{body}"
    );
    assert!(body.contains(&format!("<strong>{tanakas_name}</strong>")));
    assert_eq!(me_with(&server, &server.token).await, 200);

    // Revoked: the token is refused at once, and the list says so.
    let r = revoke_as(&server, &admin, &tanakas_id).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/users/tokens");
    assert_eq!(me_with(&server, &tanakas).await, 401);
    let (_, body) = page(&server, &admin, "/users/tokens", "en").await;
    assert!(body.contains("2 tokens, 1 of them accepted now."), "{body}");
    assert!(!body.contains(&format!("action=\"/users/tokens/{tanakas_id}/revoke\"")));
    assert!(body.contains("<span class=\"badge expired\">Revoked</span>"));
    let tokens = server.get_json("/api/v1/tokens").await;
    let revoked = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tanakas_id.as_str())
        .unwrap();
    assert!(revoked["revoked_at"].is_string() && revoked["live"] == false);
    // A second click: said on the list, nothing more recorded.
    let r = revoke_as(&server, &admin, &tanakas_id).await;
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("no longer accepted"), "{body}");
    let r = revoke_as(&server, &admin, "no-such-token").await;
    assert_eq!(r.status(), 404);

    // One entry, by the admin, naming the token and its user.
    let entries = audit_entries(&server, "token.revoked").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let (_, actor, target, detail) = &entries[0];
    assert_eq!(
        (actor.as_str(), target.as_str()),
        ("yamada", tanakas_id.as_str())
    );
    assert_eq!(detail["user"], "tanaka");
    assert_eq!(detail["name"], tanakas_name.as_str());
});

both_databases!(admins_edit_and_delete_people, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let admin = browser_as(&server, "yamada", "admin").await;
    let tanaka = browser(&server).await;
    let tanakas_token = server.create_token("tanaka", None);
    let id = user_id(&server, "tanaka").await;
    let owner_id = user_id(&server, "harness-owner").await;

    // Name and email, on the person's page.
    let (status, body) = page(&server, &admin, &format!("/users/{id}"), "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("action=\"/users/{id}/profile\""))
            && body.contains("value=\"tanaka\""),
        "{body}"
    );
    let r = post_form(
        &server,
        &admin,
        &format!("/users/{id}/profile"),
        &[
            ("display_name", "田中 太郎"),
            ("email", "tanaka@example.com"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/users/{id}").as_str());
    let user = user_json(&server, "tanaka").await;
    assert_eq!(user["display_name"], "田中 太郎");
    assert_eq!(user["email"], "tanaka@example.com");
    // Bad input: the field named, what was typed kept, nothing changed.
    for (form, field, message) in [
        (
            [("display_name", "田中"), ("email", "not-an-address")],
            "email",
            "email: enter an address such as name@example.com",
        ),
        (
            [("display_name", "  "), ("email", "")],
            "display_name",
            "display_name: use 1 to 100 characters",
        ),
    ] {
        let r = post_form(&server, &admin, &format!("/users/{id}/profile"), &form).await;
        assert_eq!(r.status(), 400, "{field}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{field}: {body}");
        let input = &body[body.find(&format!("<input id=\"{field}\"")).unwrap()..];
        let input = &input[..input.find('>').unwrap()];
        assert!(input.contains("aria-invalid=\"true\""), "{input}");
        for (_, typed) in form {
            assert!(
                body.contains(&format!("value=\"{typed}\"")),
                "{typed}: {body}"
            );
        }
    }
    let user = user_json(&server, "tanaka").await;
    assert_eq!(user["display_name"], "田中 太郎");
    assert_eq!(user["email"], "tanaka@example.com");
    // An empty email removes it.
    let r = post_form(
        &server,
        &admin,
        &format!("/users/{id}/profile"),
        &[("display_name", "田中 太郎"), ("email", "")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(user_json(&server, "tanaka").await["email"].is_null());
    // Not someone above the admin.
    let (_, body) = page(&server, &admin, &format!("/users/{owner_id}"), "en").await;
    assert!(!body.contains("/profile\""), "{body}");
    let r = post_form(
        &server,
        &admin,
        &format!("/users/{owner_id}/profile"),
        &[("display_name", "renamed"), ("email", "")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        user_json(&server, "harness-owner").await["display_name"],
        "harness-owner"
    );

    // Deleting: behind a confirm step, for those the admin may change only.
    let (_, body) = page(&server, &admin, "/users", "en").await;
    let delete = format!("action=\"/users/{id}/delete\"");
    let at = body.find(&delete).expect("a delete form");
    let confirm = &body[body[..at].rfind("<details class=\"confirm\">").unwrap()..at];
    assert!(
        confirm.contains("<summary>Delete user…</summary>"),
        "{confirm}"
    );
    assert!(!body.contains(&format!("action=\"/users/{owner_id}/delete\"")));
    let r = post_form(&server, &admin, &format!("/users/{owner_id}/delete"), &[]).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("role: owner is above your own role")
    );
    let r = post_form(&server, &admin, &format!("/users/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/users");
    // Gone, with their session and token.
    assert_eq!(server.get("/api/v1/users/tanaka").await.status(), 404);
    let (_, body) = page(&server, &admin, "/users", "en").await;
    assert!(!body.contains("<strong>tanaka</strong>"), "{body}");
    let (status, _) = page(&server, &tanaka, "/alerts", "en").await;
    assert_eq!(status, 401, "the session ended");
    assert_eq!(me_with(&server, &tanakas_token).await, 401);
    let r = post_form(&server, &admin, &format!("/users/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 404);

    assert_eq!(
        audit_by(&server, "user.", "yamada").await,
        [
            ("user.updated", "tanaka"),
            ("user.updated", "tanaka"),
            ("user.deleted", "tanaka"),
        ]
        .map(|(a, t)| (a.to_owned(), t.to_owned())),
    );
    let entries = audit_entries(&server, "user.").await;
    assert_eq!(entries[entries.len() - 3].3["email"], "tanaka@example.com");
});

both_databases!(
    the_last_owner_cannot_be_demoted_disabled_or_deleted,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        // The harness owner is the only owner.
        let owner = server
            .sign_in("harness-owner", "harness-owner-password")
            .await;
        let id = user_id(&server, "harness-owner").await;
        let before = audit_entries(&server, "user.").await.len();
        for (path, form) in [
            (format!("/users/{id}/role"), vec![("role", "admin")]),
            (format!("/users/{id}/disable"), vec![]),
            (format!("/users/{id}/delete"), vec![]),
        ] {
            let r = post_form(&server, &owner, &path, &form).await;
            assert_eq!(r.status(), 409, "{path}");
            let body = r.text().await.unwrap();
            assert!(
                body.contains("harness-owner is the last enabled owner and cannot be demoted, disabled or deleted")
                    && body.contains("role=\"alert\""),
                "{path}: {body}"
            );
            // The list is still there under the message.
            assert!(body.contains(&format!("action=\"/users/{id}/role\"")));
        }
        let (_, body) = page(&server, &owner, "/users", "ja").await;
        assert!(
            body.contains("<option value=\"owner\""),
            "an owner may give owner"
        );
        let me = user_json(&server, "harness-owner").await;
        assert_eq!(me["role"], "owner");
        assert!(me["disabled_at"].is_null());
        assert_eq!(
            me_with(&server, &server.token).await,
            200,
            "their token stays"
        );
        assert_eq!(
            audit_entries(&server, "user.").await.len(),
            before,
            "a refused change leaves no entry"
        );
        // In Japanese too.
        let r = owner
            .post(format!("{}/users/{id}/role", server.url))
            .header("accept-language", "ja")
            .form(&[
                ("role", "viewer"),
                ("csrf", &server.csrf(&owner, "/silences").await),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("有効な最後のオーナー"));
    }
);

both_databases!(
    teams_are_listed_for_all_and_changed_by_admins,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let viewer = browser_as(&server, "suzuki", "viewer").await;
        let responder = browser(&server).await;
        let admin = browser_as(&server, "yamada", "admin").await;

        // The empty state says what to do, to each according to their role.
        let (status, body) = page(&server, &viewer, "/teams", "en").await;
        assert_eq!(status, 200);
        assert!(body.contains("No teams yet.") && body.contains("An administrator creates"));
        assert!(!body.contains("action=\"/teams\""), "no form for viewers");
        let (_, body) = page(&server, &admin, "/teams", "en").await;
        assert!(
            body.contains("action=\"/teams\"") && body.contains("Create one with the form above")
        );
        let (_, body) = page(&server, &admin, "/teams", "ja").await;
        assert!(body.contains("<h1>チーム</h1>") && body.contains("チームはまだありません"));

        for client in [&viewer, &responder] {
            let r = post_form(&server, client, "/teams", &[("name", "db")]).await;
            assert_eq!(r.status(), 403);
            assert!(r.text().await.unwrap().contains("manage_teams"));
        }
        let r = post_form(
            &server,
            &admin,
            "/teams",
            &[("name", "db"), ("description", "データベース担当")],
        )
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/teams");
        let team = server.get_json("/api/v1/teams/db").await;
        let team_id = team["id"].as_str().unwrap().to_owned();
        assert_eq!(team["description"], "データベース担当");
        let r = post_form(&server, &admin, "/teams", &[("name", "db")]).await;
        assert_eq!(r.status(), 409);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("name: a team with this name exists"),
            "{body}"
        );
        assert!(body.contains("value=\"db\""));
        let r = post_form(&server, &admin, "/teams", &[("name", "  ")]).await;
        assert_eq!(r.status(), 400);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("name: give the team a name")
        );
        assert_eq!(
            server
                .get_json("/api/v1/teams")
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Members: added with a team role, shown to everyone, changed only by admins.
        let members = format!("/teams/{team_id}/members");
        let r = post_form(
            &server,
            &responder,
            &members,
            &[("username", "tanaka"), ("role", "responder")],
        )
        .await;
        assert_eq!(r.status(), 403);
        let r = post_form(
            &server,
            &admin,
            &members,
            &[("username", "tanaka"), ("role", "admin")],
        )
        .await;
        assert_eq!(r.status(), 400, "a team role is viewer or responder");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("role: choose one of the roles listed")
        );
        let r = post_form(
            &server,
            &admin,
            &members,
            &[("username", "tanaka"), ("role", "responder")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let r = post_form(
            &server,
            &admin,
            &members,
            &[("username", "suzuki"), ("role", "viewer")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let team = server.get_json("/api/v1/teams/db").await;
        let roles: Vec<(&str, &str)> = team["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
            .collect();
        assert_eq!(roles, [("suzuki", "viewer"), ("tanaka", "responder")]);
        let (_, body) = page(&server, &viewer, "/teams", "en").await;
        assert!(
            body.contains("<strong>tanaka</strong> <span class=\"chip\">responder</span>"),
            "{body}"
        );
        assert!(!body.contains("/remove\""), "no buttons for viewers");
        let r = post_form(&server, &viewer, &format!("{members}/tanaka/remove"), &[]).await;
        assert_eq!(r.status(), 403);
        let r = post_form(&server, &admin, &format!("{members}/tanaka/remove"), &[]).await;
        assert_eq!(r.status(), 303);
        let team = server.get_json("/api/v1/teams/db").await;
        assert_eq!(team["members"].as_array().unwrap().len(), 1);
        let r = post_form(&server, &admin, &format!("{members}/tanaka/remove"), &[]).await;
        assert_eq!(r.status(), 404, "no longer in the team");

        // Deleting the team.
        let r = post_form(
            &server,
            &responder,
            &format!("/teams/{team_id}/delete"),
            &[],
        )
        .await;
        assert_eq!(r.status(), 403);
        let r = post_form(&server, &admin, &format!("/teams/{team_id}/delete"), &[]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(server.get("/api/v1/teams/db").await.status(), 404);
        let (_, body) = page(&server, &admin, "/teams", "en").await;
        assert!(body.contains("No teams yet."));

        let actions: Vec<String> = audit_entries(&server, "team.")
            .await
            .into_iter()
            .inspect(|e| assert_eq!(e.1, "yamada", "{e:?}"))
            .map(|e| e.0)
            .collect();
        assert_eq!(
            actions,
            [
                "team.created",
                "team.member_set",
                "team.member_set",
                "team.member_removed",
                "team.deleted",
            ]
        );
    }
);

both_databases!(responders_and_viewers_change_no_one, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let responder = browser(&server).await;
    let viewer = browser_as(&server, "suzuki", "viewer").await;
    let id = user_id(&server, "suzuki").await;
    let before = audit_entries(&server, "user.").await.len();
    for client in [&responder, &viewer] {
        let (status, _) = page(&server, client, "/users", "en").await;
        assert_eq!(status, 403);
        for (path, form) in [
            (
                "/users".to_owned(),
                vec![("username", "sneaky"), ("role", "viewer")],
            ),
            (format!("/users/{id}/role"), vec![("role", "responder")]),
            (format!("/users/{id}/disable"), vec![]),
            (format!("/users/{id}/enable"), vec![]),
            (format!("/users/{id}/password-reset"), vec![]),
            (format!("/users/{id}/delete"), vec![]),
            (
                format!("/users/{id}/profile"),
                vec![("display_name", "sneaky"), ("email", "")],
            ),
        ] {
            let r = post_form(&server, client, &path, &form).await;
            assert_eq!(r.status(), 403, "{path}");
            let body = r.text().await.unwrap();
            assert!(
                body.contains("manage_users") && !body.contains("secret"),
                "{path}: {body}"
            );
        }
    }
    let suzuki = user_json(&server, "suzuki").await;
    assert_eq!(suzuki["role"], "viewer");
    assert_eq!(suzuki["display_name"], "suzuki");
    assert!(suzuki["disabled_at"].is_null());
    assert_eq!(server.get("/api/v1/users/sneaky").await.status(), 404);
    assert_eq!(audit_entries(&server, "user.").await.len(), before);
    // Nor does the navigation offer them what they may not do.
    let (_, body) = page(&server, &responder, "/teams", "en").await;
    assert!(body.contains("href=\"/teams\"") && !body.contains("href=\"/users\""));
});

/// Makes a team named `name` and answers its id.
async fn team_id(server: &Server, name: &str) -> String {
    let r = server
        .post_json("/api/v1/teams", &json!({ "name": name }))
        .await;
    assert_eq!(r.status(), 201);
    let team: Value = r.json().await.unwrap();
    team["id"].as_str().unwrap().to_owned()
}

/// The silence form's fields: silence `id` (empty: a new one) in `team` (empty: none).
fn silence_form<'a>(id: &'a str, team: &'a str, comment: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("id", id),
        ("matchers", "{alertname=\"DiskFull\"}"),
        ("duration", "2h"),
        ("comment", comment),
        ("team", team),
    ]
}

both_databases!(
    a_team_responder_manages_the_team_silences_in_the_console,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let kenji = browser_as(&server, "kenji", "viewer").await;
        let db_team = team_id(&server, "db").await;
        let web_team = team_id(&server, "web").await;
        let r = server
            .http
            .put(format!("{}/api/v1/teams/db/members/kenji", server.url))
            .json(&json!({ "role": "responder" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        // The form offers the teams whose silences kenji manages, and no other.
        let (status, body) = page(&server, &kenji, "/silences/new", "en").await;
        assert_eq!(status, 200);
        assert!(body.contains(&format!("value=\"{db_team}\"")), "{body}");
        assert!(!body.contains(&web_team), "{body}");
        // No team, or another team: kenji's global role (viewer) decides.
        for team in ["", web_team.as_str()] {
            let form = silence_form("", team, "増設");
            let r = post_form(&server, &kenji, "/silences", &form).await;
            assert_eq!(r.status(), 403, "{form:?}");
        }
        let none = server.get_json("/api/v1/silences").await;
        assert_eq!(none.as_array().unwrap().len(), 0);

        // The team's: made, and kept in the team.
        let form = silence_form("", &db_team, "増設");
        let r = post_form(&server, &kenji, "/silences", &form).await;
        assert_eq!(r.status(), 303);
        let listed = server.get_json("/api/v1/silences").await;
        let s = &listed.as_array().unwrap()[0];
        assert_eq!(s["team_id"], db_team.as_str());
        assert_eq!(s["created_by"], "kenji");
        let id = s["id"].as_str().unwrap().to_owned();

        // Edited: the team stays, and cannot be changed.
        let (status, _) = page(&server, &kenji, &format!("/silences/{id}/edit"), "en").await;
        assert_eq!(status, 200);
        let form = silence_form(&id, &web_team, "増設中");
        let r = post_form(&server, &kenji, "/silences", &form).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("team: "));
        let form = silence_form(&id, "", "増設中");
        let r = post_form(&server, &kenji, "/silences", &form).await;
        assert_eq!(r.status(), 303);
        let listed = server.get_json("/api/v1/silences").await;
        let edited = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["state"] == "active")
            .expect("the edited silence is active");
        assert_eq!(edited["comment"], "増設中");
        assert_eq!(edited["team_id"], db_team.as_str());
        let edited_id = edited["id"].as_str().unwrap().to_owned();

        // Another team's silence: neither edited nor expired, and it stays as it was.
        let r = server
            .post_json(
                "/api/v1/silences",
                &json!({"matchers": ["alertname=\"Web\""], "ends_at": api_time(now_ms() + 3_600_000),
                        "comment": "web", "team": "web"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let other: Value = r.json().await.unwrap();
        let other_id = other["id"].as_str().unwrap();
        let r = post_form(
            &server,
            &kenji,
            &format!("/silences/{other_id}/expire"),
            &[],
        )
        .await;
        assert_eq!(r.status(), 403);
        let form = silence_form(other_id, "", "mine now");
        let r = post_form(&server, &kenji, "/silences", &form).await;
        assert_eq!(r.status(), 403);
        let still = server
            .get_json(&format!("/api/v1/silences/{other_id}"))
            .await;
        assert_eq!(still["state"], "active");
        assert_eq!(still["comment"], "web");

        // The team's own: expired by kenji.
        let r = post_form(
            &server,
            &kenji,
            &format!("/silences/{edited_id}/expire"),
            &[],
        )
        .await;
        assert_eq!(r.status(), 303);
        let gone = server
            .get_json(&format!("/api/v1/silences/{edited_id}"))
            .await;
        assert_eq!(gone["state"], "expired");

        // The audit trail says who did it, and in which team.
        let mine: Vec<_> = audit_entries(&server, "silence.")
            .await
            .into_iter()
            .filter(|e| e.1 == "kenji")
            .collect();
        let actions: Vec<_> = mine.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            actions,
            ["silence.created", "silence.updated", "silence.expired"]
        );
        assert_eq!(mine[0].2, id);
        assert_eq!(mine[2].2, edited_id);
        for e in &mine {
            assert_eq!(e.3["team_id"], db_team.as_str(), "{e:?}");
        }
        assert!(server.terminate().await.success());
    }
);
