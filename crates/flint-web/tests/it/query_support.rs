//! Shared fixtures of the query API tests: generated OpenMetrics data, Flint's API over a
//! backfilled TSDB, and Debian's `prometheus` over the same data (backfilled by promtool).

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use flint_promql::{Engine, EngineOptions};
use flint_tsdb::{Db, DbOptions};
use flint_web::query_api::{QueryApi, QueryApiOptions, routes};
use tokio_util::sync::CancellationToken;

/// First sample time of the generated data (seconds); a multiple of 30 s.
pub const BASE: i64 = 1_699_999_980;
/// Samples per series (every 15 s, one hour).
pub const POINTS: i64 = 240;

/// A deterministic pseudo-random sequence (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Sample time `i` of a series: every 15 s with 1–999 ms of jitter, so no sample lies on a
/// whole second (range windows then never start exactly on a sample, which keeps Prometheus
/// 2.42's closed windows and 3.x's left-open ones in agreement).
fn ts(rng: &mut Rng, i: i64) -> String {
    let ms = (BASE + i * 15) * 1000 + 1 + rng.below(999) as i64;
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The generated data set as OpenMetrics text: counters with resets, gauges, a classic
/// histogram, a series with a gap, one that ends early and one with HTML in a label value.
pub fn openmetrics() -> String {
    let mut rng = Rng(42);
    let mut out = String::new();
    out.push_str("# TYPE http_requests counter\n");
    for job in ["api", "web"] {
        for inst in ["a:1", "b:1", "c:1"] {
            for code in ["200", "500"] {
                let mut v = rng.below(1000) as f64;
                let reset_at = rng.below(POINTS as u64 * 2) as i64;
                for i in 0..POINTS {
                    v = if i == reset_at {
                        0.0
                    } else {
                        v + rng.below(50) as f64
                    };
                    let t = ts(&mut rng, i);
                    let _ = writeln!(
                        out,
                        "http_requests_total{{job=\"{job}\",instance=\"{inst}\",code=\"{code}\"}} {v} {t}"
                    );
                }
            }
        }
    }
    out.push_str("# TYPE temperature gauge\n");
    for dc in ["x", "y"] {
        for rack in ["r1", "r2", "r3", "r4"] {
            for i in 0..POINTS {
                let v = (rng.unit() * 100.0 - 20.0) * 1000.0;
                let t = ts(&mut rng, i);
                let _ = writeln!(
                    out,
                    "temperature{{dc=\"{dc}\",rack=\"{rack}\"}} {} {t}",
                    v.round() / 1000.0
                );
            }
        }
    }
    out.push_str("# TYPE req_duration_seconds histogram\n");
    let bounds = ["0.1", "0.5", "1", "5", "+Inf"];
    for job in ["api", "web"] {
        for inst in ["a:1", "b:1", "c:1"] {
            let mut counts = [0u64; 5];
            let mut sum = 0.0;
            for i in 0..POINTS {
                for _ in 0..rng.below(20) {
                    let b = rng.below(5) as usize;
                    counts[b] += 1;
                    sum += [0.05, 0.3, 0.7, 3.0, 9.0][b];
                }
                let t = ts(&mut rng, i);
                let mut cum = 0;
                for (b, le) in bounds.iter().enumerate() {
                    cum += counts[b];
                    let _ = writeln!(
                        out,
                        "req_duration_seconds_bucket{{job=\"{job}\",instance=\"{inst}\",le=\"{le}\"}} {cum} {t}"
                    );
                }
                let _ = writeln!(
                    out,
                    "req_duration_seconds_count{{job=\"{job}\",instance=\"{inst}\"}} {cum} {t}"
                );
                let _ = writeln!(
                    out,
                    "req_duration_seconds_sum{{job=\"{job}\",instance=\"{inst}\"}} {sum} {t}"
                );
            }
        }
    }
    out.push_str("# TYPE sparse gauge\n");
    for i in (0..POINTS).filter(|i| !(100..140).contains(i)) {
        let t = ts(&mut rng, i);
        let _ = writeln!(out, "sparse{{k=\"gap\"}} {} {t}", i % 7);
    }
    for i in 0..160 {
        let t = ts(&mut rng, i);
        let _ = writeln!(out, "sparse{{k=\"ends\"}} {} {t}", i * 2);
    }
    out.push_str("# TYPE build_info gauge\n");
    for i in 0..POINTS {
        let t = ts(&mut rng, i);
        let _ = writeln!(out, "build_info{{version=\"<1.0&\\\"x\\\">\"}} 1 {t}");
    }
    out.push_str("# TYPE special gauge\n");
    for i in 0..POINTS {
        let v = ["NaN", "+Inf", "-Inf", "1e-07", "1.5e+22", "0.1", "-0"][i as usize % 7];
        let t = ts(&mut rng, i);
        let _ = writeln!(out, "special{{k=\"v\"}} {v} {t}");
    }
    out.push_str("# EOF\n");
    out
}

/// Flint's query API over a TSDB backfilled from `om`.
pub struct Flint {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// The database.
    pub db: Db,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Flint {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts Flint's API over `om` (backfilled with Flint's own `create-blocks-from`).
pub async fn start_flint(om: &str, admin: bool) -> Flint {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    flint_tsdb::backfill::create_blocks_from_openmetrics(om.as_bytes(), &data, None, |_| {})
        .unwrap();
    let db = Db::open(&data, DbOptions::default()).unwrap();
    let engine = Engine::new(EngineOptions {
        threads: 2,
        ..EngineOptions::default()
    });
    let mut opts = QueryApiOptions::new(engine, Arc::new(db.clone()));
    opts.db = Some(db.clone());
    opts.enable_admin = admin;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let app = routes::<()>(QueryApi::new(opts));
    tokio::spawn(flint_web::serve(listener, app, cancel.clone()));
    Flint {
        url,
        db,
        cancel,
        _dir: dir,
    }
}

/// Debian's Prometheus over the same data, killed when dropped.
pub struct Prometheus {
    /// `http://127.0.0.1:port`.
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `prometheus` over `om` backfilled by `promtool`; `None` (after a loud notice)
/// when they are not installed outside CI.
pub async fn start_prometheus(om: &str) -> Option<Prometheus> {
    let prometheus = flint_testkit::find_program("prometheus")?;
    let promtool = flint_testkit::find_program("promtool")?;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("data.om");
    std::fs::write(&input, om).unwrap();
    let data = dir.path().join("data");
    let st = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "promtool backfill failed");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global: {}\n").unwrap();
    let port = free_port();
    let child = Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.enable-admin-api")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let p = Prometheus {
        url: format!("http://127.0.0.1:{port}"),
        child,
        _dir: dir,
    };
    wait_ready(&p.url).await;
    Some(p)
}

async fn wait_ready(url: &str) {
    let c = client();
    for _ in 0..300 {
        if let Ok(r) = c.get(format!("{url}/-/ready")).send().await
            && r.status() == 200
        {
            return;
        }
        // Waiting for an external process to come up, not timing behaviour.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("prometheus at {url} did not become ready");
}

/// A shared HTTP client (building one is slow); the TLS provider is installed for
/// reqwest's sake.
pub fn client() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            // No pooled connections: tests run on different runtimes.
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
        })
        .clone()
}

/// `GET url`: status and body.
pub async fn get(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// `POST url` with a form body.
pub async fn post_form(url: &str, body: &str) -> (u16, String) {
    let r = client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
