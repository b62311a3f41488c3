//! The console in a real browser: `tests/browser/scenario.js` (Playwright driving Debian's
//! chromium) against a started hinomi. Without node, chromium or the installed
//! playwright-core (`.ci/setup-browser`) it says SKIPPED and passes, except under
//! `CI=true`, where that fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::harness::*;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_at_phone_and_desktop_sizes() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = manifest.join("tests/browser");
    let chromium = PathBuf::from(
        std::env::var("HINOMI_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    let missing = missing_tools(&browser_dir, &chromium);
    if !missing.is_empty() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "browser test cannot run under CI=true: missing {}",
            missing.join(", ")
        );
        eprintln!("SKIPPED: browser test: missing {}", missing.join(", "));
        return;
    }
    let Some(server) = Server::start(Db::Sqlite, Options::default()).await else {
        return;
    };
    let password = server.create_user("tanaka", "responder");
    let artifacts = manifest.join("../../target/browser-artifacts");
    let run = tokio::process::Command::new("node")
        .arg(browser_dir.join("scenario.js"))
        .current_dir(&browser_dir)
        .env("HINOMI_URL", &server.url)
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", &chromium)
        .env("HINOMI_TOKEN", &server.token)
        .env("HINOMI_USER", "tanaka")
        .env("HINOMI_PASSWORD", &password)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("browser scenario finished within 180s")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser scenario failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log_text()
    );
    assert!(
        stdout.contains("ok: phone") && stdout.contains("ok: desktop"),
        "{stdout}"
    );
    eprintln!("{stdout}screenshots in {}", artifacts.display());
}
