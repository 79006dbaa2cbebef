//! The Flint side of the TSDB benchmarks (`bench/tsdb/run.sh` runs it beside the real
//! Prometheus and prints the comparison).
//!
//! ```text
//! tsdb_bench gen <dir> <series> <samples> [step_ms] [crash]
//!                                                    write a data dir through the Db: one commit
//!                                                    per 1000 series per step (a scrape), series
//!                                                    references cached; append ns/sample, RSS;
//!                                                    with `crash`, exit without closing (the
//!                                                    state after kill -9)
//! tsdb_bench replay <dir>                            open (replay) a data dir: seconds, RSS
//! tsdb_bench blocks <dir> <om-file> <series> <hours> append <hours> of 10 s samples through the
//!                                                    Db, compact, and write the same samples as
//!                                                    OpenMetrics for promtool; block sizes
//! tsdb_bench select <dir> <series>                   select <series> series over 2 h, from the
//!                                                    head and from blocks
//! ```
//!
//! Series have 8 labels, like a node-exporter/kube fleet; values are a mix of constant gauges,
//! counters and noisy gauges (see `value`).
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flint_model::{Labels, Matcher};
use flint_storage::{Appendable, Queryable, SeriesRef, ValueType};
use flint_tsdb::{Db, DbOptions};

const BATCH: usize = 1000;
const STEP: i64 = 10_000;

fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory (all of it, file-backed mapped pages of head-chunk files included).
fn rss_bytes() -> u64 {
    status_bytes("VmRSS:")
}

/// Resident anonymous memory: the heap, without mapped files.
fn anon_bytes() -> u64 {
    status_bytes("RssAnon:")
}

/// CPU time of the calling thread, nanoseconds (the machine is shared: wall time is noisy).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
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

/// A third constant gauges, a third counters growing by small steps, a third noisy gauges
/// with three significant digits.
fn value(series: usize, step: usize) -> f64 {
    match series % 3 {
        0 => (series % 100) as f64,
        1 => (step * (1 + series % 7)) as f64,
        _ => ((series * 31 + step * 17) % 1000) as f64 / 10.0,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn opts() -> DbOptions {
    DbOptions {
        retention: Some(Duration::from_secs(100 * 365 * 86_400)),
        ..DbOptions::default()
    }
}

/// The first scrape: creates the `n` series at `t`; returns their references.
fn create(db: &Db, n: usize, t: i64) -> Vec<SeriesRef> {
    let mut refs = Vec::with_capacity(n);
    for batch in (0..n).step_by(BATCH) {
        // Label sets come from the target (built outside the timed part, as a parser would).
        let sets: Vec<Labels> = (batch..(batch + BATCH).min(n)).map(labels).collect();
        let mut app = db.appender();
        for (k, l) in sets.iter().enumerate() {
            refs.push(app.append(None, l, t, value(batch + k, 0)).unwrap());
        }
        app.commit().unwrap();
    }
    refs
}

/// Steps `1..samples`, each one commit per 1000 series by reference (the scrape loop's
/// steady state); returns the samples appended and the CPU time spent appending.
fn steps(db: &Db, refs: &[SeriesRef], samples: usize, start: i64, step: i64) -> (u64, Duration) {
    let empty = Labels::empty();
    let (mut appended, mut spent) = (0u64, Duration::ZERO);
    for s in 1..samples {
        let t = start + s as i64 * step;
        let began = thread_cpu_ns();
        for (b, chunk) in refs.chunks(BATCH).enumerate() {
            let mut app = db.appender();
            for (k, r) in chunk.iter().enumerate() {
                app.append(Some(*r), &empty, t, value(b * BATCH + k, s))
                    .unwrap();
            }
            app.commit().unwrap();
            appended += chunk.len() as u64;
        }
        spent += Duration::from_nanos(thread_cpu_ns().saturating_sub(began));
        if s % 60 == 0 {
            eprintln!("  {s} of {samples} steps");
        }
    }
    (appended, spent)
}

/// All `samples` steps of `n` series from `start`.
fn append(db: &Db, n: usize, samples: usize, start: i64, step: i64) -> u64 {
    let refs = create(db, n, start);
    steps(db, &refs, samples, start, step).0 + n as u64
}

fn generate(dir: &Path, n: usize, samples: usize, step: i64, crash: bool) {
    let base = rss_bytes();
    let base_anon = anon_bytes();
    let db = Db::open(dir, opts()).unwrap();
    let start = (now_ms() - samples as i64 * step).div_euclid(step) * step;
    let began = Instant::now();
    let refs = create(&db, n, start);
    let first = began.elapsed();
    let (appended, spent) = steps(&db, &refs, samples, start, step);
    drop(refs);
    let rss = rss_bytes().saturating_sub(base);
    let anon = anon_bytes().saturating_sub(base_anon);
    println!("gen.series {n}");
    println!("gen.samples {}", appended + n as u64);
    println!("gen.first_scrape_s {:.3}", first.as_secs_f64());
    println!(
        "gen.append_cpu_ns_per_sample {:.1}",
        spent.as_nanos() as f64 / appended.max(1) as f64
    );
    println!("gen.rss_bytes {rss}");
    println!("gen.rss_bytes_per_series {:.0}", rss as f64 / n as f64);
    println!("gen.anon_bytes_per_series {:.0}", anon as f64 / n as f64);
    if crash {
        // What kill -9 leaves: the WAL as written, buffered head chunks lost.
        std::process::exit(0);
    }
    db.close().unwrap();
}

fn replay(dir: &Path) {
    let base = rss_bytes();
    let base_anon = anon_bytes();
    let start = Instant::now();
    let db = Db::open(dir, opts()).unwrap();
    let took = start.elapsed();
    let rss = rss_bytes().saturating_sub(base);
    let anon = anon_bytes().saturating_sub(base_anon);
    let n = db.head().num_series().max(1);
    let r = db.replay_stats();
    println!("replay.seconds {:.3}", took.as_secs_f64());
    println!("replay.wal_seconds {:.3}", r.wal_duration.as_secs_f64());
    println!("replay.series {n}");
    println!("replay.samples_from_wal {}", r.samples);
    println!("replay.samples_skipped {}", r.skipped_samples);
    println!("replay.mmapped_chunks {}", r.mmapped_chunks);
    println!("replay.rss_bytes {rss}");
    println!("replay.rss_bytes_per_series {:.0}", rss as f64 / n as f64);
    println!("replay.anon_bytes {anon}");
    println!("replay.anon_bytes_per_series {:.0}", anon as f64 / n as f64);
    db.close().unwrap();
}

fn blocks(dir: &Path, om: &Path, n: usize, hours: i64) {
    let samples = (hours * 3_600_000 / STEP) as usize;
    // Aligned to the block range so both sides cut the same 2 h windows.
    let start = (now_ms() - hours * 3_600_000).div_euclid(7_200_000) * 7_200_000;
    let mut f = std::io::BufWriter::new(std::fs::File::create(om).unwrap());
    for i in 0..n {
        let l = labels(i);
        let name = l.metric_name().unwrap_or("x").to_owned();
        let rest: Vec<String> = l
            .iter()
            .filter(|p| &*p.name != "__name__")
            .map(|p| format!("{}=\"{}\"", p.name, p.value))
            .collect();
        let sel = rest.join(",");
        for s in 0..samples {
            let t = start + s as i64 * STEP;
            let mut v = Vec::new();
            flint_expfmt::float::write_float(&mut v, value(i, s));
            writeln!(
                f,
                "{name}{{{sel}}} {} {}.{:03}",
                String::from_utf8_lossy(&v),
                t / 1000,
                t % 1000
            )
            .unwrap();
        }
    }
    writeln!(f, "# EOF").unwrap();
    f.flush().unwrap();
    let db = Db::open(dir, opts()).unwrap();
    let appended = append(&db, n, samples, start, STEP);
    db.compact().unwrap();
    println!("blocks.samples {appended}");
    for b in db.blocks().iter() {
        let m = b.meta();
        println!(
            "blocks.block level={} hours={} samples={} bytes={} bytes_per_sample={:.3}",
            m.compaction.level,
            (m.max_time - m.min_time) / 3_600_000,
            m.stats.num_samples,
            b.size_bytes(),
            b.size_bytes() as f64 / m.stats.num_samples.max(1) as f64
        );
    }
    db.close().unwrap();
}

fn read_all(db: &Db, mint: i64, maxt: i64) -> (usize, u64) {
    let q = db.querier(mint, maxt).unwrap();
    let matchers = [Matcher::regex_match("__name__", ".+").unwrap()];
    let mut set = q.select(true, None, &matchers);
    let (mut series, mut samples) = (0, 0);
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        series += 1;
        let mut it = s.iterator();
        while it.next() == ValueType::Float {
            samples += 1;
        }
    }
    (series, samples)
}

fn time_select(db: &Db, what: &str, mint: i64, maxt: i64) {
    let mut best = Duration::MAX;
    let mut got = (0, 0);
    for _ in 0..5 {
        let start = Instant::now();
        got = read_all(db, mint, maxt);
        best = best.min(start.elapsed());
    }
    println!(
        "select.{what}_ms {:.1} (series={} samples={})",
        best.as_secs_f64() * 1000.0,
        got.0,
        got.1
    );
}

fn select(dir: &Path, n: usize) {
    let samples = 720;
    let start = (now_ms() - 6 * 3_600_000).div_euclid(7_200_000) * 7_200_000;
    let db = Db::open(dir, opts()).unwrap();
    append(&db, n, samples, start, STEP);
    let (mint, maxt) = (start, start + samples as i64 * STEP - 1);
    time_select(&db, "head", mint, maxt);
    db.flush_head().unwrap();
    time_select(&db, "blocks", mint, maxt);
    db.close().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let dir = std::path::PathBuf::from(arg(1));
    match arg(0).as_str() {
        "gen" => generate(
            &dir,
            num(2, 100_000),
            num(3, 720),
            num(4, STEP as usize) as i64,
            arg(5) == "crash",
        ),
        "replay" => replay(&dir),
        "blocks" => blocks(&dir, Path::new(&arg(2)), num(3, 1000), num(4, 10) as i64),
        "select" => select(&dir, num(2, 10_000)),
        other => {
            eprintln!("unknown command {other:?}; see the module documentation");
            std::process::exit(2);
        }
    }
}
