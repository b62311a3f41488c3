//! The channels' callbacks, black-box: a Slack button press and a voice call's keypad press
//! acknowledge a page, each signed as Slack and Twilio sign them; a bad or stale signature
//! is refused and changes nothing, and a used token acknowledges nothing twice. A Slack
//! slash command and a Teams outgoing webhook declare incidents, each signed as its channel
//! signs it.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;
use crate::paging::{detail, envelopes, fire, options, page_of, person, policy};

const SLACK_SECRET: &str = "slack-signing-secret";
const TWILIO_TOKEN: &str = "twilio-auth-token";
/// A Teams outgoing webhook's security token (base64, as Teams shows it).
const TEAMS_TOKEN: &str = "dGVhbXMgb3V0Z29pbmcgd2ViaG9vayB0b2tlbiEhIQ==";

fn inbound_options() -> Options {
    let mut o = options();
    o.env.extend([
        (
            "HINOMI_CHANNELS__SLACK__SIGNING_SECRET".to_owned(),
            SLACK_SECRET.to_owned(),
        ),
        (
            "HINOMI_CHANNELS__TWILIO__AUTH_TOKEN".to_owned(),
            TWILIO_TOKEN.to_owned(),
        ),
        (
            "HINOMI_CHANNELS__TEAMS__OUTGOING_WEBHOOK_SECRET".to_owned(),
            TEAMS_TOKEN.to_owned(),
        ),
    ]);
    o
}

/// The acknowledge action (token and link) of the first message of page `id`.
async fn acknowledge_action(server: &Server, id: &str) -> (String, String) {
    let sent = envelopes(server, &format!("page:{id}")).await;
    let (_, envelope) = sent.first().expect("a message for the page");
    let action = envelope["notice"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "acknowledge")
        .expect("an acknowledge action");
    let text = |k: &str| action[k].as_str().unwrap().to_owned();
    (text("token"), text("url"))
}

fn slack_signature(timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SLACK_SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn twilio_signature(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

both_databases!(
    a_slack_button_and_a_keypad_press_acknowledge_pages,
    |db| async move {
        let Some(server) = Server::start(db, inbound_options()).await else {
            return;
        };
        person(
            &server,
            "kenji",
            "responder",
            &[("slack", "C0123ABCD", 0), ("voice", "+819012345678", 0)],
        )
        .await;
        policy(&server, "primary", "5m", &[&["kenji"]], 0).await;
        let plain = reqwest::Client::new();

        // Slack: the button's value is the token; the request is signed.
        fire(&server, "DiskFull").await;
        let page = page_of(&server, "DiskFull").await;
        let id = page["id"].as_str().unwrap().to_owned();
        let (token, _) = acknowledge_action(&server, &id).await;
        let payload = json!({
            "type": "block_actions",
            "user": {"id": "U024BE7LH", "username": "kenji.sato"},
            "actions": [{"action_id": "hinomi_acknowledge", "value": token}],
        });
        let body = format!("payload={}", url_encode(&payload.to_string()));
        let url = format!("{}/integrations/slack/interactions", server.url);
        let send = |ts: i64, sig: String| {
            plain
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", sig)
                .body(body.clone())
                .send()
        };
        let now = now_secs();
        // A signature under another secret, and a replay from ten minutes ago: refused.
        let r = send(now, format!("v0={}", "ab".repeat(32))).await.unwrap();
        assert_eq!(r.status(), 401);
        let stale = now - 600;
        let r = send(stale, slack_signature(stale, &body)).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(detail(&server, &id).await["state"], "triggered");
        let r = send(now, slack_signature(now, &body)).await.unwrap();
        assert_eq!(r.status(), 200);
        let answer: Value = r.json().await.unwrap();
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("acknowledged by kenji"),
            "{answer}"
        );
        let d = detail(&server, &id).await;
        assert_eq!(d["state"], "acknowledged");
        assert_eq!(d["acknowledged_how"], "slack (kenji.sato)");
        // The same button again acknowledges nothing.
        let r = send(now, slack_signature(now, &body)).await.unwrap();
        let answer: Value = r.json().await.unwrap();
        assert!(
            answer["text"].as_str().unwrap().contains("already used"),
            "{answer}"
        );

        // Voice: Twilio posts the pressed key to the TwiML's action, signed.
        fire(&server, "CachePressure").await;
        let page = page_of(&server, "CachePressure").await;
        let id = page["id"].as_str().unwrap().to_owned();
        let (token, link) = acknowledge_action(&server, &id).await;
        let url = format!("{}/a/{token}/keypad", server.url);
        // Twilio signs the URL it was given in the TwiML: the link's keypad route at the
        // installation's external URL.
        let signed_url = format!("{link}/keypad");
        let params = [("CallSid", "CA123"), ("Digits", "1")];
        let press = |sig: String| {
            plain
                .post(&url)
                .header("x-twilio-signature", sig)
                .form(&params)
                .send()
        };
        let r = press(twilio_signature(&signed_url, &[("Digits", "1")]))
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "a signature over other fields");
        assert_eq!(detail(&server, &id).await["state"], "triggered");
        let r = press(twilio_signature(&signed_url, &params)).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml")
        );
        let twiml = r.text().await.unwrap();
        assert!(twiml.contains("確認しました"), "{twiml}");
        let d = detail(&server, &id).await;
        assert_eq!(d["state"], "acknowledged");
        assert_eq!(d["acknowledged_how"], "voice");
        let twiml = press(twilio_signature(&signed_url, &params))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(twiml.contains("すでに確認済み"), "{twiml}");
    }
);

both_databases!(
    incidents_are_declared_from_slack_and_teams,
    |db| async move {
        let Some(server) = Server::start(db, inbound_options()).await else {
            return;
        };
        let plain = reqwest::Client::new();

        // Slack: `/incident declare SEV1 ...`, form-encoded and signed.
        let slack = |body: String, ts: i64, sig: String| {
            plain
                .post(format!("{}/integrations/slack/commands", server.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", sig)
                .body(body)
                .send()
        };
        let body = format!(
            "command=%2Fincident&user_id=U024BE7LH&user_name=kenji.sato&text={}",
            url_encode("declare SEV1 受注システム全面障害")
        );
        let now = now_secs();
        let r = slack(body.clone(), now, format!("v0={}", "ab".repeat(32)))
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(server.get_json("/api/v1/incidents").await, json!([]));
        let r = slack(body.clone(), now, slack_signature(now, &body))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["response_type"], "in_channel");
        let text = answer["text"].as_str().unwrap();
        assert!(
            text.contains("INC-1 を宣言しました / INC-1 declared: SEV1 受注システム全面障害"),
            "{text}"
        );
        assert!(text.contains("/incidents/INC-1"), "{text}");
        let inc = server.get_json("/api/v1/incidents/INC-1").await;
        assert_eq!(inc["severity"], "SEV1");
        assert_eq!(inc["declared_by"], "slack:kenji.sato");

        // A command hinomi cannot read is answered with the usage, and declares nothing.
        let bad = format!("user_name=kenji.sato&text={}", url_encode("declare P1 x"));
        let r = slack(bad.clone(), now, slack_signature(now, &bad))
            .await
            .unwrap();
        let answer: Value = r.json().await.unwrap();
        assert!(
            answer["text"].as_str().unwrap().contains("severity"),
            "{answer}"
        );
        let help = "user_name=kenji.sato&text=help".to_owned();
        let r = slack(help.clone(), now, slack_signature(now, &help))
            .await
            .unwrap();
        let answer: Value = r.json().await.unwrap();
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("declare <SEV1-SEV4>"),
            "{answer}"
        );

        // Teams: a message mentioning hinomi, signed with the outgoing webhook's token.
        let activity = json!({
            "type": "message",
            "text": "<at>hinomi</at>&nbsp;宣言 SEV2 決済の遅延",
            "from": {"id": "29:1", "name": "佐藤 健二"},
        })
        .to_string();
        let teams = |auth: String| {
            plain
                .post(format!("{}/integrations/teams/commands", server.url))
                .header("content-type", "application/json")
                .header("authorization", auth)
                .body(activity.clone())
                .send()
        };
        let r = teams("HMAC AAAA".into()).await.unwrap();
        assert_eq!(r.status(), 401);
        let key = base64::engine::general_purpose::STANDARD
            .decode(TEAMS_TOKEN)
            .unwrap();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(activity.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let r = teams(format!("HMAC {sig}")).await.unwrap();
        assert_eq!(r.status(), 200);
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["type"], "message");
        assert!(
            answer["text"].as_str().unwrap().contains("INC-2"),
            "{answer}"
        );
        let inc = server.get_json("/api/v1/incidents/INC-2").await;
        assert_eq!(
            (inc["severity"].as_str(), inc["title"].as_str()),
            (Some("SEV2"), Some("決済の遅延"))
        );
        assert_eq!(inc["declared_by"], "teams:佐藤 健二");
        assert!(server.terminate().await.success());
    }
);
