//! The hot paths of the alert pipeline: fingerprinting a label set, evaluating matchers,
//! routing an alert through a realistic tree, and parsing a matcher string.
//! Run with `cargo bench -p hinomi-core`.

use hinomi_core::{Config, LabelSet, MatchOp, Matcher, Matchers, parse_matchers};

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
