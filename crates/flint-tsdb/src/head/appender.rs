//! Batches of appends to the head, logged to the WAL and made visible on commit.

use std::sync::Arc;

use flint_model::{Exemplar, Labels, Metadata};
use flint_storage::{AppendError, Appendable, Appender, HistogramSample, SeriesRef, StorageError};

use super::Head;
use super::series::MemSeries;

/// A batch of samples for the head (one scrape, one rule evaluation).
pub struct HeadAppender<'a> {
    head: &'a Head,
    min_valid: i64,
    new_series: Vec<Arc<MemSeries>>,
    samples: Vec<(Arc<MemSeries>, i64, f64)>,
}

impl Appendable for Head {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(HeadAppender {
            head: self,
            min_valid: self.min_valid_time(),
            new_series: Vec::new(),
            samples: Vec::new(),
        })
    }
}

impl HeadAppender<'_> {
    fn resolve(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
    ) -> Result<Arc<MemSeries>, AppendError> {
        if let Some(SeriesRef(r)) = series
            && let Some(s) = self.head.series(r)
        {
            return Ok(s);
        }
        if labels.is_empty() {
            return Err(AppendError::InvalidLabels {
                labels: labels.clone(),
                reason: "empty label set".to_owned(),
            });
        }
        let (s, created) = self.head.get_or_create(labels, None);
        if created {
            self.new_series.push(s.clone());
        }
        Ok(s)
    }

    fn log_to_wal(&self) -> Result<(), StorageError> {
        let Some(wal) = self.head.wal() else {
            return Ok(());
        };
        let series: Vec<(u64, Labels)> = self
            .new_series
            .iter()
            .map(|s| (s.r, self.head.labels_of(s)))
            .collect();
        let samples: Vec<(u64, i64, f64)> =
            self.samples.iter().map(|(s, t, v)| (s.r, *t, *v)).collect();
        if series.is_empty() && samples.is_empty() {
            return Ok(());
        }
        wal.log(&series, &samples).map_err(StorageError::from)
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
        self.samples.push((s, t, v));
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
        _e: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        self.resolve(series, labels).map(|s| SeriesRef(s.r))
    }

    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        _m: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        self.resolve(series, labels).map(|s| SeriesRef(s.r))
    }

    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.log_to_wal()?;
        let (mut stored, mut min_t, mut max_t) = (0u64, i64::MAX, i64::MIN);
        for (s, t, v) in &self.samples {
            match self.head.append_sample(s, *t, *v) {
                Ok(true) => {
                    stored += 1;
                    min_t = min_t.min(*t);
                    max_t = max_t.max(*t);
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

    fn rollback(self: Box<Self>) -> Result<(), StorageError> {
        // New series stay (they are empty and get collected by truncation) and are logged so a
        // replay sees the same references.
        let this = HeadAppender {
            head: self.head,
            min_valid: self.min_valid,
            new_series: self.new_series,
            samples: Vec::new(),
        };
        this.log_to_wal()
    }
}
