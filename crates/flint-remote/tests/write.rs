//! The sender against a loopback receiver: WAL records in, `WriteRequest`s out, with
//! retries on 5xx, drops on 4xx, relabeling and external labels, and a restart resuming
//! from the saved position.

use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use flint_client::Registry;
use flint_model::Labels;
use flint_remote::prompb::WriteRequest;
use flint_remote::write::{RemoteWrite, RemoteWriteOptions};
use flint_tsdb::record::{self as encode, RefSample, RefSeries};
use flint_tsdb::wlog::{Writer, WriterOptions};
use prost::Message;
use tokio_util::sync::CancellationToken;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Default)]
struct Receiver {
    /// `labels@t=v` of every sample taken.
    got: Mutex<Vec<String>>,
    status: AtomicU16,
    requests: Mutex<u32>,
    /// Milliseconds to wait before answering.
    delay_ms: std::sync::atomic::AtomicU64,
    /// How a 2.0 request is met: [`V1_ONLY`] (the default), [`SPEAKS_V2`] or [`REFUSES_V2`].
    v2: std::sync::atomic::AtomicU8,
    /// The `X-Prometheus-Remote-Write-Version` of every request.
    versions: Mutex<Vec<String>>,
    /// `family type help unit` of every metadata entry taken, and the entries per request.
    metadata: Mutex<Vec<String>>,
    metadata_requests: Mutex<Vec<usize>>,
}

/// Like a 1.0-only receiver (Prometheus 2.42): a 2.0 body decodes as an empty 1.0 request,
/// answered 200 without written-count headers.
const V1_ONLY: u8 = 0;
/// Decodes 2.0 requests and answers with the written-count headers.
const SPEAKS_V2: u8 = 1;
/// Answers a 2.0 request with 415.
const REFUSES_V2: u8 = 2;

/// A 2.0 request's samples as `labels@t=v` (labels resolved through the symbols).
fn v2_samples(raw: &[u8]) -> Vec<String> {
    let req = ok(flint_remote::prompb_v2::Request::decode(raw));
    let sym = |r: &u32| req.symbols.get(*r as usize).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for ts in &req.timeseries {
        let l: Vec<String> = ts
            .labels_refs
            .chunks(2)
            .map(|p| format!("{}={}", sym(&p[0]), sym(&p[1])))
            .collect();
        for s in &ts.samples {
            out.push(format!("{}@{}={}", l.join(","), s.timestamp, s.value));
        }
    }
    out
}

async fn write(
    State(r): State<Arc<Receiver>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> (
    StatusCode,
    axum::response::AppendHeaders<Vec<(&'static str, String)>>,
) {
    use axum::response::AppendHeaders;
    *r.requests.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.versions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(header("X-Prometheus-Remote-Write-Version"));
    let is_v2 = header("Content-Type").contains("proto=io.prometheus.write.v2.Request");
    let mode = r.v2.load(Ordering::SeqCst);
    if is_v2 && mode == REFUSES_V2 {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppendHeaders(Vec::new()),
        );
    }
    if is_v2 && mode == SPEAKS_V2 {
        let raw = ok(snap::raw::Decoder::new().decompress_vec(&body));
        let got = v2_samples(&raw);
        let n = got.len().to_string();
        r.got.lock().unwrap_or_else(|e| e.into_inner()).extend(got);
        return (
            StatusCode::NO_CONTENT,
            AppendHeaders(vec![("X-Prometheus-Remote-Write-Samples-Written", n)]),
        );
    }
    let delay = r.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK);
    let retry_after = AppendHeaders(if status == StatusCode::TOO_MANY_REQUESTS {
        vec![("Retry-After", "1".to_string())]
    } else {
        Vec::new()
    });
    if status != StatusCode::OK {
        return (status, retry_after);
    }
    let raw = ok(snap::raw::Decoder::new().decompress_vec(&body));
    let req = ok(WriteRequest::decode(raw.as_slice()));
    if !req.metadata.is_empty() {
        r.metadata_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(req.metadata.len());
        r.metadata
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(req.metadata.iter().map(|m| {
                format!(
                    "{} {} {} {}",
                    m.metric_family_name, m.r#type, m.help, m.unit
                )
            }));
    }
    let mut got = r.got.lock().unwrap_or_else(|e| e.into_inner());
    for ts in req.timeseries {
        let l: Vec<String> = ts
            .labels
            .iter()
            .map(|l| format!("{}={}", l.name, l.value))
            .collect();
        for s in ts.samples {
            got.push(format!("{}@{}={}", l.join(","), s.timestamp, s.value));
        }
    }
    (StatusCode::OK, retry_after)
}

async fn receiver() -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver {
        status: AtomicU16::new(200),
        ..Receiver::default()
    });
    let app = axum::Router::new()
        .route("/write", axum::routing::post(write))
        .with_state(Arc::clone(&r));
    let l = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let url = format!("http://{}/write", ok(l.local_addr()));
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, r)
}

fn config(url: &str, extra: &str) -> flint_config::Config {
    let yaml = format!(
        "global:\n  external_labels:\n    cluster: eu\nremote_write:\n  - url: {url}\n    queue_config:\n      batch_send_deadline: 100ms\n      min_backoff: 10ms\n      max_backoff: 50ms\n{extra}"
    );
    ok(flint_config::load_str(
        &yaml,
        flint_config::LoadOptions::default(),
    ))
}

/// Logs series 1..=n (`m{i="k"}`, series 3 named `drop_me`) and one sample each at `t`.
fn log_samples(w: &mut Writer, t: i64, with_series: bool) {
    let mut buf = Vec::new();
    if with_series {
        let series: Vec<RefSeries> = (1..=3)
            .map(|r| RefSeries {
                r,
                labels: Labels::from_pairs([
                    ("__name__", if r == 3 { "drop_me" } else { "m" }),
                    ("i", &r.to_string()),
                ]),
            })
            .collect();
        encode::series(&series, &mut buf);
        ok(w.log(&[&buf]));
        buf.clear();
    }
    let samples: Vec<RefSample> = (1..=3).map(|r| RefSample { r, t, v: r as f64 }).collect();
    encode::samples(&samples, &mut buf);
    ok(w.log(&[&buf]));
}

async fn wait_for(r: &Receiver, n: usize) -> Vec<String> {
    for _ in 0..300 {
        let got = r.got.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A running sender over `data/wal`, saving its position in `data/remote`.
struct Sender {
    rw: RemoteWrite,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Sender {
    async fn start(data: &Path, cfg: &flint_config::Config) -> Self {
        Self::start_with(data, cfg, None).await
    }

    async fn start_with(
        data: &Path,
        cfg: &flint_config::Config,
        metadata: Option<Arc<dyn flint_remote::write::MetadataSource>>,
    ) -> Self {
        let rw = RemoteWrite::new(RemoteWriteOptions {
            wal_dir: data.join("wal"),
            state_dir: Some(data.join("remote")),
            registry: Registry::new(),
            metadata,
        });
        let cancel = CancellationToken::new();
        let task = tokio::spawn(rw.clone().run(cancel.clone()));
        ok(rw.apply_config(cfg).await);
        Sender { rw, cancel, task }
    }

    async fn stop(self) {
        self.cancel.cancel();
        ok(self.task.await);
    }
}

/// A data directory with a WAL writer.
fn data_dir() -> (tempfile::TempDir, Writer) {
    let tmp = ok(tempfile::tempdir());
    let (w, _) = ok(Writer::open(
        &tmp.path().join("wal"),
        WriterOptions::default(),
    ));
    (tmp, w)
}

fn requests(r: &Receiver) -> u32 {
    *r.requests.lock().unwrap_or_else(|e| e.into_inner())
}

const DROP_RULE: &str = "    write_relabel_configs:\n      - source_labels: [__name__]\n        regex: drop_me\n        action: drop\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_new_samples_retries_5xx_and_resumes_after_a_restart() {
    let (tmp, mut w) = data_dir();
    let (url, recv) = receiver().await;
    // Written before the queue starts, with no saved position: not sent (as upstream).
    let now = now_ms();
    log_samples(&mut w, now - 60_000, true);

    let s = Sender::start(tmp.path(), &config(&url, DROP_RULE)).await;
    log_samples(&mut w, now + 1000, false);
    let got = wait_for(&recv, 2).await;
    assert_eq!(
        got,
        [
            format!("__name__=m,cluster=eu,i=1@{}=1", now + 1000),
            format!("__name__=m,cluster=eu,i=2@{}=2", now + 1000),
        ],
        "external label added, drop_me relabeled away, old samples skipped"
    );

    // The receiver fails with 503: the batch is retried until it comes back.
    recv.status.store(503, Ordering::SeqCst);
    log_samples(&mut w, now + 2000, false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(requests(&recv) > 2);
    recv.status.store(200, Ordering::SeqCst);
    let got = wait_for(&recv, 4).await;
    assert_eq!(got.len(), 4, "{got:?}");

    // Stop while the receiver is down; samples logged meanwhile go out after the restart.
    recv.status.store(503, Ordering::SeqCst);
    log_samples(&mut w, now + 3000, false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.stop().await;
    log_samples(&mut w, now + 4000, false);
    recv.status.store(200, Ordering::SeqCst);
    let s = Sender::start(tmp.path(), &config(&url, DROP_RULE)).await;
    let got = wait_for(&recv, 8).await;
    let tail: Vec<&str> = got[4..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            format!("__name__=m,cluster=eu,i=1@{}=1", now + 3000),
            format!("__name__=m,cluster=eu,i=2@{}=2", now + 3000),
            format!("__name__=m,cluster=eu,i=1@{}=1", now + 4000),
            format!("__name__=m,cluster=eu,i=2@{}=2", now + 4000),
        ]
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_a_batch_the_receiver_refuses_and_follows_new_segments() {
    let (tmp, mut w) = data_dir();
    let (url, recv) = receiver().await;
    let s = Sender::start(tmp.path(), &config(&url, "")).await;
    let now = now_ms();
    recv.status.store(400, Ordering::SeqCst);
    log_samples(&mut w, now + 1000, true);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(requests(&recv), 1, "4xx is not retried");
    recv.status.store(200, Ordering::SeqCst);
    // A new segment (as after a restart or a full one): the watcher moves on to it.
    ok(w.next_segment());
    log_samples(&mut w, now + 2000, false);
    let got = wait_for(&recv, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(|s| s.contains(&format!("@{}=", now + 2000))));
    // A reload with the same entry keeps the queue.
    ok(s.rw.apply_config(&config(&url, "")).await);
    assert_eq!(s.rw.queue_names().await.len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_slow_receivers() {
    // 429 without retry_on_http_429 drops the batch; with it, waits Retry-After (1s) and
    // sends again.
    for retry in [false, true] {
        let (tmp, mut w) = data_dir();
        let (url, recv) = receiver().await;
        let extra = format!("      retry_on_http_429: {retry}\n");
        let s = Sender::start(tmp.path(), &config(&url, &extra)).await;
        recv.status.store(429, Ordering::SeqCst);
        log_samples(&mut w, now_ms() + 1000, true);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(requests(&recv), 1, "retry={retry}: Retry-After is honoured");
        recv.status.store(200, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let got = recv.got.lock().unwrap_or_else(|e| e.into_inner()).len();
        assert_eq!(got, if retry { 3 } else { 0 }, "retry={retry}");
        s.stop().await;
    }

    // A receiver slower than remote_timeout: the send times out and is retried.
    let (tmp, mut w) = data_dir();
    let (url, recv) = receiver().await;
    let mut cfg = config(&url, "");
    cfg.remote_write[0].remote_timeout = flint_config::Duration::from_millis(200);
    let s = Sender::start(tmp.path(), &cfg).await;
    recv.delay_ms.store(1000, Ordering::SeqCst);
    log_samples(&mut w, now_ms() + 1000, true);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(requests(&recv) >= 2, "timed-out sends are retried");
    recv.delay_ms.store(0, Ordering::SeqCst);
    let got = wait_for(&recv, 3).await;
    assert!(got.len() >= 3, "{got:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_speaking_garbage_is_retried_without_crashing() {
    let (tmp, mut w) = data_dir();
    let l = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let url = format!("http://{}/write", ok(l.local_addr()));
    let hits = Arc::new(Mutex::new(0u32));
    let h = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            *h.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            let _ = tokio::io::AsyncWriteExt::write_all(&mut s, b"\x00\xffnot http at all\r\n\r\n")
                .await;
        }
    });
    let s = Sender::start(tmp.path(), &config(&url, "")).await;
    log_samples(&mut w, now_ms() + 1000, true);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        *hits.lock().unwrap_or_else(|e| e.into_inner()) >= 2,
        "retried"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_write_2_0_and_the_fall_back_to_1_0() {
    const V2: &str = "    protobuf_message: io.prometheus.write.v2.Request\n";
    let expected = |t: i64| {
        vec![
            format!("__name__=m,cluster=eu,i=1@{t}=1"),
            format!("__name__=m,cluster=eu,i=2@{t}=2"),
            format!("__name__=drop_me,cluster=eu,i=3@{t}=3"),
        ]
    };
    // A 2.0 receiver gets 2.0 requests, with the labels through the symbol table.
    let (tmp, mut w) = data_dir();
    let (url, recv) = receiver().await;
    recv.v2.store(SPEAKS_V2, Ordering::SeqCst);
    let s = Sender::start(tmp.path(), &config(&url, V2)).await;
    let t = now_ms() + 1000;
    log_samples(&mut w, t, true);
    let mut got = wait_for(&recv, 3).await;
    got.sort();
    let mut want = expected(t);
    want.sort();
    assert_eq!(got, want);
    let versions = recv
        .versions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert!(versions.iter().all(|v| v == "2.0.0"), "{versions:?}");
    s.stop().await;

    // A 1.0 receiver takes the 2.0 request as an empty one (no written-count headers), and
    // one that knows content types refuses it: either way the batch goes again as 1.0,
    // and so does everything after it.
    for mode in [V1_ONLY, REFUSES_V2] {
        let (tmp, mut w) = data_dir();
        let (url, recv) = receiver().await;
        recv.v2.store(mode, Ordering::SeqCst);
        let s = Sender::start(tmp.path(), &config(&url, V2)).await;
        let t = now_ms() + 1000;
        log_samples(&mut w, t, true);
        let got = wait_for(&recv, 3).await;
        assert_eq!(got.len(), 3, "mode {mode}: {got:?}");
        log_samples(&mut w, t + 1000, false);
        let got = wait_for(&recv, 6).await;
        assert_eq!(got.len(), 6, "mode {mode}: {got:?}");
        let versions = recv
            .versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert_eq!(versions[0], "2.0.0", "mode {mode}");
        assert!(
            versions[1..].iter().all(|v| v == "0.1.0"),
            "mode {mode}: {versions:?}"
        );
        s.stop().await;
    }
}

/// Three families, as a scrape manager would list them.
#[derive(Debug)]
struct Families;

impl flint_remote::write::MetadataSource for Families {
    fn metadata(&self) -> flint_remote::write::MetadataFuture<'_> {
        use flint_model::MetricType;
        use flint_remote::write::FamilyMetadata;
        let f = |family: &str, metric_type, help: &str, unit: &str| FamilyMetadata {
            family: family.into(),
            metric_type,
            help: help.into(),
            unit: unit.into(),
        };
        Box::pin(async move {
            vec![
                f("http_requests", MetricType::Counter, "Requests served.", ""),
                f(
                    "temperature",
                    MetricType::Gauge,
                    "Room temperature.",
                    "celsius",
                ),
                f("latency", MetricType::Histogram, "Latency.", "seconds"),
            ]
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_goes_out_every_send_interval_in_bounded_requests() {
    let meta = "    metadata_config: {send_interval: 1s, max_samples_per_send: 2}\n";
    let (tmp, _w) = data_dir();
    let (url, recv) = receiver().await;
    let s = Sender::start_with(tmp.path(), &config(&url, meta), Some(Arc::new(Families))).await;
    let mut entries = Vec::new();
    for _ in 0..150 {
        entries = recv
            .metadata
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if entries.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        entries[..3],
        [
            "http_requests 1 Requests served. ",
            "temperature 2 Room temperature. celsius",
            "latency 3 Latency. seconds",
        ]
    );
    let sizes = recv
        .metadata_requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(
        sizes[..2],
        [2, 1],
        "at most max_samples_per_send entries per request"
    );
    s.stop().await;

    // `send: false` sends none; nor does a queue speaking 2.0.
    for extra in [
        "    metadata_config: {send: false, send_interval: 1s}\n",
        "    protobuf_message: io.prometheus.write.v2.Request\n    metadata_config: {send_interval: 1s}\n",
    ] {
        let (tmp, _w) = data_dir();
        let (url, recv) = receiver().await;
        recv.v2.store(SPEAKS_V2, Ordering::SeqCst);
        let s =
            Sender::start_with(tmp.path(), &config(&url, extra), Some(Arc::new(Families))).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(
            recv.metadata
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty(),
            "{extra}"
        );
        s.stop().await;
    }
}
