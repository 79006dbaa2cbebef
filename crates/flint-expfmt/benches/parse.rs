//! Text parsing throughput: Flint's streaming parser against the `prometheus-parse` crate on
//! a generated node-exporter-like body.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use flint_expfmt::encode::{OpenMetricsEncoder, TextEncoder};
use flint_expfmt::family::encode_families;
use flint_expfmt::{Entry, Format, OpenMetricsParser, TextParser, parse_families};

/// A node-exporter-like body: (families, samples, text).
fn node_exporter_body() -> (usize, usize, String) {
    let mut s = String::new();
    let (mut families, mut samples) = (0, 0);
    let modes = [
        "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
    ];
    let devices = ["sda", "sdb", "nvme0n1", "dm-0"];
    let mounts = ["/", "/boot", "/var/lib/docker", "/home"];
    for i in 0..1_100 {
        families += 1;
        let kind = i % 4;
        let name = match kind {
            0 => format!("node_cpu_seconds_{i}_total"),
            1 => format!("node_filesystem_avail_bytes_{i}"),
            2 => format!("node_network_receive_bytes_{i}_total"),
            _ => format!("node_memory_{i}_bytes"),
        };
        let t = if name.ends_with("_total") {
            "counter"
        } else {
            "gauge"
        };
        let _ = writeln!(s, "# HELP {name} Metric number {i} of the node exporter.");
        let _ = writeln!(s, "# TYPE {name} {t}");
        match kind {
            0 => {
                for cpu in 0..4 {
                    for m in modes {
                        let v = 12_345.67 + f64::from(cpu * 10 + i);
                        let _ = writeln!(s, "{name}{{cpu=\"{cpu}\",mode=\"{m}\"}} {v}");
                        samples += 1;
                    }
                }
            }
            1 => {
                for (d, m) in devices.iter().zip(mounts) {
                    let _ = writeln!(
                        s,
                        "{name}{{device=\"/dev/{d}\",fstype=\"ext4\",mountpoint=\"{m}\"}} 1.2345678e+10"
                    );
                    samples += 1;
                }
            }
            2 => {
                for d in ["eth0", "lo", "docker0", "veth1a2b3c", "wlan0", "br-0"] {
                    let _ = writeln!(s, "{name}{{device=\"{d}\"}} {}", 987_654_321 + i);
                    samples += 1;
                }
            }
            _ => {
                let _ = writeln!(s, "{name} 8.253e+09");
                samples += 1;
            }
        }
    }
    (families, samples, s)
}

fn flint_parse(body: &[u8]) -> usize {
    let mut n = 0;
    for e in TextParser::new(body) {
        if let Ok(Entry::Sample(s)) = e {
            for (name, value) in s.labels.iter() {
                n += name.len() + value.len();
            }
            n += usize::from(s.value > 0.0);
        }
    }
    n
}

fn rival_parse(body: &str) -> usize {
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines)
        .map(|s| s.samples.len())
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let (families, samples, body) = node_exporter_body();
    assert!(
        families >= 1_000 && samples >= 10_000,
        "{families} {samples}"
    );
    assert!(flint_parse(body.as_bytes()) > 0);
    assert_eq!(rival_parse(&body), samples);
    let mut g = c.benchmark_group(format!("parse_text_{families}f_{samples}s"));
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("flint_text", |b| {
        b.iter(|| flint_parse(black_box(body.as_bytes())))
    });
    g.bench_function("prometheus_parse", |b| {
        b.iter(|| rival_parse(black_box(&body)))
    });
    g.finish();

    // The same families as OpenMetrics (strict validation), and the encoders' speed.
    let families = parse_families(Format::Text, body.as_bytes()).unwrap_or_default();
    let mut om = Vec::new();
    encode_families(&families, &mut OpenMetricsEncoder::new(&mut om));
    let mut g = c.benchmark_group(format!(
        "other_{families}f_{samples}s",
        families = families.len()
    ));
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("flint_openmetrics_strict", |b| {
        b.iter(|| {
            OpenMetricsParser::new(black_box(&om))
                .filter(|e| matches!(e, Ok(Entry::Sample(_))))
                .count()
        })
    });
    let mut out = Vec::with_capacity(body.len() * 2);
    g.bench_function("flint_encode_text", |b| {
        b.iter(|| {
            out.clear();
            encode_families(black_box(&families), &mut TextEncoder::new(&mut out));
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `FLINT_BENCH_ITERS=n` runs the Flint parser `n` times and exits, for counting cycles
/// and instructions with `perf stat` on a busy machine.
fn main() {
    if let Some(n) = std::env::var("FLINT_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let (_, samples, body) = node_exporter_body();
        let mut acc = 0;
        for _ in 0..n {
            acc += flint_parse(black_box(body.as_bytes()));
        }
        eprintln!("{n} iterations x {samples} samples (checksum {acc})");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
