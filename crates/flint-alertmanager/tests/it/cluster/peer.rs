//! Cluster peers as separate processes: this test binary re-executes itself with
//! `FLINT_AM_PEER` set, and [`peer_process`] then runs one clustered Alertmanager until
//! SIGTERM (snapshots written) or SIGKILL (a crash).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flint_alertmanager::api::VersionInfo;
use flint_alertmanager::cluster::Options as ClusterOptions;
use flint_alertmanager::server::{Alertmanager, Options};
use flint_alertmanager::silence::Limits;
use flint_alertmanager::time::Clock;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::harness::client;

const ENV: &str = "FLINT_AM_PEER";

/// Scaled-down cluster timings: the suite takes seconds, not minutes.
pub const PEER_TIMEOUT_MS: u64 = 300;

/// How to start one peer.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Data directory (config, snapshots, logs, the ready file).
    pub dir: PathBuf,
    /// IP to listen on for the cluster.
    pub ip: String,
    /// IP to listen on for the API (usually the same).
    pub web_ip: String,
    /// Cluster peers (`ip:port`).
    pub peers: Vec<String>,
    /// Network namespace to run in.
    pub netns: Option<String>,
}

/// A running peer process.
pub struct PeerProc {
    /// `http://ip:port`.
    pub url: String,
    /// Cluster address.
    pub cluster_addr: String,
    /// Peer name.
    pub name: String,
    /// How it was started.
    pub spec: Spec,
    child: Child,
}

fn ms(v: &Value, k: &str, default: u64) -> Duration {
    Duration::from_millis(v[k].as_u64().unwrap_or(default))
}

/// The child side: runs when the test binary is started as a peer.
#[test]
fn peer_process() {
    let Ok(spec) = std::env::var(ENV) else {
        return;
    };
    let v: Value = serde_json::from_str(&spec).expect("peer spec");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run_peer(v));
}

async fn run_peer(v: Value) {
    let dir = PathBuf::from(v["dir"].as_str().expect("dir"));
    let ip = v["ip"].as_str().expect("ip").to_string();
    let web_ip = v["web_ip"].as_str().unwrap_or(&ip).to_string();
    let listener = tokio::net::TcpListener::bind(format!("{web_ip}:0"))
        .await
        .expect("bind web");
    let addr = listener.local_addr().expect("addr");
    let peers = v["peers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let cluster = ClusterOptions {
        peers,
        peer_timeout: Duration::from_millis(PEER_TIMEOUT_MS),
        gossip_interval: ms(&v, "gossip_ms", 50),
        pushpull_interval: ms(&v, "pushpull_ms", 1000),
        probe_interval: ms(&v, "probe_ms", 100),
        probe_timeout: ms(&v, "probe_timeout_ms", 50),
        tcp_timeout: Duration::from_secs(2),
        settle_timeout: ms(&v, "settle_timeout_ms", 3000),
        reconnect_interval: Duration::from_millis(300),
        refresh_interval: Duration::from_secs(1),
        ..ClusterOptions::new(format!("{ip}:0").parse().expect("cluster addr"))
    };
    let opts = Options {
        config_file: dir.join("alertmanager.yml"),
        storage_path: dir.join("data"),
        listen: addr,
        external_url: format!("http://{addr}"),
        route_prefix: "/".into(),
        retention: Duration::from_secs(3600),
        alerts_gc_interval: Duration::from_secs(60),
        maintenance_interval: Duration::from_secs(60),
        silence_limits: Limits::default(),
        peer_timeout: Duration::from_millis(PEER_TIMEOUT_MS),
        cluster: Some(cluster),
        version: VersionInfo::default(),
    };
    let am = Alertmanager::new(opts, Clock::system()).expect("start peer");
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
        }
        c.cancel();
    });
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    std::fs::write(dir.join("ready.tmp"), format!("http://{addr}")).expect("ready");
    std::fs::rename(dir.join("ready.tmp"), dir.join("ready")).expect("ready");
    am.run(listener, rx, cancel).await.expect("run");
}

impl PeerProc {
    /// Starts a peer process with `config` in `spec.dir`; waits until its API answers.
    pub async fn start(spec: Spec, config: &str, extra: Value) -> PeerProc {
        std::fs::create_dir_all(&spec.dir).expect("dir");
        std::fs::write(spec.dir.join("alertmanager.yml"), config).expect("config");
        let _ = std::fs::remove_file(spec.dir.join("ready"));
        let mut v =
            json!({"dir": spec.dir, "ip": spec.ip, "web_ip": spec.web_ip, "peers": spec.peers});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        let exe = std::env::current_exe().expect("exe");
        let mut cmd = match &spec.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let log = std::fs::File::create(spec.dir.join("peer.log")).expect("log");
        let child = cmd
            .args(["cluster::peer::peer_process", "--exact", "--nocapture"])
            .env(ENV, v.to_string())
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn peer");
        let url = wait_ready(&spec.dir).await;
        let status = get(&url, "/api/v2/status").await;
        let name = status["cluster"]["name"].as_str().unwrap_or("").to_string();
        let cluster_addr = status["cluster"]["peers"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name.as_str()))
            .and_then(|p| p["address"].as_str())
            .unwrap_or("")
            .to_string();
        PeerProc {
            url,
            cluster_addr,
            name,
            spec,
            child,
        }
    }

    /// SIGKILL: a crash.
    pub fn kill(mut self) -> Spec {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.spec.clone()
    }

    /// SIGTERM: a clean stop (snapshots written, cluster left).
    pub fn stop(mut self) -> Spec {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        self.spec.clone()
    }

    /// The peer's `/api/v2/status` cluster object.
    pub async fn cluster(&self) -> Value {
        get(&self.url, "/api/v2/status").await["cluster"].clone()
    }

    /// POSTs alerts.
    pub async fn post_alerts(&self, alerts: &Value) {
        let r = client()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(alerts)
            .send()
            .await
            .expect("post alerts");
        assert_eq!(r.status().as_u16(), 200);
    }

    /// The peer's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.spec.dir.join("peer.log")).unwrap_or_default()
    }
}

impl Drop for PeerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_ready(dir: &Path) -> String {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(url) = std::fs::read_to_string(dir.join("ready")) {
            let up = client()
                .get(format!("{url}/-/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return url;
            }
        }
        assert!(
            Instant::now() < end,
            "peer in {} did not start: {}",
            dir.display(),
            std::fs::read_to_string(dir.join("peer.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GETs JSON.
pub async fn get(url: &str, path: &str) -> Value {
    match client().get(format!("{url}{path}")).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// Polls until every peer reports `n` members and is ready.
pub async fn wait_cluster(peers: &[&PeerProc], n: usize, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        let mut ok = true;
        for p in peers {
            let c = p.cluster().await;
            ok &= c["status"] == "ready" && c["peers"].as_array().map(Vec::len) == Some(n);
        }
        if ok {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
