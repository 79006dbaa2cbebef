//! Rebuilding the head at startup: the m-mapped head chunks first, then the WAL (the last
//! checkpoint and the segments after it).
//!
//! Records are decoded in parallel ([`decode_parallel_at`]) and handed over in log order:
//! series records are applied right away (so a series exists before its samples), samples are
//! sharded by series reference to one worker thread per core, each applying its shard in order.
//! Samples already inside an m-mapped chunk (`t <=` the series' last chunk end) are skipped,
//! which is what makes a restart cheap: only the open chunks are rebuilt from the WAL.
//!
//! A corrupt or torn WAL is cut at its first bad record (everything before it is kept, see
//! [`wlog::repair`]); corrupt head-chunk files are dropped and the WAL alone rebuilds the head.
//! Neither stops startup.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::Head;
use super::series::{
    MemSeries, MmappedChunk, OpenChunk, SAMPLES_PER_CHUNK, chunk_end_time, range_end,
};
use super::stripe::U64Hasher;
use crate::chunkenc::{Encoding, XorAppender};
use crate::error::Result;
use crate::record::{Record, RefSample, RefSeries, decode_filtered};
use crate::wlog::{self, Reader, RecordPosition, Repair};

/// Samples per batch handed to a shard worker.
const BATCH: usize = 16_384;
/// Batches in flight per shard worker.
const QUEUE: usize = 8;

type RefMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<U64Hasher>>;

/// Where WAL replay stands (what `/api/v1/status/walreplay` and `/-/ready` show).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayState {
    /// Not started.
    Waiting,
    /// Segments are being read.
    InProgress,
    /// Finished: the storage is ready.
    Done,
}

/// A snapshot of replay progress, with upstream's fields: the first and last WAL segment and
/// the one being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalReplayStatus {
    /// Where replay stands.
    pub state: ReplayState,
    /// First segment to read.
    pub min: i64,
    /// Last segment to read.
    pub max: i64,
    /// Segment being read.
    pub current: i64,
}

impl WalReplayStatus {
    /// Percent of segments read (100 when done).
    pub fn percent(&self) -> u32 {
        match self.state {
            ReplayState::Waiting => 0,
            ReplayState::Done => 100,
            ReplayState::InProgress => {
                let total = (self.max - self.min + 1).max(1);
                let done = (self.current - self.min).clamp(0, total);
                (done * 100 / total) as u32
            }
        }
    }
}

/// Shared view of replay progress: created by the server before opening the database so it
/// can answer readiness probes while replay runs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReplayProgress {
    inner: Arc<ProgressInner>,
}

#[derive(Debug)]
struct ProgressInner {
    state: AtomicU8,
    min: AtomicI64,
    max: AtomicI64,
    current: AtomicI64,
}

impl Default for ReplayProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayProgress {
    /// Progress of a replay not started yet.
    pub fn new() -> Self {
        ReplayProgress {
            inner: Arc::new(ProgressInner {
                state: AtomicU8::new(0),
                min: AtomicI64::new(-1),
                max: AtomicI64::new(-1),
                current: AtomicI64::new(-1),
            }),
        }
    }

    /// The current state.
    pub fn status(&self) -> WalReplayStatus {
        let i = &self.inner;
        let state = match i.state.load(Ordering::Acquire) {
            0 => ReplayState::Waiting,
            1 => ReplayState::InProgress,
            _ => ReplayState::Done,
        };
        WalReplayStatus {
            state,
            min: i.min.load(Ordering::Acquire),
            max: i.max.load(Ordering::Acquire),
            current: i.current.load(Ordering::Acquire),
        }
    }

    /// Whether replay is finished.
    pub fn is_done(&self) -> bool {
        self.status().state == ReplayState::Done
    }

    fn start(&self, min: i64, max: i64) {
        self.inner.min.store(min, Ordering::Release);
        self.inner.max.store(max, Ordering::Release);
        self.inner.current.store(min, Ordering::Release);
        self.inner.state.store(1, Ordering::Release);
    }

    fn set_current(&self, segment: i64) {
        self.inner.current.store(segment, Ordering::Release);
    }

    pub(crate) fn finish(&self) {
        let max = self.inner.max.load(Ordering::Acquire);
        self.inner.current.store(max, Ordering::Release);
        self.inner.state.store(2, Ordering::Release);
    }
}

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct ReplayStats {
    /// Series records applied.
    pub series: u64,
    /// Samples appended from the WAL.
    pub samples: u64,
    /// Samples skipped: already in m-mapped chunks or before the head's floor.
    pub skipped_samples: u64,
    /// Samples of series the WAL never declared.
    pub unknown_refs: u64,
    /// Chunks taken from the head-chunk files.
    pub mmapped_chunks: u64,
    /// Partial chunks written at the last shutdown, open for appends again.
    pub reopened_chunks: u64,
    /// The WAL corruption that was repaired, if any.
    pub wal_repair: Option<Repair>,
    /// The head-chunk files were corrupt and dropped.
    pub mmap_corrupted: bool,
    /// Time spent on the checkpoint and the WAL segments.
    pub wal_duration: Duration,
    /// Time spent in total.
    pub duration: Duration,
}

#[derive(Debug, Default)]
struct ShardStats {
    appended: u64,
    skipped: u64,
    unknown: u64,
    min_t: i64,
    max_t: i64,
}

impl Head {
    /// Rebuilds the head from its head-chunk files and the WAL in `wal_dir`, using up to
    /// `workers` threads. Call once, on an empty head, before any append.
    ///
    /// With `repair` false nothing on disk is changed: a corrupt WAL tail is only skipped
    /// (read-only opening).
    pub fn replay(
        &self,
        wal_dir: &Path,
        workers: usize,
        progress: &ReplayProgress,
        repair: bool,
    ) -> Result<ReplayStats> {
        let start = Instant::now();
        let mut stats = ReplayStats::default();
        let mut mmapped = self.load_mmapped(&mut stats, repair)?;
        if wal_dir.is_dir() {
            let wal_start = Instant::now();
            let ctx = ReplayCtx {
                wal_dir,
                workers: workers.max(1),
                progress,
                repair,
            };
            self.replay_wal(&ctx, &mut mmapped, &mut stats)?;
            stats.wal_duration = wal_start.elapsed();
        }
        stats.reopened_chunks = self.reopen_partial_chunks();
        progress.finish();
        stats.duration = start.elapsed();
        Ok(stats)
    }

    /// Makes the last m-mapped chunk of each series without an open chunk its open chunk
    /// again when it is not full (it was written at shutdown), so restarts do not leave
    /// short chunks behind. Returns how many were reopened.
    fn reopen_partial_chunks(&self) -> u64 {
        let range = self.cut_range();
        let full = SAMPLES_PER_CHUNK;
        let mut n = 0;
        self.for_each_series(|s| {
            let mut st = s.lock();
            let Some(last) = st.mmapped.last().copied() else {
                return;
            };
            if st.open.is_some() || last.num_samples >= full {
                return;
            }
            let Ok(stored) = self.head_chunks().read(last.r) else {
                return;
            };
            if stored.encoding != Encoding::Xor {
                return;
            }
            let quarter = usize::from(full / 4) - 1;
            let Ok((app, quarter_t)) = XorAppender::from_chunk(stored.data, quarter) else {
                return;
            };
            let mut next_at = range_end(last.min_t, range);
            if let Some(q) = quarter_t {
                next_at = chunk_end_time(last.min_t, q, next_at);
            }
            st.mmapped.pop();
            st.open = Some(OpenChunk {
                app,
                min_t: last.min_t,
                max_t: last.max_t(),
                next_at,
            });
            n += 1;
        });
        n
    }

    /// Chunks of the head-chunk files by series reference (those before the head's floor are
    /// left out). Corrupt files are deleted: the WAL then rebuilds everything.
    fn load_mmapped(
        &self,
        stats: &mut ReplayStats,
        repair: bool,
    ) -> Result<RefMap<Vec<MmappedChunk>>> {
        let floor = self.truncated_before();
        let mut map: RefMap<Vec<MmappedChunk>> = RefMap::default();
        let res = self.head_chunks().scan(|r, c| {
            if c.max_t < floor || c.encoding != Encoding::Xor {
                return;
            }
            // A chunk spanning more than a head chunk can is not one of ours: ignored.
            if let Some(chunk) = MmappedChunk::new(r, c.min_t, c.max_t, c.num_samples()) {
                map.entry(c.series_ref).or_default().push(chunk);
            }
        });
        if let Err(e) = res {
            warn!(error = %e, "Corrupt head chunk files: deleting them and replaying the whole WAL.");
            stats.mmap_corrupted = true;
            map.clear();
            if repair {
                self.head_chunks().remove_all()?;
            }
        }
        for (r, chunks) in &map {
            self.bump_next_ref(*r);
            stats.mmapped_chunks += chunks.len() as u64;
        }
        Ok(map)
    }

    fn replay_wal(
        &self,
        ctx: &ReplayCtx<'_>,
        mmapped: &mut RefMap<Vec<MmappedChunk>>,
        stats: &mut ReplayStats,
    ) -> Result<()> {
        let (wal_dir, workers, progress) = (ctx.wal_dir, ctx.workers, ctx.progress);
        let segments = wlog::list_segments(wal_dir)?;
        let (first, last) = match (segments.first(), segments.last()) {
            (Some(f), Some(l)) => (f.index as i64, l.index as i64),
            _ => (0, 0),
        };
        progress.start(first, last);
        let (reader, checkpoint) = Reader::from_last_checkpoint(wal_dir)?;
        if let Some(cp) = checkpoint {
            info!(checkpoint = cp, "Replaying WAL checkpoint.");
        }
        info!(
            first_segment = first,
            last_segment = last,
            "Replaying WAL, this may take a while."
        );
        let mut records = reader.records();
        // Samples already in m-mapped chunks (or before the floor) are dropped right where
        // they are decoded: after a clean shutdown that is every sample.
        let covered = Covered::new(mmapped);
        let floor = self.truncated_before();
        let filtered = AtomicU64::new(0);
        let filter = |v: &mut Vec<RefSample>| {
            let before = v.len();
            v.retain(|s| s.t >= floor && s.t > covered.get(s.r));
            let dropped = before - v.len();
            filtered.fetch_add(dropped as u64, Ordering::Relaxed);
            dropped
        };
        let res = std::thread::scope(|scope| {
            let mut shards = Vec::with_capacity(workers);
            let mut txs = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (tx, rx) = sync_channel::<Vec<RefSample>>(QUEUE);
                txs.push(tx);
                shards.push(scope.spawn(move || self.apply_shard(rx, workers)));
            }
            let mut sink = Sink {
                head: self,
                wal_dir,
                progress,
                mmapped,
                stats,
                multi_ref: RefMap::default(),
                pending: (0..workers).map(|_| Vec::with_capacity(BATCH)).collect(),
                txs,
                segment: None,
                last,
            };
            let decoders = workers.min(4);
            let res = decode_filtered(&mut records, decoders, Some(&filter), |pos, rec| {
                sink.apply(pos, rec)
            });
            sink.flush_all();
            drop(sink);
            let mut total = ShardStats::default();
            for h in shards {
                let s = h.join().unwrap_or_default();
                total.appended += s.appended;
                total.skipped += s.skipped;
                total.unknown += s.unknown;
                if s.appended > 0 {
                    self.extend_time_range(s.min_t, s.max_t);
                }
            }
            (res, total)
        });
        let (res, total) = res;
        stats.samples += total.appended;
        stats.skipped_samples += total.skipped + filtered.load(Ordering::Relaxed);
        stats.unknown_refs += total.unknown;
        if let Err(e) = res {
            let Some(c) = records.corruption().cloned() else {
                return Err(e);
            };
            if !ctx.repair {
                warn!(error = %e, "WAL replay stopped at a corruption (read-only: not repaired).");
                return Ok(());
            }
            warn!(error = %e, "WAL replay stopped at a corruption; repairing.");
            stats.wal_repair = Some(wlog::repair(&c)?);
        }
        info!(
            series = stats.series,
            samples = stats.samples,
            skipped = stats.skipped_samples,
            "WAL replay completed."
        );
        Ok(())
    }

    /// Applies one shard's samples in order.
    fn apply_shard(&self, rx: Receiver<Vec<RefSample>>, shards: usize) -> ShardStats {
        let floor = self.truncated_before();
        let mut cache = ShardCache::new(shards);
        let mut st = ShardStats {
            min_t: i64::MAX,
            max_t: i64::MIN,
            ..ShardStats::default()
        };
        for batch in rx {
            for s in &batch {
                let Some(entry) = cache.get(self, s.r) else {
                    st.unknown += 1;
                    continue;
                };
                if s.t <= entry.1 || s.t < floor {
                    st.skipped += 1;
                    continue;
                }
                if let Ok(true) = self.append_sample(&entry.0, s.t, s.v) {
                    st.appended += 1;
                    st.min_t = st.min_t.min(s.t);
                    st.max_t = st.max_t.max(s.t);
                }
            }
        }
        st
    }
}

/// The end of the last m-mapped chunk of each series reference, for the decoding threads:
/// dense references index a vector, the rest a map.
struct Covered {
    dense: Vec<i64>,
    sparse: RefMap<i64>,
}

impl Covered {
    fn new(mmapped: &RefMap<Vec<MmappedChunk>>) -> Self {
        let limit = mmapped.len().saturating_mul(4).saturating_add(DENSE_SLACK);
        let mut c = Covered {
            dense: Vec::new(),
            sparse: RefMap::default(),
        };
        for (r, chunks) in mmapped {
            let end = chunks.iter().map(|c| c.max_t()).max().unwrap_or(i64::MIN);
            match usize::try_from(*r) {
                Ok(i) if i < limit => {
                    if i >= c.dense.len() {
                        c.dense.resize(i + 1, i64::MIN);
                    }
                    c.dense[i] = end;
                }
                _ => {
                    c.sparse.insert(*r, end);
                }
            }
        }
        c
    }

    fn get(&self, r: u64) -> i64 {
        match usize::try_from(r).ok().and_then(|i| self.dense.get(i)) {
            Some(t) => *t,
            None if self.sparse.is_empty() => i64::MIN,
            None => self.sparse.get(&r).copied().unwrap_or(i64::MIN),
        }
    }
}

/// A shard worker's series by reference, with the end of their last m-mapped chunk. The
/// shard's references (`r % shards` fixed) are mostly dense, so they index a vector, in the
/// order samples arrive (cache-friendly); outliers go to a map.
struct ShardCache {
    shards: u64,
    dense: Vec<Option<(Arc<MemSeries>, i64)>>,
    sparse: RefMap<(Arc<MemSeries>, i64)>,
}

/// How far past the dense vector's end a reference may land and still grow it.
const DENSE_SLACK: usize = 1 << 16;

impl ShardCache {
    fn new(shards: usize) -> Self {
        ShardCache {
            shards: shards.max(1) as u64,
            dense: Vec::new(),
            sparse: RefMap::default(),
        }
    }

    fn load(head: &Head, r: u64) -> Option<(Arc<MemSeries>, i64)> {
        let series = head.series(r)?;
        let covered = series.lock().mmapped.last().map_or(i64::MIN, |c| c.max_t());
        Some((series, covered))
    }

    fn get(&mut self, head: &Head, r: u64) -> Option<&(Arc<MemSeries>, i64)> {
        let idx = usize::try_from(r / self.shards).unwrap_or(usize::MAX);
        if idx < self.dense.len().saturating_add(DENSE_SLACK) {
            if idx >= self.dense.len() {
                self.dense.resize_with(idx + 1, || None);
            }
            if self.dense[idx].is_none() {
                self.dense[idx] = Self::load(head, r);
            }
            return self.dense[idx].as_ref();
        }
        if let std::collections::hash_map::Entry::Vacant(e) = self.sparse.entry(r) {
            e.insert(Self::load(head, r)?);
        }
        self.sparse.get(&r)
    }
}

/// Where and how to replay.
struct ReplayCtx<'a> {
    wal_dir: &'a Path,
    workers: usize,
    progress: &'a ReplayProgress,
    repair: bool,
}

/// The collecting end of replay: applies records in log order.
struct Sink<'a> {
    head: &'a Head,
    wal_dir: &'a Path,
    progress: &'a ReplayProgress,
    mmapped: &'a mut RefMap<Vec<MmappedChunk>>,
    stats: &'a mut ReplayStats,
    /// References of duplicate series records, mapped to the series they duplicate.
    multi_ref: RefMap<u64>,
    pending: Vec<Vec<RefSample>>,
    txs: Vec<SyncSender<Vec<RefSample>>>,
    segment: Option<(bool, u64)>,
    last: i64,
}

impl Sink<'_> {
    fn apply(&mut self, pos: &RecordPosition, rec: Record) -> Result<()> {
        self.track(pos);
        match rec {
            Record::Series(list) => {
                for s in list {
                    self.series(s);
                }
            }
            Record::Samples(list) => {
                for mut s in list {
                    s.r = self.resolve(s.r);
                    let shard = (s.r % self.pending.len() as u64) as usize;
                    self.pending[shard].push(s);
                    if self.pending[shard].len() >= BATCH {
                        self.flush(shard);
                    }
                }
            }
            Record::Tombstones(mut list) => {
                for t in &mut list {
                    t.r = self.resolve(t.r);
                }
                self.head.add_tombstones(&list);
            }
            Record::MinValidTime(t) => self.head.set_min_valid_time(t),
            // Exemplars, metadata and native histograms are not kept by the head yet.
            _ => {}
        }
        Ok(())
    }

    fn resolve(&self, r: u64) -> u64 {
        if self.multi_ref.is_empty() {
            return r;
        }
        self.multi_ref.get(&r).copied().unwrap_or(r)
    }

    fn series(&mut self, s: RefSeries) {
        self.stats.series += 1;
        let (series, _) = self.head.get_or_create(&s.labels, Some(s.r));
        if series.r != s.r {
            self.multi_ref.insert(s.r, series.r);
        }
        let Some(mut chunks) = self.mmapped.remove(&s.r) else {
            return;
        };
        chunks.sort_by_key(|c| (c.min_t, c.max_t()));
        drop_superseded(&mut chunks);
        if let (Some(first), Some(last)) = (chunks.first(), chunks.last()) {
            self.head.extend_time_range(first.min_t, last.max_t());
        }
        self.head.add_chunks(chunks.len() as u64);
        let mut state = series.lock();
        for c in chunks {
            state.push_mmapped(c);
        }
    }

    fn flush(&mut self, shard: usize) {
        let batch = std::mem::replace(&mut self.pending[shard], Vec::with_capacity(BATCH));
        // A worker only goes away by panicking; its samples are lost either way.
        let _ = self.txs[shard].send(batch);
    }

    fn flush_all(&mut self) {
        for shard in 0..self.pending.len() {
            if !self.pending[shard].is_empty() {
                self.flush(shard);
            }
        }
    }

    /// Logs each segment as it is entered, with the percentage done.
    fn track(&mut self, pos: &RecordPosition) {
        let in_checkpoint = *pos.dir != *self.wal_dir;
        let now = (in_checkpoint, pos.segment);
        let Some(prev) = self.segment.replace(now) else {
            return;
        };
        if prev == now {
            return;
        }
        self.log_loaded(prev);
        if !in_checkpoint {
            self.progress.set_current(pos.segment as i64);
        }
    }

    fn log_loaded(&self, (in_checkpoint, segment): (bool, u64)) {
        if in_checkpoint {
            return;
        }
        let min = self.progress.status().min;
        let total = (self.last - min + 1).max(1);
        let percent = ((segment as i64 - min + 1) * 100 / total).clamp(0, 100);
        info!(
            segment,
            max_segment = self.last,
            percent,
            "WAL segment loaded."
        );
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        if let Some(seg) = self.segment {
            self.log_loaded(seg);
        }
    }
}

/// Drops chunks (sorted by start) that a later, longer write of the same chunk supersedes: a
/// chunk reopened after a restart and written again at the next shutdown is in the files
/// twice.
fn drop_superseded(chunks: &mut Vec<MmappedChunk>) {
    let mut kept: Vec<MmappedChunk> = Vec::with_capacity(chunks.len());
    for c in chunks.drain(..) {
        match kept.last_mut() {
            Some(prev) if c.min_t <= prev.max_t() => {
                if (c.max_t(), c.num_samples) >= (prev.max_t(), prev.num_samples) {
                    *prev = c;
                }
            }
            _ => kept.push(c),
        }
    }
    *chunks = kept;
}
