//! Times queries against a TSDB data directory opened read-only (no HTTP), and the raw
//! storage read loop under them, to see what the engine adds.
//!
//! ```text
//! cargo run --release -p flint-promql --example blockbench -- DIR END_MS [REPS] [FILTER]
//! ```
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::time::Instant;

use flint_promql::{Engine, EngineOptions};
use flint_storage::{Queryable, ValueType};

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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let end: i64 = args[2].parse().unwrap();
    let reps: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    let filter = args.get(4).cloned().unwrap_or_default();
    let db = flint_tsdb::Db::open_read_only(&dir).unwrap();
    let engine = Engine::new(EngineOptions::default());
    if filter == "raw" {
        for _ in 0..reps {
            let t0 = Instant::now();
            let q = db.querier(end - 300_000, end).unwrap();
            let m = flint_promql::parser::parse_metric_selector(r#"{__name__=~".+"}"#).unwrap();
            let mut set = q.select(false, None, &m);
            let (mut n, mut samples) = (0, 0);
            let mut list = Vec::new();
            while let Some(s) = set.next_series() {
                list.push(s.unwrap());
                n += 1;
            }
            let t1 = t0.elapsed();
            for s in &list {
                let mut it = s.iterator();
                let mut vt = it.seek(end - 300_000 + 1);
                while vt != ValueType::None && it.at_t() <= end {
                    samples += 1;
                    vt = it.next();
                }
            }
            println!(
                "raw: {n} series, {samples} samples: select {:?}, total {:?}",
                t1,
                t0.elapsed()
            );
        }
        return;
    }
    for (i, (kind, q)) in QUERIES.iter().enumerate() {
        if !filter.is_empty()
            && !filter
                .split(',')
                .any(|f| f.parse::<usize>().ok() == Some(i))
        {
            continue;
        }
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..reps {
            let t0 = Instant::now();
            let r = if *kind == "instant" {
                engine.instant_query(&db, q, end).unwrap()
            } else {
                engine
                    .range_query(&db, q, end - 900_000, end, 15_000)
                    .unwrap()
            };
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            n = match &r.value {
                flint_promql::QueryValue::Vector(v) => v.len(),
                flint_promql::QueryValue::Matrix(m) => m.len(),
                _ => 1,
            };
        }
        println!("{i:2} {kind:8} {:9.1} ms  {n:6} series  {q}", median(times));
    }
}
