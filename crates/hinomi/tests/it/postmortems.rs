//! After an incident, black-box, on both databases: the seed's incident (2024-12-01 15:00
//! to 2024-12-02 10:00 Asia/Tokyo) recorded through the API, its recovery checks (each a
//! timeline entry) and impact record, the postmortem drafted from it with the 19 hours of
//! downtime and the impact figures, edited sections kept by a new draft, the Markdown and
//! printable exports, action items by hand and from a section, the open items across
//! incidents; the same through the console and the command line; bad input named by
//! field; viewers read and change nothing.

use serde_json::{Value, json};

use crate::api_v1::{assert_error, call, call_as};
use crate::audit_trail::cli;
use crate::both_databases;
use crate::console::{browser_as, page, post_form};
use crate::harness::*;

/// Declares the seed's incident, records its course on the timeline and its restoration at
/// 2024-12-02 10:00 Asia/Tokyo; answers its API path.
async fn seed_incident(server: &Server, token: &str) -> String {
    let declared = call_as(
        server,
        token,
        "POST",
        "/api/v1/incidents",
        Some(
            json!({"title": "重要システム障害対応", "summary": "システム全体の著しい性能低下",
            "impact": {"people_affected": 500, "revenue_per_day": 10_000_000, "currency": "JPY",
                       "customers_affected": 1000, "reputational_risk": "high"},
            "started_at": "2024-12-01T15:00:00+09:00", "detected_at": "2024-12-01T15:10:00+09:00"}),
        ),
    )
    .await;
    assert_eq!(declared.0, 201, "{}", declared.1);
    let path = "/api/v1/incidents/INC-1".to_owned();
    let m = call_as(
        server,
        token,
        "PUT",
        &format!("{path}/milestones/mitigated"),
        Some(json!({"at": "2024-12-02T10:00:00+09:00", "reason": "全機能の復旧を確認"})),
    )
    .await;
    assert_eq!(m.0, 200, "{}", m.1);
    for (kind, text, verdict) in [
        ("finding", "データベース接続枯渇", None),
        ("finding", "キャッシュメモリ不足", None),
        ("finding", "ネットワーク輻輳", None),
        ("finding", "プロセス異常", None),
        ("hypothesis", "設定値の不適切", Some("confirmed")),
        ("hypothesis", "外部からの攻撃", Some("rejected")),
        ("measure", "コネクションプール再設定", None),
    ] {
        let e = call_as(
            server,
            token,
            "POST",
            &format!("{path}/timeline"),
            Some(json!({"kind": kind, "text": text, "verdict": verdict,
                        "at": "2024-12-01T17:00:00+09:00"})),
        )
        .await;
        assert_eq!(e.0, 201, "{}", e.1);
    }
    path
}

both_databases!(recovery_postmortem_and_action_items, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    server.create_user("aya", "responder");
    server.create_user("yui", "viewer");
    let aya = server.create_token("aya", None);
    let yui = server.create_token("yui", None);
    let path = seed_incident(&server, &aya).await;

    // Recovery: nothing checked yet; the downtime already computed from the milestones.
    let r = call_as(&server, &yui, "GET", &format!("{path}/recovery"), None).await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["downtime"], 19 * 3600);
    assert_eq!(r.1["downtime_ongoing"], false);
    assert_eq!(r.1["checks"][2]["check"], "data_integrity");
    assert_eq!(r.1["checks"][2]["state"], "not_checked");
    for (check, note) in [
        ("performance", "100%回復"),
        ("functions", "完全復旧"),
        ("data_integrity", "確保"),
        ("access", "正常化"),
    ] {
        let c = call_as(
            &server,
            &aya,
            "PUT",
            &format!("{path}/recovery/checks/{check}"),
            Some(json!({"state": "ok", "note": note})),
        )
        .await;
        assert_eq!(c.0, 200, "{}", c.1);
    }
    let c = call_as(
        &server,
        &aya,
        "PUT",
        &format!("{path}/recovery/impact-record"),
        Some(
            json!({"data_loss": "なし", "business_delay": "2日以内に解消",
                    "customers_handled": "完了", "customers_handled_count": 1000}),
        ),
    )
    .await;
    assert_eq!(c.0, 200, "{}", c.1);
    assert_eq!(c.1["checks"][0]["state"], "ok");
    assert_eq!(c.1["checks"][0]["checked_by"], "aya");
    assert_eq!(c.1["impact_record"]["customers_handled_count"], 1000);
    // Each check is on the timeline, saying who found what.
    let tl = server
        .get_json(&format!("{path}/timeline?kind=recovery_check"))
        .await;
    let tl = tl.as_array().unwrap();
    assert_eq!(tl.len(), 4);
    assert_eq!(tl[0]["actor"], "aya");
    assert_eq!(
        (
            &tl[0]["data"]["check"],
            &tl[0]["data"]["from"],
            &tl[0]["data"]["to"]
        ),
        (&json!("performance"), &json!("not_checked"), &json!("ok"))
    );
    let changes = server
        .get_json(&format!("{path}/timeline?kind=impact_record_change"))
        .await;
    assert_eq!(changes.as_array().unwrap().len(), 1);
    for (url, body, field) in [
        ("/recovery/checks/latency", json!({"state": "ok"}), "check"),
        ("/recovery/checks/access", json!({"state": "fine"}), "state"),
        (
            "/recovery/impact-record",
            json!({"customers_handled_count": -1}),
            "impact_record.customers_handled_count",
        ),
    ] {
        let got = call_as(&server, &aya, "PUT", &format!("{path}{url}"), Some(body)).await;
        assert_error(&got, 400, "invalid_field", Some(field));
    }
    let denied = call_as(
        &server,
        &yui,
        "PUT",
        &format!("{path}/recovery/checks/access"),
        Some(json!({"state": "failed"})),
    )
    .await;
    assert_error(&denied, 403, "forbidden", None);

    // An action item by hand, with its owner and due date.
    let items = format!("{path}/action-items");
    let a = call_as(
        &server,
        &aya,
        "POST",
        &items,
        Some(
            json!({"category": "system", "horizon": "short", "title": "監視強化",
                    "owner": "aya", "due": "2024-12-20",
                    "ticket_url": "https://tracker.example.com/OPS-1"}),
        ),
    )
    .await;
    assert_eq!(a.0, 201, "{}", a.1);
    let item = a.1[0].clone();
    assert_eq!(
        (
            &item["owner"],
            &item["due"],
            &item["status"],
            &item["incident"]
        ),
        (
            &json!("aya"),
            &json!("2024-12-20"),
            &json!("open"),
            &json!("INC-1")
        )
    );
    for (body, field) in [
        (
            json!({"category": "people", "horizon": "short", "title": "x"}),
            "category",
        ),
        (
            json!({"category": "system", "horizon": "mid", "title": "x"}),
            "horizon",
        ),
        (
            json!({"category": "system", "horizon": "short", "title": " "}),
            "title",
        ),
        (
            json!({"category": "system", "horizon": "short", "title": "x", "due": "12/20"}),
            "due",
        ),
        (
            json!({"category": "system", "horizon": "short", "title": "x", "owner": "nobody"}),
            "owner",
        ),
        (
            json!({"category": "system", "horizon": "short", "title": "x", "ticket_url": "javascript:x"}),
            "ticket_url",
        ),
    ] {
        let got = call_as(&server, &aya, "POST", &items, Some(body)).await;
        assert_error(&got, 400, "invalid_field", Some(field));
    }
    let twice = call_as(
        &server,
        &aya,
        "POST",
        &items,
        Some(json!({"category": "system", "horizon": "short", "title": "監視強化"})),
    )
    .await;
    assert_error(&twice, 409, "conflict", None);

    // The postmortem: none yet; drafted in Japanese with the seed's figures.
    let pm = format!("{path}/postmortem");
    let none = call(&server, "GET", &pm, None).await;
    assert_error(&none, 404, "not_found", None);
    let bad = call_as(&server, &aya, "POST", &pm, Some(json!({"language": "fr"}))).await;
    assert_error(&bad, 400, "invalid_field", Some("language"));
    let bad = call_as(
        &server,
        &aya,
        "POST",
        &pm,
        Some(json!({"language": "ja", "time_zone": "Mars/Olympus"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("time_zone"));
    let denied = call_as(&server, &yui, "POST", &pm, Some(json!({"language": "ja"}))).await;
    assert_error(&denied, 403, "forbidden", None);
    let d = call_as(
        &server,
        &aya,
        "POST",
        &pm,
        Some(json!({"language": "ja", "time_zone": "Asia/Tokyo"})),
    )
    .await;
    assert_eq!(d.0, 200, "{}", d.1);
    let section = |body: &Value, name: &str| -> String {
        body["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["section"] == name)
            .unwrap()["body"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(d.1["sections"].as_array().unwrap().len(), 10);
    assert_eq!(d.1["sections"][0]["heading"], "概要");
    assert!(
        section(&d.1, "overview")
            .contains("発生期間：2024-12-01 15:00 〜 2024-12-02 10:00（Asia/Tokyo）")
    );
    let impact = section(&d.1, "problem_and_impact");
    for line in [
        "業務停止：500名",
        "売上影響：10,000,000 JPY/日",
        "顧客影響：1,000社",
        "レピュテーションリスク：大",
    ] {
        assert!(impact.contains(line), "{line}: {impact}");
    }
    let results = section(&d.1, "results");
    assert!(results.contains("システム停止時間：19時間\n"), "{results}");
    assert!(results.contains("データ整合性：正常（確保）"), "{results}");
    let causes = section(&d.1, "causes");
    for c in [
        "データベース接続枯渇",
        "キャッシュメモリ不足",
        "ネットワーク輻輳",
        "プロセス異常",
        "設定値の不適切",
    ] {
        assert!(causes.contains(c), "{c}: {causes}");
    }
    assert!(
        section(&d.1, "next_steps").contains("監視強化（担当：aya、期限：2024-12-20、未着手）")
    );

    // An edited section survives a new draft, unless asked otherwise.
    let lessons = "- 監視の重要性\n- 訓練の必要性";
    let e = call_as(
        &server,
        &aya,
        "PUT",
        &format!("{pm}/sections/lessons"),
        Some(json!({"body": lessons})),
    )
    .await;
    assert_eq!(e.0, 200, "{}", e.1);
    let bad = call_as(
        &server,
        &aya,
        "PUT",
        &format!("{pm}/sections/appendix"),
        Some(json!({"body": "x"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("section"));
    let again = call_as(
        &server,
        &aya,
        "POST",
        &pm,
        Some(json!({"language": "en", "time_zone": "Asia/Tokyo"})),
    )
    .await;
    assert_eq!(again.0, 200, "{}", again.1);
    assert_eq!(again.1["kept"], json!(["lessons"]));
    assert_eq!(section(&again.1, "lessons"), lessons);
    assert_eq!(again.1["sections"][0]["heading"], "Overview");
    assert!(section(&again.1, "results").contains("- Downtime: 19 hours\n"));

    // The Markdown export, and the printable page (the document alone, escaped).
    let md = server
        .http
        .get(format!("{}{path}/postmortem.md", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(md.status(), 200);
    assert!(
        md.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let md = md.text().await.unwrap();
    assert!(
        md.starts_with("# Postmortem: INC-1 重要システム障害対応\n"),
        "{md}"
    );
    assert!(md.contains("\n## 7. Lessons\n\n- 監視の重要性\n"), "{md}");
    assert!(md.contains("\n## 10. Next steps\n"), "{md}");

    // Items from a section's list, skipping the ones the incident has already.
    let e = call_as(
        &server,
        &aya,
        "PUT",
        &format!("{pm}/sections/improvements"),
        Some(json!({"body": "### Infrastructure\n\n- 監視強化\n- 冗長構成導入\n- 自動復旧機能"})),
    )
    .await;
    assert_eq!(e.0, 200, "{}", e.1);
    let taken = call_as(
        &server,
        &aya,
        "POST",
        &items,
        Some(json!({"category": "system", "horizon": "long", "from_section": "improvements"})),
    )
    .await;
    assert_eq!(taken.0, 201, "{}", taken.1);
    let titles: Vec<&str> = taken
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["冗長構成導入", "自動復旧機能"]);
    assert_eq!(taken.1[0]["source"], "improvements");
    let again = call_as(
        &server,
        &aya,
        "POST",
        &items,
        Some(json!({"category": "system", "horizon": "long", "from_section": "improvements"})),
    )
    .await;
    assert_eq!((again.0, &again.1), (201, &json!([])));
    let none = call_as(
        &server,
        &aya,
        "POST",
        &items,
        Some(json!({"category": "system", "horizon": "long", "from_section": "prevention"})),
    )
    .await;
    assert_error(&none, 400, "invalid_field", Some("section"));

    // Open items across incidents, by due date; done ones drop out.
    let open = server.get_json("/api/v1/action-items").await;
    assert_eq!(open.as_array().unwrap().len(), 3);
    assert_eq!(open[0]["title"], "監視強化");
    let id = item["id"].as_str().unwrap();
    let done = call_as(
        &server,
        &aya,
        "PATCH",
        &format!("/api/v1/action-items/{id}"),
        Some(json!({"status": "done", "due": ""})),
    )
    .await;
    assert_eq!(done.0, 200, "{}", done.1);
    assert_eq!(
        (&done.1["status"], &done.1["due"]),
        (&json!("done"), &Value::Null)
    );
    let bad = call_as(
        &server,
        &aya,
        "PATCH",
        &format!("/api/v1/action-items/{id}"),
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("status"));
    let denied = call_as(
        &server,
        &yui,
        "PATCH",
        &format!("/api/v1/action-items/{id}"),
        Some(json!({"status": "open"})),
    )
    .await;
    assert_error(&denied, 403, "forbidden", None);
    let open = server.get_json("/api/v1/action-items").await;
    assert!(open.as_array().unwrap().iter().all(|i| i["id"] != id));
    let all = server
        .get_json("/api/v1/action-items?status=all&owner=aya")
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let missing = call(&server, "GET", "/api/v1/action-items/nope", None).await;
    assert_error(&missing, 404, "not_found", None);

    // Every change left an event: the drafts, the edits and the items' too.
    let pool = server.database().await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM events WHERE subject LIKE 'incident:%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("incident.recovery_check"), 4);
    assert_eq!(count("incident.impact_record_change"), 1);
    assert_eq!(count("postmortem.drafted"), 2);
    assert_eq!(count("postmortem.section_edited"), 2);
    assert_eq!(count("action_item.created"), 3);
    assert_eq!(count("action_item.updated"), 1);
    assert!(server.terminate().await.success());
});

both_databases!(recovery_and_postmortem_in_the_console, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let aya = browser_as(&server, "aya", "responder").await;
    let yui = browser_as(&server, "yui", "viewer").await;
    let token = server.create_token("aya", None);
    seed_incident(&server, &token).await;

    // The incident's page has the recovery panel, in Japanese.
    let (status, html) = page(&server, &aya, "/incidents/INC-1", "ja").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("復旧確認") && html.contains("データ整合性"),
        "{html}"
    );
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/recovery/data_integrity",
        &[("state", "degraded"), ("note", "一部注文の再処理中")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/recovery/data_integrity",
        &[("state", "broken")],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("<code>state</code>"));
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/impact-record",
        &[("data_loss", "なし"), ("customers_handled_count", "千")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/impact-record",
        &[("data_loss", "なし"), ("customers_handled_count", "1,000")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&server, &yui, "/incidents/INC-1", "en").await;
    assert!(
        html.contains("Degraded") && html.contains("一部注文の再処理中"),
        "{html}"
    );

    // The postmortem page: drafted in English, a section edited, an item added.
    let (status, html) = page(&server, &aya, "/incidents/INC-1/postmortem", "ja").await;
    assert_eq!(status, 200);
    assert!(html.contains("下書きを作成"), "{html}");
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/postmortem",
        &[("language", "en")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/postmortem/sections/prevention",
        &[("body", "- 予兆検知\n- <b>負荷分散</b>")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/postmortem",
        &[("language", "ja")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("?kept=prevention")
    );
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/action-items",
        &[
            ("title", "訓練計画策定"),
            ("category", "process"),
            ("horizon", "short"),
            ("owner", "aya"),
            ("due", "2024-12-27"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/action-items",
        &[
            ("from_section", "prevention"),
            ("category", "operations"),
            ("horizon", "long"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (status, html) = page(&server, &yui, "/incidents/INC-1/postmortem", "ja").await;
    assert_eq!(status, 200);
    assert!(html.contains("概要") && html.contains("訓練計画策定") && html.contains("予兆検知"));
    assert!(
        html.contains("データ整合性：低下（一部注文の再処理中）"),
        "{html}"
    );
    assert!(!html.contains("<b>負荷分散"), "{html}");

    // The printable page: the document without the console's frame, markup escaped.
    let (status, html) = page(&server, &yui, "/incidents/INC-1/postmortem/print", "en").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<h1>ポストモーテム：INC-1 重要システム障害対応</h1>"),
        "{html}"
    );
    assert!(html.contains("<li>システム停止時間：19時間</li>"), "{html}");
    assert!(html.contains("&lt;b&gt;負荷分散&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("postmortem.") && html.contains(".css"),
        "{html}"
    );
    assert!(!html.contains("class=\"nav\""), "{html}");

    // Every incident's open items; a viewer may not change them.
    let (status, html) = page(&server, &yui, "/action-items", "en").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("訓練計画策定") && html.contains("INC-1"),
        "{html}"
    );
    let items = server.get_json("/api/v1/action-items").await;
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let r = post_form(
        &server,
        &yui,
        &format!("/action-items/{id}"),
        &[("status", "done")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post_form(
        &server,
        &aya,
        &format!("/action-items/{id}"),
        &[("status", "done")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&server, &yui, "/action-items", "en").await;
    assert!(!html.contains(&id), "{html}");
    assert!(server.terminate().await.success());
});

both_databases!(
    recovery_and_postmortem_from_the_command_line,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let token = {
            server.create_user("aya", "responder");
            server.create_token("aya", None)
        };
        seed_incident(&server, &token).await;
        let url = server.database_url.clone();
        let (ok, out, err) = cli(
            &url,
            &[
                "incident",
                "recovery",
                "INC-1",
                "performance",
                "--state",
                "ok",
                "--note",
                "100%回復",
            ],
        )
        .await;
        assert!(ok, "{err}");
        assert!(out.contains("performance     ok"), "{out}");
        assert!(out.contains("downtime        19h"), "{out}");
        let (ok, _, err) = cli(
            &url,
            &["incident", "recovery", "INC-1", "speed", "--state", "ok"],
        )
        .await;
        assert!(!ok);
        assert!(err.contains("check"), "{err}");
        let (ok, _, err) = cli(
            &url,
            &[
                "incident",
                "impact-record",
                "INC-1",
                "--data-loss",
                "なし",
                "--customers-handled-count",
                "1000",
            ],
        )
        .await;
        assert!(ok, "{err}");
        let (ok, _, err) = cli(&url, &["incident", "postmortem", "INC-1"]).await;
        assert!(!ok);
        assert!(err.contains("no postmortem"), "{err}");
        let (ok, out, err) = cli(
            &url,
            &[
                "incident",
                "postmortem",
                "INC-1",
                "--draft",
                "ja",
                "--time-zone",
                "Asia/Tokyo",
            ],
        )
        .await;
        assert!(ok, "{err}");
        assert!(out.contains("- システム停止時間：19時間\n"), "{out}");
        assert!(out.contains("- データ損失：なし\n"), "{out}");
        let (ok, out, err) = cli(
            &url,
            &[
                "incident",
                "action",
                "add",
                "INC-1",
                "監視強化",
                "--category",
                "system",
                "--horizon",
                "short",
                "--owner",
                "aya",
                "--due",
                "2024-12-20",
            ],
        )
        .await;
        assert!(ok, "{err}");
        let id = out.split_whitespace().nth(2).unwrap().to_owned();
        let (ok, _, err) = cli(
            &url,
            &[
                "incident",
                "action",
                "add",
                "INC-1",
                "x",
                "--category",
                "people",
                "--horizon",
                "short",
            ],
        )
        .await;
        assert!(!ok);
        assert!(err.contains("category"), "{err}");
        let (ok, out, _) = cli(&url, &["incident", "action", "list"]).await;
        assert!(ok);
        assert!(
            out.contains("監視強化") && out.contains("2024-12-20") && out.contains("aya"),
            "{out}"
        );
        let (ok, out, err) = cli(
            &url,
            &[
                "incident",
                "action",
                "update",
                &id,
                "--status",
                "in_progress",
            ],
        )
        .await;
        assert!(ok, "{err}");
        assert_eq!(out.trim(), format!("action item {id} is in_progress"));
        let api = server.get_json(&format!("/api/v1/action-items/{id}")).await;
        assert_eq!(api["status"], "in_progress");
        assert!(server.terminate().await.success());
    }
);
