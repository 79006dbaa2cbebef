//! Webhook delivery: retries on 5xx, 429 and timeouts, none on other 4xx; `max_alerts`;
//! `url_file`.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Recorder, Server, alert};

fn cfg(rec: &Recorder, extra: &str) -> String {
    format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 100ms\n  group_interval: 5s\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: '{}/hook/r'\n{extra}",
        rec.url
    )
}

async fn one_alert(s: &Server) {
    s.post_alerts(&json!([alert(&[("alertname", "W")], None)]))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_server_errors_and_429() {
    let rec = Recorder::start().await;
    rec.script(&[
        (500, Duration::ZERO),
        (503, Duration::ZERO),
        (429, Duration::ZERO),
    ]);
    let s = Server::start(&cfg(&rec, "")).await;
    one_alert(&s).await;
    let got = rec.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(rec.attempts(), 4);
    let m = crate::harness::client()
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        m.contains("alertmanager_notification_requests_failed_total{integration=\"webhook\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("alertmanager_notifications_total{integration=\"webhook\"} 1"),
        "{m}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_errors_are_not_retried() {
    let rec = Recorder::start().await;
    rec.script(&[(400, Duration::ZERO)]);
    let s = Server::start(&cfg(&rec, "")).await;
    one_alert(&s).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rec.attempts(), 1);
    assert!(rec.got().is_empty());
    let m = crate::harness::client()
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .unwrap_or_default();
    assert!(m.contains("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"clientError\"} 1"), "{m}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_retried() {
    let rec = Recorder::start().await;
    rec.script(&[(200, Duration::from_millis(800))]);
    let s = Server::start(&cfg(&rec, "        timeout: 200ms\n")).await;
    one_alert(&s).await;
    let got = rec.wait_for(2, Duration::from_secs(4)).await;
    // The slow answer was given up on (its late arrival is still recorded), then retried.
    assert!(rec.attempts() >= 2, "attempts {}", rec.attempts());
    assert!(!got.is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_alerts_truncates_and_url_file_is_read() {
    let rec = Recorder::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let url_file = dir.path().join("url");
    std::fs::write(&url_file, format!("{}/hook/fromfile\n", rec.url)).expect("write");
    let config = format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 100ms\n  group_interval: 5s\nreceivers:\n  - name: r\n    webhook_configs:\n      - url_file: '{}'\n        max_alerts: 2\n",
        url_file.display()
    );
    let s = Server::start(&config).await;
    s.post_alerts(&json!([
        alert(&[("alertname", "T"), ("i", "1")], None),
        alert(&[("alertname", "T"), ("i", "2")], None),
        alert(&[("alertname", "T"), ("i", "3")], None),
    ]))
    .await;
    let got = rec.wait_for(1, Duration::from_secs(3)).await;
    assert_eq!(got[0].path, "fromfile");
    assert_eq!(got[0].body["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(got[0].body["truncatedAlerts"], 1);
    s.stop().await;
}
