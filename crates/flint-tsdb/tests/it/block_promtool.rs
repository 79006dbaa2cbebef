//! Interop of blocks with the real Prometheus: promtool reads blocks Flint writes, and Flint's
//! block querier reads blocks promtool writes.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use flint_model::{Labels, Matcher};
use flint_storage::querier::matches_all;
use flint_storage::{Queryable, ValueType};
use flint_tsdb::block::{Block, BlockWriter};

const START: i64 = 1_700_000_000_000;

/// Series with several label names (one of them often absent) and their samples.
fn generate(series: usize, base_samples: i64) -> Vec<(Labels, Vec<(i64, f64)>)> {
    (0..series)
        .map(|i| {
            let mut pairs = vec![
                ("__name__", format!("m{}", i % 3)),
                ("job", ["api", "web", "db", "cache"][i % 4].to_owned()),
                ("instance", format!("i{}", i % 25)),
                ("shard", format!("{}", i / 75)),
            ];
            if i % 5 != 0 {
                pairs.push(("env", ["prod", "dev", "test"][i % 3].to_owned()));
            }
            // A few long series span several chunks.
            let n = if i % 50 == 0 { 400 } else { base_samples };
            let samples = (0..n)
                .map(|k| {
                    let t = START + k * 15_000 + (i as i64 % 7) * 3;
                    (t, ((k + i as i64) % 40) as f64 * 0.5 - 3.0)
                })
                .collect();
            (Labels::from_pairs(pairs), samples)
        })
        .collect()
}

fn run(promtool: &Path, args: &[&str], dir: &Path) -> String {
    let out = Command::new(promtool).args(args).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn promtool_reads_flint_blocks() {
    let Some(promtool) = flint_testkit::find_program("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = generate(300, 12);
    let mut w = BlockWriter::new();
    let mut want = BTreeSet::new();
    for (labels, samples) in &data {
        w.add_samples(labels.clone(), samples).unwrap();
        for (t, v) in samples {
            want.insert(format!("{labels} {v} {t}"));
        }
    }
    let meta = w.write(dir.path()).unwrap();
    assert!(want.len() > 3000);

    let analyze = run(&promtool, &["tsdb", "analyze"], dir.path());
    assert!(
        analyze
            .lines()
            .any(|l| l == "Series: 300" || l == "Total Series: 300"),
        "analyze output:\n{analyze}"
    );
    assert!(analyze.contains(&meta.ulid.to_string()), "{analyze}");

    // promtool opens the directory as a read-only DB, which wants a (possibly empty) WAL.
    std::fs::create_dir(dir.path().join("wal")).unwrap();
    let dump = run(&promtool, &["tsdb", "dump"], dir.path());
    let got: BTreeSet<String> = dump.lines().map(str::to_owned).collect();
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    eprintln!(
        "promtool analyze + dump: {} series, {} samples, identical",
        data.len(),
        got.len()
    );
}

/// An OpenMetrics file with the samples of `data` (grouped by metric family).
fn openmetrics(data: &[(Labels, Vec<(i64, f64)>)]) -> String {
    let mut text = String::new();
    for family in ["m0", "m1", "m2"] {
        writeln!(text, "# TYPE {family} gauge").unwrap();
        for (labels, samples) in data.iter().filter(|(l, _)| l.metric_name() == Some(family)) {
            let rest: Vec<String> = labels
                .iter()
                .filter(|l| &*l.name != "__name__")
                .map(|l| format!("{}=\"{}\"", l.name, l.value))
                .collect();
            for (t, v) in samples {
                let sel = rest.join(",");
                writeln!(text, "{family}{{{sel}}} {v:?} {}.{:03}", t / 1000, t % 1000).unwrap();
            }
        }
    }
    text.push_str("# EOF\n");
    text
}

type Sample = (Labels, i64, u64);

fn flint_select(blocks: &[Block], ms: &[Matcher]) -> BTreeSet<Sample> {
    let mut got = BTreeSet::new();
    for b in blocks {
        let q = b.querier(i64::MIN, i64::MAX).unwrap();
        let mut set = q.select(true, None, ms);
        let mut last: Option<Labels> = None;
        while let Some(s) = set.next_series() {
            let s = s.unwrap();
            assert!(last.as_ref() < Some(s.labels()), "series not sorted");
            last = Some(s.labels().clone());
            let mut it = s.iterator();
            while it.next() == ValueType::Float {
                let (t, v) = it.at();
                got.insert((s.labels().clone(), t, v.to_bits()));
            }
            assert!(it.err().is_none());
        }
    }
    got
}

/// Has promtool backfill `data` from an OpenMetrics file and opens the blocks it writes.
fn promtool_blocks(promtool: &Path, dir: &Path, data: &[(Labels, Vec<(i64, f64)>)]) -> Vec<Block> {
    let input = dir.join("input.om");
    std::fs::write(&input, openmetrics(data)).unwrap();
    let out = dir.join("blocks");
    let status = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(status.status.success(), "{stderr}");
    std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("meta.json").exists())
        .map(|e| Block::open(&e.path()).unwrap())
        .collect()
}

#[test]
fn flint_reads_promtool_blocks() {
    let Some(promtool) = flint_testkit::find_program("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // 15 s steps over ~2.5 h: promtool cuts at least two 2 h blocks.
    let data = generate(60, 600);
    let blocks = promtool_blocks(&promtool, dir.path(), &data);
    assert!(
        blocks.len() >= 2,
        "expected several blocks, got {}",
        blocks.len()
    );

    let cases = vec![
        vec![Matcher::equal("__name__", "m1")],
        vec![Matcher::not_equal("job", "api")],
        vec![Matcher::regex_match("instance", "i1|i3|i7").unwrap()],
        vec![Matcher::regex_no_match("env", "prod|dev").unwrap()],
        vec![
            Matcher::regex_match("__name__", "m0|m2").unwrap(),
            Matcher::equal("job", "web"),
            Matcher::not_equal("env", ""),
        ],
        vec![
            Matcher::regex_match("instance", "i1.*").unwrap(),
            Matcher::equal("env", ""),
        ],
    ];
    for ms in cases {
        let want: BTreeSet<Sample> = data
            .iter()
            .filter(|(l, _)| matches_all(l, &ms))
            .flat_map(|(l, s)| s.iter().map(|(t, v)| (l.clone(), *t, v.to_bits())))
            .collect();
        assert!(!want.is_empty(), "{ms:?} selects nothing");
        let got = flint_select(&blocks, &ms);
        assert_eq!(got.len(), want.len(), "{ms:?}");
        assert!(got == want, "{ms:?}: samples differ");
    }
    let q = blocks[0].querier(i64::MIN, i64::MAX).unwrap();
    let (jobs, _) = q.label_values("job", &[], 0).unwrap();
    assert_eq!(jobs, ["api", "cache", "db", "web"]);

    // The same through a database over promtool's output directory: blocks merged.
    let db =
        flint_tsdb::Db::open(&dir.path().join("blocks"), flint_tsdb::DbOptions::default()).unwrap();
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let mut set = q.select(true, None, &[]);
    let mut got = BTreeSet::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        while it.next() == ValueType::Float {
            let (t, v) = it.at();
            assert!(
                got.insert((s.labels().clone(), t, v.to_bits())),
                "duplicate sample"
            );
        }
    }
    let all: BTreeSet<Sample> = data
        .iter()
        .flat_map(|(l, s)| s.iter().map(|(t, v)| (l.clone(), *t, v.to_bits())))
        .collect();
    assert!(
        got == all,
        "the database returns exactly promtool's samples"
    );
    eprintln!("flint read {} promtool blocks identically", blocks.len());
}
