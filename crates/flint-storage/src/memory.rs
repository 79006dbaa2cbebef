//! An in-memory storage implementing the whole contract: the reference for contract tests and a
//! fixture for components above storage (PromQL, rules) in their tests.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use flint_model::matcher::Matcher;
use flint_model::{Exemplar, Labels, Metadata};

use crate::appender::{Appendable, Appender, HistogramSample, SeriesRef};
use crate::error::{AppendError, Result, StorageError};
use crate::iterator::{TimedValue, Value};
use crate::querier::{
    ListSeries, Querier, Queryable, SelectHints, Series, SeriesSet, VecSeriesSet, Warnings,
    matches_all,
};

#[derive(Debug, Default)]
struct Inner {
    /// Series by labels; the position in `refs` is the series reference.
    series: BTreeMap<Labels, usize>,
    refs: Vec<(Labels, Vec<TimedValue>)>,
}

/// A storage that keeps every sample in memory, ordered and deduplicated like the TSDB.
#[derive(Debug, Default, Clone)]
pub struct MemStorage {
    inner: Arc<RwLock<Inner>>,
}

impl MemStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of series.
    pub fn num_series(&self) -> usize {
        self.inner.read().map_or(0, |i| i.refs.len())
    }
}

fn poisoned() -> StorageError {
    StorageError::NotReady("memory storage lock poisoned".to_owned())
}

impl Appendable for MemStorage {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(MemAppender {
            storage: self,
            pending: Vec::new(),
        })
    }
}

/// The reference handed out for a series not committed yet.
const PENDING: u64 = u64::MAX;

struct MemAppender<'a> {
    storage: &'a MemStorage,
    pending: Vec<(Labels, TimedValue)>,
}

impl MemAppender<'_> {
    fn add(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        tv: TimedValue,
    ) -> Result<SeriesRef, AppendError> {
        let inner = self.storage.inner.read().map_err(|_| poisoned())?;
        let labels = match series {
            // `PENDING`: a series first appended in this batch; its labels say which.
            Some(SeriesRef(r)) if r != PENDING => {
                let idx = usize::try_from(r).map_err(|_| AppendError::UnknownSeries(r))?;
                inner
                    .refs
                    .get(idx)
                    .map(|(l, _)| l.clone())
                    .ok_or(AppendError::UnknownSeries(r))?
            }
            _ => labels.clone(),
        };
        if labels.is_empty() {
            return Err(AppendError::InvalidLabels {
                labels,
                reason: "empty label set".to_owned(),
            });
        }
        let last = self
            .pending
            .iter()
            .rev()
            .find(|(l, _)| *l == labels)
            .map(|(_, tv)| tv.clone())
            .or_else(|| {
                inner
                    .series
                    .get(&labels)
                    .and_then(|i| inner.refs[*i].1.last().cloned())
            });
        if let Some(last) = last {
            if tv.t < last.t {
                return Err(AppendError::OutOfOrder);
            }
            if tv.t == last.t && !same_value(&tv.value, &last.value) {
                return Err(AppendError::DuplicateTimestamp);
            }
        }
        let reference = inner.series.get(&labels).map_or(PENDING, |&i| i as u64);
        drop(inner);
        self.pending.push((labels, tv));
        Ok(SeriesRef(reference))
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

impl Appender for MemAppender<'_> {
    fn append(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, AppendError> {
        self.add(
            series,
            labels,
            TimedValue {
                t,
                value: Value::Float(v),
            },
        )
    }

    fn append_histogram(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        h: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError> {
        let value = match h {
            HistogramSample::Int(h) => Value::Histogram(Arc::new(h.clone())),
            HistogramSample::Float(h) => Value::FloatHistogram(Arc::new(h.clone())),
        };
        self.add(series, labels, TimedValue { t, value })
    }

    fn append_exemplar(
        &mut self,
        series: Option<SeriesRef>,
        _labels: &Labels,
        _e: &Exemplar,
    ) -> Result<SeriesRef, AppendError> {
        Ok(series.unwrap_or(SeriesRef(PENDING)))
    }

    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        _labels: &Labels,
        _m: &Metadata,
    ) -> Result<SeriesRef, AppendError> {
        Ok(series.unwrap_or(SeriesRef(PENDING)))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let mut inner = self.storage.inner.write().map_err(|_| poisoned())?;
        for (labels, tv) in self.pending {
            let idx = match inner.series.get(&labels) {
                Some(i) => *i,
                None => {
                    let i = inner.refs.len();
                    inner.series.insert(labels.clone(), i);
                    inner.refs.push((labels, Vec::new()));
                    i
                }
            };
            let samples = &mut inner.refs[idx].1;
            if samples.last().is_none_or(|last| last.t < tv.t) {
                samples.push(tv);
            }
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

impl Queryable for MemStorage {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier + '_>> {
        Ok(Box::new(MemQuerier {
            storage: self,
            mint,
            maxt,
        }))
    }
}

struct MemQuerier<'a> {
    storage: &'a MemStorage,
    mint: i64,
    maxt: i64,
}

impl MemQuerier<'_> {
    fn matching(&self, matchers: &[Matcher]) -> Result<Vec<(Labels, Arc<[TimedValue]>)>> {
        let inner = self.storage.inner.read().map_err(|_| poisoned())?;
        Ok(inner
            .series
            .iter()
            .filter(|(labels, _)| matches_all(labels, matchers))
            .filter_map(|(labels, idx)| {
                let samples: Arc<[TimedValue]> = inner.refs[*idx]
                    .1
                    .iter()
                    .filter(|s| s.t >= self.mint && s.t <= self.maxt)
                    .cloned()
                    .collect();
                (!samples.is_empty()).then(|| (labels.clone(), samples))
            })
            .collect())
    }
}

impl Querier for MemQuerier<'_> {
    fn select(
        &self,
        _sorted: bool,
        _hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        match self.matching(matchers) {
            Ok(found) => Box::new(VecSeriesSet::new(
                found
                    .into_iter()
                    .map(|(labels, samples)| {
                        Box::new(ListSeries { labels, samples }) as Box<dyn Series>
                    })
                    .collect(),
            )),
            Err(e) => Box::new(VecSeriesSet::failed(e)),
        }
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> Result<(Vec<String>, Warnings)> {
        let mut values: Vec<String> = self
            .matching(matchers)?
            .iter()
            .filter_map(|(l, _)| l.get(name).map(str::to_owned))
            .collect();
        values.sort();
        values.dedup();
        truncate(&mut values, limit);
        Ok((values, Warnings::new()))
    }

    fn label_names(&self, matchers: &[Matcher], limit: usize) -> Result<(Vec<String>, Warnings)> {
        let mut names: Vec<String> = self
            .matching(matchers)?
            .iter()
            .flat_map(|(l, _)| {
                l.iter()
                    .map(|label| label.name.to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        names.sort();
        names.dedup();
        truncate(&mut names, limit);
        Ok((names, Warnings::new()))
    }
}

/// Keeps the first `limit` entries (0 = all).
pub(crate) fn truncate(v: &mut Vec<String>, limit: usize) {
    if limit > 0 {
        v.truncate(limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iterator::ValueType;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn commit_makes_samples_visible_and_rejects_disorder() {
        let s = MemStorage::new();
        let a = l(&[("__name__", "up"), ("job", "x")]);
        let mut app = s.appender();
        app.append(None, &a, 10, 1.0).unwrap();
        app.append(None, &a, 20, 2.0).unwrap();
        assert!(matches!(
            app.append(None, &a, 15, 3.0),
            Err(AppendError::OutOfOrder)
        ));
        assert!(matches!(
            app.append(None, &a, 20, 9.0),
            Err(AppendError::DuplicateTimestamp)
        ));
        // The same value at the same timestamp is accepted and ignored.
        app.append(None, &a, 20, 2.0).unwrap();
        assert_eq!(s.num_series(), 0, "nothing visible before commit");
        app.commit().unwrap();
        let q = s.querier(0, 100).unwrap();
        let mut set = q.select(true, None, &[]);
        let series = set.next_series().unwrap().unwrap();
        let mut it = series.iterator();
        assert_eq!(it.next(), ValueType::Float);
        assert_eq!(it.at(), (10, 1.0));
        assert_eq!(it.next(), ValueType::Float);
        assert_eq!(it.next(), ValueType::None);
        assert!(set.next_series().is_none());
    }

    #[test]
    fn rollback_discards() {
        let s = MemStorage::new();
        let mut app = s.appender();
        app.append(None, &l(&[("a", "b")]), 1, 1.0).unwrap();
        app.rollback().unwrap();
        assert_eq!(s.num_series(), 0);
    }
}
