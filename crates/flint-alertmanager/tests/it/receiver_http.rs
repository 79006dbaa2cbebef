//! Receivers' HTTP clients built from `http_config`: TLS against a private CA with
//! `min_version`/`max_version`, and `proxy_url` with `proxy_connect_header`.

use std::path::Path;

use flint_testkit::net;
use rustls::ProtocolVersion;
use serde_json::json;

use crate::harness::{Server, alert};

const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/tls");

/// A webhook receiver `name` posting to `url` with an `http_config` body (one YAML flow map).
fn webhook(name: &str, url: &str, http_config: &str) -> String {
    format!(
        "  - name: {name}\n    webhook_configs:\n      - url: '{url}'\n        \
         http_config: {http_config}\n"
    )
}

/// A config routing alerts labelled `r=<name>` to receiver `name`.
fn config(receivers: &[String]) -> String {
    let names: Vec<String> = receivers
        .iter()
        .filter_map(|r| r.split("name: ").nth(1)?.lines().next().map(String::from))
        .collect();
    let routes: String = names
        .iter()
        .map(|n| format!("    - {{receiver: {n}, matchers: [r={n}]}}\n"))
        .collect();
    format!(
        "route:\n  receiver: {}\n  group_wait: 100ms\n  group_by: [r]\n  routes:\n{routes}\
         receivers:\n{}",
        names[0],
        receivers.concat()
    )
}

async fn tls_server(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (u16, net::Log<net::Seen>) {
    net::tls_server(
        Path::new(&format!("{TLS}/peer.crt")),
        Path::new(&format!("{TLS}/peer.key")),
        None,
        versions,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_over_tls_keep_to_the_configured_versions() {
    let (both, seen_both) = tls_server(net::TLS12_AND_13).await;
    let (only12, seen12) = tls_server(&[&rustls::version::TLS12]).await;
    let ca = format!("ca_file: '{TLS}/ca.crt'");
    let receivers = [
        webhook(
            "max12",
            &format!("https://127.0.0.1:{both}/max12"),
            &format!("{{tls_config: {{{ca}, max_version: TLS12}}}}"),
        ),
        webhook(
            "min13",
            &format!("https://127.0.0.1:{both}/min13"),
            &format!("{{tls_config: {{{ca}, min_version: TLS13}}}}"),
        ),
        webhook(
            "refused",
            &format!("https://127.0.0.1:{only12}/refused"),
            &format!("{{tls_config: {{{ca}, min_version: TLS13}}}}"),
        ),
        webhook(
            "untrusted",
            &format!("https://127.0.0.1:{both}/untrusted"),
            &format!("{{tls_config: {{ca_file: '{TLS}/other-ca.crt'}}}}"),
        ),
    ];
    let s = Server::start(&config(&receivers)).await;
    let alerts: Vec<_> = ["max12", "min13", "refused", "untrusted"]
        .iter()
        .map(|r| alert(&[("alertname", "Tls"), ("r", r)], None))
        .collect();
    assert_eq!(s.post_alerts(&json!(alerts)).await.0, 200);
    let failed = s.wait_failed("webhook", 2.0, 10).await;
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen_both.lock().expect("log").len() < 2 && std::time::Instant::now() < end {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    s.stop().await;
    let mut got: Vec<(String, Option<ProtocolVersion>)> = seen_both
        .lock()
        .expect("log")
        .iter()
        .map(|c| {
            let path = c.head.split(' ').nth(1).unwrap_or_default().to_string();
            (path, c.version)
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("/max12".to_string(), Some(ProtocolVersion::TLSv1_2)),
            ("/min13".to_string(), Some(ProtocolVersion::TLSv1_3)),
        ]
    );
    assert!(
        seen12.lock().expect("log").is_empty(),
        "a TLS 1.2-only server gets nothing from min_version TLS13"
    );
    assert!(failed >= 2.0, "refused and untrusted fail: {failed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_go_through_the_proxy_with_connect_headers() {
    let (plain, seen_plain) = net::recording_proxy(200).await;
    let (tunnel, seen_tunnel) = net::recording_proxy(403).await;
    let receivers = [
        webhook(
            "plain",
            "http://hooks.invalid:9000/plain",
            &format!("{{proxy_url: '{plain}'}}"),
        ),
        webhook(
            "tunnel",
            "https://hooks.invalid:9443/tunnel",
            &format!("{{proxy_url: '{tunnel}', proxy_connect_header: {{X-Proxy-Token: [tok1]}}}}"),
        ),
    ];
    let s = Server::start(&config(&receivers)).await;
    let alerts: Vec<_> = ["plain", "tunnel"]
        .iter()
        .map(|r| alert(&[("alertname", "Proxy"), ("r", r)], None))
        .collect();
    assert_eq!(s.post_alerts(&json!(alerts)).await.0, 200);
    s.wait_failed("webhook", 1.0, 10).await;
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen_plain.lock().expect("log").is_empty() && std::time::Instant::now() < end {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    s.stop().await;
    let plain = seen_plain.lock().expect("log").clone();
    assert!(
        plain[0].starts_with("POST http://hooks.invalid:9000/plain HTTP/1.1"),
        "{plain:?}"
    );
    let tunnel = seen_tunnel.lock().expect("log")[0].to_ascii_lowercase();
    assert!(tunnel.starts_with("connect hooks.invalid:9443"), "{tunnel}");
    assert!(tunnel.contains("x-proxy-token: tok1"), "{tunnel}");
    // The secret is sent to the proxy only, never in the tunnelled request or elsewhere.
    assert!(!plain[0].contains("tok1"));
}

#[tokio::test]
async fn impossible_tls_versions_are_rejected() {
    let with_tls = |tls: &str| {
        config(&[webhook(
            "r",
            "https://127.0.0.1:1/",
            &format!("{{tls_config: {tls}}}"),
        )])
    };
    for (tls, want) in [
        (
            "{min_version: TLS13, max_version: TLS12}",
            "max_version must be greater than or equal to tls_config.min_version",
        ),
        ("{min_version: TLS14}", "unknown TLS version: TLS14"),
    ] {
        let err = flint_alertmanager::config::Config::load(&with_tls(tls))
            .map(|_| ())
            .expect_err(tls);
        assert!(err.to_string().contains(want), "{tls}: {err}");
    }
    // Versions rustls does not speak fail when the receivers are built: the reload is
    // refused and the running config stays.
    let s = Server::start(&with_tls("{min_version: TLS12}")).await;
    assert_ne!(s.reload(&with_tls("{max_version: TLS11}")).await, 200);
    let status = s.get("/api/v2/status").await;
    s.stop().await;
    let original = status["config"]["original"].as_str().unwrap_or_default();
    assert!(
        original.contains("TLS12") && !original.contains("TLS11"),
        "{original}"
    );
}
