//! One series in the head: its interned labels, the chunks already written to the head-chunk
//! files, and the open chunk samples are appended to.

use std::sync::{Mutex, MutexGuard};

use flint_storage::AppendError;

use super::symbols::SymbolId;
use crate::chunkenc::XorAppender;

/// Samples a chunk aims for before it is cut (Prometheus's default).
pub const SAMPLES_PER_CHUNK: u16 = 120;

/// A chunk already written to the head-chunk files (24 bytes: a series holds several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmappedChunk {
    /// Where it is (file index in the upper 32 bits, offset in the lower).
    pub r: u64,
    /// Timestamp of its first sample.
    pub min_t: i64,
    /// Its last sample's timestamp minus the first's (chunks never span a chunk range).
    span: u32,
    /// Number of samples.
    pub num_samples: u16,
}

impl MmappedChunk {
    /// A chunk at `r` spanning `[min_t, max_t]`; `None` when it spans more than 2^32 ms,
    /// which no head chunk does.
    pub fn new(r: u64, min_t: i64, max_t: i64, num_samples: u16) -> Option<Self> {
        let span = u32::try_from(max_t.checked_sub(min_t)?).ok()?;
        Some(MmappedChunk {
            r,
            min_t,
            span,
            num_samples,
        })
    }

    /// Timestamp of its last sample.
    pub fn max_t(&self) -> i64 {
        self.min_t + i64::from(self.span)
    }
}

/// The chunk currently receiving samples.
#[derive(Debug, Clone)]
pub struct OpenChunk {
    /// The encoder.
    pub app: XorAppender,
    /// Timestamp of its first sample.
    pub min_t: i64,
    /// Timestamp of its last sample.
    pub max_t: i64,
    /// A sample at or after this time starts a new chunk.
    pub next_at: i64,
}

/// Mutable state of a series, behind its lock.
#[derive(Debug, Default)]
pub struct SeriesState {
    /// Full chunks on disk, oldest first.
    pub mmapped: Vec<MmappedChunk>,
    /// The open chunk, if any. Its last sample is the series' newest sample: a new chunk is
    /// only opened by the sample that follows the previous chunk's last one.
    pub open: Option<OpenChunk>,
}

/// A series of the head.
#[derive(Debug)]
pub struct MemSeries {
    /// The series reference (also its WAL and head-chunk reference).
    pub r: u64,
    /// Stable hash of its labels.
    pub hash: u64,
    /// Interned labels as `name, value` id pairs.
    pub labels: Box<[SymbolId]>,
    state: Mutex<SeriesState>,
}

/// What appending a sample did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The sample was stored.
    Stored,
    /// It repeats the newest sample exactly; nothing changed.
    Duplicate,
}

/// A full chunk handed back by [`MemSeries::append`] for writing to the head-chunk files.
#[derive(Debug)]
pub struct CutChunk {
    /// The finished chunk's encoder.
    pub chunk: OpenChunk,
}

impl MemSeries {
    /// A new, empty series.
    pub fn new(r: u64, hash: u64, labels: Box<[SymbolId]>) -> Self {
        MemSeries {
            r,
            hash,
            labels,
            state: Mutex::new(SeriesState::default()),
        }
    }

    /// Locks the state.
    pub fn lock(&self) -> MutexGuard<'_, SeriesState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SeriesState {
    /// Whether `(t, v)` can be appended: an error for out-of-order and conflicting duplicates.
    pub fn check(&self, t: i64, v: f64) -> Result<Appended, AppendError> {
        let last = match &self.open {
            Some(c) => c.app.last_sample(),
            // Only chunks on disk (after a restart): their last value is not at hand, so an
            // equal timestamp counts as a duplicate of it.
            None => self.mmapped.last().map(|c| (c.max_t(), v.to_bits())),
        };
        match last {
            Some((lt, _)) if t < lt => Err(AppendError::OutOfOrder),
            Some((lt, lv)) if t == lt => {
                if lv == v.to_bits() {
                    Ok(Appended::Duplicate)
                } else {
                    Err(AppendError::DuplicateTimestamp)
                }
            }
            _ => Ok(Appended::Stored),
        }
    }

    /// Appends a sample; returns the chunk that was cut to make room, if any, which the caller
    /// writes out and records with [`SeriesState::push_mmapped`].
    pub fn append(
        &mut self,
        t: i64,
        v: f64,
        chunk_range: i64,
    ) -> Result<(Appended, Option<CutChunk>), AppendError> {
        if self.check(t, v)? == Appended::Duplicate {
            return Ok((Appended::Duplicate, None));
        }
        let needs_cut = match &self.open {
            None => true,
            Some(c) => t >= c.next_at || c.app.num_samples() >= usize::from(SAMPLES_PER_CHUNK) * 2,
        };
        let mut cut = None;
        if needs_cut {
            let fresh = OpenChunk {
                app: XorAppender::new(),
                min_t: t,
                max_t: t,
                next_at: range_end(t, chunk_range),
            };
            cut = self.open.replace(fresh).map(|chunk| CutChunk { chunk });
        }
        if let Some(open) = self.open.as_mut() {
            // A chunk never holds more than u16::MAX samples: cut above guarantees it.
            open.app.append(t, v).map_err(|_| AppendError::OutOfOrder)?;
            open.max_t = t;
            if open.app.num_samples() == usize::from(SAMPLES_PER_CHUNK / 4) {
                open.next_at = chunk_end_time(open.min_t, t, open.next_at);
            }
        }
        Ok((Appended::Stored, cut))
    }

    /// Records a chunk written to the head-chunk files.
    pub fn push_mmapped(&mut self, chunk: MmappedChunk) {
        // Chunks are cut in time order, but a replay may hand them over out of order.
        let pos = self.mmapped.partition_point(|c| c.min_t <= chunk.min_t);
        self.mmapped.insert(pos, chunk);
    }

    /// Drops chunks that end before `mint`. Returns whether the series is now empty.
    pub fn truncate_before(&mut self, mint: i64) -> bool {
        self.mmapped.retain(|c| c.max_t() >= mint);
        if self.open.as_ref().is_some_and(|c| c.max_t < mint) {
            self.open = None;
        }
        self.mmapped.is_empty() && self.open.is_none()
    }

    /// Number of chunks (on disk and open).
    pub fn num_chunks(&self) -> usize {
        self.mmapped.len() + usize::from(self.open.is_some())
    }

    /// Newest timestamp held, if any.
    pub fn max_time(&self) -> Option<i64> {
        self.open
            .as_ref()
            .map(|c| c.max_t)
            .or_else(|| self.mmapped.last().map(|c| c.max_t()))
    }

    /// Oldest timestamp held, if any.
    pub fn min_time(&self) -> Option<i64> {
        self.mmapped
            .first()
            .map(|c| c.min_t)
            .or_else(|| self.open.as_ref().map(|c| c.min_t))
    }
}

/// End of the chunk range containing `t` (chunks never span a block boundary).
pub fn range_end(t: i64, chunk_range: i64) -> i64 {
    if chunk_range <= 0 {
        return i64::MAX;
    }
    t.div_euclid(chunk_range)
        .saturating_add(1)
        .saturating_mul(chunk_range)
}

/// Estimates when a chunk started at `start` should end so that it fills up evenly before the
/// range end `max_t`, given that it reached a quarter of its target at `cur` (Prometheus's
/// `computeChunkEndTime` with a ratio of 4).
pub(crate) fn chunk_end_time(start: i64, cur: i64, max_t: i64) -> i64 {
    let n = (max_t - start) as f64 / ((cur - start + 1) as f64 * 4.0);
    if n <= 1.0 {
        return max_t;
    }
    (start as f64 + (max_t - start) as f64 / n.floor()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANGE: i64 = 2 * 3600 * 1000;

    #[test]
    fn order_and_duplicates() {
        let mut s = SeriesState::default();
        assert_eq!(s.append(10, 1.0, RANGE).unwrap().0, Appended::Stored);
        assert_eq!(s.append(10, 1.0, RANGE).unwrap().0, Appended::Duplicate);
        assert!(matches!(
            s.append(10, 2.0, RANGE),
            Err(AppendError::DuplicateTimestamp)
        ));
        assert!(matches!(
            s.append(9, 2.0, RANGE),
            Err(AppendError::OutOfOrder)
        ));
    }

    #[test]
    fn cuts_about_every_120_samples_at_a_steady_rate() {
        let mut s = SeriesState::default();
        let mut cuts = Vec::new();
        for i in 0..720 {
            let (_, cut) = s.append(i * 10_000, i as f64, RANGE).unwrap();
            if let Some(c) = cut {
                cuts.push(c.chunk.app.num_samples());
            }
        }
        // 2h of 10s samples: 720 samples cut into 6 chunks of 120 at the range boundary.
        assert_eq!(cuts, vec![120; 5]);
        assert_eq!(s.open.as_ref().map(|c| c.app.num_samples()), Some(120));
    }

    #[test]
    fn never_spans_a_range_boundary() {
        let mut s = SeriesState::default();
        s.append(RANGE - 1, 1.0, RANGE).unwrap();
        let (_, cut) = s.append(RANGE, 1.0, RANGE).unwrap();
        assert!(cut.is_some());
        assert_eq!(range_end(-1, RANGE), 0);
    }

    #[test]
    fn truncation_empties_old_series() {
        let mut s = SeriesState::default();
        s.append(5, 1.0, RANGE).unwrap();
        assert!(!s.truncate_before(5));
        assert!(s.truncate_before(6));
    }
}
