//! Selecting series from a persistent block: postings, series decoding and chunk iteration.

#![allow(clippy::unwrap_used, missing_docs)]
use criterion::{Criterion, criterion_group, criterion_main};
use flint_model::{Labels, Matcher};
use flint_storage::{Queryable, ValueType};
use flint_tsdb::block::{Block, BlockWriter};

fn build(dir: &std::path::Path) -> Block {
    let mut w = BlockWriter::new();
    for i in 0..10_000u32 {
        let labels = Labels::from_pairs([
            ("__name__", format!("metric_{}", i % 10)),
            ("instance", format!("host-{}", i % 500)),
            ("job", format!("job-{}", i % 20)),
            ("series", i.to_string()),
        ]);
        let samples: Vec<_> = (0..240)
            .map(|k| (k * 15_000, f64::from(i) + k as f64))
            .collect();
        w.add_samples(labels, &samples).unwrap();
    }
    let meta = w.write(dir).unwrap();
    Block::open(&dir.join(meta.ulid.to_string())).unwrap()
}

fn read(b: &Block, mint: i64, maxt: i64, ms: &[Matcher]) -> usize {
    let q = b.querier(mint, maxt).unwrap();
    let mut set = q.select(true, None, ms);
    let mut n = 0;
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        while it.next() == ValueType::Float {
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let b = build(dir.path());
    let all = [Matcher::regex_match("__name__", "metric_.*").unwrap()];
    c.bench_function("block select 10k series, all samples", |bch| {
        bch.iter(|| read(&b, i64::MIN, i64::MAX, &all))
    });
    c.bench_function("block select 10k series, last 5 minutes", |bch| {
        bch.iter(|| read(&b, 3_300_000, 3_600_000, &all))
    });
    let narrow = [
        Matcher::equal("__name__", "metric_3"),
        Matcher::regex_match("job", "job-3|job-13").unwrap(),
        Matcher::not_equal("instance", "host-3"),
    ];
    c.bench_function("block select 1k of 10k series, matchers", |bch| {
        bch.iter(|| read(&b, i64::MIN, i64::MAX, &narrow))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
