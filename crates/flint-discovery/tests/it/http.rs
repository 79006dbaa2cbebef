//! HTTP SD against a local server: groups, `__meta_url`, status and content-type checks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use flint_config::{HttpSdConfig, SdConfig};
use flint_discovery::{DiscovererDeps, Manager, ManagerOptions};

#[tokio::test]
async fn polls_and_checks_responses() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let app = axum::Router::new().route(
        "/sd",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let n = c2.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(headers.contains_key("x-prometheus-refresh-interval-seconds"));
                match n {
                    0 => (
                        [(CONTENT_TYPE, "application/json")],
                        r#"[{"targets":["h:1"],"labels":{"a":"b"}}]"#.to_string(),
                    )
                        .into_response_parts(),
                    1 => ([(CONTENT_TYPE, "text/plain")], "oops".to_string()).into_response_parts(),
                    _ => ([(CONTENT_TYPE, "application/json")], "[]".to_string())
                        .into_response_parts(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut o = ManagerOptions::new("scrape", DiscovererDeps::default());
    o.sync_period = Duration::from_millis(20);
    let metrics = o.metrics.clone();
    let (m, mut rx) = Manager::new(o);
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::spawn(m.clone().run(cancel.clone()));
    let url = format!("http://{addr}/sd");
    let cfg = HttpSdConfig {
        url: url.clone(),
        refresh_interval: flint_config::Duration::from_millis(100),
        follow_redirects: true,
        ..Default::default()
    };
    m.apply_config(&BTreeMap::from([(
        "h".to_string(),
        vec![SdConfig::Http(Box::new(cfg))],
    )]));
    let first = loop {
        let s = rx.recv().await.unwrap();
        if !s["h"].is_empty() {
            break s;
        }
    };
    let g = &first["h"][0];
    assert_eq!(g.labels.get("__meta_url"), Some(url.as_str()));
    assert_eq!(g.labels.get("a"), Some("b"));
    // The wrong content type is a failure; then an empty list empties the group.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let s = rx.recv().await.unwrap();
            if s["h"].iter().all(|g| g.targets.is_empty()) {
                break;
            }
        }
    })
    .await
    .unwrap();
    assert!(metrics.http.failures.get() >= 1);
    cancel.cancel();
}

trait IntoParts {
    fn into_response_parts(self) -> axum::response::Response;
}

impl IntoParts for ([(axum::http::HeaderName, &'static str); 1], String) {
    fn into_response_parts(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}
