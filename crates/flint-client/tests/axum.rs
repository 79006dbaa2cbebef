//! The axum router end to end over a real socket: negotiation and gzip.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used)] // setup in tests may panic

use std::io::{Read as _, Write as _};

use flint_client::Registry;
use flint_client::metrics::counter::Counter;

/// Sends a raw HTTP/1.1 GET with `headers`; returns (head, body).
fn get(addr: std::net::SocketAddr, headers: &str) -> (String, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let req = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    (head, raw[split + 4..].to_vec())
}

#[test]
fn router_serves_negotiated_and_gzipped_metrics() {
    let registry = Registry::new();
    let hits = Counter::default();
    hits.inc_by(3);
    registry.register("hits", "Hits.", hits).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app: axum::Router = flint_client::axum::router(registry);
    rt.spawn(async move { axum::serve(listener, app).await });

    let (head, body) = get(addr, "");
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(String::from_utf8_lossy(&body).contains("hits_total 3\n"));

    let (head, body) = get(
        addr,
        "Accept: application/openmetrics-text;version=1.0.0\r\nAccept-Encoding: gzip\r\n",
    );
    assert!(
        head.contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(
        text.contains("hits_total 3.0\n") && text.ends_with("# EOF\n"),
        "{text}"
    );
}
