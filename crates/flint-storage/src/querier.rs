//! Reading: [`Queryable`], [`Querier`], [`SeriesSet`] and [`Series`].

use flint_model::Labels;
use flint_model::matcher::Matcher;

use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::iterator::{SampleIterator, SliceIterator, TimedValue};

/// Non-fatal problems met while querying (a remote source down, a limit reached), passed on to
/// the API's `warnings`.
pub type Warnings = Vec<String>;

/// What the query engine intends to do with selected series; storages may use it to read less.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectHints {
    /// Start of the queried range, milliseconds (lookback and range included).
    pub start: i64,
    /// End of the queried range, milliseconds.
    pub end: i64,
    /// Query resolution step in milliseconds (0 for instant queries).
    pub step: i64,
    /// Range of a range-vector selector in milliseconds (0 for instant selectors).
    pub range: i64,
    /// The surrounding function, e.g. `rate`; `series` when only labels are needed.
    pub func: String,
    /// Grouping labels of the surrounding aggregation.
    pub grouping: Vec<String>,
    /// Whether `grouping` is `by` (true) or `without` (false).
    pub by: bool,
    /// Most series the caller wants (0 = unlimited).
    pub limit: usize,
}

/// Something that can be queried over a time range.
pub trait Queryable: Send + Sync {
    /// A querier over samples in `[mint, maxt]` (milliseconds, inclusive).
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier + '_>>;
}

/// Reads series and labels within a fixed time range.
pub trait Querier: Send + Sync {
    /// Series matching every matcher, with their samples in the querier's range. `sorted` asks
    /// for series ordered by labels (needed to merge several sources).
    fn select(
        &self,
        sorted: bool,
        hints: Option<&SelectHints>,
        matchers: &[Matcher],
    ) -> Box<dyn SeriesSet + '_>;

    /// Sorted distinct values of label `name` among series matching `matchers` (all series when
    /// empty), at most `limit` (0 = unlimited).
    fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        limit: usize,
    ) -> Result<(Vec<String>, Warnings)>;

    /// Sorted distinct label names among series matching `matchers`, at most `limit`.
    fn label_names(&self, matchers: &[Matcher], limit: usize) -> Result<(Vec<String>, Warnings)>;
}

/// One series: its labels and a way to iterate its samples.
pub trait Series: Send + Sync {
    /// The series' labels.
    fn labels(&self) -> &Labels;
    /// A fresh iterator over its samples in the querier's range.
    fn iterator(&self) -> Box<dyn SampleIterator + '_>;
}

/// A series held in memory: labels and time-sorted samples.
#[derive(Debug, Clone)]
pub struct ListSeries {
    /// The series' labels.
    pub labels: Labels,
    /// Its samples, sorted by timestamp.
    pub samples: Arc<[TimedValue]>,
}

impl Series for ListSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }
    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(SliceIterator::new(self.samples.clone()))
    }
}

/// A stream of series.
pub trait SeriesSet: Send {
    /// The next series, or the error that ended the stream.
    fn next_series(&mut self) -> Option<Result<Box<dyn Series>>>;
    /// Warnings gathered so far.
    fn warnings(&self) -> Warnings {
        Warnings::new()
    }
}

/// A [`SeriesSet`] over series already in memory.
pub struct VecSeriesSet {
    series: std::vec::IntoIter<Box<dyn Series>>,
    warnings: Warnings,
    error: Option<StorageError>,
}

impl VecSeriesSet {
    /// A set yielding `series` in order.
    pub fn new(series: Vec<Box<dyn Series>>) -> Self {
        VecSeriesSet {
            series: series.into_iter(),
            warnings: Warnings::new(),
            error: None,
        }
    }

    /// A set that yields nothing but `error`.
    pub fn failed(error: StorageError) -> Self {
        VecSeriesSet {
            series: Vec::new().into_iter(),
            warnings: Warnings::new(),
            error: Some(error),
        }
    }

    /// Adds warnings reported with the set.
    pub fn with_warnings(mut self, warnings: Warnings) -> Self {
        self.warnings = warnings;
        self
    }
}

impl SeriesSet for VecSeriesSet {
    fn next_series(&mut self) -> Option<Result<Box<dyn Series>>> {
        if let Some(err) = self.error.take() {
            return Some(Err(err));
        }
        self.series.next().map(Ok)
    }

    fn warnings(&self) -> Warnings {
        self.warnings.clone()
    }
}

/// Whether `labels` satisfies every matcher (a missing label matches as the empty string).
pub fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}
