//! flint-client against the `prometheus` and `prometheus-client` crates, same run, same work.
//!
//! Rows: unlabelled counter inc (1 and 2 threads), labelled inc through a 2-label lookup,
//! histogram observe, and encoding 10,000 series to text.

#![allow(clippy::unwrap_used)] // setup in tests and benches may panic

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::{Family, LabelVec};
use flint_client::metrics::histogram::{Buckets, Histogram};
use flint_client::{LabelSet, Registry};
use flint_expfmt::Format;
use prometheus_client::encoding::EncodeLabelSet;

const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
struct FlintLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PcLabels {
    method: String,
    code: String,
}

/// Runs `op` `iters` times on each of `threads` threads at once; returns the wall time.
fn parallel(threads: usize, iters: u64, op: &(dyn Fn() + Sync)) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    op();
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Joining happens at the end of the scope; time it from here.
        start
    })
    .elapsed()
}

fn counter_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_inc");
    let flint = Counter::default();
    let prom = prometheus::IntCounter::new("c", "c").unwrap();
    let pc = prometheus_client::metrics::counter::Counter::<u64>::default();
    g.bench_function("flint", |b| b.iter(|| black_box(&flint).inc()));
    g.bench_function("prometheus", |b| b.iter(|| black_box(&prom).inc()));
    g.bench_function("prometheus-client", |b| b.iter(|| black_box(&pc).inc()));
    g.finish();

    let mut g = c.benchmark_group("counter_inc_2_threads");
    let striped = Counter::striped();
    g.bench_function("flint (striped)", |b| {
        b.iter_custom(|n| parallel(2, n, &|| black_box(&striped).inc()))
    });
    g.bench_function("flint", |b| {
        b.iter_custom(|n| parallel(2, n, &|| black_box(&flint).inc()))
    });
    g.bench_function("prometheus", |b| {
        b.iter_custom(|n| parallel(2, n, &|| black_box(&prom).inc()))
    });
    g.bench_function("prometheus-client", |b| {
        b.iter_custom(|n| {
            parallel(2, n, &|| {
                black_box(&pc).inc();
            })
        })
    });
    g.finish();
}

/// Builds either label struct from two values.
fn key<T: From<(String, String)>>(method: &str, code: &str) -> T {
    T::from((method.to_owned(), code.to_owned()))
}

impl From<(String, String)> for FlintLabels {
    fn from((method, code): (String, String)) -> Self {
        FlintLabels { method, code }
    }
}

impl From<(String, String)> for PcLabels {
    fn from((method, code): (String, String)) -> Self {
        PcLabels { method, code }
    }
}

/// 12 label-value pairs, looked up round-robin.
fn label_keys() -> Vec<(&'static str, &'static str)> {
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let codes = ["200", "404", "500"];
    methods
        .iter()
        .flat_map(|m| codes.iter().map(move |c| (*m, *c)))
        .collect()
}

fn labelled_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("labelled_inc_2_labels");
    let flint = Family::<FlintLabels, Counter>::default();
    let flint_vec = LabelVec::<Counter>::new(["method", "code"]).unwrap();
    let prom = prometheus::IntCounterVec::new(prometheus::Opts::new("c", "c"), &["method", "code"])
        .unwrap();
    let pc = prometheus_client::metrics::family::Family::<
        PcLabels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let keys = label_keys();
    let fk: Vec<FlintLabels> = keys.iter().map(|(m, c)| key(m, c)).collect();
    let pk: Vec<PcLabels> = keys.iter().map(|(m, c)| key(m, c)).collect();
    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % keys.len();
        i
    };
    g.bench_function("flint", |b| {
        b.iter(|| flint.get_or_create(black_box(&fk[next()])).inc())
    });
    g.bench_function("flint (string values)", |b| {
        b.iter(|| {
            let (m, c) = keys[next()];
            if let Ok(ch) = flint_vec.with_label_values(black_box(&[m, c])) {
                ch.inc();
            }
        })
    });
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let (m, c) = keys[next()];
            prom.with_label_values(black_box(&[m, c])).inc()
        })
    });
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            pc.get_or_create(black_box(&pk[next()])).inc();
        })
    });
    g.finish();
}

fn histogram_observe(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram_observe");
    let flint = Histogram::new(Buckets::new(BUCKETS).unwrap());
    let prom = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("h", "h").buckets(BUCKETS.to_vec()),
    )
    .unwrap();
    let pc = prometheus_client::metrics::histogram::Histogram::new(BUCKETS);
    let values = [0.003, 0.02, 0.07, 0.3, 0.8, 2.0, 7.0, 20.0];
    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % values.len();
        values[i]
    };
    g.bench_function("flint", |b| b.iter(|| flint.observe(black_box(next()))));
    g.bench_function("prometheus", |b| b.iter(|| prom.observe(black_box(next()))));
    g.bench_function("prometheus-client", |b| {
        b.iter(|| pc.observe(black_box(next())))
    });
    g.finish();
}

type PcFamily = prometheus_client::metrics::family::Family<
    Vec<(String, String)>,
    prometheus_client::metrics::counter::Counter,
>;

/// The three registries, each with one counter family of 10,000 series.
fn registries_10k() -> (
    Registry,
    prometheus::Registry,
    prometheus_client::registry::Registry,
) {
    let flint_reg = Registry::new();
    let flint = LabelVec::<Counter>::new(["method", "id"]).unwrap();
    flint_reg
        .register("requests", "Requests.", flint.clone())
        .unwrap();
    let prom_reg = prometheus::Registry::new();
    let opts = prometheus::Opts::new("requests_total", "Requests.");
    let prom = prometheus::IntCounterVec::new(opts, &["method", "id"]).unwrap();
    prom_reg.register(Box::new(prom.clone())).unwrap();
    let mut pc_reg = prometheus_client::registry::Registry::default();
    let pc = PcFamily::default();
    pc_reg.register("requests", "Requests.", pc.clone());
    for i in 0..10_000u64 {
        let id = i.to_string();
        flint
            .with_label_values(&["GET", id.as_str()])
            .unwrap()
            .inc_by(i);
        prom.with_label_values(&["GET", id.as_str()]).inc_by(i);
        let labels = vec![("method".into(), "GET".into()), ("id".into(), id)];
        pc.get_or_create(&labels).inc_by(i);
    }
    (flint_reg, prom_reg, pc_reg)
}

fn encode_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_10k_series_text");
    let (flint_reg, prom_reg, pc_reg) = registries_10k();
    let mut buf = Vec::with_capacity(1 << 20);
    g.bench_function("flint", |b| {
        b.iter(|| {
            buf.clear();
            flint_reg.encode_to(Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    let enc = prometheus::TextEncoder::new();
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            buf.clear();
            prometheus::Encoder::encode(&enc, &prom_reg.gather(), &mut buf).unwrap();
            black_box(buf.len())
        })
    });
    let mut s = String::with_capacity(1 << 20);
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            s.clear();
            prometheus_client::encoding::text::encode(&mut s, &pc_reg).unwrap();
            black_box(s.len())
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    counter_inc,
    labelled_inc,
    histogram_observe,
    encode_10k
);
criterion_main!(benches);
