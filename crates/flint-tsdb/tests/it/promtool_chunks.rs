//! Bit-exactness of the XOR chunk against the real Prometheus: promtool backfills blocks from an
//! OpenMetrics file; every chunk in its chunk file must decode to the samples we fed in and
//! re-encode to the very same bytes.

#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use flint_tsdb::chunkenc::{Encoding, XorAppender, XorChunk};

/// Samples per series, keyed by a series id that is also its value pattern.
fn generate_input() -> (String, Vec<(i64, u64)>) {
    let mut text = String::from("# HELP m A test metric.\n# TYPE m gauge\n");
    let mut all = Vec::new();
    let start = 1_700_000_000_000i64;
    for series in 0..6u32 {
        for i in 0..500i64 {
            // Irregular steps and values of every kind of XOR delta.
            let t = start + i * 15_000 + i64::from(series) * 7 + (i % 7) * 1_001;
            let v = match series {
                0 => 1.0,
                1 => i as f64,
                2 => (i as f64 * 0.37).sin() * 1e6,
                3 => (i * i) as f64 / 3.0,
                4 => {
                    if i % 10 == 0 {
                        -0.5
                    } else {
                        1e-300 * i as f64
                    }
                }
                _ => f64::from(u32::try_from(i % 3).unwrap_or(0)) * 1234.5678,
            };
            // Timestamps in OpenMetrics are seconds; keep millisecond precision.
            writeln!(
                text,
                "m{{s=\"{series}\"}} {v:?} {}.{:03}",
                t / 1000,
                t % 1000
            )
            .unwrap();
            all.push((t, v.to_bits()));
        }
    }
    // OpenMetrics wants each series' samples together and in time order: already so.
    text.push_str("# EOF\n");
    (text, all)
}

fn chunk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for block in std::fs::read_dir(dir).unwrap().flatten() {
        let chunks = block.path().join("chunks");
        if let Ok(entries) = std::fs::read_dir(&chunks) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
    }
    files.sort();
    files
}

/// Splits a chunk segment file into (encoding byte, data) pairs.
fn read_segment(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(
        &bytes[..4],
        &0x85BD_40DDu32.to_be_bytes(),
        "chunk file magic"
    );
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let (len, n) = uvarint(&bytes[pos..]);
        pos += n;
        let encoding = bytes[pos];
        let data = bytes[pos + 1..pos + 1 + len].to_vec();
        pos += 1 + len + 4; // encoding, data, CRC32C
        out.push((encoding, data));
    }
    out
}

fn uvarint(b: &[u8]) -> (usize, usize) {
    let mut v = 0usize;
    for (i, byte) in b.iter().enumerate() {
        v |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    panic!("bad uvarint");
}

#[test]
fn promtool_chunks_decode_and_reencode_identically() {
    let Some(promtool) = flint_testkit::find_program("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (text, mut want) = generate_input();
    let input = dir.path().join("input.om");
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("blocks");
    let status = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    let mut got = Vec::new();
    let mut chunks = 0;
    let mut per_size = BTreeMap::new();
    for file in chunk_files(&out) {
        for (encoding, data) in read_segment(&std::fs::read(file).unwrap()) {
            assert_eq!(Encoding::from_byte(encoding), Some(Encoding::Xor));
            let chunk = XorChunk::from_bytes(data.clone()).unwrap();
            let mut app = XorAppender::new();
            for s in chunk.iter() {
                let s = s.unwrap();
                got.push((s.t, s.v.to_bits()));
                app.append(s.t, s.v).unwrap();
            }
            assert_eq!(
                app.into_chunk().bytes(),
                data.as_slice(),
                "re-encoded chunk differs"
            );
            chunks += 1;
            *per_size.entry(chunk.num_samples()).or_insert(0) += 1;
        }
    }
    assert!(chunks >= 6, "expected several chunks, got {chunks}");
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    eprintln!(
        "promtool chunks: {chunks} decoded and re-encoded bit for bit; samples per chunk: {per_size:?}"
    );
}
