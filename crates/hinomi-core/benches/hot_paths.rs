//! The hot paths of the alert pipeline: fingerprinting a label set, evaluating matchers,
//! routing an alert through a realistic tree, parsing a matcher string, and rendering a
//! receiver's Alertmanager templates for a group.
//! Run with `cargo bench -p hinomi-core`.

use hinomi_core::gotemplate::{Alert, Data, Env};
use hinomi_core::{Config, LabelSet, MatchOp, Matcher, Matchers, Templates, parse_matchers};

fn main() {
    divan::main();
}

/// The label set of the bench harness's workload: nine labels, as Prometheus sends them.
fn labels(j: usize) -> LabelSet {
    let mut l = LabelSet::new();
    l.insert("alertname", format!("Alert{}", (j / 200) % 10));
    l.insert("service", format!("svc-{}", j % 200));
    l.insert("instance", format!("host-{}:9100", j / 2000));
    l.insert("job", "node");
    l.insert(
        "severity",
        if j.is_multiple_of(3) {
            "critical"
        } else {
            "warning"
        },
    );
    l.insert("team", format!("team-{}", j % 7));
    l.insert("cluster", "tokyo-1");
    l.insert("env", "production");
    l.insert("prometheus", "monitoring/k8s");
    l
}

const ROUTES: &str = r#"
route:
  receiver: default
  group_by: [alertname, service]
  routes:
    - matchers: ['team=~"team-[0-2]"', 'severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['team=~"team-[3-5]"']
      receiver: team-mid
      routes:
        - matchers: ['env="staging"']
          receiver: staging
    - matchers: ['service=~"svc-1.*"']
      receiver: svc1
      group_by: ['...']
receivers:
  - name: default
  - name: pager
  - name: team-mid
  - name: staging
  - name: svc1
"#;

#[divan::bench]
fn fingerprint(bencher: divan::Bencher) {
    let set = labels(1234);
    bencher.bench(|| divan::black_box(&set).fingerprint());
}

#[divan::bench]
fn matchers_equal_and_regex(bencher: divan::Bencher) {
    let ms = Matchers(vec![
        Matcher::new("service", MatchOp::Regex, "svc-1.*").unwrap(),
        Matcher::new("severity", MatchOp::Equal, "critical").unwrap(),
        Matcher::new("env", MatchOp::NotEqual, "staging").unwrap(),
    ]);
    let sets: Vec<LabelSet> = (0..64).map(labels).collect();
    bencher.bench(|| {
        sets.iter()
            .filter(|s| ms.matches(divan::black_box(s)))
            .count()
    });
}

#[divan::bench]
fn route_and_group_key(bencher: divan::Bencher) {
    let config = Config::parse(ROUTES).unwrap();
    let sets: Vec<LabelSet> = (0..64).map(labels).collect();
    bencher.bench(|| {
        let mut n = 0;
        for s in &sets {
            for route in config.route.match_routes(divan::black_box(s)) {
                n += hinomi_core::group_key(route, &route.group_labels(s)).len();
            }
        }
        n
    });
}

#[divan::bench]
fn parse_matcher_list(bencher: divan::Bencher) {
    bencher.bench(|| {
        parse_matchers(divan::black_box(
            r#"{service=~"svc-1.*",severity="critical",env!="staging"}"#,
        ))
        .unwrap()
    });
}

/// A Slack title and text as Alertmanager users write them, the text from a template file.
const TEMPLATE_FILE: &str = r#"{{ define "slack.custom.text" }}{{ range .Alerts }}*{{ .Labels.alertname }}* on {{ .Labels.instance }}: {{ .Annotations.summary }}
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}since {{ .StartsAt | tz "Asia/Tokyo" | date "2006-01-02 15:04 MST" }}
{{ end }}{{ end }}"#;
const TITLE: &str = r#"[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}"#;
const TEXT: &str = r#"{{ template "slack.custom.text" . }}"#;

/// A group of `n` alerts with the workload's labels.
fn template_data(n: usize) -> Data {
    let alerts: Vec<Alert> = (0..n)
        .map(|j| Alert {
            status: "firing".into(),
            labels: labels(j)
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [(
                "summary".to_string(),
                "ディスク残量が 5% を切りました".to_string(),
            )]
            .into(),
            starts_at: Alert::time("2026-12-01T12:00:00Z"),
            ends_at: Alert::time("0001-01-01T00:00:00Z"),
            generator_url: "http://prometheus:9090/graph".into(),
            fingerprint: "0123456789abcdef".into(),
        })
        .collect();
    Data {
        receiver: "pager".into(),
        status: "firing".into(),
        group_labels: [("alertname".to_string(), "Alert0".to_string())].into(),
        common_labels: alerts[0].labels.clone(),
        common_annotations: Default::default(),
        external_url: "http://hinomi:9093".into(),
        alerts,
    }
}

fn tokyo(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::db().get(name).ok()
}

/// Title and text of one Slack message for a group of 1 and of 20 alerts: parse and run,
/// as every send does.
#[divan::bench(args = [1, 20])]
fn render_slack_templates(bencher: divan::Bencher, n: usize) {
    let mut set = Templates::default();
    set.add_file("slack.tmpl", TEMPLATE_FILE).unwrap();
    let data = template_data(n);
    let env = Env {
        now: "2026-12-01T12:30:00Z".parse().unwrap(),
        zone: &tokyo,
    };
    bencher.bench_local(|| {
        let title = set
            .render(divan::black_box(TITLE), &data, &env, false)
            .unwrap();
        let text = set
            .render(divan::black_box(TEXT), &data, &env, false)
            .unwrap();
        title.len() + text.len()
    });
}
