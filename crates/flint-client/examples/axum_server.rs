//! An axum server exposing metrics at `/metrics` (Prometheus text, OpenMetrics or protobuf,
//! negotiated from `Accept`; gzip when allowed), plus the process collector.
//!
//! Run with `cargo run -p flint-client --example axum_server --features axum`, then
//! `curl localhost:3000/metrics` and `curl localhost:3000/work/fast`.

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::Family;
use flint_client::metrics::histogram::{Buckets, Histogram};
use flint_client::process::ProcessCollector;
use flint_client::{LabelSet, Registry};

#[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
struct Work {
    kind: String,
}

#[derive(Clone)]
struct Metrics {
    work: Family<Work, Counter>,
    latency: Histogram,
}

async fn work(State(m): State<Metrics>, Path(kind): Path<String>) -> &'static str {
    let start = Instant::now();
    m.work.get_or_create(&Work { kind }).inc();
    m.latency.observe(start.elapsed().as_secs_f64());
    "done\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    registry.register_collector(ProcessCollector::new());
    let app_metrics = registry.sub_registry_with_prefix("example");
    let metrics = Metrics {
        work: Family::default(),
        latency: Histogram::new(Buckets::exponential(0.000_001, 10.0, 6)?),
    };
    app_metrics.register("work", "Work requests by kind.", metrics.work.clone())?;
    app_metrics.register(
        "work_duration_seconds",
        "Work latency.",
        metrics.latency.clone(),
    )?;

    let app = Router::new()
        .route("/work/{kind}", get(work))
        .with_state(metrics)
        .merge(flint_client::axum::router(registry));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    eprintln!("serving on http://{}/metrics", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
