//! [`Db`]: a data directory as one storage: the head with its WAL, the persisted blocks, and
//! the background work that keeps them in shape (cutting the head into blocks, compaction,
//! retention).
//!
//! Layout of the data directory, as Prometheus's:
//!
//! ```text
//! data/
//! ├── lock                    held while open (flock)
//! ├── wal/00000012 …          the write-ahead log, checkpoint.00000011/
//! ├── chunks_head/000004 …    full head chunks, m-mapped
//! ├── 01H…ULID/               blocks: meta.json, index, chunks/000001, tombstones
//! └── corrupted/01H…ULID/     blocks found broken (Flint's quarantine)
//! ```
//!
//! ```no_run
//! use flint_model::Labels;
//! use flint_storage::{Appendable, Queryable};
//! use flint_tsdb::{Db, DbOptions};
//!
//! let db = Db::open(std::path::Path::new("data"), DbOptions::default())?;
//! let mut app = db.appender();
//! app.append(None, &Labels::from_pairs([("__name__", "up")]), 1_000, 1.0)?;
//! app.commit()?;
//! let q = db.querier(0, 2_000)?;
//! let mut set = q.select(true, None, &[]);
//! while let Some(series) = set.next_series() { /* … */ }
//! db.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocks;
pub(crate) mod compact;
mod delete;
mod lock;
mod metrics;
pub(crate) mod options;
mod plan;
mod querier;
mod reload;
mod retention;
mod run;
mod snapshot;
mod status;
#[cfg(test)]
mod tests;
mod wal;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use flint_model::Matcher;
use flint_storage::{Appendable, Appender, Querier, Queryable};
use tracing::{info, warn};

use crate::block::Block;
use crate::error::{Error, Result};
use crate::head::{Head, HeadOptions, ReplayProgress, ReplayStats};
use crate::wlog::WriterOptions;

pub use blocks::{DELETION_SUFFIX, QUARANTINE_DIR};
pub use lock::DirLock;
pub use metrics::DbMetrics;
pub use options::{DEFAULT_BLOCK_DURATION, DEFAULT_RETENTION, DbOptions, MAX_BLOCK_DURATION_CAP};
pub use plan::plan_compaction;
pub use querier::DbQuerier;
pub use run::COMPACTION_INTERVAL;
pub use status::{BlockInfo, TsdbStatus};

/// The WAL directory of data directory `dir`.
fn wal_dir(dir: &Path) -> PathBuf {
    dir.join("wal")
}

/// A Prometheus-compatible data directory, open for appends and queries. Cheap to clone:
/// clones share the database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) struct DbInner {
    dir: PathBuf,
    opts: DbOptions,
    _lock: Option<DirLock>,
    head: Head,
    wal: Arc<wal::WalLog>,
    /// Open blocks, sorted by minimum time.
    blocks: RwLock<Arc<[Block]>>,
    /// Held for reading while a query takes its view of head and blocks, for writing while
    /// the head is truncated: a query never sees a range both gone from the head and missing
    /// from the blocks.
    epoch: RwLock<()>,
    /// Serializes compaction, retention and deletion.
    compaction: Mutex<()>,
    /// Set by `close` and by cancellation: long work stops at the next series.
    stopping: AtomicBool,
    closed: AtomicBool,
    /// Opened with [`Db::open_read_only`]: nothing on disk changes.
    read_only: bool,
    /// Where a read-only database keeps its head chunks (removed on drop).
    scratch: Option<PathBuf>,
    metrics: DbMetrics,
    replay: ReplayStats,
    /// Wakes the background loop when the head becomes compactable.
    compact_wanted: tokio::sync::Notify,
}

impl Db {
    /// Opens (creating) the data directory `dir`; replays the WAL before returning.
    pub fn open(dir: &Path, opts: DbOptions) -> Result<Db> {
        Self::open_with_progress(dir, opts, &ReplayProgress::new())
    }

    /// Like [`Db::open`], reporting replay progress to `progress` (which the server shows on
    /// `/-/ready` and `/api/v1/status/walreplay` while this runs).
    pub fn open_with_progress(
        dir: &Path,
        opts: DbOptions,
        progress: &ReplayProgress,
    ) -> Result<Db> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Self::open_inner(dir, opts.resolved(), progress, false)
    }

    /// Opens `dir` without changing anything in it (no lock, no repair, no compaction; head
    /// chunks rebuilt from the WAL in a scratch directory): what `tsdb dump` and other tools
    /// use on a directory a server may be running on. Appends fail.
    pub fn open_read_only(dir: &Path) -> Result<Db> {
        if !dir.is_dir() {
            return Err(Error::io(
                format!("opening {}", dir.display()),
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        let opts = DbOptions {
            no_lockfile: true,
            ..DbOptions::default()
        };
        Self::open_inner(dir, opts.resolved(), &ReplayProgress::new(), true)
    }

    fn open_inner(
        dir: &Path,
        opts: DbOptions,
        progress: &ReplayProgress,
        read_only: bool,
    ) -> Result<Db> {
        let start = Instant::now();
        let lock = (!opts.no_lockfile)
            .then(|| DirLock::acquire(dir))
            .transpose()?;
        if !read_only {
            blocks::remove_tmp_dirs(dir)?;
        }
        let metrics = DbMetrics::new(&opts);
        let (blocks, quarantined) = blocks::open_blocks(dir, &[], read_only)?;
        metrics.add_quarantined(quarantined);
        let wal = Arc::new(wal::WalLog::new(&wal_dir(dir)));
        let scratch = read_only.then(scratch_dir);
        let chunk_dir = scratch.clone().unwrap_or_else(|| dir.join("chunks_head"));
        let head_opts = HeadOptions {
            chunk_range: opts.block_range_ms(),
            stripes: opts.stripe_size,
        };
        let sink = Box::new(wal::WalHandle(wal.clone()));
        let head = Head::new(&chunk_dir, head_opts, Some(sink))?;
        if let Some(maxt) = blocks.iter().map(|b| b.meta().max_time).max() {
            head.set_min_valid_time(maxt);
        }
        let workers = match opts.replay_workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let replay = head.replay(wal.dir(), workers, progress, !read_only)?;
        metrics.note_replay(&replay);
        if !read_only && wal.open(writer_options(&opts))?.is_some() {
            metrics.wal_corruptions.fetch_add(1, Ordering::Relaxed);
        }
        info!(
            dir = %dir.display(),
            blocks = blocks.len(),
            series = head.num_series(),
            duration = ?start.elapsed(),
            read_only,
            "TSDB started."
        );
        let inner = DbInner {
            dir: dir.to_owned(),
            opts,
            _lock: lock,
            head,
            wal,
            blocks: RwLock::new(blocks.into()),
            epoch: RwLock::new(()),
            compaction: Mutex::new(()),
            stopping: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            read_only,
            scratch,
            metrics,
            replay,
            compact_wanted: tokio::sync::Notify::new(),
        };
        Ok(Db {
            inner: Arc::new(inner),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The write-ahead log's directory (`<data>/wal`), which remote-write queues follow.
    pub fn wal_dir(&self) -> PathBuf {
        wal_dir(&self.inner.dir)
    }

    /// The options in effect (defaults resolved).
    pub fn options(&self) -> &DbOptions {
        &self.inner.opts
    }

    /// The head block.
    pub fn head(&self) -> &Head {
        &self.inner.head
    }

    /// The open blocks, sorted by minimum time.
    pub fn blocks(&self) -> Arc<[Block]> {
        self.inner.blocks()
    }

    /// What the WAL replay at open did.
    pub fn replay_stats(&self) -> &ReplayStats {
        &self.inner.replay
    }

    /// The self-metrics (`prometheus_tsdb_*`).
    pub fn metrics(&self) -> &DbMetrics {
        &self.inner.metrics
    }

    /// Registers the `prometheus_tsdb_*` metrics in `registry` (the server's `/metrics`).
    pub fn register_metrics(&self, registry: &flint_client::Registry) {
        registry.register_collector(metrics::Collector(Arc::downgrade(&self.inner)));
    }

    /// The oldest sample time held (blocks and head), `None` when empty.
    pub fn lowest_timestamp(&self) -> Option<i64> {
        self.inner.lowest_timestamp()
    }

    /// Marks `[mint, maxt]` of every series matching `matchers` deleted, in the head and in
    /// every block (the `/api/v1/admin/tsdb/delete_series` endpoint). Deleted data is hidden
    /// at once and removed from disk by compaction or [`Db::clean_tombstones`].
    pub fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<()> {
        self.inner.delete(mint, maxt, matchers)
    }

    /// Rewrites every block holding deletions without the deleted data
    /// (`/api/v1/admin/tsdb/clean_tombstones`).
    pub fn clean_tombstones(&self) -> Result<()> {
        self.inner.clean_tombstones()
    }

    /// Persists what can be persisted now: cuts the head into blocks while it spans more than
    /// 1.5 block ranges, truncates head and WAL, compacts blocks, applies retention. The
    /// background loop ([`Db::run`]) calls this every minute and when the head fills up.
    pub fn compact(&self) -> Result<()> {
        self.inner.compact()
    }

    /// Cuts the whole head into blocks regardless of its span (a snapshot with the head, or
    /// a test's way to get blocks).
    pub fn flush_head(&self) -> Result<()> {
        self.inner.flush_head()
    }

    /// Re-reads the block directories: opens new blocks, drops deleted ones, quarantines
    /// broken ones, applies retention.
    pub fn reload(&self) -> Result<()> {
        self.inner.reload()
    }

    /// Reads every chunk of every block, quarantining those that are corrupt. Returns how many
    /// were quarantined. The background loop runs this once at start.
    pub fn verify_blocks(&self) -> Result<usize> {
        self.inner.verify_blocks()
    }

    /// Stops background work, flushes head chunks and fsyncs and closes the WAL. Later appends
    /// fail; queries still work. Idempotent.
    pub fn close(&self) -> Result<()> {
        self.inner.close()
    }
}

impl DbInner {
    pub(crate) fn blocks(&self) -> Arc<[Block]> {
        self.blocks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_blocks(&self, blocks: Vec<Block>) {
        *self.blocks.write().unwrap_or_else(|p| p.into_inner()) = blocks.into();
    }

    fn lowest_timestamp(&self) -> Option<i64> {
        let blocks = self.blocks();
        if let Some(b) = blocks.first() {
            return Some(b.meta().min_time);
        }
        let min = self.head.min_time();
        (min != i64::MAX).then_some(min)
    }

    fn close(&self) -> Result<()> {
        self.stopping.store(true, Ordering::Release);
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Wait for background work to stop at its next check.
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        let flushed = if self.read_only {
            Ok(())
        } else {
            self.head.persist_open_chunks()
        };
        let closed = self.wal.close();
        info!(dir = %self.dir.display(), "TSDB closed.");
        flushed.and(closed)
    }

    /// Fails when long work must stop: shutting down, or the database is read-only.
    fn check_stop(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        if self.stopping.load(Ordering::Acquire) {
            return Err(Error::Canceled);
        }
        Ok(())
    }
}

impl Appendable for Db {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(DbAppender {
            db: &self.inner,
            inner: Some(self.inner.head.head_appender()),
        })
    }
}

/// The head's appender, refusing appends once the database is closed and waking compaction
/// when a commit leaves the head compactable.
struct DbAppender<'a> {
    db: &'a DbInner,
    inner: Option<crate::head::HeadAppender<'a>>,
}

impl<'a> DbAppender<'a> {
    fn open(&mut self) -> Result<&mut crate::head::HeadAppender<'a>, flint_storage::AppendError> {
        if self.db.read_only {
            return Err(flint_storage::StorageError::from(Error::ReadOnly).into());
        }
        if self.db.closed.load(Ordering::Acquire) {
            return Err(flint_storage::StorageError::from(Error::Closed).into());
        }
        self.inner
            .as_mut()
            .ok_or_else(|| flint_storage::StorageError::from(Error::Closed).into())
    }
}

impl Appender for DbAppender<'_> {
    fn append(
        &mut self,
        series: Option<flint_storage::SeriesRef>,
        labels: &flint_model::Labels,
        t: i64,
        v: f64,
    ) -> Result<flint_storage::SeriesRef, flint_storage::AppendError> {
        self.open()?.append(series, labels, t, v)
    }

    fn append_histogram(
        &mut self,
        series: Option<flint_storage::SeriesRef>,
        labels: &flint_model::Labels,
        t: i64,
        h: flint_storage::HistogramSample<'_>,
    ) -> Result<flint_storage::SeriesRef, flint_storage::AppendError> {
        self.open()?.append_histogram(series, labels, t, h)
    }

    fn append_exemplar(
        &mut self,
        series: Option<flint_storage::SeriesRef>,
        labels: &flint_model::Labels,
        exemplar: &flint_model::Exemplar,
    ) -> Result<flint_storage::SeriesRef, flint_storage::AppendError> {
        self.open()?.append_exemplar(series, labels, exemplar)
    }

    fn update_metadata(
        &mut self,
        series: Option<flint_storage::SeriesRef>,
        labels: &flint_model::Labels,
        metadata: &flint_model::Metadata,
    ) -> Result<flint_storage::SeriesRef, flint_storage::AppendError> {
        self.open()?.update_metadata(series, labels, metadata)
    }

    fn commit(mut self: Box<Self>) -> flint_storage::Result<()> {
        let Some(app) = self.inner.take() else {
            return Ok(());
        };
        if self.db.closed.load(Ordering::Acquire) {
            return Err(Error::Closed.into());
        }
        Box::new(app).commit()?;
        if self.db.head.compactable() {
            self.db.compact_wanted.notify_one();
        }
        Ok(())
    }

    fn rollback(mut self: Box<Self>) -> flint_storage::Result<()> {
        match self.inner.take() {
            Some(app) => Box::new(app).rollback(),
            None => Ok(()),
        }
    }
}

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> flint_storage::Result<Box<dyn Querier + '_>> {
        Ok(Box::new(DbQuerier::new(&self.inner, mint, maxt)))
    }
}

impl Drop for DbInner {
    fn drop(&mut self) {
        if !self.closed.load(Ordering::Acquire)
            && let Err(e) = self.close()
        {
            warn!(error = %e, "Closing the TSDB on drop failed.");
        }
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn writer_options(opts: &DbOptions) -> WriterOptions {
    WriterOptions {
        segment_size: opts.wal_segment_size,
        compress: opts.wal_compression,
        sync_every_commit: opts.wal_sync_every_commit,
    }
}

/// A fresh directory under the system's temporary directory.
fn scratch_dir() -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("flint-readonly-{}-{n}", std::process::id()))
}
