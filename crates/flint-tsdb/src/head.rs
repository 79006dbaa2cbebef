//! The head: the in-memory block receiving new samples.
//!
//! Series are kept in [`stripe`]d maps (by reference and by label hash) so appends from many
//! scrape loops do not contend; their labels are interned in [`symbols`]; [`postings`] index
//! them by label pair. Each series ([`series`]) holds only its open chunk in memory: full
//! chunks go to the head-chunk files ([`crate::head_chunks`]).
//!
//! Writes are logged through a [`WalSink`] before they become visible, so a crash loses only
//! what the WAL's sync policy allows.

pub mod appender;
pub mod cardinality;
pub mod compact;
pub mod postings;
pub mod querier;
pub mod replay;
pub mod series;
pub mod stripe;
pub mod symbols;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use flint_model::{Labels, Matcher};

use self::postings::MemPostings;
use self::series::{CutChunk, MemSeries, MmappedChunk};
use self::stripe::StripeSeries;
use self::symbols::Symbols;
use crate::block::{Interval, Tombstones};
use crate::chunkenc::Encoding;
use crate::error::Result;
use crate::head_chunks::HeadChunks;
use crate::record::{RefExemplar, RefMetadata, RefSample, RefSeries, RefTombstone};

pub use appender::HeadAppender;
pub use cardinality::{HeadCardinality, NameCount};
pub use querier::{ChunkSeries, ChunksIterator, HeadQuerier};
pub use replay::{ReplayProgress, ReplayState, ReplayStats, WalReplayStatus};

/// Two hours in milliseconds: the default block and chunk range.
pub const DEFAULT_CHUNK_RANGE: i64 = 2 * 3600 * 1000;

/// Where the head logs series and samples before making them visible (the WAL).
pub trait WalSink: Send + Sync {
    /// Logs new series and a batch of float samples as one unit.
    fn log(&self, series: &[RefSeries], samples: &[RefSample]) -> Result<()>;

    /// Logs deleted intervals.
    fn log_tombstones(&self, stones: &[RefTombstone]) -> Result<()> {
        let _ = stones;
        Ok(())
    }

    /// Logs a commit's exemplars and metadata (for readers of the WAL such as remote write;
    /// the head does not keep them).
    fn log_annotations(&self, exemplars: &[RefExemplar], metadata: &[RefMetadata]) -> Result<()> {
        let _ = (exemplars, metadata);
        Ok(())
    }
}

/// Head settings.
#[derive(Debug, Clone)]
pub struct HeadOptions {
    /// Chunks never span a multiple of this (milliseconds); also the block range.
    pub chunk_range: i64,
    /// Lock stripes of the series maps.
    pub stripes: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        HeadOptions {
            chunk_range: DEFAULT_CHUNK_RANGE,
            stripes: 1 << 12,
        }
    }
}

/// Counters of what the head did (exported as `prometheus_tsdb_head_*` metrics).
#[derive(Debug, Default)]
pub struct HeadStats {
    /// Samples stored.
    pub samples_appended: AtomicU64,
    /// Samples rejected as out of order.
    pub out_of_order: AtomicU64,
    /// Samples rejected as too old for the head.
    pub out_of_bounds: AtomicU64,
    /// Samples rejected as conflicting duplicates.
    pub duplicates: AtomicU64,
    /// Series created.
    pub series_created: AtomicU64,
    /// Series removed by truncation.
    pub series_removed: AtomicU64,
    /// Chunks created.
    pub chunks_created: AtomicU64,
    /// Chunks removed by truncation.
    pub chunks_removed: AtomicU64,
    /// Truncations done.
    pub truncations: AtomicU64,
    /// Truncations that failed.
    pub truncations_failed: AtomicU64,
}

/// The in-memory head block.
pub struct Head {
    opts: HeadOptions,
    symbols: Symbols,
    postings: MemPostings,
    series: StripeSeries,
    chunks: HeadChunks,
    wal: Option<Box<dyn WalSink>>,
    next_ref: AtomicU64,
    min_time: AtomicI64,
    max_time: AtomicI64,
    min_valid_time: AtomicI64,
    /// Chunks held (open and on disk).
    num_chunks: AtomicI64,
    /// Deleted intervals by series reference.
    deleted: RwLock<Tombstones>,
    /// Buffers of finished appenders.
    appender_pool: std::sync::Mutex<Vec<appender::Buffers>>,
    /// What the head did.
    pub stats: HeadStats,
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Head")
            .field("series", &self.series.len())
            .finish()
    }
}

impl Head {
    /// A head keeping its full chunks in `chunk_dir` and logging to `wal` (None: no WAL).
    pub fn new(
        chunk_dir: &Path,
        mut opts: HeadOptions,
        wal: Option<Box<dyn WalSink>>,
    ) -> Result<Self> {
        opts.chunk_range = opts.chunk_range.max(1);
        Ok(Head {
            series: StripeSeries::new(opts.stripes),
            opts,
            symbols: Symbols::default(),
            postings: MemPostings::default(),
            chunks: HeadChunks::open(chunk_dir)?,
            wal,
            next_ref: AtomicU64::new(1),
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            min_valid_time: AtomicI64::new(i64::MIN),
            num_chunks: AtomicI64::new(0),
            deleted: RwLock::default(),
            appender_pool: std::sync::Mutex::default(),
            stats: HeadStats::default(),
        })
    }

    /// The settings.
    pub fn options(&self) -> &HeadOptions {
        &self.opts
    }

    /// Number of series.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Oldest sample time, `i64::MAX` when empty.
    pub fn min_time(&self) -> i64 {
        self.min_time.load(Ordering::Acquire)
    }

    /// Newest sample time, `i64::MIN` when empty.
    pub fn max_time(&self) -> i64 {
        self.max_time.load(Ordering::Acquire)
    }

    /// The range chunks are cut at: the chunk range, at most 2^31 ms (about 24 days) so a
    /// chunk's span fits its 32-bit field.
    pub(crate) fn cut_range(&self) -> i64 {
        self.opts.chunk_range.min(i64::from(i32::MAX))
    }

    /// Raises the floor below which samples are rejected (at startup: the newest block's end,
    /// so the head never overlaps persisted blocks).
    pub fn set_min_valid_time(&self, t: i64) {
        self.min_valid_time.fetch_max(t, Ordering::AcqRel);
    }

    /// The floor set by truncation and [`Head::set_min_valid_time`], without the append window.
    pub fn truncated_before(&self) -> i64 {
        self.min_valid_time.load(Ordering::Acquire)
    }

    /// Whether the head spans more than one and a half chunk ranges, so that its oldest range
    /// can be persisted as a block (Prometheus's rule).
    pub fn compactable(&self) -> bool {
        let (min, max) = (self.min_time(), self.max_time());
        min != i64::MAX && max.saturating_sub(min) > self.opts.chunk_range / 2 * 3
    }

    /// Widens the head's time range to include `[min_t, max_t]`.
    pub fn extend_time_range(&self, min_t: i64, max_t: i64) {
        self.min_time.fetch_min(min_t, Ordering::AcqRel);
        self.max_time.fetch_max(max_t, Ordering::AcqRel);
    }

    /// Samples older than this are rejected as out of bounds.
    pub fn min_valid_time(&self) -> i64 {
        let max = self.max_time();
        let floor = self.min_valid_time.load(Ordering::Acquire);
        if max == i64::MIN {
            return floor;
        }
        floor.max(max.saturating_sub(self.opts.chunk_range / 2))
    }

    /// The series with these labels, created if new (`true` when created). `r` forces the
    /// reference of a new series (WAL replay); otherwise the next free one is used.
    pub fn get_or_create(&self, labels: &Labels, r: Option<u64>) -> (Arc<MemSeries>, bool) {
        let hash = labels.stable_hash();
        let ids = self.symbols.intern_labels(labels);
        if let Some(existing) = self.series.get_by_hash(hash, &ids) {
            return (existing, false);
        }
        let r = match r {
            Some(r) => {
                self.bump_next_ref(r);
                r
            }
            None => self.next_ref.fetch_add(1, Ordering::AcqRel),
        };
        let (series, created) = self.series.get_or_insert(MemSeries::new(r, hash, ids));
        if created {
            self.postings.add(series.r, &series.labels);
            self.stats.series_created.fetch_add(1, Ordering::Relaxed);
        }
        (series, created)
    }

    /// The series with reference `r`.
    pub fn series(&self, r: u64) -> Option<Arc<MemSeries>> {
        self.series.get_by_ref(r)
    }

    /// The labels of a series.
    pub fn labels_of(&self, series: &MemSeries) -> Labels {
        self.symbols.labels(&series.labels)
    }

    /// Appends one sample to a series directly (used by the appender's commit and WAL replay).
    /// Per-sample rejections are counted and returned.
    pub fn append_sample(
        &self,
        series: &MemSeries,
        t: i64,
        v: f64,
    ) -> Result<bool, flint_storage::AppendError> {
        let mut state = series.lock();
        let before = state.open.is_some();
        let outcome = state.append(t, v, self.cut_range());
        match outcome {
            Ok((appended, cut)) => {
                if cut.is_some() || (!before && state.open.is_some()) {
                    self.num_chunks.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(cut) = cut {
                    let chunk = self.write_chunk(series.r, cut)?;
                    state.push_mmapped(chunk);
                }
                Ok(appended == series::Appended::Stored)
            }
            Err(e) => {
                self.count_rejection(&e);
                Err(e)
            }
        }
    }

    /// Accounts for a batch of stored samples spanning `[min_t, max_t]`.
    pub fn record_appended(&self, count: u64, min_t: i64, max_t: i64) {
        if count == 0 {
            return;
        }
        self.stats
            .samples_appended
            .fetch_add(count, Ordering::Relaxed);
        self.extend_time_range(min_t, max_t);
    }

    fn write_chunk(
        &self,
        series_ref: u64,
        cut: CutChunk,
    ) -> Result<MmappedChunk, flint_storage::AppendError> {
        let c = cut.chunk;
        let chunk = c.app.into_chunk();
        let r = self
            .chunks
            .write(series_ref, c.min_t, c.max_t, Encoding::Xor, chunk.bytes())
            .map_err(|e| flint_storage::AppendError::Storage(e.into()))?;
        self.stats.chunks_created.fetch_add(1, Ordering::Relaxed);
        let num = u16::try_from(chunk.num_samples()).unwrap_or(u16::MAX);
        MmappedChunk::new(r, c.min_t, c.max_t, num).ok_or_else(|| {
            flint_storage::AppendError::Storage(flint_storage::StorageError::Corrupt {
                location: "head chunk".to_owned(),
                reason: format!("chunk spans {} ms", c.max_t - c.min_t),
            })
        })
    }

    /// Counts a per-sample rejection.
    pub fn count_rejection(&self, e: &flint_storage::AppendError) {
        use flint_storage::AppendError as E;
        let counter = match e {
            E::OutOfOrder => &self.stats.out_of_order,
            E::OutOfBounds | E::TooOld => &self.stats.out_of_bounds,
            E::DuplicateTimestamp => &self.stats.duplicates,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops everything older than `mint`: chunks, then series left without chunks, then the
    /// head-chunk files holding only older chunks. Later samples older than `mint` are rejected.
    pub fn truncate(&self, mint: i64) -> Result<()> {
        let res = self.truncate_inner(mint);
        let counter = match res {
            Ok(()) => &self.stats.truncations,
            Err(_) => &self.stats.truncations_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        res
    }

    fn truncate_inner(&self, mint: i64) -> Result<()> {
        self.min_valid_time.fetch_max(mint, Ordering::AcqRel);
        let mut removed = Vec::new();
        let mut new_min = i64::MAX;
        let mut chunks_removed = 0u64;
        self.series.for_each(|s| {
            let mut state = s.lock();
            let before = state.num_chunks();
            let empty = state.truncate_before(mint);
            chunks_removed += (before - state.num_chunks()) as u64;
            if empty {
                removed.push(s.clone());
            } else if let Some(t) = state.min_time() {
                new_min = new_min.min(t);
            }
        });
        for s in &removed {
            self.series.remove(s);
        }
        let mut refs: Vec<u64> = removed.iter().map(|s| s.r).collect();
        refs.sort_unstable();
        self.postings.remove(&refs);
        self.stats
            .series_removed
            .fetch_add(refs.len() as u64, Ordering::Relaxed);
        self.stats
            .chunks_removed
            .fetch_add(chunks_removed, Ordering::Relaxed);
        self.num_chunks
            .fetch_sub(chunks_removed as i64, Ordering::Relaxed);
        self.min_time.store(new_min, Ordering::Release);
        self.drop_tombstones(&refs, mint);
        self.chunks.truncate_before(mint)
    }

    /// Marks `[mint, maxt]` deleted in every series matching `matchers`; logged to the WAL
    /// first. Returns the number of series affected.
    pub fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<usize> {
        let refs = querier::postings_for(self, matchers);
        let stones: Vec<RefTombstone> = refs
            .iter()
            .map(|r| RefTombstone { r: *r, mint, maxt })
            .collect();
        if stones.is_empty() {
            return Ok(0);
        }
        if let Some(wal) = &self.wal {
            wal.log_tombstones(&stones)?;
        }
        self.add_tombstones(&stones);
        Ok(stones.len())
    }

    /// Adds deleted intervals without logging them (WAL replay).
    pub fn add_tombstones(&self, stones: &[RefTombstone]) {
        let mut deleted = self.deleted.write().unwrap_or_else(|p| p.into_inner());
        for s in stones {
            deleted.add(
                s.r,
                Interval {
                    mint: s.mint,
                    maxt: s.maxt,
                },
            );
        }
    }

    /// The deleted intervals of series `r`.
    pub fn tombstones_of(&self, r: u64) -> Vec<Interval> {
        let deleted = self.deleted.read().unwrap_or_else(|p| p.into_inner());
        deleted.get(r).to_vec()
    }

    /// Whether any series has deleted intervals.
    pub fn has_tombstones(&self) -> bool {
        !self
            .deleted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// Forgets tombstones of removed series and intervals wholly before `mint`.
    fn drop_tombstones(&self, removed: &[u64], mint: i64) {
        let mut deleted = self.deleted.write().unwrap_or_else(|p| p.into_inner());
        if deleted.is_empty() {
            return;
        }
        let mut kept = Tombstones::new();
        for (r, ivs) in deleted.iter() {
            if removed.binary_search(&r).is_ok() {
                continue;
            }
            for iv in ivs.iter().filter(|iv| iv.maxt >= mint) {
                kept.add(r, *iv);
            }
        }
        *deleted = kept;
    }

    /// Series references allocated so far never go below `r + 1` (replay).
    pub(crate) fn bump_next_ref(&self, r: u64) {
        self.next_ref
            .fetch_max(r.saturating_add(1), Ordering::AcqRel);
    }

    /// Chunks in the head, open and on disk (`prometheus_tsdb_head_chunks`).
    pub fn num_chunks(&self) -> u64 {
        self.num_chunks.load(Ordering::Relaxed).max(0) as u64
    }

    /// Accounts for chunks attached at replay.
    pub(crate) fn add_chunks(&self, n: u64) {
        self.num_chunks.fetch_add(n as i64, Ordering::Relaxed);
    }

    /// Calls `f` on every series.
    pub fn for_each_series(&self, f: impl FnMut(&Arc<MemSeries>)) {
        self.series.for_each(f);
    }

    /// Writes every open chunk to the head-chunk files (at close: a restart then finds every
    /// sample in m-mapped chunks and re-appends nothing from the WAL; replay reopens the
    /// partial chunks).
    pub fn persist_open_chunks(&self) -> Result<()> {
        let mut first_err = None;
        self.series.for_each(|s| {
            let mut state = s.lock();
            let Some(open) = state.open.take() else {
                return;
            };
            match self.write_chunk(s.r, CutChunk { chunk: open }) {
                Ok(chunk) => state.push_mmapped(chunk),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        });
        match first_err {
            None => self.flush_chunks(),
            Some(flint_storage::AppendError::Storage(e)) => Err(e.into()),
            Some(e) => Err(crate::error::Error::corrupt("head chunks", e.to_string())),
        }
    }

    /// Flushes buffered head chunks to the OS.
    pub fn flush_chunks(&self) -> Result<()> {
        self.chunks.flush()
    }

    pub(crate) fn wal(&self) -> Option<&dyn WalSink> {
        self.wal.as_deref()
    }

    /// The interned label strings.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    pub(crate) fn postings(&self) -> &MemPostings {
        &self.postings
    }

    /// The head-chunk files.
    pub fn head_chunks(&self) -> &HeadChunks {
        &self.chunks
    }
}
