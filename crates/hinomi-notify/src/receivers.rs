//! Alertmanager's receiver kinds besides webhooks: a group notification (the version 4
//! [`Message`] the flush stored) turned at send time into what each service accepts:
//! an email, a Slack message (incoming webhook or `chat.postMessage`), a PagerDuty event
//! (Events API v2, or v1 with a service key), an Opsgenie alert (created, and closed when
//! the group resolves), a Microsoft Teams card (a connector's message card, or a workflow's
//! Adaptive Card). Credentials and URLs kept in files are read
//! at each send, as Alertmanager does.
//!
//! A field the configuration sets (`title`, `text`, `html`, `details` ...) is a Go
//! template evaluated here over the message ([`Texts`]); a field left unset gets the
//! default text, after Alertmanager's default templates: the title `[FIRING:2] DiskFull
//! db1`, then one line per alert. A template that fails to evaluate fails the
//! notification, as in Alertmanager: nothing is sent, the delivery log says which field
//! failed and why, and it is not retried (the same template would fail again).

use std::collections::BTreeMap;
use std::time::Duration;

use hinomi_core::gotemplate::{self, Data, Env};
use hinomi_core::{
    EmailConfig, Integration, MsteamsConfig, OpsgenieConfig, PagerdutyConfig, SlackConfig,
    Templates,
};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::channels::email::{self, Charset, Mail, SmtpServer, SmtpTls};
use crate::webhook::{Message, MessageAlert, WebhookSender};
use crate::{SendReport, read_secret, templates::escape_html};

/// Why a message was not handed to its peer.
#[derive(Debug)]
pub enum Failure {
    /// A file that cannot be read now may be there on the next try.
    Retry(String),
    /// A template that failed will fail again.
    Final(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Failure {
        Failure::Retry(e)
    }
}

/// Sends a stored group notification to a non-webhook integration (a webhook's payload is
/// sent as it is, by [`WebhookSender::send`]), evaluating the integration's templates
/// against `templates`.
pub async fn send(
    sender: &WebhookSender,
    templates: &Templates,
    integration: Integration<'_>,
    payload: &str,
    timeout: Duration,
    now: i64,
) -> SendReport {
    let message: Message = match serde_json::from_str(payload) {
        Ok(m) => m,
        Err(e) => {
            return SendReport::failed(format!("the stored message is not readable: {e}"), false);
        }
    };
    let texts = Texts::new(templates, &message, now);
    let result = match integration {
        Integration::Webhook(c) => Ok(sender.send(c, payload.to_owned()).await.0),
        Integration::Email(c) => send_email(c, &texts, timeout, now).await,
        Integration::Slack(c) => send_slack(sender, c, &texts).await,
        Integration::Pagerduty(c) => send_pagerduty(sender, c, &texts).await,
        Integration::Opsgenie(c) => send_opsgenie(sender, c, &texts).await,
        Integration::Msteams(c) => match msteams_body(c, &texts) {
            Ok(body) => send_msteams(sender, c, body).await,
            Err(e) => Err(e),
        },
        Integration::MsteamsV2(c) => match msteams_v2_body(c, &texts) {
            Ok(body) => send_msteams(sender, c, body).await,
            Err(e) => Err(e),
        },
    };
    result.unwrap_or_else(|e| match e {
        Failure::Retry(e) => SendReport::failed(e, true),
        Failure::Final(e) => SendReport::failed(e, false),
    })
}

/// A message and the templates its integration's fields are evaluated with.
#[derive(Debug)]
pub struct Texts<'a> {
    templates: &'a Templates,
    pub message: &'a Message,
    data: Data,
    now: Timestamp,
}

fn zone(name: &str) -> Option<TimeZone> {
    jiff::tz::db().get(name).ok()
}

impl<'a> Texts<'a> {
    /// `now` is UTC epoch milliseconds (templates' `since`).
    pub fn new(templates: &'a Templates, message: &'a Message, now: i64) -> Texts<'a> {
        let alerts = message
            .alerts
            .iter()
            .map(|a| gotemplate::Alert {
                status: a.status.clone(),
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at: gotemplate::Alert::time(&a.starts_at),
                ends_at: gotemplate::Alert::time(&a.ends_at),
                generator_url: a.generator_url.clone(),
                fingerprint: a.fingerprint.clone(),
            })
            .collect();
        Texts {
            templates,
            message,
            data: Data {
                receiver: message.receiver.clone(),
                status: message.status.clone(),
                alerts,
                group_labels: message.group_labels.clone(),
                common_labels: message.common_labels.clone(),
                common_annotations: message.common_annotations.clone(),
                external_url: message.external_url.clone(),
            },
            now: Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    fn run(&self, field: &str, text: &str, html: bool) -> Result<String, Failure> {
        let env = Env {
            now: self.now,
            zone: &zone,
        };
        self.templates
            .render(text, &self.data, &env, html)
            .map_err(|e| Failure::Final(format!("{field}: {e}")))
    }

    /// A text field evaluated; an error names `field`.
    pub fn text(&self, field: &str, text: &str) -> Result<String, Failure> {
        self.run(field, text, false)
    }

    /// A field set in the configuration, evaluated, or else `default`.
    pub fn or(
        &self,
        field: &str,
        text: &Option<String>,
        default: impl FnOnce() -> String,
    ) -> Result<String, Failure> {
        match text {
            Some(t) => self.text(field, t),
            None => Ok(default()),
        }
    }

    fn map(
        &self,
        field: &str,
        map: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Failure> {
        map.iter()
            .map(|(k, v)| Ok((k.clone(), self.text(&format!("{field}.{k}"), v)?)))
            .collect()
    }
}

/// Alertmanager's default title: `[FIRING:2] <group label values> (<other common label
/// values>)`, or `[RESOLVED] ...`.
pub fn title(m: &Message) -> String {
    let firing = m.alerts.iter().filter(|a| a.status == "firing").count();
    let status = if m.firing() {
        format!("FIRING:{firing}")
    } else {
        "RESOLVED".to_owned()
    };
    let group: Vec<&str> = m.group_labels.values().map(String::as_str).collect();
    let mut out = format!("[{status}] {}", group.join(" "));
    let rest: Vec<&str> = m
        .common_labels
        .iter()
        .filter(|(k, _)| !m.group_labels.contains_key(*k))
        .map(|(_, v)| v.as_str())
        .collect();
    if !rest.is_empty() {
        out.push_str(&format!(" ({})", rest.join(" ")));
    }
    out
}

/// One line per alert: its state, its summary (or name), its labels.
fn alert_lines<'a>(alerts: impl Iterator<Item = &'a MessageAlert>) -> Vec<String> {
    alerts
        .map(|a| {
            let name = a
                .annotations
                .get("summary")
                .or_else(|| a.annotations.get("description"))
                .or_else(|| a.labels.get("alertname"))
                .map_or("", String::as_str);
            let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "[{}] {name} ({})",
                a.status.to_ascii_uppercase(),
                labels.join(", ")
            )
        })
        .collect()
}

fn body(m: &Message) -> String {
    let mut out = alert_lines(m.alerts.iter()).join("\n");
    if m.truncated_alerts > 0 {
        out.push_str(&format!("\n(+{} more)", m.truncated_alerts));
    }
    out
}

/// Alertmanager's dedup key: the SHA-256 of the group key, in hex.
pub fn group_key_hash(group_key: &str) -> String {
    hex::encode(Sha256::digest(group_key.as_bytes()))
}

/// A value given inline or in a file (read now).
async fn inline_or_file(inline: &str, file: Option<&String>) -> Result<String, String> {
    match file {
        Some(path) if inline.is_empty() => read_secret(path).await,
        _ => Ok(inline.to_owned()),
    }
}

async fn send_email(
    c: &EmailConfig,
    t: &Texts<'_>,
    timeout: Duration,
    now: i64,
) -> Result<SendReport, Failure> {
    let m = t.message;
    let (host, port) = c
        .smarthost
        .rsplit_once(':')
        .ok_or_else(|| format!("smarthost {:?} is not host:port", c.smarthost))?;
    let server = SmtpServer {
        host: host.trim_matches(['[', ']']).to_owned(),
        port: port
            .parse()
            .map_err(|_| format!("smarthost {:?} has no port number", c.smarthost))?,
        tls: if c.force_implicit_tls {
            SmtpTls::Implicit
        } else if c.require_tls {
            SmtpTls::Starttls
        } else {
            SmtpTls::None
        },
        username: c.auth_username.clone(),
        password: inline_or_file(&c.auth_password, c.auth_password_file.as_ref()).await?,
        hello: c.hello.clone(),
    };
    let to: Vec<String> = t
        .text("to", &c.to)?
        .split(',')
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    let subject = t.or("subject", &c.subject, || title(m))?;
    let text = t.or("text", &c.text, || {
        format!("{}\n\n{}\n", body(m), m.external_url)
    })?;
    let html = match &c.html {
        Some(html) => t.run("html", html, true)?,
        None => {
            let mut html = format!("<h1>{}</h1>\n<ul>\n", escape_html(&subject));
            for line in alert_lines(m.alerts.iter()) {
                html.push_str(&format!("<li>{}</li>\n", escape_html(&line)));
            }
            html.push_str(&format!(
                "</ul>\n<p><a href=\"{0}\">{0}</a></p>\n",
                escape_html(&m.external_url)
            ));
            html
        }
    };
    let headers: Vec<(String, String)> = t.map("headers", &c.headers)?.into_iter().collect();
    let mail = Mail {
        from: &c.from,
        from_name: "",
        to: &to,
        subject: &subject,
        text: &text,
        html: Some(&html),
        headers: &headers,
    };
    let message = email::compose(&mail, Charset::Utf8, now);
    Ok(email::send(&server, timeout, &c.from, &to, &message).await)
}

/// The Slack message Alertmanager sends: one attachment, red while firing.
pub fn slack_body(c: &SlackConfig, t: &Texts<'_>) -> Result<Value, Failure> {
    let m = t.message;
    let title = t.or("title", &c.title, || title(m))?;
    let mut attachment = json!({
        "title": title,
        "title_link": t.or("title_link", &c.title_link, || m.external_url.clone())?,
        "text": t.or("text", &c.text, || body(m))?,
        "fallback": t.or("fallback", &c.fallback, || title.clone())?,
        "color": t.or("color", &c.color, || {
            if m.firing() { "danger" } else { "good" }.to_owned()
        })?,
        "mrkdwn_in": ["fallback", "pretext", "text"],
    });
    for (key, value) in [("pretext", &c.pretext), ("footer", &c.footer)] {
        let value = t.or(key, value, String::new)?;
        if !value.is_empty() {
            attachment[key] = json!(value);
        }
    }
    if !c.fields.is_empty() {
        let fields = c
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Ok(json!({
                    "title": t.text(&format!("fields[{i}].title"), &f.title)?,
                    "value": t.text(&format!("fields[{i}].value"), &f.value)?,
                    "short": f.short.unwrap_or(c.short_fields),
                }))
            })
            .collect::<Result<Vec<Value>, Failure>>()?;
        attachment["fields"] = json!(fields);
    }
    let mut out = json!({"text": title, "attachments": [attachment]});
    for (key, value) in [
        ("channel", &c.channel),
        ("username", &c.username),
        ("icon_emoji", &c.icon_emoji),
        ("icon_url", &c.icon_url),
    ] {
        let value = t.text(key, value)?;
        if !value.is_empty() {
            out[key] = json!(value);
        }
    }
    Ok(out)
}

async fn send_slack(
    sender: &WebhookSender,
    c: &SlackConfig,
    t: &Texts<'_>,
) -> Result<SendReport, Failure> {
    let body = slack_body(c, t)?;
    let url = inline_or_file(&c.api_url, c.api_url_file.as_ref()).await?;
    let request = sender.post_to(&url, &c.http, None).await?;
    let request = request.body(body.to_string());
    Ok(
        if url.trim_end_matches('/').ends_with("/chat.postMessage") {
            crate::channels::slack::post_web_api(request).await
        } else {
            crate::channels::post(request).await
        },
    )
}

/// The PagerDuty event: Events API v2 (trigger or resolve, `dedup_key` the group key's
/// hash), or v1 with a service key. Configured `details` are added to (or replace) the
/// default ones, as in Alertmanager.
pub fn pagerduty_body(c: &PagerdutyConfig, key: &str, t: &Texts<'_>) -> Result<Value, Failure> {
    let m = t.message;
    let dedup = group_key_hash(&m.group_key);
    let action = if m.firing() { "trigger" } else { "resolve" };
    let summary: String = t
        .or("description", &c.description, || title(m))?
        .chars()
        .take(1024)
        .collect();
    let client_url = t.text("client_url", &c.client_url)?;
    let client_url = if client_url.is_empty() {
        m.external_url.clone()
    } else {
        client_url
    };
    let client = t.text("client", &c.client)?;
    let (firing, resolved): (Vec<&MessageAlert>, Vec<&MessageAlert>) =
        m.alerts.iter().partition(|a| a.status == "firing");
    let mut details = json!({
        "firing": alert_lines(firing.iter().copied()).join("\n"),
        "resolved": alert_lines(resolved.iter().copied()).join("\n"),
        "num_firing": firing.len().to_string(),
        "num_resolved": resolved.len().to_string(),
    });
    if let Some(own) = &c.details {
        for (k, v) in t.map("details", own)? {
            details[k] = json!(v);
        }
    }
    if c.events_v1() {
        return Ok(json!({
            "service_key": key,
            "event_type": action,
            "incident_key": dedup,
            "description": summary,
            "client": client,
            "client_url": client_url,
            "details": details,
        }));
    }
    if action == "resolve" {
        return Ok(json!({"routing_key": key, "event_action": action, "dedup_key": dedup}));
    }
    let source = t.text("source", &c.source)?;
    let mut payload = json!({
        "summary": summary,
        "source": if source.is_empty() { &client } else { &source },
        "severity": t.text("severity", &c.severity)?,
        "custom_details": details,
    });
    for (k, v) in [
        ("class", &c.class),
        ("component", &c.component),
        ("group", &c.group),
    ] {
        let v = t.text(k, v)?;
        if !v.is_empty() {
            payload[k] = json!(v);
        }
    }
    Ok(json!({
        "routing_key": key,
        "event_action": action,
        "dedup_key": dedup,
        "payload": payload,
        "client": client,
        "client_url": client_url,
    }))
}

async fn send_pagerduty(
    sender: &WebhookSender,
    c: &PagerdutyConfig,
    t: &Texts<'_>,
) -> Result<SendReport, Failure> {
    let key = if c.events_v1() {
        inline_or_file(&c.service_key, c.service_key_file.as_ref()).await?
    } else {
        inline_or_file(&c.routing_key, c.routing_key_file.as_ref()).await?
    };
    let body = pagerduty_body(c, &key, t)?;
    let request = sender.post_to(&c.url, &c.http, c.timeout_ms).await?;
    Ok(crate::channels::post(request.body(body.to_string())).await)
}

/// The Opsgenie request: create an alert whose alias is the group key's hash while the
/// group fires, close it by that alias when it resolves. Answers the URL and the body.
pub fn opsgenie_request(c: &OpsgenieConfig, t: &Texts<'_>) -> Result<(String, Value), Failure> {
    let m = t.message;
    let alias = group_key_hash(&m.group_key);
    let source = t.text("source", &c.source)?;
    let source = if source.is_empty() {
        m.external_url.clone()
    } else {
        source
    };
    if !m.firing() {
        return Ok((
            format!("{}v2/alerts/{alias}/close?identifierType=alias", c.api_url),
            json!({"source": source}),
        ));
    }
    let message: String = t
        .or("message", &c.message, || title(m))?
        .chars()
        .take(130)
        .collect();
    let description: String = t
        .or("description", &c.description, || body(m))?
        .chars()
        .take(15_000)
        .collect();
    let details = match &c.details {
        Some(own) => t.map("details", own)?,
        None => m.common_labels.clone(),
    };
    let mut out = json!({
        "alias": alias,
        "message": message,
        "description": description,
        "details": details,
        "source": source,
    });
    let tags = t.text("tags", &c.tags)?;
    let tags: Vec<&str> = tags
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if !tags.is_empty() {
        out["tags"] = json!(tags);
    }
    for (key, value) in [
        ("priority", &c.priority),
        ("entity", &c.entity),
        ("note", c.note.as_ref().unwrap_or(&String::new())),
    ] {
        let value = t.text(key, value)?;
        if !value.is_empty() {
            out[key] = json!(value);
        }
    }
    Ok((format!("{}v2/alerts", c.api_url), out))
}

async fn send_opsgenie(
    sender: &WebhookSender,
    c: &OpsgenieConfig,
    t: &Texts<'_>,
) -> Result<SendReport, Failure> {
    let (url, body) = opsgenie_request(c, t)?;
    let key = inline_or_file(&c.api_key, c.api_key_file.as_ref()).await?;
    let mut request = sender.post_to(&url, &c.http, None).await?;
    if c.http.effective_authorization().is_none() && c.http.basic_auth.is_none() {
        request = request.header(reqwest::header::AUTHORIZATION, format!("GenieKey {key}"));
    }
    Ok(crate::channels::post(request.body(body.to_string())).await)
}

/// The Office 365 connector card Alertmanager sends to Teams.
pub fn msteams_body(c: &MsteamsConfig, t: &Texts<'_>) -> Result<Value, Failure> {
    let m = t.message;
    let title = t.or("title", &c.title, || title(m))?;
    Ok(json!({
        "@context": "http://schema.org/extensions",
        "type": "MessageCard",
        "summary": t.or("summary", &c.summary, || title.clone())?,
        "title": title,
        "text": t.or("text", &c.text, || alert_lines(m.alerts.iter()).join("\n\n"))?,
        "themeColor": if m.firing() { "8C1A1A" } else { "2DC72D" },
    }))
}

/// The Adaptive Card Alertmanager sends to a Teams workflow (`msteamsv2_configs`).
pub fn msteams_v2_body(c: &MsteamsConfig, t: &Texts<'_>) -> Result<Value, Failure> {
    let m = t.message;
    let title = t.or("title", &c.title, || title(m))?;
    let text = t.or("text", &c.text, || {
        alert_lines(m.alerts.iter()).join("\n\n")
    })?;
    Ok(crate::channels::teams::message(json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium",
             "wrap": true, "style": "heading", "color": if m.firing() { "Attention" } else { "Good" }},
            {"type": "TextBlock", "text": text, "wrap": true},
        ],
        "msteams": {"width": "full"},
    })))
}

async fn send_msteams(
    sender: &WebhookSender,
    c: &MsteamsConfig,
    body: Value,
) -> Result<SendReport, Failure> {
    let url = inline_or_file(&c.webhook_url, c.webhook_url_file.as_ref()).await?;
    let request = sender.post_to(&url, &c.http, None).await?;
    Ok(crate::channels::post(request.body(body.to_string())).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(crate) fn message(firing: bool) -> Message {
        let status = if firing { "firing" } else { "resolved" };
        Message {
            receiver: "ops".into(),
            status: status.into(),
            alerts: vec![MessageAlert {
                status: status.into(),
                labels: map(&[
                    ("alertname", "DiskFull"),
                    ("instance", "db1"),
                    ("severity", "critical"),
                ]),
                annotations: map(&[("summary", "ディスクが 95%")]),
                starts_at: "2026-12-01T12:00:00Z".into(),
                ends_at: "0001-01-01T00:00:00Z".into(),
                generator_url: "http://prometheus/graph".into(),
                fingerprint: "0123456789abcdef".into(),
            }],
            group_labels: map(&[("alertname", "DiskFull")]),
            common_labels: map(&[
                ("alertname", "DiskFull"),
                ("instance", "db1"),
                ("severity", "critical"),
            ]),
            common_annotations: map(&[]),
            external_url: "http://hinomi:9093".into(),
            version: "4".into(),
            group_key: "{}:{alertname=\"DiskFull\"}".into(),
            truncated_alerts: 0,
        }
    }

    #[test]
    fn titles_follow_alertmanagers_default() {
        assert_eq!(title(&message(true)), "[FIRING:1] DiskFull (db1 critical)");
        assert_eq!(title(&message(false)), "[RESOLVED] DiskFull (db1 critical)");
    }

    #[test]
    fn the_dedup_key_is_the_group_keys_sha256() {
        assert_eq!(
            group_key_hash("{}:{alertname=\"DiskFull\"}"),
            hex::encode(Sha256::digest(b"{}:{alertname=\"DiskFull\"}"))
        );
        assert_eq!(group_key_hash("").len(), 64);
    }

    #[test]
    fn pagerduty_resolves_what_it_triggered() {
        let c = hinomi_core::Config::parse(
            "route: {receiver: r}\nreceivers:\n  - name: r\n    pagerduty_configs: [{routing_key: k, component: db}]\n",
        )
        .unwrap()
        .receivers[0]
            .pagerduties[0]
            .clone();
        let set = Templates::default();
        let (firing, resolved) = (message(true), message(false));
        let trigger = pagerduty_body(&c, "k", &Texts::new(&set, &firing, 0)).unwrap();
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["payload"]["severity"], "error");
        assert_eq!(trigger["payload"]["component"], "db");
        assert_eq!(
            trigger["payload"]["summary"],
            "[FIRING:1] DiskFull (db1 critical)"
        );
        let resolve = pagerduty_body(&c, "k", &Texts::new(&set, &resolved, 0)).unwrap();
        assert_eq!(
            resolve,
            json!({"routing_key": "k", "event_action": "resolve", "dedup_key": trigger["dedup_key"]})
        );
    }

    #[test]
    fn opsgenie_closes_by_alias() {
        let c = hinomi_core::Config::parse(
            "route: {receiver: r}\nreceivers:\n  - name: r\n    opsgenie_configs: [{api_key: k, api_url: 'http://og', tags: 'db, prod', priority: P2}]\n",
        )
        .unwrap()
        .receivers[0]
            .opsgenies[0]
            .clone();
        let set = Templates::default();
        let (firing, resolved) = (message(true), message(false));
        let (url, body) = opsgenie_request(&c, &Texts::new(&set, &firing, 0)).unwrap();
        assert_eq!(url, "http://og/v2/alerts");
        assert_eq!(body["tags"], json!(["db", "prod"]));
        assert_eq!(body["priority"], "P2");
        let alias = body["alias"].as_str().unwrap().to_owned();
        let (url, body) = opsgenie_request(&c, &Texts::new(&set, &resolved, 0)).unwrap();
        assert_eq!(
            url,
            format!("http://og/v2/alerts/{alias}/close?identifierType=alias")
        );
        assert_eq!(body, json!({"source": "http://hinomi:9093"}));
    }
}
