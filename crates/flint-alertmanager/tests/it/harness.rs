//! Test harness: an Alertmanager on `127.0.0.1:0` and a recording webhook receiver.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as AxPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use flint_alertmanager::api::VersionInfo;
use flint_alertmanager::server::{Alertmanager, Options};
use flint_alertmanager::silence::Limits;
use flint_alertmanager::time::Clock;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// When, relative to the receiver's start.
    pub at: Duration,
    /// The path after `/hook/`.
    pub path: String,
    /// The JSON body.
    pub body: Value,
    /// Request headers (lower-case names).
    pub headers: Vec<(String, String)>,
}

#[derive(Default)]
struct RecState {
    got: Vec<Received>,
    /// Status codes to answer with, in order; then 200.
    script: Vec<(u16, Duration)>,
    attempts: usize,
}

/// A webhook receiver that records every POST.
#[derive(Clone)]
pub struct Recorder {
    state: Arc<Mutex<RecState>>,
    start: Instant,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

async fn hook(
    State(r): State<Recorder>,
    AxPath(path): AxPath<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    let (code, delay) = {
        let mut st = r.state.lock().expect("lock");
        st.attempts += 1;
        if st.script.is_empty() {
            (200, Duration::ZERO)
        } else {
            st.script.remove(0)
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if code == 200 {
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let headers = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        r.state.lock().expect("lock").got.push(Received {
            at: r.start.elapsed(),
            path,
            body,
            headers,
        });
    }
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

impl Recorder {
    /// Starts on a free port.
    pub async fn start() -> Recorder {
        Recorder::start_on("127.0.0.1:0").await
    }

    /// Starts on `addr` (`url` names it; with an unspecified IP, 127.0.0.1).
    pub async fn start_on(addr: &str) -> Recorder {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let mut local = listener.local_addr().expect("addr");
        if local.ip().is_unspecified() {
            local.set_ip([127, 0, 0, 1].into());
        }
        let url = format!("http://{local}");
        let r = Recorder {
            state: Arc::default(),
            start: Instant::now(),
            url,
        };
        let app = axum::Router::new()
            .route("/hook/{*path}", axum::routing::post(hook))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    /// The next answers: (status, delay before answering).
    pub fn script(&self, s: &[(u16, Duration)]) {
        self.state.lock().expect("lock").script = s.to_vec();
    }

    /// Everything received so far.
    pub fn got(&self) -> Vec<Received> {
        self.state.lock().expect("lock").got.clone()
    }

    /// Requests seen, including failed ones.
    pub fn attempts(&self) -> usize {
        self.state.lock().expect("lock").attempts
    }

    /// Time since start.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Waits until `n` notifications arrived (or `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let end = Instant::now() + timeout;
        loop {
            let got = self.got();
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running Alertmanager.
pub struct Server {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The data directory.
    pub dir: PathBuf,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _tmp: Option<tempfile::TempDir>,
}

impl Server {
    /// Writes `config` and starts a server on a new data directory.
    pub async fn start(config: &str) -> Server {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().to_path_buf();
        let mut s = Server::start_in(&dir, config).await;
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server in `dir` (keeping snapshots there).
    pub async fn start_in(dir: &Path, config: &str) -> Server {
        Server::start_in_under(dir, config, "").await
    }

    /// Starts a server whose external URL has the path `prefix` (e.g. `/am`), which is also
    /// its route prefix; `url` stays the bare `http://127.0.0.1:port`.
    pub async fn start_prefixed(config: &str, prefix: &str) -> Server {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().to_path_buf();
        let mut s = Server::start_in_under(&dir, config, prefix).await;
        s._tmp = Some(tmp);
        s
    }

    async fn start_in_under(dir: &Path, config: &str, prefix: &str) -> Server {
        std::fs::write(dir.join("alertmanager.yml"), config).expect("write config");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let opts = Options {
            config_file: dir.join("alertmanager.yml"),
            storage_path: dir.join("data"),
            listen: addr,
            external_url: format!("http://{addr}{prefix}"),
            route_prefix: format!("/{}", prefix.trim_matches('/')),
            retention: Duration::from_secs(3600),
            alerts_gc_interval: Duration::from_secs(1),
            maintenance_interval: Duration::from_secs(60),
            silence_limits: Limits::default(),
            peer_timeout: Duration::from_secs(15),
            cluster: None,
            version: VersionInfo {
                version: "0.1.0".into(),
                ..VersionInfo::default()
            },
        };
        let am = Alertmanager::new(opts, Clock::system()).expect("start");
        let cancel = CancellationToken::new();
        let (_tx, rx) = tokio::sync::mpsc::channel(1);
        let c = cancel.clone();
        let task = tokio::spawn(async move {
            let _keep = _tx;
            am.run(listener, rx, c).await.expect("run");
        });
        Server {
            url: format!("http://{addr}"),
            dir: dir.to_path_buf(),
            cancel,
            task,
            _tmp: None,
        }
    }

    /// Stops the server (snapshots are written).
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        self.cancel.cancel();
        let _ = self.task.await;
        self._tmp
    }

    /// Rewrites the config file and POSTs `/-/reload`; returns the status code.
    pub async fn reload(&self, config: &str) -> u16 {
        std::fs::write(self.dir.join("alertmanager.yml"), config).expect("write config");
        client()
            .post(format!("{}/-/reload", self.url))
            .send()
            .await
            .expect("reload")
            .status()
            .as_u16()
    }

    /// POSTs alerts (a JSON array).
    pub async fn post_alerts(&self, alerts: &Value) -> (u16, String) {
        let r = client()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(alerts)
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// `alertmanager_notification_requests_failed_total` summed over one integration.
    pub async fn failed_requests(&self, integration: &str) -> f64 {
        let text = match client().get(format!("{}/metrics", self.url)).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let label = format!("integration=\"{integration}\"");
        text.lines()
            .filter(|l| {
                l.starts_with("alertmanager_notification_requests_failed_total{")
                    && l.contains(&label)
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until `integration` has failed at least `n` requests or `secs` pass; returns
    /// the count.
    pub async fn wait_failed(&self, integration: &str, n: f64, secs: u64) -> f64 {
        let end = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.failed_requests(integration).await;
            if got >= n || std::time::Instant::now() >= end {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// GETs a path and parses JSON.
    pub async fn get(&self, path: &str) -> Value {
        let r = client()
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("get");
        r.json().await.unwrap_or(Value::Null)
    }
}

/// A shared HTTP client.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A webhook receiver config block for `name` posting to `rec`.
pub fn receiver(name: &str, rec: &Recorder, extra: &str) -> String {
    format!(
        "  - name: {name}\n    webhook_configs:\n      - url: '{}/hook/{name}'\n{extra}",
        rec.url
    )
}

/// An alert JSON object with labels (and `endsAt` when given, RFC 3339).
pub fn alert(labels: &[(&str, &str)], ends_at: Option<&str>) -> Value {
    let mut l = serde_json::Map::new();
    for (k, v) in labels {
        l.insert((*k).into(), Value::String((*v).into()));
    }
    let mut a = serde_json::json!({"labels": l, "annotations": {"summary": "s"}});
    if let Some(e) = ends_at {
        a["endsAt"] = Value::String(e.into());
    }
    a
}

impl Received {
    /// A request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Alert names in a webhook body, with their status.
pub fn names(r: &Received) -> Vec<String> {
    r.body["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "{}:{}",
                        x["labels"]["alertname"].as_str().unwrap_or("?"),
                        x["status"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Debian's real Alertmanager, for differential tests.
pub struct Upstream {
    /// `http://127.0.0.1:port`.
    pub url: String,
    child: std::process::Child,
    /// Its working directory (config and data).
    pub dir: tempfile::TempDir,
}

impl Upstream {
    /// Starts `prometheus-alertmanager` with `config` (None when it is not installed).
    pub async fn start(config: &str, external_url: &str) -> Option<Upstream> {
        let bin = flint_testkit::find_program("prometheus-alertmanager")?;
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("am.yml"), config).expect("config");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let child = std::process::Command::new(bin)
            .arg(format!(
                "--config.file={}",
                dir.path().join("am.yml").display()
            ))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--web.external-url={external_url}"))
            .arg("--cluster.listen-address=")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let url = format!("http://127.0.0.1:{port}");
        let end = Instant::now() + Duration::from_secs(20);
        let c = client();
        while c
            .get(format!("{url}/-/ready"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok()
            != Some(200)
            && Instant::now() < end
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(Upstream { url, child, dir })
    }

    /// Stops it with SIGTERM (it writes its snapshots) and waits.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        self.dir
    }
}
