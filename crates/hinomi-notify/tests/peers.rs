//! The channels and receiver kinds against local HTTP peers on 127.0.0.1:0 that check
//! what Slack, Teams, LINE WORKS, Twilio, PagerDuty and Opsgenie expect: paths, methods,
//! credentials, form fields and JSON bodies, and the answers they give back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hinomi_core::{Config, Contact, ContactKind, Envelope, Locale, Notice};
use hinomi_notify::channels::{ChannelSettings, Channels, webhook};
use hinomi_notify::webhook::{Message, MessageAlert, WebhookSender};
use hinomi_notify::{SendReport, receivers};
use serde_json::{Value, json};

/// 2026-12-01 12:34 UTC.
const NOW: i64 = 1_796_128_440_000;

/// One request a peer received.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    /// Path and query.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The `application/x-www-form-urlencoded` fields, in order.
    fn form(&self) -> BTreeMap<String, String> {
        std::str::from_utf8(&self.body)
            .unwrap()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

type Answer = Arc<dyn Fn(&Request) -> (u16, String) + Send + Sync>;

/// An HTTP server that records every request and answers with `answer`.
struct Peer {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Peer {
    async fn start(answer: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static) -> Peer {
        let answer: Answer = Arc::new(answer);
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let seen = requests.clone();
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method,
                  uri: axum::http::Uri,
                  headers: axum::http::HeaderMap,
                  body: axum::body::Bytes| {
                let (answer, seen) = (answer.clone(), seen.clone());
                async move {
                    let request = Request {
                        method: method.to_string(),
                        target: uri
                            .path_and_query()
                            .map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
                        headers: headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect(),
                        body: body.to_vec(),
                    };
                    let (status, text) = answer(&request);
                    seen.lock().unwrap().push(request);
                    (axum::http::StatusCode::from_u16(status).unwrap(), text)
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Peer { url, requests }
    }

    /// A peer that answers every request with `status` and `body`.
    async fn answering(status: u16, body: &'static str) -> Peer {
        Peer::start(move |_| (status, body.to_owned())).await
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn only(&self) -> Request {
        let all = self.requests();
        assert_eq!(all.len(), 1, "{all:#?}");
        all[0].clone()
    }
}

/// A page with both actions, read from its JSON form.
fn notice(locale: Locale) -> Notice {
    let link = |token: &str| format!("https://hinomi.example/a/{token}");
    serde_json::from_value(json!({
        "kind": {"type": "page", "step": 0, "round": 0},
        "locale": locale, "recipient": "田中", "page_id": "p1", "title": "ディスク残量わずか",
        "alerts": [{"labels": [["alertname", "DiskFull"]], "summary": "db1 のディスクが 95%", "starts_at": NOW, "firing": true}],
        "console_url": "https://hinomi.example/pages/p1",
        "actions": [
            {"kind": "acknowledge", "token": "ack-token", "url": link("ack-token")},
            {"kind": "resolve", "token": "res-token", "url": link("res-token")},
        ],
        "at": NOW,
    }))
    .expect("a notice")
}

fn envelope(kind: ContactKind, address: &str, locale: Locale) -> Envelope {
    Envelope {
        contact: Contact {
            kind,
            address: address.into(),
        },
        notice: notice(locale),
    }
}

fn channels(settings: ChannelSettings) -> Channels {
    Channels::new(settings, Duration::from_secs(5), "hinomi-test")
}

fn delivered(report: &SendReport) {
    assert!(report.delivered(), "{report:?}");
}

#[tokio::test]
async fn a_slack_incoming_webhook_gets_blocks_whose_buttons_open_the_links() {
    let peer = Peer::answering(200, "ok").await;
    let hook = format!("{}/services/T0/B0/x", peer.url);
    let report = channels(ChannelSettings::default())
        .send(&envelope(ContactKind::Slack, &hook, Locale::Ja), NOW)
        .await;
    delivered(&report);
    assert_eq!(report.answer.as_deref(), Some("ok"));
    let r = peer.only();
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/services/T0/B0/x")
    );
    assert_eq!(r.header("content-type"), "application/json");
    let body = r.json();
    assert_eq!(body["text"], "対応依頼: ディスク残量わずか");
    let buttons = &body["blocks"][2]["elements"];
    assert_eq!(buttons[0]["url"], "https://hinomi.example/a/ack-token");
    assert_eq!(buttons[1]["url"], "https://hinomi.example/a/res-token");
}

#[tokio::test]
async fn a_slack_bot_posts_with_its_token_and_buttons_carry_the_action_tokens() {
    let peer = Peer::start(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        if body["channel"] == "C0NOPE" {
            (200, r#"{"ok":false,"error":"channel_not_found"}"#.into())
        } else {
            // chat.postMessage answers with the whole message: longer than the log keeps.
            let message = json!({"text": "x".repeat(600), "blocks": body["blocks"]});
            let answer = json!({"ok": true, "channel": "C024BE91L", "ts": "1401383885.000061", "message": message});
            (200, answer.to_string())
        }
    })
    .await;
    let mut settings = ChannelSettings::default();
    settings.slack.bot_token = "xoxb-test-token".into();
    settings.slack.api_url = format!("{}/api/", peer.url);
    let channels = channels(settings);
    let report = channels
        .send(&envelope(ContactKind::Slack, "C024BE91L", Locale::En), NOW)
        .await;
    delivered(&report);
    assert_eq!(report.answer.as_ref().map(|a| a.chars().count()), Some(512));
    let r = peer.only();
    assert_eq!(r.target, "/api/chat.postMessage");
    assert_eq!(r.header("authorization"), "Bearer xoxb-test-token");
    let body = r.json();
    assert_eq!(body["channel"], "C024BE91L");
    assert_eq!(body["text"], "Page: ディスク残量わずか");
    let actions = &body["blocks"][2];
    assert_eq!(actions["type"], "actions");
    assert_eq!(
        actions["elements"][0],
        json!({"type": "button", "action_id": "hinomi_acknowledge", "style": "primary",
               "text": {"type": "plain_text", "text": "Acknowledge"}, "value": "ack-token"})
    );
    assert_eq!(actions["elements"][1]["value"], "res-token");

    // Slack says no with 200 and "ok": false; a missing channel stays missing.
    let refused = channels
        .send(&envelope(ContactKind::Slack, "C0NOPE", Locale::En), NOW)
        .await;
    assert_eq!(
        refused.error.as_deref(),
        Some("slack refused the message: channel_not_found")
    );
    assert!(!refused.retryable);
}

#[tokio::test]
async fn a_teams_workflow_gets_an_adaptive_card_with_the_action_links() {
    let peer = Peer::answering(202, "").await;
    let hook = format!(
        "{}/workflows/abc/triggers/manual/paths/invoke?sig=s",
        peer.url
    );
    let report = channels(ChannelSettings::default())
        .send(&envelope(ContactKind::Teams, &hook, Locale::Ja), NOW)
        .await;
    delivered(&report);
    assert_eq!(report.status_code, Some(202));
    let body = peer.only().json();
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(card["body"][0]["text"], "対応依頼: ディスク残量わずか");
    assert_eq!(
        card["actions"][0],
        json!({"type": "Action.OpenUrl", "title": "確認する", "url": "https://hinomi.example/a/ack-token"})
    );
}

const LINE_WORKS_KEY: &str = include_str!("line_works_test_key.pem");

#[tokio::test]
async fn line_works_grants_a_token_once_and_messages_the_user() {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::Verifier;
    let public = rsa::RsaPrivateKey::from_pkcs8_pem(LINE_WORKS_KEY)
        .unwrap()
        .to_public_key();
    // Real refresh tokens are long: the whole answer is longer than the log keeps.
    let grant = json!({"access_token": "kr1.token", "refresh_token": format!("kr1.{}", "r".repeat(600)),
                       "scope": "bot", "token_type": "Bearer", "expires_in": "86400"});
    let peer = Peer::start(move |r| match r.target.as_str() {
        "/oauth2/v2.0/token" => (200, grant.to_string()),
        t if t.contains("/users/revoked@") => (401, r#"{"code":"UNAUTHORIZED"}"#.into()),
        _ => (201, "{}".into()),
    })
    .await;
    let mut settings = ChannelSettings::default();
    let lw = &mut settings.line_works;
    lw.client_id = "client-1".into();
    lw.client_secret = "client-secret".into();
    lw.service_account = "abc.serviceaccount@example.com".into();
    lw.private_key = LINE_WORKS_KEY.into();
    lw.bot_id = "2000001".into();
    lw.api_url = format!("{}/v1.0", peer.url);
    lw.auth_url = format!("{}/oauth2/v2.0/token", peer.url);
    let channels = channels(settings);
    for user in ["user-a@example.com", "user-b@example.com"] {
        let report = channels
            .send(&envelope(ContactKind::LineWorks, user, Locale::Ja), NOW)
            .await;
        delivered(&report);
    }
    let requests = peer.requests();
    assert_eq!(requests.len(), 3, "one grant, two messages: {requests:#?}");

    let grant = &requests[0];
    assert_eq!(grant.method, "POST");
    assert_eq!(
        grant.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    let form = grant.form();
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    assert_eq!(
        (
            form["client_id"].as_str(),
            form["client_secret"].as_str(),
            form["scope"].as_str()
        ),
        ("client-1", "client-secret", "bot")
    );
    let jwt: Vec<&str> = form["assertion"].split('.').collect();
    let decode = |part: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap()
    };
    let header: Value = serde_json::from_slice(&decode(jwt[0])).unwrap();
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT"}));
    let claims: Value = serde_json::from_slice(&decode(jwt[1])).unwrap();
    assert_eq!(
        claims,
        json!({"iss": "client-1", "sub": "abc.serviceaccount@example.com",
               "iat": NOW / 1000, "exp": NOW / 1000 + 3600})
    );
    let signature = Signature::try_from(decode(jwt[2]).as_slice()).unwrap();
    VerifyingKey::<rsa::sha2::Sha256>::new(public)
        .verify(format!("{}.{}", jwt[0], jwt[1]).as_bytes(), &signature)
        .expect("the assertion is signed with the app's key");

    let message = &requests[1];
    assert_eq!(
        message.target,
        "/v1.0/bots/2000001/users/user-a@example.com/messages"
    );
    assert_eq!(message.header("authorization"), "Bearer kr1.token");
    let body = message.json();
    assert_eq!(body["content"]["type"], "text");
    let text = body["content"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("[hinomi] 対応依頼: ディスク残量わずか\n"),
        "{text}"
    );
    assert!(text.contains("確認する: https://hinomi.example/a/ack-token"));
    assert_eq!(requests[2].header("authorization"), "Bearer kr1.token");

    // A token refused before its time is dropped: the next send asks for a new one.
    let refused = channels
        .send(
            &envelope(ContactKind::LineWorks, "revoked@example.com", Locale::Ja),
            NOW,
        )
        .await;
    assert_eq!((refused.status_code, refused.retryable), (Some(401), true));
    delivered(
        &channels
            .send(
                &envelope(ContactKind::LineWorks, "user-a@example.com", Locale::Ja),
                NOW,
            )
            .await,
    );
    let grants = peer
        .requests()
        .iter()
        .filter(|r| r.target == "/oauth2/v2.0/token")
        .count();
    assert_eq!(grants, 2);
}

#[tokio::test]
async fn twilio_gets_a_text_and_a_call_that_a_keypress_acknowledges() {
    let peer = Peer::start(|r| {
        let sid = if r.target.ends_with("Calls.json") {
            "CA1"
        } else {
            "SM1"
        };
        (201, format!(r#"{{"sid":"{sid}","status":"queued"}}"#))
    })
    .await;
    let mut settings = ChannelSettings::default();
    settings.twilio.account_sid = "AC123".into();
    settings.twilio.auth_token = "tw-token".into();
    settings.twilio.from = "+81312345678".into();
    settings.twilio.api_url = format!("{}/2010-04-01", peer.url);
    let channels = channels(settings);
    let sms = channels
        .send(
            &envelope(ContactKind::Sms, "+819012345678", Locale::Ja),
            NOW,
        )
        .await;
    delivered(&sms);
    assert_eq!(
        sms.answer.as_deref(),
        Some(r#"{"sid":"SM1","status":"queued"}"#)
    );
    let call = channels
        .send(
            &envelope(ContactKind::Voice, "+819012345678", Locale::Ja),
            NOW,
        )
        .await;
    delivered(&call);

    let requests = peer.requests();
    let basic = {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("AC123:tw-token")
        )
    };
    let text = &requests[0];
    assert_eq!(text.target, "/2010-04-01/Accounts/AC123/Messages.json");
    assert_eq!(text.header("authorization"), basic);
    let form = text.form();
    assert_eq!(
        (form["To"].as_str(), form["From"].as_str()),
        ("+819012345678", "+81312345678")
    );
    assert_eq!(
        form["Body"],
        "[hinomi] 対応依頼: ディスク残量わずか\n確認する: https://hinomi.example/a/ack-token"
    );
    let voice = &requests[1];
    assert_eq!(voice.target, "/2010-04-01/Accounts/AC123/Calls.json");
    assert_eq!(voice.header("authorization"), basic);
    let twiml = &voice.form()["Twiml"];
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather numDigits=\"1\" action=\"https://hinomi.example/a/ack-token/keypad\" method=\"POST\""), "{twiml}");
    assert!(twiml.contains("<Say language=\"ja-JP\" loop=\"2\">ヒノミからのお知らせです。対応依頼: ディスク残量わずか。"), "{twiml}");
    assert!(
        twiml.contains("確認するには 1 を押してください。</Say></Gather>"),
        "{twiml}"
    );
}

#[tokio::test]
async fn a_persons_webhook_gets_the_notice_signed() {
    let peer = Peer::answering(204, "").await;
    let mut settings = ChannelSettings::default();
    settings.webhook.secret = "hook-secret".into();
    let report = channels(settings)
        .send(
            &envelope(
                ContactKind::Webhook,
                &format!("{}/mine", peer.url),
                Locale::En,
            ),
            NOW,
        )
        .await;
    delivered(&report);
    let r = peer.only();
    let signature = r.header(webhook::SIGNATURE_HEADER);
    assert!(
        signature.starts_with(&format!("t={},v1=", NOW / 1000)),
        "{signature}"
    );
    assert_eq!(
        webhook::verify("hook-secret", signature, &r.body, NOW / 1000 + 10),
        Ok(())
    );
    let sent: Notice = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(sent, notice(Locale::En));
}

#[tokio::test]
async fn channels_without_settings_fail_for_good_and_say_what_is_missing() {
    let channels = channels(ChannelSettings::default());
    for (kind, address, missing) in [
        (
            ContactKind::Email,
            "a@example.org",
            "[channels.smtp] host and from",
        ),
        (
            ContactKind::Sms,
            "+8190",
            "[channels.twilio] account_sid, auth_token and from",
        ),
        (
            ContactKind::Voice,
            "+8190",
            "[channels.twilio] account_sid, auth_token and from",
        ),
        (
            ContactKind::Slack,
            "C024BE91L",
            "[channels.slack] bot_token",
        ),
        (
            ContactKind::LineWorks,
            "u@example.org",
            "[channels.line_works] client_id",
        ),
        (
            ContactKind::Webhook,
            "http://127.0.0.1:9/",
            "[channels.webhook] secret",
        ),
    ] {
        let report = channels
            .send(&envelope(kind, address, Locale::Ja), NOW)
            .await;
        let error = report.error.unwrap_or_default();
        assert!(
            error.starts_with("channel not configured: ") && error.contains(missing),
            "{kind:?}: {error}"
        );
        assert!(!report.retryable, "{kind:?}");
    }
}

#[tokio::test]
async fn a_refusal_is_final_and_an_outage_is_retried_with_the_answer_kept() {
    let refused = Peer::answering(400, "invalid_payload").await;
    let report = channels(ChannelSettings::default())
        .send(&envelope(ContactKind::Teams, &refused.url, Locale::Ja), NOW)
        .await;
    assert_eq!(report.status_code, Some(400));
    assert!(!report.retryable);
    assert_eq!(report.answer.as_deref(), Some("invalid_payload"));
    let down = Peer::answering(503, "busy").await;
    let report = channels(ChannelSettings::default())
        .send(&envelope(ContactKind::Teams, &down.url, Locale::Ja), NOW)
        .await;
    assert!(report.retryable);
}

/// A group notification as the flush stores it.
fn message(firing: bool) -> String {
    let status = if firing { "firing" } else { "resolved" };
    let labels: BTreeMap<String, String> = [("alertname", "DiskFull"), ("instance", "db1")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let message = Message {
        receiver: "ops".into(),
        status: status.into(),
        alerts: vec![MessageAlert {
            status: status.into(),
            labels: labels.clone(),
            annotations: [("summary".to_string(), "ディスクが 95%".to_string())].into(),
            starts_at: "2026-12-01T12:00:00Z".into(),
            ends_at: "0001-01-01T00:00:00Z".into(),
            generator_url: "http://prometheus/graph".into(),
            fingerprint: "0123456789abcdef".into(),
        }],
        group_labels: [("alertname".to_string(), "DiskFull".to_string())].into(),
        common_labels: labels,
        common_annotations: BTreeMap::new(),
        external_url: "http://hinomi:9093".into(),
        version: "4".into(),
        group_key: "{}:{alertname=\"DiskFull\"}".into(),
        truncated_alerts: 0,
    };
    serde_json::to_string(&message).unwrap()
}

/// Sends `message` through the first integration of receiver `r` in `yaml`.
async fn send_receiver(yaml: &str, message: &str) -> SendReport {
    send_with_templates(yaml, &[], message).await
}

/// Like [`send_receiver`], with template files (name, text) loaded as `templates:` would.
async fn send_with_templates(yaml: &str, files: &[(&str, &str)], message: &str) -> SendReport {
    let mut config = Config::parse(yaml).unwrap();
    for (name, text) in files {
        config.add_template_file(name, text).unwrap();
    }
    let sender = WebhookSender::new(Duration::from_secs(5), "hinomi-test");
    let (_, integration) = config.receivers[0].integrations()[0];
    receivers::send(
        &sender,
        &config.template_set,
        integration,
        message,
        Duration::from_secs(5),
        NOW,
    )
    .await
}

#[tokio::test]
async fn pagerduty_gets_a_trigger_then_a_resolve_with_one_dedup_key() {
    let peer = Peer::answering(
        202,
        r#"{"status":"success","message":"Event processed","dedup_key":"x"}"#,
    )
    .await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    pagerduty_configs:\n      - routing_key: R0UT1NG\n        url: {}/v2/enqueue\n        severity: critical\n",
        peer.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    delivered(&send_receiver(&yaml, &message(false)).await);
    let requests = peer.requests();
    assert_eq!(requests[0].target, "/v2/enqueue");
    let dedup = receivers::group_key_hash("{}:{alertname=\"DiskFull\"}");
    assert_eq!(
        requests[0].json(),
        json!({
            "routing_key": "R0UT1NG",
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {
                "summary": "[FIRING:1] DiskFull (db1)",
                "source": "hinomi",
                "severity": "critical",
                "custom_details": {
                    "firing": "[FIRING] ディスクが 95% (alertname=DiskFull, instance=db1)",
                    "resolved": "",
                    "num_firing": "1",
                    "num_resolved": "0",
                },
            },
            "client": "hinomi",
            "client_url": "http://hinomi:9093",
        })
    );
    assert_eq!(
        requests[1].json(),
        json!({"routing_key": "R0UT1NG", "event_action": "resolve", "dedup_key": dedup})
    );
}

#[tokio::test]
async fn opsgenie_creates_an_alert_and_closes_it_by_alias() {
    let peer = Peer::answering(
        202,
        r#"{"result":"Request will be processed","took":0.1,"requestId":"r1"}"#,
    )
    .await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    opsgenie_configs:\n      - api_key: og-key\n        api_url: {}/\n        priority: P1\n        tags: db,prod\n",
        peer.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    delivered(&send_receiver(&yaml, &message(false)).await);
    let requests = peer.requests();
    let alias = receivers::group_key_hash("{}:{alertname=\"DiskFull\"}");
    assert_eq!(requests[0].target, "/v2/alerts");
    assert_eq!(requests[0].header("authorization"), "GenieKey og-key");
    assert_eq!(
        requests[0].json(),
        json!({
            "alias": alias,
            "message": "[FIRING:1] DiskFull (db1)",
            "description": "[FIRING] ディスクが 95% (alertname=DiskFull, instance=db1)",
            "details": {"alertname": "DiskFull", "instance": "db1"},
            "source": "http://hinomi:9093",
            "tags": ["db", "prod"],
            "priority": "P1",
        })
    );
    assert_eq!(
        requests[1].target,
        format!("/v2/alerts/{alias}/close?identifierType=alias")
    );
    assert_eq!(requests[1].header("authorization"), "GenieKey og-key");
    assert_eq!(requests[1].json(), json!({"source": "http://hinomi:9093"}));
}

#[tokio::test]
async fn alertmanager_slack_and_teams_receivers_get_their_formats() {
    let slack = Peer::answering(200, "ok").await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    slack_configs:\n      - api_url: {}/services/x\n        channel: '#ops'\n        username: hinomi\n",
        slack.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    assert_eq!(
        slack.only().json(),
        json!({
            "channel": "#ops",
            "username": "hinomi",
            "text": "[FIRING:1] DiskFull (db1)",
            "attachments": [{
                "title": "[FIRING:1] DiskFull (db1)",
                "title_link": "http://hinomi:9093",
                "text": "[FIRING] ディスクが 95% (alertname=DiskFull, instance=db1)",
                "fallback": "[FIRING:1] DiskFull (db1)",
                "color": "danger",
                "mrkdwn_in": ["fallback", "pretext", "text"],
            }],
        })
    );

    let teams = Peer::answering(200, "1").await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    msteams_configs:\n      - webhook_url: {}/webhookb2/x\n",
        teams.url
    );
    delivered(&send_receiver(&yaml, &message(false)).await);
    assert_eq!(
        teams.only().json(),
        json!({
            "@context": "http://schema.org/extensions",
            "type": "MessageCard",
            "title": "[RESOLVED] DiskFull (db1)",
            "summary": "[RESOLVED] DiskFull (db1)",
            "text": "[RESOLVED] ディスクが 95% (alertname=DiskFull, instance=db1)",
            "themeColor": "2DC72D",
        })
    );

    let workflow = Peer::answering(202, "").await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    msteamsv2_configs:\n      - webhook_url: {}/workflows/x\n",
        workflow.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    let body = workflow.only().json();
    assert_eq!(body["type"], "message");
    let card = &body["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(
        card["body"][0],
        json!({"type": "TextBlock", "text": "[FIRING:1] DiskFull (db1)", "weight": "Bolder",
               "size": "Medium", "wrap": true, "style": "heading", "color": "Attention"})
    );
}

#[tokio::test]
async fn slack_web_api_receivers_send_the_token_from_http_config() {
    let slack = Peer::answering(200, r#"{"ok":false,"error":"invalid_auth"}"#).await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    slack_configs:\n      - api_url: {}/api/chat.postMessage\n        channel: C1\n        http_config:\n          authorization:\n            credentials: xoxb-am\n",
        slack.url
    );
    let report = send_receiver(&yaml, &message(true)).await;
    assert_eq!(
        report.error.as_deref(),
        Some("slack refused the message: invalid_auth")
    );
    assert_eq!(slack.only().header("authorization"), "Bearer xoxb-am");
}

/// A template file as Alertmanager users write them, in Japanese.
const SLACK_TMPL: &str = r#"{{ define "slack.custom.title" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} の警報
{{- end }}
{{ define "slack.custom.text" }}{{ range .Alerts }}・{{ .Annotations.summary }}（{{ .Labels.instance }}、{{ .StartsAt | tz "Asia/Tokyo" | date "1月2日 15:04" }} から）
{{ end }}{{ end }}"#;

#[tokio::test]
async fn slack_titles_texts_and_fields_come_from_templates() {
    let slack = Peer::answering(200, "ok").await;
    let yaml = format!(
        r#"route: {{receiver: r}}
receivers:
  - name: r
    slack_configs:
      - api_url: {}/services/x
        channel: '#{{{{ .CommonLabels.instance }}}}'
        title: '{{{{ template "slack.custom.title" . }}}}'
        text: '{{{{ template "slack.custom.text" . }}}}'
        pretext: '担当: {{{{ .Receiver }}}}'
        color: '{{{{ if eq .Status "firing" }}}}#d00000{{{{ else }}}}good{{{{ end }}}}'
        fields:
          - title: 重要度
            value: '{{{{ .CommonLabels.severity | printf "%q" }}}}'
          - title: 件数
            value: '{{{{ len .Alerts }}}}'
            short: false
        short_fields: true
"#,
        slack.url
    );
    delivered(&send_with_templates(&yaml, &[("slack.tmpl", SLACK_TMPL)], &message(true)).await);
    let body = slack.only().json();
    assert_eq!(body["channel"], "#db1");
    let attachment = &body["attachments"][0];
    assert_eq!(attachment["title"], "[FIRING:1] DiskFull の警報");
    assert_eq!(body["text"], "[FIRING:1] DiskFull の警報");
    assert_eq!(
        attachment["text"],
        "・ディスクが 95%（db1、12月1日 21:00 から）\n"
    );
    assert_eq!(attachment["pretext"], "担当: ops");
    assert_eq!(attachment["color"], "#d00000");
    assert_eq!(attachment["fallback"], "[FIRING:1] DiskFull の警報");
    assert_eq!(
        attachment["fields"],
        json!([
            {"title": "重要度", "value": "\"\"", "short": true},
            {"title": "件数", "value": "1", "short": false},
        ])
    );
}

#[tokio::test]
async fn a_template_that_fails_fails_the_notification_and_says_why() {
    let slack = Peer::answering(200, "ok").await;
    let yaml = format!(
        "route: {{receiver: r}}\nreceivers:\n  - name: r\n    slack_configs:\n      - api_url: {}/services/x\n        text: '{{{{ template \"slack.missing\" . }}}}'\n",
        slack.url
    );
    let report = send_receiver(&yaml, &message(true)).await;
    assert_eq!(
        report.error.as_deref(),
        Some("text: template: :1: executing \"\": template \"slack.missing\" not defined")
    );
    assert!(!report.retryable, "the same template would fail again");
    assert!(slack.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn pagerduty_opsgenie_and_teams_fields_are_templates() {
    let pagerduty = Peer::answering(202, "{}").await;
    let yaml = format!(
        r#"route: {{receiver: r}}
receivers:
  - name: r
    pagerduty_configs:
      - routing_key: R0UT1NG
        url: {}/v2/enqueue
        description: '{{{{ .CommonLabels.alertname }}}} が {{{{ .CommonLabels.instance }}}} で発生'
        severity: '{{{{ if .CommonLabels.severity }}}}{{{{ .CommonLabels.severity }}}}{{{{ else }}}}warning{{{{ end }}}}'
        details:
          概要: '{{{{ range .Alerts }}}}{{{{ .Annotations.summary }}}}{{{{ end }}}}'
"#,
        pagerduty.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    let event = pagerduty.only().json();
    assert_eq!(event["payload"]["summary"], "DiskFull が db1 で発生");
    assert_eq!(event["payload"]["severity"], "warning");
    assert_eq!(event["payload"]["custom_details"]["概要"], "ディスクが 95%");
    assert_eq!(event["payload"]["custom_details"]["num_firing"], "1");

    let opsgenie = Peer::answering(202, "{}").await;
    let yaml = format!(
        r#"route: {{receiver: r}}
receivers:
  - name: r
    opsgenie_configs:
      - api_key: og-key
        api_url: {}/
        message: '{{{{ template "opsgenie.default.message" . }}}}'
        description: '{{{{ .CommonLabels.SortedPairs }}}}'
        tags: '{{{{ .CommonLabels.Values | join "," }}}}'
        note: メモ
"#,
        opsgenie.url
    );
    delivered(&send_receiver(&yaml, &message(true)).await);
    let alert = opsgenie.only().json();
    assert_eq!(alert["message"], "[FIRING:1] DiskFull (db1)");
    assert_eq!(alert["description"], "alertname=DiskFull, instance=db1");
    assert_eq!(alert["tags"], json!(["DiskFull", "db1"]));
    assert_eq!(alert["note"], "メモ");

    let teams = Peer::answering(200, "1").await;
    let yaml = format!(
        r#"route: {{receiver: r}}
receivers:
  - name: r
    msteams_configs:
      - webhook_url: {}/webhookb2/x
        title: '{{{{ .Status | title }}}}: {{{{ .GroupLabels.alertname }}}}'
        text: '{{{{ template "__text_alert_list" .Alerts }}}}'
"#,
        teams.url
    );
    delivered(&send_receiver(&yaml, &message(false)).await);
    let card = teams.only().json();
    assert_eq!(card["title"], "Resolved: DiskFull");
    assert_eq!(card["summary"], "Resolved: DiskFull");
    assert_eq!(
        card["text"],
        "Labels:\n - alertname = DiskFull\n - instance = db1\nAnnotations:\n - summary = ディスクが 95%\nSource: http://prometheus/graph\n"
    );
}
