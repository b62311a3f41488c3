//! Alertmanager's API v2, byte-compatible: the paths, fields, field order, time format and
//! status codes of `api/v2/openapi.yaml`, so Prometheus, amtool and Grafana work unchanged.
//! Errors are bare JSON strings, as Alertmanager sends them.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::{Alert, LabelSet, MatchOp, Matcher, Silence, time};
use hinomi_engine::{AlertQuery, AlertView, EngineError, Incoming, WriteOp};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::{AppState, Limits, body};

/// An Alertmanager-style error: a status and a bare JSON string.
#[derive(Debug)]
pub struct AmError(pub StatusCode, pub String);

impl IntoResponse for AmError {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(self.1)).into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

fn bad_request(message: impl Into<String>) -> AmError {
    AmError(StatusCode::BAD_REQUEST, message.into())
}

impl From<EngineError> for AmError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Overloaded | EngineError::Unavailable(_) | EngineError::Store(_) => {
                AmError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            EngineError::SilenceNotFound(_)
            | EngineError::NotFound(_)
            | EngineError::Silence(hinomi_core::SilenceError::NotFound(_)) => {
                AmError(StatusCode::NOT_FOUND, e.to_string())
            }
            EngineError::Silence(_)
            | EngineError::PageResolved(_)
            | EngineError::ActionInvalid
            | EngineError::Invalid(_) => bad_request(e.to_string()),
        }
    }
}

// ---- alerts in -------------------------------------------------------------------------

/// A posted alert as Alertmanager's `postableAlert` defines it.
#[derive(Debug, Deserialize)]
struct PostableAlert {
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "startsAt", default)]
    starts_at: Option<String>,
    #[serde(rename = "endsAt", default)]
    ends_at: Option<String>,
    #[serde(rename = "generatorURL", default)]
    generator_url: Option<String>,
}

/// Parses a label or annotation map under the limits; `what` names it in errors.
pub(crate) fn parse_label_map(
    map: BTreeMap<String, String>,
    what: &str,
    max_value: usize,
    limits: &Limits,
) -> Result<LabelSet, String> {
    if map.len() > limits.max_labels {
        return Err(format!(
            "{what}: {} pairs is more than the limit of {}",
            map.len(),
            limits.max_labels
        ));
    }
    for (name, value) in &map {
        if name.len() > limits.max_name_bytes {
            return Err(format!(
                "{what}: name {:?}... is longer than {} bytes",
                name.chars().take(32).collect::<String>(),
                limits.max_name_bytes
            ));
        }
        if value.len() > max_value {
            return Err(format!(
                "{what}: value of {name:?} is {} bytes, more than the limit of {max_value}",
                value.len()
            ));
        }
    }
    LabelSet::parse(map).map_err(|e| format!("{what}: {e}"))
}

fn parse_time(value: Option<&str>, what: &str) -> Result<i64, String> {
    match value {
        None | Some("") => Ok(0),
        Some(s) => time::parse(s).map_err(|e| format!("{what}: {e}")),
    }
}

/// Turns one posted alert into a domain alert, or says what is wrong with it.
fn convert(p: PostableAlert, at: usize, limits: &Limits) -> Result<Alert, String> {
    let prefix = format!("alerts[{at}]");
    let mut labels = p
        .labels
        .ok_or_else(|| format!("{prefix}.labels: labels in body is required"))?;
    // Alertmanager drops labels with empty values before it fingerprints.
    labels.retain(|_, v| !v.is_empty());
    if labels.is_empty() {
        return Err(format!("{prefix}.labels: at least one label pair required"));
    }
    let labels = parse_label_map(
        labels,
        &format!("{prefix}.labels"),
        limits.max_label_value_bytes,
        limits,
    )?;
    let annotations = parse_label_map(
        p.annotations.unwrap_or_default(),
        &format!("{prefix}.annotations"),
        limits.max_annotation_value_bytes,
        limits,
    )?;
    let generator_url = p.generator_url.unwrap_or_default();
    if generator_url.len() > limits.max_annotation_value_bytes {
        return Err(format!(
            "{prefix}.generatorURL: longer than {} bytes",
            limits.max_annotation_value_bytes
        ));
    }
    Ok(Alert {
        labels,
        annotations,
        starts_at: parse_time(p.starts_at.as_deref(), &format!("{prefix}.startsAt"))?,
        ends_at: parse_time(p.ends_at.as_deref(), &format!("{prefix}.endsAt"))?,
        updated_at: 0,
        generator_url,
        timeout: false,
    })
}

/// Parses the posted array; a malformed element is reported and the rest still parse.
fn parse_postable(bytes: &[u8]) -> Result<Vec<Result<PostableAlert, String>>, String> {
    if let Ok(all) = serde_json::from_slice::<Vec<PostableAlert>>(bytes) {
        return Ok(all.into_iter().map(Ok).collect());
    }
    let values: Vec<serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| format!("body: expected a JSON array of alerts: {e}"))?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_json::from_value(v).map_err(|e| format!("alerts[{i}]: {e}")))
        .collect())
}

/// `POST /api/v2/alerts`: stores the valid alerts, durably, then answers. Invalid alerts of
/// a batch are named in a 400 after the valid ones were stored.
pub async fn post_alerts(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AmError> {
    let limits = &state.limits;
    let bytes = body::take(body, limits.max_body_bytes).map_err(|e| match e {
        body::BodyError::TooLarge { .. } => AmError(StatusCode::PAYLOAD_TOO_LARGE, e.message()),
        body::BodyError::Unreadable(_) => bad_request(e.message()),
    })?;
    let parsed = parse_postable(&bytes).map_err(bad_request)?;
    if parsed.len() > limits.max_alerts_per_request {
        return Err(AmError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "body: {} alerts is more than the limit of {} per request",
                parsed.len(),
                limits.max_alerts_per_request
            ),
        ));
    }
    let mut errors = Vec::new();
    let mut valid = Vec::with_capacity(parsed.len());
    for (i, p) in parsed.into_iter().enumerate() {
        let alert = p.and_then(|p| convert(p, i, limits)).and_then(|a| {
            let a = state.engine.normalize_posted(a);
            a.validate()
                .map(|()| a)
                .map_err(|e| format!("alerts[{i}]: {e}"))
        });
        match alert {
            Ok(alert) => valid.push(Incoming::new(alert, None)),
            Err(e) => errors.push(e),
        }
    }
    let accepted = valid.len() as u64;
    if !valid.is_empty() {
        state.engine.write(WriteOp::Alerts(valid)).await?;
    }
    metrics::counter!("hinomi_alerts_received_total", "source" => "alertmanager", "outcome" => "accepted")
        .increment(accepted);
    if errors.is_empty() {
        Ok(StatusCode::OK)
    } else {
        metrics::counter!("hinomi_alerts_received_total", "source" => "alertmanager", "outcome" => "invalid")
            .increment(errors.len() as u64);
        Err(bad_request(errors.join("; ")))
    }
}

// ---- alerts out ------------------------------------------------------------------------

#[derive(Serialize)]
struct ReceiverName<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct AlertStatus<'a> {
    #[serde(rename = "inhibitedBy")]
    inhibited_by: &'a [String],
    #[serde(rename = "silencedBy")]
    silenced_by: &'a [String],
    state: &'static str,
}

/// `gettableAlert`: its own properties in alphabetical order, then the embedded `alert`'s.
#[derive(Serialize)]
struct GettableAlert<'a> {
    annotations: &'a LabelSet,
    #[serde(rename = "endsAt")]
    ends_at: String,
    fingerprint: String,
    receivers: Vec<ReceiverName<'a>>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    status: AlertStatus<'a>,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
    generator_url: &'a str,
    labels: &'a LabelSet,
}

fn gettable(v: &AlertView) -> GettableAlert<'_> {
    let a = &v.alert.alert;
    GettableAlert {
        annotations: &a.annotations,
        ends_at: time::format_millis(a.ends_at),
        fingerprint: v.alert.fingerprint().to_string(),
        receivers: v
            .receivers
            .iter()
            .map(|r| ReceiverName { name: r })
            .collect(),
        starts_at: time::format_millis(a.starts_at),
        status: AlertStatus {
            inhibited_by: &v.inhibited_by,
            silenced_by: &v.silenced_by,
            state: v.state.as_str(),
        },
        updated_at: time::format_millis(a.updated_at),
        generator_url: &a.generator_url,
        labels: &a.labels,
    }
}

fn json_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => AmError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, AmError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(bad_request(format!("{name}: {other:?} is not a boolean"))),
    }
}

/// One `filter` parameter: exactly one matcher (braces allowed), as Alertmanager's API
/// takes them.
fn filter_matcher(value: &str) -> Result<Matcher, AmError> {
    let mut matchers = hinomi_core::parse_matchers(value)
        .map_err(|e| bad_request(format!("filter: bad matcher format: {e}")))?;
    if matchers.len() != 1 {
        return Err(bad_request(format!(
            "filter: bad matcher format: expected exactly one matcher in {value:?}, found {}",
            matchers.len()
        )));
    }
    Ok(matchers.remove(0))
}

/// The query parameters of `GET /api/v2/alerts` and `/api/v2/alerts/groups`.
fn alert_query(raw: Option<&str>) -> Result<AlertQuery, AmError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| bad_request(format!("query string: {e}")))?;
    let mut q = AlertQuery::default();
    for (key, value) in pairs {
        match key.as_str() {
            "active" => q.active = parse_bool("active", &value)?,
            "silenced" => q.silenced = parse_bool("silenced", &value)?,
            "inhibited" => q.inhibited = parse_bool("inhibited", &value)?,
            "unprocessed" => q.unprocessed = parse_bool("unprocessed", &value)?,
            "filter" => q.matchers.push(filter_matcher(&value)?),
            "receiver" => {
                q.receiver = Some(regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                    bad_request(format!("receiver: failed to parse receiver param: {e}"))
                })?)
            }
            _ => {}
        }
    }
    Ok(q)
}

/// `GET /api/v2/alerts`.
pub async fn get_alerts(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AmError> {
    let q = alert_query(raw.as_deref())?;
    let views = state.engine.query_alerts(&q);
    let out: Vec<GettableAlert<'_>> = views.iter().map(gettable).collect();
    Ok(json_response(&out))
}

#[derive(Serialize)]
struct AlertGroup<'a> {
    alerts: Vec<GettableAlert<'a>>,
    labels: &'a LabelSet,
    receiver: ReceiverName<'a>,
}

/// `GET /api/v2/alerts/groups`.
pub async fn get_groups(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AmError> {
    let q = alert_query(raw.as_deref())?;
    let groups = state.engine.query_groups(&q);
    let out: Vec<AlertGroup<'_>> = groups
        .iter()
        .map(|g| AlertGroup {
            alerts: g.alerts.iter().map(gettable).collect(),
            labels: &g.labels,
            receiver: ReceiverName { name: &g.receiver },
        })
        .collect();
    Ok(json_response(&out))
}

// ---- silences --------------------------------------------------------------------------

/// `matcher`; fields in go-swagger's (alphabetical) order, which is the order Alertmanager
/// writes them in.
#[derive(Debug, Deserialize, Serialize)]
struct MatcherDto {
    #[serde(rename = "isEqual", default = "default_true")]
    is_equal: bool,
    #[serde(rename = "isRegex")]
    is_regex: bool,
    name: String,
    value: String,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct PostableSilence {
    #[serde(default)]
    id: Option<String>,
    matchers: Option<Vec<MatcherDto>>,
    #[serde(rename = "startsAt")]
    starts_at: Option<String>,
    #[serde(rename = "endsAt")]
    ends_at: Option<String>,
    #[serde(rename = "createdBy")]
    created_by: Option<String>,
    comment: Option<String>,
}

#[derive(Serialize)]
struct SilenceStatus {
    state: String,
}

/// `gettableSilence`: its own properties, then the embedded `silence`'s.
#[derive(Serialize)]
struct GettableSilence<'a> {
    id: &'a str,
    status: SilenceStatus,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    comment: &'a str,
    #[serde(rename = "createdBy")]
    created_by: &'a str,
    #[serde(rename = "endsAt")]
    ends_at: String,
    matchers: Vec<MatcherDto>,
    #[serde(rename = "startsAt")]
    starts_at: String,
}

fn gettable_silence(s: &Silence, now: i64) -> GettableSilence<'_> {
    GettableSilence {
        id: &s.id,
        status: SilenceStatus {
            state: s.state(now).to_string(),
        },
        updated_at: time::format_millis(s.updated_at),
        comment: &s.comment,
        created_by: &s.created_by,
        ends_at: time::format_millis(s.ends_at),
        matchers: s
            .matchers
            .iter()
            .map(|m| MatcherDto {
                name: m.name.clone(),
                value: m.value.clone(),
                is_regex: matches!(m.op, MatchOp::Regex | MatchOp::NotRegex),
                is_equal: matches!(m.op, MatchOp::Equal | MatchOp::Regex),
            })
            .collect(),
        starts_at: time::format_millis(s.starts_at),
    }
}

/// `GET /api/v2/silences`: active first (soonest to end first), then pending (soonest to
/// start first), then expired (most recently ended first), as Alertmanager sorts them.
pub async fn get_silences(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AmError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| bad_request(format!("query string: {e}")))?;
    let mut filter: Vec<Matcher> = Vec::new();
    for (key, value) in pairs {
        if key == "filter" {
            filter.push(filter_matcher(&value)?);
        }
    }
    let now = state.engine.now();
    // As Alertmanager filters: a silence is selected when, for every filter matcher, it has a
    // matcher of the same name, operator and value. The filter is not applied to the
    // silence's values: `alertname=~"Fo.*"` finds the silence with that very matcher.
    let mut silences: Vec<_> = state
        .engine
        .silences()
        .into_iter()
        .filter(|s| {
            filter.iter().all(|f| {
                s.matchers
                    .iter()
                    .any(|m| m.name == f.name && m.op == f.op && m.value == f.value)
            })
        })
        .collect();
    use hinomi_core::SilenceState::*;
    let rank = |s: &Silence| match s.state(now) {
        Active => (0, s.ends_at),
        Pending => (1, s.starts_at),
        Expired => (2, -s.ends_at),
    };
    silences.sort_by_key(|s| rank(s));
    let out: Vec<GettableSilence<'_>> = silences.iter().map(|s| gettable_silence(s, now)).collect();
    Ok(json_response(&out))
}

/// `GET /api/v2/silence/{id}`.
pub async fn get_silence(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.engine.silence(&id) {
        Some(s) => json_response(&gettable_silence(&s, state.engine.now())),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn convert_silence(p: PostableSilence) -> Result<Silence, String> {
    let matchers = p.matchers.ok_or("matchers: matchers in body is required")?;
    if matchers.is_empty() {
        return Err("matchers: at least one matcher required".into());
    }
    let matchers = matchers
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let op = match (m.is_regex, m.is_equal) {
                (false, true) => MatchOp::Equal,
                (false, false) => MatchOp::NotEqual,
                (true, true) => MatchOp::Regex,
                (true, false) => MatchOp::NotRegex,
            };
            Matcher::new(&m.name, op, &m.value).map_err(|e| format!("matchers[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let starts_at = parse_time(
        Some(
            p.starts_at
                .as_deref()
                .ok_or("startsAt: startsAt in body is required")?,
        ),
        "startsAt",
    )?;
    let ends_at = parse_time(
        Some(
            p.ends_at
                .as_deref()
                .ok_or("endsAt: endsAt in body is required")?,
        ),
        "endsAt",
    )?;
    Ok(Silence {
        id: p.id.unwrap_or_default(),
        matchers,
        starts_at,
        ends_at,
        updated_at: 0,
        created_by: p
            .created_by
            .ok_or("createdBy: createdBy in body is required")?,
        comment: p.comment.ok_or("comment: comment in body is required")?,
    })
}

#[derive(Serialize)]
struct SilenceId {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

/// `POST /api/v2/silences`: creates a silence, or updates the one named by `id`.
pub async fn post_silences(
    principal: Principal,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AmError> {
    let bytes =
        body::take(body, state.limits.max_body_bytes).map_err(|e| bad_request(e.message()))?;
    let posted: PostableSilence =
        serde_json::from_slice(&bytes).map_err(|e| bad_request(format!("body: {e}")))?;
    let silence = convert_silence(posted).map_err(bad_request)?;
    // The API's own checks, before the store's: start strictly before end, end not passed.
    silence
        .validate(state.engine.now())
        .map_err(|e| bad_request(e.to_string()))?;
    let action = if silence.id.is_empty() {
        "silence.created"
    } else {
        "silence.updated"
    };
    let audit = principal.audit(
        state.engine.now(),
        action,
        &silence.id,
        serde_json::json!({
            "matchers": silence.matchers.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "starts_at": silence.starts_at,
            "ends_at": silence.ends_at,
            "created_by": silence.created_by,
            "comment": silence.comment,
        }),
    );
    let id = state.engine.upsert_silence(silence, None, audit).await?;
    Ok(json_response(&SilenceId { silence_id: id }))
}

/// `DELETE /api/v2/silence/{id}`: expires the silence.
pub async fn delete_silence(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AmError> {
    let audit = principal.audit(
        state.engine.now(),
        "silence.expired",
        &id,
        serde_json::json!({}),
    );
    state.engine.expire_silence(&id, &audit).await?;
    Ok(StatusCode::OK)
}

// ---- receivers and status ----------------------------------------------------------------

/// `GET /api/v2/receivers`.
pub async fn get_receivers(State(state): State<AppState>) -> Response {
    let config = state.engine.config();
    let out: Vec<ReceiverName<'_>> = config
        .receivers
        .iter()
        .map(|r| ReceiverName { name: &r.name })
        .collect();
    json_response(&out)
}

#[derive(Serialize)]
struct ClusterStatus {
    peers: Vec<()>,
    status: &'static str,
}

#[derive(Serialize)]
struct ConfigOriginal {
    original: String,
}

#[derive(Serialize)]
struct VersionInfo {
    branch: &'static str,
    #[serde(rename = "buildDate")]
    build_date: &'static str,
    #[serde(rename = "buildUser")]
    build_user: &'static str,
    #[serde(rename = "goVersion")]
    go_version: &'static str,
    revision: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Status {
    cluster: ClusterStatus,
    config: ConfigOriginal,
    uptime: String,
    #[serde(rename = "versionInfo")]
    version_info: VersionInfo,
}

/// Keys whose values are credentials wherever they appear in an Alertmanager configuration:
/// the fields Alertmanager types as `Secret` or `SecretURL`, and so shows as `<secret>`.
const SECRET_KEYS: &[&str] = &[
    // `global`
    "smtp_auth_password",
    "smtp_auth_secret",
    "slack_api_url",
    "opsgenie_api_key",
    "victorops_api_key",
    "wechat_api_secret",
    "rocketchat_token",
    "rocketchat_token_id",
    // HTTP client settings
    "password",
    "bearer_token",
    "credentials",
    "client_secret",
    "key",
    "secret_key",
    // receivers
    "api_key",
    "auth_password",
    "auth_secret",
    "routing_key",
    "service_key",
    "user_key",
    "token",
    "token_id",
    "bot_token",
    "api_secret",
    "webhook_url",
    "app_token",
    "secret",
];

/// Keys under which every value is a credential (header values).
const SECRET_SUBTREES: &[&str] = &["secrets", "proxy_connect_header"];

/// Whether `key`, found in a mapping under the key `parent`, holds a credential. `api_url` is
/// a secret only for Slack; for OpsGenie, VictorOps, WeChat, Telegram and the rest it is a
/// plain URL, which Alertmanager's loader (and so amtool) refuses to read as `<secret>`.
fn is_secret(key: &str, parent: Option<&str>) -> bool {
    SECRET_KEYS.contains(&key) || (key == "api_url" && parent == Some("slack_configs"))
}

fn redact(value: &mut serde_yaml_ng::Value, parent: Option<&str>) {
    match value {
        serde_yaml_ng::Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = k.as_str();
                if key.is_some_and(|k| is_secret(k, parent)) && (v.is_string() || v.is_number()) {
                    *v = serde_yaml_ng::Value::String("<secret>".into());
                } else if key.is_some_and(|k| SECRET_SUBTREES.contains(&k)) {
                    redact_all(v);
                } else {
                    redact(v, key);
                }
            }
        }
        serde_yaml_ng::Value::Sequence(list) => list.iter_mut().for_each(|v| redact(v, parent)),
        _ => {}
    }
}

/// Replaces every scalar below `value` with `<secret>`.
fn redact_all(value: &mut serde_yaml_ng::Value) {
    match value {
        serde_yaml_ng::Value::Mapping(map) => map.iter_mut().for_each(|(_, v)| redact_all(v)),
        serde_yaml_ng::Value::Sequence(list) => list.iter_mut().for_each(redact_all),
        v if v.is_string() || v.is_number() => *v = serde_yaml_ng::Value::String("<secret>".into()),
        _ => {}
    }
}

/// The configuration text with credentials replaced by `<secret>`, as Alertmanager shows it.
pub(crate) fn redacted_original(original: &str) -> String {
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(original) {
        Ok(mut v) => {
            redact(&mut v, None);
            serde_yaml_ng::to_string(&v).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// `GET /api/v2/status`: what `amtool config routes` reads the routing tree from.
pub async fn get_status(State(state): State<AppState>) -> Response {
    let config = state.engine.config();
    json_response(&Status {
        cluster: ClusterStatus {
            peers: Vec::new(),
            status: "disabled",
        },
        config: ConfigOriginal {
            original: redacted_original(&config.original),
        },
        uptime: time::format_millis(state.engine.started_at()),
        version_info: VersionInfo {
            branch: "main",
            build_date: "",
            build_user: "hinomi",
            go_version: "none (hinomi is written in Rust)",
            revision: "",
            version: env!("CARGO_PKG_VERSION"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_convert(json: &str, expect: Result<(), &str>) {
        let limits = Limits::default();
        let parsed: PostableAlert = serde_json::from_str(json).unwrap();
        match (convert(parsed, 0, &limits), expect) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(want)) => assert!(e.contains(want), "error {e:?} does not say {want:?}"),
            (got, want) => panic!("{json}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn posted_alerts_are_validated_field_by_field() {
        check_convert(r#"{"labels":{"alertname":"a"}}"#, Ok(()));
        check_convert(r#"{"labels":{}}"#, Err("at least one label pair required"));
        check_convert(
            r#"{"labels":{"a":""}}"#,
            Err("at least one label pair required"),
        );
        check_convert(
            r#"{"annotations":{}}"#,
            Err("alerts[0].labels: labels in body is required"),
        );
        check_convert(r#"{"labels":{"0bad":"x"}}"#, Err("alerts[0].labels"));
        check_convert(
            r#"{"labels":{"a":"b"},"startsAt":"soon"}"#,
            Err("alerts[0].startsAt"),
        );
        check_convert(
            r#"{"labels":{"a":"b"},"annotations":{"bad-name":"x"}}"#,
            Err("alerts[0].annotations"),
        );
    }

    #[test]
    fn a_filter_parameter_holds_exactly_one_matcher() {
        assert_eq!(
            filter_matcher(r#"team="db""#).unwrap().to_string(),
            r#"team="db""#
        );
        assert_eq!(
            filter_matcher(r#"{team=~"d.*"}"#).unwrap().to_string(),
            r#"team=~"d.*""#
        );
        for bad in ["", r#"a="b",c="d""#, "{}", "=x"] {
            let AmError(status, message) = filter_matcher(bad).unwrap_err();
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(
                message.starts_with("filter: bad matcher format"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_malformed_element_does_not_hide_the_others() {
        let parsed =
            parse_postable(br#"[{"labels":{"a":"b"}},{"labels":{"a":1}},{"labels":{"c":"d"}}]"#)
                .unwrap();
        assert!(parsed[0].is_ok());
        assert!(parsed[1].as_ref().unwrap_err().starts_with("alerts[1]"));
        assert!(parsed[2].is_ok());
        assert!(parse_postable(b"{not json").is_err());
        assert!(parse_postable(br#"{"labels":{}}"#).is_err());
    }

    #[test]
    fn secrets_are_redacted_from_the_shown_configuration() {
        let text = "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x\n    http_config:\n      basic_auth:\n        username: u\n        password: hunter2\n";
        let shown = redacted_original(text);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<secret>"));
        assert!(shown.contains("username: u"));
    }

    #[test]
    fn global_secrets_are_redacted_and_plain_urls_are_not() {
        let text = "global:\n  smtp_auth_password: s1\n  slack_api_url: https://hooks.slack.com/s2\n  opsgenie_api_key: s3\n  opsgenie_api_url: https://api.opsgenie.com/\nroute:\n  receiver: a\nreceivers:\n- name: a\n  opsgenie_configs:\n  - api_key: s4\n    api_url: https://api.eu.opsgenie.com/\n  slack_configs:\n  - api_url: https://hooks.slack.com/s5\n  webhook_configs:\n  - url: http://x\n    http_config:\n      proxy_connect_header:\n        X-Auth: [s6]\n      http_headers:\n        X-Key:\n          secrets: [s7]\n";
        let shown = redacted_original(text);
        for secret in ["s1", "s2", "s3", "s4", "s5", "s6", "s7"] {
            assert!(
                !shown.contains(&format!("/{secret}")) && !shown.contains(&format!(" {secret}")),
                "{secret} in {shown}"
            );
        }
        assert!(
            shown.contains("api_url: https://api.eu.opsgenie.com/"),
            "{shown}"
        );
        assert!(
            shown.contains("opsgenie_api_url: https://api.opsgenie.com/"),
            "{shown}"
        );
    }
}

#[cfg(test)]
mod properties {
    //! Whatever bytes arrive, parsing answers a value or an error: it never panics, and a
    //! valid alert survives any invalid neighbours.
    use super::*;
    use proptest::prelude::*;

    fn label_map() -> impl Strategy<Value = BTreeMap<String, String>> {
        proptest::collection::btree_map("[a-zA-Z_0-9\\-. 日本]{0,12}", ".{0,24}", 0..6)
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let limits = Limits::default();
            if let Ok(parsed) = parse_postable(&bytes) {
                for (i, p) in parsed.into_iter().enumerate() {
                    let _ = p.and_then(|p| convert(p, i, &limits));
                }
            }
        }

        #[test]
        fn arbitrary_alert_objects_never_panic(
            labels in label_map(),
            annotations in label_map(),
            starts in proptest::option::of(".{0,30}"),
            ends in proptest::option::of("[0-9T:\\-.Z+]{0,30}"),
        ) {
            let body = serde_json::json!([
                {"labels": {"alertname": "ok"}},
                {"labels": labels, "annotations": annotations, "startsAt": starts, "endsAt": ends},
            ]);
            let parsed = parse_postable(body.to_string().as_bytes()).unwrap();
            let limits = Limits::default();
            let mut results = parsed.into_iter().enumerate().map(|(i, p)| p.and_then(|p| convert(p, i, &limits)));
            prop_assert!(results.next().unwrap().is_ok(), "the valid neighbour must survive");
            if let Some(Err(e)) = results.next() {
                prop_assert!(e.starts_with("alerts[1]"), "{e}");
            }
        }
    }
}
