//! An incident's team and checklist through the API and the CLI, on both databases: the
//! seed's eight roles configured; the declarer becomes incident manager and is paged in
//! their language; giving a role pages the person through their notification rules (an
//! outbox row of the right kind per rule), the lead role passes from one holder to the
//! next, a role taken back cancels nothing sent and leaves the history; an external vendor
//! without an account is emailed; bad input is named by field; the SEV1 incident gets the
//! seed's first-response checklist with its deadlines, whose items are checked on the
//! timeline.

use serde_json::{Value, json};

use crate::api_v1::{assert_error, call, call_as};
use crate::audit_trail::cli;
use crate::both_databases;
use crate::console::{browser_as, page, post_form};
use crate::harness::*;
use crate::paging::{envelopes, person};

/// The envelopes a role assignment sent, with the outbox row's kind.
async fn role_messages(server: &Server, assignment: i64) -> Vec<Value> {
    envelopes(server, &format!("incident_role:{assignment}"))
        .await
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// The assignment of `role` held now on `incident`.
async fn held(server: &Server, incident: &str, role: &str) -> Vec<Value> {
    let (s, list) = call(
        server,
        "GET",
        &format!("/api/v1/incidents/{incident}/roles"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["role"] == role)
        .cloned()
        .collect()
}

both_databases!(incident_roles_page_their_holders, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    person(
        &server,
        "aya",
        "responder",
        &[("email", "aya@example.com", 0)],
    )
    .await;
    let (_, ben) = person(
        &server,
        "ben",
        "responder",
        &[("email", "ben@example.com", 0), ("sms", "+819011112222", 5)],
    )
    .await;
    // Ben reads English.
    let r = ben
        .patch(format!("{}/api/v1/me", server.url))
        .json(&json!({"locale": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.create_user("yui", "viewer");
    let yui = server.create_token("yui", None);
    let aya_token = server.create_token("aya", None);

    // The seed's eight roles, four core and four support.
    let (s, roles) = call(&server, "GET", "/api/v1/incident-roles", None).await;
    assert_eq!(s, 200);
    let roles = roles.as_array().unwrap();
    assert_eq!(roles.len(), 8);
    assert_eq!(roles[0]["key"], "incident_manager");
    assert_eq!(roles[0]["lead"], true);
    assert_eq!(roles[4]["name_ja"], "広報担当");
    assert_eq!(roles.iter().filter(|r| r["group"] == "support").count(), 4);

    // Aya declares: she becomes incident manager, and is paged by email in Japanese.
    let (s, inc) = call_as(
        &server,
        &aya_token,
        "POST",
        "/api/v1/incidents",
        Some(json!({"title": "受注システム全面障害", "severity": "SEV1"})),
    )
    .await;
    assert_eq!(s, 201, "{inc}");
    assert_eq!(inc["reference"], "INC-1");
    let im = held(&server, "INC-1", "incident_manager").await;
    assert_eq!(im.len(), 1);
    assert_eq!(im[0]["holder"], "aya");
    assert_eq!(im[0]["role_name_en"], "Incident manager");
    let sent = role_messages(&server, im[0]["id"].as_i64().unwrap()).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["contact"]["kind"], "email");
    assert_eq!(sent[0]["contact"]["address"], "aya@example.com");
    assert_eq!(sent[0]["notice"]["locale"], "ja");
    assert_eq!(sent[0]["notice"]["kind"]["type"], "incident_role");
    assert_eq!(
        sent[0]["notice"]["kind"]["role"],
        "インシデントマネージャー"
    );
    assert_eq!(sent[0]["notice"]["kind"]["reference"], "INC-1");

    // Ben is made technical lead: paged by each of his rules, in English.
    let (s, given) = call(
        &server,
        "POST",
        "/api/v1/incidents/INC-1/roles",
        Some(json!({"role": "technical_lead", "user": "ben"})),
    )
    .await;
    assert_eq!(s, 201, "{given}");
    assert_eq!(given["messages"], 2);
    assert_eq!(given["assignment"]["group"], "core");
    let tl = given["assignment"]["id"].as_i64().unwrap();
    let sent = role_messages(&server, tl).await;
    let kinds: Vec<&str> = sent
        .iter()
        .map(|e| e["contact"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["email", "sms"]);
    assert!(sent.iter().all(|e| e["notice"]["locale"] == "en"));
    assert_eq!(sent[0]["notice"]["kind"]["role"], "Technical lead");
    assert_eq!(sent[0]["notice"]["kind"]["severity"], "SEV1");
    assert_eq!(sent[0]["notice"]["title"], "受注システム全面障害");
    let outbox = crate::paging::database(&server).await;
    let rows = outbox
        .notices(&format!("incident_role:{tl}"))
        .await
        .unwrap();
    outbox.close().await;
    assert_eq!(rows[0].kind, "contact:email");
    assert_eq!(rows[1].kind, "contact:sms");

    // Holding it twice is a conflict; bad input names its field; viewers give nothing.
    let again = call(
        &server,
        "POST",
        "/api/v1/incidents/INC-1/roles",
        Some(json!({"role": "technical_lead", "user": "ben"})),
    )
    .await;
    assert_error(&again, 409, "conflict", None);
    for (body, field) in [
        (json!({"role": "firefighter", "user": "ben"}), "role"),
        (json!({"role": "operator", "user": "nobody"}), "user"),
        (json!({"role": "operator"}), "user"),
        (json!({"role": "operator", "contact": "nope"}), "contact"),
    ] {
        let r = call(&server, "POST", "/api/v1/incidents/INC-1/roles", Some(body)).await;
        assert_error(&r, 400, "invalid_field", Some(field));
    }
    let denied = call_as(
        &server,
        &yui,
        "POST",
        "/api/v1/incidents/INC-1/roles",
        Some(json!({"role": "operator", "user": "ben"})),
    )
    .await;
    assert_error(&denied, 403, "forbidden", None);
    let missing = call(
        &server,
        "POST",
        "/api/v1/incidents/INC-9/roles",
        Some(json!({"role": "operator", "user": "ben"})),
    )
    .await;
    assert_eq!(missing.0, 404);

    // The lead role has one holder: Ben takes it over from Aya.
    let (s, given) = call(
        &server,
        "POST",
        "/api/v1/incidents/INC-1/roles",
        Some(json!({"role": "incident_manager", "user": "ben"})),
    )
    .await;
    assert_eq!(s, 201, "{given}");
    assert_eq!(given["replaced"][0]["holder"], "aya");
    let im = held(&server, "INC-1", "incident_manager").await;
    assert_eq!(im.len(), 1);
    assert_eq!(im[0]["holder"], "ben");

    // An external vendor without an account, emailed in English.
    let (s, vendor) = call(
        &server,
        "POST",
        "/api/v1/external-contacts",
        Some(json!({"name": "Sato", "organisation": "DB Vendor KK",
                    "email": "sato@vendor.example", "language": "en"})),
    )
    .await;
    assert_eq!(s, 201, "{vendor}");
    let bad = call(
        &server,
        "POST",
        "/api/v1/external-contacts",
        Some(json!({"name": "X", "organisation": "Y"})),
    )
    .await;
    assert_error(&bad, 400, "invalid_field", Some("email"));
    let vendor_id = vendor["id"].as_str().unwrap();
    // Viewers see who the contacts are, not how to reach them.
    let (s, seen) = call_as(&server, &yui, "GET", "/api/v1/external-contacts", None).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen[0]["name"], "Sato");
    assert_eq!(seen[0]["email"], "sa***@vendor.example");
    let (_, full) = call(&server, "GET", "/api/v1/external-contacts", None).await;
    assert_eq!(full[0]["email"], "sato@vendor.example");
    let (s, given) = call(
        &server,
        "POST",
        "/api/v1/incidents/INC-1/roles",
        Some(json!({"role": "external_vendor", "contact": vendor_id})),
    )
    .await;
    assert_eq!(s, 201, "{given}");
    assert_eq!(given["assignment"]["holder"], "Sato (DB Vendor KK)");
    let sent = role_messages(&server, given["assignment"]["id"].as_i64().unwrap()).await;
    assert_eq!(sent[0]["contact"]["address"], "sato@vendor.example");
    assert_eq!(sent[0]["notice"]["kind"]["role"], "External vendor");
    let in_use = call(
        &server,
        "DELETE",
        &format!("/api/v1/external-contacts/{vendor_id}"),
        None,
    )
    .await;
    assert_error(&in_use, 409, "conflict", None);

    // Taken back: no longer held, still in the history and on the timeline.
    let (s, done) = call(
        &server,
        "DELETE",
        &format!("/api/v1/incidents/INC-1/roles/{tl}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{done}");
    assert!(done["unassigned_at"].is_string());
    assert!(held(&server, "INC-1", "technical_lead").await.is_empty());
    let (_, past) = call(
        &server,
        "GET",
        "/api/v1/incidents/INC-1/roles?past=true",
        None,
    )
    .await;
    assert_eq!(past.as_array().unwrap().len(), 4);
    let (_, timeline) = call(
        &server,
        "GET",
        "/api/v1/incidents/INC-1/timeline?kind=role_assigned,role_unassigned",
        None,
    )
    .await;
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "role_assigned",
            "role_assigned",
            "role_unassigned",
            "role_assigned",
            "role_assigned",
            "role_unassigned"
        ]
    );

    // The command line: assign, list, unassign; a bad role is refused with the field.
    let url = server.database_url.clone();
    let (ok, out, err) = cli(&url, &["incident", "assign", "INC-1", "operator", "aya"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("aya is operator on INC-1"), "{out}");
    let (ok, out, _) = cli(&url, &["incident", "team", "INC-1"]).await;
    assert!(ok);
    assert!(out.contains("operator") && out.contains("aya"), "{out}");
    let (ok, _, err) = cli(&url, &["incident", "assign", "INC-1", "hero", "aya"]).await;
    assert!(!ok);
    assert!(err.contains("role"), "{err}");
    let (ok, out, err) = cli(&url, &["incident", "unassign", "INC-1", "operator", "aya"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("no longer holds operator"), "{out}");
    assert!(held(&server, "INC-1", "operator").await.is_empty());
});

both_databases!(incident_checklists_follow_the_playbook, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    // A SEV1: the seed's first response, eight items in two phases.
    let (s, inc) = call(
        &server,
        "POST",
        "/api/v1/incidents",
        Some(json!({"title": "受注システム全面障害", "severity": "SEV1"})),
    )
    .await;
    assert_eq!(s, 201, "{inc}");
    let declared =
        hinomi_core::time::parse(inc["milestones"]["declared"].as_str().unwrap()).unwrap();
    let (s, items) = call(&server, "GET", "/api/v1/incidents/INC-1/checklist", None).await;
    assert_eq!(s, 200, "{items}");
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 8);
    assert_eq!(items[0]["text_ja"], "インシデント宣言");
    assert_eq!(items[0]["role"], "incident_manager");
    let due = |i: &Value| hinomi_core::time::parse(i["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due(&items[0]) - declared, 60 * 60_000);
    assert_eq!(items[4]["text_en"], "Analyse the logs");
    assert_eq!(due(&items[4]) - declared, 180 * 60_000);
    assert_eq!(items[0]["overdue"], false);

    // Checked, then given to a person; each a timeline entry. Checking twice is refused.
    let first = items[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/INC-1/checklist/{first}");
    let (s, item) = call(&server, "PATCH", &path, Some(json!({"checked": true}))).await;
    assert_eq!(s, 200, "{item}");
    assert!(item["checked_at"].is_string());
    let twice = call(&server, "PATCH", &path, Some(json!({"checked": true}))).await;
    assert_error(&twice, 400, "invalid_field", Some("checked"));
    server.create_user("carol", "responder");
    let (s, item) = call(
        &server,
        "PATCH",
        &path,
        Some(json!({"user": "carol", "role": "operator"})),
    )
    .await;
    assert_eq!(s, 200, "{item}");
    assert_eq!(item["assignee"], "carol");
    assert_eq!(item["role"], "operator");
    let bad = call(&server, "PATCH", &path, Some(json!({"role": "hero"}))).await;
    assert_error(&bad, 400, "invalid_field", Some("role"));
    let gone = call(
        &server,
        "PATCH",
        "/api/v1/incidents/INC-1/checklist/99999",
        Some(json!({"checked": true})),
    )
    .await;
    assert_eq!(gone.0, 404);
    let (_, timeline) = call(
        &server,
        "GET",
        "/api/v1/incidents/INC-1/timeline?kind=playbook_applied,checklist_item",
        None,
    )
    .await;
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["playbook_applied", "checklist_item", "checklist_item"]
    );

    // A SEV3 gets none, until it is raised to SEV2: then the playbook applies, counted
    // from the change.
    let (s, _) = call(
        &server,
        "POST",
        "/api/v1/incidents",
        Some(json!({"title": "軽微", "severity": "SEV3"})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, none) = call(&server, "GET", "/api/v1/incidents/INC-2/checklist", None).await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    let (s, _) = call(
        &server,
        "PATCH",
        "/api/v1/incidents/INC-2",
        Some(json!({"severity": "SEV2"})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, some) = call(&server, "GET", "/api/v1/incidents/INC-2/checklist", None).await;
    assert_eq!(some.as_array().unwrap().len(), 8);

    // The command line prints and checks it.
    let url = server.database_url.clone();
    let (ok, out, _) = cli(&url, &["incident", "checklist", "INC-1"]).await;
    assert!(ok);
    assert!(out.contains("[x] Declare the incident"), "{out}");
    let second = items[1]["id"].as_i64().unwrap().to_string();
    let (ok, out, err) = cli(&url, &["incident", "check", "INC-1", &second]).await;
    assert!(ok, "{err}");
    assert!(out.contains("checked: Form the response team"), "{out}");
    // The reminder worker has been polling its timers on this database all along.
    assert!(
        !server.log_text().contains("incident reminders failed"),
        "{}",
        server.log_text()
    );
});

both_databases!(
    incident_team_and_checklist_in_the_console,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let aya = browser_as(&server, "aya", "responder").await;
        let yui = browser_as(&server, "yui", "viewer").await;
        server.create_user("ben", "responder");
        let r = post_form(
            &server,
            &aya,
            "/incidents",
            &[("title", "受注システム全面障害"), ("severity", "SEV1")],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());

        // The team panel, core roles first, the declarer leading; the checklist by phase.
        let (status, html) = page(&server, &aya, "/incidents/INC-1", "ja").await;
        assert_eq!(status, 200);
        assert!(html.contains("対応チーム"), "{html}");
        let im = html.find("インシデントマネージャー").unwrap();
        let pr = html.find("広報担当").unwrap();
        assert!(im < pr, "core roles come first");
        assert!(html.contains("/roles/1/unassign"), "{html}");
        assert!(html.contains("即時対応（最初の1時間）"), "{html}");
        assert!(html.contains("ログ分析"), "{html}");
        let (_, html) = page(&server, &aya, "/incidents/INC-1", "en").await;
        assert!(html.contains("Analyse the logs") && html.contains("Technical lead"));

        // Ben is given the technical lead by the form; a role that does not exist is named.
        let r = post_form(
            &server,
            &aya,
            "/incidents/INC-1/roles",
            &[("role", "technical_lead"), ("holder", "user:ben")],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        let tl = server
            .get_json("/api/v1/incidents/INC-1/roles")
            .await
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["role"] == "technical_lead")
            .cloned()
            .expect("ben holds technical_lead");
        assert_eq!(tl["holder"], "ben");
        let r = post_form(
            &server,
            &aya,
            "/incidents/INC-1/roles",
            &[("role", "hero"), ("holder", "user:ben")],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("<code>role</code>"));

        // Checked from the page; taken back from the page; viewers may do neither.
        let items = server.get_json("/api/v1/incidents/INC-1/checklist").await;
        let first = items[0]["id"].as_i64().unwrap();
        let r = post_form(
            &server,
            &aya,
            &format!("/incidents/INC-1/checklist/{first}"),
            &[("checked", "true")],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        let items = server.get_json("/api/v1/incidents/INC-1/checklist").await;
        assert!(items[0]["checked_at"].is_string());
        let r = post_form(
            &server,
            &aya,
            &format!("/incidents/INC-1/checklist/{first}"),
            &[("role", "operator"), ("user", "ben")],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        let items = server.get_json("/api/v1/incidents/INC-1/checklist").await;
        assert_eq!(items[0]["role"], "operator");
        assert_eq!(items[0]["assignee"], "ben");
        assert!(
            items[0]["checked_at"].is_string(),
            "assigning leaves the check"
        );
        let unassign = format!("/incidents/INC-1/roles/{}/unassign", tl["id"]);
        let r = post_form(&server, &yui, &unassign, &[]).await;
        assert_eq!(r.status(), 403);
        let r = post_form(&server, &aya, &unassign, &[]).await;
        assert!(r.status().is_redirection(), "{}", r.status());
        assert!(held(&server, "INC-1", "technical_lead").await.is_empty());

        // External contacts are kept on their own page and offered in the team panel.
        let r = post_form(
            &server,
            &aya,
            "/external-contacts",
            &[
                ("name", "佐藤"),
                ("organisation", "DBベンダー"),
                ("email", "x"),
            ],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("<code>email</code>"));
        let r = post_form(
            &server,
            &aya,
            "/external-contacts",
            &[
                ("name", "佐藤"),
                ("organisation", "DBベンダー"),
                ("email", "sato@vendor.example"),
                ("language", "ja"),
            ],
        )
        .await;
        assert!(r.status().is_redirection(), "{}", r.status());
        let (status, html) = page(&server, &yui, "/external-contacts", "ja").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("佐藤") && html.contains("外部連絡先"),
            "{html}"
        );
        let (_, html) = page(&server, &aya, "/incidents/INC-1", "ja").await;
        assert!(html.contains("佐藤 (DBベンダー)"), "{html}");
    }
);

both_databases!(the_console_declaration_names_the_team, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let aya = browser_as(&server, "aya", "responder").await;
    person(
        &server,
        "ben",
        "responder",
        &[("email", "ben@example.com", 0)],
    )
    .await;
    let (s, vendor) = call(
        &server,
        "POST",
        "/api/v1/external-contacts",
        Some(json!({"name": "Sato", "organisation": "DB Vendor KK",
                        "email": "sato@vendor.example", "language": "en"})),
    )
    .await;
    assert_eq!(s, 201, "{vendor}");
    let vendor_pick = format!("contact:{}", vendor["id"].as_str().unwrap());

    // One choice per role, core first, offering the people and the external contacts;
    // the lead role left empty is the declarer's.
    let (status, html) = page(&server, &aya, "/incidents/new", "ja").await;
    assert_eq!(status, 200);
    let tl = html
        .find(r#"name="role.technical_lead""#)
        .expect("technical lead");
    let pr = html.find(r#"name="role.pr""#).expect("pr");
    assert!(tl < pr, "core roles come first");
    assert!(html.contains("テクニカルリード") && html.contains("自分（宣言者）"));
    assert!(html.contains(r#"value="user:ben""#), "{html}");
    assert!(
        html.contains(&format!(r#"value="{vendor_pick}""#)),
        "{html}"
    );

    // A user who is not there is named by the role's field, next to it, with everything
    // typed kept; a role that is not configured is named too; nothing is declared.
    let mut form = vec![
        ("title", "受注システム全面障害"),
        ("customers_affected", "1,000"),
        ("role.technical_lead", "user:ben"),
        ("role.operator", "user:nobody"),
    ];
    let r = post_form(&server, &aya, "/incidents", &form).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("<code>role.operator</code>"), "{html}");
    let error = html.find(r#"id="role-operator-error""#).expect("the error");
    assert!(html[error..].starts_with(r#"id="role-operator-error" role="alert">no enabled user"#));
    let select = html.find(r#"id="role-operator""#).expect("the select");
    assert!(select < error && html[select..error].contains(r#"aria-invalid="true""#));
    assert!(html.contains(r#"value="受注システム全面障害""#));
    assert!(html.contains(r#"value="1,000""#));
    assert!(html.contains(r#"value="user:ben" selected"#), "{html}");
    form[3] = ("role.hero", "user:ben");
    let r = post_form(&server, &aya, "/incidents", &form).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("<code>role.hero</code>"));
    assert_eq!(server.get_json("/api/v1/incidents").await, json!([]));

    // Declared with two roles given: each held, on the timeline and paged; the declarer
    // leads.
    form[3] = ("role.external_vendor", &vendor_pick);
    form.push(("role.pr", ""));
    let r = post_form(&server, &aya, "/incidents", &form).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/incidents/INC-1");
    let inc = server.get_json("/api/v1/incidents/INC-1").await;
    assert_eq!(inc["severity"], "SEV1");
    let roles = server.get_json("/api/v1/incidents/INC-1/roles").await;
    let held: Vec<(&str, &str)> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["role"].as_str().unwrap(), a["holder"].as_str().unwrap()))
        .collect();
    assert_eq!(
        held,
        [
            ("incident_manager", "aya"),
            ("technical_lead", "ben"),
            ("external_vendor", "Sato (DB Vendor KK)")
        ]
    );
    let timeline = server
        .get_json("/api/v1/incidents/INC-1/timeline?kind=role_assigned")
        .await;
    let texts: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "incident_manager: aya",
            "technical_lead: ben",
            "external_vendor: Sato (DB Vendor KK)"
        ]
    );
    let id = |role: &str| {
        roles
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["role"] == role)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let sent = role_messages(&server, id("technical_lead")).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["contact"]["address"], "ben@example.com");
    assert_eq!(sent[0]["notice"]["kind"]["role"], "テクニカルリード");
    let sent = role_messages(&server, id("external_vendor")).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["contact"]["address"], "sato@vendor.example");
    assert_eq!(sent[0]["notice"]["kind"]["role"], "External vendor");
    assert!(server.terminate().await.success());
});
