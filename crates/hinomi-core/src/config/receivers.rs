//! Alertmanager's receiver kinds besides webhooks that hinomi delivers: `email_configs`,
//! `slack_configs`, `pagerduty_configs`, `opsgenie_configs`, `msteams_configs` and
//! `msteamsv2_configs`, with
//! their `global` defaults, and the numbering that tells a receiver's integrations apart.
//!
//! The settings that say where and how to send are modelled, and so are the texts:
//! fields Alertmanager evaluates as Go templates (`title`, `text`, `html`, `description`,
//! `details` ...) are kept as written, checked to parse, and evaluated at send time
//! ([`crate::gotemplate`]); a field left unset keeps the default text. Keys hinomi does not
//! apply (Slack `actions`, Opsgenie `responders` ...) are listed in
//! [`Config::unsupported`](super::Config::unsupported).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{
    ConfigError, HttpConfig, RawHttpConfig, Receiver, SECRET, WebhookConfig, build_http,
    check_http_url, invalid, opt_duration, redact_url,
};
use crate::gostr::quote;
use crate::gotemplate::Templates;

/// A receiver's integration kinds, with the first number of each kind's integrations:
/// the numbers key the notification log and the outbox rows, so they must not move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntegrationKind {
    Webhook,
    Email,
    Slack,
    Pagerduty,
    Opsgenie,
    Msteams,
    /// `msteamsv2_configs`: Teams workflow webhooks, Adaptive Cards.
    MsteamsV2,
}

/// Integrations of kinds hinomi does not deliver are numbered from here.
pub const UNDELIVERED_KIND_BASE: i64 = 1_000;

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 7] = [
        IntegrationKind::Webhook,
        IntegrationKind::Email,
        IntegrationKind::Slack,
        IntegrationKind::Pagerduty,
        IntegrationKind::Opsgenie,
        IntegrationKind::Msteams,
        IntegrationKind::MsteamsV2,
    ];

    /// The outbox rows' `kind`.
    pub fn name(self) -> &'static str {
        match self {
            IntegrationKind::Webhook => "webhook",
            IntegrationKind::Email => "email",
            IntegrationKind::Slack => "slack",
            IntegrationKind::Pagerduty => "pagerduty",
            IntegrationKind::Opsgenie => "opsgenie",
            IntegrationKind::Msteams => "msteams",
            IntegrationKind::MsteamsV2 => "msteamsv2",
        }
    }

    pub fn parse(name: &str) -> Option<IntegrationKind> {
        IntegrationKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The number of the kind's first integration. Webhooks keep 0.. as before; 1000..
    /// belongs to undelivered kinds.
    pub fn base(self) -> i64 {
        match self {
            IntegrationKind::Webhook => 0,
            IntegrationKind::Email => 2_000,
            IntegrationKind::Slack => 3_000,
            IntegrationKind::Pagerduty => 4_000,
            IntegrationKind::Opsgenie => 5_000,
            IntegrationKind::Msteams => 6_000,
            IntegrationKind::MsteamsV2 => 7_000,
        }
    }
}

/// One integration of a receiver.
#[derive(Clone, Copy, Debug)]
pub enum Integration<'a> {
    Webhook(&'a WebhookConfig),
    Email(&'a EmailConfig),
    Slack(&'a SlackConfig),
    Pagerduty(&'a PagerdutyConfig),
    Opsgenie(&'a OpsgenieConfig),
    Msteams(&'a MsteamsConfig),
    MsteamsV2(&'a MsteamsConfig),
}

impl Integration<'_> {
    pub fn kind(&self) -> IntegrationKind {
        match self {
            Integration::Webhook(_) => IntegrationKind::Webhook,
            Integration::Email(_) => IntegrationKind::Email,
            Integration::Slack(_) => IntegrationKind::Slack,
            Integration::Pagerduty(_) => IntegrationKind::Pagerduty,
            Integration::Opsgenie(_) => IntegrationKind::Opsgenie,
            Integration::Msteams(_) => IntegrationKind::Msteams,
            Integration::MsteamsV2(_) => IntegrationKind::MsteamsV2,
        }
    }

    pub fn send_resolved(&self) -> bool {
        match self {
            Integration::Webhook(c) => c.send_resolved,
            Integration::Email(c) => c.send_resolved,
            Integration::Slack(c) => c.send_resolved,
            Integration::Pagerduty(c) => c.send_resolved,
            Integration::Opsgenie(c) => c.send_resolved,
            Integration::Msteams(c) | Integration::MsteamsV2(c) => c.send_resolved,
        }
    }

    /// Most alerts per message; 0 for no limit.
    pub fn max_alerts(&self) -> u64 {
        match self {
            Integration::Webhook(c) => c.max_alerts,
            _ => 0,
        }
    }

    /// The per-request timeout (ms), where the integration sets one.
    pub fn timeout_ms(&self) -> Option<i64> {
        match self {
            Integration::Webhook(c) => c.timeout_ms,
            Integration::Pagerduty(c) => c.timeout_ms,
            _ => None,
        }
    }
}

impl Receiver {
    /// Every integration hinomi delivers, with its number.
    pub fn integrations(&self) -> Vec<(i64, Integration<'_>)> {
        fn numbered<'a, T>(
            kind: IntegrationKind,
            list: &'a [T],
            wrap: fn(&'a T) -> Integration<'a>,
        ) -> impl Iterator<Item = (i64, Integration<'a>)> {
            list.iter()
                .enumerate()
                .map(move |(i, c)| (kind.base() + i as i64, wrap(c)))
        }
        numbered(
            IntegrationKind::Webhook,
            &self.webhooks,
            Integration::Webhook,
        )
        .chain(numbered(
            IntegrationKind::Email,
            &self.emails,
            Integration::Email,
        ))
        .chain(numbered(
            IntegrationKind::Slack,
            &self.slacks,
            Integration::Slack,
        ))
        .chain(numbered(
            IntegrationKind::Pagerduty,
            &self.pagerduties,
            Integration::Pagerduty,
        ))
        .chain(numbered(
            IntegrationKind::Opsgenie,
            &self.opsgenies,
            Integration::Opsgenie,
        ))
        .chain(numbered(
            IntegrationKind::Msteams,
            &self.msteams,
            Integration::Msteams,
        ))
        .chain(numbered(
            IntegrationKind::MsteamsV2,
            &self.msteams_v2,
            Integration::MsteamsV2,
        ))
        .collect()
    }

    /// The integration numbered `number`, if it is of `kind`.
    pub fn integration(&self, kind: IntegrationKind, number: i64) -> Option<Integration<'_>> {
        self.integrations()
            .into_iter()
            .find(|(n, i)| *n == number && i.kind() == kind)
            .map(|(_, i)| i)
    }
}

/// One `email_configs` entry, with the `global` SMTP defaults applied.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailConfig {
    /// Default false, as in Alertmanager.
    pub send_resolved: bool,
    /// Addresses, comma-separated as written.
    pub to: String,
    pub from: String,
    pub hello: String,
    /// `host:port`.
    pub smarthost: String,
    pub auth_username: String,
    pub auth_password: String,
    pub auth_password_file: Option<String>,
    /// STARTTLS required (default true).
    pub require_tls: bool,
    /// TLS from the first byte: `force_implicit_tls`, or else whether the port is 465, as
    /// Alertmanager decides.
    pub force_implicit_tls: bool,
    /// Further headers (values are templates), without `From`, `To` and `Subject`.
    pub headers: BTreeMap<String, String>,
    /// The `Subject` header's template; `None` for the default title.
    pub subject: Option<String>,
    /// `html` (evaluated as HTML) and `text` templates; `None` for the default bodies.
    pub html: Option<String>,
    pub text: Option<String>,
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailConfig")
            .field("send_resolved", &self.send_resolved)
            .field("to", &self.to)
            .field("from", &self.from)
            .field("smarthost", &self.smarthost)
            .field("auth_username", &self.auth_username)
            .field("auth_password", &secret(&self.auth_password))
            .field("auth_password_file", &self.auth_password_file)
            .field("require_tls", &self.require_tls)
            .field("force_implicit_tls", &self.force_implicit_tls)
            .finish_non_exhaustive()
    }
}

/// One `slack_configs` entry: an incoming webhook, or `chat.postMessage` with a token in
/// `http_config`.
#[derive(Clone, PartialEq, Eq)]
pub struct SlackConfig {
    /// Default false, as in Alertmanager.
    pub send_resolved: bool,
    pub api_url: String,
    pub api_url_file: Option<String>,
    /// Templates, like every text below; empty when unset.
    pub channel: String,
    pub username: String,
    pub icon_emoji: String,
    pub icon_url: String,
    /// `None` for the default text.
    pub title: Option<String>,
    pub title_link: Option<String>,
    pub pretext: Option<String>,
    pub text: Option<String>,
    pub fallback: Option<String>,
    pub footer: Option<String>,
    pub color: Option<String>,
    pub fields: Vec<SlackField>,
    /// Fields without their own `short` are short when this is set.
    pub short_fields: bool,
    pub http: HttpConfig,
}

/// One of a Slack attachment's `fields`: templates for its title and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackField {
    pub title: String,
    pub value: String,
    pub short: Option<bool>,
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackConfig")
            .field("send_resolved", &self.send_resolved)
            .field("api_url", &redact_url(&self.api_url))
            .field("api_url_file", &self.api_url_file)
            .field("channel", &self.channel)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// One `pagerduty_configs` entry: Events API v2 with a routing key, or v1 with a service
/// key.
#[derive(Clone, PartialEq, Eq)]
pub struct PagerdutyConfig {
    /// Default true.
    pub send_resolved: bool,
    pub routing_key: String,
    pub routing_key_file: Option<String>,
    pub service_key: String,
    pub service_key_file: Option<String>,
    pub url: String,
    pub client: String,
    pub client_url: String,
    pub severity: String,
    pub class: String,
    pub component: String,
    pub group: String,
    pub source: String,
    /// `description` template; `None` for the default title.
    pub description: Option<String>,
    /// `details` templates; `None` for the default firing/resolved lists.
    pub details: Option<BTreeMap<String, String>>,
    pub http: HttpConfig,
    pub timeout_ms: Option<i64>,
}

impl PagerdutyConfig {
    /// Whether the Events API v1 (a service key and no routing key) is used.
    pub fn events_v1(&self) -> bool {
        self.routing_key.is_empty() && self.routing_key_file.is_none()
    }
}

impl fmt::Debug for PagerdutyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagerdutyConfig")
            .field("send_resolved", &self.send_resolved)
            .field("routing_key", &secret(&self.routing_key))
            .field("routing_key_file", &self.routing_key_file)
            .field("service_key", &secret(&self.service_key))
            .field("service_key_file", &self.service_key_file)
            .field("url", &self.url)
            .field("severity", &self.severity)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// One `opsgenie_configs` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct OpsgenieConfig {
    /// Default true.
    pub send_resolved: bool,
    pub api_key: String,
    pub api_key_file: Option<String>,
    /// Base URL, ending in `/`.
    pub api_url: String,
    pub priority: String,
    /// Comma-separated.
    pub tags: String,
    pub source: String,
    pub entity: String,
    /// `message`, `description` and `note` templates; `None` for the defaults (no note).
    pub message: Option<String>,
    pub description: Option<String>,
    pub note: Option<String>,
    /// `details` templates; `None` for the common labels.
    pub details: Option<BTreeMap<String, String>>,
    pub http: HttpConfig,
}

impl fmt::Debug for OpsgenieConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpsgenieConfig")
            .field("send_resolved", &self.send_resolved)
            .field("api_key", &secret(&self.api_key))
            .field("api_key_file", &self.api_key_file)
            .field("api_url", &self.api_url)
            .field("priority", &self.priority)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// One `msteams_configs` or `msteamsv2_configs` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct MsteamsConfig {
    /// Default true.
    pub send_resolved: bool,
    pub webhook_url: String,
    pub webhook_url_file: Option<String>,
    /// `title`, `summary` (connector cards only) and `text` templates; `None` for the
    /// defaults.
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub http: HttpConfig,
}

impl fmt::Debug for MsteamsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsteamsConfig")
            .field("send_resolved", &self.send_resolved)
            .field("webhook_url", &redact_url(&self.webhook_url))
            .field("webhook_url_file", &self.webhook_url_file)
            .field("http", &self.http)
            .finish()
    }
}

fn secret(s: &str) -> &'static str {
    if s.is_empty() { "" } else { SECRET }
}

/// The receiver keys of the kinds modelled here.
#[derive(Debug, Default)]
pub(super) struct RawKinds {
    pub(super) email_configs: Option<Vec<RawIntegration>>,
    pub(super) slack_configs: Option<Vec<RawIntegration>>,
    pub(super) pagerduty_configs: Option<Vec<RawIntegration>>,
    pub(super) opsgenie_configs: Option<Vec<RawIntegration>>,
    pub(super) msteams_configs: Option<Vec<RawIntegration>>,
    pub(super) msteamsv2_configs: Option<Vec<RawIntegration>>,
}

/// An entry of any of these kinds: its keys, read per kind.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawIntegration {
    http_config: Option<RawHttpConfig>,
    #[serde(flatten)]
    keys: BTreeMap<String, Value>,
}

/// The `global` keys these kinds default from.
#[derive(Debug, Default)]
pub(super) struct Globals<'a> {
    pub(super) keys: Option<&'a BTreeMap<String, Value>>,
    pub(super) http: Option<&'a HttpConfig>,
}

impl Globals<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.keys.and_then(|k| k.get(key)).and_then(scalar_text)
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.keys.and_then(|k| k.get(key)).and_then(Value::as_bool)
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads one entry's keys: the modelled ones by name, the keys Alertmanager knows but hinomi
/// does not apply noted, anything else refused as Alertmanager's strict parsing does.
struct Entry<'a> {
    place: String,
    keys: BTreeMap<String, Value>,
    unsupported: &'a mut Vec<String>,
}

impl Entry<'_> {
    fn text(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.keys.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar_text(&v).map(Some).ok_or_else(|| {
                ConfigError::Yaml(format!("{}: {key} must be a string", self.place))
            }),
        }
    }

    fn flag(&mut self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.keys.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ConfigError::Yaml(format!(
                "{}: {key} must be a boolean",
                self.place
            ))),
        }
    }

    /// A text that may be a Go template, checked to parse.
    fn template(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        let value = self.text(key)?;
        if let Some(v) = &value {
            check_template(&self.place, key, v)?;
        }
        Ok(value)
    }

    /// A map of templates (`details`).
    fn template_map(&mut self, key: &str) -> Result<Option<BTreeMap<String, String>>, ConfigError> {
        match self.keys.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Mapping(map)) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let (Some(k), Some(v)) = (scalar_text(&k), scalar_text(&v)) else {
                        return Err(ConfigError::Yaml(format!(
                            "{}: {key} must map names to strings",
                            self.place
                        )));
                    };
                    check_template(&self.place, &format!("{key}.{k}"), &v)?;
                    out.insert(k, v);
                }
                Ok(Some(out))
            }
            Some(_) => Err(ConfigError::Yaml(format!(
                "{}: {key} must be a mapping",
                self.place
            ))),
        }
    }

    /// Ends the entry: keys Alertmanager knows but hinomi does not apply are noted, others
    /// refused.
    fn finish(self, known: &[&str]) -> Result<(), ConfigError> {
        for key in self.keys.keys() {
            if known.contains(&key.as_str()) {
                self.unsupported
                    .push(format!("{}: {key} is not applied", self.place));
            } else {
                return Err(ConfigError::Yaml(format!(
                    "{}: unknown field `{key}`",
                    self.place
                )));
            }
        }
        Ok(())
    }
}

/// A template field that does not parse fails the configuration, naming the field.
fn check_template(place: &str, key: &str, text: &str) -> Result<(), ConfigError> {
    Templates::check(key, text).map_err(|e| invalid(format!("{place}: {key}: {e}")))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Builds the receiver's entries of these kinds into `receiver`.
pub(super) fn build_kinds(
    receiver: &mut Receiver,
    raw: RawKinds,
    globals: &Globals<'_>,
    unsupported: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let name = quote(&receiver.name);
    let lists = [
        ("email_configs", raw.email_configs),
        ("slack_configs", raw.slack_configs),
        ("pagerduty_configs", raw.pagerduty_configs),
        ("opsgenie_configs", raw.opsgenie_configs),
        ("msteams_configs", raw.msteams_configs),
        ("msteamsv2_configs", raw.msteamsv2_configs),
    ];
    for (key, list) in lists {
        for (i, entry) in list.unwrap_or_default().into_iter().enumerate() {
            let place = format!("receiver {name}: {key}[{i}]");
            let http = match &entry.http_config {
                Some(h) => build_http(h, &place, unsupported)?,
                None => globals.http.cloned().unwrap_or_default(),
            };
            let mut e = Entry {
                place,
                keys: entry.keys,
                unsupported,
            };
            match key {
                "email_configs" => receiver.emails.push(email(&mut e, globals)?),
                "slack_configs" => receiver.slacks.push(slack(&mut e, globals, http)?),
                "pagerduty_configs" => receiver.pagerduties.push(pagerduty(&mut e, globals, http)?),
                "opsgenie_configs" => receiver.opsgenies.push(opsgenie(&mut e, globals, http)?),
                "msteams_configs" => receiver.msteams.push(msteams(&mut e, http)?),
                _ => receiver.msteams_v2.push(msteams(&mut e, http)?),
            }
            let known: &[&str] = match key {
                "email_configs" => &[
                    "auth_secret",
                    "auth_secret_file",
                    "auth_identity",
                    "tls_config",
                    "auth_password_ref",
                    "threading",
                ],
                "slack_configs" => &[
                    "callback_id",
                    "image_url",
                    "thumb_url",
                    "link_names",
                    "mrkdwn_in",
                    "actions",
                    "app_token",
                    "app_token_file",
                    "update_message",
                    "message_text",
                    "timeout",
                    "app_url",
                ],
                "pagerduty_configs" => &["images", "links"],
                "opsgenie_configs" => &["responders", "actions", "update_alerts"],
                _ => &[],
            };
            e.finish(known)?;
        }
    }
    Ok(())
}

fn email(e: &mut Entry<'_>, g: &Globals<'_>) -> Result<EmailConfig, ConfigError> {
    let to = non_empty(e.text("to")?)
        .ok_or_else(|| invalid(format!("{}: missing to address in email config", e.place)))?;
    let from = non_empty(e.text("from")?)
        .or_else(|| non_empty(g.text("smtp_from")))
        .ok_or_else(|| {
            invalid(format!(
                "{}: no global SMTP from set and no from in email config",
                e.place
            ))
        })?;
    let smarthost = non_empty(e.text("smarthost")?)
        .or_else(|| non_empty(g.text("smtp_smarthost")))
        .ok_or_else(|| {
            invalid(format!(
                "{}: no global SMTP smarthost set and no smarthost in email config",
                e.place
            ))
        })?;
    if !smarthost.contains(':') {
        return Err(invalid(format!(
            "{}: smarthost {} must be host:port",
            e.place,
            quote(&smarthost)
        )));
    }
    let mut headers = e.template_map("headers")?.unwrap_or_default();
    // Alertmanager's header names are case-insensitive; `From` and `To` come from their
    // own keys.
    let subject = headers
        .keys()
        .find(|k| k.eq_ignore_ascii_case("subject"))
        .cloned()
        .and_then(|k| headers.remove(&k));
    headers.retain(|k, _| !k.eq_ignore_ascii_case("from") && !k.eq_ignore_ascii_case("to"));
    let username = e.text("auth_username")?;
    let password = e.text("auth_password")?;
    let password_file = e.text("auth_password_file")?;
    let inherit_auth = username.is_none() && password.is_none() && password_file.is_none();
    let implicit_port = smarthost.ends_with(":465");
    let pick = |own: Option<String>, global: &str| {
        non_empty(own).or_else(|| inherit_auth.then(|| g.text(global)).flatten())
    };
    Ok(EmailConfig {
        send_resolved: e.flag("send_resolved")?.unwrap_or(false),
        to,
        from,
        hello: non_empty(e.text("hello")?)
            .or_else(|| non_empty(g.text("smtp_hello")))
            .unwrap_or_else(|| "localhost".into()),
        smarthost,
        auth_username: pick(username, "smtp_auth_username").unwrap_or_default(),
        auth_password: pick(password, "smtp_auth_password").unwrap_or_default(),
        auth_password_file: pick(password_file, "smtp_auth_password_file"),
        require_tls: e
            .flag("require_tls")?
            .or_else(|| g.flag("smtp_require_tls"))
            .unwrap_or(true),
        force_implicit_tls: e
            .flag("force_implicit_tls")?
            .or_else(|| g.flag("smtp_force_implicit_tls"))
            .unwrap_or(implicit_port),
        headers,
        subject,
        html: e.template("html")?,
        text: e.template("text")?,
    })
}

fn slack(e: &mut Entry<'_>, g: &Globals<'_>, http: HttpConfig) -> Result<SlackConfig, ConfigError> {
    let own_url = non_empty(e.text("api_url")?);
    let own_file = non_empty(e.text("api_url_file")?);
    if own_url.is_some() && own_file.is_some() {
        return Err(invalid(format!(
            "{}: at most one of api_url & api_url_file must be configured",
            e.place
        )));
    }
    let (api_url, api_url_file) = match (own_url, own_file) {
        (None, None) => (
            non_empty(g.text("slack_api_url")),
            non_empty(g.text("slack_api_url_file")),
        ),
        own => own,
    };
    if api_url.is_none() && api_url_file.is_none() {
        return Err(invalid(format!(
            "{}: no global Slack API URL set either inline or in a file",
            e.place
        )));
    }
    if let Some(url) = &api_url {
        check_http_url(url).map_err(|m| invalid(format!("{}: {m}", e.place)))?;
    }
    Ok(SlackConfig {
        send_resolved: e.flag("send_resolved")?.unwrap_or(false),
        api_url: api_url.unwrap_or_default(),
        api_url_file,
        channel: e.template("channel")?.unwrap_or_default(),
        username: e.template("username")?.unwrap_or_default(),
        icon_emoji: e.template("icon_emoji")?.unwrap_or_default(),
        icon_url: e.template("icon_url")?.unwrap_or_default(),
        title: e.template("title")?,
        title_link: e.template("title_link")?,
        pretext: e.template("pretext")?,
        text: e.template("text")?,
        fallback: e.template("fallback")?,
        footer: e.template("footer")?,
        color: e.template("color")?,
        fields: slack_fields(e)?,
        short_fields: e.flag("short_fields")?.unwrap_or(false),
        http,
    })
}

fn slack_fields(e: &mut Entry<'_>) -> Result<Vec<SlackField>, ConfigError> {
    let list = match e.keys.remove("fields") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(list)) => list,
        Some(_) => {
            return Err(ConfigError::Yaml(format!(
                "{}: fields must be a list",
                e.place
            )));
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, field) in list.into_iter().enumerate() {
        let place = format!("{}: fields[{i}]", e.place);
        let Value::Mapping(map) = field else {
            return Err(ConfigError::Yaml(format!("{place} must be a mapping")));
        };
        let mut title = None;
        let mut value = None;
        let mut short = None;
        for (k, v) in map {
            match (k.as_str(), v) {
                (Some("title"), v) => title = scalar_text(&v),
                (Some("value"), v) => value = scalar_text(&v),
                (Some("short"), Value::Bool(b)) => short = Some(b),
                (k, _) => {
                    return Err(ConfigError::Yaml(format!(
                        "{place}: unknown field `{}`",
                        k.unwrap_or("?")
                    )));
                }
            }
        }
        // Alertmanager refuses a field without a title or a value.
        let (Some(title), Some(value)) = (non_empty(title), non_empty(value)) else {
            return Err(invalid(format!(
                "{place}: missing title or value in Slack field config"
            )));
        };
        check_template(&place, "title", &title)?;
        check_template(&place, "value", &value)?;
        out.push(SlackField {
            title,
            value,
            short,
        });
    }
    Ok(out)
}

fn pagerduty(
    e: &mut Entry<'_>,
    g: &Globals<'_>,
    http: HttpConfig,
) -> Result<PagerdutyConfig, ConfigError> {
    let routing_key = non_empty(e.text("routing_key")?);
    let routing_key_file = non_empty(e.text("routing_key_file")?);
    let service_key = non_empty(e.text("service_key")?);
    let service_key_file = non_empty(e.text("service_key_file")?);
    if routing_key.is_some() && routing_key_file.is_some() {
        return Err(invalid(format!(
            "{}: at most one of routing_key & routing_key_file must be configured",
            e.place
        )));
    }
    if service_key.is_some() && service_key_file.is_some() {
        return Err(invalid(format!(
            "{}: at most one of service_key & service_key_file must be configured",
            e.place
        )));
    }
    if routing_key.is_none()
        && routing_key_file.is_none()
        && service_key.is_none()
        && service_key_file.is_none()
    {
        return Err(invalid(format!(
            "{}: missing service or routing key in PagerDuty config",
            e.place
        )));
    }
    let v1 = routing_key.is_none() && routing_key_file.is_none();
    let default_url = if v1 {
        "https://events.pagerduty.com/generic/2010-04-15/create_event.json"
    } else {
        "https://events.pagerduty.com/v2/enqueue"
    };
    let url = non_empty(e.text("url")?)
        .or_else(|| non_empty(g.text("pagerduty_url")).filter(|_| !v1))
        .unwrap_or_else(|| default_url.into());
    check_http_url(&url).map_err(|m| invalid(format!("{}: {m}", e.place)))?;
    let timeout = e.text("timeout")?.map(super::Scalar);
    Ok(PagerdutyConfig {
        send_resolved: e.flag("send_resolved")?.unwrap_or(true),
        routing_key: routing_key.unwrap_or_default(),
        routing_key_file,
        service_key: service_key.unwrap_or_default(),
        service_key_file,
        url,
        client: e.template("client")?.unwrap_or_else(|| "hinomi".into()),
        client_url: e.template("client_url")?.unwrap_or_default(),
        severity: e.template("severity")?.unwrap_or_else(|| "error".into()),
        class: e.template("class")?.unwrap_or_default(),
        component: e.template("component")?.unwrap_or_default(),
        group: e.template("group")?.unwrap_or_default(),
        source: e.template("source")?.unwrap_or_default(),
        description: e.template("description")?,
        details: e.template_map("details")?,
        http,
        timeout_ms: opt_duration(&timeout, &format!("{}: timeout", e.place))?.filter(|t| *t > 0),
    })
}

fn opsgenie(
    e: &mut Entry<'_>,
    g: &Globals<'_>,
    http: HttpConfig,
) -> Result<OpsgenieConfig, ConfigError> {
    let api_key = non_empty(e.text("api_key")?);
    let api_key_file = non_empty(e.text("api_key_file")?);
    if api_key.is_some() && api_key_file.is_some() {
        return Err(invalid(format!(
            "{}: at most one of api_key & api_key_file must be configured",
            e.place
        )));
    }
    let (api_key, api_key_file) = match (api_key, api_key_file) {
        (None, None) => (
            non_empty(g.text("opsgenie_api_key")),
            non_empty(g.text("opsgenie_api_key_file")),
        ),
        own => own,
    };
    if api_key.is_none() && api_key_file.is_none() {
        return Err(invalid(format!(
            "{}: no global OpsGenie API key set either inline or in a file",
            e.place
        )));
    }
    let mut api_url = non_empty(e.text("api_url")?)
        .or_else(|| non_empty(g.text("opsgenie_api_url")))
        .unwrap_or_else(|| "https://api.opsgenie.com/".into());
    check_http_url(&api_url).map_err(|m| invalid(format!("{}: {m}", e.place)))?;
    if !api_url.ends_with('/') {
        api_url.push('/');
    }
    Ok(OpsgenieConfig {
        send_resolved: e.flag("send_resolved")?.unwrap_or(true),
        api_key: api_key.unwrap_or_default(),
        api_key_file,
        api_url,
        priority: e.template("priority")?.unwrap_or_default(),
        tags: e.template("tags")?.unwrap_or_default(),
        source: e.template("source")?.unwrap_or_default(),
        entity: e.template("entity")?.unwrap_or_default(),
        message: e.template("message")?,
        description: e.template("description")?,
        note: e.template("note")?,
        details: e.template_map("details")?,
        http,
    })
}

fn msteams(e: &mut Entry<'_>, http: HttpConfig) -> Result<MsteamsConfig, ConfigError> {
    let url = non_empty(e.text("webhook_url")?);
    let file = non_empty(e.text("webhook_url_file")?);
    match (&url, &file) {
        (None, None) => {
            return Err(invalid(format!(
                "{}: one of webhook_url or webhook_url_file must be configured",
                e.place
            )));
        }
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "{}: at most one of webhook_url & webhook_url_file must be configured",
                e.place
            )));
        }
        (Some(u), None) => check_http_url(u).map_err(|m| invalid(format!("{}: {m}", e.place)))?,
        (None, Some(_)) => {}
    }
    Ok(MsteamsConfig {
        send_resolved: e.flag("send_resolved")?.unwrap_or(true),
        webhook_url: url.unwrap_or_default(),
        webhook_url_file: file,
        title: e.template("title")?,
        summary: e.template("summary")?,
        text: e.template("text")?,
        http,
    })
}
