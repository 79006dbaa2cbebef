//! Cutting a WAL at its first corrupt record.
//!
//! Like Prometheus, everything after the corruption is discarded: records may depend on
//! earlier ones (samples on their series), so skipping only the bad record is not safe.
//! Prometheus rewrites the corrupt segment's good records into a fresh file; Flint truncates
//! the file at the start of the first bad record, which leaves the same records (a short
//! last page reads as zero-padded).

use std::fs::OpenOptions;
use std::path::Path;

use super::{Corruption, Reader, SegmentRef, list_segments, segment_path};
use crate::error::{Error, Result};

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The corruption that was repaired.
    pub corruption: Corruption,
    /// Bytes cut off the end of the corrupt segment.
    pub truncated_bytes: u64,
    /// Segments after the corrupt one that were deleted.
    pub deleted_segments: Vec<u64>,
}

/// Truncates the corrupt segment at the corruption and deletes every later segment of its
/// directory. Logs a warning naming segment and offset.
pub fn repair(c: &Corruption) -> Result<Repair> {
    tracing::warn!(
        segment = c.segment,
        offset = c.offset,
        dir = %c.dir.display(),
        reason = %c.reason,
        "WAL corruption found: discarding everything after it.",
    );
    let mut deleted_segments = Vec::new();
    for s in list_segments(&c.dir)? {
        if s.index > c.segment {
            std::fs::remove_file(&s.path)
                .map_err(|e| Error::io(format!("deleting WAL segment {}", s.path.display()), e))?;
            deleted_segments.push(s.index);
        }
    }
    let path = segment_path(&c.dir, c.segment);
    let context = || format!("truncating WAL segment {}", path.display());
    let file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(context(), e))?;
    let len = file.metadata().map_err(|e| Error::io(context(), e))?.len();
    file.set_len(c.offset.min(len))
        .map_err(|e| Error::io(context(), e))?;
    file.sync_all().map_err(|e| Error::io(context(), e))?;
    if !deleted_segments.is_empty() {
        tracing::warn!(segments = ?deleted_segments, "Deleted WAL segments after the corruption.");
    }
    Ok(Repair {
        corruption: c.clone(),
        truncated_bytes: len.saturating_sub(c.offset),
        deleted_segments,
    })
}

/// Reads the last segment of `dir` whole and repairs it if it is corrupt. I/O errors and
/// unsupported records (zstd) are returned as errors: they are not repairable.
pub(crate) fn check_last_segment(dir: &Path, last: Option<&SegmentRef>) -> Result<Option<Repair>> {
    let Some(last) = last else {
        return Ok(None);
    };
    let mut reader = Reader::new(vec![last.clone()]);
    loop {
        match reader.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(None),
            Err(e) => {
                let Some(c) = reader.corruption().cloned() else {
                    return Err(e);
                };
                debug_assert_eq!(c.dir, dir);
                return repair(&c).map(Some);
            }
        }
    }
}
