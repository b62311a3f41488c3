//! The shortest path through the product: an alert in, a webhook out, on both databases.

use std::time::Duration;

use crate::both_databases;
use crate::harness::*;

both_databases!(alert_in_webhook_out, |db| async move {
    let sink = Sink::start().await;
    let Some(server) = Server::start(
        db,
        Options {
            alertmanager_yml: Some(sink_config(&sink, "0s", "1m", "1h")),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let r = server
        .post_json(
            "/api/v2/alerts",
            &serde_json::json!([am_alert(&[("alertname", "Smoke"), ("job", "j")])]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let got = sink
        .wait_for(Duration::from_secs(10), "a notification", |r| !r.is_empty())
        .await;
    let body = &got[0].body;
    assert_eq!(body["version"], "4");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["groupLabels"]["alertname"], "Smoke");
    assert_eq!(body["alerts"][0]["labels"]["job"], "j");
    assert_eq!(body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    let alerts = server.get_json("/api/v2/alerts").await;
    assert_eq!(alerts.as_array().unwrap().len(), 1);
    assert!(server.terminate().await.success());
});
