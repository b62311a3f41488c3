//! The audit log records every change: silences changed through the Alertmanager API
//! (written in the same transaction as the change), and integrations and teams changed on
//! the command line (actor kind `cli`). Read back with `hinomi audit --json`.

use serde_json::{Value, json};
use tokio::process::Command;

use crate::both_databases;
use crate::harness::*;

/// Runs `hinomi <args>` against a database; answers (success, stdout, stderr).
pub(crate) async fn cli(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .env_remove("HINOMI_CONFIG")
        .env("USER", "operator")
        .output()
        .await
        .expect("run hinomi");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// `hinomi audit --json` with extra filters, oldest entry first.
async fn audit(database_url: &str, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["audit", "--json"];
    args.extend_from_slice(filters);
    let (ok, out, err) = cli(database_url, &args).await;
    assert!(ok, "hinomi audit failed: {err}");
    let mut entries: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    entries.reverse();
    entries
}

fn silence(id: Option<&str>, value: &str, ends_in_ms: i64) -> Value {
    let now = now_ms();
    let mut body = json!({
        "matchers": [{"name": "alertname", "value": value, "isRegex": false, "isEqual": true}],
        "startsAt": api_time(now),
        "endsAt": api_time(now + ends_in_ms),
        "createdBy": "alice",
        "comment": "maintenance"
    });
    if let Some(id) = id {
        body["id"] = id.into();
    }
    body
}

async fn post_silence(server: &Server, body: &Value) -> String {
    let r = server.post_json("/api/v2/silences", body).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["silenceID"].as_str().unwrap().to_owned()
}

both_databases!(silence_changes_are_audited, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let first = post_silence(&server, &silence(None, "Disk", 3_600_000)).await;
    // New matchers replace the silence with a new one; the entry names the new id.
    let second = post_silence(&server, &silence(Some(&first), "Memory", 3_600_000)).await;
    assert_ne!(first, second);
    let r = server.delete(&format!("/api/v2/silence/{second}")).await;
    assert_eq!(r.status(), 200);
    // Refused input changes nothing, so it leaves no entry.
    let r = server
        .post_json("/api/v2/silences", &json!({"matchers": []}))
        .await;
    assert_eq!(r.status(), 400);

    let entries = audit(&server.database_url, &["--action", "silence."]).await;
    let summary: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("silence.created", first.as_str()),
            ("silence.updated", second.as_str()),
            ("silence.expired", second.as_str()),
        ]
    );
    assert_eq!(
        entries[0]["detail"]["matchers"],
        json!(["alertname=\"Disk\""])
    );
    assert_eq!(entries[0]["detail"]["created_by"], "alice");
    // Filters narrow the list.
    let expired = audit(&server.database_url, &["--action", "silence.expired"]).await;
    assert_eq!(expired.len(), 1);
    assert!(server.terminate().await.success());
});

both_databases!(cli_changes_are_audited, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let url = server.database_url.clone();
    server.create_integration("prometheus-ja", &[("team", "db")]);

    let (ok, _, err) = cli(
        &url,
        &["team", "create", "db", "--description", "データベース"],
    )
    .await;
    assert!(ok, "team create: {err}");
    let (ok, _, err) = cli(&url, &["team", "create", "db"]).await;
    assert!(!ok, "a second team named db must be refused");
    assert!(err.contains("exists already"), "{err}");
    let (ok, out, _) = cli(&url, &["team", "list"]).await;
    assert!(ok);
    assert!(out.contains("db") && out.contains("データベース"), "{out}");
    let (ok, _, err) = cli(&url, &["team", "add", "db", "nobody"]).await;
    assert!(!ok);
    assert!(err.contains("no user named \"nobody\""), "{err}");
    let (ok, _, err) = cli(&url, &["team", "add", "db", "nobody", "--role", "admin"]).await;
    assert!(!ok);
    assert!(err.contains("unknown team role"), "{err}");
    let (ok, _, err) = cli(&url, &["team", "delete", "db"]).await;
    assert!(ok, "team delete: {err}");
    let (ok, _, err) = cli(&url, &["audit", "--since", "yesterday"]).await;
    assert!(!ok);
    assert!(err.contains("--since"), "{err}");

    let since = api_time(now_ms() - 3_600_000);
    let entries = audit(&url, &["--since", &since, "--action", "integration."])
        .await
        .into_iter()
        .chain(audit(&url, &["--action", "team."]).await)
        .collect::<Vec<_>>();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["integration.created", "team.created", "team.deleted"]
    );
    for e in &entries {
        assert_eq!(e["actor_kind"], "cli");
        assert_eq!(e["source"], "cli");
    }
    assert_eq!(entries[0]["target"], "prometheus-ja");
    // The actor is the operating-system user who ran the command.
    let by_operator = audit(&url, &["--actor", "operator"]).await;
    assert_eq!(by_operator.len(), 2);
    assert_eq!(by_operator[0]["actor"], "operator");
    assert_eq!(entries[1]["detail"]["name"], "db");
    assert_eq!(entries[1]["detail"]["description"], "データベース");
    // The key itself is never in the log.
    assert!(!entries[0].to_string().contains("key_hash"));
    assert!(server.terminate().await.success());
});
