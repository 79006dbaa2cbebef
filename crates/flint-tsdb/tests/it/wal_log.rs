//! The segmented log: records read back as written across page and segment boundaries,
//! restarts, truncation and checkpoints.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use flint_model::Labels;
use flint_tsdb::record::{self, Decoder, Record, RefSample, RefSeries};
use flint_tsdb::wlog::{
    self, PAGE_SIZE, Reader, Writer, WriterOptions, checkpoint, checkpoint_dir, delete_checkpoints,
    last_checkpoint, list_segments,
};
use proptest::prelude::*;

fn opts(segment_pages: usize, compress: bool) -> WriterOptions {
    WriterOptions {
        segment_size: segment_pages * PAGE_SIZE,
        compress,
        sync_every_commit: false,
    }
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    let mut r = Reader::open_dir(dir).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        out.push(rec.to_vec());
    }
    out
}

/// A record of `len` bytes: compressible (repeating) or not (pseudo-random), per `seed`.
fn make_record(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|i| {
            if seed.is_multiple_of(2) {
                (i % 7) as u8
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }
        })
        .collect()
}

fn record_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..64,
        0usize..PAGE_SIZE,
        PAGE_SIZE - 20..PAGE_SIZE + 20,
        0usize..3 * PAGE_SIZE
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn records_read_back_identical(
        batches in proptest::collection::vec(proptest::collection::vec((record_len(), any::<u64>()), 1..6), 1..8),
        compress in any::<bool>(),
        segment_pages in 1usize..4,
        reopen_after in 0usize..8,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wal");
        let (mut w, repaired) = Writer::open(&dir, opts(segment_pages, compress)).unwrap();
        prop_assert!(repaired.is_none());
        let mut written = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            if i == reopen_after {
                // A restart: the writer continues in a new segment after the existing ones.
                w.close().unwrap();
                let (w2, repaired) = Writer::open(&dir, opts(segment_pages, compress)).unwrap();
                prop_assert!(repaired.is_none());
                w = w2;
            }
            let recs: Vec<Vec<u8>> = batch.iter().map(|&(len, seed)| make_record(len, seed)).collect();
            let refs: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
            w.log(&refs).unwrap();
            written.extend(recs);
        }
        // Readable before close (partial last page) and after (padded).
        prop_assert_eq!(&read_all(&dir), &written);
        w.close().unwrap();
        prop_assert_eq!(read_all(&dir), written);
        for s in list_segments(&dir).unwrap() {
            prop_assert_eq!(std::fs::metadata(&s.path).unwrap().len() % PAGE_SIZE as u64, 0);
        }
    }
}

#[test]
fn restart_continues_in_new_segment_and_truncate_deletes_old_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for i in 0..3u8 {
        let (mut w, _) = Writer::open(dir, WriterOptions::default()).unwrap();
        assert_eq!(w.current_segment(), u64::from(i));
        w.log(&[&[i; 10]]).unwrap();
        w.close().unwrap();
    }
    let (mut w, _) = Writer::open(dir, WriterOptions::default()).unwrap();
    assert_eq!(w.current_segment(), 3);
    w.truncate(2).unwrap();
    let idx: Vec<u64> = list_segments(dir)
        .unwrap()
        .iter()
        .map(|s| s.index)
        .collect();
    assert_eq!(idx, [2, 3]);
    // The segment being written is never deleted.
    w.truncate(100).unwrap();
    let idx: Vec<u64> = list_segments(dir)
        .unwrap()
        .iter()
        .map(|s| s.index)
        .collect();
    assert_eq!(idx, [3]);
    assert_eq!(w.next_segment().unwrap(), 4);
    w.log(&[b"x"]).unwrap();
    w.sync().unwrap();
    w.close().unwrap();
    assert_eq!(read_all(dir), vec![b"x".to_vec()]);
}

#[test]
fn fragments_and_compression_flags_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = Writer::open(tmp.path(), opts(4, true)).unwrap();
    let big = make_record(PAGE_SIZE + 100, 1); // Incompressible: stored raw, in 2 fragments.
    let small = vec![7u8; 1000]; // Compressible: snappy flag.
    w.log(&[&big, &small]).unwrap();
    w.close().unwrap();
    let seg = std::fs::read(tmp.path().join("00000000")).unwrap();
    assert_eq!(seg.len(), 2 * PAGE_SIZE);
    assert_eq!(seg[0], 2, "first fragment, uncompressed");
    assert_eq!(u16::from_be_bytes([seg[1], seg[2]]) as usize, PAGE_SIZE - 7);
    assert_eq!(seg[PAGE_SIZE], 4, "last fragment");
    let next = PAGE_SIZE + 7 + (PAGE_SIZE + 100 - (PAGE_SIZE - 7));
    assert_eq!(seg[next], 1 | 8, "full fragment, snappy");
    assert_eq!(read_all(tmp.path()), vec![big, small]);
}

#[test]
fn zstd_is_rejected_clearly_and_not_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seg = vec![1 | 16, 0, 3];
    seg.extend_from_slice(&crc32c::crc32c(b"abc").to_be_bytes());
    seg.extend_from_slice(b"abc");
    std::fs::write(tmp.path().join("00000000"), &seg).unwrap();
    let err = Writer::open(tmp.path(), WriterOptions::default()).unwrap_err();
    assert!(err.to_string().contains("zstd"), "{err}");
    assert_eq!(std::fs::read(tmp.path().join("00000000")).unwrap(), seg);
}

#[test]
fn records_larger_than_a_segment_get_their_own() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = Writer::open(tmp.path(), opts(1, false)).unwrap();
    let recs = [
        make_record(10, 3),
        make_record(3 * PAGE_SIZE, 5),
        make_record(10, 7),
    ];
    for r in &recs {
        w.log(&[r]).unwrap();
    }
    w.close().unwrap();
    assert_eq!(read_all(tmp.path()), recs.to_vec());
    assert_eq!(list_segments(tmp.path()).unwrap().len(), 3);
}

fn series(r: u64) -> RefSeries {
    RefSeries {
        r,
        labels: Labels::from_pairs([("__name__", "m"), ("i", r.to_string().as_str())]),
    }
}

fn decode_all(reader: &mut Reader) -> Vec<Record> {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    while let Some(rec) = reader.next_record().unwrap() {
        out.push(d.decode(rec).unwrap());
    }
    out
}

#[test]
fn checkpoint_keeps_live_series_and_recent_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut w, _) = Writer::open(dir, opts(1, true)).unwrap();
    let mut buf = Vec::new();
    for seg in 0..4u64 {
        buf.clear();
        record::series(&[series(seg * 2), series(seg * 2 + 1)], &mut buf);
        let mut samples_buf = Vec::new();
        let s: Vec<RefSample> = (0..4)
            .map(|r| RefSample {
                r,
                t: seg as i64 * 100,
                v: 1.0,
            })
            .collect();
        record::samples(&s, &mut samples_buf);
        w.log(&[&buf, &samples_buf]).unwrap();
        w.next_segment().unwrap();
    }
    w.log(&[b"\x02"]).unwrap(); // An empty samples record in segment 4.
    // Checkpoint segments 0..=2: keep even series, samples at t >= 100.
    let stats = checkpoint(dir, 0, 2, |r| r % 2 == 0, 100, true).unwrap();
    assert_eq!((stats.total_series, stats.dropped_series), (3, 3));
    assert_eq!((stats.total_samples, stats.dropped_samples), (8, 4));
    assert_eq!(
        last_checkpoint(dir).unwrap(),
        Some((checkpoint_dir(dir, 2), 2))
    );
    w.truncate(3).unwrap();
    let (mut reader, cp) = Reader::from_last_checkpoint(dir).unwrap();
    assert_eq!(cp, Some(2));
    let recs = decode_all(&mut reader);
    let all_series = |recs: &[Record]| -> Vec<RefSeries> {
        recs.iter()
            .filter_map(|r| {
                if let Record::Series(s) = r {
                    Some(s.clone())
                } else {
                    None
                }
            })
            .flatten()
            .collect()
    };
    assert_eq!(all_series(&recs[..5])[..], [0, 2, 4].map(series));
    // Then segment 3's records and segment 4's.
    assert!(matches!(&recs[recs.len() - 1], Record::Samples(s) if s.is_empty()));
    assert!(matches!(&recs[recs.len() - 3], Record::Series(s) if s.len() == 2 && s[0].r == 6));

    // A second checkpoint builds on the first one.
    checkpoint(dir, 3, 3, |r| r == 6, 300, false).unwrap();
    delete_checkpoints(dir, 3).unwrap();
    assert_eq!(
        last_checkpoint(dir).unwrap(),
        Some((checkpoint_dir(dir, 3), 3))
    );
    assert!(!checkpoint_dir(dir, 2).exists());
    let (mut reader, _) = Reader::from_last_checkpoint(dir).unwrap();
    let recs = decode_all(&mut reader);
    assert_eq!(all_series(&recs[..2]), vec![series(6)]);
    w.close().unwrap();
    // Unfinished checkpoints are ignored.
    std::fs::create_dir(dir.join("checkpoint.00000009.tmp")).unwrap();
    assert_eq!(last_checkpoint(dir).unwrap().map(|c| c.1), Some(3));
    let _ = wlog::DEFAULT_SEGMENT_SIZE;
}
