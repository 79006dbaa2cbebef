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

/// The same alert through Debian's Alertmanager and through Flint: identical webhook bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_is_identical_to_upstreams() {
    let rec_up = Recorder::start().await;
    let rec_fl = Recorder::start().await;
    let cfg = |rec: &Recorder| {
        format!(
            "route:\n  receiver: team-X.pager\n  group_by: [alertname, cluster]\n  group_wait: 100ms\nreceivers:\n  - name: team-X.pager\n    webhook_configs:\n      - url: '{}/hook/x'\n",
            rec.url
        )
    };
    let Some(up) = crate::harness::Upstream::start(&cfg(&rec_up), "http://am.example:9093").await
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = Server::start_in(dir.path(), &cfg(&rec_fl)).await;
    let _ = &mut s;
    let alerts = json!([
        {"labels": {"alertname": "Diff", "cluster": "c1", "instance": "b", "job": "j"},
         "annotations": {"summary": "s \"quoted\" <tag>"},
         "startsAt": "2030-01-02T03:04:05.5Z", "endsAt": "2099-01-01T00:00:00Z",
         "generatorURL": "http://prom.example/graph?g0.expr=up"},
        {"labels": {"alertname": "Diff", "cluster": "c1", "instance": "a", "job": "j"},
         "annotations": {"summary": "t"},
         "startsAt": "2030-01-02T03:04:05Z"},
    ]);
    crate::harness::client()
        .post(format!("{}/api/v2/alerts", up.url))
        .json(&alerts)
        .send()
        .await
        .expect("post up");
    s.post_alerts(&alerts).await;
    let a = rec_up.wait_for(1, Duration::from_secs(5)).await;
    let b = rec_fl.wait_for(1, Duration::from_secs(5)).await;
    let _dir = up.stop();
    s.stop().await;
    let mut want = a
        .first()
        .map(|r| r.body.clone())
        .expect("upstream notified");
    let mut got = b.first().map(|r| r.body.clone()).expect("flint notified");
    // Only the external URL differs by construction.
    want["externalURL"] = json!("");
    got["externalURL"] = json!("");
    assert_eq!(got, want);
    assert_eq!(a[0].header("content-type"), b[0].header("content-type"));
}
