//! The PromQL queries of `/work/shared/anchors/queries.tsv` (Baseline B) over farm-shaped data:
//! by default 100 targets × 3000 series (300k) × 15 min at 15 s in the TSDB head, queried at
//! the last sample (instant) and over the 15 min at 15 s steps (range), as the anchor did.
//!
//! ```text
//! cargo bench -p flint-promql --bench queries                 # criterion, TSDB head
//! FLINT_BENCH_QUICK=1 cargo bench -p flint-promql --bench queries   # 5 runs each, median
//! FLINT_BENCH_QUICK=1 FLINT_BENCH_ONLY=2,10 …                 # only queries 2 and 10
//! FLINT_BENCH_STORAGE=memory FLINT_BENCH_TARGETS=10 …         # memory storage, 30k series
//! ```
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

mod farm;

use std::time::{Duration, Instant};

use criterion::Criterion;
use flint_promql::{Engine, EngineOptions, QueryValue};
use flint_storage::Queryable;

/// `(kind, query)` of `queries.tsv`, without the `series` and `label_values` entries (those are
/// HTTP API calls, not PromQL).
const QUERIES: &[(&str, &str)] = &[
    ("instant", "sum(rate(app_http_requests_total[1m]))"),
    ("range", "sum(rate(app_http_requests_total[1m]))"),
    (
        "range",
        "sum by (status) (rate(app_http_requests_total[1m]))",
    ),
    (
        "range",
        r#"sum by (handler, method) (rate(app_http_requests_total{zone=~"eu-.*"}[5m]))"#,
    ),
    (
        "range",
        "histogram_quantile(0.99, sum by (le) (rate(app_http_request_duration_seconds_bucket[1m])))",
    ),
    (
        "range",
        "histogram_quantile(0.9, sum by (le, handler) (rate(app_http_request_duration_seconds_bucket[5m])))",
    ),
    (
        "range",
        "max by (datacenter, sensor) (app_temperature_celsius)",
    ),
    ("instant", "topk(10, app_queue_depth)"),
    (
        "instant",
        r#"app_rpc_client_calls_total{service=~"(user|order)-service", code!="OK"}"#,
    ),
    ("instant", r#"count({__name__=~".+"})"#),
    ("instant", r#"count by (__name__) ({__name__=~"app_.+"})"#),
    (
        "instant",
        "sum by (result) (increase(app_jobs_processed_total[10m]))",
    ),
    (
        "instant",
        r#"quantile_over_time(0.9, app_sessions_active{plan="enterprise", zone="eu-west-1a"}[10m])"#,
    ),
];

/// The last sample's time (ms): a fixed, 15 s-aligned instant.
const END: i64 = 1_700_000_100_000;
/// 15 min at 15 s: 61 samples.
const SCRAPES: u64 = 61;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the process (all threads), seconds: the machine is shared, wall time is noisy.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, fields 14 and 15 of stat(5); 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}

fn run(engine: &Engine, db: &dyn Queryable, kind: &str, q: &str) -> usize {
    let r = if kind == "instant" {
        engine.instant_query(db, q, END)
    } else {
        engine.range_query(db, q, END - 900_000, END, 15_000)
    }
    .unwrap_or_else(|e| panic!("{q}: {e}"));
    match r.value {
        QueryValue::Vector(v) => v.len(),
        QueryValue::Matrix(m) => m.len(),
        _ => 1,
    }
}

fn main() {
    let targets = env("FLINT_BENCH_TARGETS", 100);
    let per_target = env("FLINT_BENCH_SERIES", 3000);
    let memory = std::env::var("FLINT_BENCH_STORAGE").is_ok_and(|s| s == "memory");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (db, series): (Box<dyn Queryable>, usize) = if memory {
        let m = flint_storage::memory::MemStorage::new();
        let n = farm::load(&m, targets, per_target, SCRAPES, END, 64);
        (Box::new(m), n)
    } else {
        let db = flint_tsdb::Db::open(dir.path(), flint_tsdb::DbOptions::default()).unwrap();
        let n = farm::load(&db, targets, per_target, SCRAPES, END, usize::MAX);
        (Box::new(db), n)
    };
    println!(
        "loaded {series} series × {SCRAPES} samples into {} in {:.1} s",
        if memory { "memory" } else { "the TSDB head" },
        started.elapsed().as_secs_f64()
    );
    let engine = Engine::new(EngineOptions::default());
    if std::env::var("FLINT_BENCH_QUICK").is_ok() {
        let only: Vec<usize> = std::env::var("FLINT_BENCH_ONLY")
            .unwrap_or_default()
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect();
        for (i, (kind, q)) in QUERIES.iter().enumerate() {
            if !only.is_empty() && !only.contains(&(i + 1)) {
                continue;
            }
            let n = run(&engine, db.as_ref(), kind, q);
            let reps = env("FLINT_BENCH_REPS", 5);
            let cpu = cpu_seconds();
            let mut times: Vec<Duration> = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    run(&engine, db.as_ref(), kind, q);
                    t.elapsed()
                })
                .collect();
            let cpu = (cpu_seconds() - cpu) / reps as f64;
            times.sort();
            println!(
                "{:>2} {kind:<7} {:>8.1} ms wall {:>8.1} ms cpu {n:>6} series  {q}",
                i + 1,
                times[times.len() / 2].as_secs_f64() * 1e3,
                cpu * 1e3
            );
        }
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for (i, (kind, q)) in QUERIES.iter().enumerate() {
        c.bench_function(&format!("{:02} {kind} {q}", i + 1), |b| {
            b.iter(|| run(&engine, db.as_ref(), kind, q))
        });
    }
    c.final_summary();
}
