//! The server end to end, in process: scraping node-exporter and a broken target, the API,
//! reloads (a bad config keeps the old one), shutdown, and data in the TSDB.
#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use flint_storage::Queryable;

use super::*;

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: ServerArgs,
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get_json(url: &str) -> serde_json::Value {
    let body = reqwest::get(url).await.unwrap().text().await.unwrap();
    serde_json::from_str(&body).unwrap()
}

async fn wait_until<F: std::future::Future<Output = bool>>(mut f: impl FnMut() -> F) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached in time");
}

fn config(node: u16, bad: u16, extra_job: &str) -> String {
    format!(
        "global: {{scrape_interval: 1s, scrape_timeout: 500ms}}\nscrape_configs:\n  - job_name: node\n    static_configs: [{{targets: ['127.0.0.1:{node}']}}]\n    basic_auth: {{username: u, password: topsecret}}\n  - job_name: broken\n    static_configs: [{{targets: ['127.0.0.1:{bad}']}}]\n{extra_job}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_scrapes_reloads_and_stores() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(node_bin) = flint_testkit::find_program("prometheus-node-exporter") else {
        return;
    };
    let node_port = free_port();
    let _node = Proc(
        Command::new(node_bin)
            .arg(format!("--web.listen-address=127.0.0.1:{node_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // A target that answers 500.
    let bad = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bad_port = bad.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write as _};
        for s in bad.incoming().flatten() {
            let mut s = s;
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\nboom");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("prometheus.yml");
    std::fs::write(&cfg_path, config(node_port, bad_port, "")).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let args = Wrap::parse_from([
        "flint".to_string(),
        format!("--config.file={}", cfg_path.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--web.enable-lifecycle".into(),
        "--flint.discovery-sync-period=100ms".into(),
    ])
    .args;
    let server = tokio::spawn(serve(args));
    wait_until(|| async {
        reqwest::get(format!("{base}/-/ready"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(
        reqwest::get(format!("{base}/-/healthy"))
            .await
            .unwrap()
            .status(),
        200
    );

    // Both targets scraped; the broken one is down with its error.
    wait_until(|| async {
        let t = get_json(&format!("{base}/api/v1/targets")).await;
        let active = t["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        active.len() == 2 && active.iter().all(|a| a["health"] != "unknown")
    })
    .await;
    let t = get_json(&format!("{base}/api/v1/targets")).await;
    assert_eq!(t["status"], "success");
    let active = t["data"]["activeTargets"].as_array().unwrap();
    let node = active.iter().find(|a| a["scrapePool"] == "node").unwrap();
    assert_eq!(node["health"], "up", "{node}");
    assert_eq!(node["labels"]["job"], "node");
    assert_eq!(
        node["discoveredLabels"]["__address__"],
        format!("127.0.0.1:{node_port}")
    );
    assert_eq!(node["scrapeInterval"], "1s");
    assert_eq!(node["scrapeTimeout"], "500ms");
    assert!(node["lastScrape"].as_str().unwrap().ends_with('Z'));
    let broken = active.iter().find(|a| a["scrapePool"] == "broken").unwrap();
    assert_eq!(broken["health"], "down");
    assert_eq!(
        broken["lastError"],
        "server returned HTTP status 500 Internal Server Error"
    );

    let meta = get_json(&format!(
        "{base}/api/v1/targets/metadata?match_target={{job=\"node\"}}&metric=node_cpu_seconds_total"
    ))
    .await;
    assert_eq!(meta["data"][0]["type"], "counter", "{meta}");
    let meta = get_json(&format!(
        "{base}/api/v1/metadata?metric=node_cpu_seconds_total"
    ))
    .await;
    assert_eq!(meta["data"]["node_cpu_seconds_total"][0]["type"], "counter");
    let cfg = get_json(&format!("{base}/api/v1/status/config")).await;
    let yaml = cfg["data"]["yaml"].as_str().unwrap();
    assert!(
        yaml.contains("<secret>") && !yaml.contains("topsecret"),
        "{yaml}"
    );
    let flags = get_json(&format!("{base}/api/v1/status/flags")).await;
    assert_eq!(flags["data"]["web.enable-lifecycle"], "true");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("prometheus_target_interval_length_seconds"));
    assert!(metrics.contains("prometheus_config_last_reload_successful 1"));
    assert!(metrics.contains("prometheus_sd_discovered_targets"));

    // A bad config is rejected and keeps the running one.
    std::fs::write(&cfg_path, "scrape_configs: [{job_name: x, bogus: 1}]\n").unwrap();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/-/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("prometheus_config_last_reload_successful 0"));
    let t = get_json(&format!("{base}/api/v1/targets")).await;
    assert_eq!(t["data"]["activeTargets"].as_array().unwrap().len(), 2);

    // A good config adds a job; the node loop keeps its target.
    let before = get_json(&format!("{base}/api/v1/targets?scrapePool=node")).await;
    let extra = "  - job_name: self\n    static_configs: [{targets: ['127.0.0.1:PORT']}]\n"
        .replace("PORT", &port.to_string());
    std::fs::write(&cfg_path, config(node_port, bad_port, &extra)).unwrap();
    let r = client
        .post(format!("{base}/-/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_until(|| async {
        let t = get_json(&format!("{base}/api/v1/targets?state=active")).await;
        t["data"]["activeTargets"]
            .as_array()
            .is_some_and(|a| a.len() == 3)
    })
    .await;
    let after = get_json(&format!("{base}/api/v1/targets?scrapePool=node")).await;
    assert_eq!(
        before["data"]["activeTargets"][0]["labels"],
        after["data"]["activeTargets"][0]["labels"]
    );

    // Quit: shutdown in order, then the samples are in the TSDB.
    let r = client.post(format!("{base}/-/quit")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let code = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let db = Db::open(&dir.path().join("data"), DbOptions::default()).unwrap();
    let q = db.querier(0, i64::MAX).unwrap();
    let mut set = q.select(
        false,
        None,
        &[flint_model::Matcher::equal("__name__", "up")],
    );
    let mut n = 0;
    while let Some(s) = set.next_series() {
        s.unwrap();
        n += 1;
    }
    assert!(n >= 2, "up series in the TSDB: {n}");
}
