//! Webhook receivers: Alertmanager's version 4 JSON payload, and the HTTP client that posts
//! it with the receiver's `http_config` credentials.

use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use hinomi_core::{Alert, LabelSet, WebhookConfig, time};
use serde::{Deserialize, Serialize};

use crate::{SendReport, read_secret};

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

/// Alertmanager's version 4 message: the body of a webhook, and the payload the other
/// receiver kinds ([`crate::receivers`]) turn into their own wire formats at send time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub receiver: String,
    pub status: String,
    pub alerts: Vec<MessageAlert>,
    #[serde(rename = "groupLabels")]
    pub group_labels: BTreeMap<String, String>,
    #[serde(rename = "commonLabels")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(rename = "commonAnnotations")]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub version: String,
    #[serde(rename = "groupKey")]
    pub group_key: String,
    #[serde(rename = "truncatedAlerts")]
    pub truncated_alerts: u64,
}

/// One alert of a [`Message`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAlert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
}

impl Message {
    pub fn firing(&self) -> bool {
        self.status == "firing"
    }
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

/// Renders the version 4 payload for one integration. Returns `None` when nothing is left
/// to send (every alert resolved and the integration does not want resolved
/// notifications). `max_alerts` 0 is no limit.
pub fn render(n: &Notification<'_>, send_resolved: bool, max_alerts: u64) -> Option<String> {
    let mut alerts: Vec<&Alert> = n
        .alerts
        .iter()
        .copied()
        .filter(|a| send_resolved || !a.resolved_at(n.now))
        .collect();
    if alerts.is_empty() {
        return None;
    }
    alerts.sort_by(|a, b| alert_order(a, b));
    let any_firing = alerts.iter().any(|a| !a.resolved_at(n.now));
    let total = alerts.len() as u64;
    let common_labels = common(alerts.iter().map(|a| &a.labels));
    let common_annotations = common(alerts.iter().map(|a| &a.annotations));
    let truncated = if max_alerts > 0 && total > max_alerts {
        alerts.truncate(max_alerts as usize);
        total - max_alerts
    } else {
        0
    };
    let message = Message {
        receiver: n.receiver.to_owned(),
        status: if any_firing { "firing" } else { "resolved" }.to_owned(),
        alerts: alerts
            .iter()
            .map(|a| {
                let resolved = a.resolved_at(n.now);
                MessageAlert {
                    status: if resolved { "resolved" } else { "firing" }.to_owned(),
                    labels: a.labels.as_map().clone(),
                    annotations: a.annotations.as_map().clone(),
                    starts_at: time::format_nano(a.starts_at),
                    // The dispatcher zeroes a firing alert's end, so it never looks resolved.
                    ends_at: time::format_nano(if resolved { a.ends_at } else { 0 }),
                    generator_url: a.generator_url.clone(),
                    fingerprint: a.fingerprint().to_string(),
                }
            })
            .collect(),
        group_labels: n.group_labels.as_map().clone(),
        common_labels: common_labels.into_inner(),
        common_annotations: common_annotations.into_inner(),
        external_url: n.external_url.to_owned(),
        version: "4".to_owned(),
        group_key: n.group_key.to_owned(),
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
        let report = match self.request(config).await {
            Ok(request) => Self::post(request, payload).await,
            // A credentials or URL file that cannot be read may be there on the next try.
            Err(error) => SendReport::failed(error, true),
        };
        (report, started.elapsed())
    }

    /// The request for `config`: its URL (or `url_file`, read at each send as Alertmanager
    /// does) and its `http_config`.
    async fn request(&self, config: &WebhookConfig) -> Result<reqwest::RequestBuilder, String> {
        let url = match &config.url_file {
            Some(path) if config.url.is_empty() => read_secret(path).await?,
            _ => config.url.clone(),
        };
        self.post_to(&url, &config.http, config.timeout_ms).await
    }

    /// A JSON POST to `url` under an `http_config`: credentials (inline or from their
    /// files, read at each send), proxy, redirects and timeout (`None`: the default).
    pub(crate) async fn post_to(
        &self,
        url: &str,
        http: &hinomi_core::HttpConfig,
        timeout_ms: Option<i64>,
    ) -> Result<reqwest::RequestBuilder, String> {
        let timeout = timeout_ms
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms as u64))
            .unwrap_or(self.default_timeout);
        let client = if http.proxy_url.is_some() || !http.follow_redirects {
            let mut builder = reqwest::Client::builder().connect_timeout(timeout);
            if let Some(proxy) = &http.proxy_url {
                builder = builder.proxy(
                    reqwest::Proxy::all(proxy)
                        .map_err(|e| format!("proxy_url is not usable: {e}"))?,
                );
            }
            if !http.follow_redirects {
                builder = builder.redirect(reqwest::redirect::Policy::none());
            }
            builder
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?
        } else {
            self.client.clone()
        };
        let mut request = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(timeout);
        if let Some((user, password)) = &http.basic_auth {
            let password = match &http.basic_auth_password_file {
                Some(path) => read_secret(path).await?,
                None => password.clone(),
            };
            request = request.basic_auth(user, Some(password));
        } else if let Some((kind, credentials)) = &http.authorization {
            let credentials = match &http.authorization_credentials_file {
                Some(path) => read_secret(path).await?,
                None => credentials.clone(),
            };
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("{kind} {credentials}"),
            );
        } else if let Some(token) = &http.bearer_token {
            request = request.bearer_auth(token);
        } else if let Some(path) = &http.bearer_token_file {
            request = request.bearer_auth(read_secret(path).await?);
        }
        Ok(request)
    }

    async fn post(request: reqwest::RequestBuilder, payload: String) -> SendReport {
        crate::channels::post(request.body(payload)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hinomi_core::HttpConfig;

    fn alert(pairs: &[(&str, &str)], starts_at: i64, ends_at: i64) -> Alert {
        Alert {
            labels: pairs.iter().copied().collect(),
            annotations: [("summary", "s")].into_iter().collect(),
            starts_at,
            ends_at,
            updated_at: starts_at,
            generator_url: "http://prometheus/graph".into(),
            timeout: false,
        }
    }

    fn webhook(send_resolved: bool, max_alerts: u64) -> WebhookConfig {
        WebhookConfig {
            url: "http://127.0.0.1:1/hook".into(),
            url_file: None,
            send_resolved,
            max_alerts,
            http: HttpConfig::default(),
            timeout_ms: None,
        }
    }

    const NOW: i64 = 1_700_000_000_000;

    /// The payload for `alerts` in a group `alertname="Disk"` of receiver `ops`, parsed.
    fn rendered(alerts: &[Alert], config: &WebhookConfig) -> Option<serde_json::Value> {
        let group_labels: LabelSet = [("alertname", "Disk")].into_iter().collect();
        let n = Notification {
            receiver: "ops",
            group_key: "{}:{alertname=\"Disk\"}",
            group_labels: &group_labels,
            external_url: "http://hinomi:9093",
            alerts: alerts.iter().collect(),
            now: NOW,
        };
        render(&n, config.send_resolved, config.max_alerts)
            .map(|s| serde_json::from_str(&s).unwrap())
    }

    fn check(alerts: &[Alert], config: &WebhookConfig, expect: Option<serde_json::Value>) {
        assert_eq!(rendered(alerts, config), expect);
    }

    #[test]
    fn renders_alertmanagers_version_4_payload() {
        let firing = alert(
            &[("alertname", "Disk"), ("instance", "b")],
            NOW - 60_000,
            NOW + 60_000,
        );
        let resolved = alert(
            &[("alertname", "Disk"), ("instance", "a")],
            NOW - 120_000,
            NOW - 1_000,
        );
        check(
            &[firing, resolved],
            &webhook(true, 0),
            Some(serde_json::json!({
                "receiver": "ops",
                "status": "firing",
                "alerts": [
                    {"status": "resolved", "labels": {"alertname": "Disk", "instance": "a"},
                     "annotations": {"summary": "s"}, "startsAt": "2023-11-14T22:11:20Z",
                     "endsAt": "2023-11-14T22:13:19Z", "generatorURL": "http://prometheus/graph",
                     "fingerprint": alert(&[("alertname", "Disk"), ("instance", "a")], 0, 0).fingerprint().to_string()},
                    {"status": "firing", "labels": {"alertname": "Disk", "instance": "b"},
                     "annotations": {"summary": "s"}, "startsAt": "2023-11-14T22:12:20Z",
                     "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph",
                     "fingerprint": alert(&[("alertname", "Disk"), ("instance", "b")], 0, 0).fingerprint().to_string()},
                ],
                "groupLabels": {"alertname": "Disk"},
                "commonLabels": {"alertname": "Disk"},
                "commonAnnotations": {"summary": "s"},
                "externalURL": "http://hinomi:9093",
                "version": "4",
                "groupKey": "{}:{alertname=\"Disk\"}",
                "truncatedAlerts": 0,
            })),
        );
    }

    #[test]
    fn resolved_alerts_are_left_out_without_send_resolved() {
        let resolved = alert(&[("alertname", "Disk")], NOW - 120_000, NOW - 1_000);
        check(&[resolved], &webhook(false, 0), None);
    }

    #[test]
    fn max_alerts_truncates_and_counts() {
        let alerts: Vec<Alert> = ["a", "b", "c"]
            .iter()
            .map(|i| {
                alert(
                    &[("alertname", "Disk"), ("instance", i)],
                    NOW - 1,
                    NOW + 60_000,
                )
            })
            .collect();
        let v = rendered(&alerts, &webhook(true, 2)).unwrap();
        assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
        assert_eq!(v["truncatedAlerts"], 1);
        assert_eq!(v["alerts"][0]["labels"]["instance"], "a");
    }

    #[test]
    fn alerts_sort_by_job_then_instance_then_labels() {
        let with_job = alert(&[("alertname", "A"), ("job", "z")], 1, 0);
        let no_job_b = alert(&[("alertname", "B"), ("instance", "2")], 1, 0);
        let no_job_a = alert(&[("alertname", "A"), ("instance", "9")], 1, 0);
        let mut list = vec![&no_job_b, &no_job_a, &with_job];
        list.sort_by(|a, b| alert_order(a, b));
        assert_eq!(list, vec![&with_job, &no_job_b, &no_job_a]);
    }
}

#[cfg(test)]
mod sending {
    //! The sender against a one-shot HTTP peer on loopback: credentials and URLs kept in
    //! files are read at send time.
    use super::*;
    use hinomi_core::HttpConfig;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Accepts one request, answers 200, and hands back the request's head.
    async fn one_shot_peer() -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let mut head = String::new();
            while !head.contains("\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                head.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            head
        });
        (url, task)
    }

    #[tokio::test]
    async fn url_and_bearer_token_come_from_their_files() {
        let (url, peer) = one_shot_peer().await;
        let dir = std::env::temp_dir().join(format!("hinomi-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("url"), format!("{url}\n")).unwrap();
        std::fs::write(dir.join("token"), "s3cret\n").unwrap();
        let config = WebhookConfig {
            url: String::new(),
            url_file: Some(dir.join("url").display().to_string()),
            send_resolved: true,
            max_alerts: 0,
            http: HttpConfig {
                bearer_token_file: Some(dir.join("token").display().to_string()),
                ..HttpConfig::default()
            },
            timeout_ms: Some(5_000),
        };
        let sender = WebhookSender::new(Duration::from_secs(5), "hinomi-test");
        let (report, _) = sender.send(&config, "{}".into()).await;
        assert!(report.delivered(), "{report:?}");
        let head = peer.await.unwrap().to_ascii_lowercase();
        assert!(head.starts_with("post /hook "), "{head}");
        assert!(head.contains("authorization: bearer s3cret"), "{head}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_credentials_file_is_a_retryable_error_naming_the_file() {
        let config = WebhookConfig {
            url: "http://127.0.0.1:9/hook".into(),
            url_file: None,
            send_resolved: true,
            max_alerts: 0,
            http: HttpConfig {
                bearer_token_file: Some("/nonexistent/hinomi-token".into()),
                ..HttpConfig::default()
            },
            timeout_ms: None,
        };
        let sender = WebhookSender::new(Duration::from_secs(1), "hinomi-test");
        let (report, _) = sender.send(&config, "{}".into()).await;
        assert!(report.retryable);
        assert!(report.error.unwrap().contains("/nonexistent/hinomi-token"));
    }
}
