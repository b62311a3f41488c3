//! The test harness: a real `hinomi serve` process on a fresh database, a webhook sink that
//! records what it is sent, and helpers to wait for a condition with a deadline.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use; override with HINOMI_TEST_POSTGRES.
pub fn postgres_admin_url() -> String {
    std::env::var("HINOMI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database for one test: a URL, or `None` when PostgreSQL is not reachable and
/// this is not CI (then the test says it was skipped). Under `CI=true` an unreachable
/// PostgreSQL fails the test.
pub async fn fresh_database(db: Db, dir: &std::path::Path) -> Option<String> {
    match db {
        Db::Sqlite => Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("hinomi.db").display()
        )),
        Db::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) => {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!("PostgreSQL at {admin} is unreachable under CI=true: {e}");
                    }
                    eprintln!(
                        "SKIPPED: PostgreSQL at {admin} is unreachable ({e}); set HINOMI_TEST_POSTGRES"
                    );
                    return None;
                }
            };
            drop_stale_databases(&mut conn).await;
            let name = format!("hinomi_test_{}", uuid_hex());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Some(format!("{base}/{name}"))
        }
    }
}

/// Drops, once per test run, the test databases of earlier runs: those made more than an
/// hour ago that nobody is connected to (each test makes its own, and a run leaves about a
/// hundred behind). Failures are ignored: a database in use is simply kept.
async fn drop_stale_databases(conn: &mut sqlx::PgConnection) {
    use sqlx::Row;
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let stale = sqlx::query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'hinomi\\_test\\_%' \
             AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification \
                 < now() - interval '1 hour'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
        for row in stale {
            let name: String = row.get(0);
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .execute(&mut *conn)
                .await;
        }
    })
    .await;
}

pub fn uuid_hex() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}{:x}{:x}",
        t,
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Options for starting a server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// alertmanager.yml text; `{sink}` is replaced by the sink's URL.
    pub alertmanager_yml: Option<String>,
    /// Extra `HINOMI_*` environment.
    pub env: Vec<(String, String)>,
}

/// A running `hinomi serve`.
pub struct Server {
    pub url: String,
    pub database_url: String,
    pub dir: Arc<tempfile::TempDir>,
    pub config_path: Option<PathBuf>,
    child: Child,
    /// Sends the harness owner's API token with every request.
    pub http: reqwest::Client,
    /// The harness owner's API token (role owner).
    pub token: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts hinomi on a fresh database; `None` when that database cannot be had (see
    /// [`fresh_database`]).
    pub async fn start(db: Db, options: Options) -> Option<Server> {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let database_url = fresh_database(db, dir.path()).await?;
        Some(Server::start_on(database_url, dir, options).await)
    }

    /// Starts hinomi on an existing database (a restart, or a second instance).
    pub async fn start_on(
        database_url: String,
        dir: Arc<tempfile::TempDir>,
        options: Options,
    ) -> Server {
        let config_path = options.alertmanager_yml.as_ref().map(|text| {
            let path = dir.path().join(format!("alertmanager-{}.yml", uuid_hex()));
            std::fs::write(&path, text).expect("write alertmanager.yml");
            path
        });
        let token = harness_owner_token(&database_url, dir.path());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hinomi"));
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--database-url")
            .arg(&database_url)
            .env_remove("HINOMI_CONFIG")
            .env("HINOMI_LOG__LEVEL", "info,hinomi=debug")
            .env("HINOMI_DELIVERY__POLL_INTERVAL_MS", "100")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(path) = &config_path {
            cmd.arg("--alertmanager-config").arg(path);
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn hinomi");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let log_writer = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            let mut tx = Some(tx);
            while let Ok(Some(line)) = lines.next_line().await {
                // `listen=ADDR` in text logs, `"listen":"ADDR"` in JSON logs.
                let text = line
                    .split("listen=")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next());
                let json = || {
                    line.split("\"listen\":\"")
                        .nth(1)
                        .and_then(|r| r.split('"').next())
                };
                if let Some(addr) = text.or_else(json)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.to_owned());
                }
                log_writer.lock().unwrap().push(line);
            }
        });
        let addr = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "hinomi did not start in 30s; log:\n{}",
                    log.lock().unwrap().join("\n")
                )
            })
            .unwrap_or_else(|_| {
                panic!(
                    "hinomi exited before serving; log:\n{}",
                    log.lock().unwrap().join("\n")
                )
            });
        Server {
            url: format!("http://{addr}"),
            database_url,
            dir,
            config_path,
            child,
            http: authorized_client(&token),
            token,
            log,
        }
    }

    /// A connection to this server's database, to look at (or set up) what the API does
    /// not show.
    pub async fn database(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.database_url)
            .await
            .expect("open the test database")
    }

    /// A client that sends no credentials.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// Runs the `hinomi` CLI against this server's database; answers its standard output,
    /// and panics with its standard error when it fails.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        run_cli(&self.database_url, args, stdin)
    }

    /// Creates a user with `role` and a password it can sign in with (no forced change):
    /// [`password_for`] the username.
    pub fn create_user(&self, username: &str, role: &str) -> String {
        let password = password_for(username);
        self.cli(
            &[
                "user",
                "create",
                username,
                "--role",
                role,
                "--password-stdin",
            ],
            Some(&password),
        );
        password
    }

    /// An API token for `username` (created with the CLI).
    pub fn create_token(&self, username: &str, role: Option<&str>) -> String {
        let name = format!("t{}", uuid_hex());
        let mut args = vec!["token", "create", username, "--name", &name];
        if let Some(role) = role {
            args.extend(["--role", role]);
        }
        self.cli(&args, None).trim().to_owned()
    }

    /// A client with a cookie store, signed in to the console as `username`.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Client {
        self.sign_in_session(username, password).await.0
    }

    /// [`Server::sign_in`], and the session cookie's value.
    pub async fn sign_in_session(
        &self,
        username: &str,
        password: &str,
    ) -> (reqwest::Client, String) {
        let (client, r) = self.sign_in_answer(username, password).await;
        assert!(
            r.status().is_redirection(),
            "sign-in as {username} answered {}",
            r.status()
        );
        let session = set_cookie(&r, "hinomi_session").expect("a session cookie");
        (client, session)
    }

    /// A sign-in attempt from a new browser (a cookie store; redirects not followed): the
    /// browser and the answer's status, a redirect when it succeeded.
    pub async fn try_sign_in(&self, username: &str, password: &str) -> (reqwest::Client, u16) {
        let (client, r) = self.sign_in_answer(username, password).await;
        (client, r.status().as_u16())
    }

    async fn sign_in_answer(
        &self,
        username: &str,
        password: &str,
    ) -> (reqwest::Client, reqwest::Response) {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let r = client
            .post(format!("{}/login", self.url))
            .form(&[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("sign in");
        (client, r)
    }

    /// The CSRF token of `client`'s session, read from the page at `path` as a form there
    /// would carry it.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let body = client
            .get(format!("{}{path}", self.url))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("page");
        let field = "name=\"csrf\" value=\"";
        let start = body.find(field).expect("csrf field") + field.len();
        body[start..start + body[start..].find('"').unwrap()].to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGKILL: no chance to flush anything.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }

    /// SIGTERM and wait for a clean exit; answers the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.pid();
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("hinomi did not stop within 30s of SIGTERM")
            .expect("wait")
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("json")
    }

    /// Runs `hinomi integration create` against this server's database; answers the key.
    pub fn create_integration(&self, name: &str, labels: &[(&str, &str)]) -> String {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hinomi"));
        cmd.args([
            "--database-url",
            &self.database_url,
            "integration",
            "create",
            name,
        ]);
        for (k, v) in labels {
            cmd.arg("--label").arg(format!("{k}={v}"));
        }
        let out = cmd.output().expect("run hinomi integration create");
        assert!(
            out.status.success(),
            "integration create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

/// The password [`Server::create_user`] gives `username`.
pub fn password_for(username: &str) -> String {
    format!("{username}-password-long")
}

/// Runs the `hinomi` CLI on `database_url`.
pub fn run_cli(database_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .env_remove("HINOMI_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the hinomi CLI");
    let mut input = child.stdin.take().expect("stdin piped");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait for the hinomi CLI");
    assert!(
        out.status.success(),
        "hinomi {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The owner the harness acts as, made once per test directory (restarts and second
/// instances share it): its API token.
fn harness_owner_token(database_url: &str, dir: &std::path::Path) -> String {
    let path = dir.join("harness-token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        return token;
    }
    run_cli(
        database_url,
        &[
            "user",
            "create",
            "harness-owner",
            "--admin",
            "--password-stdin",
        ],
        Some("harness-owner-password"),
    );
    let token = run_cli(
        database_url,
        &["token", "create", "harness-owner", "--name", "harness"],
        None,
    )
    .trim()
    .to_owned();
    std::fs::write(&path, &token).expect("keep the harness token");
    token
}

/// The value of cookie `name` among a response's Set-Cookie headers.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn authorized_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("token header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// One notification the sink received.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

/// A webhook receiver on 127.0.0.1:0 that records every POST to `/hook`. It can be told to
/// fail the next N requests with 500.
#[derive(Clone)]
pub struct Sink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    fail_next: Arc<std::sync::atomic::AtomicUsize>,
}

impl Sink {
    pub async fn start() -> Sink {
        use axum::routing::post;
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let fail_next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, f) = (received.clone(), fail_next.clone());
        let app = axum::Router::new().route(
            "/hook",
            post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let (r, f) = (r.clone(), f.clone());
                    async move {
                        use std::sync::atomic::Ordering;
                        if f.load(Ordering::SeqCst) > 0 {
                            f.fetch_sub(1, Ordering::SeqCst);
                            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let headers = headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect();
                        r.lock().unwrap().push(Received {
                            at: Instant::now(),
                            body,
                            headers,
                        });
                        axum::http::StatusCode::OK
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Sink {
            url: format!("http://{addr}/hook"),
            received,
            fail_next,
        }
    }

    pub fn fail_next(&self, n: usize) {
        self.fail_next.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `pred` holds over what was received, or panics after `timeout`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        eventually(timeout, what, || {
            let got = self.received();
            pred(&got).then_some(got)
        })
        .await
    }
}

/// Polls `f` every 20 ms until it answers `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A routing configuration sending everything to the sink, grouped by alertname.
pub fn sink_config(
    sink: &Sink,
    group_wait: &str,
    group_interval: &str,
    repeat_interval: &str,
) -> String {
    format!(
        "route:\n  receiver: sink\n  group_by: [alertname]\n  group_wait: {group_wait}\n  group_interval: {group_interval}\n  repeat_interval: {repeat_interval}\nreceivers:\n  - name: sink\n    webhook_configs:\n      - url: {}\n",
        sink.url
    )
}

/// An Alertmanager v2 alert body.
pub fn am_alert(labels: &[(&str, &str)]) -> Value {
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect();
    serde_json::json!({ "labels": labels, "annotations": { "summary": "test" } })
}

/// Runs `body` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::harness::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::harness::Db::Postgres).await
            }
        }
    };
}

/// One row of `hinomi deliveries`: a notification in the outbox and what became of it.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    pub id: i64,
    pub state: String,
    pub attempts: i64,
    /// `webhook`, `email` ... for receivers, `contact:<kind>` for people.
    pub kind: String,
    pub receiver: String,
    pub last_error: String,
}

/// Runs `hinomi deliveries` against a database (the operator's view of the outbox) and
/// answers its rows, newest first.
pub async fn deliveries(database_url: &str) -> Vec<DeliveryRow> {
    let out = Command::new(env!("CARGO_BIN_EXE_hinomi"))
        .args([
            "--database-url",
            database_url,
            "deliveries",
            "--limit",
            "1000",
        ])
        .env_remove("HINOMI_CONFIG")
        .output()
        .await
        .expect("run hinomi deliveries");
    assert!(
        out.status.success(),
        "hinomi deliveries failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut cols = line.split_whitespace();
            let mut next = |what: &str| {
                cols.next()
                    .unwrap_or_else(|| panic!("no {what} in deliveries line {line:?}"))
                    .to_owned()
            };
            let id = next("id").parse().expect("numeric id");
            let state = next("state");
            let attempts = next("attempts").parse().expect("numeric attempts");
            let _created = next("created");
            let kind = next("kind");
            let receiver = next("receiver");
            DeliveryRow {
                id,
                state,
                attempts,
                kind,
                receiver,
                last_error: cols.collect::<Vec<_>>().join(" "),
            }
        })
        .collect()
}

/// Starts the server with the Alertmanager configuration `yml`.
pub async fn start_with_config(db: Db, yml: String) -> Option<Server> {
    Server::start(
        db,
        Options {
            alertmanager_yml: Some(yml),
            ..Options::default()
        },
    )
    .await
}

/// Polls `hinomi deliveries` until `pred` holds over its rows, or panics after `timeout`.
pub async fn wait_for_deliveries(
    database_url: &str,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&[DeliveryRow]) -> bool,
) -> Vec<DeliveryRow> {
    let deadline = Instant::now() + timeout;
    loop {
        let rows = deliveries(database_url).await;
        if pred(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}; deliveries: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Now as UTC epoch milliseconds, for `startsAt`/`endsAt` in posted alerts and silences.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// An instant in Alertmanager's API format (`2006-01-02T15:04:05.000Z`).
pub fn api_time(ms: i64) -> String {
    hinomi_core::time::format_millis(ms)
}

/// The `groupKey` of a received notification.
pub fn group_key_of(r: &Received) -> &str {
    r.body["groupKey"].as_str().unwrap_or("")
}

/// The values of `label` over the alerts of a received notification, in payload order.
pub fn alert_labels(r: &Received, label: &str) -> Vec<String> {
    r.body["alerts"]
        .as_array()
        .map(|alerts| {
            alerts
                .iter()
                .map(|a| a["labels"][label].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A header of a received notification (names are lower case).
pub fn header<'a>(r: &'a Received, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Like [`eventually`] for a condition that needs `.await` (an HTTP request, a command):
/// polls `f` every 50 ms until it answers `Some`, or panics after `timeout` naming `what`.
pub async fn eventually_async<T, Fut>(
    timeout: Duration,
    what: &str,
    mut f: impl FnMut() -> Fut,
) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
