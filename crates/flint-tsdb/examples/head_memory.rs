//! Measures the head's resident memory per series and its append cost.
//!
//! Builds N series with 8 realistic labels (a node-exporter-like fleet) and appends S samples to
//! each at a 10 s step, one appender per "scrape" of 1,000 series, like the scrape loop does
//! (series references are cached after the first scrape). Prints RSS per series and ns per
//! appended sample. Run: `cargo run --release -p flint-tsdb --example head_memory -- 1000000 120`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use flint_model::Labels;
use flint_storage::{Appendable, SeriesRef};
use flint_tsdb::head::{Head, HeadOptions};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn labels(i: usize) -> Labels {
    let metrics = [
        "node_cpu_seconds_total",
        "node_network_receive_bytes_total",
        "node_filesystem_avail_bytes",
        "http_requests_total",
    ];
    Labels::from_pairs([
        ("__name__", metrics[i % metrics.len()].to_owned()),
        ("job", format!("job-{}", i % 10)),
        (
            "instance",
            format!("10.0.{}.{}:9100", i / 256 % 256, i % 256),
        ),
        ("cluster", format!("cluster-{}", i % 3)),
        ("namespace", format!("ns-{}", i % 50)),
        (
            "pod",
            format!("pod-{}-{:x}", i / 100, i * 2654435761 % 1_000_000),
        ),
        ("code", ["200", "404", "500"][i % 3].to_owned()),
        ("le", ["0.1", "0.5", "1", "+Inf"][i / 3 % 4].to_owned()),
    ])
}

/// A realistic mix: a third constant gauges, a third counters growing by small integer steps,
/// a third noisy gauges with three significant digits.
fn value(series: usize, step: usize) -> f64 {
    match series % 3 {
        0 => (series % 100) as f64,
        1 => (step * (1 + series % 7)) as f64,
        _ => ((series * 31 + step * 17) % 1000) as f64 / 10.0,
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(100_000);
    let samples = args.get(1).copied().unwrap_or(120);
    let dir = tempfile::tempdir().unwrap();
    let base = rss_bytes();
    let head = Head::new(dir.path(), HeadOptions::default(), None).unwrap();
    let empty = Labels::empty();
    let mut refs: Vec<Option<SeriesRef>> = vec![None; n];
    let start = Instant::now();
    let mut appended = 0u64;
    for s in 0..samples {
        let t = 1_700_000_000_000i64 + s as i64 * 10_000;
        for batch in (0..n).step_by(1000) {
            let mut app = head.appender();
            let end = (batch + 1000).min(n);
            for (i, slot) in refs.iter_mut().enumerate().take(end).skip(batch) {
                // Like the scrape cache: labels only for a series seen for the first time.
                let v = value(i, s);
                let r = match *slot {
                    Some(r) => app.append(Some(r), &empty, t, v),
                    None => app.append(None, &labels(i), t, v),
                }
                .unwrap();
                *slot = Some(r);
                appended += 1;
            }
            app.commit().unwrap();
        }
    }
    let elapsed = start.elapsed();
    let rss = rss_bytes().saturating_sub(base);
    println!(
        "series: {n}, samples per series: {samples}, head series: {}",
        head.num_series()
    );
    println!(
        "append: {:.1} ns/sample ({} samples in {:.2?}, one thread)",
        elapsed.as_nanos() as f64 / appended as f64,
        appended,
        elapsed
    );
    println!(
        "resident memory: {:.1} MiB total, {:.0} bytes per series (including the caller's reference cache)",
        rss as f64 / 1_048_576.0,
        rss as f64 / n as f64
    );
}
