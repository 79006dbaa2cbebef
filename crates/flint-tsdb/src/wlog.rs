//! The write-ahead log, laid out exactly as Prometheus's `tsdb/wlog`.
//!
//! A WAL is a directory of segment files named `%08d` (128 MiB by default). A segment is a
//! sequence of 32 KiB pages; only the last page of a segment may be partial (a reader treats a
//! short segment as padded with zeros up to the page boundary). A record is split into
//! fragments that never cross a page boundary and never cross a segment boundary. Each
//! fragment has a 7-byte header:
//!
//! ```text
//! ┌───────────┬──────────────────┬─────────────────────┬──────────────┐
//! │ type <1b> │ len <2b, BE u16> │ CRC32C <4b, BE u32> │ data <bytes> │
//! └───────────┴──────────────────┴─────────────────────┴──────────────┘
//! ```
//!
//! The type byte holds the fragment type in its low 3 bits (0 = rest of page is zeros,
//! 1 = full, 2 = first, 3 = middle, 4 = last), bit 3 flags a snappy-compressed record (block
//! format, compressed as a whole before fragmenting) and bit 4 a zstd-compressed one (which
//! Flint rejects). The CRC covers the fragment's data.
//!
//! Checkpoints are directories `checkpoint.%08d` holding a WAL of their own: the records of
//! the segments up to that index that are still needed. Replay reads the last checkpoint, then
//! the segments after it (see [`Reader::from_last_checkpoint`]).
//!
//! **Durability.** As Prometheus: every [`Writer::log`] call hands its bytes to the kernel
//! (`write(2)`); a segment is fsynced when it is complete (in the background) and on
//! [`Writer::close`]. Between those, a crash of the process loses nothing but a crash of the
//! machine may lose the page cache's unsynced tail, which [repair](Writer::open) cuts off on
//! the next start. [`WriterOptions::sync_every_commit`] fsyncs after every `log` call instead.

mod checkpoint;
pub(crate) mod reader;
mod repair;
mod tail;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};

pub use checkpoint::{
    CheckpointStats, checkpoint, checkpoint_dir, delete_checkpoints, last_checkpoint,
};
pub use reader::{Reader, RecordPosition, Records};
pub use repair::{Repair, repair};
pub use tail::{SegmentTail, TailEnd};
pub use writer::{Writer, WriterOptions};

use crate::error::{Error, Result};

/// Size of a page.
pub const PAGE_SIZE: usize = 32 * 1024;
/// Size of a fragment header.
pub const HEADER_SIZE: usize = 7;
/// Default maximum size of a segment.
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;

/// Header-byte flag of a snappy-compressed record.
const SNAPPY_MASK: u8 = 1 << 3;
/// Header-byte flag of a zstd-compressed record.
const ZSTD_MASK: u8 = 1 << 4;
/// Header-byte bits holding the fragment type.
const TYPE_MASK: u8 = SNAPPY_MASK - 1;

/// Fragment types (low 3 bits of the header byte).
const FRAG_PAGE_TERM: u8 = 0;
const FRAG_FULL: u8 = 1;
const FRAG_FIRST: u8 = 2;
const FRAG_MIDDLE: u8 = 3;
const FRAG_LAST: u8 = 4;

/// A segment file of a WAL directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRef {
    /// The segment's index (its file name).
    pub index: u64,
    /// The segment's path.
    pub path: PathBuf,
}

/// Where a WAL is corrupt: enough for [`repair`] to cut it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    /// The directory holding the segment (a WAL or a checkpoint).
    pub dir: PathBuf,
    /// The corrupt segment.
    pub segment: u64,
    /// Offset in the segment of the first record that could not be read whole.
    pub offset: u64,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "corruption in segment {} at offset {}: {}",
            segment_path(&self.dir, self.segment).display(),
            self.offset,
            self.reason
        )
    }
}

impl Corruption {
    /// The crate error for this corruption.
    pub fn to_error(&self) -> Error {
        Error::corrupt(
            segment_path(&self.dir, self.segment),
            format!("at offset {}: {}", self.offset, self.reason),
        )
    }
}

/// The path of segment `index` in `dir`.
pub fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:08}"))
}

/// The segments of `dir`, by index. Files whose names are not numbers are ignored; segments
/// must be consecutive, as upstream requires.
pub fn list_segments(dir: &Path) -> Result<Vec<SegmentRef>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut segs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(index) = name.parse::<u64>() else {
            continue;
        };
        segs.push(SegmentRef {
            index,
            path: entry.path(),
        });
    }
    segs.sort_by_key(|s| s.index);
    if segs.windows(2).any(|w| w[0].index + 1 != w[1].index) {
        return Err(Error::corrupt(dir, "WAL segments are not sequential"));
    }
    Ok(segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_numeric_segments_in_order() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for name in [
            "00000002",
            "00000001",
            "checkpoint.00000000",
            "00000003.repair",
            "x",
        ] {
            std::fs::write(tmp.path().join(name), b"").unwrap_or_else(|e| panic!("{e}"));
        }
        let segs = list_segments(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let idx: Vec<u64> = segs.iter().map(|s| s.index).collect();
        assert_eq!(idx, [1, 2]);
        assert_eq!(segs[0].path, segment_path(tmp.path(), 1));
        std::fs::write(tmp.path().join("00000004"), b"").unwrap_or_else(|e| panic!("{e}"));
        assert!(list_segments(tmp.path()).is_err(), "a gap is an error");
    }

    #[test]
    fn corruption_names_segment_and_offset() {
        let c = Corruption {
            dir: PathBuf::from("/data/wal"),
            segment: 7,
            offset: 1234,
            reason: "bad".into(),
        };
        assert_eq!(
            c.to_string(),
            "corruption in segment /data/wal/00000007 at offset 1234: bad"
        );
        assert!(c.to_error().to_string().contains("00000007"));
    }
}
