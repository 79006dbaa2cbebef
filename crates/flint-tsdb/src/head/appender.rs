//! Batches of appends to the head, logged to the WAL and made visible on commit.

use std::sync::Arc;

use flint_model::{Exemplar, Labels, Metadata};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef, StorageError};

use super::Head;
use super::series::MemSeries;
use crate::record::{RefExemplar, RefMetadata, RefSample, RefSeries};

/// A batch of samples for the head (one scrape, one rule evaluation).
pub struct HeadAppender<'a> {
    head: &'a Head,
    min_valid: i64,
    new_series: Vec<RefSeries>,
    /// The samples, as logged to the WAL, and the series of each.
    samples: Vec<RefSample>,
    targets: Vec<Arc<MemSeries>>,
    /// Exemplars and metadata, logged with the commit.
    exemplars: Vec<RefExemplar>,
    metadata: Vec<RefMetadata>,
    /// Committed or rolled back.
    done: bool,
}

impl Appendable for Head {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(self.head_appender())
    }
}

/// Buffers of a finished appender, kept for the next one (no allocation per scrape).
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    samples: Vec<RefSample>,
    targets: Vec<Arc<MemSeries>>,
}

/// Appender buffers kept at most (one per concurrent scrape is enough).
const POOLED: usize = 64;

impl Head {
    /// A new appender (the concrete type behind [`Appendable::appender`]).
    pub fn head_appender(&self) -> HeadAppender<'_> {
        let bufs = self
            .appender_pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        HeadAppender {
            head: self,
            min_valid: self.min_valid_time(),
            new_series: Vec::new(),
            samples: bufs.samples,
            targets: bufs.targets,
            exemplars: Vec::new(),
            metadata: Vec::new(),
            done: false,
        }
    }
}

impl HeadAppender<'_> {
    fn resolve(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
    ) -> Result<Arc<MemSeries>, AppendError> {
        if let Some(SeriesRef(r)) = series {
            if let Some(s) = self.head.series(r) {
                return Ok(s);
            }
            if labels.is_empty() {
                return Err(AppendError::UnknownSeries(r));
            }
        }
        if labels.is_empty() {
            return Err(AppendError::InvalidLabels {
                labels: labels.clone(),
                reason: "empty label set".to_owned(),
            });
        }
        let (s, created) = self.head.get_or_create(labels, None);
        if created {
            self.new_series.push(RefSeries {
                r: s.r,
                labels: labels.clone(),
            });
        }
        Ok(s)
    }

    fn log_to_wal(&self) -> Result<(), StorageError> {
        let Some(wal) = self.head.wal() else {
            return Ok(());
        };
        if !self.new_series.is_empty() || !self.samples.is_empty() {
            wal.log(&self.new_series, &self.samples)
                .map_err(StorageError::from)?;
        }
        if !self.exemplars.is_empty() || !self.metadata.is_empty() {
            wal.log_annotations(&self.exemplars, &self.metadata)
                .map_err(StorageError::from)?;
        }
        Ok(())
    }

    /// Samples added so far.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample was added.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

impl Appender for HeadAppender<'_> {
    fn append(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, AppendError> {
        if t < self.min_valid {
            self.head.count_rejection(&AppendError::OutOfBounds);
            return Err(AppendError::OutOfBounds);
        }
        let s = self.resolve(series, labels)?;
        if let Err(e) = s.lock().check(t, v) {
            self.head.count_rejection(&e);
            return Err(e);
        }
        let r = SeriesRef(s.r);
        self.samples.push(RefSample { r: s.r, t, v });
        self.targets.push(s);
        Ok(r)
    }

    fn append_histogram(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        _t: i64,
        _h: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError> {
        // Native histogram chunks are not stored yet; the series is still created so
        // references stay valid for the caller's cache.
        let s = self.resolve(series, labels)?;
        Err(AppendError::InvalidLabels {
            labels: self.head.labels_of(&s),
            reason: "native histograms are not supported by the head yet".to_owned(),
        })
    }

    fn append_exemplar(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        e: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        let s = self.resolve(series, labels)?;
        // An exemplar without its own time takes the one of the series' sample in this batch.
        let t = e
            .timestamp
            .or_else(|| self.samples.iter().rev().find(|x| x.r == s.r).map(|x| x.t));
        if let Some(t) = t {
            self.exemplars.push(RefExemplar {
                r: s.r,
                t,
                v: e.value,
                labels: Labels::from_pairs(e.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
            });
        }
        Ok(SeriesRef(s.r))
    }

    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        m: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        let s = self.resolve(series, labels)?;
        self.metadata.push(RefMetadata {
            r: s.r,
            meta: m.clone(),
        });
        Ok(SeriesRef(s.r))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        self.done = true;
        self.log_to_wal()?;
        let (mut stored, mut min_t, mut max_t) = (0u64, i64::MAX, i64::MIN);
        for (s, rs) in self.targets.iter().zip(&self.samples) {
            let (t, v) = (rs.t, rs.v);
            match self.head.append_sample(s, t, v) {
                Ok(true) => {
                    stored += 1;
                    min_t = min_t.min(t);
                    max_t = max_t.max(t);
                }
                Ok(false) => {}
                Err(AppendError::Storage(e)) => return Err(e),
                // Another appender got there first; already counted.
                Err(_) => {}
            }
        }
        self.head.record_appended(stored, min_t, max_t);
        Ok(())
    }

    fn rollback(mut self: Box<Self>) -> Result<(), StorageError> {
        self.done = true;
        self.discard()
    }
}

impl HeadAppender<'_> {
    /// Drops the samples; new series stay (they are empty and get collected by truncation)
    /// and are logged so a replay sees the same references.
    fn discard(&mut self) -> Result<(), StorageError> {
        self.samples.clear();
        self.targets.clear();
        self.exemplars.clear();
        self.metadata.clear();
        let res = self.log_to_wal();
        self.new_series.clear();
        res
    }
}

impl Drop for HeadAppender<'_> {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = self.discard()
        {
            tracing::warn!(error = %e, "Logging the series of a dropped appender failed.");
        }
        let mut samples = std::mem::take(&mut self.samples);
        let mut targets = std::mem::take(&mut self.targets);
        if samples.capacity() > 1 << 16 {
            return; // An outsized batch: let it go.
        }
        samples.clear();
        targets.clear();
        let mut pool = self
            .head
            .appender_pool
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOLED {
            pool.push(Buffers { samples, targets });
        }
    }
}
