//! Incidents through the API, black-box, on both databases: the seed's incident declared
//! from its alert group with its impact (500 staff, 10 million yen a day, 1,000 customer
//! companies, high reputational risk: SEV1 suggested, and why), reference numbers, status
//! changes and what they do to the milestones, milestone edits that keep the original,
//! reopening with a reason, hypotheses and their corrections, filters, the exports, the
//! service catalogue, bad input named by field, who may do what, and every change leaving
//! an event. The incident's body is pinned as a snapshot.

use serde_json::{Value, json};

use crate::api_v1::{assert_error, call, call_as};
use crate::audit_trail::cli;
use crate::both_databases;
use crate::console::{browser_as, page, post_form};
use crate::harness::*;

/// The seed's impact.
fn seed_impact() -> Value {
    json!({"people_affected": 500, "revenue_per_day": 10_000_000, "currency": "JPY",
           "customers_affected": 1000, "reputational_risk": "high"})
}

/// An incident body with what changes from run to run replaced.
fn stable(mut body: Value) -> Value {
    for (_, v) in body["milestones"].as_object_mut().unwrap() {
        if !v.is_null() {
            *v = "[time]".into();
        }
    }
    for (_, v) in body["durations"].as_object_mut().unwrap() {
        if v.is_number() {
            *v = "[seconds]".into();
        }
    }
    body["alert_groups"] = json!(["[group]"]);
    crate::snapshot::redacted(body)
}

both_databases!(incidents_from_declaration_to_reopening, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    server.create_user("aya", "responder");
    server.create_user("yui", "viewer");
    let aya = server.create_token("aya", None);
    let yui = server.create_token("yui", None);

    // The catalogue, kept by admins.
    let svc = call(
        &server,
        "POST",
        "/api/v1/services",
        Some(json!({"name": "受注システム", "description": "基幹業務の受注"})),
    )
    .await;
    assert_eq!(svc.0, 201, "{}", svc.1);
    let denied = call_as(
        &server,
        &aya,
        "POST",
        "/api/v1/services",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_error(&denied, 403, "forbidden", None);
    let taken = call(
        &server,
        "POST",
        "/api/v1/services",
        Some(json!({"name": "受注システム"})),
    )
    .await;
    assert_error(&taken, 409, "conflict", None);

    // A storm about the order system: one group.
    let started = now_ms() - 30 * 60_000;
    let mut alert = am_alert(&[
        ("alertname", "OrderDbConnectionsExhausted"),
        ("service", "order"),
    ]);
    alert["startsAt"] = api_time(started).into();
    let r = server.post_json("/api/v2/alerts", &json!([alert])).await;
    assert_eq!(r.status(), 200);
    let groups = server.get_json("/api/v1/groups").await;
    let key = groups[0]["key"].as_str().expect("a group key").to_owned();

    // Declared with the impact alone: SEV1 suggested, and the rule that fired named.
    let declared = call_as(
        &server,
        &aya,
        "POST",
        "/api/v1/incidents",
        Some(
            json!({"title": "受注システム全面障害", "summary": "性能低下と一部機能停止",
                    "impact": seed_impact(), "services": ["受注システム"], "alert_groups": [key]}),
        ),
    )
    .await;
    assert_eq!(declared.0, 201, "{}", declared.1);
    let inc = declared.1.clone();
    assert_eq!(inc["reference"], "INC-1");
    assert_eq!(inc["severity"], "SEV1");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["suggested_severity"]["field"], "people_affected");
    assert_eq!(inc["suggested_severity"]["at_least"], "100");
    assert_eq!(inc["milestones"]["started"], api_time(started));
    assert_eq!(inc["milestones"]["detected"], api_time(started));
    assert_eq!(inc["services"][0]["name"], "受注システム");
    assert_eq!(inc["declared_by"], "aya");
    assert!(inc["durations"]["time_to_declare"].as_i64().unwrap() >= 1_800);
    assert_eq!(inc["durations"]["downtime_ongoing"], true);
    let id = inc["id"].as_str().unwrap().to_owned();
    insta::assert_json_snapshot!("incident", stable(inc.clone()));

    // From the alert group itself: linked, titled by its labels, the next number.
    let encoded = url_encode(&key);
    let from_group = call_as(
        &server,
        &aya,
        "POST",
        &format!("/api/v1/alert-groups/{encoded}/incident"),
        Some(json!({"severity": "SEV3"})),
    )
    .await;
    assert_eq!(from_group.0, 201, "{}", from_group.1);
    assert_eq!(from_group.1["reference"], "INC-2");
    assert_eq!(from_group.1["alert_groups"][0], key.as_str());
    assert!(
        from_group.1["title"]
            .as_str()
            .unwrap()
            .contains("OrderDbConnectionsExhausted")
    );

    // Bad input is named by field; viewers declare nothing.
    for (body, field) in [
        (json!({"title": "", "severity": "SEV2"}), "title"),
        (json!({"title": "t"}), "severity"),
        (json!({"title": "t", "severity": "P1"}), "severity"),
        (
            json!({"title": "t", "impact": {"revenue_per_day": 5, "currency": "YEN"}}),
            "impact.currency",
        ),
        (
            json!({"title": "t", "impact": {"revenue_per_day": 5}}),
            "impact.currency",
        ),
        (
            json!({"title": "t", "impact": {"reputational_risk": "huge"}}),
            "impact.reputational_risk",
        ),
        (
            json!({"title": "t", "severity": "SEV2", "services": ["nope"]}),
            "services[0]",
        ),
        (
            json!({"title": "t", "severity": "SEV2", "alert_groups": ["nope"]}),
            "alert_groups[0]",
        ),
        (
            json!({"title": "t", "severity": "SEV2", "started_at": "yesterday"}),
            "started_at",
        ),
    ] {
        let got = call_as(&server, &aya, "POST", "/api/v1/incidents", Some(body)).await;
        assert_error(&got, 400, "invalid_field", Some(field));
    }
    let got = call_as(
        &server,
        &yui,
        "POST",
        "/api/v1/incidents",
        Some(json!({"title": "t", "severity": "SEV2"})),
    )
    .await;
    assert_error(&got, 403, "forbidden", None);
    let seen = call_as(&server, &yui, "GET", "/api/v1/incidents/INC-1", None).await;
    assert_eq!(seen.0, 200);

    // Identified, then monitoring: the mitigation is recorded.
    let path = format!("/api/v1/incidents/{id}");
    let p = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "identified"})),
    )
    .await;
    assert_eq!(p.1["status"], "identified", "{}", p.1);
    let same = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "identified"})),
    )
    .await;
    assert_error(&same, 400, "invalid_field", Some("status"));
    let p = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "monitoring"})),
    )
    .await;
    assert!(p.1["milestones"]["mitigated"].is_string(), "{}", p.1);
    assert_eq!(p.1["durations"]["downtime_ongoing"], false);

    // Milestones: edited with a reason, the original kept; the order enforced.
    let m = call_as(
        &server,
        &aya,
        "PUT",
        "/api/v1/incidents/INC-1/milestones/detected",
        Some(json!({"at": api_time(started + 10 * 60_000), "reason": "監視の通知は10分後だった"})),
    )
    .await;
    assert_eq!(m.0, 200, "{}", m.1);
    assert_eq!(
        m.1["milestones"]["detected"],
        api_time(started + 10 * 60_000)
    );
    let bad = call_as(
        &server,
        &aya,
        "PUT",
        "/api/v1/incidents/INC-1/milestones/detected",
        Some(json!({"at": api_time(started - 60_000), "reason": "r"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("milestones.detected"));
    let bad = call_as(
        &server,
        &aya,
        "PUT",
        "/api/v1/incidents/INC-1/milestones/detected",
        Some(json!({"at": api_time(started), "reason": " "})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("reason"));
    let bad = call_as(
        &server,
        &aya,
        "PUT",
        "/api/v1/incidents/INC-1/milestones/fixed",
        Some(json!({"at": api_time(started), "reason": "r"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("milestone"));
    let detail = server.get_json(&path).await;
    let edits = detail["milestone_edits"].as_array().unwrap();
    let edit = edits.iter().find(|e| e["milestone"] == "detected").unwrap();
    assert_eq!(edit["previous_at"], api_time(started));
    assert_eq!(edit["reason"], "監視の通知は10分後だった");

    // Resolved; reopened only with a reason, which clears the resolution.
    let p = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert!(p.1["milestones"]["resolved"].is_string(), "{}", p.1);
    let reopen = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "investigating"})),
    )
    .await;
    assert_error(&reopen, 400, "invalid_field", Some("reason"));
    let reopen = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(json!({"status": "investigating", "reason": "エラー率が再上昇"})),
    )
    .await;
    assert_eq!(reopen.1["status"], "investigating", "{}", reopen.1);
    assert!(reopen.1["milestones"]["resolved"].is_null());
    // Severity, impact and summary: one request, each a timeline entry.
    let p = call_as(
        &server,
        &aya,
        "PATCH",
        &path,
        Some(
            json!({"severity": "SEV2", "reason": "影響は縮小", "summary": "接続枯渇",
                    "impact": {"people_affected": 30}}),
        ),
    )
    .await;
    assert_eq!(p.1["severity"], "SEV2", "{}", p.1);
    assert_eq!(p.1["suggested_severity"]["severity"], "SEV2");

    // People's entries: a hypothesis, rejected by a correction that keeps the original.
    let tl = format!("{path}/timeline");
    let h = call_as(
        &server,
        &aya,
        "POST",
        &tl,
        Some(json!({"kind": "hypothesis", "text": "ネットワーク輻輳が原因"})),
    )
    .await;
    assert_eq!(h.0, 201, "{}", h.1);
    assert_eq!(h.1["verdict"], "open");
    let hid = h.1["id"].as_i64().unwrap();
    let c = call_as(
        &server,
        &aya,
        "POST",
        &format!("{tl}/{hid}/corrections"),
        Some(json!({"text": "ネットワーク輻輳が原因", "verdict": "rejected", "reason": "帯域に余裕あり"})),
    )
    .await;
    assert_eq!(c.0, 201, "{}", c.1);
    assert_eq!(
        (c.1["verdict"].as_str(), c.1["corrects"].as_i64()),
        (Some("rejected"), Some(hid))
    );
    let again = call_as(
        &server,
        &aya,
        "POST",
        &format!("{tl}/{hid}/corrections"),
        Some(json!({"text": "x", "reason": "r"})),
    )
    .await;
    assert_error(&again, 409, "conflict", None);
    for (body, field) in [
        (json!({"kind": "status_change", "text": "x"}), "kind"),
        (json!({"kind": "note", "text": " "}), "text"),
        (
            json!({"kind": "note", "text": "x", "verdict": "confirmed"}),
            "verdict",
        ),
        (
            json!({"kind": "finding", "text": "x", "at": api_time(now_ms() + 3_600_000)}),
            "at",
        ),
    ] {
        let got = call_as(&server, &aya, "POST", &tl, Some(body)).await;
        assert_error(&got, 400, "invalid_field", Some(field));
    }
    let denied = call_as(
        &server,
        &yui,
        "POST",
        &tl,
        Some(json!({"kind": "note", "text": "x"})),
    )
    .await;
    assert_error(&denied, 403, "forbidden", None);
    let f = call_as(
        &server,
        &aya,
        "POST",
        &tl,
        Some(json!({"kind": "finding", "text": "DB接続プールが上限に到達", "at": api_time(started + 60_000)})),
    )
    .await;
    assert_eq!(f.0, 201, "{}", f.1);

    let all = server.get_json(&tl).await;
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // Ordered by when things happened: the alert that started it all, then the finding
    // (a minute later), then the rest.
    assert_eq!(kinds[..2], ["alert_fired", "finding"], "{kinds:?}");
    for k in [
        "declared",
        "alert_group_linked",
        "status_change",
        "milestone_edit",
        "severity_change",
        "impact_change",
        "summary_change",
        "hypothesis",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let original = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == hid)
        .unwrap();
    assert_eq!(original["verdict"], "open");
    assert_eq!(original["corrected_by"], c.1["id"]);
    let hyps = server.get_json(&format!("{tl}?kind=hypothesis")).await;
    assert_eq!(hyps.as_array().unwrap().len(), 2);
    let bad = call(&server, "GET", &format!("{tl}?kind=gossip"), None).await;
    assert_error(&bad, 400, "invalid_field", Some("kind"));

    // Every change left an event, in the same transactions as its entries.
    let pool = server.database().await;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE subject = $1")
        .bind(format!("incident:{id}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, all.as_array().unwrap().len() as i64);

    // Exports.
    let csv = server.get(&format!("{tl}/export?format=csv")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}id,at,recorded_at,kind,actor,text"),
        "{text}"
    );
    assert!(text.contains("\"DB接続プールが上限に到達\""));
    let json_export = server.get_json(&format!("{tl}/export")).await;
    assert_eq!(json_export["incident"]["reference"], "INC-1");
    assert_eq!(
        json_export["timeline"].as_array().unwrap().len(),
        all.as_array().unwrap().len()
    );
    let bad = call(&server, "GET", &format!("{tl}/export?format=xml"), None).await;
    assert_error(&bad, 400, "invalid_field", Some("format"));

    // Filters.
    let list = |q: &str| {
        let server = &server;
        let q = q.to_owned();
        async move {
            let v = server.get_json(&format!("/api/v1/incidents{q}")).await;
            v.as_array()
                .unwrap()
                .iter()
                .map(|i| i["reference"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await, ["INC-2", "INC-1"]);
    assert_eq!(list("?severity=SEV3").await, ["INC-2"]);
    assert_eq!(list("?status=investigating&severity=sev2").await, ["INC-1"]);
    let svc_q = format!("?service={}", url_encode("受注システム"));
    assert_eq!(list(&svc_q).await, ["INC-1"]);
    let bad = call(&server, "GET", "/api/v1/incidents?status=open", None).await;
    assert_error(&bad, 400, "invalid_field", Some("status"));

    // A named service stays.
    let del = call(&server, "DELETE", "/api/v1/services/受注システム", None).await;
    assert_error(&del, 409, "conflict", None);
    let missing = call(&server, "GET", "/api/v1/incidents/INC-99", None).await;
    assert_error(&missing, 404, "not_found", None);
    assert!(server.terminate().await.success());
});

both_databases!(incidents_from_the_command_line, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let url = server.database_url.clone();
    let (ok, out, _) = cli(
        &url,
        &[
            "incident",
            "declare",
            "受注システム障害",
            "--people",
            "500",
            "--revenue-per-day",
            "10000000",
            "--currency",
            "JPY",
            "--customers",
            "1000",
            "--reputational-risk",
            "high",
            "--started",
            "2024-12-01T15:00:00+09:00",
        ],
    )
    .await;
    assert!(ok);
    assert_eq!(
        out.trim(),
        "INC-1 declared: SEV1 (suggested: SEV1 because people_affected 500 is at least 100)"
    );
    let (ok, _, err) = cli(
        &url,
        &[
            "incident",
            "declare",
            "x",
            "--revenue-per-day",
            "5",
            "--currency",
            "YEN",
        ],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("impact.currency"), "{err}");
    let (ok, _, err) = cli(&url, &["incident", "declare", "x"]).await;
    assert!(!ok);
    assert!(err.contains("severity"), "{err}");
    let (ok, out, _) = cli(
        &url,
        &[
            "incident",
            "note",
            "INC-1",
            "キャッシュメモリ不足",
            "--kind",
            "hypothesis",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, _, err) = cli(
        &url,
        &["incident", "note", "INC-1", "x", "--kind", "declared"],
    )
    .await;
    assert!(!ok);
    assert!(err.contains("--kind"), "{err}");
    let (ok, out, _) = cli(
        &url,
        &["incident", "update", "INC-1", "--status", "monitoring"],
    )
    .await;
    assert!(ok);
    assert_eq!(out.trim(), "INC-1 is monitoring (SEV1)");
    let (ok, _, err) = cli(&url, &["incident", "update", "INC-1", "--status", "over"]).await;
    assert!(!ok);
    assert!(err.contains("status"), "{err}");
    let (ok, out, _) = cli(
        &url,
        &["incident", "timeline", "INC-1", "--kind", "hypothesis"],
    )
    .await;
    assert!(ok);
    assert!(out.contains("キャッシュメモリ不足 [open]"), "{out}");
    assert!(out.contains("cli:operator"), "{out}");
    let (ok, out, _) = cli(&url, &["incident", "show", "INC-1"]).await;
    assert!(ok);
    assert!(out.contains("mitigated"), "{out}");
    assert!(out.contains("downtime"), "{out}");
    let (_, out, _) = cli(&url, &["incident", "list", "--status", "monitoring"]).await;
    assert!(out.starts_with("INC-1"), "{out}");
    // What the command line did, the API reads.
    let api = server.get_json("/api/v1/incidents/INC-1/timeline").await;
    assert!(
        api.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "status_change")
    );
    assert!(server.terminate().await.success());
});

both_databases!(incidents_in_the_console_in_japanese, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let aya = browser_as(&server, "aya", "responder").await;
    let yui = browser_as(&server, "yui", "viewer").await;
    let r = server
        .post_json(
            "/api/v2/alerts",
            &json!([am_alert(&[("alertname", "OrderDbConnectionsExhausted")])]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let groups = server.get_json("/api/v1/groups").await;
    let key = groups[0]["key"].as_str().unwrap().to_owned();

    // The group offers the declaration; the form comes pre-filled, in Japanese.
    let (status, html) = page(&server, &aya, "/groups", "ja").await;
    assert_eq!(status, 200);
    assert!(html.contains("インシデントを宣言"), "{html}");
    let new = format!("/incidents/new?group={}", url_encode(&key));
    let (status, html) = page(&server, &aya, &new, "ja").await;
    assert_eq!(status, 200);
    assert!(html.contains("業務停止人数") && html.contains("レピュテーションリスク"));
    assert!(html.contains("OrderDbConnectionsExhausted"), "{html}");
    let (status, html) = page(
        &server,
        &aya,
        "/incidents/suggest?people_affected=500&currency=JPY",
        "ja",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("SEV1: 業務停止人数 500 ≥ 100"), "{html}");
    let (status, _) = page(&server, &yui, &new, "ja").await;
    assert_eq!(status, 403);

    // A refused form names the field and declares nothing.
    let mut form = vec![
        ("title", "受注システム障害"),
        ("people_affected", "500"),
        ("revenue_per_day", "10,000,000"),
        ("currency", "YEN"),
        ("customers_affected", "1000"),
        ("reputational_risk", "high"),
        ("alert_group", key.as_str()),
    ];
    let r = post_form(&server, &aya, "/incidents", &form).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("impact.currency"));
    assert_eq!(server.get_json("/api/v1/incidents").await, json!([]));
    form[3] = ("currency", "JPY");
    let r = post_form(&server, &aya, "/incidents", &form).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let inc = server.get_json("/api/v1/incidents/INC-1").await;
    assert_eq!(inc["severity"], "SEV1");
    assert_eq!(inc["alert_groups"][0], key.as_str());

    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/timeline",
        &[
            ("kind", "hypothesis"),
            ("text", "コネクションプールの設定値が不適切"),
            ("verdict", "open"),
        ],
    )
    .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1",
        &[
            ("status", "monitoring"),
            ("severity", "SEV1"),
            ("reason", ""),
        ],
    )
    .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let r = post_form(
        &server,
        &aya,
        "/incidents/INC-1/milestones",
        &[
            ("milestone", "detected"),
            ("at", "2000-01-01T00:00:00Z"),
            ("reason", "誤記"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("milestones.detected"));

    let (status, html) = page(&server, &yui, "/incidents/INC-1", "ja").await;
    assert_eq!(status, 200);
    for text in [
        "経過観察",
        "影響から推奨される重大度",
        "暫定復旧まで",
        "停止時間",
        "コネクションプールの設定値が不適切",
        "未検証",
        "アラートグループの関連付け",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    let (_, html) = page(&server, &yui, "/incidents/INC-1?kind=hypothesis", "ja").await;
    assert!(
        !html.contains("アラートグループの関連付け</span>"),
        "{html}"
    );
    let (_, html) = page(&server, &yui, "/incidents", "en").await;
    assert!(
        html.contains("INC-1") && html.contains("Monitoring"),
        "{html}"
    );
    assert!(server.terminate().await.success());
});

/// The first timeline entry of `kind` in `entries`, if any.
fn entry<'a>(entries: &'a Value, kind: &str) -> Option<&'a Value> {
    entries.as_array()?.iter().find(|e| e["kind"] == kind)
}

both_databases!(
    an_incident_timeline_tells_its_alerts_and_its_page,
    |db| async move {
        let Some(server) = Server::start(db, crate::paging::options()).await else {
            return;
        };
        crate::paging::person(
            &server,
            "aya",
            "responder",
            &[("email", "aya@example.com", 0)],
        )
        .await;
        crate::paging::policy(&server, "primary", "10m", &[&["aya"]], 0).await;

        // The pool on db1 has been exhausted for half an hour; its group is paged.
        let started = now_ms() - 30 * 60_000;
        let mut pool = am_alert(&[("alertname", "PoolExhausted"), ("instance", "db1")]);
        pool["startsAt"] = api_time(started).into();
        pool["annotations"] = json!({"summary": "DB接続枯渇"});
        let r = server.post_json("/api/v2/alerts", &json!([pool])).await;
        assert_eq!(r.status(), 200);
        let paged = crate::paging::page_of(&server, "PoolExhausted").await;
        let key = paged["group_key"].as_str().unwrap().to_owned();

        // Declared from the group: its firing alert enters the timeline at its start.
        let inc = call(
            &server,
            "POST",
            &format!("/api/v1/alert-groups/{}/incident", url_encode(&key)),
            Some(json!({"severity": "SEV1"})),
        )
        .await;
        assert_eq!(inc.0, 201, "{}", inc.1);
        assert!(inc.1["milestones"]["acknowledged"].is_null());
        let tl = "/api/v1/incidents/INC-1/timeline";
        let all = server.get_json(tl).await;
        let fired = entry(&all, "alert_fired").expect("the alert on the timeline");
        assert_eq!(fired["at"], api_time(started));
        assert_eq!(fired["text"], "PoolExhausted: DB接続枯渇");
        assert_eq!(fired["actor"], "hinomi");
        assert_eq!(all[0]["kind"], "alert_fired", "ordered by when it happened");

        // A second alert joins the group: the next flush tells it.
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([am_alert(&[
                    ("alertname", "PoolExhausted"),
                    ("instance", "db2")
                ])]),
            )
            .await;
        assert_eq!(r.status(), 200);
        eventually_async(
            std::time::Duration::from_secs(20),
            "db2 on the timeline",
            || async {
                let all = server.get_json(tl).await;
                all.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["kind"] == "alert_fired" && e["data"]["labels"]["instance"] == "db2")
                    .then_some(())
            },
        )
        .await;

        // The page is acknowledged: the incident's acknowledged milestone, and an entry.
        let id = paged["id"].as_str().unwrap();
        let ack = call(
            &server,
            "POST",
            &format!("/api/v1/pages/{id}/acknowledge"),
            None,
        )
        .await;
        assert_eq!(ack.0, 200, "{}", ack.1);
        let inc = server.get_json("/api/v1/incidents/INC-1").await;
        assert!(inc["milestones"]["acknowledged"].is_string(), "{inc}");
        let all = server.get_json(tl).await;
        let acked = entry(&all, "page_acknowledged").expect("the acknowledgement");
        assert!(acked["text"].as_str().unwrap().contains("PoolExhausted"));
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "milestone_edit" && e["data"]["milestone"] == "acknowledged"),
            "{all}"
        );

        // db1 recovers: its resolution is told, at its end.
        let mut done = am_alert(&[("alertname", "PoolExhausted"), ("instance", "db1")]);
        done["startsAt"] = api_time(started).into();
        let ended = now_ms() - 1_000;
        done["endsAt"] = api_time(ended).into();
        let r = server.post_json("/api/v2/alerts", &json!([done])).await;
        assert_eq!(r.status(), 200);
        let resolved = eventually_async(
            std::time::Duration::from_secs(20),
            "db1 resolved",
            || async {
                let all = server.get_json(tl).await;
                entry(&all, "alert_resolved").cloned()
            },
        )
        .await;
        assert_eq!(resolved["at"], api_time(ended));

        // Another group is linked after the declaration; its alert is told too.
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([am_alert(&[("alertname", "CacheMemoryLow")])]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let cache_key = eventually_async(
            std::time::Duration::from_secs(20),
            "the cache group",
            || async {
                let groups = server.get_json("/api/v1/groups").await;
                groups.as_array().unwrap().iter().find_map(|g| {
                    g["key"]
                        .as_str()
                        .filter(|k| k.contains("CacheMemoryLow"))
                        .map(str::to_owned)
                })
            },
        )
        .await;
        let path = "/api/v1/incidents/INC-1";
        let bad = call(
            &server,
            "PATCH",
            path,
            Some(json!({"link_alert_groups": ["nope"]})),
        )
        .await;
        assert_error(&bad, 400, "invalid_field", Some("link_alert_groups[0]"));
        let linked = call(
            &server,
            "PATCH",
            path,
            Some(json!({"link_alert_groups": [cache_key.clone(), key.clone()]})),
        )
        .await;
        assert_eq!(linked.0, 200, "{}", linked.1);
        assert_eq!(linked.1["alert_groups"], json!([key, cache_key]));
        let all = server.get_json(tl).await;
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "alert_fired" && e["text"] == "CacheMemoryLow: test"),
            "{all}"
        );

        // Services change after the declaration, each change on the timeline.
        let svc = call(
            &server,
            "POST",
            "/api/v1/services",
            Some(json!({"name": "受注システム"})),
        )
        .await;
        assert_eq!(svc.0, 201, "{}", svc.1);
        let bad = call(
            &server,
            "PATCH",
            path,
            Some(json!({"services": ["受注システム", "nope"]})),
        )
        .await;
        assert_error(&bad, 400, "invalid_field", Some("services[1]"));
        let changed = call(
            &server,
            "PATCH",
            path,
            Some(json!({"services": ["受注システム"]})),
        )
        .await;
        assert_eq!(
            changed.1["services"][0]["name"], "受注システム",
            "{}",
            changed.1
        );
        let all = server.get_json(tl).await;
        let change = entry(&all, "services_change").expect("the services change");
        assert_eq!(change["data"]["to"], json!(["受注システム"]));
        let kept = all.as_array().unwrap().len();
        let same = call(
            &server,
            "PATCH",
            path,
            Some(json!({"services": ["受注システム"]})),
        )
        .await;
        assert_eq!(same.0, 200);
        assert_eq!(
            server.get_json(tl).await.as_array().unwrap().len(),
            kept,
            "no change, no entry"
        );

        // The console: the timeline as a fragment, its live stream, a correction and the forms.
        let tanaka = browser_as(&server, "tanaka", "responder").await;
        let note = call(
            &server,
            "POST",
            tl,
            Some(json!({"kind": "hypothesis", "text": "ネットワーク輻輳"})),
        )
        .await;
        let note_id = note.1["id"].as_i64().unwrap();
        let r = post_form(
            &server,
            &tanaka,
            &format!("/incidents/INC-1/timeline/{note_id}/correct"),
            &[
                ("text", "ネットワーク輻輳"),
                ("verdict", "rejected"),
                ("reason", "帯域に余裕あり"),
            ],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        let r = post_form(
            &server,
            &tanaka,
            &format!("/incidents/INC-1/timeline/{note_id}/correct"),
            &[("text", "x"), ("reason", "again")],
        )
        .await;
        assert_eq!(r.status(), 409, "an entry is corrected once");
        let (status, html) = page(&server, &tanaka, "/incidents/INC-1/timeline", "ja").await;
        assert_eq!(status, 200);
        for text in [
            "アラート発生",
            "アラート解消",
            "ページの了解",
            "PoolExhausted: DB接続枯渇",
            "否定",
        ] {
            assert!(html.contains(text), "{text} in {html}");
        }
        assert!(!html.contains("<html"), "a fragment, not a page");
        let (_, html) = page(&server, &tanaka, "/incidents/INC-1", "en").await;
        assert!(
            html.contains("data-live-events=\"/incidents/INC-1/events\""),
            "{html}"
        );
        assert!(
            !html.contains("CacheMemoryLow</option>"),
            "a linked group is not offered again"
        );
        let r = post_form(&server, &tanaka, "/incidents/INC-1/services", &[]).await;
        assert!(r.status().is_redirection(), "{}", r.status());
        assert_eq!(server.get_json(path).await["services"], json!([]));
        let r = post_form(
            &server,
            &tanaka,
            "/incidents/INC-1/groups",
            &[("group", "nope")],
        )
        .await;
        assert_eq!(r.status(), 400);

        let mut events = tanaka
            .get(format!("{}/incidents/INC-1/events", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(events.headers()["content-type"], "text/event-stream");
        let first = tokio::time::timeout(std::time::Duration::from_secs(10), events.chunk())
            .await
            .expect("an event at connect")
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&first).contains("event: incident"));
        drop(events);
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    updates_go_to_the_stakeholders_on_the_cadence,
    |db| async move {
        let mut options = Options::default();
        options.env.push((
        "HINOMI_INCIDENTS__STAKEHOLDERS".into(),
        r#"[{name="経営層",severities=["SEV1"],contacts=["email:exec@example.com","webhook:https://example.com/hook"],language="ja"},{name="Support desk",contacts=["slack:https://hooks.slack.com/services/T0/B0/x"],language="en"}]"#.into(),
    ));
        let Some(server) = Server::start(db, options).await else {
            return;
        };
        let declared = call(
            &server,
            "POST",
            "/api/v1/incidents",
            Some(json!({"title": "受注システム全面障害", "severity": "SEV1"})),
        )
        .await;
        assert_eq!(declared.0, 201, "{}", declared.1);
        let id = declared.1["id"].as_str().unwrap().to_owned();
        let declared_at =
            hinomi_core::time::parse(declared.1["milestones"]["declared"].as_str().unwrap())
                .unwrap();
        // A SEV1 owes an update every 30 minutes from its declaration.
        let detail = server.get_json("/api/v1/incidents/INC-1").await;
        assert_eq!(
            detail["next_update_due"],
            api_time(declared_at + 30 * 60_000)
        );
        // The seed's escalation criteria: a SEV1 pages the executive liaison at once (the
        // reminder worker acts within its poll interval); the four-hour one waits.
        assert_eq!(detail["escalations"][1]["criterion"], "unresolved_4h");
        assert_eq!(
            detail["escalations"][1]["due_at"],
            api_time(declared_at + 240 * 60_000)
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let acted = loop {
            let detail = server.get_json("/api/v1/incidents/INC-1").await;
            if !detail["escalations"][0]["acted_at"].is_null() {
                break detail["escalations"][0].clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the executive liaison criterion never acted: {detail}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(acted["criterion"], "executive_liaison");
        let entries = server
            .get_json("/api/v1/incidents/INC-1/timeline?kind=escalated")
            .await;
        assert_eq!(entries.as_array().map(Vec::len), Some(1), "{entries}");
        assert_eq!(entries[0]["data"]["reason"], "severity is SEV1");

        let path = "/api/v1/incidents/INC-1/updates";
        let bad = call(&server, "POST", path, Some(json!({"text": " "}))).await;
        assert_error(&bad, 400, "invalid_field", Some("text"));
        let sent = call(
            &server,
            "POST",
            path,
            Some(json!({"text": "原因はDB接続枯渇と判明。プールを再設定中です。"})),
        )
        .await;
        assert_eq!(sent.0, 201, "{}", sent.1);
        assert_eq!(sent.1["kind"], "update");
        assert_eq!(sent.1["data"]["lists"], json!(["経営層", "Support desk"]));
        assert_eq!(sent.1["data"]["messages"], 3);
        let at = hinomi_core::time::parse(sent.1["at"].as_str().unwrap()).unwrap();
        let detail = server.get_json("/api/v1/incidents/INC-1").await;
        assert_eq!(
            detail["next_update_due"],
            api_time(at + 30 * 60_000),
            "the cadence restarts"
        );

        // One message per contact, in each list's language, queued in the update's transaction.
        let messages = crate::paging::envelopes(&server, &format!("incident:{id}")).await;
        let mut kinds: Vec<(String, String)> = messages
            .iter()
            .map(|(_, e)| {
                (
                    e["contact"]["kind"].as_str().unwrap().to_owned(),
                    e["notice"]["locale"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [("email", "ja"), ("slack", "en"), ("webhook", "ja")]
                .map(|(k, l)| (k.to_owned(), l.to_owned()))
        );
        let notice = &messages[0].1["notice"];
        assert_eq!(notice["kind"]["type"], "incident_update");
        assert_eq!(notice["kind"]["reference"], "INC-1");
        assert_eq!(
            notice["kind"]["text"],
            "原因はDB接続枯渇と判明。プールを再設定中です。"
        );
        assert!(
            notice["console_url"]
                .as_str()
                .unwrap()
                .ends_with("/incidents/INC-1")
        );

        // A SEV3 is heard by the support desk alone; with no list at all, nothing is sent.
        let low = call(
            &server,
            "POST",
            "/api/v1/incidents",
            Some(json!({"title": "帳票の遅延", "severity": "SEV3"})),
        )
        .await;
        let low_id = low.1["id"].as_str().unwrap().to_owned();
        let sent = call(
            &server,
            "POST",
            "/api/v1/incidents/INC-2/updates",
            Some(json!({"text": "調査中"})),
        )
        .await;
        assert_eq!(
            sent.1["data"]["lists"],
            json!(["Support desk"]),
            "{}",
            sent.1
        );
        assert_eq!(
            server.get_json("/api/v1/incidents/INC-2").await["next_update_due"],
            Value::Null,
            "SEV3 has no cadence"
        );
        assert_eq!(
            crate::paging::envelopes(&server, &format!("incident:{low_id}"))
                .await
                .len(),
            1
        );

        // The console shows what is owed, and sends through the same path.
        let tanaka = browser_as(&server, "tanaka", "responder").await;
        let (_, html) = page(&server, &tanaka, "/incidents/INC-1", "ja").await;
        for text in ["関係者への報告", "次回報告の期限", "経営層, Support desk"] {
            assert!(html.contains(text), "{text} in {html}");
        }
        let r = post_form(
            &server,
            &tanaka,
            "/incidents/INC-1/updates",
            &[("text", "暫定復旧しました")],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        assert_eq!(
            crate::paging::envelopes(&server, &format!("incident:{id}"))
                .await
                .len(),
            6
        );
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    customer_notifications_are_drafted_from_the_templates,
    |db| async move {
        let mut options = Options::default();
        options.env.push((
            "HINOMI_INCIDENTS__STAKEHOLDERS".into(),
            r#"[{name="Support desk",contacts=["email:desk@example.com"],language="en"}]"#.into(),
        ));
        options.env.push((
            "HINOMI_INCIDENTS__CUSTOMER_TEMPLATES".into(),
            r#"[{status="monitoring",ja="経過観察中です：{title}（{services}）",en="Monitoring: {title} ({services})"}]"#.into(),
        ));
        let Some(server) = Server::start(db, options).await else {
            return;
        };
        let r = server
            .post_json("/api/v1/services", &json!({"name": "受注システム"}))
            .await;
        assert_eq!(r.status(), 201);
        let declared = call(
            &server,
            "POST",
            "/api/v1/incidents",
            Some(json!({"title": "受注の遅延", "severity": "SEV1",
                        "services": ["受注システム"], "started_at": "2024-12-01T15:00:00+09:00"})),
        )
        .await;
        assert_eq!(declared.0, 201, "{}", declared.1);
        let id = declared.1["id"].as_str().unwrap().to_owned();

        // Every status's draft names the incident and its services, in both languages,
        // times in the status page's zone (Asia/Tokyo by default).
        let drafts = server.get_json("/api/v1/incidents/INC-1/drafts").await;
        let statuses: Vec<&str> = drafts
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            statuses,
            ["identified", "investigating", "monitoring", "resolved"]
        );
        for (status, d) in drafts.as_object().unwrap() {
            for lang in ["ja", "en"] {
                let text = d[lang].as_str().unwrap();
                assert!(
                    text.contains("受注の遅延") && text.contains("受注システム"),
                    "{status} {lang}: {text}"
                );
            }
        }
        let ja = drafts["investigating"]["ja"].as_str().unwrap();
        assert!(
            ja.starts_with("現在、受注システムにおいて障害が発生しております。"),
            "{ja}"
        );
        assert!(ja.contains("■発生日時：2024年12月1日 15:00 (JST)"), "{ja}");
        // A SEV1 owes an update every 30 minutes: the draft says when.
        assert!(ja.contains("■次回更新予定：20"), "{ja}");
        let en = drafts["investigating"]["en"].as_str().unwrap();
        assert!(en.contains("Started: Dec 1, 2024 15:00 JST"), "{en}");
        let resolved = drafts["resolved"]["ja"].as_str().unwrap();
        assert!(resolved.contains("■復旧日時：未定"), "{resolved}");
        // The settings' template replaces the built-in one of its status.
        assert_eq!(
            drafts["monitoring"]["en"],
            "Monitoring: 受注の遅延 (受注システム)"
        );
        assert_eq!(
            drafts["monitoring"]["ja"],
            "経過観察中です：受注の遅延（受注システム）"
        );

        let one = server
            .get_json("/api/v1/incidents/INC-1/drafts?status=resolved")
            .await;
        assert_eq!(one, json!({"resolved": drafts["resolved"]}));
        let bad = call(
            &server,
            "GET",
            "/api/v1/incidents/INC-1/drafts?status=over",
            None,
        )
        .await;
        assert_error(&bad, 400, "invalid_field", Some("status"));
        let missing = call(&server, "GET", "/api/v1/incidents/INC-9/drafts", None).await;
        assert_eq!(missing.0, 404, "{}", missing.1);

        // The incident page starts the stakeholder update in the reader's language and the
        // status page form in both. (The next update moves with the clock: compared up to it.)
        let up_to = |text: &str, marker: &str| text.split(marker).next().unwrap().to_owned();
        let aya = browser_as(&server, "aya", "responder").await;
        let (status, html) = page(&server, &aya, "/incidents/INC-1", "ja").await;
        assert_eq!(status, 200);
        let ja_head = up_to(ja, "■次回更新予定");
        let en_head = up_to(en, "Next update");
        assert!(
            html.contains(&format!("required>{ja_head}")),
            "update text in {html}"
        );
        assert!(html.contains(&format!("lang=\"ja\" rows=\"8\">{ja_head}")));
        assert!(html.contains(&format!("lang=\"en\" rows=\"8\">{en_head}")));
        let (_, html) = page(&server, &aya, "/incidents/INC-1", "en").await;
        assert!(html.contains(&format!("required>{en_head}")), "{html}");

        // A status incident that tells of it offers the draft for the internal incident's
        // status, and every status's drafts to copy.
        let r = server
            .post_json(
                "/api/v1/status/incidents",
                &json!({"name": "受注の遅延", "impact": "major", "body_ja": "調査中です。",
                        "incident_id": "INC-1"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let published: Value = r.json().await.unwrap();
        let status_path = format!(
            "/status-page/incidents/{}",
            published["id"].as_str().unwrap()
        );
        let (status, html) = page(&server, &aya, &status_path, "ja").await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!(
                "id=\"u-body-ja\" name=\"body_ja\" lang=\"ja\" rows=\"8\">{ja_head}"
            )),
            "{html}"
        );
        assert!(html.contains(&format!(
            "id=\"u-body-en\" name=\"body_en\" lang=\"en\" rows=\"8\">{en_head}"
        )));
        assert!(
            html.contains("経過観察中です：受注の遅延（受注システム）"),
            "{html}"
        );
        let patched = call(
            &server,
            "PATCH",
            &format!("/api/v1/incidents/{id}"),
            Some(json!({"status": "identified"})),
        )
        .await;
        assert_eq!(patched.0, 200, "{}", patched.1);
        let (_, html) = page(&server, &aya, &status_path, "en").await;
        assert!(
            html.contains("<option value=\"identified\" selected>"),
            "{html}"
        );
        let identified = up_to(drafts["identified"]["en"].as_str().unwrap(), "Next update");
        assert!(html.contains(&format!("rows=\"8\">{identified}")), "{html}");

        // The command line prints a draft (built-in templates: it reads no settings here).
        let url = server.database_url.clone();
        let (ok, out, err) = cli(
            &url,
            &[
                "incident", "draft", "INC-1", "--status", "resolved", "--lang", "en",
            ],
        )
        .await;
        assert!(ok, "{err}");
        assert!(
            out.starts_with("The issue affecting 受注システム has been resolved."),
            "{out}"
        );
        let (ok, out, _) = cli(&url, &["incident", "draft", "INC-1"]).await;
        assert!(ok);
        assert!(
            out.starts_with(
                "[ja]\n受注システムにおいて発生している障害について、原因を特定いたしました。"
            ),
            "{out}"
        );
        assert!(
            out.contains("\n[en]\nWe have identified the cause"),
            "{out}"
        );
        let (ok, _, err) = cli(&url, &["incident", "draft", "INC-1", "--lang", "fr"]).await;
        assert!(!ok);
        assert!(err.contains("language"), "{err}");
        let (ok, _, err) = cli(&url, &["incident", "draft", "INC-1", "--status", "over"]).await;
        assert!(!ok);
        assert!(err.contains("--status"), "{err}");
        assert!(server.terminate().await.success());
    }
);
