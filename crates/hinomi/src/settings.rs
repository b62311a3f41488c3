//! hinomi's settings: one typed struct, filled from defaults < TOML file < `HINOMI_*`
//! environment < command-line flags. Secrets (the database URL's password) never reach
//! `Debug` output or logs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use hinomi_core::ContactKind;
use hinomi_notify::channels::ChannelSettings;
use serde::{Deserialize, Serialize};

/// The commented example `hinomi config default` prints. A test checks that it parses to
/// exactly [`Settings::default`], so the two cannot drift apart.
pub const DEFAULT_TOML: &str = r#"# hinomi settings. Every key is optional; these are the defaults.
# Order of precedence: defaults < this file < HINOMI_* environment < command-line flags.
# Nested keys in the environment use a double underscore: HINOMI_SQLITE__SYNCHRONOUS=normal.

# Address the HTTP server listens on. Alertmanager's port, so clients need no change.
listen = "127.0.0.1:9093"

# Where the embedded SQLite database lives when no database_url is set.
data_dir = "data"

# A postgres://user:password@host/db URL to share one PostgreSQL between instances.
# Empty means SQLite in data_dir.
database_url = ""

# An existing alertmanager.yml: route, receivers and inhibit_rules are read from it.
# Empty means the built-in routing (store and group alerts, notify nobody).
alertmanager_config = ""

# The URL people reach hinomi at; notifications link to it (externalURL).
external_url = "http://127.0.0.1:9093"

# This instance's name in leases and the delivery log. Empty: a random name per start.
instance = ""

[log]
# error, warn, info, debug or trace; or any tracing filter such as "hinomi=debug,info".
level = "info"
# "text" for people, "json" for log collectors.
format = "text"

[sqlite]
# "full": every acknowledged write survives a power cut (the log is fsynced before the
# answer; one fsync serves a run of commits).
# "normal": survives a crash of hinomi, not of the machine; faster.
synchronous = "full"

[database]
# Connections per pool (PostgreSQL), or reader connections (SQLite).
max_connections = 8

[intake]
# Requests waiting for the database writer before intake answers 503.
queue = 4096
max_body_bytes = 8388608
max_alerts_per_request = 10000
max_labels = 128
max_name_bytes = 1024
max_label_value_bytes = 16384
max_annotation_value_bytes = 262144

[auth]
# Leave the Alertmanager API (/api/v2) open to requests without credentials, as
# Alertmanager is. Only on a trusted network: anyone who reaches hinomi could then post
# alerts and silence them. Off: send an API token or integration key (bearer or basic auth).
alertmanager_api_open = false
# Serve /metrics without credentials (otherwise scrape it with an API token).
metrics_public = false
# How long a console sign-in lasts.
session_hours = 24

[auth.oidc]
# Sign-in through an OpenID Connect provider (authorization code flow with PKCE).
# Empty issuer: off. Register <external_url>/auth/oidc/callback as the redirect URI.
issuer = ""
client_id = ""
# The client secret, or a file holding it (read at start). Both empty: a public client.
client_secret = ""
client_secret_file = ""
# Scopes asked for besides "openid".
scopes = ["profile", "email"]
# The ID token claim listing the user's groups; a dotted path reaches into objects
# ("realm_access.roles").
groups_claim = "groups"
# Role of a user in no mapped group: viewer, responder, admin or owner; empty refuses them.
default_role = ""
# On a first sign-in, link to the existing user with the same verified email address.
match_email = false
# Text of the sign-in button on the login page.
button_label = "Sign in with SSO"

[auth.oidc.group_roles]
# A group -> role map, applied at every sign-in; the highest role of the user's groups wins.
# sre = "admin"
# oncall = "responder"

[status_page]
# The public status page's name (in its header, feeds and Statuspage's JSON `page.name`).
name = "hinomi"
# The IANA time zone its times are written in.
time_zone = "Asia/Tokyo"
# Bounds on the confirmation mails of the public subscribe form: per address in 24 hours,
# and to anyone in an hour. Requests over them are answered alike and send nothing.
confirmations_per_address_per_day = 3
confirmations_per_hour = 100

[delivery]
# Webhook timeout when the receiver sets none.
timeout_seconds = 10
# Attempts before a notification is given up as failed (backoff 1 s doubling to 5 min).
max_attempts = 12
# How long an instance holds a notification it is sending before another may take it.
lease_seconds = 15
# How often idle workers look for work another instance wrote.
poll_interval_ms = 1000

[delivery.per_minute]
# At most this many notices a minute per contact kind on each instance (0: no limit); the
# rest wait in the outbox. Calls and text messages cost money and wake people: slower.
email = 600
sms = 30
voice = 10
slack = 60
teams = 60
line_works = 60
webhook = 600

# The channels that carry notices to people. A channel left unconfigured fails its
# notices at once, saying which setting is missing, in the delivery log (`hinomi deliveries`).
# Secrets can come from the environment instead: HINOMI_CHANNELS__SMTP__PASSWORD=...

[channels.smtp]
# The SMTP server; empty: no email.
host = ""
# 0: 587 with STARTTLS, 465 with implicit TLS, 25 without.
port = 0
# "starttls" (required), "implicit" (TLS from the first byte) or "none".
tls = "starttls"
# Empty username: no authentication.
username = ""
password = ""
# The sender address and its display name.
from = ""
from_name = "hinomi"
# The EHLO name; empty: this machine's host name.
hello = ""
# "utf-8", or "iso-2022-jp" for mail systems that predate UTF-8.
charset = "utf-8"

[channels.slack]
# A bot token (xoxb-...) to post to channel or user ids with chat.postMessage, with
# acknowledge and resolve buttons. Contacts whose address is an incoming-webhook URL need
# no token.
bot_token = ""
api_url = "https://slack.com/api"
# The app's signing secret: interaction callbacks (button presses) and slash commands are
# checked with it. Set the app's Interactivity Request URL to
# <external_url>/integrations/slack/interactions, and a slash command (/incident) to
# <external_url>/integrations/slack/commands.
signing_secret = ""

[channels.teams]
# The security token of a Teams outgoing webhook whose callback URL is
# <external_url>/integrations/teams/commands: "@hinomi declare SEV1 <title>" in the channel
# declares an incident.
outgoing_webhook_secret = ""

[channels.twilio]
# Voice calls and text messages through Twilio or any API speaking its protocol. A call's
# keypad press comes back to <external_url>/a/<token>/keypad, signed with auth_token.
account_sid = ""
auth_token = ""
# The number calls and messages come from (E.164, "+81...").
from = ""
api_url = "https://api.twilio.com/2010-04-01"

[channels.line_works]
# A LINE WORKS app with a service account and a bot (Bot API v2).
client_id = ""
client_secret = ""
service_account = ""
# The app's private key (PEM), or a file holding it.
private_key = ""
private_key_file = ""
bot_id = ""
api_url = "https://www.worksapis.com/v1.0"
auth_url = "https://auth.worksmobile.com/oauth2/v2.0/token"

[channels.webhook]
# The key people's webhooks are signed with (X-Hinomi-Signature: t=<unix>,v1=<hex HMAC-SHA256
# of "<t>.<body>">); empty: no webhook contacts.
secret = ""

# Incident severities (SEV1 is the worst): the name people see, what it means (empty:
# hinomi's own wording, in the reader's language), and how often responders owe
# stakeholders an update while it is open (update_every_minutes; leave it out for none).
[[incidents.severities]]
severity = "SEV1"
name = "SEV1"
description = ""
update_every_minutes = 30

[[incidents.severities]]
severity = "SEV2"
name = "SEV2"
description = ""
update_every_minutes = 60

[[incidents.severities]]
severity = "SEV3"
name = "SEV3"
description = ""

[[incidents.severities]]
severity = "SEV4"
name = "SEV4"
description = ""

# Rules that suggest a severity from an incident's impact. A rule fires when any of its
# conditions holds: at least so many people or customers affected, a revenue impact a day
# at least one of the amounts (compared in the same ISO 4217 currency only), a
# reputational risk (low, medium, high, critical) at least the one given. The worst
# severity any rule suggests wins. Giving any rule replaces all of these.
[[incidents.rules]]
severity = "SEV1"
people_affected_at_least = 100
revenue_per_day_at_least = ["5000000 JPY"]
customers_affected_at_least = 500
reputational_risk_at_least = "high"

[[incidents.rules]]
severity = "SEV2"
people_affected_at_least = 20
revenue_per_day_at_least = ["1000000 JPY"]
customers_affected_at_least = 50
reputational_risk_at_least = "medium"

[[incidents.rules]]
severity = "SEV3"
people_affected_at_least = 1
revenue_per_day_at_least = ["1 JPY"]
customers_affected_at_least = 1

# Stakeholder lists: who hears an incident's updates (POST /api/v1/incidents/<ref>/updates,
# or the incident page). Each names the severities it hears (empty: all), its contacts as
# kind:address (email, sms, slack, teams, line_works, webhook), and its language (ja, en).
# [[incidents.stakeholders]]
# name = "経営層"
# severities = ["SEV1", "SEV2"]
# contacts = ["email:managers@example.com", "slack:https://hooks.slack.com/services/..."]
# language = "ja"

# Customer notification templates: the drafts of the status page's texts and of stakeholder
# updates (GET /api/v1/incidents/<ref>/drafts, `hinomi incident draft`), one per status
# (investigating, identified, monitoring, resolved) in Japanese and English. Placeholders:
# {title}, {services} (or "一部のサービス"/"some services"), {started}, {resolved},
# {next_update} (times in status_page.time_zone); {{ and }} write braces. Each one given
# replaces the built-in template of its status.
# [[incidents.customer_templates]]
# status = "investigating"
# ja = "現在、{services}において障害が発生しております。ご迷惑をおかけし申し訳ございません。"
# en = "We are experiencing an issue affecting {services}. We apologise for the inconvenience."

# The response team's roles: a key (what the API and CLI use), names in Japanese and
# English, the group (core: works the problem; support: PR, customers, executives,
# vendors) and what the role does. Exactly one role leads: it has one holder, the declarer
# holds it unless someone else is named, and reminders nobody else holds go to it. Giving
# any role replaces all of these.
[[incidents.roles]]
key = "incident_manager"
name_ja = "インシデントマネージャー"
name_en = "Incident manager"
group = "core"
description_ja = "対応全体を指揮し、判断し、関係者への報告を取りまとめる。"
description_en = "Leads the response, makes the calls and keeps everyone informed."
lead = true

[[incidents.roles]]
key = "technical_lead"
name_ja = "テクニカルリード"
name_en = "Technical lead"
group = "core"
description_ja = "原因調査と技術的な対策を主導する。"
description_en = "Leads the investigation and the technical measures."

[[incidents.roles]]
key = "system_expert"
name_ja = "システム専門家"
name_en = "System expert"
group = "core"
description_ja = "影響を受けたシステムを熟知し、ログとエラーを分析する。"
description_en = "Knows the affected systems; analyses logs and errors."

[[incidents.roles]]
key = "operator"
name_ja = "運用担当者"
name_en = "Operator"
group = "core"
description_ja = "再起動や設定変更などの運用作業を実施する。"
description_en = "Carries out operational work: restarts, configuration changes."

[[incidents.roles]]
key = "pr"
name_ja = "広報担当"
name_en = "PR"
group = "support"
description_ja = "社外への発表と報道対応を担う。"
description_en = "Handles public statements and the press."

[[incidents.roles]]
key = "customer_support"
name_ja = "顧客対応"
name_en = "Customer support"
group = "support"
description_ja = "顧客への連絡と問い合わせ対応を担う。"
description_en = "Informs customers and answers their questions."

[[incidents.roles]]
key = "executive_liaison"
name_ja = "経営層連携"
name_en = "Executive liaison"
group = "support"
description_ja = "経営層への報告と判断の依頼を担う。"
description_en = "Reports to executives and brings back their decisions."

[[incidents.roles]]
key = "external_vendor"
name_ja = "外部ベンダー"
name_en = "External vendor"
group = "support"
description_ja = "外部ベンダーとの窓口となる、またはベンダー自身が担う。"
description_en = "The outside vendor, or the person who deals with them."

# Playbooks: checklists copied onto an incident when it is declared (or when a change of
# severity makes one apply) for the severities and services listed (empty: all), in phases
# whose deadline counts in minutes from then. An item may name the role it is for; an
# overdue item reminds its assignee, else its role's holders, else the lead, once. Giving
# any playbook replaces this one.
[[incidents.playbooks]]
key = "first_response"
name_ja = "初動対応"
name_en = "First response"
severities = ["SEV1", "SEV2"]
services = []

[[incidents.playbooks.phases]]
name_ja = "即時対応（最初の1時間）"
name_en = "Immediate response (first hour)"
deadline_minutes = 60
items = [
    { text_ja = "インシデント宣言", text_en = "Declare the incident", role = "incident_manager" },
    { text_ja = "対応チーム編成", text_en = "Form the response team", role = "incident_manager" },
    { text_ja = "初期状況評価", text_en = "Assess the initial situation", role = "technical_lead" },
    { text_ja = "暫定対策検討", text_en = "Consider interim measures", role = "technical_lead" },
]

[[incidents.playbooks.phases]]
name_ja = "状況確認（2-3時間）"
name_en = "Situation analysis (2-3 hours)"
deadline_minutes = 180
items = [
    { text_ja = "ログ分析", text_en = "Analyse the logs", role = "system_expert" },
    { text_ja = "エラー調査", text_en = "Investigate the errors", role = "system_expert" },
    { text_ja = "影響範囲特定", text_en = "Scope the impact", role = "technical_lead" },
    { text_ja = "原因仮説立案", text_en = "Form cause hypotheses", role = "technical_lead" },
]

# Escalation criteria: rules that act on an incident's state. A criterion holds when any
# of its conditions does: a severity among `severities`, or an impact at least one of the
# thresholds (written as in the rules above); one with none holds always. With
# `unresolved_after_minutes` it waits that long after the declaration, and acts only if the
# incident is still open then. When it holds it pages, through their notification rules,
# the holders of `page_roles` and the users in `page_users` (the incident manager when that
# is nobody), once per incident, and says so on the timeline. Giving any criterion
# replaces these.
[[incidents.escalations]]
key = "executive_liaison"
name = "SEV1 または影響顧客100社超: 経営層連携を呼び出す"
severities = ["SEV1"]
customers_affected_at_least = 101
page_roles = ["executive_liaison"]

[[incidents.escalations]]
key = "unresolved_4h"
name = "宣言から4時間未解決: エスカレーション"
unresolved_after_minutes = 240
page_roles = ["incident_manager", "executive_liaison"]

# Action items: their due dates are read in this zone (an item is overdue from the midnight
# that ends its due date). An overdue item reminds its owner (the incident manager when it
# has none), and the incident manager hears of it this many days later if it is still open.
[incidents.action_items]
time_zone = "Asia/Tokyo"
tell_lead_after_days = 3
"#;

/// Every setting hinomi reads.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub alertmanager_config: String,
    pub external_url: String,
    pub instance: String,
    pub log: LogSettings,
    pub sqlite: SqliteSettings,
    pub database: DatabaseSettings,
    pub intake: IntakeSettings,
    pub auth: AuthSettings,
    pub delivery: DeliverySettings,
    pub channels: ChannelSettings,
    pub incidents: hinomi_core::incident::PolicyDef,
    pub status_page: StatusPageSettings,
}

/// `[status_page]`: the public status page's name and time zone, and the bounds on the
/// confirmation mails its subscribe form sends.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StatusPageSettings {
    pub name: String,
    pub time_zone: String,
    pub confirmations_per_address_per_day: u32,
    pub confirmations_per_hour: u32,
}

impl Default for StatusPageSettings {
    fn default() -> Self {
        let d = hinomi_web::status::statuspage::PageSettings::default();
        StatusPageSettings {
            name: d.name,
            time_zone: d.time_zone,
            confirmations_per_address_per_day: d.limits.per_address_per_day,
            confirmations_per_hour: d.limits.per_hour,
        }
    }
}

impl StatusPageSettings {
    pub fn page(&self) -> hinomi_web::status::statuspage::PageSettings {
        hinomi_web::status::statuspage::PageSettings {
            name: self.name.clone(),
            time_zone: self.time_zone.clone(),
            limits: hinomi_core::status_page::subscription::MailLimits {
                per_address_per_day: self.confirmations_per_address_per_day,
                per_hour: self.confirmations_per_hour,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub alertmanager_api_open: bool,
    pub metrics_public: bool,
    pub session_hours: u64,
    pub oidc: OidcFileSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SqliteSettings {
    pub synchronous: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub max_connections: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    pub queue: usize,
    pub max_body_bytes: usize,
    pub max_alerts_per_request: usize,
    pub max_labels: usize,
    pub max_name_bytes: usize,
    pub max_label_value_bytes: usize,
    pub max_annotation_value_bytes: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    pub timeout_seconds: u64,
    pub max_attempts: i64,
    pub lease_seconds: u64,
    pub poll_interval_ms: u64,
    pub per_minute: PerMinute,
}

/// `[delivery.per_minute]`: the throttle of each contact kind.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PerMinute {
    pub email: u32,
    pub sms: u32,
    pub voice: u32,
    pub slack: u32,
    pub teams: u32,
    pub line_works: u32,
    pub webhook: u32,
}

impl Default for PerMinute {
    fn default() -> Self {
        PerMinute {
            email: 600,
            sms: 30,
            voice: 10,
            slack: 60,
            teams: 60,
            line_works: 60,
            webhook: 600,
        }
    }
}

impl PerMinute {
    /// The engine's form: sends per minute by contact kind.
    pub fn by_kind(&self) -> HashMap<ContactKind, u32> {
        ContactKind::ALL
            .into_iter()
            .map(|kind| {
                let n = match kind {
                    ContactKind::Email => self.email,
                    ContactKind::Sms => self.sms,
                    ContactKind::Voice => self.voice,
                    ContactKind::Slack => self.slack,
                    ContactKind::Teams => self.teams,
                    ContactKind::LineWorks => self.line_works,
                    ContactKind::Webhook => self.webhook,
                };
                (kind, n)
            })
            .collect()
    }
}

/// `[auth.oidc]` as written; [`Settings::oidc`] checks it and reads the secret file.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OidcFileSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_secret_file: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub default_role: String,
    pub match_email: bool,
    pub button_label: String,
    pub group_roles: BTreeMap<String, String>,
}

impl Default for OidcFileSettings {
    fn default() -> Self {
        OidcFileSettings {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: String::new(),
            scopes: vec!["profile".into(), "email".into()],
            groups_claim: "groups".into(),
            default_role: String::new(),
            match_email: false,
            button_label: "Sign in with SSO".into(),
            group_roles: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for OidcFileSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcFileSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &redact(&self.client_secret))
            .field("client_secret_file", &self.client_secret_file)
            .field("scopes", &self.scopes)
            .field("groups_claim", &self.groups_claim)
            .field("default_role", &self.default_role)
            .field("match_email", &self.match_email)
            .field("button_label", &self.button_label)
            .field("group_roles", &self.group_roles)
            .finish()
    }
}

/// `***` for a set secret, nothing for an unset one (so `config show` tells which).
fn redact(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "***" }
}

impl Default for Settings {
    fn default() -> Self {
        let limits = hinomi_web::Limits::default();
        Settings {
            listen: "127.0.0.1:9093".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            alertmanager_config: String::new(),
            external_url: "http://127.0.0.1:9093".into(),
            instance: String::new(),
            log: LogSettings::default(),
            sqlite: SqliteSettings::default(),
            database: DatabaseSettings::default(),
            intake: IntakeSettings {
                queue: 4096,
                max_body_bytes: limits.max_body_bytes,
                max_alerts_per_request: limits.max_alerts_per_request,
                max_labels: limits.max_labels,
                max_name_bytes: limits.max_name_bytes,
                max_label_value_bytes: limits.max_label_value_bytes,
                max_annotation_value_bytes: limits.max_annotation_value_bytes,
            },
            auth: AuthSettings::default(),
            delivery: DeliverySettings::default(),
            channels: ChannelSettings::default(),
            incidents: hinomi_core::incident::PolicyDef::default(),
            status_page: StatusPageSettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            alertmanager_api_open: false,
            metrics_public: false,
            session_hours: 24,
            oidc: OidcFileSettings::default(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings {
            synchronous: "full".into(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings { max_connections: 8 }
    }
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Settings::default().intake
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            timeout_seconds: 10,
            max_attempts: 12,
            lease_seconds: 15,
            poll_interval_ms: 1000,
            per_minute: PerMinute::default(),
        }
    }
}

/// A database URL with its password replaced, for logs and `Debug`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("alertmanager_config", &self.alertmanager_config)
            .field("external_url", &self.external_url)
            .field("instance", &self.instance)
            .field("log", &self.log)
            .field("sqlite", &self.sqlite)
            .field("database", &self.database)
            .field("intake", &self.intake)
            .field("auth", &self.auth)
            .field("delivery", &self.delivery)
            .field("channels", &self.channels)
            .field("incidents", &self.incidents)
            .field("status_page", &self.status_page)
            .finish()
    }
}

/// Values given as command-line flags; unset ones leave the lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alertmanager_config: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
}

impl Settings {
    /// Layers the settings: defaults, then the TOML file (if any), then `HINOMI_*`
    /// variables from `env`, then flags.
    pub fn load(
        file: Option<&PathBuf>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &FlagOverrides,
    ) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "settings file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file_exact(path));
        }
        // Read the given environment (not the process's) so tests stay independent.
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("HINOMI_") else {
                continue;
            };
            if rest == "CONFIG" {
                continue;
            }
            let path = rest.to_ascii_lowercase().replace("__", ".");
            // Channel settings are addresses, ids and secrets that may look like numbers
            // ("+81...", a numeric bot id): they stay text.
            let parsed: figment::value::Value = if path.starts_with("channels.") {
                figment::value::Value::from(value.clone())
            } else {
                value
                    .parse()
                    .unwrap_or_else(|_| figment::value::Value::from(value.clone()))
            };
            figment = figment.merge(Serialized::default(&path, parsed));
        }
        let settings: Settings = figment
            .merge(Serialized::defaults(flags))
            .extract()
            .context("invalid settings")?;
        Ok(settings)
    }

    /// OpenID Connect sign-in as configured in `[auth.oidc]`; `None` when no issuer is set.
    /// Errors name the setting that is wrong.
    pub fn oidc(&self) -> anyhow::Result<Option<hinomi_web::auth::oidc::OidcSettings>> {
        let o = &self.auth.oidc;
        if o.issuer.is_empty() {
            return Ok(None);
        }
        anyhow::ensure!(
            o.client_secret.is_empty() || o.client_secret_file.is_empty(),
            "auth.oidc: set client_secret or client_secret_file, not both"
        );
        let secret = if o.client_secret_file.is_empty() {
            o.client_secret.clone()
        } else {
            std::fs::read_to_string(&o.client_secret_file)
                .with_context(|| {
                    format!(
                        "auth.oidc.client_secret_file: cannot read {}",
                        o.client_secret_file
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned()
        };
        let mut oidc = hinomi_web::auth::oidc::OidcSettings::new(
            &o.issuer,
            &o.client_id,
            &secret,
            &self.external_url,
        )?;
        let role = |field: String, text: &str| {
            hinomi_core::Role::parse(text).with_context(|| format!("{field}: {text:?}"))
        };
        for (group, name) in &o.group_roles {
            let r = role(format!("auth.oidc.group_roles.{group}"), name)?;
            oidc.group_roles.insert(group.clone(), r);
        }
        oidc.default_role = if o.default_role.is_empty() {
            None
        } else {
            Some(role("auth.oidc.default_role".into(), &o.default_role)?)
        };
        oidc.scopes = o.scopes.clone();
        oidc.groups_claim = o.groups_claim.clone();
        oidc.match_email = o.match_email;
        oidc.button_label = o.button_label.clone();
        Ok(Some(oidc))
    }

    /// The database URL: the configured one, or the SQLite file in `data_dir`.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if !self.database_url.is_empty() {
            return Ok(self.database_url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data_dir {}", self.data_dir.display()))?;
        let dir = self
            .data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve data_dir {}", self.data_dir.display()))?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            dir.join("hinomi.db").display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_example_is_the_defaults() {
        let parsed: Settings = Figment::from(Toml::string(DEFAULT_TOML)).extract().unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hinomi.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:1\"\nexternal_url = \"http://file\"\n[sqlite]\nsynchronous = \"normal\"\n").unwrap();
        let env = vec![
            ("HINOMI_EXTERNAL_URL".to_string(), "http://env".to_string()),
            ("HINOMI_DELIVERY__MAX_ATTEMPTS".to_string(), "3".to_string()),
            ("HINOMI_CONFIG".to_string(), "ignored".to_string()),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let flags = FlagOverrides {
            listen: Some("127.0.0.1:2".into()),
            ..FlagOverrides::default()
        };
        let s = Settings::load(Some(&file), env, &flags).unwrap();
        assert_eq!(s.listen, "127.0.0.1:2", "flag beats file");
        assert_eq!(s.external_url, "http://env", "env beats file");
        assert_eq!(s.sqlite.synchronous, "normal", "file beats default");
        assert_eq!(s.delivery.max_attempts, 3, "nested env key");
        assert_eq!(s.intake.queue, 4096, "default stays");
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hinomi.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let err = Settings::load(Some(&file), Vec::new(), &FlagOverrides::default()).unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
    }

    #[test]
    fn a_bad_customer_template_fails_naming_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hinomi.toml");
        let good = "[[incidents.customer_templates]]\nstatus = \"resolved\"\n\
                    ja = \"{services}は復旧いたしました。\"\nen = \"{services} recovered.\"\n";
        std::fs::write(&file, good).unwrap();
        let s = Settings::load(Some(&file), Vec::new(), &FlagOverrides::default()).unwrap();
        let policy = s.incidents.build().unwrap();
        let ja = policy.customer_templates().get(
            hinomi_core::incident::Status::Resolved,
            hinomi_core::Locale::Ja,
        );
        assert_ne!(
            ja,
            hinomi_core::incident::customer::CustomerTemplates::default().get(
                hinomi_core::incident::Status::Resolved,
                hinomi_core::Locale::Ja
            ),
            "the file's template replaces the built-in one"
        );

        let bad = format!(
            "{good}[[incidents.customer_templates]]\nstatus = \"investigating\"\n\
             ja = \"{{foo}}で障害が発生しております。\"\nen = \"An issue.\"\n"
        );
        std::fs::write(&file, bad).unwrap();
        let s = Settings::load(Some(&file), Vec::new(), &FlagOverrides::default()).unwrap();
        let err = s.incidents.build().unwrap_err().to_string();
        assert!(
            err.starts_with("incidents.customer_templates[1].ja: unknown placeholder {foo}"),
            "{err}"
        );
    }

    #[test]
    fn oidc_settings_are_checked_and_the_secret_is_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, "fr0m-file\n").unwrap();
        let mut s = Settings::default();
        assert!(s.oidc().unwrap().is_none(), "off without an issuer");
        s.auth.oidc.issuer = "https://id.example".into();
        s.auth.oidc.client_id = "hinomi".into();
        s.auth.oidc.client_secret = "in-settings".into();
        s.auth.oidc.group_roles.insert("sre".into(), "admin".into());
        s.auth.oidc.default_role = "viewer".into();
        let oidc = s.oidc().unwrap().unwrap();
        assert_eq!(oidc.group_roles["sre"], hinomi_core::Role::Admin);
        assert_eq!(oidc.default_role, Some(hinomi_core::Role::Viewer));
        for shown in [format!("{s:?}"), format!("{s:#?}"), format!("{oidc:?}")] {
            assert!(!shown.contains("in-settings"), "{shown}");
        }

        s.auth.oidc.client_secret_file = secret_file.display().to_string();
        let err = s.oidc().unwrap_err();
        assert!(format!("{err:#}").contains("not both"), "{err:#}");
        s.auth.oidc.client_secret.clear();
        assert!(s.oidc().is_ok());

        s.auth
            .oidc
            .group_roles
            .insert("oncall".into(), "pager".into());
        let err = format!("{:#}", s.oidc().unwrap_err());
        assert!(err.contains("auth.oidc.group_roles.oncall"), "{err}");
    }

    #[test]
    fn channel_settings_come_from_the_environment_as_text() {
        let env = [
            ("HINOMI_CHANNELS__SMTP__HOST", "mail.example"),
            ("HINOMI_CHANNELS__SMTP__PORT", "2525"),
            ("HINOMI_CHANNELS__SMTP__CHARSET", "iso-2022-jp"),
            ("HINOMI_CHANNELS__TWILIO__FROM", "+81312345678"),
            ("HINOMI_CHANNELS__LINE_WORKS__BOT_ID", "2000123"),
            ("HINOMI_CHANNELS__WEBHOOK__SECRET", "0042"),
            ("HINOMI_DELIVERY__PER_MINUTE__VOICE", "3"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let s = Settings::load(None, env, &FlagOverrides::default()).unwrap();
        let c = &s.channels;
        assert_eq!((c.smtp.host.as_str(), c.smtp.port), ("mail.example", 2525));
        assert_eq!(
            c.smtp.charset,
            hinomi_notify::channels::email::Charset::Iso2022Jp
        );
        assert_eq!(c.twilio.from, "+81312345678", "not read as a number");
        assert_eq!(c.line_works.bot_id, "2000123");
        assert_eq!(c.webhook.secret, "0042");
        assert_eq!(s.delivery.per_minute.by_kind()[&ContactKind::Voice], 3);

        let unknown = [("HINOMI_CHANNELS__SMTP__HOSTNAME".to_owned(), "x".to_owned())];
        let err = Settings::load(None, unknown, &FlagOverrides::default()).unwrap_err();
        assert!(format!("{err:#}").contains("hostname"), "{err:#}");
        let bad = [("HINOMI_CHANNELS__SMTP__TLS".to_owned(), "maybe".to_owned())];
        assert!(Settings::load(None, bad, &FlagOverrides::default()).is_err());
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let mut s = Settings {
            database_url: "postgres://app:s3cret@db/hinomi".into(),
            ..Settings::default()
        };
        s.channels.smtp.password = "smtp-s3cret".into();
        s.channels.twilio.auth_token = "tw-s3cret".into();
        s.channels.slack.bot_token = "xoxb-s3cret".into();
        s.channels.teams.outgoing_webhook_secret = "teams-s3cret".into();
        s.channels.line_works.client_secret = "lw-s3cret".into();
        s.channels.webhook.secret = "wh-s3cret".into();
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/hinomi"));
    }
}
