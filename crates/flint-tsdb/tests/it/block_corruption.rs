//! Corrupt block files give errors, never panics.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure.
use std::path::Path;

use flint_model::{Labels, Matcher};
use flint_storage::{Queryable, ValueType};
use flint_tsdb::block::{Block, BlockWriter};

fn write_block(dir: &Path) -> std::path::PathBuf {
    let mut w = BlockWriter::new();
    for i in 0..8 {
        let labels = Labels::from_pairs([("__name__", "m".to_owned()), ("i", i.to_string())]);
        let samples: Vec<_> = (0..150).map(|k| (k * 1000, (k * i) as f64)).collect();
        w.add_samples(labels, &samples).unwrap();
    }
    let meta = w.write(dir).unwrap();
    dir.join(meta.ulid.to_string())
}

/// Opens the block and reads everything; returns whether an error was seen.
fn read_all(dir: &Path) -> bool {
    let Ok(block) = Block::open(dir) else {
        return true;
    };
    let q = block.querier(i64::MIN, i64::MAX).unwrap();
    let mut failed = q.label_values("i", &[], 0).is_err();
    failed |= q.label_names(&[Matcher::equal("i", "3")], 0).is_err();
    let mut selectors = vec![vec![Matcher::regex_match("__name__", ".+").unwrap()]];
    for i in 0..8 {
        selectors.push(vec![Matcher::equal("i", i.to_string())]);
    }
    for ms in &selectors {
        failed |= read_series(&*q, ms);
    }
    failed
}

fn read_series(q: &dyn flint_storage::Querier, ms: &[Matcher]) -> bool {
    let mut failed = false;
    let mut set = q.select(true, None, ms);
    while let Some(s) = set.next_series() {
        match s {
            Ok(s) => {
                let mut it = s.iterator();
                while it.next() == ValueType::Float {}
                failed |= it.err().is_some();
            }
            Err(_) => failed = true,
        }
    }
    failed
}

fn flip_each_byte(file: &Path, block: &Path, step: usize) -> (usize, usize) {
    let good = std::fs::read(file).unwrap();
    let (mut tried, mut detected) = (0, 0);
    for pos in (0..good.len()).step_by(step) {
        let mut bad = good.clone();
        bad[pos] ^= 0x41;
        std::fs::write(file, &bad).unwrap();
        tried += 1;
        detected += usize::from(read_all(block));
    }
    std::fs::write(file, &good).unwrap();
    (tried, detected)
}

#[test]
fn flipped_bytes_in_index_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let block = write_block(dir.path());
    assert!(!read_all(&block));
    let (tried, detected) = flip_each_byte(&block.join("index"), &block, 1);
    // Padding and the label index sections (which readers no longer use) are not read.
    eprintln!("index: {detected}/{tried} flips detected, no panics");
    assert!(detected * 10 >= tried * 7, "{detected}/{tried} detected");
}

#[test]
fn flipped_bytes_in_chunks_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let block = write_block(dir.path());
    let (tried, detected) = flip_each_byte(&block.join("chunks").join("000001"), &block, 3);
    // Bytes 5..8 are header padding.
    assert!(tried - detected <= 1, "{detected}/{tried} detected");
}

#[test]
fn truncated_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let block = write_block(dir.path());
    for name in ["index", "chunks/000001", "tombstones", "meta.json"] {
        let path = block.join(name);
        let good = std::fs::read(&path).unwrap();
        for len in [0, 3, 7, good.len() / 2, good.len() - 1] {
            std::fs::write(&path, &good[..len]).unwrap();
            assert!(read_all(&block), "{name} truncated to {len} went unnoticed");
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert!(!read_all(&block));
}
