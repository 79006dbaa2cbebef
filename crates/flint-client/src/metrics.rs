//! Metric types and the traits the registry uses to encode them.

pub mod counter;
pub mod exemplar;
pub mod family;
pub mod gauge;
pub mod histogram;
pub mod info;
pub mod native_histogram;
pub mod stateset;
pub mod summary;

use std::sync::atomic::AtomicU64;

use flint_expfmt::{ChainLabels, EncodeLabels, Encoder, FamilyHeader, Point};
use flint_model::MetricType;

/// Something the registry can encode: a single metric or a [`family::Family`] of them.
///
/// Implemented by every metric type of this crate; implement it yourself for custom metrics
/// (or prefer a [`Collector`](crate::collector::Collector)).
pub trait Metric: Send + Sync + 'static {
    /// The family type written in `# TYPE`.
    fn metric_type(&self) -> MetricType;
    /// Writes this metric's point(s) with [`MetricEncoder::point`].
    fn encode(&self, out: &mut MetricEncoder<'_>);
}

/// A metric usable as a child of a [`family::Family`]: a cheap, cloneable handle.
pub trait ChildMetric: Metric + Clone {
    /// Reports whether the metric was written since the last call, using `marker` as the
    /// caller-owned memory of what was seen last. Used by idle expiry; costs nothing on the
    /// write path for counters and histograms (their value itself changes on every write).
    fn written_since(&self, marker: &AtomicU64) -> bool;
}

/// Creates a new child metric for a family (histogram buckets, summary options...).
pub trait MetricConstructor<M>: Send + Sync + 'static {
    /// Makes a fresh metric.
    fn new_metric(&self) -> M;
}

impl<M, F: Fn() -> M + Send + Sync + 'static> MetricConstructor<M> for F {
    fn new_metric(&self) -> M {
        self()
    }
}

/// Writes points of one metric family; handed to [`Metric::encode`].
///
/// Prepends the registry's and the metric's const labels to every point.
pub struct MetricEncoder<'a> {
    pub(crate) encoder: &'a mut dyn Encoder,
    pub(crate) header: FamilyHeader<'a>,
    pub(crate) const_labels: &'a dyn EncodeLabels,
}

impl std::fmt::Debug for MetricEncoder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricEncoder")
            .field("header", &self.header)
            .finish()
    }
}

impl<'a> MetricEncoder<'a> {
    /// The family being written.
    pub fn header(&self) -> &FamilyHeader<'a> {
        &self.header
    }

    /// Writes one point with `labels` (after the const labels).
    pub fn point(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>) {
        let chained = ChainLabels(self.const_labels, labels);
        self.encoder.metric(&chained, point, None);
    }

    /// Starts another family after this one (used for a family's overflow counter).
    pub(crate) fn extra_family(&mut self, header: &FamilyHeader<'_>) {
        self.encoder.family(header);
    }
}

/// The empty label set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoLabels;

impl EncodeLabels for NoLabels {
    fn visit(&self, _f: &mut dyn FnMut(&str, &str)) {}
}

/// Label set of an unlabelled metric.
pub(crate) const NO_LABELS: &NoLabels = &NoLabels;

/// Atomically adds `v` to an `f64` stored as bits.
#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut old = cell.load(Relaxed);
    loop {
        let new = (f64::from_bits(old) + v).to_bits();
        match cell.compare_exchange_weak(old, new, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => old = actual,
        }
    }
}

/// Change detection for metrics whose stored value changes on every write.
#[inline]
pub(crate) fn changed(marker: &AtomicU64, now: u64) -> bool {
    marker.swap(now, std::sync::atomic::Ordering::Relaxed) != now
}
