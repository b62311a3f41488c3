//! The web console over real HTTP: pages render, forms change what they say they change
//! and refuse bad input without changing anything, the live stream announces changes.

use std::time::Duration;

use serde_json::json;

use crate::both_databases;
use crate::harness::*;

/// A browser signed in as a new user with `role` (cookie session; redirects not followed).
async fn browser_as(server: &Server, name: &str, role: &str) -> reqwest::Client {
    let password = server.create_user(name, role);
    server.sign_in(name, &password).await
}

/// A responder's browser.
async fn browser(server: &Server) -> reqwest::Client {
    browser_as(server, "tanaka", "responder").await
}

async fn page(server: &Server, client: &reqwest::Client, path: &str, lang: &str) -> (u16, String) {
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

async fn post_form(
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

both_databases!(the_event_stream_announces_new_alerts, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let mut r = browser(&server)
        .await
        .get(format!("{}/alerts/events", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
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
    let start = body.find("href=\"/users/").unwrap() + "href=\"".len();
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
