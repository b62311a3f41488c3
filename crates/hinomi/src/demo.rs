//! `hinomi demo`: a server on a throw-away database with a routing configuration, a
//! built-in webhook receiver that prints what it is sent, and alerts modelled on the direct
//! causes of the outage in hinomi's founding postmortem. It shows grouping, inhibition and
//! delivery working, and prints commands to try next.

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use hinomi_core::{Alert, LabelSet};
use hinomi_engine::{Incoming, WriteOp};

use crate::serve::{Server, init_logging, shutdown_signal};
use crate::settings::Settings;

fn demo_config(listen: &str) -> String {
    format!(
        r#"# hinomi demo routing (Alertmanager format)
route:
  receiver: demo-sink
  group_by: [alertname, service]
  group_wait: 2s
  group_interval: 10s
  repeat_interval: 1h
  routes:
    - matchers: ['severity="critical"']
      receiver: demo-sink
      group_wait: 0s
receivers:
  - name: demo-sink
    webhook_configs:
      - url: http://{listen}/-/demo/sink
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service]
"#
    )
}

fn alert(pairs: &[(&str, &str)], summary: &str) -> Alert {
    let mut labels = LabelSet::new();
    for (k, v) in pairs {
        labels.insert(*k, *v);
    }
    let mut annotations = LabelSet::new();
    annotations.insert("summary", summary);
    Alert {
        labels,
        annotations,
        starts_at: 0,
        ends_at: 0,
        updated_at: 0,
        generator_url: String::new(),
        timeout: false,
    }
}

/// The built-in receiver: prints each notification in one line.
async fn sink(body: axum::body::Bytes) -> &'static str {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let names: Vec<String> = v["alerts"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    format!(
                        "{} ({})",
                        a["labels"]["alertname"].as_str().unwrap_or("?"),
                        a["annotations"]["summary"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "[demo receiver] {} notification for group {}: {}",
        v["status"].as_str().unwrap_or("?"),
        v["groupLabels"],
        names.join(", ")
    );
    "ok"
}

pub async fn run(listen: String) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("hinomi-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config_path = dir.join("alertmanager.yml");
    std::fs::write(&config_path, demo_config(&listen))?;
    let settings = Settings {
        listen: listen.clone(),
        data_dir: dir.clone(),
        alertmanager_config: config_path.display().to_string(),
        external_url: format!("http://{listen}"),
        // A throw-away server on loopback: the Alertmanager API and metrics are open so the
        // commands below work as they are; the console still needs the printed sign-in.
        auth: crate::settings::AuthSettings {
            alertmanager_api_open: true,
            metrics_public: true,
            ..Default::default()
        },
        ..Settings::default()
    };
    init_logging(&settings);
    let server = Server::start(&settings).await?;
    let engine = server.engine.clone();
    let router = hinomi_web::router(server.state.clone())
        .merge(Router::new().route("/-/demo/sink", post(sink)));

    println!(
        "hinomi demo: serving on http://{listen} (data in {}, removed on exit)",
        dir.display()
    );
    println!(
        "Sending four alerts modelled on a real outage: a connection pool running dry takes the order system down."
    );
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let samples = vec![
            alert(
                &[
                    ("alertname", "DBConnectionPoolExhausted"),
                    ("service", "order-system"),
                    ("severity", "critical"),
                ],
                "データベース接続プールが枯渇しています (active 200/200)",
            ),
            alert(
                &[
                    ("alertname", "CacheMemoryLow"),
                    ("service", "order-system"),
                    ("severity", "warning"),
                ],
                "キャッシュメモリ残量 3% (inhibited while the critical alert fires)",
            ),
            alert(
                &[
                    ("alertname", "NetworkCongestion"),
                    ("service", "core-network"),
                    ("severity", "warning"),
                ],
                "ネットワーク輻輳: 再送率 12%",
            ),
            alert(
                &[
                    ("alertname", "ProcessUnhealthy"),
                    ("service", "batch"),
                    ("severity", "critical"),
                ],
                "プロセス異常: ワーカーが応答しません",
            ),
        ];
        let incoming = samples
            .into_iter()
            .map(|a| Incoming::new(engine.normalize_posted(a), None))
            .collect();
        match engine.write(WriteOp::Alerts(incoming)).await {
            Ok(_) => {
                println!("Stored. Critical alerts notify at once, warnings after group_wait (2s).");
                println!(
                    "Console: http://{listen}/ (sign in as admin with the one-time password printed above)"
                );
                println!("Try:");
                println!("  curl -s http://{listen}/api/v2/alerts | python3 -m json.tool");
                println!("  curl -s http://{listen}/api/v2/alerts/groups");
                println!("  amtool --alertmanager.url=http://{listen} alert query");
                println!("  curl -s http://{listen}/metrics | grep hinomi_");
                println!("Press Ctrl-C to stop.");
            }
            Err(e) => eprintln!("demo alerts were not stored: {e}"),
        }
    });
    let result = server.run(router, shutdown_signal()).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
