//! Merging several sources into one: the head and the blocks, local and remote storage.
//!
//! Series with equal labels from several sources become one series whose samples are merged in
//! timestamp order; when two sources hold a sample at the same timestamp, the earlier source in
//! the list wins (sources are listed in order of preference).

use std::cmp::Ordering;

use flint_model::matcher::Matcher;
use flint_model::{FloatHistogram, Histogram, Labels};

use crate::error::Result;
use crate::iterator::{SampleIterator, ValueType};
use crate::memory::truncate;
use crate::querier::{Querier, SelectHints, Series, SeriesSet, Warnings};

/// A querier over several queriers.
pub struct MergeQuerier<'a> {
    sources: Vec<Box<dyn Querier + 'a>>,
}

impl<'a> MergeQuerier<'a> {
    /// Merges `sources`, most preferred first.
    pub fn new(sources: Vec<Box<dyn Querier + 'a>>) -> Self {
        MergeQuerier { sources }
    }
}

impl Querier for MergeQuerier<'_> {
    fn select(
        &self,
        sorted: bool,
        hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        if let [only] = self.sources.as_slice() {
            return only.select(sorted, hints, matchers);
        }
        let sets = self
            .sources
            .iter()
            .map(|q| q.select(true, hints, matchers))
            .collect();
        Box::new(MergeSeriesSet::new(sets))
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> Result<(Vec<String>, Warnings)> {
        self.union(limit, |q| q.label_values(name, matchers, limit))
    }

    fn label_names(&self, matchers: &[Matcher], limit: usize) -> Result<(Vec<String>, Warnings)> {
        self.union(limit, |q| q.label_names(matchers, limit))
    }
}

impl MergeQuerier<'_> {
    fn union(
        &self,
        limit: usize,
        f: impl Fn(&dyn Querier) -> Result<(Vec<String>, Warnings)>,
    ) -> Result<(Vec<String>, Warnings)> {
        let mut all = Vec::new();
        let mut warnings = Warnings::new();
        for q in &self.sources {
            let (values, w) = f(q.as_ref())?;
            all.extend(values);
            warnings.extend(w);
        }
        all.sort();
        all.dedup();
        truncate(&mut all, limit);
        Ok((all, warnings))
    }
}

/// Merges label-sorted series sets into one label-sorted set.
pub struct MergeSeriesSet<'a> {
    sets: Vec<Box<dyn SeriesSet + 'a>>,
    /// The head series of each set (None once a set is exhausted).
    heads: Vec<Option<Box<dyn Series>>>,
    started: bool,
    warnings: Warnings,
}

impl<'a> MergeSeriesSet<'a> {
    /// Merges `sets`, each sorted by labels, most preferred first.
    pub fn new(sets: Vec<Box<dyn SeriesSet + 'a>>) -> Self {
        let heads = sets.iter().map(|_| None).collect();
        MergeSeriesSet {
            sets,
            heads,
            started: false,
            warnings: Warnings::new(),
        }
    }

    fn advance(&mut self, i: usize) -> Result<()> {
        self.heads[i] = self.sets[i].next_series().transpose()?;
        Ok(())
    }
}

impl SeriesSet for MergeSeriesSet<'_> {
    fn next_series(&mut self) -> Option<Result<Box<dyn Series>>> {
        if !self.started {
            self.started = true;
            for i in 0..self.sets.len() {
                if let Err(e) = self.advance(i) {
                    return Some(Err(e));
                }
            }
        }
        // The smallest labels among the heads.
        let min = self
            .heads
            .iter()
            .flatten()
            .map(|s| s.labels())
            .min_by(|a, b| a.cmp(b))?
            .clone();
        let mut parts = Vec::new();
        for i in 0..self.heads.len() {
            if self.heads[i]
                .as_ref()
                .is_some_and(|s| s.labels().cmp(&min) == Ordering::Equal)
            {
                parts.extend(self.heads[i].take());
                if let Err(e) = self.advance(i) {
                    return Some(Err(e));
                }
            }
        }
        if parts.len() == 1 {
            return parts.pop().map(Ok);
        }
        Some(Ok(Box::new(ChainSeries { labels: min, parts })))
    }

    fn warnings(&self) -> Warnings {
        let mut w = self.warnings.clone();
        for s in &self.sets {
            w.extend(s.warnings());
        }
        w
    }
}

/// One series assembled from several sources' copies of it.
struct ChainSeries {
    labels: Labels,
    parts: Vec<Box<dyn Series>>,
}

impl Series for ChainSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(MergeIterator::new(
            self.parts.iter().map(|p| p.iterator()).collect(),
        ))
    }
}

/// Merges sample iterators by timestamp; on equal timestamps the earliest iterator wins.
pub struct MergeIterator<'a> {
    iters: Vec<Box<dyn SampleIterator + 'a>>,
    /// What each iterator currently rests on.
    state: Vec<ValueType>,
    /// The iterator holding the current sample.
    current: Option<usize>,
    started: bool,
}

impl<'a> MergeIterator<'a> {
    /// Merges `iters`, most preferred first.
    pub fn new(iters: Vec<Box<dyn SampleIterator + 'a>>) -> Self {
        let state = vec![ValueType::None; iters.len()];
        MergeIterator {
            iters,
            state,
            current: None,
            started: false,
        }
    }

    /// Picks the iterator with the smallest timestamp (earliest wins ties), then moves every
    /// other iterator resting on that same timestamp past it.
    fn pick(&mut self) -> ValueType {
        let mut best: Option<(usize, i64)> = None;
        for (i, st) in self.state.iter().enumerate() {
            if *st == ValueType::None {
                continue;
            }
            let t = self.iters[i].at_t();
            if best.is_none_or(|(_, bt)| t < bt) {
                best = Some((i, t));
            }
        }
        let Some((winner, t)) = best else {
            self.current = None;
            return ValueType::None;
        };
        for i in 0..self.iters.len() {
            if i != winner && self.state[i] != ValueType::None && self.iters[i].at_t() == t {
                self.state[i] = self.iters[i].next();
            }
        }
        self.current = Some(winner);
        self.state[winner]
    }
}

impl SampleIterator for MergeIterator<'_> {
    fn next(&mut self) -> ValueType {
        if !self.started {
            self.started = true;
            for i in 0..self.iters.len() {
                self.state[i] = self.iters[i].next();
            }
        } else if let Some(c) = self.current {
            self.state[c] = self.iters[c].next();
        } else {
            return ValueType::None;
        }
        self.pick()
    }

    fn seek(&mut self, t: i64) -> ValueType {
        if self.started && self.current.is_some_and(|c| self.iters[c].at_t() >= t) {
            return self.current.map_or(ValueType::None, |c| self.state[c]);
        }
        self.started = true;
        for i in 0..self.iters.len() {
            self.state[i] = self.iters[i].seek(t);
        }
        self.pick()
    }

    fn at(&self) -> (i64, f64) {
        self.current
            .map_or((i64::MIN, f64::NAN), |c| self.iters[c].at())
    }

    fn at_histogram(&self) -> Option<(i64, &Histogram)> {
        self.iters[self.current?].at_histogram()
    }

    fn at_float_histogram(&self) -> Option<(i64, FloatHistogram)> {
        self.iters[self.current?].at_float_histogram()
    }

    fn at_t(&self) -> i64 {
        self.current.map_or(i64::MIN, |c| self.iters[c].at_t())
    }

    fn err(&self) -> Option<crate::error::StorageError> {
        self.iters.iter().find_map(|i| i.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appender::Appendable;
    use crate::memory::MemStorage;
    use crate::querier::Queryable;
    use proptest::prelude::*;

    fn load(series: &[(&str, Vec<(i64, f64)>)]) -> MemStorage {
        let s = MemStorage::new();
        let mut app = s.appender();
        for (name, samples) in series {
            let labels = Labels::from_pairs([("__name__", *name)]);
            for (t, v) in samples {
                app.append(None, &labels, *t, *v).unwrap();
            }
        }
        app.commit().unwrap();
        s
    }

    fn collect(q: &dyn Querier) -> Vec<(String, Vec<(i64, f64)>)> {
        let mut set = q.select(true, None, &[]);
        let mut out = Vec::new();
        while let Some(series) = set.next_series() {
            let series = series.unwrap();
            let mut it = series.iterator();
            let mut samples = Vec::new();
            while it.next() == ValueType::Float {
                samples.push(it.at());
            }
            out.push((series.labels().to_string(), samples));
        }
        out
    }

    #[test]
    fn merges_series_and_prefers_the_first_source() {
        let a = load(&[("a", vec![(1, 1.0), (3, 3.0)]), ("c", vec![(1, 1.0)])]);
        let b = load(&[
            ("a", vec![(2, 20.0), (3, 30.0), (4, 40.0)]),
            ("b", vec![(5, 5.0)]),
        ]);
        let q = MergeQuerier::new(vec![a.querier(0, 10).unwrap(), b.querier(0, 10).unwrap()]);
        let got = collect(&q);
        let names: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(names.len(), 3);
        assert_eq!(got[0].1, vec![(1, 1.0), (2, 20.0), (3, 3.0), (4, 40.0)]);
        let (values, _) = q.label_values("__name__", &[], 0).unwrap();
        assert_eq!(values, vec!["a", "b", "c"]);
        let (values, _) = q.label_values("__name__", &[], 2).unwrap();
        assert_eq!(values, vec!["a", "b"]);
    }

    proptest! {
        #[test]
        fn merged_samples_are_the_sorted_union(
            xs in proptest::collection::btree_set(0i64..200, 0..50),
            ys in proptest::collection::btree_set(0i64..200, 0..50),
            seek in 0i64..220,
        ) {
            let a = load(&[("m", xs.iter().map(|t| (*t, 1.0)).collect())]);
            let b = load(&[("m", ys.iter().map(|t| (*t, 2.0)).collect())]);
            let q = MergeQuerier::new(vec![a.querier(0, 1000).unwrap(), b.querier(0, 1000).unwrap()]);
            let mut union: Vec<(i64, f64)> = xs.iter().map(|t| (*t, 1.0)).collect();
            union.extend(ys.iter().filter(|t| !xs.contains(t)).map(|t| (*t, 2.0)));
            union.sort_by_key(|s| s.0);
            let got = collect(&q);
            let flat: Vec<(i64, f64)> = got.into_iter().flat_map(|(_, s)| s).collect();
            prop_assert_eq!(&flat, &union);
            // Seeking lands on the first sample at or after the target.
            let mut set = q.select(true, None, &[]);
            if let Some(series) = set.next_series() {
                let series = series.unwrap();
                let mut it = series.iterator();
                let want = union.iter().find(|s| s.0 >= seek).copied();
                match it.seek(seek) {
                    ValueType::None => prop_assert_eq!(want, None),
                    _ => prop_assert_eq!(Some(it.at()), want),
                }
            }
        }
    }
}
