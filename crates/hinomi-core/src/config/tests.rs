//! Tests for `alertmanager.yml` parsing: one realistic file read end to end,
//! then one refusal per rule.

use super::*;
use crate::labels::LabelSet;
use crate::route::group_key;

const FULL: &str = r#"
# A production-like alertmanager.yml using most of the 0.25-0.28 surface.
global:
  resolve_timeout: 10m
  smtp_smarthost: 'smtp.example.org:587'
  smtp_from: 'alertmanager@example.org'
  smtp_auth_username: 'alertmanager'
  smtp_auth_password: 'hunter2'
  smtp_require_tls: true
  slack_api_url: 'https://hooks.slack.com/services/T000/B000/XXXX'
  pagerduty_url: 'https://events.pagerduty.com/v2/enqueue'
  opsgenie_api_key: 'og-key'
  http_config:
    follow_redirects: true
    enable_http2: true

templates:
  - '/etc/alertmanager/templates/*.tmpl'

route:
  receiver: default
  group_by: ['alertname', 'cluster']
  group_wait: 45s
  group_interval: 10m
  repeat_interval: 3h
  routes:
    - receiver: audit
      matchers: ['severity=~"warning|critical"']
      continue: true
      group_by: ['...']
    - receiver: db-team
      match:
        team: db
      routes:
        - receiver: db-pager
          matchers:
            - severity="critical"
            - 'env!~"dev|staging"'
          group_wait: 10s
          repeat_interval: 1h
          mute_time_intervals: [maintenance]
    - receiver: web-team
      match_re:
        service: 'web-.*'
      group_by: [service]
      active_time_intervals: [business-hours]
    - receiver: ops-mail
      matchers: ['{team="ops", 拠点="東京"}']

inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: ['alertname', 'cluster']
  - source_match:
      alertname: NodeDown
    target_match_re:
      alertname: 'Disk.*|Cpu.*'
    equal: [instance]

receivers:
  - name: default
    webhook_configs:
      - url: 'http://hooks.internal:8080/alerts'
  - name: audit
    webhook_configs:
      - url: 'https://audit.example.org/am'
        send_resolved: false
        max_alerts: 20
        timeout: 15s
        http_config:
          authorization:
            credentials: 's3cr3t-token'
  - name: db-team
    email_configs:
      - to: 'db@example.org'
  - name: db-pager
    pagerduty_configs:
      - routing_key: 'pd-key'
    webhook_configs:
      - url: 'https://pager.example.org/hook?token=abc'
        http_config:
          basic_auth:
            username: pager
            password: 'p4ss'
  - name: web-team
    slack_configs:
      - channel: '#web'
    webhook_configs:
      - url_file: /etc/secrets/web-hook-url
        http_config:
          bearer_token: 'bt'
  - name: ops-mail
    email_configs: []

time_intervals:
  - name: business-hours
    time_intervals:
      - weekdays: ['monday:friday']
        times:
          - start_time: '09:00'
            end_time: '18:00'
        location: 'Asia/Tokyo'
mute_time_intervals:
  - name: maintenance
    time_intervals:
      - days_of_month: ['1']
"#;

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

#[test]
fn full_config_is_read() {
    let c = Config::parse(FULL).unwrap();
    assert_eq!(c.resolve_timeout, 600_000);
    assert_eq!(c.original, FULL);
    assert_eq!(c.templates, ["/etc/alertmanager/templates/*.tmpl"]);
    assert_eq!(c.time_intervals, ["maintenance", "business-hours"]);

    // Root settings and inheritance.
    let root = &c.route;
    assert_eq!(root.opts.receiver, "default");
    assert_eq!(
        root.opts.group_by,
        GroupBy::labels(["alertname", "cluster"])
    );
    assert_eq!(
        (
            root.opts.group_wait,
            root.opts.group_interval,
            root.opts.repeat_interval
        ),
        (45_000, 600_000, 10_800_000)
    );
    let db_pager = &root.routes[1].routes[0];
    assert_eq!(db_pager.opts.receiver, "db-pager");
    assert_eq!(
        db_pager.opts.group_by,
        GroupBy::labels(["alertname", "cluster"])
    );
    assert_eq!(
        (
            db_pager.opts.group_wait,
            db_pager.opts.group_interval,
            db_pager.opts.repeat_interval
        ),
        (10_000, 600_000, 3_600_000)
    );
    assert_eq!(db_pager.opts.mute_time_intervals, ["maintenance"]);
    assert_eq!(
        db_pager.key,
        r#"{}/{team="db"}/{env!~"dev|staging",severity="critical"}"#
    );
    assert_eq!(
        db_pager.id,
        r#"{}/{team="db"}/1/{env!~"dev|staging",severity="critical"}/0"#
    );
    let web = &root.routes[2];
    assert_eq!(web.key, r#"{}/{service=~"^(?:web-.*)$"}"#);
    assert_eq!(web.opts.active_time_intervals, ["business-hours"]);
    assert_eq!(root.routes[3].key, r#"{}/{team="ops",拠点="東京"}"#);

    // Routing with continue and group keys.
    let alert = labels(&[
        ("alertname", "DiskFull"),
        ("cluster", "c1"),
        ("team", "db"),
        ("severity", "critical"),
        ("env", "prod"),
    ]);
    let routes = c.route.match_routes(&alert);
    let got: Vec<(&str, String)> = routes
        .iter()
        .map(|r| {
            (
                r.opts.receiver.as_str(),
                group_key(r, &r.group_labels(&alert)),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "audit",
                r#"{}/{severity=~"warning|critical"}:{alertname="DiskFull", cluster="c1", env="prod", severity="critical", team="db"}"#
                    .to_owned()
            ),
            (
                "db-pager",
                r#"{}/{team="db"}/{env!~"dev|staging",severity="critical"}:{alertname="DiskFull", cluster="c1"}"#.to_owned()
            ),
        ]
    );
    let staging = labels(&[
        ("alertname", "X"),
        ("team", "db"),
        ("severity", "critical"),
        ("env", "staging"),
    ]);
    let receivers: Vec<&str> = c
        .route
        .match_routes(&staging)
        .iter()
        .map(|r| r.opts.receiver.as_str())
        .collect();
    assert_eq!(receivers, ["audit", "db-team"]);
    let tokyo = labels(&[("team", "ops"), ("拠点", "東京")]);
    assert_eq!(c.route.match_routes(&tokyo)[0].opts.receiver, "ops-mail");

    // Receivers.
    let names: Vec<&str> = c.receivers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "default", "audit", "db-team", "db-pager", "web-team", "ops-mail"
        ]
    );
    let default = &c.receiver("default").unwrap().webhooks[0];
    assert_eq!(default.url, "http://hooks.internal:8080/alerts");
    assert!(default.send_resolved);
    assert_eq!((default.max_alerts, default.timeout_ms), (0, None));
    assert_eq!(default.http, HttpConfig::default());
    let audit = &c.receiver("audit").unwrap().webhooks[0];
    assert!(!audit.send_resolved);
    assert_eq!((audit.max_alerts, audit.timeout_ms), (20, Some(15_000)));
    assert_eq!(
        audit.http.authorization,
        Some(("Bearer".to_owned(), "s3cr3t-token".to_owned()))
    );
    assert_eq!(
        audit.http.effective_authorization(),
        Some(("Bearer", "s3cr3t-token"))
    );
    let pager = c.receiver("db-pager").unwrap();
    assert!(pager.other_kinds.is_empty());
    assert_eq!(pager.pagerduties[0].routing_key, "pd-key");
    assert_eq!(
        pager.pagerduties[0].url,
        "https://events.pagerduty.com/v2/enqueue"
    );
    let db_mail = &c.receiver("db-team").unwrap().emails[0];
    assert_eq!(
        (
            db_mail.to.as_str(),
            db_mail.from.as_str(),
            db_mail.smarthost.as_str()
        ),
        (
            "db@example.org",
            "alertmanager@example.org",
            "smtp.example.org:587"
        )
    );
    assert_eq!(
        (
            db_mail.auth_username.as_str(),
            db_mail.auth_password.as_str()
        ),
        ("alertmanager", "hunter2"),
        "global SMTP credentials are inherited"
    );
    assert!(db_mail.require_tls && !db_mail.send_resolved);
    let web_slack = &c.receiver("web-team").unwrap().slacks[0];
    assert_eq!(web_slack.channel, "#web");
    assert_eq!(
        web_slack.api_url,
        "https://hooks.slack.com/services/T000/B000/XXXX"
    );
    assert_eq!(
        pager.webhooks[0].http.basic_auth,
        Some(("pager".to_owned(), "p4ss".to_owned()))
    );
    let web_team = c.receiver("web-team").unwrap();
    assert_eq!(web_team.webhooks[0].url, "");
    assert_eq!(
        web_team.webhooks[0].url_file.as_deref(),
        Some("/etc/secrets/web-hook-url")
    );
    assert_eq!(
        web_team.webhooks[0].http.effective_authorization(),
        Some(("Bearer", "bt"))
    );
    assert!(c.receiver("ops-mail").unwrap().other_kinds.is_empty());

    // Inhibition rules, legacy regexes anchored.
    assert_eq!(c.inhibit_rules.len(), 2);
    assert_eq!(c.inhibit_rules[0].equal, ["alertname", "cluster"]);
    assert_eq!(
        c.inhibit_rules[1].target_matchers.to_string(),
        r#"{alertname=~"^(?:Disk.*|Cpu.*)$"}"#
    );
    let node_down = labels(&[("alertname", "NodeDown"), ("instance", "h1")]);
    let disk = labels(&[("alertname", "DiskFull"), ("instance", "h1")]);
    let not_anchored = labels(&[("alertname", "XDiskFull"), ("instance", "h1")]);
    assert!(c.inhibit_rules[1].inhibits(&node_down, &disk));
    assert!(!c.inhibit_rules[1].inhibits(&node_down, &not_anchored));

    // What is accepted but not acted on.
    assert_eq!(
        c.unsupported,
        [
            r#"time intervals are not evaluated yet ("maintenance", "business-hours"): routes that use them are never muted by time"#,
        ]
    );
}

#[test]
fn debug_output_hides_secrets() {
    let c = Config::parse(FULL).unwrap();
    let debug = format!("{c:?}");
    for secret in [
        "hunter2",
        "s3cr3t-token",
        "p4ss",
        "token=abc",
        "XXXX",
        "og-key",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    assert!(debug.contains("https://pager.example.org/<secret>"));
}

#[test]
fn minimal_config_gets_defaults() {
    let c = Config::parse("route:\n  receiver: r\nreceivers:\n  - name: r\n").unwrap();
    assert_eq!(c.resolve_timeout, DEFAULT_RESOLVE_TIMEOUT_MS);
    assert_eq!(c.route.opts.group_wait, 30_000);
    assert_eq!(c.route.opts.group_interval, 300_000);
    assert_eq!(c.route.opts.repeat_interval, 14_400_000);
    assert_eq!(c.route.key, "{}");
    assert!(c.unsupported.is_empty());
}

#[test]
fn global_http_config_is_inherited_by_webhooks() {
    let yaml = r#"
global:
  http_config:
    bearer_token: global-token
route: {receiver: r}
receivers:
  - name: r
    webhook_configs:
      - url: http://a.example/
      - url: http://b.example/
        http_config:
          follow_redirects: false
"#;
    let c = Config::parse(yaml).unwrap();
    let hooks = &c.receivers[0].webhooks;
    assert_eq!(
        hooks[0].http.effective_authorization(),
        Some(("Bearer", "global-token"))
    );
    assert_eq!(hooks[1].http.effective_authorization(), None);
    assert!(!hooks[1].http.follow_redirects);
}

#[test]
fn yaml_merge_keys_and_scalar_values_are_accepted() {
    let yaml = r#"
x-hook: &hook
  url: http://hooks.example/
  send_resolved: false
route:
  receiver: r
  routes:
    - match: {code: 500, flag: true}
      receiver: r
receivers:
  - name: r
    webhook_configs:
      - <<: *hook
        max_alerts: 3
"#;
    // Unknown top-level keys are refused even when used as anchors.
    let err = Config::parse(yaml).unwrap_err().to_string();
    assert!(err.contains("unknown field `x-hook`"), "{err}");
    let yaml = yaml.replace(
        "x-hook: &hook\n  url: http://hooks.example/\n  send_resolved: false\n",
        "",
    );
    let yaml = yaml.replace(
        "      - <<: *hook\n",
        "      - &hook\n        url: http://hooks.example/\n        send_resolved: false\n      - <<: *hook\n",
    );
    let c = Config::parse(&yaml).unwrap();
    let hooks = &c.receivers[0].webhooks;
    assert_eq!(hooks.len(), 2);
    assert_eq!(
        (
            hooks[1].url.as_str(),
            hooks[1].send_resolved,
            hooks[1].max_alerts
        ),
        ("http://hooks.example/", false, 3)
    );
    assert_eq!(c.route.routes[0].key, r#"{}/{code="500",flag="true"}"#);
}

#[test]
fn refusals_name_the_problem() {
    let ok_receivers = "receivers:\n  - name: r\n";
    let cases: &[(String, &str)] = &[
        (String::new(), "no route provided in config"),
        ("# only a comment\n".to_owned(), "no route provided in config"),
        (ok_receivers.to_owned(), "no routes provided"),
        (format!("route: {{}}\n{ok_receivers}"), "root route must specify a default receiver"),
        (
            format!("route:\n  receiver: r\n  match: {{a: b}}\n{ok_receivers}"),
            "root route must not have any matchers",
        ),
        (
            format!("route:\n  receiver: r\n  matchers: ['a=b']\n{ok_receivers}"),
            "root route must not have any matchers",
        ),
        (
            format!("route:\n  receiver: r\n  continue: true\n{ok_receivers}"),
            "cannot have continue in root route",
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - receiver: nope\n{ok_receivers}"),
            r#"undefined receiver "nope" used in route"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n  - name: r\n".to_owned(),
            r#"notification config name "r" is not unique"#,
        ),
        ("route: {receiver: r}\nreceivers:\n  - webhook_configs: []\n".to_owned(), "missing name in receiver"),
        (
            format!("route:\n  receiver: r\n  group_by: ['...', 'alertname']\n{ok_receivers}"),
            "cannot have wildcard group_by (`...`) and other labels at the same time",
        ),
        (
            format!("route:\n  receiver: r\n  group_by: [a, b, a]\n{ok_receivers}"),
            r#"duplicated label "a" in group_by"#,
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - group_interval: 0s\n{ok_receivers}"),
            "group_interval cannot be zero",
        ),
        (
            format!("route:\n  receiver: r\n  repeat_interval: 0\n{ok_receivers}"),
            "repeat_interval cannot be zero",
        ),
        (
            format!("route:\n  receiver: r\n  group_wait: 30\n{ok_receivers}"),
            r#"group_wait: not a valid duration string: "30""#,
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - match: {{bad-name: x}}\n{ok_receivers}"),
            r#"invalid label name "bad-name""#,
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - match_re: {{a: '('}}\n{ok_receivers}"),
            r#"invalid regular expression "(": "#,
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - matchers: ['a=\"b']\n{ok_receivers}"),
            "matcher value contains unescaped double quote: \"b",
        ),
        (
            format!("route:\n  receiver: r\n  routes:\n    - mute_time_intervals: [night]\n{ok_receivers}"),
            r#"undefined time interval "night" used in route"#,
        ),
        (
            format!("route:\n  receiver: r\n  mute_time_intervals: [night]\ntime_intervals: [{{name: night}}]\n{ok_receivers}"),
            "root route must not have any mute time intervals",
        ),
        (
            format!("route: {{receiver: r}}\ntime_intervals: [{{name: a}}, {{name: a}}]\n{ok_receivers}"),
            r#"time interval "a" is not unique"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{send_resolved: true}]\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: one of url or url_file must be configured"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{url: 'ftp://x/y'}]\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: unsupported scheme "ftp" for URL"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{url: 'http:///path'}]\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: missing host for URL"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{url: 'http://a/', url_file: /f}]\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: at most one of url & url_file must be configured"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: http://a/\n        http_config: {bearer_token: x, authorization: {credentials: y}}\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: http_config: authorization is not compatible with bearer_token & bearer_token_file"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: http://a/\n        http_config: {authorization: {type: Basic, credentials: y}}\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: http_config: authorization type cannot be set to "basic", use "basic_auth" instead"#,
        ),
        (
            "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: http://a/\n        http_config: {basic_auth: {username: u}, bearer_token: t}\n".to_owned(),
            r#"receiver "r": webhook_configs[0]: http_config: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"#,
        ),
        (
            format!("global:\n  slack_api_url: http://a/\n  slack_api_url_file: /f\nroute: {{receiver: r}}\n{ok_receivers}"),
            "at most one of slack_api_url & slack_api_url_file must be configured",
        ),
        (
            format!("global:\n  resolve_timeout: 5 minutes\nroute: {{receiver: r}}\n{ok_receivers}"),
            r#"resolve_timeout: unknown unit " minutes" in duration "5 minutes""#,
        ),
        (
            format!("route: {{receiver: r}}\ninhibit_rules:\n  - source_match: {{'a.b': x}}\n{ok_receivers}"),
            r#"invalid label name "a.b""#,
        ),
        (
            format!("route: {{receiver: r}}\ninhibit_rules:\n  - equal: ['']\n{ok_receivers}"),
            r#"invalid label name "" in equal list"#,
        ),
    ];
    for (yaml, want) in cases {
        let err = Config::parse(yaml).unwrap_err();
        let got = err.to_string();
        assert!(
            matches!(err, ConfigError::Invalid(_)),
            "{yaml:?} gave a YAML error: {got}"
        );
        assert!(got.starts_with(want), "{yaml:?}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn unknown_keys_are_refused_where_modelled() {
    let cases: &[(&str, &str)] = &[
        (
            "route: {receiver: r, recevier: x}\nreceivers: [{name: r}]\n",
            "unknown field `recevier`",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rule: []\n",
            "unknown field `inhibit_rule`",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules: [{source_matcher: ['a=b']}]\n",
            "unknown field `source_matcher`",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: 'http://a/', sendresolved: true}]}]\n",
            "unknown field `sendresolved`",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: 'http://a/', http_config: {bearer: x}}]}]\n",
            "unknown field `bearer`",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, emails: []}]\n",
            "unknown field `emails` in receiver \"r\"",
        ),
        (
            "route: {receiver: r, group_wait: [1]}\nreceivers: [{name: r}]\n",
            "invalid type",
        ),
        ("route: [\n", ""),
    ];
    for (yaml, want) in cases {
        let err = Config::parse(yaml).unwrap_err();
        let got = err.to_string();
        assert!(matches!(err, ConfigError::Yaml(_)), "{yaml:?}: {got}");
        assert!(got.contains(want), "{yaml:?}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn unknown_receiver_kinds_and_global_keys_are_accepted_with_a_note() {
    let yaml = r#"
global:
  some_future_key: 1
route: {receiver: r}
receivers:
  - name: r
    incidentio_configs:
      - url: http://x/
    msteamsv2_configs: []
tracing:
  endpoint: localhost:4317
"#;
    let c = Config::parse(yaml).unwrap();
    assert_eq!(c.receivers[0].other_kinds, ["incidentio_configs"]);
    assert_eq!(
        c.unsupported,
        [
            r#"global: unknown key "some_future_key" is ignored"#,
            r#"receiver "r": incidentio_configs is not delivered by hinomi"#,
            "tracing is not configured from alertmanager.yml",
        ]
    );
}

#[test]
fn group_by_forms() {
    let yaml = r#"
route:
  receiver: r
  group_by: ['...']
  routes:
    - matchers: [a=b]
      group_by: []
    - matchers: [a=c]
      group_by: [x, "foo.bar"]
receivers: [{name: r}]
"#;
    let c = Config::parse(yaml).unwrap();
    assert_eq!(c.route.opts.group_by, GroupBy::All);
    // An empty list inherits, as in Alertmanager.
    assert_eq!(c.route.routes[0].opts.group_by, GroupBy::All);
    // UTF-8 names are allowed in group_by (Alertmanager's default mode).
    assert_eq!(
        c.route.routes[1].opts.group_by,
        GroupBy::labels(["foo.bar", "x"])
    );
}

#[test]
fn delivered_receiver_kinds_are_numbered_apart() {
    let yaml = r##"
global:
  opsgenie_api_key: og-global
route: {receiver: r}
receivers:
  - name: r
    webhook_configs: [{url: "http://w/"}]
    email_configs:
      - {to: a@example.org, from: h@example.org, smarthost: "mail:25", require_tls: false}
    slack_configs:
      - {api_url: "http://slack/hook", channel: "#ops", username: "{{ .Receiver }}", title: t}
    pagerduty_configs:
      - {service_key: v1-key, severity: critical}
    opsgenie_configs:
      - {priority: P1, tags: "db,prod"}
    msteams_configs:
      - {webhook_url: "http://teams/hook", send_resolved: false}
    msteamsv2_configs:
      - {webhook_url: "http://teams/workflow"}
    pushover_configs:
      - {user_key: u, token: t}
"##;
    let c = Config::parse(yaml).unwrap();
    let r = &c.receivers[0];
    let numbers: Vec<(i64, &str)> = r
        .integrations()
        .iter()
        .map(|(n, i)| (*n, i.kind().name()))
        .collect();
    assert_eq!(
        numbers,
        [
            (0, "webhook"),
            (2000, "email"),
            (3000, "slack"),
            (4000, "pagerduty"),
            (5000, "opsgenie"),
            (6000, "msteams"),
            (7000, "msteamsv2"),
        ]
    );
    assert!(r.integration(IntegrationKind::Slack, 3000).is_some());
    assert!(r.integration(IntegrationKind::Email, 3000).is_none());
    assert!(r.pagerduties[0].events_v1());
    assert_eq!(
        r.pagerduties[0].url,
        "https://events.pagerduty.com/generic/2010-04-15/create_event.json"
    );
    assert_eq!(r.opsgenies[0].api_key, "og-global");
    assert_eq!(r.opsgenies[0].api_url, "https://api.opsgenie.com/");
    assert!(!r.emails[0].require_tls);
    assert!(!r.emails[0].force_implicit_tls);
    assert!(!r.msteams[0].send_resolved);
    assert_eq!(r.other_kinds, ["pushover_configs"]);
    assert_eq!(
        c.unsupported,
        [r#"receiver "r": pushover_configs is not delivered by hinomi"#,]
    );
    assert_eq!(r.slacks[0].username, "{{ .Receiver }}");
    assert_eq!(r.slacks[0].title.as_deref(), Some("t"));
    let debug = format!("{c:?}");
    for secret in ["og-global", "v1-key"] {
        assert!(!debug.contains(secret), "{secret} leaked");
    }
}

#[test]
fn receiver_kinds_are_refused_as_alertmanager_refuses_them() {
    let check = |receiver: &str, expect: &str| {
        let yaml = format!("route: {{receiver: r}}\nreceivers:\n  - name: r\n{receiver}");
        let err = Config::parse(&yaml).unwrap_err().to_string();
        assert!(err.contains(expect), "{receiver}: {err}");
    };
    check("    email_configs: [{to: a@b}]", "no global SMTP from set");
    let implicit = Config::parse(
        "route: {receiver: r}\nreceivers:\n  - name: r\n    email_configs: [{to: a@b, from: h@b, smarthost: 'mail:465'}]\n",
    )
    .unwrap();
    assert!(
        implicit.receivers[0].emails[0].force_implicit_tls,
        "port 465 means TLS from the first byte, as in Alertmanager"
    );
    check(
        "    email_configs: [{from: h@b, smarthost: 'm:25'}]",
        "missing to address",
    );
    check(
        "    slack_configs: [{channel: x}]",
        "no global Slack API URL set",
    );
    check(
        "    pagerduty_configs: [{severity: x}]",
        "missing service or routing key",
    );
    check(
        "    opsgenie_configs: [{priority: P1}]",
        "no global OpsGenie API key",
    );
    check(
        "    msteams_configs: [{title: x}]",
        "one of webhook_url or webhook_url_file must be configured",
    );
    check(
        "    msteams_configs: [{webhook_url: 'http://t/', colour: red}]",
        "unknown field `colour`",
    );
}

#[test]
fn template_fields_are_kept_and_must_parse() {
    let yaml = r##"
route: {receiver: r}
receivers:
  - name: r
    email_configs:
      - to: a@example.org
        from: h@example.org
        smarthost: "mail:25"
        headers: {subject: '{{ .Status }}', X-Team: '{{ .CommonLabels.team }}', To: x@y}
        html: '<b>{{ .Status }}</b>'
    slack_configs:
      - api_url: "http://slack/hook"
        title: '{{ template "slack.custom.title" . }}'
        fields: [{title: a, value: '{{ .Status }}'}, {title: b, value: c, short: false}]
        short_fields: true
        actions: [{type: button, text: x, url: y}]
    pagerduty_configs:
      - {routing_key: k, details: {a: '{{ .Status }}'}, description: d}
    opsgenie_configs:
      - {api_key: k, message: m, note: n, details: {b: c}, responders: [{name: x, type: team}]}
    msteams_configs:
      - {webhook_url: "http://t/", title: t, summary: s, text: x}
"##;
    let c = Config::parse(yaml).unwrap();
    let r = &c.receivers[0];
    let email = &r.emails[0];
    assert_eq!(email.subject.as_deref(), Some("{{ .Status }}"));
    assert_eq!(
        email.headers.keys().collect::<Vec<_>>(),
        ["X-Team"],
        "Subject is kept apart, To comes from its own key"
    );
    assert_eq!(email.html.as_deref(), Some("<b>{{ .Status }}</b>"));
    assert_eq!(email.text, None);
    let slack = &r.slacks[0];
    assert_eq!(slack.fields.len(), 2);
    assert_eq!(slack.fields[1].short, Some(false));
    assert!(slack.short_fields);
    assert_eq!(
        r.pagerduties[0].details.as_ref().unwrap()["a"],
        "{{ .Status }}"
    );
    assert_eq!(r.opsgenies[0].note.as_deref(), Some("n"));
    assert_eq!(r.msteams[0].summary.as_deref(), Some("s"));
    assert_eq!(
        c.unsupported,
        [
            r#"receiver "r": slack_configs[0]: actions is not applied"#,
            r#"receiver "r": opsgenie_configs[0]: responders is not applied"#,
        ]
    );

    let refused = |entry: &str| {
        let yaml = format!("route: {{receiver: r}}\nreceivers:\n  - name: r\n{entry}");
        Config::parse(&yaml).unwrap_err().to_string()
    };
    assert_eq!(
        refused("    slack_configs: [{api_url: 'http://s/', title: '{{ if }}'}]"),
        r#"receiver "r": slack_configs[0]: title: template: title:1: missing value for if"#
    );
    assert_eq!(
        refused("    pagerduty_configs: [{routing_key: k, details: {x: '{{ .A'}}]"),
        r#"receiver "r": pagerduty_configs[0]: details.x: template: details.x:1: unclosed action"#
    );
    assert_eq!(
        refused("    slack_configs: [{api_url: 'http://s/', fields: [{title: a}]}]"),
        r#"receiver "r": slack_configs[0]: fields[0]: missing title or value in Slack field config"#
    );
}

#[test]
fn template_files_that_do_not_parse_name_the_file_and_line() {
    let mut c = Config::parse("route: {receiver: r}\nreceivers:\n  - name: r\n").unwrap();
    c.add_template_file("/etc/t/ok.tmpl", r#"{{ define "x" }}ok{{ end }}"#)
        .unwrap();
    let err = c
        .add_template_file(
            "/etc/t/bad.tmpl",
            "{{ define \"y\" }}\n\n{{ range }}{{ end }}",
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: /etc/t/bad.tmpl:3: missing value for range"
    );
}
