//! [`ChunkReader`]: reads chunks from memory-mapped segment files, checking every bound.

use std::path::{Path, PathBuf};

use super::{CHUNKS_FORMAT_V1, ChunkRef, MAGIC_CHUNKS, SEGMENT_HEADER_SIZE};
use crate::chunkenc::Encoding;
use crate::error::{Error, Result};
use crate::index::buf::{crc32, read_uvarint};
use crate::mmap::Mmap;

/// Reads the chunks of a block's `chunks/` directory.
#[derive(Debug)]
pub struct ChunkReader {
    segments: Vec<(PathBuf, Mmap)>,
}

impl ChunkReader {
    /// Maps every segment file of `dir` (sorted by name) and checks their headers.
    pub fn open(dir: &Path) -> Result<Self> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                paths.push(entry.path());
            }
        }
        paths.sort();
        let mut segments = Vec::with_capacity(paths.len());
        for path in paths {
            let map = Mmap::open(&path)?;
            check_header(&path, &map)?;
            segments.push((path, map));
        }
        Ok(ChunkReader { segments })
    }

    /// Number of segment files.
    pub fn num_segments(&self) -> usize {
        self.segments.len()
    }

    /// The encoding and data of the chunk at `r`, after checking its CRC. A reference outside
    /// the files or a checksum mismatch is an error.
    pub fn chunk(&self, r: ChunkRef) -> Result<(Encoding, &[u8])> {
        let Some((path, map)) = self.segments.get(r.segment() as usize) else {
            return Err(Error::corrupt(
                "chunks",
                format!("chunk ref {:#x}: no segment {}", r.0, r.segment()),
            ));
        };
        let bad = |reason: &str| {
            Error::corrupt(path, format!("chunk at offset {}: {reason}", r.offset()))
        };
        let start = r.offset() as usize;
        if start < SEGMENT_HEADER_SIZE || start >= map.len() {
            return Err(bad("offset outside the segment"));
        }
        let (len, n) = read_uvarint(&map[start..]).ok_or_else(|| bad("bad length"))?;
        let len = usize::try_from(len).map_err(|_| bad("bad length"))?;
        let enc_pos = start + n;
        let end = enc_pos
            .checked_add(1 + len)
            .filter(|end| end.checked_add(4).is_some_and(|e| e <= map.len()))
            .ok_or_else(|| bad("chunk extends past the end of the segment"))?;
        let body = &map[enc_pos..end];
        let want = u32::from_be_bytes([map[end], map[end + 1], map[end + 2], map[end + 3]]);
        if crc32(body) != want {
            return Err(bad("checksum mismatch"));
        }
        let encoding = Encoding::from_byte(body[0])
            .ok_or_else(|| bad(&format!("unknown encoding {}", body[0])))?;
        Ok((encoding, &body[1..]))
    }
}

fn check_header(path: &Path, map: &[u8]) -> Result<()> {
    if map.len() < SEGMENT_HEADER_SIZE {
        return Err(Error::corrupt(path, "shorter than the segment header"));
    }
    let magic = u32::from_be_bytes([map[0], map[1], map[2], map[3]]);
    if magic != MAGIC_CHUNKS {
        return Err(Error::corrupt(path, format!("bad magic {magic:#x}")));
    }
    if map[4] != CHUNKS_FORMAT_V1 {
        return Err(Error::corrupt(path, format!("unknown version {}", map[4])));
    }
    Ok(())
}
