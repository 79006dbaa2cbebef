//! Repair: torn tails at every byte of the last page, corrupt CRCs, bad fragment sequences and
//! garbage must always open, keep every complete record before the damage, and report it.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use flint_tsdb::wlog::{PAGE_SIZE, Reader, SegmentRef, Writer, WriterOptions, segment_path};
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

fn record(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j * 7 + j / 5) as u8).collect()
}

/// The end offsets of the records of one segment.
fn record_ends(path: &Path, index: u64) -> Vec<usize> {
    let mut r = Reader::new(vec![SegmentRef {
        index,
        path: path.to_path_buf(),
    }]);
    let mut ends = Vec::new();
    while r.next_record().unwrap().is_some() {
        ends.push(r.offset());
    }
    ends
}

/// Writes segment 0 (closed), then segment 1 left as after a crash (last page partial unless
/// `close`). Returns the records of each.
fn build(dir: &Path, close: bool) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut w, _) = Writer::open(dir, opts(4, true)).unwrap();
    let first: Vec<Vec<u8>> = (0..5).map(|i| record(i, 700)).collect();
    for r in &first {
        w.log(&[r]).unwrap();
    }
    w.close().unwrap();
    let (mut w, _) = Writer::open(dir, opts(4, true)).unwrap();
    let sizes = [10, 3000, 40_000, 0, 1, 5000, 7, 200, 9000, 64, 3];
    let second: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &l)| record(i + 100, l))
        .collect();
    for r in &second {
        w.log(&[r]).unwrap();
    }
    if close {
        w.close().unwrap();
    }
    (first, second)
}

fn torn_tail_at_every_offset(close: bool, step: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (first, second) = build(dir, close);
    let seg1 = segment_path(dir, 1);
    let full = std::fs::read(&seg1).unwrap();
    let ends = record_ends(&seg1, 1);
    assert_eq!(ends.len(), second.len());
    let page_start = (full.len() - 1) / PAGE_SIZE * PAGE_SIZE;
    assert!(
        full.len() - page_start > 1000,
        "the last page holds several records"
    );
    for cut in (page_start..=full.len()).step_by(step) {
        let _ = std::fs::remove_file(segment_path(dir, 2));
        std::fs::write(&seg1, &full[..cut]).unwrap();
        let kept = ends.iter().filter(|&&e| e <= cut).count();
        let last_end = if kept == 0 { 0 } else { ends[kept - 1] };
        let clean = full[last_end..cut].iter().all(|&b| b == 0);

        let (w, repaired) = Writer::open(dir, opts(4, true)).unwrap();
        assert_eq!(repaired.is_some(), !clean, "cut at {cut}");
        if let Some(rep) = &repaired {
            assert_eq!(rep.corruption.segment, 1);
            assert_eq!(rep.corruption.offset as usize, last_end, "cut at {cut}");
            assert_eq!(std::fs::metadata(&seg1).unwrap().len() as usize, last_end);
        }
        assert_eq!(w.current_segment(), 2);
        drop(w);
        let got = read_all(dir);
        assert_eq!(got.len(), first.len() + kept, "cut at {cut}");
        assert_eq!(&got[..first.len()], &first[..]);
        assert_eq!(&got[first.len()..], &second[..kept]);
    }
}

#[test]
fn torn_tail_at_every_byte_of_a_partial_last_page() {
    torn_tail_at_every_offset(false, 1);
}

#[test]
fn torn_tail_in_a_padded_last_page() {
    torn_tail_at_every_offset(true, 13);
}

#[test]
fn corrupted_crc_in_the_middle_of_the_last_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut w, _) = Writer::open(dir, opts(2, false)).unwrap();
    let recs: Vec<Vec<u8>> = (0..60).map(|i| record(i, 3000)).collect();
    for r in &recs {
        w.log(&[r]).unwrap();
    }
    drop(w);
    let segs = flint_tsdb::wlog::list_segments(dir).unwrap();
    let last = segs.last().unwrap();
    let before: usize = segs[..segs.len() - 1]
        .iter()
        .map(|s| record_ends(&s.path, s.index).len())
        .sum();
    let ends = record_ends(&last.path, last.index);
    let victim = ends.len() / 2;
    let mut bytes = std::fs::read(&last.path).unwrap();
    bytes[ends[victim - 1] + 100] ^= 0x40;
    std::fs::write(&last.path, &bytes).unwrap();

    let (w, repaired) = Writer::open(dir, opts(2, false)).unwrap();
    let rep = repaired.unwrap();
    assert_eq!(rep.corruption.segment, last.index);
    assert_eq!(rep.corruption.offset as usize, ends[victim - 1]);
    assert!(
        rep.corruption.reason.contains("checksum"),
        "{}",
        rep.corruption.reason
    );
    drop(w);
    assert_eq!(read_all(dir), recs[..before + victim].to_vec());
}

#[test]
fn corruption_in_an_earlier_segment_is_repaired_during_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut w, _) = Writer::open(dir, opts(1, false)).unwrap();
    let recs: Vec<Vec<u8>> = (0..30).map(|i| record(i, 5000)).collect();
    for r in &recs {
        w.log(&[r]).unwrap();
    }
    w.close().unwrap();
    // Segment 1 gets a bad CRC in its third record; the last segment is fine.
    let seg1 = segment_path(dir, 1);
    let ends = record_ends(&seg1, 1);
    let mut bytes = std::fs::read(&seg1).unwrap();
    bytes[ends[1] + 3] ^= 1; // In the CRC field of the third record's header.
    std::fs::write(&seg1, &bytes).unwrap();

    let (mut w, repaired) = Writer::open(dir, opts(1, false)).unwrap();
    assert!(repaired.is_none(), "open checks only the last segment");
    let mut reader = Reader::open_dir(dir).unwrap();
    let mut n = 0;
    let err = loop {
        match reader.next_record() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("corruption not found"),
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("00000001"), "{err}");
    let c = reader.corruption().unwrap().clone();
    assert_eq!((c.segment, c.offset as usize), (1, ends[1]));
    let rep = w.repair(&c).unwrap();
    assert!(!rep.deleted_segments.is_empty());
    assert_eq!(w.current_segment(), 2);
    w.log(&[b"after repair"]).unwrap();
    w.close().unwrap();
    let mut want = recs[..n].to_vec();
    want.push(b"after repair".to_vec());
    assert_eq!(read_all(dir), want);
}

fn frag(typ: u8, data: &[u8]) -> Vec<u8> {
    let mut f = vec![typ];
    f.extend_from_slice(&(data.len() as u16).to_be_bytes());
    f.extend_from_slice(&crc32c::crc32c(data).to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn bad_fragment_sequences_are_cut() {
    type Case<'a> = (&'a [(u8, &'a [u8])], usize);
    let cases: [Case<'_>; 4] = [
        (&[(1, b"ok"), (3, b"middle first")], 1),
        (&[(1, b"ok"), (2, b"first"), (1, b"full inside")], 1),
        (&[(1, b"ok"), (4, b"last first")], 1),
        (&[(1, b"ok"), (1, b"ok"), (6, b"bad type")], 2),
    ];
    for (frags, good) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let seg: Vec<u8> = frags.iter().flat_map(|(t, d)| frag(*t, d)).collect();
        std::fs::write(segment_path(tmp.path(), 0), &seg).unwrap();
        let (_w, repaired) = Writer::open(tmp.path(), WriterOptions::default()).unwrap();
        assert!(repaired.is_some());
        assert_eq!(read_all(tmp.path()).len(), good);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn garbage_after_good_records_always_opens(garbage in proptest::collection::vec(any::<u8>(), 0..3000), cut in 0usize..2) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (mut w, _) = Writer::open(dir, opts(1, true)).unwrap();
        let recs: Vec<Vec<u8>> = (0..3).map(|i| record(i, 100)).collect();
        for r in &recs {
            w.log(&[r]).unwrap();
        }
        drop(w);
        let seg = segment_path(dir, 0);
        let mut bytes = std::fs::read(&seg).unwrap();
        bytes.truncate(bytes.len() - cut);
        bytes.extend_from_slice(&garbage);
        std::fs::write(&seg, &bytes).unwrap();
        let (w, _) = Writer::open(dir, opts(1, true)).unwrap();
        drop(w);
        let got = read_all(dir);
        prop_assert!(got.len() <= 3 + garbage.len());
        let intact = got.len().min(3 - cut);
        prop_assert_eq!(&got[..intact], &recs[..intact]);
    }
}
