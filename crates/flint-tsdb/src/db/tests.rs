//! Tests of the database: persistence across restarts, compaction, retention, deletion,
//! corruption handling.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use flint_model::{Labels, Matcher};
use flint_storage::{Appendable, Queryable, ValueType};

use super::{Db, DbOptions, QUARANTINE_DIR};
use crate::error::Error;

const H: i64 = 3_600_000;

type Got = Vec<(String, Vec<(i64, f64)>)>;

fn select(db: &Db, mint: i64, maxt: i64, matchers: &[Matcher]) -> Got {
    let q = db.querier(mint, maxt).unwrap();
    let mut set = q.select(true, None, matchers);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        let mut samples = Vec::new();
        while it.next() == ValueType::Float {
            samples.push(it.at());
        }
        assert!(it.err().is_none(), "{:?}", it.err());
        out.push((s.labels().to_string(), samples));
    }
    out
}

fn series(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", format!("m{}", i % 2)),
        ("job", "test".to_owned()),
        ("i", i.to_string()),
    ])
}

/// Appends `n` series every `step` ms over `[from, to)`, one commit per step.
fn fill(db: &Db, n: usize, from: i64, to: i64, step: i64) {
    let mut t = from;
    while t < to {
        let mut app = db.appender();
        for i in 0..n {
            app.append(None, &series(i), t, (t / step) as f64 + i as f64)
                .unwrap();
        }
        app.commit().unwrap();
        t += step;
    }
}

fn expected(n: usize, from: i64, to: i64, step: i64) -> Got {
    let mut out: Got = (0..n)
        .map(|i| {
            let samples = (from..to)
                .step_by(step as usize)
                .map(|t| (t, (t / step) as f64 + i as f64))
                .collect();
            (series(i).to_string(), samples)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn opts() -> DbOptions {
    DbOptions {
        stripe_size: 16,
        replay_workers: 2,
        wal_segment_size: 32 * 1024 * 4,
        ..DbOptions::default()
    }
}

fn sorted(mut g: Got) -> Got {
    g.sort_by(|a, b| a.0.cmp(&b.0));
    g
}

#[test]
fn restart_replays_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 20, 0, 30 * 60_000, 15_000);
    db.close().unwrap();
    assert!(db.appender().append(None, &series(0), H, 1.0).is_err());
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    let want = expected(20, 0, 30 * 60_000, 15_000);
    assert_eq!(sorted(select(&db, i64::MIN, i64::MAX, &[])), want);
    assert_eq!(db.replay_stats().series, 20);
    // Appends continue after the replayed data, and survive a second restart.
    fill(&db, 20, 30 * 60_000, 40 * 60_000, 15_000);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    let want = expected(20, 0, 40 * 60_000, 15_000);
    assert_eq!(sorted(select(&db, i64::MIN, i64::MAX, &[])), want);
    let m0 = select(&db, 0, H, &[Matcher::equal("__name__", "m0")]);
    assert_eq!(m0.len(), 10);
}

#[test]
fn a_second_process_cannot_open_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert!(matches!(
        Db::open(dir.path(), opts()),
        Err(Error::Locked { .. })
    ));
    db.close().unwrap();
    drop(db);
    Db::open(dir.path(), opts()).unwrap();
}

#[test]
fn head_is_cut_into_blocks_and_queries_span_both() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 5, 0, 7 * H, 60_000);
    db.compact().unwrap();
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 2, "0-2h and 2-4h persisted, 4-7h in the head");
    assert_eq!(
        (blocks[0].meta().min_time, blocks[0].meta().max_time),
        (0, 2 * H)
    );
    assert_eq!(blocks[1].meta().stats.num_series, 5);
    assert!(db.head().min_time() >= 4 * H);
    let want = expected(5, 0, 7 * H, 60_000);
    assert_eq!(sorted(select(&db, i64::MIN, i64::MAX, &[])), want);
    // Samples before the newest block are out of bounds now.
    let mut app = db.appender();
    assert!(app.append(None, &series(0), H, 1.0).is_err());
    app.rollback().unwrap();
    // The WAL was checkpointed and replay after a restart sees the same data.
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(sorted(select(&db, i64::MIN, i64::MAX, &[])), want);
    let q = db.querier(0, 7 * H).unwrap();
    assert_eq!(
        q.label_values("__name__", &[], 0).unwrap().0,
        vec!["m0", "m1"]
    );
}

#[test]
fn blocks_are_compacted_by_level() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 3, 0, 11 * H, 5 * 60_000);
    db.compact().unwrap();
    let blocks = db.blocks();
    let spans: Vec<(i64, i64, u32)> = blocks
        .iter()
        .map(|b| {
            let m = b.meta();
            (m.min_time, m.max_time, m.compaction.level)
        })
        .collect();
    assert_eq!(spans, vec![(0, 6 * H, 2), (6 * H, 8 * H, 1)]);
    assert_eq!(blocks[0].meta().compaction.sources.len(), 3);
    assert_eq!(
        sorted(select(&db, i64::MIN, i64::MAX, &[])),
        expected(3, 0, 11 * H, 5 * 60_000)
    );
    assert!(db.metrics().compactions.load(Ordering::Relaxed) >= 5);
}

#[test]
fn time_retention_drops_the_oldest_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let o = DbOptions {
        retention: Some(Duration::from_secs(4 * 3600)),
        max_block_duration: Some(Duration::from_secs(2 * 3600)),
        ..opts()
    };
    let db = Db::open(dir.path(), o).unwrap();
    fill(&db, 2, 0, 13 * H, 10 * 60_000);
    db.compact().unwrap();
    let mins: Vec<i64> = db.blocks().iter().map(|b| b.meta().min_time).collect();
    // Newest block ends at 10h: blocks ending more than 4h before are gone.
    assert_eq!(mins, vec![4 * H, 6 * H, 8 * H]);
    assert!(db.metrics().time_retentions.load(Ordering::Relaxed) >= 1);
    assert_eq!(db.lowest_timestamp(), Some(4 * H));
}

#[test]
fn size_retention_keeps_the_newest_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let o = DbOptions {
        max_bytes: Some(1),
        max_block_duration: Some(Duration::from_secs(2 * 3600)),
        ..opts()
    };
    let db = Db::open(dir.path(), o).unwrap();
    fill(&db, 2, 0, 7 * H, 10 * 60_000);
    db.compact().unwrap();
    assert!(db.blocks().is_empty(), "one byte holds no block");
    assert!(db.metrics().size_retentions.load(Ordering::Relaxed) >= 1);
}

#[test]
fn deleted_data_is_hidden_then_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 4, 0, 5 * H, 10 * 60_000);
    db.compact().unwrap();
    assert_eq!(db.blocks().len(), 1);
    // Delete 1h-3h of series i=1: in the block (1h-2h) and in the head (2h-3h).
    let m = [Matcher::equal("i", "1")];
    db.delete(H, 3 * H, &m).unwrap();
    let got = select(&db, i64::MIN, i64::MAX, &m);
    assert!(got[0].1.iter().all(|(t, _)| *t < H || *t > 3 * H));
    assert_eq!(db.blocks()[0].meta().stats.num_tombstones, 1);
    let others = select(&db, i64::MIN, i64::MAX, &[Matcher::equal("i", "2")]);
    assert_eq!(others[0].1.len(), 30);
    db.clean_tombstones().unwrap();
    let b = &db.blocks()[0];
    assert!(b.tombstones().is_empty());
    assert_eq!(b.meta().stats.num_samples, 4 * 12 - 6);
    assert_eq!(select(&db, i64::MIN, i64::MAX, &m), got);
    // Head deletions survive a restart through the WAL.
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(select(&db, i64::MIN, i64::MAX, &m), got);
}

fn corrupt_first_chunk(block: &Path) {
    let path = block.join("chunks").join("000001");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn corrupt_blocks_are_quarantined_and_the_rest_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 3, 0, 7 * H, 10 * 60_000);
    db.compact().unwrap();
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 2);
    let bad = blocks[0].clone();
    corrupt_first_chunk(bad.dir());
    drop(blocks);
    assert_eq!(db.verify_blocks().unwrap(), 1);
    assert_eq!(db.blocks().len(), 1);
    assert!(
        dir.path()
            .join(QUARANTINE_DIR)
            .join(bad.meta().ulid.to_string())
            .is_dir()
    );
    let got = select(&db, i64::MIN, i64::MAX, &[]);
    assert!(got[0].1.iter().all(|(t, _)| *t >= 2 * H));
    assert_eq!(db.metrics().blocks_quarantined.load(Ordering::Relaxed), 1);
}

#[test]
fn a_query_that_hits_a_corrupt_chunk_quarantines_its_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 1, 0, 5 * H, 10 * 60_000);
    db.compact().unwrap();
    corrupt_first_chunk(db.blocks()[0].dir());
    {
        let q = db.querier(0, H).unwrap();
        let mut set = q.select(true, None, &[]);
        let s = set.next_series().unwrap().unwrap();
        let mut it = s.iterator();
        assert_eq!(it.next(), ValueType::None);
        assert!(it.err().is_some());
    }
    db.reload().unwrap();
    assert!(db.blocks().is_empty());
    assert_eq!(select(&db, 3 * H, 5 * H, &[])[0].1.len(), 12);
}

#[test]
fn a_corrupt_wal_is_repaired_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let o = DbOptions {
        no_lockfile: true,
        ..opts()
    };
    let db = Db::open(dir.path(), o.clone()).unwrap();
    for t in 0..200 {
        let mut app = db.appender();
        app.append(None, &series(0), t * 1000, t as f64).unwrap();
        app.commit().unwrap();
    }
    // A crash: nothing is flushed at close.
    std::mem::forget(db);
    let seg = dir.path().join("wal").join("00000000");
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = 3000; // Inside the records (the last page is zero-padded to 32 KiB).
    bytes[at] ^= 0x55;
    std::fs::write(&seg, bytes).unwrap();
    let db = Db::open(dir.path(), o.clone()).unwrap();
    assert_eq!(db.metrics().wal_corruptions.load(Ordering::Relaxed), 1);
    let got = select(&db, i64::MIN, i64::MAX, &[]);
    let n = got[0].1.len();
    assert!(
        n > 10 && n < 200,
        "kept the records before the corruption: {n}"
    );
    assert!(
        got[0]
            .1
            .iter()
            .enumerate()
            .all(|(i, s)| s.0 == i as i64 * 1000)
    );
    // New appends after the repair survive the next restart.
    let mut app = db.appender();
    app.append(None, &series(0), 500_000, 1.0).unwrap();
    app.commit().unwrap();
    drop(db);
    let db = Db::open(dir.path(), o).unwrap();
    assert_eq!(select(&db, i64::MIN, i64::MAX, &[])[0].1.len(), n + 1);
    assert_eq!(db.metrics().wal_corruptions.load(Ordering::Relaxed), 0);
}

#[test]
fn metrics_have_prometheus_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 2, 0, 60_000, 15_000);
    let registry = flint_client::Registry::new();
    db.register_metrics(&registry);
    let text = registry.encode_text();
    for line in [
        "prometheus_tsdb_head_series 2\n",
        "prometheus_tsdb_head_samples_appended_total{type=\"float\"} 8\n",
        "prometheus_tsdb_wal_corruptions_total 0\n",
        "prometheus_tsdb_blocks_loaded 0\n",
        "prometheus_tsdb_compactions_total 0\n",
        "prometheus_tsdb_head_chunks 2\n",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    let status = db.status(10);
    assert_eq!(status.head.num_series, 2);
    assert_eq!(status.head.series_count_by_metric_name[0].value, 1);
    assert_eq!(
        status.head.label_value_count_by_label_name[0].name,
        "__name__"
    );
}

#[test]
fn read_only_opening_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 3, 0, 5 * H, 10 * 60_000);
    db.compact().unwrap();
    let list = |p: &Path| {
        let mut v: Vec<String> = walk(p);
        v.sort();
        v
    };
    // A server still holds the directory: read-only opening needs no lock.
    let before = list(dir.path());
    let ro = Db::open_read_only(dir.path()).unwrap();
    assert_eq!(
        sorted(select(&ro, i64::MIN, i64::MAX, &[])),
        expected(3, 0, 5 * H, 10 * 60_000)
    );
    assert!(ro.appender().append(None, &series(0), 6 * H, 1.0).is_err());
    assert!(matches!(ro.compact(), Err(Error::ReadOnly)));
    drop(ro);
    assert_eq!(list(dir.path()), before);
    drop(db);
}

fn walk(p: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let path = e.path();
        let len = e.metadata().map(|m| m.len()).unwrap_or(0);
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(format!("{} {len}", path.display()));
        }
    }
    out
}

#[test]
fn a_clean_restart_replays_no_sample_and_keeps_chunks_full() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, 4, 0, 50 * 15_000, 15_000);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    assert_eq!(
        db.replay_stats().samples,
        0,
        "every sample was in a head chunk"
    );
    assert_eq!(db.replay_stats().reopened_chunks, 4);
    fill(&db, 4, 50 * 15_000, 100 * 15_000, 15_000);
    drop(db);
    let db = Db::open(dir.path(), opts()).unwrap();
    let want = expected(4, 0, 100 * 15_000, 15_000);
    assert_eq!(sorted(select(&db, i64::MIN, i64::MAX, &[])), want);
    // One chunk of 100 samples per series, not two halves.
    let s = db.head().series(1).unwrap();
    let st = s.lock();
    assert!(st.mmapped.is_empty());
    assert_eq!(st.open.as_ref().map(|c| c.app.num_samples()), Some(100));
}

#[test]
fn exemplars_and_metadata_are_logged_with_the_commit() {
    use crate::record::{Decoder, Record};
    use flint_model::{Exemplar, Metadata, MetricType};
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let mut app = db.appender();
    let r = app.append(None, &series(0), 5000, 1.0).unwrap();
    let e = Exemplar {
        labels: vec![("trace_id".into(), "abc".into())],
        value: 0.5,
        timestamp: None,
    };
    app.append_exemplar(Some(r), &Labels::empty(), &e).unwrap();
    let m = Metadata {
        metric_type: MetricType::Counter,
        unit: String::new(),
        help: "Things.".into(),
    };
    app.update_metadata(Some(r), &Labels::empty(), &m).unwrap();
    app.commit().unwrap();
    db.close().unwrap();
    let mut reader = crate::wlog::Reader::open_dir(&dir.path().join("wal")).unwrap();
    let mut decoder = Decoder::new();
    let (mut exemplars, mut metadata) = (Vec::new(), Vec::new());
    while let Some(rec) = reader.next_record().unwrap() {
        match decoder.decode(rec).unwrap() {
            Record::Exemplars(v) => exemplars.extend(v),
            Record::Metadata(v) => metadata.extend(v),
            _ => {}
        }
    }
    assert_eq!(exemplars.len(), 1);
    assert_eq!((exemplars[0].t, exemplars[0].v), (5000, 0.5));
    assert_eq!(exemplars[0].labels.get("trace_id"), Some("abc"));
    assert_eq!(metadata.len(), 1);
    assert_eq!(metadata[0].meta.help, "Things.");
}

#[test]
fn overlapping_blocks_are_merged_without_duplicates() {
    use crate::block::BlockWriter;
    let dir = tempfile::tempdir().unwrap();
    // Two blocks over the same hour (as after a backfill next to scraped data), sharing a
    // series and a few timestamps.
    let write = |offset: i64| {
        let mut w = BlockWriter::new().with_time_range(0, H);
        let samples: Vec<(i64, f64)> = (0..60).map(|k| (offset + k * 60_000, 1.0)).collect();
        w.add_samples(series(0), &samples).unwrap();
        w.add_samples(series(offset as usize % 7 + 1), &samples)
            .unwrap();
        w.write(dir.path()).unwrap();
    };
    write(0);
    write(30_000);
    let db = Db::open(dir.path(), opts()).unwrap();
    let before = select(&db, i64::MIN, i64::MAX, &[Matcher::equal("i", "0")]);
    assert_eq!(before[0].1.len(), 120, "merged at query time");
    db.compact().unwrap();
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 1, "vertical compaction");
    assert_eq!(blocks[0].meta().compaction.level, 2);
    assert_eq!(db.metrics().vertical_compactions.load(Ordering::Relaxed), 1);
    let after = select(&db, i64::MIN, i64::MAX, &[]);
    assert_eq!(after.len(), 3);
    assert_eq!(
        select(&db, i64::MIN, i64::MAX, &[Matcher::equal("i", "0")]),
        before
    );
}

#[tokio::test(start_paused = true)]
async fn the_background_loop_compacts_and_closes_on_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(db.clone().run(cancel.clone()));
    // A commit that leaves the head compactable wakes the loop.
    fill(&db, 2, 0, 4 * H, 10 * 60_000);
    // Compaction runs on the blocking pool, in real time: wait for it (bounded).
    for _ in 0..500 {
        if !db.blocks().is_empty() {
            break;
        }
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(10)))
            .await
            .unwrap();
    }
    assert_eq!(db.blocks().len(), 1);
    cancel.cancel();
    task.await.unwrap().unwrap();
    assert!(
        db.appender().append(None, &series(0), 5 * H, 1.0).is_err(),
        "closed"
    );
}
