//! The notifier against recording HTTP receivers on loopback.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use super::*;

/// A receiver recording every POSTed body; answers with `status`.
#[derive(Clone)]
struct Receiver {
    bodies: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    status: StatusCode,
}

async fn record(
    State(r): State<Receiver>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let mut v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    if let Some(a) = headers.get("authorization").and_then(|h| h.to_str().ok()) {
        v = serde_json::json!({"authorization": a, "alerts": v});
    }
    lock(&r.bodies).push((uri.path().to_string(), v));
    r.status
}

async fn receiver(status: StatusCode) -> (String, Receiver) {
    let r = Receiver {
        bodies: Arc::default(),
        status,
    };
    let app = Router::new()
        .route("/{*path}", post(record))
        .with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(l, app).await });
    (addr, r)
}

fn config(yaml: &str) -> Config {
    flint_config::load_str(yaml, flint_config::LoadOptions::default()).unwrap()
}

fn alert(name: &str) -> Alert {
    Alert {
        labels: Labels::from_pairs([("alertname", name)]),
        annotations: Labels::empty(),
        starts_at: Some(0),
        ends_at: None,
        generator_url: String::new(),
    }
}

fn options(cap: usize) -> Options {
    Options {
        queue_capacity: cap,
        discovery_sync_period: Duration::from_millis(10),
        ..Options::default()
    }
}

/// Polls `f` until it holds (real I/O is involved), failing after ten seconds.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn sends_to_every_alertmanager_with_external_labels() {
    let (a, ra) = receiver(StatusCode::OK).await;
    let (b, rb) = receiver(StatusCode::OK).await;
    let m = Manager::new(options(100));
    let cfg = config(&format!(
        "global:\n  external_labels: {{dc: eu}}\nalerting:\n  alert_relabel_configs:\n  - {{source_labels: [alertname], regex: Drop, action: drop}}\n  alertmanagers:\n  - path_prefix: /am\n    static_configs: [{{targets: ['{a}']}}]\n  - static_configs: [{{targets: ['{b}']}}]\n    alert_relabel_configs:\n    - {{target_label: only_b, replacement: 'yes'}}\n"
    ));
    m.apply_config(&cfg).unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    until("discovery", || m.alertmanagers().0.len() == 2).await;
    assert_eq!(
        m.alertmanagers().0,
        [
            format!("http://{a}/am/api/v2/alerts"),
            format!("http://{b}/api/v2/alerts")
        ]
    );
    m.send(vec![alert("A"), alert("Drop")]);
    until("both receive", || {
        !lock(&ra.bodies).is_empty() && !lock(&rb.bodies).is_empty()
    })
    .await;
    let (path, body) = lock(&ra.bodies)[0].clone();
    assert_eq!(path, "/am/api/v2/alerts");
    assert_eq!(
        body[0]["labels"],
        serde_json::json!({"alertname": "A", "dc": "eu"})
    );
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    let (_, body) = lock(&rb.bodies)[0].clone();
    assert_eq!(body[0]["labels"]["only_b"], "yes");
    let (_, _, sent) = m
        .inner
        .metrics
        .for_am(&format!("http://{a}/am/api/v2/alerts"));
    assert_eq!(sent.get(), 1);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn failures_are_counted_and_alerts_dropped() {
    let (a, ra) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let m = Manager::new(options(100));
    m.apply_config(&config(&format!(
        "alerting:\n  alertmanagers:\n  - static_configs: [{{targets: ['{a}']}}]\n"
    )))
    .unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    until("discovery", || m.alertmanagers().0.len() == 1).await;
    m.send(vec![alert("A"), alert("B")]);
    until("a request", || !lock(&ra.bodies).is_empty()).await;
    until("drop counted", || m.inner.metrics.dropped.get() == 2).await;
    let (_, errors, _) = m.inner.metrics.for_am(&format!("http://{a}/api/v2/alerts"));
    assert_eq!(errors.get(), 2);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest() {
    let m = Manager::new(options(3));
    m.send(vec![alert("1"), alert("2")]);
    m.send(vec![alert("3"), alert("4")]);
    assert_eq!(m.queue_len(), 3);
    assert_eq!(m.inner.metrics.dropped.get(), 1);
    m.send((5..10).map(|i| alert(&i.to_string())).collect());
    assert_eq!(m.inner.metrics.dropped.get(), 1 + 2 + 3);
    let names: Vec<String> = m
        .next_batch()
        .iter()
        .map(|a| a.labels.get("alertname").unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["7", "8", "9"]);
    assert_eq!(m.inner.metrics.queue_length.get(), 0.0);
}

#[tokio::test]
async fn shutdown_drains_the_queue() {
    let (a, ra) = receiver(StatusCode::OK).await;
    let m = Manager::new(Options {
        max_batch: 2,
        ..options(100)
    });
    m.apply_config(&config(&format!(
        "alerting:\n  alertmanagers:\n  - static_configs: [{{targets: ['{a}']}}]\n"
    )))
    .unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    until("discovery", || m.alertmanagers().0.len() == 1).await;
    // Queue without waking the sender, then stop: everything still goes out, in batches.
    lock(&m.inner.queue).extend((0..5).map(|i| alert(&i.to_string())));
    cancel.cancel();
    task.await.unwrap();
    let sizes: Vec<usize> = lock(&ra.bodies)
        .iter()
        .map(|(_, b)| b.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
}

#[tokio::test]
async fn reloads_keep_unchanged_sets_and_bad_configs_change_nothing() {
    let m = Manager::new(options(10));
    let cfg = config("alerting:\n  alertmanagers:\n  - static_configs: [{targets: ['a:9093']}]\n");
    m.apply_config(&cfg).unwrap();
    m.sync_targets(m.inner.discovery.all_groups());
    let mut ts = TargetSets::new();
    ts.insert(
        set_key(0),
        vec![flint_discovery::TargetGroup {
            source: "0".into(),
            targets: vec![Labels::from_pairs([("__address__", "a:9093")])],
            labels: Labels::empty(),
        }],
    );
    m.sync_targets(ts);
    assert_eq!(m.alertmanagers().0, ["http://a:9093/api/v2/alerts"]);
    m.apply_config(&cfg).unwrap();
    assert_eq!(
        m.alertmanagers().0.len(),
        1,
        "unchanged entry keeps its targets"
    );
    assert_eq!(m.inner.metrics.discovered.get(), 1.0);
    let bad = config(
        "alerting:\n  alertmanagers:\n  - static_configs: [{targets: ['b:9093']}]\n    tls_config: {ca_file: /nonexistent/ca.pem}\n",
    );
    assert!(m.apply_config(&bad).is_err());
    assert_eq!(m.alertmanagers().0, ["http://a:9093/api/v2/alerts"]);
}

#[tokio::test]
async fn credentials_are_sent() {
    let (a, ra) = receiver(StatusCode::OK).await;
    let m = Manager::new(options(10));
    m.apply_config(&config(&format!(
        "alerting:\n  alertmanagers:\n  - basic_auth: {{username: u, password: p}}\n    static_configs: [{{targets: ['{a}']}}]\n"
    )))
    .unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    until("discovery", || m.alertmanagers().0.len() == 1).await;
    m.send(vec![alert("A")]);
    until("a request", || !lock(&ra.bodies).is_empty()).await;
    let (_, body) = lock(&ra.bodies)[0].clone();
    assert_eq!(body["authorization"], "Basic dTpw");
    assert_eq!(body["alerts"][0]["labels"]["alertname"], "A");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn file_discovered_alertmanagers_are_used() {
    let (a, ra) = receiver(StatusCode::OK).await;
    let dir = std::env::temp_dir().join(format!("flint-notifier-sd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ams.json");
    std::fs::write(
        &file,
        format!("[{{\"targets\": [\"{a}\"], \"labels\": {{\"dc\": \"eu\"}}}}]"),
    )
    .unwrap();
    let m = Manager::new(options(10));
    m.apply_config(&config(&format!(
        "alerting:\n  alertmanagers:\n  - file_sd_configs: [{{files: ['{}']}}]\n    relabel_configs:\n    - {{source_labels: [dc], regex: eu, action: keep}}\n",
        file.display()
    )))
    .unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    until("file discovery", || m.alertmanagers().0.len() == 1).await;
    m.send(vec![alert("A")]);
    until("a request", || !lock(&ra.bodies).is_empty()).await;
    cancel.cancel();
    task.await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
