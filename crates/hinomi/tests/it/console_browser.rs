//! The console in a real browser: the scenarios in `tests/browser` (Playwright driving
//! Debian's chromium) against a started hinomi. `scenario.js` watches an alert arrive and
//! silences it; `oncall.js` builds a schedule through the forms, asks who is on call and
//! why, and acknowledges pages from the console and from a message's one-time link;
//! `status.js` publishes a status page incident and an update in the console and reads
//! them on the public page in Japanese and in English; `incident.js` declares an incident
//! naming its technical lead in the form and gives customer support from its page. Without
//! node, chromium or the installed playwright-core (`.ci/setup-browser`) each test says
//! SKIPPED and passes, except under `CI=true`, where that fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::harness::*;
use crate::paging::{acknowledge_link, options, page_of, person, policy};

fn missing_tools(browser_dir: &Path, chromium: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        missing.push("node".to_owned());
    }
    if !chromium.exists() {
        missing.push(chromium.display().to_string());
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        missing.push("playwright-core (run .ci/setup-browser)".to_owned());
    }
    missing
}

/// Where the scenarios are and the chromium they drive; `None` (the test skipped) when a
/// tool is missing outside CI.
struct Browser {
    dir: PathBuf,
    chromium: PathBuf,
    artifacts: PathBuf,
}

impl Browser {
    fn find() -> Option<Browser> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = manifest.join("tests/browser");
        let chromium = PathBuf::from(
            std::env::var("HINOMI_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        );
        let missing = missing_tools(&dir, &chromium);
        if !missing.is_empty() {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "browser test cannot run under CI=true: missing {}",
                missing.join(", ")
            );
            eprintln!("SKIPPED: browser test: missing {}", missing.join(", "));
            return None;
        }
        Some(Browser {
            dir,
            chromium,
            artifacts: manifest.join("../../target/browser-artifacts"),
        })
    }

    /// Runs `scenario` against `server` with `env` besides the common environment; answers
    /// its standard output, and fails the test when it fails.
    async fn run(&self, scenario: &str, server: &Server, env: &[(&str, String)]) -> String {
        let run = tokio::process::Command::new("node")
            .arg(self.dir.join(scenario))
            .current_dir(&self.dir)
            .env("HINOMI_URL", &server.url)
            .env("ARTIFACTS", &self.artifacts)
            .env("CHROMIUM", &self.chromium)
            .env("HINOMI_TOKEN", &server.token)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(180), run)
            .await
            .unwrap_or_else(|_| panic!("{scenario} finished within 180s"))
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{scenario} failed:\n{stdout}\n{stderr}\nserver log:\n{}",
            server.log_text()
        );
        eprintln!("{stdout}screenshots in {}", self.artifacts.display());
        stdout
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_at_phone_and_desktop_sizes() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let Some(server) = Server::start(Db::Sqlite, Options::default()).await else {
        return;
    };
    let password = server.create_user("tanaka", "responder");
    let stdout = browser
        .run(
            "scenario.js",
            &server,
            &[
                ("HINOMI_USER", "tanaka".to_owned()),
                ("HINOMI_PASSWORD", password),
            ],
        )
        .await;
    assert!(
        stdout.contains("ok: phone") && stdout.contains("ok: desktop"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_built_and_pages_acknowledged_in_chromium() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let Some(server) = Server::start(Db::Sqlite, options()).await else {
        return;
    };
    for name in ["aki", "ben", "dai", "fumi"] {
        server.create_user(name, "responder");
    }
    let admin = server.create_user("sato", "admin");
    // aya has a verified email and a rule, and the policy bound to the receiver every
    // group goes to pages her.
    person(
        &server,
        "aya",
        "responder",
        &[("email", "aya@example.com", 0)],
    )
    .await;
    policy(&server, "primary", "10m", &[&["aya"]], 0).await;
    for (alertname, summary) in [
        ("DiskFull", "db-1 のディスクがほぼ満杯"),
        ("BackupFailed", "夜間バックアップが失敗"),
    ] {
        let r = server
            .post_json(
                "/api/v2/alerts",
                &json!([{"labels": {"alertname": alertname}, "annotations": {"summary": summary}}]),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let in_console = page_of(&server, "DiskFull").await;
    let by_link = page_of(&server, "BackupFailed").await;
    let link_page = by_link["id"].as_str().unwrap().to_owned();
    let link = acknowledge_link(&server, &link_page, "aya", "aya@example.com").await;
    let stdout = browser
        .run(
            "oncall.js",
            &server,
            &[
                ("HINOMI_ADMIN", "sato".to_owned()),
                ("HINOMI_ADMIN_PASSWORD", admin),
                ("HINOMI_RESPONDER", "aya".to_owned()),
                ("HINOMI_RESPONDER_PASSWORD", password_for("aya")),
                (
                    "HINOMI_PAGE_TITLE",
                    in_console["title"].as_str().unwrap().to_owned(),
                ),
                ("HINOMI_LINK_PATH", link),
                ("HINOMI_LINK_PAGE", link_page),
            ],
        )
        .await;
    assert!(
        stdout.contains("ok: page acknowledged by its link"),
        "{stdout}"
    );
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_update_posted_in_the_console_is_read_on_the_public_page_in_chromium() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let Some(server) = Server::start(Db::Sqlite, Options::default()).await else {
        return;
    };
    let r = server
        .post_json(
            "/api/v1/status/components",
            &json!({"name": "受注 API", "group": "基幹"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let password = server.create_user("kudo", "responder");
    let stdout = browser
        .run(
            "status.js",
            &server,
            &[
                ("HINOMI_USER", "kudo".to_owned()),
                ("HINOMI_PASSWORD", password),
                ("HINOMI_COMPONENT", "受注 API".to_owned()),
            ],
        )
        .await;
    for line in [
        "ok: published and updated in the console",
        "ok: public page in ja at phone size",
        "ok: public page in en at desktop size",
    ] {
        assert!(stdout.contains(line), "{stdout}");
    }
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_declared_and_a_role_assigned_in_chromium() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let Some(server) = Server::start(Db::Sqlite, Options::default()).await else {
        return;
    };
    let password = server.create_user("aya", "responder");
    server.create_user("ben", "responder");
    server.create_user("chie", "responder");
    let stdout = browser
        .run(
            "incident.js",
            &server,
            &[
                ("HINOMI_USER", "aya".to_owned()),
                ("HINOMI_PASSWORD", password),
                ("HINOMI_TECHNICAL_LEAD", "ben".to_owned()),
                ("HINOMI_CUSTOMER_SUPPORT", "chie".to_owned()),
            ],
        )
        .await;
    for line in [
        "ok: declared with the technical lead named",
        "ok: customer support assigned from the incident page",
        "ok: declaration form in ja at phone size",
    ] {
        assert!(stdout.contains(line), "{stdout}");
    }
    // What the browser did is what the API tells.
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
            ("customer_support", "chie")
        ]
    );
    assert!(server.terminate().await.success());
}
