//! `remote_read` entries against a loopback endpoint that answers from its own storage with
//! `flint_remote::read::ReadPlan`: merging with local data, `required_matchers`,
//! `read_recent`, `filter_external_labels`, endpoints that fail, and reloads; and the
//! streamed XOR-chunk answer decoded frame by frame.

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
    /// Answers sent as streamed chunks.
    streamed: AtomicU32,
    /// `start,end` of the last query.
    last_range: std::sync::Mutex<(i64, i64)>,
    /// The hints of the last query.
    last_hints: std::sync::Mutex<Option<flint_remote::prompb::ReadHints>>,
}

/// Answers as a Prometheus would: streamed chunks when the client takes them.
async fn read(
    State(e): State<Arc<Endpoint>>,
    body: Bytes,
) -> (StatusCode, [(&'static str, &'static str); 1], Vec<u8>) {
    e.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(raw) = snap::raw::Decoder::new().decompress_vec(&body)
        && let Ok(req) = <flint_remote::prompb::ReadRequest as prost::Message>::decode(&raw[..])
        && let Some(q) = req.queries.first()
    {
        *e.last_range.lock().unwrap_or_else(|p| p.into_inner()) =
            (q.start_timestamp_ms, q.end_timestamp_ms);
        *e.last_hints.lock().unwrap_or_else(|p| p.into_inner()) = q.hints.clone();
    }
    let external = [("cluster".to_string(), "eu".to_string())];
    let plan = match flint_remote::read::ReadPlan::decode(&body, &external) {
        Ok(p) => p,
        Err(err) => {
            return (
                StatusCode::BAD_REQUEST,
                [("Content-Type", "text/plain")],
                err.to_string().into_bytes(),
            );
        }
    };
    if plan.is_streamed() {
        let mut out = Vec::new();
        // Small frames, so series come split over several.
        ok(plan.stream(&e.storage, &external, 30, &mut |f| {
            out.extend_from_slice(&f);
            true
        }));
        e.streamed.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::OK,
            [("Content-Type", flint_remote::read::STREAMED_CONTENT_TYPE)],
            out,
        );
    }
    match plan.samples(&e.storage, &external, 1_000_000) {
        Ok(b) => (
            StatusCode::OK,
            [("Content-Type", "application/x-protobuf")],
            b,
        ),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            [("Content-Type", "text/plain")],
            err.to_string().into_bytes(),
        ),
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
        streamed: AtomicU32::new(0),
        last_range: std::sync::Mutex::new((0, 0)),
        last_hints: std::sync::Mutex::new(None),
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
    // The client asked for streamed chunks, and the endpoint sent them.
    assert!(ep.streamed.load(Ordering::SeqCst) > 0);
    // The engine's hints go along with the query.
    {
        let reads = reads.clone();
        ok(tokio::task::spawn_blocking(move || {
            let q = ok(reads.querier(0, 10_000));
            let hints = flint_storage::SelectHints {
                start: 0,
                end: 10_000,
                step: 1000,
                range: 5000,
                func: "rate".into(),
                ..Default::default()
            };
            let mut set = q.select(true, Some(&hints), &job("a"));
            while set.next_series().is_some() {}
        })
        .await);
    }
    let hints = ep
        .last_hints
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    assert_eq!(
        hints.map(|h| (h.func, h.step_ms, h.range_ms)),
        Some(("rate".to_string(), 1000, 5000))
    );

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

/// Splits a streamed answer into its messages, checking each frame's CRC-32C.
fn split_frames(mut body: &[u8]) -> Vec<flint_remote::prompb::ChunkedReadResponse> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let len = ok(prost::encoding::decode_varint(&mut body)) as usize;
        let (crc, rest) = body.split_at(4);
        let (msg, rest) = rest.split_at(len);
        assert_eq!(
            u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]),
            crc32c::crc32c(msg)
        );
        out.push(ok(
            <flint_remote::prompb::ChunkedReadResponse as prost::Message>::decode(msg),
        ));
        body = rest;
    }
    out
}

fn read_request(types: &[i32], queries: Vec<flint_remote::prompb::Query>) -> Vec<u8> {
    let req = flint_remote::prompb::ReadRequest {
        queries,
        accepted_response_types: types.to_vec(),
    };
    ok(snap::raw::Encoder::new().compress_vec(&prost::Message::encode_to_vec(&req)))
}

fn name_query(name: &str, start: i64, end: i64) -> flint_remote::prompb::Query {
    flint_remote::prompb::Query {
        start_timestamp_ms: start,
        end_timestamp_ms: end,
        matchers: vec![flint_remote::prompb::LabelMatcher {
            r#type: 0,
            name: "__name__".into(),
            value: name.into(),
        }],
        hints: None,
    }
}

#[test]
fn streamed_answers_are_crc_framed_xor_chunks_one_series_per_frame() {
    let long: Vec<(i64, f64)> = (0..300).map(|i| (i * 1000, i as f64 * 0.5)).collect();
    let storage = store(&[
        (&[("__name__", "m"), ("job", "a")], &long),
        (
            &[("__name__", "m"), ("job", "b")],
            &[(1000, 1.0), (2000, 2.0)],
        ),
        (&[("__name__", "other")], &[(1000, 7.0)]),
    ]);
    let external = [("site".to_string(), "x".to_string())];
    // The first supported type in the client's list wins.
    let body = read_request(
        &[1, 0],
        vec![name_query("m", 0, 400_000), name_query("other", 0, 5000)],
    );
    let plan = ok(flint_remote::read::ReadPlan::decode(&body, &external));
    assert!(plan.is_streamed());
    let mut out = Vec::new();
    ok(plan.stream(&storage, &external, 100, &mut |f| {
        out.extend_from_slice(&f);
        true
    }));
    let frames = split_frames(&out);
    // Small frames: the 300-sample series takes one frame per chunk (120 + 120 + 60).
    let shape: Vec<(i64, String, usize)> = frames
        .iter()
        .map(|f| {
            assert_eq!(f.chunked_series.len(), 1);
            let s = &f.chunked_series[0];
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|l| format!("{}={}", l.name, l.value))
                .collect();
            (f.query_index, labels.join(","), s.chunks.len())
        })
        .collect();
    assert_eq!(
        shape,
        [
            (0, "__name__=m,job=a,site=x".to_string(), 1),
            (0, "__name__=m,job=a,site=x".to_string(), 1),
            (0, "__name__=m,job=a,site=x".to_string(), 1),
            (0, "__name__=m,job=b,site=x".to_string(), 1),
            (1, "__name__=other,site=x".to_string(), 1),
        ]
    );
    // The chunks decode to exactly the stored samples, with their time bounds.
    let mut got = Vec::new();
    for f in &frames[..3] {
        let c = &f.chunked_series[0].chunks[0];
        assert_eq!(c.r#type, 1);
        let mut it = flint_tsdb::chunkenc::XorIterator::new(&c.data);
        let mut ts = Vec::new();
        while ok(it.advance()) {
            ts.push(it.at());
        }
        assert_eq!(
            (c.min_time_ms, c.max_time_ms),
            (ts[0].0, ts[ts.len() - 1].0)
        );
        got.extend(ts);
    }
    assert_eq!(got, long);

    // Large frames: a series' chunks share one frame.
    let mut out = Vec::new();
    ok(plan.stream(&storage, &external, 1 << 20, &mut |f| {
        out.extend_from_slice(&f);
        true
    }));
    let frames = split_frames(&out);
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].chunked_series[0].chunks.len(), 3);

    // A client that goes away ends the answer.
    let mut sent = 0;
    ok(plan.stream(&storage, &external, 100, &mut |_| {
        sent += 1;
        false
    }));
    assert_eq!(sent, 1);

    // Types this server does not speak are refused; none listed means SAMPLES.
    let err = flint_remote::read::ReadPlan::decode(&read_request(&[7], vec![]), &external);
    assert!(
        matches!(err, Err(e) if e.status() == 400 && e.to_string().contains("STREAMED_XOR_CHUNKS"))
    );
    let plan = ok(flint_remote::read::ReadPlan::decode(
        &read_request(&[], vec![]),
        &external,
    ));
    assert!(!plan.is_streamed());
}
