//! Delivery on every channel, black-box: the real binary sends to a real SMTP server on
//! loopback (Debian's aiosmtpd, requiring authentication and storing into a Maildir that
//! Python's own email package decodes) and to local HTTP peers. Alertmanager receivers are driven by posting alerts;
//! people's notices by outbox rows of kind `contact:<kind>` as paging writes them.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::{
    Db, Options, Received, Server, Sink, now_ms, run_cli, start_with_config, wait_for_deliveries,
};

const AIOSMTPD: &str = "/usr/bin/aiosmtpd";

/// Runs aiosmtpd on 127.0.0.1:<port>, delivering into a Maildir, accepting mail only after
/// AUTH as `hinomi-mail` / `mail-secret` (on a plain connection: loopback only).
const SMTPD: &str = r#"
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"hinomi-mail", b"mail-secret")
    return AuthResult(success=ok)

Controller(Mailbox(sys.argv[1]), hostname="127.0.0.1", port=int(sys.argv[2]), authenticator=check,
           auth_required=True, auth_require_tls=False).start()
while True:
    time.sleep(3600)
"#;

/// Reads a Maildir's new messages with Python's email package and prints them as JSON: the
/// decoded subject, addresses and bodies, and the raw subject as it was on the wire.
const READ_MAILDIR: &str = r#"
import email, email.policy, glob, json, sys
out = []
for path in sorted(glob.glob(sys.argv[1] + "/new/*")):
    data = open(path, "rb").read()
    m = email.message_from_bytes(data, policy=email.policy.default)
    raw = email.message_from_bytes(data, policy=email.policy.compat32)
    plain, html = m.get_body(("plain",)), m.get_body(("html",))
    out.append({
        "subject": str(m["subject"]),
        "raw_subject": raw["Subject"],
        "from": str(m["from"]),
        "to": str(m["to"]),
        "mail_from": str(m["X-MailFrom"]),
        "headers": {k: str(v) for k, v in m.items()},
        "charset": plain.get_content_charset() if plain else None,
        "text": plain.get_content() if plain else None,
        "html": html.get_content() if html else None,
    })
print(json.dumps(out))
"#;

/// A real SMTP server on loopback, writing what it receives to a Maildir.
pub(crate) struct SmtpServer {
    pub(crate) port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
    _child: tokio::process::Child,
}

impl SmtpServer {
    /// `None` (the test says it was skipped) when aiosmtpd is not installed and this is
    /// not CI; `.ci/setup` installs it.
    pub(crate) async fn start() -> Option<SmtpServer> {
        if !std::path::Path::new(AIOSMTPD).exists() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{AIOSMTPD} is missing under CI=true; .ci/setup installs python3-aiosmtpd");
            }
            eprintln!("SKIPPED: {AIOSMTPD} is missing; run .ci/setup");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = tokio::process::Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(SMTPD)
            .arg(&maildir)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen in 15s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(SmtpServer {
            port,
            maildir,
            _dir: dir,
            _child: child,
        })
    }

    /// hinomi's `[channels.smtp]` settings for this server, as environment.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        [
            ("HINOMI_CHANNELS__SMTP__HOST", "127.0.0.1".to_owned()),
            ("HINOMI_CHANNELS__SMTP__PORT", self.port.to_string()),
            ("HINOMI_CHANNELS__SMTP__TLS", "none".to_owned()),
            ("HINOMI_CHANNELS__SMTP__USERNAME", "hinomi-mail".to_owned()),
            ("HINOMI_CHANNELS__SMTP__PASSWORD", "mail-secret".to_owned()),
            (
                "HINOMI_CHANNELS__SMTP__FROM",
                "hinomi@example.org".to_owned(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// alertmanager.yml's `global` SMTP settings for this server.
    fn global(&self) -> String {
        format!(
            "global:\n  smtp_smarthost: '127.0.0.1:{}'\n  smtp_from: 'alertmanager@example.org'\n  smtp_auth_username: hinomi-mail\n  smtp_auth_password: mail-secret\n  smtp_require_tls: false\n",
            self.port
        )
    }

    pub(crate) fn messages(&self) -> Vec<Value> {
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = std::process::Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(READ_MAILDIR)
            .arg(&self.maildir)
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("messages as JSON")
    }

    /// Waits for `n` messages (at most 20 s).
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{n} message(s) did not arrive; got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

both_databases!(alertmanager_receivers_reach_their_peers, |db| async move {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let (slack, pagerduty, teams) = (
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
    );
    let yaml = format!(
        r##"{global}route:
  receiver: all
  group_by: [alertname, site]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: all
    email_configs:
      - to: 'oncall@example.org'
        headers: {{X-Team: db}}
    slack_configs:
      - api_url: '{slack}'
        channel: '#ops'
    pagerduty_configs:
      - routing_key: pd-routing-key
        url: '{pagerduty}'
    msteams_configs:
      - webhook_url: '{teams}'
"##,
        global = smtp.global(),
        slack = slack.url,
        pagerduty = pagerduty.url,
        teams = teams.url,
    );
    let Some(server) = start_with_config(db, yaml).await else {
        return;
    };
    let alert = json!([{
        "labels": {"alertname": "DiskFull", "site": "東京"},
        "annotations": {"summary": "ディスク残量わずか"},
    }]);
    let r = server.post_json("/api/v2/alerts", &alert).await;
    assert_eq!(r.status(), 200);

    let title = "[FIRING:1] DiskFull 東京";
    let one = |got: &[Received]| !got.is_empty();
    let wait = Duration::from_secs(20);
    let got = slack.wait_for(wait, "slack", one).await;
    assert_eq!(got[0].body["channel"], "#ops");
    assert_eq!(got[0].body["attachments"][0]["title"], title);
    assert_eq!(got[0].body["attachments"][0]["color"], "danger");
    let got = pagerduty.wait_for(wait, "pagerduty", one).await;
    let event = &got[0].body;
    assert_eq!(event["routing_key"], "pd-routing-key");
    assert_eq!(event["event_action"], "trigger");
    assert_eq!(event["dedup_key"].as_str().unwrap().len(), 64);
    assert_eq!(event["payload"]["summary"], title);
    let got = teams.wait_for(wait, "teams", one).await;
    assert_eq!(got[0].body["type"], "MessageCard");
    assert_eq!(got[0].body["title"], title);

    let mail = &smtp.wait_for(1).await[0];
    assert_eq!(mail["subject"], title, "{mail}");
    assert!(
        mail["raw_subject"]
            .as_str()
            .unwrap()
            .starts_with("=?UTF-8?B?"),
        "{mail}"
    );
    assert_eq!(mail["to"], "oncall@example.org");
    assert_eq!(mail["mail_from"], "alertmanager@example.org");
    assert_eq!(mail["headers"]["X-Team"], "db");
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("[FIRING] ディスク残量わずか (alertname=DiskFull, site=東京)"),
        "{mail}"
    );

    let rows = wait_for_deliveries(&server.database_url, wait, "four delivered", |rows| {
        rows.iter().filter(|r| r.state == "delivered").count() == 4
    })
    .await;
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["email", "msteams", "pagerduty", "slack"]);
    let email = rows.iter().find(|r| r.kind == "email").unwrap();
    let attempts = run_cli(
        &server.database_url,
        &["deliveries", "--attempts", &email.id.to_string()],
        None,
    );
    assert!(
        attempts
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("250  250 OK")),
        "the SMTP server's answer is in the log:\n{attempts}"
    );
});

/// A page to 田中 as paging writes it into the outbox: the `Envelope` as JSON.
fn envelope(kind: &str, address: &str) -> Value {
    let now = now_ms();
    json!({
        "contact": {"kind": kind, "address": address},
        "notice": {
            "kind": {"type": "page", "step": 0, "round": 0},
            "locale": "ja",
            "recipient": "田中",
            "page_id": "p1",
            "title": "ディスク残量わずか",
            "alerts": [{"labels": [["alertname", "DiskFull"]], "summary": "db1 のディスクが 95%",
                        "starts_at": now, "firing": true}],
            "console_url": "http://127.0.0.1:9093/pages/p1",
            "actions": [{"kind": "acknowledge", "token": "ack-token",
                         "url": "http://127.0.0.1:9093/a/ack-token"}],
            "at": now,
        },
    })
}

/// Writes an outbox row as paging does: kind `contact:<kind>`, the envelope as payload.
async fn write_notice(db: &sqlx::AnyPool, key: &str, envelope: &Value) {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outbox (idempotency_key, group_key, receiver, integration, kind, payload, \
         state, created_at, due_at, attempts) VALUES ($1, $2, $3, 0, $4, $5, 'pending', $6, $6, 0)",
    )
    .bind(key)
    .bind("page:p1")
    .bind("page:p1")
    .bind(format!(
        "contact:{}",
        envelope["contact"]["kind"].as_str().unwrap()
    ))
    .bind(envelope.to_string())
    .bind(now)
    .execute(db)
    .await
    .expect("write an outbox row");
}

/// Starts hinomi mailing through a fresh SMTP server in `charset` (with `env` besides),
/// writes a page to 田中's email, and checks the message as received: the subject encoded
/// in the charset decodes to the Japanese text, and so do the sender's name and the body.
async fn mail_a_page(
    db: Db,
    charset: &str,
    env: &[(&str, &str)],
) -> Option<(SmtpServer, Server, sqlx::AnyPool)> {
    let smtp = SmtpServer::start().await?;
    let mut all = vec![
        ("HINOMI_CHANNELS__SMTP__HOST", "127.0.0.1".to_owned()),
        ("HINOMI_CHANNELS__SMTP__PORT", smtp.port.to_string()),
        ("HINOMI_CHANNELS__SMTP__TLS", "none".to_owned()),
        ("HINOMI_CHANNELS__SMTP__USERNAME", "hinomi-mail".to_owned()),
        ("HINOMI_CHANNELS__SMTP__PASSWORD", "mail-secret".to_owned()),
        (
            "HINOMI_CHANNELS__SMTP__FROM",
            "hinomi@example.org".to_owned(),
        ),
        ("HINOMI_CHANNELS__SMTP__FROM_NAME", "火の見".to_owned()),
        ("HINOMI_CHANNELS__SMTP__CHARSET", charset.to_owned()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let options = Options {
        env: all.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ..Options::default()
    };
    let server = Server::start(db, options).await?;
    let pool = server.database().await;
    write_notice(&pool, "mail", &envelope("email", "tanaka@example.org")).await;

    let mail = &smtp.wait_for(1).await[0];
    assert_eq!(
        mail["subject"], "[hinomi] 対応依頼: ディスク残量わずか",
        "{mail}"
    );
    let encoded = format!("=?{}?B?", charset.to_ascii_uppercase());
    assert!(
        mail["raw_subject"].as_str().unwrap().starts_with(&encoded),
        "{mail}"
    );
    assert_eq!(mail["charset"], charset);
    assert_eq!(mail["from"], "火の見 <hinomi@example.org>");
    assert_eq!(mail["to"], "tanaka@example.org");
    assert_eq!(mail["headers"]["X-Hinomi-Page"], "p1");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with("田中 さん、アラート 1 件 (発生中 1 件) の対応をお願いします。"),
        "{text}"
    );
    assert!(
        text.contains("確認する: http://127.0.0.1:9093/a/ack-token"),
        "{text}"
    );
    assert!(
        mail["html"]
            .as_str()
            .unwrap()
            .contains("<a href=\"http://127.0.0.1:9093/a/ack-token\">確認する</a>")
    );
    Some((smtp, server, pool))
}

both_databases!(notices_go_out_on_each_contacts_channel, |db| async move {
    let slack = Sink::start().await;
    let throttle = [("HINOMI_DELIVERY__PER_MINUTE__SLACK", "1")];
    let Some((_smtp, server, pool)) = mail_a_page(db, "utf-8", &throttle).await else {
        return;
    };
    write_notice(&pool, "slack-1", &envelope("slack", &slack.url)).await;
    write_notice(&pool, "slack-2", &envelope("slack", &slack.url)).await;
    write_notice(&pool, "sms", &envelope("sms", "+819012345678")).await;

    let got = slack
        .wait_for(Duration::from_secs(20), "a slack notice", |got| {
            !got.is_empty()
        })
        .await;
    assert_eq!(got[0].body["text"], "対応依頼: ディスク残量わずか");
    assert_eq!(
        got[0].body["blocks"][2]["elements"][0]["url"],
        "http://127.0.0.1:9093/a/ack-token"
    );

    let rows = wait_for_deliveries(
        &server.database_url,
        Duration::from_secs(20),
        "email and one slack delivered, sms failed",
        |rows| {
            let state = |kind: &str, state: &str| {
                rows.iter()
                    .filter(|r| r.kind == kind && r.state == state)
                    .count()
            };
            state("contact:email", "delivered") == 1
                && state("contact:slack", "delivered") == 1
                && state("contact:sms", "failed") == 1
        },
    )
    .await;
    let sms = rows.iter().find(|r| r.kind == "contact:sms").unwrap();
    assert_eq!(
        sms.last_error,
        "channel not configured: voice and sms need [channels.twilio] account_sid, auth_token and from"
    );
    assert_eq!(sms.attempts, 1, "a missing setting is not retried");

    // The second Slack notice waits for the throttle (one a minute) in the outbox, not
    // counted as an attempt.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (state, attempts, due_at): (String, i64, i64) = sqlx::query_as(
            "SELECT state, attempts, due_at FROM outbox \
             WHERE kind = 'contact:slack' AND state <> 'delivered'",
        )
        .fetch_one(&pool)
        .await
        .expect("the throttled row");
        assert_eq!((state.as_str(), attempts), ("pending", 0));
        if due_at > now_ms() + 30_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second notice was not put off"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(slack.received().len(), 1);
    pool.close().await;
});

both_databases!(iso_2022_jp_mail_reads_back_in_japanese, |db| async move {
    if let Some((_smtp, _server, pool)) = mail_a_page(db, "iso-2022-jp", &[]).await {
        pool.close().await;
    }
});

/// A template file as Alertmanager users keep them, in Japanese.
const NOTIFY_TMPL: &str = r#"{{ define "slack.custom.title" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}（{{ .CommonLabels.site }}）
{{- end }}
{{ define "slack.custom.text" }}{{ range .Alerts }}{{ .Annotations.summary }}{{ "\n" }}{{ end }}{{ end }}
{{ define "email.custom.html" }}<p>{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}</p>{{ end }}
"#;

both_databases!(
    receiver_fields_are_evaluated_as_alertmanager_templates,
    |db| async move {
        let Some(smtp) = SmtpServer::start().await else {
            return;
        };
        let (slack, teams) = (Sink::start().await, Sink::start().await);
        let templates = tempfile::tempdir().expect("temp dir");
        std::fs::write(templates.path().join("notify.tmpl"), NOTIFY_TMPL).unwrap();
        let yaml = format!(
            r##"{global}templates:
  - '{templates}/*.tmpl'
route:
  receiver: all
  group_by: [alertname, site]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: all
    email_configs:
      - to: 'oncall@example.org'
        headers:
          Subject: '【{{{{ .Status | toUpper }}}}】{{{{ .CommonLabels.alertname }}}} が {{{{ .CommonLabels.site }}}} で発生'
        html: '{{{{ template "email.custom.html" . }}}}'
    slack_configs:
      - api_url: '{slack}'
        title: '{{{{ template "slack.custom.title" . }}}}'
        text: '{{{{ template "slack.custom.text" . }}}}'
    msteams_configs:
      - webhook_url: '{teams}'
        title: '{{{{ .CommonLabels.alertname.Nope }}}}'
"##,
            global = smtp.global(),
            templates = templates.path().display(),
            slack = slack.url,
            teams = teams.url,
        );
        let Some(server) = start_with_config(db, yaml).await else {
            return;
        };
        let alert = json!([{
            "labels": {"alertname": "DiskFull", "site": "東京"},
            "annotations": {"summary": "ディスク残量わずか <db1>"},
        }]);
        let r = server.post_json("/api/v2/alerts", &alert).await;
        assert_eq!(r.status(), 200);

        let wait = Duration::from_secs(20);
        let got = slack
            .wait_for(wait, "slack", |got: &[Received]| !got.is_empty())
            .await;
        let attachment = &got[0].body["attachments"][0];
        assert_eq!(attachment["title"], "[FIRING:1] DiskFull（東京）");
        assert_eq!(attachment["text"], "ディスク残量わずか <db1>\n");

        let mail = &smtp.wait_for(1).await[0];
        assert_eq!(
            mail["subject"], "【FIRING】DiskFull が 東京 で発生",
            "{mail}"
        );
        assert_eq!(
            mail["html"].as_str().unwrap().trim_end(),
            "<p>ディスク残量わずか &lt;db1&gt;</p>",
            "an html field escapes what it prints: {mail}"
        );

        let rows = wait_for_deliveries(
            &server.database_url,
            wait,
            "two delivered, one failed",
            |rows| {
                rows.iter().filter(|r| r.state == "delivered").count() == 2
                    && rows.iter().any(|r| r.state == "failed")
            },
        )
        .await;
        let failed = rows.iter().find(|r| r.state == "failed").unwrap();
        assert_eq!(failed.kind, "msteams");
        assert_eq!(failed.attempts, 1, "a failing template is not retried");
        assert!(
            failed.last_error.contains(
                "title: template: :1: executing \"\": can't evaluate field Nope in type string"
            ),
            "{failed:?}"
        );
        assert!(teams.received().is_empty(), "nothing went to Teams");
    }
);
