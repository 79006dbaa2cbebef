//! The WAL as the head's [`WalSink`]: encodes each commit's records and appends them under
//! one lock, counting what the `prometheus_tsdb_wal_*` metrics report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::head::WalSink;
use crate::record::{self, RefExemplar, RefMetadata, RefSample, RefSeries, RefTombstone};
use crate::wlog::{Writer, WriterOptions};

/// Counters of the WAL writer.
#[derive(Debug, Default)]
pub(crate) struct WalStats {
    /// Failed writes.
    pub writes_failed: AtomicU64,
    /// fsyncs and their total duration in microseconds.
    pub fsyncs: AtomicU64,
    pub fsync_micros: AtomicU64,
    /// Records written.
    pub records: AtomicU64,
}

/// The open WAL (absent until replay finished and after close), with the buffers records are
/// encoded in (reused: no allocation per commit).
#[derive(Debug)]
pub(crate) struct WalLog {
    dir: PathBuf,
    writer: Mutex<Option<Writer>>,
    buffers: Mutex<(Vec<u8>, Vec<u8>)>,
    pub(crate) stats: WalStats,
}

impl WalLog {
    pub(crate) fn new(dir: &Path) -> Self {
        WalLog {
            dir: dir.to_owned(),
            writer: Mutex::new(None),
            buffers: Mutex::new((Vec::new(), Vec::new())),
            stats: WalStats::default(),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens the writer (after replay): repairs the last segment and starts a new one.
    pub(crate) fn open(&self, opts: WriterOptions) -> Result<Option<crate::wlog::Repair>> {
        let (w, repaired) = Writer::open(&self.dir, opts)?;
        *self.lock() = Some(w);
        Ok(repaired)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<Writer>> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the open writer.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Writer) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        let w = guard.as_mut().ok_or(Error::Closed)?;
        f(w)
    }

    fn write(&self, recs: &[&[u8]]) -> Result<()> {
        let res = self.with(|w| {
            let sync = w.options().sync_every_commit;
            let start = Instant::now();
            w.log(recs)?;
            if sync {
                self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .fsync_micros
                    .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
            Ok(())
        });
        match &res {
            Ok(()) => self
                .stats
                .records
                .fetch_add(recs.len() as u64, Ordering::Relaxed),
            Err(_) => self.stats.writes_failed.fetch_add(1, Ordering::Relaxed),
        };
        res
    }

    /// fsyncs and closes the writer; later writes fail with [`Error::Closed`].
    pub(crate) fn close(&self) -> Result<()> {
        let Some(w) = self.lock().take() else {
            return Ok(());
        };
        let start = Instant::now();
        let res = w.close();
        self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.stats
            .fsync_micros
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        res
    }

    /// Index of the segment being written.
    pub(crate) fn current_segment(&self) -> Option<u64> {
        self.lock().as_ref().map(Writer::current_segment)
    }
}

/// The head's handle on the WAL.
#[derive(Debug, Clone)]
pub(crate) struct WalHandle(pub(crate) Arc<WalLog>);

impl WalSink for WalHandle {
    fn log(&self, series: &[RefSeries], samples: &[RefSample]) -> Result<()> {
        // Encoding happens under its own lock, so one commit encodes while another writes.
        let mut bufs = self.0.buffers.lock().unwrap_or_else(|p| p.into_inner());
        let (series_rec, samples_rec) = &mut *bufs;
        series_rec.clear();
        samples_rec.clear();
        if !series.is_empty() {
            record::series(series, series_rec);
        }
        if !samples.is_empty() {
            record::samples(samples, samples_rec);
        }
        let res = match (series_rec.is_empty(), samples_rec.is_empty()) {
            (true, true) => Ok(()),
            (false, true) => self.0.write(&[series_rec]),
            (true, false) => self.0.write(&[samples_rec]),
            (false, false) => self.0.write(&[series_rec, samples_rec]),
        };
        // Do not keep a huge buffer from one unusually large commit.
        if series_rec.capacity() > 1 << 22 {
            *series_rec = Vec::new();
        }
        res
    }

    fn log_annotations(&self, exemplars: &[RefExemplar], metadata: &[RefMetadata]) -> Result<()> {
        let mut recs: Vec<Vec<u8>> = Vec::with_capacity(2);
        if !exemplars.is_empty() {
            let mut b = Vec::new();
            record::exemplars(exemplars, &mut b);
            recs.push(b);
        }
        if !metadata.is_empty() {
            let mut b = Vec::new();
            record::metadata(metadata, &mut b);
            recs.push(b);
        }
        let refs: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
        self.0.write(&refs)
    }

    fn log_tombstones(&self, stones: &[RefTombstone]) -> Result<()> {
        let mut rec = Vec::new();
        record::tombstones(stones, &mut rec);
        self.0.write(&[&rec])
    }
}
