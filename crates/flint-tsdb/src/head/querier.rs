//! Reading the head: matchers to postings, series to chunk snapshots.

use flint_model::{FloatHistogram, Histogram, Labels, MatchType, Matcher};
use flint_storage::{
    Querier, Queryable, SampleIterator, SelectHints, Series, SeriesSet, StorageError, ValueType,
    VecSeriesSet, Warnings,
};

use super::Head;
use super::postings::{intersect, subtract};
use crate::block::Interval;
use crate::chunkenc::{XorChunk, XorIterator};
use crate::error::Result as TsdbResult;

/// A querier over the head for `[mint, maxt]`.
pub struct HeadQuerier<'a> {
    head: &'a Head,
    mint: i64,
    maxt: i64,
}

impl Queryable for Head {
    fn querier(&self, mint: i64, maxt: i64) -> flint_storage::Result<Box<dyn Querier + '_>> {
        Ok(Box::new(HeadQuerier {
            head: self,
            mint,
            maxt,
        }))
    }
}

/// Sorted references of the head series matching every matcher (a missing label matches as
/// the empty string). Equality and alternations of literals look their values up directly;
/// other regexes scan the label's values.
pub(crate) fn postings_for(head: &Head, matchers: &[Matcher]) -> Vec<u64> {
    let mut positive: Option<Vec<u64>> = None;
    let mut negative: Vec<Vec<u64>> = Vec::new();
    for m in matchers {
        if m.matches("") {
            // Series whose value does NOT match are excluded (a missing label is "").
            negative.push(values_where(head, m.name(), |v| !m.matches(v)));
        } else {
            let list = matching(head, m);
            positive = Some(match positive {
                Some(p) => intersect(&p, &list),
                None => list,
            });
        }
        if positive.as_ref().is_some_and(Vec::is_empty) {
            return Vec::new();
        }
    }
    let mut refs = positive.unwrap_or_else(|| head.postings().all());
    for n in negative {
        refs = subtract(&refs, &n);
    }
    refs
}

fn matching(head: &Head, m: &Matcher) -> Vec<u64> {
    let symbols = head.symbols();
    let Some(name) = symbols.lookup(m.name()) else {
        return Vec::new();
    };
    let literals: Option<Vec<&str>> = match m.match_type() {
        MatchType::Equal => Some(vec![m.value()]),
        MatchType::RegexMatch => m
            .regex()
            .and_then(|r| r.set_matches())
            .map(|set| set.iter().map(String::as_str).collect()),
        _ => None,
    };
    if let Some(values) = literals {
        let ids: Vec<_> = values.iter().filter_map(|v| symbols.lookup(v)).collect();
        return head.postings().union_of(name, &ids);
    }
    values_where(head, m.name(), |v| m.matches(v))
}

fn values_where(head: &Head, name: &str, mut keep: impl FnMut(&str) -> bool) -> Vec<u64> {
    let symbols = head.symbols();
    let Some(name_id) = symbols.lookup(name) else {
        return Vec::new();
    };
    let strings = symbols.snapshot();
    head.postings().union_where(name_id, |v| {
        strings.get(v as usize).is_some_and(|s| keep(s))
    })
}

impl<'a> HeadQuerier<'a> {
    /// A querier over `head` for `[mint, maxt]`.
    pub fn new(head: &'a Head, mint: i64, maxt: i64) -> Self {
        HeadQuerier { head, mint, maxt }
    }

    fn postings(&self, matchers: &[Matcher]) -> Vec<u64> {
        postings_for(self.head, matchers)
    }

    /// Like [`Querier::select`], returning a set that does not borrow the querier (the head's
    /// selection is read eagerly).
    pub fn select_owned(&self, sorted: bool, matchers: &[Matcher]) -> VecSeriesSet {
        let mut out: Vec<ChunkSeries> = Vec::new();
        for r in self.postings(matchers) {
            match self.snapshot(r) {
                Ok(Some(s)) => out.push(s),
                Ok(None) => {}
                Err(e) => return VecSeriesSet::failed(e.into()),
            }
        }
        if sorted {
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        VecSeriesSet::new(
            out.into_iter()
                .map(|s| Box::new(s) as Box<dyn Series>)
                .collect(),
        )
    }

    fn snapshot(&self, r: u64) -> TsdbResult<Option<ChunkSeries>> {
        let Some(series) = self.head.series(r) else {
            return Ok(None);
        };
        let (mmapped, open) = {
            let state = series.lock();
            let mmapped: Vec<_> = state
                .mmapped
                .iter()
                .filter(|c| c.max_t() >= self.mint && c.min_t <= self.maxt)
                .copied()
                .collect();
            let open = state
                .open
                .as_ref()
                .filter(|c| c.max_t >= self.mint && c.min_t <= self.maxt)
                .map(|c| c.app.chunk());
            (mmapped, open)
        };
        let mut chunks = Vec::with_capacity(mmapped.len() + 1);
        for c in mmapped {
            let stored = self.head.head_chunks().read(c.r)?;
            chunks.push(XorChunk::from_bytes(stored.data)?);
        }
        chunks.extend(open);
        if chunks.is_empty() {
            return Ok(None);
        }
        Ok(Some(ChunkSeries {
            labels: self.head.labels_of(&series),
            chunks,
            mint: self.mint,
            maxt: self.maxt,
            deleted: self.head.tombstones_of(r),
        }))
    }

    fn label_refs(&self, matchers: &[Matcher]) -> Option<Vec<u64>> {
        (!matchers.is_empty()).then(|| self.postings(matchers))
    }
}

impl Querier for HeadQuerier<'_> {
    fn select(
        &self,
        sorted: bool,
        _hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_> {
        Box::new(self.select_owned(sorted, matchers))
    }

    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        let symbols = self.head.symbols();
        let mut values: Vec<String> = match self.label_refs(matchers) {
            None => symbols
                .lookup(name)
                .map(|n| self.head.postings().values(n))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| symbols.string(v).map(|s| s.to_string()))
                .collect(),
            Some(refs) => refs
                .into_iter()
                .filter_map(|r| self.head.series(r))
                .filter_map(|s| self.head.labels_of(&s).get(name).map(str::to_owned))
                .collect(),
        };
        values.sort();
        values.dedup();
        if limit > 0 {
            values.truncate(limit);
        }
        Ok((values, Warnings::new()))
    }

    fn label_names(
        &self,
        matchers: &[Matcher],
        limit: usize,
    ) -> flint_storage::Result<(Vec<String>, Warnings)> {
        let symbols = self.head.symbols();
        let mut names: Vec<String> = match self.label_refs(matchers) {
            None => self
                .head
                .postings()
                .names()
                .into_iter()
                .filter_map(|n| symbols.string(n).map(|s| s.to_string()))
                .collect(),
            Some(refs) => refs
                .into_iter()
                .filter_map(|r| self.head.series(r))
                .flat_map(|s| {
                    self.head
                        .labels_of(&s)
                        .iter()
                        .map(|l| l.name.to_string())
                        .collect::<Vec<_>>()
                })
                .collect(),
        };
        names.sort();
        names.dedup();
        if limit > 0 {
            names.truncate(limit);
        }
        Ok((names, Warnings::new()))
    }
}

/// A series as a list of XOR chunks, trimmed to `[mint, maxt]` when iterated.
pub struct ChunkSeries {
    /// The series' labels.
    pub labels: Labels,
    /// Its chunks in time order.
    pub chunks: Vec<XorChunk>,
    /// First timestamp to return.
    pub mint: i64,
    /// Last timestamp to return.
    pub maxt: i64,
    /// Deleted intervals, hidden from iteration.
    pub deleted: Vec<Interval>,
}

impl Series for ChunkSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(ChunksIterator {
            chunks: &self.chunks,
            deleted: &self.deleted,
            next_chunk: 0,
            current: None,
            t: i64::MIN,
            v: 0.0,
            mint: self.mint,
            maxt: self.maxt,
            err: None,
            done: false,
        })
    }
}

/// Iterates the samples of consecutive chunks within `[mint, maxt]`.
pub struct ChunksIterator<'a> {
    chunks: &'a [XorChunk],
    deleted: &'a [Interval],
    next_chunk: usize,
    current: Option<XorIterator<'a>>,
    t: i64,
    v: f64,
    mint: i64,
    maxt: i64,
    err: Option<StorageError>,
    done: bool,
}

impl ChunksIterator<'_> {
    fn raw_next(&mut self) -> bool {
        loop {
            if let Some(it) = self.current.as_mut() {
                match it.next() {
                    Some(Ok(s)) => {
                        self.t = s.t;
                        self.v = s.v;
                        return true;
                    }
                    Some(Err(e)) => {
                        self.err = Some(e.into());
                        return false;
                    }
                    None => self.current = None,
                }
            }
            let Some(chunk) = self.chunks.get(self.next_chunk) else {
                return false;
            };
            self.next_chunk += 1;
            self.current = Some(chunk.iter());
        }
    }
}

impl SampleIterator for ChunksIterator<'_> {
    fn next(&mut self) -> ValueType {
        while !self.done && self.raw_next() {
            if self.t > self.maxt {
                break;
            }
            if self.t >= self.mint && !self.deleted.iter().any(|iv| iv.contains(self.t)) {
                return ValueType::Float;
            }
        }
        self.done = true;
        ValueType::None
    }

    fn seek(&mut self, t: i64) -> ValueType {
        if self.done {
            return ValueType::None;
        }
        if self.t >= t && self.t >= self.mint && self.t != i64::MIN {
            return ValueType::Float;
        }
        loop {
            match self.next() {
                ValueType::None => return ValueType::None,
                vt if self.t >= t => return vt,
                _ => {}
            }
        }
    }

    fn at(&self) -> (i64, f64) {
        (self.t, self.v)
    }

    fn at_histogram(&self) -> Option<(i64, &Histogram)> {
        None
    }

    fn at_float_histogram(&self) -> Option<(i64, FloatHistogram)> {
        None
    }

    fn at_t(&self) -> i64 {
        self.t
    }

    fn err(&self) -> Option<StorageError> {
        self.err.clone()
    }
}
