//! Webhook receivers: Alertmanager's version 4 JSON payload, and the HTTP client that posts
//! it with the receiver's `http_config` credentials.

use std::time::{Duration, Instant};

use hinomi_core::{Alert, HttpConfig, LabelSet, WebhookConfig, time};
use serde::Serialize;

use crate::SendReport;

/// One group notification, before it is rendered for a receiver.
#[derive(Debug)]
pub struct Notification<'a> {
    pub receiver: &'a str,
    pub group_key: &'a str,
    pub group_labels: &'a LabelSet,
    pub external_url: &'a str,
    /// The alerts to report, firing and resolved, at `now`.
    pub alerts: Vec<&'a Alert>,
    pub now: i64,
}

#[derive(Serialize)]
struct Message<'a> {
    receiver: &'a str,
    status: &'static str,
    alerts: Vec<MessageAlert<'a>>,
    #[serde(rename = "groupLabels")]
    group_labels: &'a LabelSet,
    #[serde(rename = "commonLabels")]
    common_labels: LabelSet,
    #[serde(rename = "commonAnnotations")]
    common_annotations: LabelSet,
    #[serde(rename = "externalURL")]
    external_url: &'a str,
    version: &'static str,
    #[serde(rename = "groupKey")]
    group_key: &'a str,
    #[serde(rename = "truncatedAlerts")]
    truncated_alerts: u64,
}

#[derive(Serialize)]
struct MessageAlert<'a> {
    status: &'static str,
    labels: &'a LabelSet,
    annotations: &'a LabelSet,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt")]
    ends_at: String,
    #[serde(rename = "generatorURL")]
    generator_url: &'a str,
    fingerprint: String,
}

/// Pairs present with the same value in every set.
fn common<'a>(mut sets: impl Iterator<Item = &'a LabelSet>) -> LabelSet {
    let Some(first) = sets.next() else {
        return LabelSet::new();
    };
    let mut out = first.clone();
    for set in sets {
        let gone: Vec<String> = out
            .iter()
            .filter(|(k, v)| set.get(k) != Some(*v))
            .map(|(k, _)| k.to_owned())
            .collect();
        for k in gone {
            out.remove(&k);
        }
    }
    out
}

/// Alertmanager's alert order in notifications and groups: by `job`, then `instance`
/// (alerts without the label last), then by the whole label set.
pub fn alert_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    for key in ["job", "instance"] {
        match (a.labels.get(key), b.labels.get(key)) {
            (None, None) => continue,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            (Some(_), None) => return std::cmp::Ordering::Less,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
    }
    label_set_order(&a.labels, &b.labels)
}

/// Prometheus' `LabelSet.Before`: smaller sets first, then by the sorted union of names,
/// where the set lacking a name comes first.
pub fn label_set_order(a: &LabelSet, b: &LabelSet) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    let mut names: Vec<&str> = a
        .iter()
        .map(|(k, _)| k)
        .chain(b.iter().map(|(k, _)| k))
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        match (a.get(name), b.get(name)) {
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
    }
    Ordering::Equal
}

/// Renders the version 4 payload for one webhook. Returns `None` when nothing is left to
/// send (every alert resolved and the receiver does not want resolved notifications).
pub fn render(n: &Notification<'_>, config: &WebhookConfig) -> Option<String> {
    let mut alerts: Vec<&Alert> = n
        .alerts
        .iter()
        .copied()
        .filter(|a| config.send_resolved || !a.resolved_at(n.now))
        .collect();
    if alerts.is_empty() {
        return None;
    }
    alerts.sort_by(|a, b| alert_order(a, b));
    let any_firing = alerts.iter().any(|a| !a.resolved_at(n.now));
    let total = alerts.len() as u64;
    let common_labels = common(alerts.iter().map(|a| &a.labels));
    let common_annotations = common(alerts.iter().map(|a| &a.annotations));
    let truncated = if config.max_alerts > 0 && total > config.max_alerts {
        alerts.truncate(config.max_alerts as usize);
        total - config.max_alerts
    } else {
        0
    };
    let message = Message {
        receiver: n.receiver,
        status: if any_firing { "firing" } else { "resolved" },
        alerts: alerts
            .iter()
            .map(|a| {
                let resolved = a.resolved_at(n.now);
                MessageAlert {
                    status: if resolved { "resolved" } else { "firing" },
                    labels: &a.labels,
                    annotations: &a.annotations,
                    starts_at: time::format_nano(a.starts_at),
                    // The dispatcher zeroes a firing alert's end, so it never looks resolved.
                    ends_at: time::format_nano(if resolved { a.ends_at } else { 0 }),
                    generator_url: &a.generator_url,
                    fingerprint: a.fingerprint().to_string(),
                }
            })
            .collect(),
        group_labels: n.group_labels,
        common_labels,
        common_annotations,
        external_url: n.external_url,
        version: "4",
        group_key: n.group_key,
        truncated_alerts: truncated,
    };
    Some(serde_json::to_string(&message).expect("the webhook message always serialises"))
}

/// Posts payloads to webhooks. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    default_timeout: Duration,
}

impl WebhookSender {
    pub fn new(default_timeout: Duration, user_agent: &str) -> WebhookSender {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(default_timeout)
            .pool_max_idle_per_host(16)
            .build()
            .expect("the HTTP client builds with static settings");
        WebhookSender {
            client,
            default_timeout,
        }
    }

    /// Sends one payload. Any 2xx is delivered; 4xx other than 408 and 429 is final.
    pub async fn send(&self, config: &WebhookConfig, payload: String) -> (SendReport, Duration) {
        let started = Instant::now();
        let timeout = config
            .timeout_ms
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms as u64))
            .unwrap_or(self.default_timeout);
        let request = authorize(self.client.post(&config.url), &config.http)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(payload);
        let report = match request.send().await {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    SendReport {
                        status_code: Some(status.as_u16()),
                        error: None,
                        retryable: false,
                    }
                } else {
                    let body = response.text().await.unwrap_or_default();
                    let snippet: String = body.chars().take(512).collect();
                    SendReport {
                        status_code: Some(status.as_u16()),
                        error: Some(format!("unexpected status {status}: {snippet}")),
                        retryable: status.is_server_error()
                            || status == reqwest::StatusCode::REQUEST_TIMEOUT
                            || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
                    }
                }
            }
            Err(e) => SendReport {
                status_code: None,
                // reqwest's message names the URL, which never carries credentials here:
                // those travel in headers.
                error: Some(format!("{e}")),
                retryable: true,
            },
        };
        (report, started.elapsed())
    }
}

fn authorize(request: reqwest::RequestBuilder, http: &HttpConfig) -> reqwest::RequestBuilder {
    if let Some((user, password)) = &http.basic_auth {
        return request.basic_auth(user, Some(password));
    }
    if let Some((kind, credentials)) = &http.authorization {
        return request.header(
            reqwest::header::AUTHORIZATION,
            format!("{kind} {credentials}"),
        );
    }
    if let Some(token) = &http.bearer_token {
        return request.bearer_auth(token);
    }
    request
}
