//! Agent mode's storage: a WAL and nothing else. Appends are written to the WAL (series
//! records for new series, sample records per commit) and kept nowhere else, so the
//! remote-write queues tailing the WAL are the only readers. [`AgentDb::truncate`] drops
//! series whose newest sample is older than the cut-off, writes a checkpoint of the rest and
//! deletes the segments before it, as upstream's agent does every
//! `--storage.agent.wal-truncate-frequency`; the cut-off is what every queue has sent,
//! held within `[max_time, min_time]` before now.
//!
//! A restart replays the series records (and the newest timestamp of each series) from
//! the last checkpoint and the segments after it, so references stay stable and the queues
//! keep resolving the samples they have not sent yet.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flint_model::{Exemplar, Labels, Metadata};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef, StorageError};

use crate::db::DirLock;
use crate::error::Result;
use crate::record::{Decoder, Record, RefSample, RefSeries};
use crate::wlog::{Reader, Writer, WriterOptions, checkpoint, delete_checkpoints, list_segments};

/// How the agent's WAL is kept.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Snappy-compress WAL records (`--storage.agent.wal-compression`).
    pub wal_compression: bool,
    /// Keep at least this much data, even if sent (`--storage.agent.retention.min-time`).
    pub min_time: Duration,
    /// Keep at most this much, even if not sent (`--storage.agent.retention.max-time`).
    pub max_time: Duration,
    /// How often to truncate (`--storage.agent.wal-truncate-frequency`).
    pub truncate_every: Duration,
    /// Do not take the directory's lock file (`--storage.agent.no-lockfile`).
    pub no_lockfile: bool,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            wal_compression: true,
            min_time: Duration::from_secs(5 * 60),
            max_time: Duration::from_secs(4 * 3600),
            truncate_every: Duration::from_secs(2 * 3600),
            no_lockfile: false,
        }
    }
}

#[derive(Debug)]
struct Series {
    labels: Labels,
    /// Newest sample timestamp (`i64::MIN` before the first).
    last_t: i64,
}

#[derive(Debug, Default)]
struct SeriesMap {
    by_labels: HashMap<Labels, u64>,
    by_ref: HashMap<u64, Series>,
    next_ref: u64,
}

#[derive(Debug)]
struct Inner {
    wal_dir: PathBuf,
    opts: AgentOptions,
    writer: Mutex<Writer>,
    series: Mutex<SeriesMap>,
    _lock: Option<DirLock>,
}

/// The agent's WAL-only storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentDb {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AgentDb {
    /// Opens (creating it) the agent storage in `dir` (the WAL lives in `dir/wal`), repairing
    /// a torn WAL tail and replaying the series records.
    pub fn open(dir: &Path, opts: AgentOptions) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::Error::io(format!("creating {}", dir.display()), e))?;
        let lock_file = if opts.no_lockfile {
            None
        } else {
            Some(DirLock::acquire(dir)?)
        };
        let wal_dir = dir.join("wal");
        let (writer, repaired) = Writer::open(
            &wal_dir,
            WriterOptions {
                compress: opts.wal_compression,
                ..WriterOptions::default()
            },
        )?;
        if let Some(r) = repaired {
            tracing::warn!(repair = ?r, "Repaired the agent's WAL");
        }
        let series = replay(&wal_dir)?;
        tracing::info!(series = series.by_ref.len(), "Replayed the agent's WAL");
        Ok(AgentDb {
            inner: Arc::new(Inner {
                wal_dir,
                opts,
                writer: Mutex::new(writer),
                series: Mutex::new(series),
                _lock: lock_file,
            }),
        })
    }

    /// The WAL directory (what remote write tails).
    pub fn wal_dir(&self) -> &Path {
        &self.inner.wal_dir
    }

    /// Series held (those sampled since the last truncation's cut-off).
    pub fn num_series(&self) -> usize {
        lock(&self.inner.series).by_ref.len()
    }

    /// Drops series with no sample at or after `mint`, checkpoints the rest with their
    /// samples from `mint` on, and deletes the WAL segments the checkpoint covers.
    pub fn truncate(&self, mint: i64) -> Result<()> {
        let keep: std::collections::HashSet<u64> = {
            let mut s = lock(&self.inner.series);
            let gone: Vec<u64> = s
                .by_ref
                .iter()
                .filter(|(_, x)| x.last_t < mint)
                .map(|(r, _)| *r)
                .collect();
            for r in gone {
                if let Some(x) = s.by_ref.remove(&r) {
                    s.by_labels.remove(&x.labels);
                }
            }
            s.by_ref.keys().copied().collect()
        };
        // Close the segment being written, so every segment before the new one can be
        // checkpointed.
        let (first, last) = {
            let mut w = lock(&self.inner.writer);
            let writing = w.next_segment()?;
            let first = list_segments(&self.inner.wal_dir)?
                .first()
                .map_or(writing, |s| s.index);
            (first, writing.saturating_sub(1))
        };
        if first > last {
            return Ok(());
        }
        let stats = checkpoint(
            &self.inner.wal_dir,
            first,
            last,
            |r| keep.contains(&r),
            mint,
            self.inner.opts.wal_compression,
        )?;
        lock(&self.inner.writer).truncate(last + 1)?;
        delete_checkpoints(&self.inner.wal_dir, last)?;
        tracing::info!(first, last, stats = ?stats, kept = keep.len(), "Truncated the agent's WAL");
        Ok(())
    }

    /// The cut-off of a truncation at `now` (ms) when the queues have sent up to
    /// `lowest_sent` (ms; `None` without queues): never keeps more than `max_time` nor less
    /// than `min_time`.
    pub fn cut_off(&self, now: i64, lowest_sent: Option<i64>) -> i64 {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let newest_allowed = now - ms(self.inner.opts.min_time);
        let oldest_allowed = now - ms(self.inner.opts.max_time);
        lowest_sent
            .unwrap_or(newest_allowed)
            .min(newest_allowed)
            .max(oldest_allowed)
    }

    /// Truncates every `truncate_every` until `cancel`, asking `lowest_sent` how far the
    /// queues have delivered.
    pub async fn run<F, Fut>(self, cancel: tokio_util::sync::CancellationToken, lowest_sent: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Option<i64>> + Send,
    {
        let every = self.inner.opts.truncate_every.max(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let mint = self.cut_off(now, lowest_sent().await);
            let db = self.clone();
            match tokio::task::spawn_blocking(move || db.truncate(mint)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "Truncating the agent's WAL failed"),
                Err(e) => tracing::error!(error = %e, "Truncating the agent's WAL failed"),
            }
        }
        if let Err(e) = lock(&self.inner.writer).sync() {
            tracing::error!(error = %e, "Syncing the agent's WAL failed");
        }
    }
}

/// The series (and their newest timestamps) in the last checkpoint and the segments after.
fn replay(wal_dir: &Path) -> Result<SeriesMap> {
    let (mut reader, _) = Reader::from_last_checkpoint(wal_dir)?;
    let mut dec = Decoder::new();
    let mut map = SeriesMap::default();
    while let Some(rec) = reader.next_record()? {
        match dec.decode(rec) {
            Ok(Record::Series(list)) => {
                for s in list {
                    map.next_ref = map.next_ref.max(s.r + 1);
                    map.by_labels.insert(s.labels.clone(), s.r);
                    map.by_ref.insert(
                        s.r,
                        Series {
                            labels: s.labels,
                            last_t: i64::MIN,
                        },
                    );
                }
            }
            Ok(Record::Samples(list)) => {
                for s in list {
                    if let Some(x) = map.by_ref.get_mut(&s.r) {
                        x.last_t = x.last_t.max(s.t);
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Skipping an undecodable record of the agent's WAL");
            }
        }
    }
    Ok(map)
}

impl Appendable for AgentDb {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(AgentAppender {
            db: self,
            new_series: Vec::new(),
            pending: HashMap::new(),
            samples: Vec::new(),
        })
    }
}

/// One batch: new series get references at once but enter the map (and the WAL) at commit.
struct AgentAppender<'a> {
    db: &'a AgentDb,
    new_series: Vec<RefSeries>,
    /// New series of this batch by labels.
    pending: HashMap<Labels, u64>,
    samples: Vec<RefSample>,
}

impl AgentAppender<'_> {
    /// The reference of a series and its newest timestamp, creating it if needed.
    fn resolve(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
    ) -> Result<(u64, i64), AppendError> {
        let mut map = lock(&self.db.inner.series);
        if let Some(SeriesRef(r)) = series {
            if let Some(x) = map.by_ref.get(&r) {
                return Ok((r, x.last_t));
            }
            if let Some(r) = self.new_series.iter().find(|s| s.r == r).map(|s| s.r) {
                return Ok((r, i64::MIN));
            }
        }
        if let Some(&r) = map.by_labels.get(labels) {
            let t = map.by_ref.get(&r).map_or(i64::MIN, |x| x.last_t);
            return Ok((r, t));
        }
        if let Some(&r) = self.pending.get(labels) {
            return Ok((r, i64::MIN));
        }
        if labels.is_empty() {
            return Err(AppendError::InvalidLabels {
                labels: labels.clone(),
                reason: "empty label set".into(),
            });
        }
        let r = map.next_ref.max(1);
        map.next_ref = r + 1;
        self.pending.insert(labels.clone(), r);
        self.new_series.push(RefSeries {
            r,
            labels: labels.clone(),
        });
        Ok((r, i64::MIN))
    }
}

impl Appender for AgentAppender<'_> {
    fn append(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, AppendError> {
        let (r, last_t) = self.resolve(series, labels)?;
        let batch_last = self
            .samples
            .iter()
            .rev()
            .find(|s| s.r == r)
            .map_or(last_t, |s| s.t.max(last_t));
        if t < batch_last {
            return Err(AppendError::OutOfOrder);
        }
        self.samples.push(RefSample { r, t, v });
        Ok(SeriesRef(r))
    }

    fn append_histogram(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        _t: i64,
        _h: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError> {
        let (r, _) = self.resolve(series, labels)?;
        Err(AppendError::InvalidLabels {
            labels: labels.clone(),
            reason: format!("series {r}: native histograms are not supported by the agent yet"),
        })
    }

    fn append_exemplar(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        _exemplar: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        // Remote write does not send exemplars yet, so the agent does not log them.
        self.resolve(series, labels).map(|(r, _)| SeriesRef(r))
    }

    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        _metadata: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        self.resolve(series, labels).map(|(r, _)| SeriesRef(r))
    }

    fn commit(self: Box<Self>) -> std::result::Result<(), StorageError> {
        if self.new_series.is_empty() && self.samples.is_empty() {
            return Ok(());
        }
        let (mut series_rec, mut samples_rec) = (Vec::new(), Vec::new());
        if !self.new_series.is_empty() {
            crate::record::series(&self.new_series, &mut series_rec);
        }
        if !self.samples.is_empty() {
            crate::record::samples(&self.samples, &mut samples_rec);
        }
        {
            let recs: Vec<&[u8]> = [series_rec.as_slice(), samples_rec.as_slice()]
                .into_iter()
                .filter(|r| !r.is_empty())
                .collect();
            lock(&self.db.inner.writer)
                .log(&recs)
                .map_err(StorageError::from)?;
        }
        let mut map = lock(&self.db.inner.series);
        for s in self.new_series {
            map.by_labels.insert(s.labels.clone(), s.r);
            map.by_ref.insert(
                s.r,
                Series {
                    labels: s.labels,
                    last_t: i64::MIN,
                },
            );
        }
        for s in &self.samples {
            if let Some(x) = map.by_ref.get_mut(&s.r) {
                x.last_t = x.last_t.max(s.t);
            }
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) -> std::result::Result<(), StorageError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
