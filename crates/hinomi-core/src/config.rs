//! `alertmanager.yml` as input: parsed and checked as Alertmanager 0.25 to
//! 0.28 do (`config/config.go`, `config/notifiers.go`,
//! `prometheus/common/config.HTTPClientConfig`), then turned into the core's
//! routing tree, receivers and inhibition rules.
//!
//! The route, inhibition rules, webhook configs and their `http_config` are
//! modelled fully and refuse unknown keys, as Alertmanager's strict parsing
//! does. Receiver kinds hinomi does not deliver, keys it does not apply and time
//! intervals are accepted and listed in [`Config::unsupported`]. `templates` are
//! globs kept as written: whoever reads the file reads the files they match and adds
//! them with [`Config::add_template_file`] (no IO here).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_yaml_ng::Value;

use crate::duration::parse_duration;
use crate::gostr::quote;
use crate::gotemplate::Templates;
use crate::inhibit::InhibitRule;
use crate::labels::validate_label_name;
use crate::matcher::{MatchOp, Matcher, Matchers, parse_matchers};
use crate::route::{GroupBy, Route, RouteSpec};

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not YAML, or not the expected shape (wrong types, unknown keys).
    #[error("{0}")]
    Yaml(String),
    /// Well-formed but refused by a rule (Alertmanager's message where it
    /// has one).
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// Default `global.resolve_timeout`.
pub const DEFAULT_RESOLVE_TIMEOUT_MS: i64 = 5 * 60_000;

/// A parsed and checked `alertmanager.yml`.
#[derive(Clone)]
pub struct Config {
    /// `global.resolve_timeout` (ms).
    pub resolve_timeout: i64,
    /// The routing tree.
    pub route: Route,
    /// Receivers in file order.
    pub receivers: Vec<Receiver>,
    /// Inhibition rules in file order.
    pub inhibit_rules: Vec<InhibitRule>,
    /// `templates` globs, as written (relative ones are relative to the file's folder).
    pub templates: Vec<String>,
    /// The built-in template definitions and those of the `templates` files added with
    /// [`Config::add_template_file`].
    pub template_set: Templates,
    /// Names of `time_intervals` and `mute_time_intervals` entries.
    pub time_intervals: Vec<String>,
    /// The YAML text as given (it may hold secrets: not shown by `Debug`).
    pub original: String,
    /// Things accepted but not acted on yet, one sentence each.
    pub unsupported: Vec<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("resolve_timeout", &self.resolve_timeout)
            .field("route", &self.route)
            .field("receivers", &self.receivers)
            .field("inhibit_rules", &self.inhibit_rules)
            .field("templates", &self.templates)
            .field("template_set", &self.template_set)
            .field("time_intervals", &self.time_intervals)
            .field("original", &format_args!("<{} bytes>", self.original.len()))
            .field("unsupported", &self.unsupported)
            .finish()
    }
}

mod receivers;

pub use receivers::{
    EmailConfig, Integration, IntegrationKind, MsteamsConfig, OpsgenieConfig, PagerdutyConfig,
    SlackConfig, SlackField, UNDELIVERED_KIND_BASE,
};

/// A named set of integrations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receiver {
    /// Unique name routes refer to.
    pub name: String,
    /// `webhook_configs`.
    pub webhooks: Vec<WebhookConfig>,
    /// `email_configs`.
    pub emails: Vec<EmailConfig>,
    /// `slack_configs`.
    pub slacks: Vec<SlackConfig>,
    /// `pagerduty_configs`.
    pub pagerduties: Vec<PagerdutyConfig>,
    /// `opsgenie_configs`.
    pub opsgenies: Vec<OpsgenieConfig>,
    /// `msteams_configs`.
    pub msteams: Vec<MsteamsConfig>,
    /// `msteamsv2_configs`.
    pub msteams_v2: Vec<MsteamsConfig>,
    /// Other non-empty `*_configs` keys hinomi does not deliver, e.g. `pushover_configs`.
    pub other_kinds: Vec<String>,
}

/// One `webhook_configs` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Target URL (empty when `url_file` is used).
    pub url: String,
    /// File holding the URL, read at delivery time.
    pub url_file: Option<String>,
    /// Whether resolved alerts are sent (default true).
    pub send_resolved: bool,
    /// Most alerts per message; 0 for no limit.
    pub max_alerts: u64,
    /// Client settings (the global `http_config` when the entry has none).
    pub http: HttpConfig,
    /// Per-request timeout (ms); `None` when unset or zero.
    pub timeout_ms: Option<i64>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Webhook URLs often embed tokens; show only where they point.
        f.debug_struct("WebhookConfig")
            .field("url", &redact_url(&self.url))
            .field("url_file", &self.url_file)
            .field("send_resolved", &self.send_resolved)
            .field("max_alerts", &self.max_alerts)
            .field("http", &self.http)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let host = &rest[..host_end];
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            format!("{scheme}://{host}/<secret>")
        }
        None if url.is_empty() => String::new(),
        None => "<secret>".to_owned(),
    }
}

/// The parts of `prometheus/common`'s `HTTPClientConfig` hinomi models.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `bearer_token` (Alertmanager sends it as `Authorization: Bearer`).
    pub bearer_token: Option<String>,
    /// `bearer_token_file`.
    pub bearer_token_file: Option<String>,
    /// `authorization`: (type, credentials); type defaults to `Bearer`.
    pub authorization: Option<(String, String)>,
    /// `authorization.credentials_file`.
    pub authorization_credentials_file: Option<String>,
    /// `basic_auth`: (username, password).
    pub basic_auth: Option<(String, String)>,
    /// `basic_auth.password_file`.
    pub basic_auth_password_file: Option<String>,
    /// `follow_redirects` (default true).
    pub follow_redirects: bool,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            bearer_token: None,
            bearer_token_file: None,
            authorization: None,
            authorization_credentials_file: None,
            basic_auth: None,
            basic_auth_password_file: None,
            follow_redirects: true,
            proxy_url: None,
        }
    }
}

impl HttpConfig {
    /// The `Authorization` scheme and credentials to send, folding
    /// `bearer_token` into `Bearer` as Alertmanager does. File-based
    /// credentials are not read here.
    pub fn effective_authorization(&self) -> Option<(&str, &str)> {
        if let Some((kind, creds)) = &self.authorization {
            return Some((kind.as_str(), creds.as_str()));
        }
        self.bearer_token.as_deref().map(|t| ("Bearer", t))
    }
}

const SECRET: &str = "<secret>";

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |o: &Option<String>| o.as_ref().map(|_| SECRET);
        f.debug_struct("HttpConfig")
            .field("bearer_token", &secret(&self.bearer_token))
            .field("bearer_token_file", &self.bearer_token_file)
            .field(
                "authorization",
                &self
                    .authorization
                    .as_ref()
                    .map(|(kind, _)| (kind.as_str(), SECRET)),
            )
            .field(
                "authorization_credentials_file",
                &self.authorization_credentials_file,
            )
            .field(
                "basic_auth",
                &self
                    .basic_auth
                    .as_ref()
                    .map(|(user, _)| (user.as_str(), SECRET)),
            )
            .field("basic_auth_password_file", &self.basic_auth_password_file)
            .field("follow_redirects", &self.follow_redirects)
            .field("proxy_url", &self.proxy_url.as_ref().map(|u| redact_url(u)))
            .finish()
    }
}

impl Config {
    /// Parses and checks an `alertmanager.yml`.
    pub fn parse(yaml: &str) -> Result<Config, ConfigError> {
        let raw = decode(yaml)?;
        build(raw, yaml)
    }

    /// Adds a `templates` file read by the caller; a file that does not parse fails the
    /// configuration, naming the file and the line.
    pub fn add_template_file(&mut self, path: &str, text: &str) -> Result<(), ConfigError> {
        self.template_set
            .add_file(path, text)
            .map_err(|e| invalid(e.to_string()))
    }

    /// The receiver with this name.
    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }
}

fn decode(yaml: &str) -> Result<RawConfig, ConfigError> {
    let yaml_err = |e: serde_yaml_ng::Error| ConfigError::Yaml(e.to_string());
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(yaml_err)?;
    if value.is_null() {
        // An empty file (or only comments) decodes to nothing, which
        // Alertmanager reports in its own words.
        return Err(invalid("no route provided in config"));
    }
    if yaml.contains("<<") {
        // Merge keys need the generic tree; line numbers are lost then.
        let mut value = value;
        value.apply_merge().map_err(yaml_err)?;
        return serde_yaml_ng::from_value(value).map_err(yaml_err);
    }
    serde_yaml_ng::from_str(yaml).map_err(yaml_err)
}

/// A YAML scalar read as text, the way Go's yaml.v2 fills a string from a
/// number, a boolean or null.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    global: Option<RawGlobal>,
    route: Option<RawRoute>,
    inhibit_rules: Option<Vec<RawInhibitRule>>,
    receivers: Option<Vec<RawReceiver>>,
    templates: Option<Vec<String>>,
    mute_time_intervals: Option<Vec<RawTimeInterval>>,
    time_intervals: Option<Vec<RawTimeInterval>>,
    tracing: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawGlobal {
    resolve_timeout: Option<Scalar>,
    http_config: Option<RawHttpConfig>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// `global` keys Alertmanager knows and hinomi ignores without comment.
const KNOWN_GLOBAL_KEYS: &[&str] = &[
    "smtp_from",
    "smtp_hello",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_secret_file",
    "smtp_auth_identity",
    "smtp_require_tls",
    "smtp_tls_config",
    "smtp_force_implicit_tls",
    "slack_api_url",
    "slack_api_url_file",
    "pagerduty_url",
    "opsgenie_api_url",
    "opsgenie_api_key",
    "opsgenie_api_key_file",
    "wechat_api_url",
    "wechat_api_secret",
    "wechat_api_corp_id",
    "victorops_api_url",
    "victorops_api_key",
    "victorops_api_key_file",
    "telegram_api_url",
    "webex_api_url",
    "jira_api_url",
    "rocketchat_api_url",
    "rocketchat_token",
    "rocketchat_token_file",
    "rocketchat_token_id",
    "rocketchat_token_id_file",
];

/// Pairs of `global` keys of which Alertmanager allows at most one.
const EXCLUSIVE_GLOBAL_KEYS: &[(&str, &str)] = &[
    ("slack_api_url", "slack_api_url_file"),
    ("opsgenie_api_key", "opsgenie_api_key_file"),
    ("victorops_api_key", "victorops_api_key_file"),
    ("smtp_auth_password", "smtp_auth_password_file"),
    ("rocketchat_token", "rocketchat_token_file"),
    ("rocketchat_token_id", "rocketchat_token_id_file"),
    ("smtp_auth_secret", "smtp_auth_secret_file"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    receiver: Option<String>,
    group_by: Option<Vec<String>>,
    #[serde(rename = "match")]
    match_labels: Option<BTreeMap<String, Scalar>>,
    match_re: Option<BTreeMap<String, Scalar>>,
    matchers: Option<Vec<String>>,
    mute_time_intervals: Option<Vec<String>>,
    active_time_intervals: Option<Vec<String>>,
    #[serde(rename = "continue")]
    continue_matching: Option<bool>,
    routes: Option<Vec<RawRoute>>,
    group_wait: Option<Scalar>,
    group_interval: Option<Scalar>,
    repeat_interval: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInhibitRule {
    name: Option<String>,
    source_match: Option<BTreeMap<String, Scalar>>,
    source_match_re: Option<BTreeMap<String, Scalar>>,
    source_matchers: Option<Vec<String>>,
    target_match: Option<BTreeMap<String, Scalar>>,
    target_match_re: Option<BTreeMap<String, Scalar>>,
    target_matchers: Option<Vec<String>>,
    equal: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawReceiver {
    name: Option<String>,
    webhook_configs: Option<Vec<RawWebhook>>,
    email_configs: Option<Vec<receivers::RawIntegration>>,
    slack_configs: Option<Vec<receivers::RawIntegration>>,
    pagerduty_configs: Option<Vec<receivers::RawIntegration>>,
    opsgenie_configs: Option<Vec<receivers::RawIntegration>>,
    msteams_configs: Option<Vec<receivers::RawIntegration>>,
    msteamsv2_configs: Option<Vec<receivers::RawIntegration>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    send_resolved: Option<bool>,
    http_config: Option<RawHttpConfig>,
    url: Option<String>,
    url_file: Option<String>,
    max_alerts: Option<u64>,
    timeout: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpConfig {
    basic_auth: Option<RawBasicAuth>,
    authorization: Option<RawAuthorization>,
    oauth2: Option<Value>,
    bearer_token: Option<String>,
    bearer_token_file: Option<String>,
    tls_config: Option<Value>,
    follow_redirects: Option<bool>,
    // Accepted for compatibility; hinomi's client decides on HTTP/2 itself.
    #[allow(dead_code)]
    enable_http2: Option<bool>,
    proxy_url: Option<String>,
    no_proxy: Option<String>,
    proxy_from_environment: Option<bool>,
    proxy_connect_header: Option<Value>,
    http_headers: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasicAuth {
    username: Option<String>,
    username_file: Option<String>,
    username_ref: Option<String>,
    password: Option<String>,
    password_file: Option<String>,
    password_ref: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorization {
    #[serde(rename = "type")]
    kind: Option<String>,
    credentials: Option<String>,
    credentials_file: Option<String>,
    credentials_ref: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeInterval {
    name: Option<String>,
    // Read so strict parsing accepts it; the intervals are not evaluated yet.
    #[allow(dead_code)]
    time_intervals: Option<Value>,
}

fn non_empty(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.is_empty())
}

fn build(raw: RawConfig, original: &str) -> Result<Config, ConfigError> {
    let mut unsupported = Vec::new();

    // Per-node checks first: Alertmanager makes them while decoding.
    let route_raw = raw.route;
    if let Some(route) = &route_raw {
        check_route_node(route)?;
    }
    let inhibit_rules = raw
        .inhibit_rules
        .unwrap_or_default()
        .iter()
        .map(build_inhibit_rule)
        .collect::<Result<Vec<_>, _>>()?;

    let global = raw.global.unwrap_or_default();
    for (a, b) in EXCLUSIVE_GLOBAL_KEYS {
        if global.other.contains_key(*a) && global.other.contains_key(*b) {
            return Err(invalid(format!(
                "at most one of {a} & {b} must be configured"
            )));
        }
    }
    for key in global.other.keys() {
        if !KNOWN_GLOBAL_KEYS.contains(&key.as_str()) {
            unsupported.push(format!("global: unknown key {} is ignored", quote(key)));
        }
    }
    let resolve_timeout = match &global.resolve_timeout {
        Some(s) => parse_duration(&s.0).map_err(|e| invalid(format!("resolve_timeout: {e}")))?,
        None => DEFAULT_RESOLVE_TIMEOUT_MS,
    };
    let global_http = match &global.http_config {
        Some(h) => build_http(h, "global", &mut unsupported)?,
        None => HttpConfig::default(),
    };

    // Receivers: names present and unique.
    let mut receivers = Vec::new();
    let mut names = BTreeSet::new();
    for r in raw.receivers.unwrap_or_default() {
        let globals = receivers::Globals {
            keys: Some(&global.other),
            http: Some(&global_http),
        };
        let receiver = build_receiver(r, &globals, &mut unsupported)?;
        if !names.insert(receiver.name.clone()) {
            return Err(invalid(format!(
                "notification config name {} is not unique",
                quote(&receiver.name)
            )));
        }
        receivers.push(receiver);
    }

    // The root route.
    let Some(root) = route_raw else {
        return Err(invalid("no routes provided"));
    };
    if root.receiver.as_deref().unwrap_or("").is_empty() {
        return Err(invalid("root route must specify a default receiver"));
    }
    let has_matchers = root.match_labels.as_ref().is_some_and(|m| !m.is_empty())
        || root.match_re.as_ref().is_some_and(|m| !m.is_empty())
        || root.matchers.as_ref().is_some_and(|m| !m.is_empty());
    if has_matchers {
        return Err(invalid("root route must not have any matchers"));
    }
    if root
        .mute_time_intervals
        .as_ref()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(invalid("root route must not have any mute time intervals"));
    }
    if root
        .active_time_intervals
        .as_ref()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(invalid(
            "root route must not have any active time intervals",
        ));
    }
    check_receivers(&root, &names)?;

    // Time intervals: named, unique, and every reference defined.
    let mut time_intervals: Vec<String> = Vec::new();
    for (list, what) in [
        (
            raw.mute_time_intervals.unwrap_or_default(),
            "mute time interval",
        ),
        (raw.time_intervals.unwrap_or_default(), "time interval"),
    ] {
        for ti in list {
            let name = ti.name.unwrap_or_default();
            if name.is_empty() {
                return Err(invalid(format!("missing name in {what}")));
            }
            if time_intervals.contains(&name) {
                return Err(invalid(format!("{what} {} is not unique", quote(&name))));
            }
            time_intervals.push(name);
        }
    }
    check_time_intervals(&root, &time_intervals)?;

    if root.continue_matching.unwrap_or(false) {
        return Err(invalid("cannot have continue in root route"));
    }

    let spec = route_spec(&root)?;
    let route = Route::from_spec(&spec);

    let templates = raw.templates.unwrap_or_default();
    if !time_intervals.is_empty() {
        let listed: Vec<String> = time_intervals.iter().map(|n| quote(n)).collect();
        unsupported.push(format!(
            "time intervals are not evaluated yet ({}): routes that use them are never muted by time",
            listed.join(", ")
        ));
    }
    if raw.tracing.is_some() {
        unsupported.push("tracing is not configured from alertmanager.yml".to_owned());
    }

    Ok(Config {
        resolve_timeout,
        route,
        receivers,
        inhibit_rules,
        templates,
        template_set: Templates::default(),
        time_intervals,
        original: original.to_owned(),
        unsupported,
    })
}

/// Checks Alertmanager makes on each route while decoding it.
fn check_route_node(r: &RawRoute) -> Result<(), ConfigError> {
    for name in r.match_labels.iter().flat_map(|m| m.keys()) {
        validate_label_name(name).map_err(|e| invalid(e.to_string()))?;
    }
    for (name, pattern) in r.match_re.iter().flat_map(|m| m.iter()) {
        validate_label_name(name).map_err(|e| invalid(e.to_string()))?;
        Matcher::new(name.as_str(), MatchOp::Regex, pattern.0.as_str())
            .map_err(|e| invalid(e.to_string()))?;
    }
    for line in r.matchers.iter().flatten() {
        parse_matchers(line).map_err(|e| invalid(e.to_string()))?;
    }
    group_by(r.group_by.as_deref())?;
    let group_interval = opt_duration(&r.group_interval, "group_interval")?;
    if group_interval == Some(0) {
        return Err(invalid("group_interval cannot be zero"));
    }
    let repeat_interval = opt_duration(&r.repeat_interval, "repeat_interval")?;
    if repeat_interval == Some(0) {
        return Err(invalid("repeat_interval cannot be zero"));
    }
    opt_duration(&r.group_wait, "group_wait")?;
    for child in r.routes.iter().flatten() {
        check_route_node(child)?;
    }
    Ok(())
}

fn opt_duration(v: &Option<Scalar>, field: &str) -> Result<Option<i64>, ConfigError> {
    v.as_ref()
        .map(|s| parse_duration(&s.0).map_err(|e| invalid(format!("{field}: {e}"))))
        .transpose()
}

/// `group_by`: `...` alone means every label; names must be non-empty and
/// unique. An absent or empty list inherits the parent's.
fn group_by(list: Option<&[String]>) -> Result<Option<GroupBy>, ConfigError> {
    let Some(list) = list else {
        return Ok(None);
    };
    let mut all = false;
    let mut names: Vec<String> = Vec::new();
    for l in list {
        if l == "..." {
            all = true;
        } else if l.is_empty() {
            return Err(invalid(format!(
                "invalid label name {} in group_by list",
                quote(l)
            )));
        } else {
            names.push(l.clone());
        }
    }
    if all && !names.is_empty() {
        return Err(invalid(
            "cannot have wildcard group_by (`...`) and other labels at the same time",
        ));
    }
    let mut seen = BTreeSet::new();
    for n in &names {
        if !seen.insert(n) {
            return Err(invalid(format!(
                "duplicated label {} in group_by",
                quote(n)
            )));
        }
    }
    Ok(if all {
        Some(GroupBy::All)
    } else if names.is_empty() {
        None
    } else {
        Some(GroupBy::labels(names))
    })
}

fn check_receivers(r: &RawRoute, names: &BTreeSet<String>) -> Result<(), ConfigError> {
    for child in r.routes.iter().flatten() {
        check_receivers(child, names)?;
    }
    match r.receiver.as_deref() {
        Some(name) if !name.is_empty() && !names.contains(name) => Err(invalid(format!(
            "undefined receiver {} used in route",
            quote(name)
        ))),
        _ => Ok(()),
    }
}

fn check_time_intervals(r: &RawRoute, defined: &[String]) -> Result<(), ConfigError> {
    for child in r.routes.iter().flatten() {
        check_time_intervals(child, defined)?;
    }
    let used = r
        .active_time_intervals
        .iter()
        .flatten()
        .chain(r.mute_time_intervals.iter().flatten());
    for name in used {
        if !defined.contains(name) {
            return Err(invalid(format!(
                "undefined time interval {} used in route",
                quote(name)
            )));
        }
    }
    Ok(())
}

/// `match` and `match_re` as matchers; `match_re` values are anchored as
/// `^(?:value)$` before becoming the matcher's value, which is why they show
/// up anchored in route keys.
fn legacy_matchers(
    equal: Option<&BTreeMap<String, Scalar>>,
    regex: Option<&BTreeMap<String, Scalar>>,
) -> Result<Vec<Matcher>, ConfigError> {
    let mut out = Vec::new();
    for (name, value) in equal.into_iter().flatten() {
        out.push(
            Matcher::new(name.as_str(), MatchOp::Equal, value.0.as_str())
                .map_err(|e| invalid(e.to_string()))?,
        );
    }
    for (name, value) in regex.into_iter().flatten() {
        let anchored = format!("^(?:{})$", value.0);
        out.push(
            Matcher::new(name.as_str(), MatchOp::Regex, anchored)
                .map_err(|e| invalid(e.to_string()))?,
        );
    }
    Ok(out)
}

fn matcher_lines(lines: Option<&Vec<String>>) -> Result<Vec<Matcher>, ConfigError> {
    let mut out = Vec::new();
    for line in lines.into_iter().flatten() {
        out.extend(parse_matchers(line).map_err(|e| invalid(e.to_string()))?);
    }
    Ok(out)
}

fn route_spec(r: &RawRoute) -> Result<RouteSpec, ConfigError> {
    let mut matchers = legacy_matchers(r.match_labels.as_ref(), r.match_re.as_ref())?;
    matchers.extend(matcher_lines(r.matchers.as_ref())?);
    Ok(RouteSpec {
        receiver: r.receiver.clone().filter(|s| !s.is_empty()),
        group_by: group_by(r.group_by.as_deref())?,
        matchers,
        continue_matching: r.continue_matching.unwrap_or(false),
        group_wait: opt_duration(&r.group_wait, "group_wait")?,
        group_interval: opt_duration(&r.group_interval, "group_interval")?,
        repeat_interval: opt_duration(&r.repeat_interval, "repeat_interval")?,
        mute_time_intervals: r.mute_time_intervals.clone().unwrap_or_default(),
        active_time_intervals: r.active_time_intervals.clone().unwrap_or_default(),
        routes: r
            .routes
            .iter()
            .flatten()
            .map(route_spec)
            .collect::<Result<_, _>>()?,
    })
}

fn build_inhibit_rule(r: &RawInhibitRule) -> Result<InhibitRule, ConfigError> {
    for name in r
        .source_match
        .iter()
        .chain(r.target_match.iter())
        .chain(r.source_match_re.iter())
        .chain(r.target_match_re.iter())
        .flat_map(|m| m.keys())
    {
        validate_label_name(name).map_err(|e| invalid(e.to_string()))?;
    }
    for name in r.equal.iter().flatten() {
        if name.is_empty() {
            return Err(invalid(format!(
                "invalid label name {} in equal list",
                quote(name)
            )));
        }
    }
    let mut source = legacy_matchers(r.source_match.as_ref(), r.source_match_re.as_ref())?;
    source.extend(matcher_lines(r.source_matchers.as_ref())?);
    let mut target = legacy_matchers(r.target_match.as_ref(), r.target_match_re.as_ref())?;
    target.extend(matcher_lines(r.target_matchers.as_ref())?);
    Ok(InhibitRule {
        name: r.name.clone().filter(|n| !n.is_empty()),
        source_matchers: Matchers(source),
        target_matchers: Matchers(target),
        equal: r.equal.clone().unwrap_or_default(),
    })
}

fn build_receiver(
    r: RawReceiver,
    globals: &receivers::Globals<'_>,
    unsupported: &mut Vec<String>,
) -> Result<Receiver, ConfigError> {
    let global_http = globals.http.cloned().unwrap_or_default();
    let name = r.name.unwrap_or_default();
    if name.is_empty() {
        return Err(invalid("missing name in receiver"));
    }
    let mut other_kinds = Vec::new();
    for (key, value) in &r.other {
        if !key.ends_with("_configs") {
            return Err(ConfigError::Yaml(format!(
                "receivers: unknown field `{key}` in receiver {}",
                quote(&name)
            )));
        }
        let count = match value {
            Value::Sequence(items) => items.len(),
            Value::Null => 0,
            _ => {
                return Err(ConfigError::Yaml(format!(
                    "receivers: `{key}` in receiver {} must be a list",
                    quote(&name)
                )));
            }
        };
        if count > 0 {
            unsupported.push(format!(
                "receiver {}: {key} is not delivered by hinomi",
                quote(&name)
            ));
            other_kinds.push(key.clone());
        }
    }
    let webhooks = r
        .webhook_configs
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let place = format!("receiver {}: webhook_configs[{i}]", quote(&name));
            build_webhook(w, &global_http, &place, unsupported)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut receiver = Receiver {
        name,
        webhooks,
        other_kinds,
        ..Receiver::default()
    };
    let kinds = receivers::RawKinds {
        email_configs: r.email_configs,
        slack_configs: r.slack_configs,
        pagerduty_configs: r.pagerduty_configs,
        opsgenie_configs: r.opsgenie_configs,
        msteams_configs: r.msteams_configs,
        msteamsv2_configs: r.msteamsv2_configs,
    };
    receivers::build_kinds(&mut receiver, kinds, globals, unsupported)?;
    Ok(receiver)
}

fn build_webhook(
    w: &RawWebhook,
    global_http: &HttpConfig,
    place: &str,
    unsupported: &mut Vec<String>,
) -> Result<WebhookConfig, ConfigError> {
    let url = w.url.clone().filter(|u| !u.is_empty());
    let url_file = w.url_file.clone().filter(|u| !u.is_empty());
    match (&url, &url_file) {
        (None, None) => {
            return Err(invalid(format!(
                "{place}: one of url or url_file must be configured"
            )));
        }
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "{place}: at most one of url & url_file must be configured"
            )));
        }
        (Some(u), None) => check_http_url(u).map_err(|e| invalid(format!("{place}: {e}")))?,
        (None, Some(_)) => {}
    }
    let http = match &w.http_config {
        Some(h) => build_http(h, place, unsupported)?,
        None => global_http.clone(),
    };
    let timeout = opt_duration(&w.timeout, &format!("{place}: timeout"))?;
    Ok(WebhookConfig {
        url: url.unwrap_or_default(),
        url_file,
        send_resolved: w.send_resolved.unwrap_or(true),
        max_alerts: w.max_alerts.unwrap_or(0),
        http,
        timeout_ms: timeout.filter(|t| *t > 0),
    })
}

/// Alertmanager's `parseURL`: an `http` or `https` scheme and a host.
fn check_http_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url.split_once(':').unwrap_or(("", url));
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("unsupported scheme {} for URL", quote(&scheme)));
    }
    let host = rest
        .strip_prefix("//")
        .map(|r| {
            let end = r.find(['/', '?', '#']).unwrap_or(r.len());
            let authority = &r[..end];
            authority.rsplit_once('@').map_or(authority, |(_, h)| h)
        })
        .unwrap_or("");
    if host.is_empty() {
        return Err("missing host for URL".to_owned());
    }
    Ok(())
}

/// `HTTPClientConfig.Validate` plus the subset hinomi models.
fn build_http(
    h: &RawHttpConfig,
    place: &str,
    unsupported: &mut Vec<String>,
) -> Result<HttpConfig, ConfigError> {
    let err = |msg: &str| invalid(format!("{place}: http_config: {msg}"));
    let bearer = non_empty(&h.bearer_token);
    let bearer_file = non_empty(&h.bearer_token_file);
    if bearer && bearer_file {
        return Err(err(
            "at most one of bearer_token & bearer_token_file must be configured",
        ));
    }
    if (h.basic_auth.is_some() || h.oauth2.is_some()) && (bearer || bearer_file) {
        return Err(err(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        ));
    }
    if let Some(b) = &h.basic_auth {
        let count = [
            non_empty(&b.username),
            non_empty(&b.username_file),
            non_empty(&b.username_ref),
        ];
        if count.iter().filter(|x| **x).count() > 1 {
            return Err(err(
                "at most one of basic_auth username, username_file & username_ref must be configured",
            ));
        }
        let count = [
            non_empty(&b.password),
            non_empty(&b.password_file),
            non_empty(&b.password_ref),
        ];
        if count.iter().filter(|x| **x).count() > 1 {
            return Err(err(
                "at most one of basic_auth password, password_file & password_ref must be configured",
            ));
        }
    }
    let mut authorization = None;
    let mut authorization_credentials_file = None;
    if let Some(a) = &h.authorization {
        if bearer || bearer_file {
            return Err(err(
                "authorization is not compatible with bearer_token & bearer_token_file",
            ));
        }
        let count = [
            non_empty(&a.credentials),
            non_empty(&a.credentials_file),
            non_empty(&a.credentials_ref),
        ];
        if count.iter().filter(|x| **x).count() > 1 {
            return Err(err(
                "at most one of authorization credentials & credentials_file must be configured",
            ));
        }
        let kind = a.kind.as_deref().unwrap_or("").trim();
        let kind = if kind.is_empty() { "Bearer" } else { kind };
        if kind.eq_ignore_ascii_case("basic") {
            return Err(err(
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
            ));
        }
        if h.basic_auth.is_some() || h.oauth2.is_some() {
            return Err(err(
                "at most one of basic_auth, oauth2 & authorization must be configured",
            ));
        }
        authorization = Some((kind.to_owned(), a.credentials.clone().unwrap_or_default()));
        authorization_credentials_file = a.credentials_file.clone().filter(|f| !f.is_empty());
    }
    if h.oauth2.is_some() && h.basic_auth.is_some() {
        return Err(err(
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ));
    }
    for (present, what) in [
        (h.oauth2.is_some(), "oauth2"),
        (h.tls_config.is_some(), "tls_config"),
        (h.http_headers.is_some(), "http_headers"),
        (
            non_empty(&h.no_proxy)
                || h.proxy_from_environment == Some(true)
                || h.proxy_connect_header.is_some(),
            "proxy settings other than proxy_url",
        ),
        (
            h.basic_auth.as_ref().is_some_and(|b| {
                non_empty(&b.username_file)
                    || non_empty(&b.username_ref)
                    || non_empty(&b.password_ref)
            }),
            "basic_auth username_file/_ref and password_ref",
        ),
        (
            h.authorization
                .as_ref()
                .is_some_and(|a| non_empty(&a.credentials_ref)),
            "authorization credentials_ref",
        ),
    ] {
        if present {
            unsupported.push(format!("{place}: http_config {what} is not applied yet"));
        }
    }
    Ok(HttpConfig {
        bearer_token: h.bearer_token.clone().filter(|t| !t.is_empty()),
        bearer_token_file: h.bearer_token_file.clone().filter(|t| !t.is_empty()),
        authorization,
        authorization_credentials_file,
        basic_auth: h.basic_auth.as_ref().map(|b| {
            (
                b.username.clone().unwrap_or_default(),
                b.password.clone().unwrap_or_default(),
            )
        }),
        basic_auth_password_file: h
            .basic_auth
            .as_ref()
            .and_then(|b| b.password_file.clone())
            .filter(|f| !f.is_empty()),
        follow_redirects: h.follow_redirects.unwrap_or(true),
        proxy_url: h.proxy_url.clone().filter(|u| !u.is_empty()),
    })
}

#[cfg(test)]
mod tests;
