//! `remote_read` entries against a loopback endpoint that answers from its own storage with
//! `flint_remote::read::serve`: merging with local data, `required_matchers`,
//! `read_recent`, `filter_external_labels`, endpoints that fail, and reloads.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use flint_model::{Labels, Matcher};
use flint_remote::read::{LocalStart, RemoteReads};
use flint_storage::memory::MemStorage;
use flint_storage::{Appendable, Queryable, ValueType};

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// A series to store: its label pairs and `(t, v)` samples.
type Stored<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

fn store(series: &[Stored<'_>]) -> MemStorage {
    let s = MemStorage::new();
    let mut app = s.appender();
    for (labels, samples) in series {
        let labels = Labels::from_pairs(labels.iter().copied());
        for (t, v) in *samples {
            ok(app.append(None, &labels, *t, *v));
        }
    }
    ok(app.commit());
    s
}

struct Endpoint {
    storage: MemStorage,
    requests: AtomicU32,
    /// `start,end` of the last query.
    last_range: std::sync::Mutex<(i64, i64)>,
}

async fn read(State(e): State<Arc<Endpoint>>, body: Bytes) -> (StatusCode, Vec<u8>) {
    e.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(raw) = snap::raw::Decoder::new().decompress_vec(&body)
        && let Ok(req) = <flint_remote::prompb::ReadRequest as prost::Message>::decode(&raw[..])
        && let Some(q) = req.queries.first()
    {
        *e.last_range.lock().unwrap_or_else(|p| p.into_inner()) =
            (q.start_timestamp_ms, q.end_timestamp_ms);
    }
    let external = [("cluster".to_string(), "eu".to_string())];
    match flint_remote::read::serve(&e.storage, &body, &external, 1_000_000) {
        Ok(b) => (StatusCode::OK, b),
        Err(err) => (StatusCode::BAD_REQUEST, err.to_string().into_bytes()),
    }
}

async fn garbage() -> &'static str {
    "this is not snappy"
}

async fn failing() -> (StatusCode, &'static str) {
    (StatusCode::INTERNAL_SERVER_ERROR, "storage on fire")
}

/// The endpoint: `m{job="a"}` at 1..5 s, `m{job="b"}` at 1 s; its external label is
/// `cluster="eu"`. Also `/garbage` and `/fail`.
async fn endpoint() -> (String, Arc<Endpoint>) {
    let e = Arc::new(Endpoint {
        storage: store(&[
            (
                &[("__name__", "m"), ("job", "a")],
                &[
                    (1000, 1.0),
                    (2000, 2.0),
                    (3000, 3.0),
                    (4000, 4.0),
                    (5000, 5.0),
                ],
            ),
            (&[("__name__", "m"), ("job", "b")], &[(1000, 10.0)]),
        ]),
        requests: AtomicU32::new(0),
        last_range: std::sync::Mutex::new((0, 0)),
    });
    let app = axum::Router::new()
        .route("/read", axum::routing::post(read))
        .route("/garbage", axum::routing::post(garbage))
        .route("/fail", axum::routing::post(failing))
        .with_state(Arc::clone(&e));
    let l = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let base = format!("http://{}", ok(l.local_addr()));
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, e)
}

fn config(entries: &str) -> flint_config::Config {
    let yaml = format!("global:\n  external_labels:\n    cluster: eu\nremote_read:\n{entries}");
    ok(flint_config::load_str(
        &yaml,
        flint_config::LoadOptions::default(),
    ))
}

/// Every series matching `sel` over [0, 10 s] as `labels: t=v ...`, plus the warnings.
async fn select(reads: &RemoteReads, mint: i64, sel: Vec<Matcher>) -> (Vec<String>, Vec<String>) {
    let reads = reads.clone();
    ok(tokio::task::spawn_blocking(move || {
        let q = ok(reads.querier(mint, 10_000));
        let mut set = q.select(true, None, &sel);
        let mut out = Vec::new();
        while let Some(s) = set.next_series() {
            let s = ok(s);
            let mut line = format!("{}:", s.labels());
            let mut it = s.iterator();
            while it.next() == ValueType::Float {
                let (t, v) = it.at();
                line.push_str(&format!(" {t}={v}"));
            }
            out.push(line);
        }
        (out, set.warnings())
    })
    .await)
}

fn local() -> Arc<dyn Queryable> {
    Arc::new(store(&[(
        &[("__name__", "m"), ("job", "a")],
        &[(3000, 30.0), (6000, 6.0), (7000, 7.0)],
    )]))
}

fn starting_at(t: &Arc<AtomicI64>) -> LocalStart {
    let t = Arc::clone(t);
    Arc::new(move || t.load(Ordering::SeqCst))
}

fn job(j: &str) -> Vec<Matcher> {
    vec![Matcher::equal("__name__", "m"), Matcher::equal("job", j)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_data_merges_with_local_data_as_configured() {
    let (base, ep) = endpoint().await;
    let start = Arc::new(AtomicI64::new(0));
    let reads = RemoteReads::new(local(), starting_at(&start));

    // Without entries: local data only.
    let (got, _) = select(&reads, 0, job("a")).await;
    assert_eq!(got, ["{__name__=\"m\", job=\"a\"}: 3000=30 6000=6 7000=7"]);

    // read_recent: one series, local winning where both have a sample; the external label
    // the endpoint attaches is taken off again.
    ok(reads.apply_config(&config(&format!(
        "  - url: {base}/read\n    read_recent: true\n"
    ))));
    let (got, warnings) = select(&reads, 0, job("a")).await;
    assert_eq!(
        got,
        ["{__name__=\"m\", job=\"a\"}: 1000=1 2000=2 3000=30 4000=4 5000=5 6000=6 7000=7"]
    );
    assert!(warnings.is_empty(), "{warnings:?}");

    // Without read_recent, only what is older than the local start is asked for, and
    // nothing when the whole range is newer.
    ok(reads.apply_config(&config(&format!("  - url: {base}/read\n"))));
    start.store(2500, Ordering::SeqCst);
    let (got, _) = select(&reads, 0, job("a")).await;
    assert_eq!(
        got,
        ["{__name__=\"m\", job=\"a\"}: 1000=1 2000=2 3000=30 6000=6 7000=7"]
    );
    assert_eq!(
        *ep.last_range.lock().unwrap_or_else(|p| p.into_inner()),
        (0, 2500)
    );
    let before = ep.requests.load(Ordering::SeqCst);
    let (got, _) = select(&reads, 2600, job("a")).await;
    assert_eq!(got, ["{__name__=\"m\", job=\"a\"}: 3000=30 6000=6 7000=7"]);
    assert_eq!(ep.requests.load(Ordering::SeqCst), before);

    // required_matchers: only selects carrying them are sent.
    ok(reads.apply_config(&config(&format!(
        "  - url: {base}/read\n    read_recent: true\n    required_matchers: {{job: b}}\n"
    ))));
    let (got, _) = select(&reads, 0, job("a")).await;
    assert_eq!(got, ["{__name__=\"m\", job=\"a\"}: 3000=30 6000=6 7000=7"]);
    let (got, _) = select(&reads, 0, job("b")).await;
    assert_eq!(got, ["{__name__=\"m\", job=\"b\"}: 1000=10"]);

    // filter_external_labels: false sends no external-label matcher and keeps the
    // endpoint's labels, so its series stays apart from the local one.
    ok(reads.apply_config(&config(&format!(
        "  - url: {base}/read\n    read_recent: true\n    filter_external_labels: false\n"
    ))));
    let (got, _) = select(&reads, 0, job("a")).await;
    assert_eq!(
        got,
        [
            "{__name__=\"m\", cluster=\"eu\", job=\"a\"}: 1000=1 2000=2 3000=3 4000=4 5000=5",
            "{__name__=\"m\", job=\"a\"}: 3000=30 6000=6 7000=7",
        ]
    );

    // A reload with two entries of the same name is refused and changes nothing.
    let dup = format!(
        "  - url: {base}/read\n    name: x\n    read_recent: true\n  - url: {base}/fail\n    name: x\n"
    );
    if let Ok(cfg) = flint_config::load_str(
        &format!("remote_read:\n{dup}"),
        flint_config::LoadOptions::default(),
    ) {
        assert!(reads.apply_config(&cfg).is_err());
    }
    assert_eq!(reads.names().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_endpoints_are_warnings_and_local_data_still_answers() {
    let (base, _ep) = endpoint().await;
    let dead = {
        let l = ok(std::net::TcpListener::bind("127.0.0.1:0"));
        format!("http://{}", ok(l.local_addr()))
    };
    let reads = RemoteReads::new(local(), starting_at(&Arc::new(AtomicI64::new(0))));
    let entries: String = [
        (format!("{dead}/read"), "dead"),
        (format!("{base}/garbage"), "garbage"),
        (format!("{base}/fail"), "fail"),
        (format!("{base}/read"), "good"),
    ]
    .iter()
    .map(|(url, name)| {
        format!("  - url: {url}\n    name: {name}\n    read_recent: true\n    remote_timeout: 2s\n")
    })
    .collect();
    ok(reads.apply_config(&config(&entries)));
    let (got, warnings) = select(&reads, 0, job("a")).await;
    assert_eq!(
        got,
        ["{__name__=\"m\", job=\"a\"}: 1000=1 2000=2 3000=30 4000=4 5000=5 6000=6 7000=7"]
    );
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    let all = warnings.join("\n");
    assert!(
        all.contains("\"dead\"") && all.contains("error sending request"),
        "{all}"
    );
    assert!(
        all.contains("\"garbage\"") && all.contains("snappy"),
        "{all}"
    );
    assert!(
        all.contains("\"fail\"") && all.contains("500") && all.contains("storage on fire"),
        "{all}"
    );
}
