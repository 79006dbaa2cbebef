//! Chunk segment files of blocks (`<block>/chunks/000001`, …), after Prometheus's
//! `tsdb/docs/format/chunks.md`.
//!
//! A segment starts with the magic `0x85BD40DD`, the version byte `1` and three bytes of
//! padding. Each chunk then takes: its data length (uvarint), its encoding byte, its data and a
//! big-endian CRC32-Castagnoli of encoding and data. A [`ChunkRef`] holds the segment's index
//! (position among the sorted segment files, from 0) in its upper 32 bits and the chunk's byte
//! offset in the lower 32.

mod reader;
mod writer;

pub use reader::ChunkReader;
pub use writer::ChunkWriter;

/// Magic number at the start of every chunk segment file.
pub const MAGIC_CHUNKS: u32 = 0x85BD_40DD;
/// Format version of chunk segment files.
pub const CHUNKS_FORMAT_V1: u8 = 1;
/// Bytes of the segment header: magic, version and padding.
pub const SEGMENT_HEADER_SIZE: usize = 8;
/// Default largest segment size (Prometheus's `DefaultChunkSegmentSize`).
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;

/// Where a chunk lives: segment index in the upper 32 bits, byte offset in the lower 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChunkRef(pub u64);

impl ChunkRef {
    /// The reference of the chunk at `offset` of segment `segment`.
    pub fn new(segment: u32, offset: u32) -> Self {
        ChunkRef((u64::from(segment) << 32) | u64::from(offset))
    }

    /// Index of the segment file (0 for `000001`).
    pub fn segment(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Byte offset inside the segment.
    pub fn offset(self) -> u32 {
        self.0 as u32
    }
}

/// A chunk's time range and location, as the index stores it for each series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    /// Timestamp of the chunk's first sample.
    pub min_time: i64,
    /// Timestamp of the chunk's last sample.
    pub max_time: i64,
    /// Where the chunk is stored.
    pub chunk_ref: ChunkRef,
}

impl ChunkMeta {
    /// Whether the chunk may hold samples in `[mint, maxt]`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint <= self.max_time
    }
}

/// File name of segment number `n` (1-based): `000001`.
pub fn segment_name(n: u32) -> String {
    format!("{n:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::{Encoding, XorAppender};

    #[test]
    fn chunk_ref_parts() {
        let r = ChunkRef::new(3, 0xdead_beef);
        assert_eq!(r.segment(), 3);
        assert_eq!(r.offset(), 0xdead_beef);
        assert_eq!(segment_name(1), "000001");
    }

    #[test]
    fn write_read_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let chunks_dir = dir.path().join("chunks");
        let mut w = ChunkWriter::create(&chunks_dir)
            .unwrap()
            .with_segment_size(200);
        let mut want = Vec::new();
        for i in 0..20i64 {
            let mut app = XorAppender::new();
            for j in 0..(i + 1) {
                app.append(j * 1000, (i * j) as f64).unwrap();
            }
            let data = app.into_chunk().bytes().to_vec();
            let r = w.write_chunk(Encoding::Xor, &data).unwrap();
            want.push((r, data));
        }
        w.finish().unwrap();
        let files = std::fs::read_dir(&chunks_dir).unwrap().count();
        assert!(files > 1, "expected several segments, got {files}");
        let r = ChunkReader::open(&chunks_dir).unwrap();
        for (cref, data) in &want {
            let (enc, got) = r.chunk(*cref).unwrap();
            assert_eq!(enc, Encoding::Xor);
            assert_eq!(got, data.as_slice());
        }
        assert!(r.chunk(ChunkRef::new(99, 8)).is_err());
        assert!(r.chunk(ChunkRef::new(0, 5_000)).is_err());
        assert!(r.chunk(ChunkRef::new(0, 3)).is_err());
    }

    #[test]
    fn crc_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ChunkWriter::create(dir.path()).unwrap();
        let cref = w.write_chunk(Encoding::Xor, &[0, 1, 2, 3, 4]).unwrap();
        w.finish().unwrap();
        let path = dir.path().join("000001");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[11] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let r = ChunkReader::open(dir.path()).unwrap();
        assert!(r.chunk(cref).is_err());
    }

    #[test]
    fn bad_header_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("000001"), [1, 2, 3]).unwrap();
        assert!(ChunkReader::open(dir.path()).is_err());
    }
}
