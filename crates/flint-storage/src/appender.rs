//! Writing: [`Appendable`] and [`Appender`].

use flint_model::{Exemplar, FloatHistogram, Histogram, Labels, Metadata};

use crate::error::{AppendError, Result};

/// A storage-assigned reference to a series.
///
/// Returned by every append; passing it back on the next append of the same series lets the
/// storage skip hashing and looking up the labels (the scrape cache keeps these). A reference
/// stays valid while the series exists in the storage; an unknown one yields
/// [`AppendError::UnknownSeries`] and the caller retries with labels only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesRef(pub u64);

/// Something that accepts samples.
pub trait Appendable: Send + Sync {
    /// A new appender: a batch that becomes visible on commit.
    fn appender(&self) -> Box<dyn Appender + '_>;
}

/// A batch of appends, visible to queries together on [`Appender::commit`].
///
/// Each method takes an optional series reference and the series' labels; when the reference
/// is known the labels are not examined. Per-sample failures come back as [`AppendError`]
/// values the caller counts; the batch goes on. An appender dropped without commit rolls back.
pub trait Appender: Send {
    /// Appends a float sample (the staleness marker included).
    fn append(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        v: f64,
    ) -> Result<SeriesRef, AppendError>;

    /// Appends a native histogram sample, integer or float.
    fn append_histogram(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        t: i64,
        h: HistogramSample<'_>,
    ) -> Result<SeriesRef, AppendError>;

    /// Attaches an exemplar to a series.
    fn append_exemplar(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        exemplar: &Exemplar,
    ) -> Result<SeriesRef, AppendError>;

    /// Records the metadata (type, unit, help) of a series.
    fn update_metadata(
        &mut self,
        series: Option<SeriesRef>,
        labels: &Labels,
        metadata: &Metadata,
    ) -> Result<SeriesRef, AppendError>;

    /// Makes the batch durable (as the storage's WAL policy promises) and visible.
    fn commit(self: Box<Self>) -> Result<()>;

    /// Discards the batch.
    fn rollback(self: Box<Self>) -> Result<()>;
}

/// A native histogram sample in either representation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistogramSample<'a> {
    /// Integer counts (what scrapes produce).
    Int(&'a Histogram),
    /// Float counts (what recording rules produce).
    Float(&'a FloatHistogram),
}
