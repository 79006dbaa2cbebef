//! How much memory the scrape side holds per series, without a TSDB: scrapes a running
//! target farm (`targetfarm.py --targets K --series M --port P`) into a storage that
//! discards samples, then prints the resident set size.
//!
//! `cargo run --release -p flint-scrape --example scrape_memory -- 19300 100 10s`
#![allow(clippy::print_stdout, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flint_discovery::TargetGroup;
use flint_model::{Exemplar, Labels, Metadata};
use flint_scrape::{Manager, ManagerOptions};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef};

/// Accepts everything, remembers nothing; hands out increasing references.
#[derive(Default)]
struct Null(AtomicU64);

struct NullAppender<'a>(&'a Null);

impl Appendable for Null {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(NullAppender(self))
    }
}

impl Appender for NullAppender<'_> {
    fn append(
        &mut self,
        s: Option<SeriesRef>,
        _: &Labels,
        _: i64,
        _: f64,
    ) -> Result<SeriesRef, AppendError> {
        Ok(s.unwrap_or_else(|| SeriesRef(self.0.0.fetch_add(1, Ordering::Relaxed))))
    }
    fn append_histogram(
        &mut self,
        s: Option<SeriesRef>,
        _: &Labels,
        _: i64,
        _: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError> {
        Ok(s.unwrap_or(SeriesRef(0)))
    }
    fn append_exemplar(
        &mut self,
        s: Option<SeriesRef>,
        _: &Labels,
        _: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        Ok(s.unwrap_or(SeriesRef(0)))
    }
    fn update_metadata(
        &mut self,
        s: Option<SeriesRef>,
        _: &Labels,
        _: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        Ok(s.unwrap_or(SeriesRef(0)))
    }
    fn commit(self: Box<Self>) -> flint_storage::Result<()> {
        Ok(())
    }
    fn rollback(self: Box<Self>) -> flint_storage::Result<()> {
        Ok(())
    }
}

fn rss_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(19300);
    let targets: u16 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let interval = args.get(3).cloned().unwrap_or_else(|| "10s".into());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let before = rss_mib();
    let storage = Arc::new(Null::default());
    let m = Manager::new(ManagerOptions {
        storage: storage.clone(),
        registry: flint_client::Registry::new(),
        offset_seed: 0,
    });
    let cfg = flint_config::load_str(
        &format!("scrape_configs: [{{job_name: farm, scrape_interval: {interval}, scrape_timeout: {interval}}}]"),
        flint_config::LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    m.apply_config(cfg.scrape_configs)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let group = TargetGroup {
        source: "0".into(),
        targets: (0..targets)
            .map(|i| Labels::from_pairs([("__address__", format!("127.0.0.1:{}", port + i))]))
            .collect(),
        labels: Labels::empty(),
    };
    m.sync(BTreeMap::from([("farm".to_string(), vec![group])]))
        .await;
    let wait = interval
        .parse::<flint_config::Duration>()
        .map(|d| d.std())
        .unwrap_or_default()
        * 3;
    tokio::time::sleep(wait).await;
    let series = storage.0.load(Ordering::Relaxed);
    let after = rss_mib();
    println!(
        "targets {targets}, series {series}, RSS {after:.0} MiB (start {before:.0} MiB), {:.0} B/series on the scrape side",
        (after - before) * 1048576.0 / series.max(1) as f64
    );
    m.stop().await;
}
