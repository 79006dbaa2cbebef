//! Lifecycle, status and target endpoints; the JSON envelope.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use flint_config::{LoadOptions, load_str};
use flint_web::{AppState, router, serve};
use tokio_util::sync::CancellationToken;

async fn start(
    lifecycle: bool,
) -> (
    String,
    Arc<AtomicBool>,
    tokio::sync::mpsc::Receiver<flint_web::ReloadRequest>,
) {
    start_at(lifecycle, "/").await
}

/// The server's shared state over `yaml`, with its scrape pools configured (no targets),
/// `flags` and `external_url`; also the channel reload requests arrive on.
pub async fn app_state(
    yaml: &str,
    lifecycle: bool,
    flags: BTreeMap<String, String>,
    external_url: &str,
) -> (
    AppState,
    tokio::sync::mpsc::Receiver<flint_web::ReloadRequest>,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = load_str(yaml, LoadOptions::default()).unwrap();
    let registry = flint_client::Registry::new();
    let scrape = flint_scrape::Manager::new(flint_scrape::ManagerOptions {
        storage: Arc::new(flint_storage::memory::MemStorage::new()),
        registry: registry.clone(),
        offset_seed: 0,
    });
    scrape
        .apply_config(cfg.scrape_configs.clone())
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let state = AppState {
        registry,
        scrape,
        config: Arc::new(RwLock::new(Arc::new(cfg))),
        flags: Arc::new(flags),
        ready: Arc::new(AtomicBool::new(false)),
        lifecycle,
        reload: tx,
        quit: CancellationToken::new(),
        external_url: external_url.into(),
    };
    (state, rx)
}

async fn start_at(
    lifecycle: bool,
    prefix: &str,
) -> (
    String,
    Arc<AtomicBool>,
    tokio::sync::mpsc::Receiver<flint_web::ReloadRequest>,
) {
    let (state, rx) = app_state(
        "scrape_configs:\n  - job_name: j\n    basic_auth: {username: u, password: pw}\n",
        lifecycle,
        BTreeMap::from([("web.enable-lifecycle".to_string(), lifecycle.to_string())]),
        "",
    )
    .await;
    let ready = state.ready.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        flint_web::prefix::under(router(state), prefix),
        CancellationToken::new(),
    ));
    (format!("http://{addr}"), ready, rx)
}

#[tokio::test]
async fn lifecycle_endpoints() {
    let (base, ready, mut rx) = start(true).await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(format!("{base}/-/healthy"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{base}/-/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    ready.store(true, Ordering::SeqCst);
    assert_eq!(
        c.get(format!("{base}/-/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::spawn(async move {
        let reply = rx.recv().await.unwrap();
        reply.send(Err("bad config".into())).unwrap();
    });
    let r = c.post(format!("{base}/-/reload")).send().await.unwrap();
    assert_eq!(r.status(), 500);
    assert!(r.text().await.unwrap().contains("bad config"));
    let (base, _, _) = start(false).await;
    assert_eq!(
        c.post(format!("{base}/-/reload"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn api_envelopes() {
    let (base, _, _) = start(false).await;
    let get = |p: &str| {
        let url = format!("{base}{p}");
        async move { reqwest::get(url).await.unwrap() }
    };
    let v = get("/api/v1/status/config")
        .await
        .text()
        .await
        .unwrap()
        .parse::<serde_json::Value>()
        .unwrap();
    assert_eq!(v["status"], "success");
    assert!(
        v["data"]["yaml"]
            .as_str()
            .unwrap()
            .contains("password: <secret>")
    );
    let v = get("/api/v1/status/flags")
        .await
        .text()
        .await
        .unwrap()
        .parse::<serde_json::Value>()
        .unwrap();
    assert_eq!(v["data"]["web.enable-lifecycle"], "false");
    let v = get("/api/v1/targets")
        .await
        .text()
        .await
        .unwrap()
        .parse::<serde_json::Value>()
        .unwrap();
    assert_eq!(v["data"]["activeTargets"], serde_json::json!([]));
    assert_eq!(v["data"]["droppedTargetCounts"]["j"], 0);
    let r = get("/api/v1/targets/metadata?match_target=job").await;
    assert_eq!(r.status(), 400);
    let v = r
        .text()
        .await
        .unwrap()
        .parse::<serde_json::Value>()
        .unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["errorType"], "bad_data");
    let v = get("/api/v1/metadata")
        .await
        .text()
        .await
        .unwrap()
        .parse::<serde_json::Value>()
        .unwrap();
    assert_eq!(v["data"], serde_json::json!({}));
    let m = get("/metrics").await.text().await.unwrap();
    assert!(m.contains("prometheus_target_scrape_pools_total"), "{m}");
}

#[tokio::test]
async fn routes_under_a_prefix() {
    let (base, _, _) = start_at(false, "/prom/").await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |p: &str| c.get(format!("{base}{p}")).send();
    assert_eq!(get("/prom/-/healthy").await.unwrap().status(), 200);
    assert_eq!(
        get("/prom/api/v1/status/flags").await.unwrap().status(),
        200
    );
    assert_eq!(get("/-/healthy").await.unwrap().status(), 404);
    let r = get("/").await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/prom");
}

#[tokio::test]
async fn while_starting_only_health_and_the_replay_answer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let replay = flint_tsdb::ReplayProgress::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        flint_web::starting::router(replay, "/prom"),
        CancellationToken::new(),
    ));
    let c = reqwest::Client::new();
    let get = |path: &str| {
        let c = c.clone();
        let url = format!("{base}{path}");
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get("/prom/-/healthy").await.0, 200);
    assert_eq!(
        get("/prom/-/ready").await,
        (503, "Service Unavailable".to_string())
    );
    assert_eq!(get("/prom/api/v1/query?query=up").await.0, 503);
    let (code, body) = get("/prom/api/v1/status/walreplay").await;
    assert_eq!(code, 200);
    assert!(body.contains("\"status\":\"success\""), "{body}");
}
