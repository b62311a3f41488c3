//! The real clients against hinomi: Debian's `amtool` and a real `prometheus` server, run as
//! processes. They are installed by `.ci/setup`; without them a test says it was skipped,
//! except under `CI=true`, where a missing tool fails it.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::both_databases;
use crate::harness::*;

/// How long any one external command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for something the product does in the background.
const WAIT: Duration = Duration::from_secs(30);

// ---- helpers -----------------------------------------------------------------------------

/// The path of `name` on PATH; `None` (the test is skipped) when it is missing and this is
/// not CI. Under `CI=true` a missing tool fails the test.
fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} is not installed under CI=true; .ci/setup should have installed it");
        }
        eprintln!("SKIPPED: {name} not installed; run .ci/setup");
    }
    found
}

/// What a finished command printed.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command to its end, killing it when it outlives [`COMMAND_TIMEOUT`].
async fn run(program: &Path, args: &[String]) -> Ran {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    // On a timeout the child is dropped, and kill_on_drop ends it.
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} {args:?} did not finish within {COMMAND_TIMEOUT:?}",
                program.display()
            )
        })
        .expect("wait for command");
    Ran {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `amtool` pointed at one hinomi.
struct Amtool {
    bin: PathBuf,
    url: String,
    /// An `--http.config.file` with the server's API token, as amtool users configure it.
    http_config: Option<tempfile::NamedTempFile>,
}

impl Amtool {
    /// `None` when amtool is not installed (see [`require_tool`]).
    fn find() -> Option<Amtool> {
        Some(Amtool {
            bin: require_tool("amtool")?,
            url: String::new(),
            http_config: None,
        })
    }

    fn at(mut self, server: &Server) -> Amtool {
        use std::io::Write as _;
        self.url = server.url.clone();
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        write!(
            file,
            "authorization:\n  type: Bearer\n  credentials: {}\n",
            server.token
        )
        .expect("write http config");
        self.http_config = Some(file);
        self
    }

    async fn run(&self, args: &[&str]) -> Ran {
        let mut all = vec![format!("--alertmanager.url={}", self.url)];
        if let Some(file) = &self.http_config {
            all.push(format!("--http.config.file={}", file.path().display()));
        }
        all.extend(args.iter().map(|s| (*s).to_owned()));
        run(&self.bin, &all).await
    }

    /// Runs amtool, asserts it succeeded, answers its standard output.
    async fn ok(&self, args: &[&str]) -> String {
        let ran = self.run(args).await;
        assert!(
            ran.status.success(),
            "amtool {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            ran.status,
            ran.stdout,
            ran.stderr
        );
        ran.stdout
    }

    /// Runs amtool with `-o json` and parses what it printed.
    async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let out = self.ok(&all).await;
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("amtool {args:?} printed no JSON ({e}): {out}"))
    }

    /// The non-empty lines of `amtool silence query -q` with extra arguments: silence ids.
    async fn silence_ids(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec!["silence", "query", "-q"];
        all.extend_from_slice(args);
        let mut ids: Vec<String> = self
            .ok(&all)
            .await
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    }
}

/// `alertname/severity` of each alert in an amtool or API alert list, sorted.
fn alert_names(alerts: &Value) -> Vec<String> {
    let mut names: Vec<String> = alerts
        .as_array()
        .unwrap_or_else(|| panic!("not an alert list: {alerts}"))
        .iter()
        .map(|a| {
            let l = &a["labels"];
            format!(
                "{}/{}",
                l["alertname"].as_str().unwrap_or(""),
                l["severity"].as_str().unwrap_or("")
            )
        })
        .collect();
    names.sort();
    names
}

fn find_alert<'a>(alerts: &'a Value, alertname: &str, severity: &str) -> Option<&'a Value> {
    alerts.as_array()?.iter().find(|a| {
        a["labels"]["alertname"] == alertname
            && a["labels"]["severity"].as_str().unwrap_or("") == severity
    })
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A routing tree with child routes in all three matcher spellings, `continue`, and an
/// inhibition rule; every receiver but `default` is empty.
fn routing_config(sink: &Sink) -> String {
    format!(
        r#"route:
  receiver: default
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - receiver: team-db
      match:
        service: db
      continue: true
    - receiver: dba
      matchers: ['team="dba"']
    - receiver: team-web
      match_re:
        service: web|api
      routes:
        - receiver: web-critical
          matchers: ['severity="critical"']
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
receivers:
  - name: default
    webhook_configs:
      - url: {}
  - name: team-db
  - name: dba
  - name: team-web
  - name: web-critical
"#,
        sink.url
    )
}

async fn start_with_routing(db: Db) -> Option<(Server, Amtool)> {
    let amtool = Amtool::find()?;
    let sink = Sink::start().await;
    let server = Server::start(
        db,
        Options {
            alertmanager_yml: Some(routing_config(&sink)),
            ..Options::default()
        },
    )
    .await?;
    let amtool = amtool.at(&server);
    Some((server, amtool))
}

// ---- amtool: alerts ----------------------------------------------------------------------

both_databases!(amtool_alert_add_and_query, |db| async move {
    let Some((server, amtool)) = start_with_routing(db).await else {
        return;
    };
    amtool
        .ok(&[
            "alert",
            "add",
            "alertname=Foo",
            "severity=warning",
            "--annotation=summary=x",
        ])
        .await;
    amtool
        .ok(&["alert", "add", "alertname=Bar", "service=db"])
        .await;

    let all = amtool.json(&["alert", "query"]).await;
    assert_eq!(alert_names(&all), ["Bar/", "Foo/warning"], "{all}");
    let foo = find_alert(&all, "Foo", "warning").unwrap();
    assert_eq!(foo["annotations"]["summary"], "x");
    assert_eq!(foo["status"]["state"], "active");
    assert_eq!(foo["receivers"], json!([{ "name": "default" }]));
    let bar = find_alert(&all, "Bar", "").unwrap();
    assert_eq!(bar["receivers"], json!([{ "name": "team-db" }]));

    // The table amtool prints by default.
    let table = amtool.ok(&["-o", "simple", "alert", "query"]).await;
    let foo_row = table
        .lines()
        .find(|l| l.starts_with("Foo "))
        .unwrap_or_else(|| panic!("no Foo row in:\n{table}"));
    assert!(
        foo_row.contains(" x ") && foo_row.contains("active"),
        "{table}"
    );
    let extended = amtool.ok(&["-o", "extended", "alert", "query"]).await;
    assert!(
        extended.contains(r#"alertname="Foo" severity="warning""#)
            && extended.contains("summary=\"x\""),
        "{extended}"
    );

    // Matchers: equality, a bare alert name, regex, negation, and by receiver.
    let only_foo = amtool.json(&["alert", "query", "alertname=Foo"]).await;
    assert_eq!(alert_names(&only_foo), ["Foo/warning"]);
    let bare = amtool.json(&["alert", "query", "Foo"]).await;
    assert_eq!(alert_names(&bare), ["Foo/warning"]);
    let regex = amtool.json(&["alert", "query", "alertname=~B.*"]).await;
    assert_eq!(alert_names(&regex), ["Bar/"]);
    let not_foo = amtool.json(&["alert", "query", "alertname!=Foo"]).await;
    assert_eq!(alert_names(&not_foo), ["Bar/"]);
    let by_receiver = amtool.json(&["alert", "query", "--receiver=team-db"]).await;
    assert_eq!(alert_names(&by_receiver), ["Bar/"]);

    // Nothing is silenced or inhibited yet.
    assert_eq!(amtool.json(&["alert", "query", "-s"]).await, json!([]));
    assert_eq!(amtool.json(&["alert", "query", "-i"]).await, json!([]));

    // A critical Foo inhibits the warning one: `-i` shows only that, the default view
    // (active alerts) no longer does.
    amtool
        .ok(&["alert", "add", "alertname=Foo", "severity=critical"])
        .await;
    let inhibited = eventually_async(WAIT, "Foo/warning to be inhibited", || async {
        let v = amtool.json(&["alert", "query", "-i"]).await;
        (alert_names(&v) == ["Foo/warning"]).then_some(v)
    })
    .await;
    let critical_fp = find_alert(&amtool.json(&["alert", "query"]).await, "Foo", "critical")
        .expect("critical Foo is active")["fingerprint"]
        .clone();
    let warning = find_alert(&inhibited, "Foo", "warning").unwrap();
    assert_eq!(warning["status"]["state"], "suppressed");
    assert_eq!(warning["status"]["inhibitedBy"], json!([critical_fp]));
    let active = amtool.json(&["alert", "query"]).await;
    assert_eq!(alert_names(&active), ["Bar/", "Foo/critical"]);
    let both = amtool.json(&["alert", "query", "-a", "-i"]).await;
    assert_eq!(alert_names(&both), ["Bar/", "Foo/critical", "Foo/warning"]);
    assert_eq!(amtool.json(&["alert", "query", "-s"]).await, json!([]));
    drop(server);
});

// ---- amtool: silences --------------------------------------------------------------------

both_databases!(amtool_silence_round_trip, |db| async move {
    let Some((server, amtool)) = start_with_routing(db).await else {
        return;
    };
    amtool
        .ok(&["alert", "add", "alertname=Foo", "severity=warning"])
        .await;

    let out = amtool
        .ok(&[
            "silence",
            "add",
            "alertname=Foo",
            "--comment=c",
            "--author=a",
            "--duration=1h",
        ])
        .await;
    let id = out.trim().to_owned();
    assert!(
        !id.is_empty() && !id.contains(char::is_whitespace),
        "silence add printed {out:?}, not an id"
    );

    let table = amtool.ok(&["-o", "simple", "silence", "query"]).await;
    let row = table
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("silence {id} not in:\n{table}"));
    assert!(row.contains(r#"alertname="Foo""#), "{row}");
    assert_eq!(amtool.silence_ids(&[]).await, vec![id.clone()]);
    let listed = amtool.json(&["silence", "query"]).await;
    let s = &listed[0];
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["status"]["state"], "active");
    assert_eq!(s["createdBy"], "a");
    assert_eq!(s["comment"], "c");
    assert_eq!(
        s["matchers"],
        json!([{ "isEqual": true, "isRegex": false, "name": "alertname", "value": "Foo" }])
    );
    let starts = hinomi_core::time::parse(s["startsAt"].as_str().unwrap()).unwrap();
    let ends = hinomi_core::time::parse(s["endsAt"].as_str().unwrap()).unwrap();
    assert!(
        (ends - starts - 3_600_000).abs() < 60_000,
        "a 1h silence runs {}ms",
        ends - starts
    );

    // The alert is silenced: shown by `-s`, gone from the default (active) view.
    let silenced = eventually_async(WAIT, "Foo to be silenced", || async {
        let v = amtool.json(&["alert", "query", "-s"]).await;
        (alert_names(&v) == ["Foo/warning"]).then_some(v)
    })
    .await;
    assert_eq!(silenced[0]["status"]["state"], "suppressed");
    assert_eq!(silenced[0]["status"]["silencedBy"], json!([id]));
    assert_eq!(amtool.json(&["alert", "query"]).await, json!([]));
    let table = amtool.ok(&["-o", "simple", "alert", "query", "-s"]).await;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("Foo ") && l.contains("suppressed")),
        "{table}"
    );

    // `silence update` changes the comment in place.
    let updated = amtool
        .ok(&["silence", "update", &id, "--comment=changed"])
        .await;
    assert!(updated.contains(&id), "{updated}");
    let listed = amtool.json(&["silence", "query"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["comment"], "changed");

    // Expiring it: gone from the default view, shown by `--expired`, the alert is active.
    amtool.ok(&["silence", "expire", &id]).await;
    assert_eq!(amtool.silence_ids(&[]).await, Vec::<String>::new());
    assert_eq!(amtool.silence_ids(&["--expired"]).await, vec![id.clone()]);
    let expired = amtool.json(&["silence", "query", "--expired"]).await;
    assert_eq!(expired[0]["status"]["state"], "expired");
    let active = eventually_async(WAIT, "Foo to be active again", || async {
        let v = amtool.json(&["alert", "query"]).await;
        (alert_names(&v) == ["Foo/warning"]).then_some(v)
    })
    .await;
    assert_eq!(active[0]["status"]["silencedBy"], json!([]));
    assert_eq!(amtool.json(&["alert", "query", "-s"]).await, json!([]));

    // Expiring a silence that does not exist is an error.
    let missing = amtool
        .run(&["silence", "expire", "00000000-0000-0000-0000-000000000000"])
        .await;
    assert!(!missing.status.success(), "{}", missing.stdout);
    drop(server);
});

// Alertmanager filters silences by their matchers, not by label values: a filter selects the
// silences that have a matcher with the same name, operator and value.
both_databases!(amtool_silence_query_filters_by_matcher, |db| async move {
    let Some((server, amtool)) = start_with_routing(db).await else {
        return;
    };
    let add = |matchers: &'static [&'static str]| {
        let amtool = &amtool;
        async move {
            let mut args = vec![
                "silence",
                "add",
                "--comment=c",
                "--author=a",
                "--duration=1h",
            ];
            args.extend_from_slice(matchers);
            amtool.ok(&args).await.trim().to_owned()
        }
    };
    let exact = add(&["alertname=Foo"]).await;
    let regex = add(&["alertname=~Fo.*", "severity!=critical"]).await;
    let other = add(&["alertname=Bar"]).await;

    assert_eq!(
        amtool.silence_ids(&[]).await,
        sorted(vec![exact.clone(), regex.clone(), other.clone()])
    );
    assert_eq!(
        amtool.silence_ids(&["alertname=Foo"]).await,
        vec![exact.clone()]
    );
    assert_eq!(
        amtool.silence_ids(&["alertname=~Fo.*"]).await,
        vec![regex.clone()]
    );
    assert_eq!(
        amtool.silence_ids(&["severity!=critical"]).await,
        vec![regex.clone()]
    );
    assert_eq!(
        amtool.silence_ids(&["alertname=Bar"]).await,
        vec![other.clone()]
    );
    assert_eq!(
        amtool.silence_ids(&["alertname=Baz"]).await,
        Vec::<String>::new()
    );
    drop(server);
});

// ---- amtool: configuration and status ----------------------------------------------------

/// Labels, and the receivers Alertmanager's routing resolves them to (in its order).
const ROUTE_CASES: &[(&[&str], &str)] = &[
    (&["service=db"], "team-db"),
    (&["service=db", "team=dba"], "team-db,dba"),
    (&["team=dba"], "dba"),
    (&["service=web"], "team-web"),
    (&["service=api", "severity=critical"], "web-critical"),
    (&["foo=bar"], "default"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_config_routes_shows_and_tests_the_tree() {
    let Some((server, amtool)) = start_with_routing(Db::Sqlite).await else {
        return;
    };
    for args in [&["config", "routes", "show"][..], &["config", "routes"][..]] {
        let tree = amtool.ok(args).await;
        let lines: Vec<&str> = tree.lines().map(str::trim_end).collect();
        // Each route line, in tree order, with its depth given by the drawing.
        let want = [
            ("└── default-route", "receiver: default"),
            (
                "    ├── {service=\"db\"}",
                "continue: true  receiver: team-db",
            ),
            ("    ├── {team=\"dba\"}", "receiver: dba"),
            ("    └── {service=~\"^(?:web|api)$\"}", "receiver: team-web"),
            (
                "        └── {severity=\"critical\"}",
                "receiver: web-critical",
            ),
        ];
        let mut at = 0;
        for (head, tail) in want {
            let found = lines[at..]
                .iter()
                .position(|l| l.starts_with(head) && l.ends_with(tail))
                .unwrap_or_else(|| {
                    panic!("amtool {args:?}: no line {head:?} ... {tail:?} in order in:\n{tree}")
                });
            at += found + 1;
        }
    }

    for (labels, receivers) in ROUTE_CASES {
        let verify = format!("--verify.receivers={receivers}");
        let mut args = vec!["config", "routes", "test", verify.as_str()];
        args.extend_from_slice(labels);
        let out = amtool.ok(&args).await;
        assert_eq!(out.trim(), *receivers, "amtool {args:?}");
    }
    // A wrong expectation fails, so the checks above can fail.
    let wrong = amtool
        .run(&[
            "config",
            "routes",
            "test",
            "--verify.receivers=team-web",
            "service=api",
            "severity=critical",
        ])
        .await;
    assert!(!wrong.status.success(), "{}", wrong.stdout);
    assert!(
        wrong.stdout.contains("web-critical"),
        "{}{}",
        wrong.stdout,
        wrong.stderr
    );

    // hinomi routes the same labels to the same receivers amtool derived from its status.
    let mut batch = Vec::new();
    for (i, (labels, _)) in ROUTE_CASES.iter().enumerate() {
        let mut pairs = vec![("alertname".to_owned(), format!("Route{i}"))];
        pairs.extend(labels.iter().map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        }));
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        batch.push(am_alert(&refs));
    }
    let r = server
        .post_json("/api/v2/alerts", &Value::Array(batch))
        .await;
    assert_eq!(r.status(), 200);
    let alerts = server.get_json("/api/v2/alerts").await;
    for (i, (labels, receivers)) in ROUTE_CASES.iter().enumerate() {
        let name = format!("Route{i}");
        let alert = alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["alertname"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not in {alerts}"));
        let got: Vec<String> = alert["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect();
        let want: Vec<String> = receivers.split(',').map(str::to_owned).collect();
        assert_eq!(sorted(got), sorted(want), "receivers of {labels:?}");
    }
    drop(server);
}

// amtool parses `config.original` of /api/v2/status with Alertmanager's own loader, so the
// shown configuration must stay loadable, and like Alertmanager's it must not show secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_reads_a_configuration_with_secrets() {
    let Some(amtool) = Amtool::find() else {
        return;
    };
    let config = r#"global:
  smtp_smarthost: 'mail.example.com:25'
  smtp_from: 'alerts@example.com'
  smtp_auth_username: user
  smtp_auth_password: hunter2-smtp-password
  smtp_auth_secret: hunter2-smtp-secret
  slack_api_url: https://hooks.slack.com/services/T0/B0/hunter2-slack-global
  opsgenie_api_key: hunter2-opsgenie-global
  victorops_api_key: hunter2-victorops-global
  wechat_api_secret: hunter2-wechat-global
route:
  receiver: hook
  routes:
    - receiver: og
      matchers: ['team="og"']
    - receiver: chat
      matchers: ['team="chat"']
    - receiver: mail
      matchers: ['team="mail"']
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9/hook
        http_config:
          basic_auth:
            username: user
            password: hunter2-basic
  - name: og
    opsgenie_configs:
      - api_key: hunter2-opsgenie
        api_url: https://api.eu.opsgenie.com/
  - name: chat
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/hunter2-slack
        channel: '#alerts'
  - name: mail
    email_configs:
      - to: oncall@example.com
        auth_password: hunter2-email
"#;
    let Some(server) = Server::start(
        Db::Sqlite,
        Options {
            alertmanager_yml: Some(config.to_owned()),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let amtool = amtool.at(&server);

    let tree = amtool.ok(&["config", "routes"]).await;
    for receiver in [
        "receiver: hook",
        "receiver: og",
        "receiver: chat",
        "receiver: mail",
    ] {
        assert!(tree.contains(receiver), "{receiver} not in:\n{tree}");
    }
    let out = amtool
        .ok(&[
            "config",
            "routes",
            "test",
            "--verify.receivers=og",
            "team=og",
        ])
        .await;
    assert_eq!(out.trim(), "og");

    let shown = amtool.ok(&["config", "show"]).await;
    assert!(!shown.contains("hunter2"), "a secret is shown:\n{shown}");
    assert!(shown.contains("https://api.eu.opsgenie.com/"), "{shown}");
    assert!(shown.contains("<secret>"), "{shown}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_cluster_show() {
    let Some((server, amtool)) = start_with_routing(Db::Sqlite).await else {
        return;
    };
    let out = amtool.ok(&["cluster", "show"]).await;
    assert!(out.contains("Cluster Status:"), "{out}");
    assert!(out.contains("disabled"), "{out}");
    let status = amtool.json(&["cluster", "show"]).await;
    assert_eq!(status["status"], "disabled");
    assert_eq!(status["peers"], json!([]));
    drop(server);
}

// ---- a real Prometheus -------------------------------------------------------------------

/// A `prometheus` server process, killed when dropped.
struct Prometheus {
    url: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus evaluating `rules` every second and sending alerts to
    /// `alertmanager` (host:port) with no resend delay to speak of.
    async fn start(bin: &Path, alertmanager: &str, key: &str, rules: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let rules_path = dir.path().join("rules.yml");
        std::fs::write(&rules_path, rules).expect("write rules");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(
            &config_path,
            format!(
                "global:\n  evaluation_interval: 1s\n  scrape_interval: 1m\nalerting:\n  alertmanagers:\n    - basic_auth:\n        username: prometheus\n        password: {key}\n      static_configs:\n        - targets: ['{alertmanager}']\nrule_files: ['{}']\n",
                rules_path.display()
            ),
        )
        .expect("write prometheus.yml");
        // Prometheus wants a fixed address: take a free port and hand it over.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--rules.alert.resend-delay=1s")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn prometheus");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr piped");
        let writer = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                writer.lock().unwrap().push(line);
            }
        });
        Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
            _dir: dir,
        }
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The samples of metric `name` on its /metrics page, or `None` while it does not answer.
    async fn metric(&self, http: &reqwest::Client, name: &str) -> Option<Vec<(String, f64)>> {
        let page = http
            .get(format!("{}/metrics", self.url))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        Some(
            page.lines()
                .filter(|l| {
                    l.strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
                })
                .filter_map(|l| {
                    let (series, value) = l.rsplit_once(' ')?;
                    Some((series.to_owned(), value.parse().ok()?))
                })
                .collect(),
        )
    }

    async fn stop(mut self) {
        self.child.start_kill().expect("kill prometheus");
        let _ = tokio::time::timeout(COMMAND_TIMEOUT, self.child.wait()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_sends_alerts_to_hinomi() {
    let Some(bin) = require_tool("prometheus") else {
        return;
    };
    let sink = Sink::start().await;
    let Some(server) = Server::start(
        Db::Sqlite,
        Options {
            alertmanager_yml: Some(sink_config(&sink, "0s", "1s", "1h")),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let rules = r#"groups:
  - name: hinomi-test
    interval: 1s
    rules:
      - alert: HinomiRealPrometheus
        expr: vector(1)
        for: 0s
        labels:
          severity: page
          team: infra
        annotations:
          summary: "value is {{ $value }}"
"#;
    let host_port = server.url.trim_start_matches("http://").to_owned();
    // Prometheus sends an integration key with basic auth, as its `alertmanagers` block
    // allows; hinomi's /api/v2 is closed to requests without credentials.
    let key = server.create_integration("prometheus", &[]);
    let prometheus = Prometheus::start(&bin, &host_port, &key, rules).await;
    let context = || format!("prometheus log:\n{}", prometheus.log_text());

    // Prometheus discovers hinomi, evaluates the rule and posts the alert.
    let filter = "/api/v2/alerts?filter=alertname%3D%22HinomiRealPrometheus%22";
    let alerts = eventually_async(WAIT, "the alert from Prometheus in hinomi", || async {
        let alerts = server.get_json(filter).await;
        (alerts.as_array().is_some_and(|a| !a.is_empty())).then_some(alerts)
    })
    .await;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    let alert = &alerts[0];
    assert_eq!(
        alert["labels"],
        json!({ "alertname": "HinomiRealPrometheus", "severity": "page", "team": "infra" })
    );
    assert_eq!(alert["annotations"]["summary"], "value is 1");
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(alert["receivers"], json!([{ "name": "sink" }]));
    assert!(
        alert["generatorURL"]
            .as_str()
            .is_some_and(|u| u.contains("/graph?g0.expr=vector")),
        "{alert}"
    );

    // ... and hinomi notifies the webhook.
    let got = sink
        .wait_for(WAIT, "the firing notification", |r| {
            r.iter().any(|n| n.body["status"] == "firing")
        })
        .await;
    let firing = got.iter().find(|n| n.body["status"] == "firing").unwrap();
    assert_eq!(
        alert_labels(firing, "alertname"),
        ["HinomiRealPrometheus"],
        "{}",
        firing.body
    );
    assert_eq!(firing.body["alerts"][0]["labels"]["team"], "infra");
    assert_eq!(firing.body["commonLabels"]["severity"], "page");

    // Prometheus counts what it sent and found no error in hinomi's answers.
    let http = reqwest::Client::new();
    eventually_async(WAIT, "Prometheus to count the sent alerts", || async {
        let sent = prometheus
            .metric(&http, "prometheus_notifications_sent_total")
            .await?;
        sent.iter().any(|(_, v)| *v > 0.0).then_some(())
    })
    .await;
    let errors = prometheus
        .metric(&http, "prometheus_notifications_errors_total")
        .await
        .expect("prometheus /metrics");
    assert!(!errors.is_empty(), "no error counter; {}", context());
    assert!(
        errors.iter().all(|(_, v)| *v == 0.0),
        "notification errors {errors:?}; {}",
        context()
    );
    assert!(
        !prometheus.log_text().contains("Error sending alert"),
        "{}",
        context()
    );

    // Without Prometheus the alert's endsAt passes: hinomi resolves it and says so.
    prometheus.stop().await;
    sink.wait_for(WAIT, "the resolved notification", |r| {
        r.iter().any(|n| n.body["status"] == "resolved")
    })
    .await;
    let alerts = server.get_json(filter).await;
    assert_eq!(alerts, json!([]), "a resolved alert is not listed");
    drop(server);
}
