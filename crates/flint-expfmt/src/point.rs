//! Borrowed views of metric points: what an encoder is handed, one metric at a time.
//!
//! These types are the contract between producers of metrics (the `flint-client` registry,
//! the owned [`crate::family::MetricFamily`] model, federation later) and the encoders. They
//! borrow everything so a producer can stream straight from its atomics without building an
//! intermediate tree.

use flint_model::{Exemplar, Histogram, MetricType};

/// The header of a metric family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyHeader<'a> {
    /// Family name without type suffixes (`http_requests`, not `http_requests_total`, for an
    /// OpenMetrics counter; encoders add `_total`, `_bucket`, … themselves).
    pub name: &'a str,
    /// Help text, unescaped; empty for none.
    pub help: &'a str,
    /// The family type.
    pub metric_type: MetricType,
    /// Unit (OpenMetrics `# UNIT`), empty for none.
    pub unit: &'a str,
}

/// Label pairs of one metric, visited in order.
///
/// Implemented for slices of pairs; producers with labels in other shapes (const labels plus
/// a label struct, say) implement it to avoid collecting into a temporary.
pub trait EncodeLabels {
    /// Calls `f` with each (name, value) pair, in output order.
    fn visit(&self, f: &mut dyn FnMut(&str, &str));
}

impl EncodeLabels for [(&str, &str)] {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in self {
            f(n, v);
        }
    }
}

impl EncodeLabels for [(String, String)] {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in self {
            f(n, v);
        }
    }
}

impl<T: EncodeLabels + ?Sized> EncodeLabels for &T {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        (**self).visit(f);
    }
}

impl EncodeLabels for Vec<(String, String)> {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        self.as_slice().visit(f);
    }
}

impl<const N: usize> EncodeLabels for [(&str, &str); N] {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        self.as_slice().visit(f);
    }
}

/// No labels.
impl EncodeLabels for () {
    fn visit(&self, _f: &mut dyn FnMut(&str, &str)) {}
}

/// Two label sources concatenated (const labels followed by a child's labels, for example).
pub struct ChainLabels<'a>(pub &'a dyn EncodeLabels, pub &'a dyn EncodeLabels);

impl EncodeLabels for ChainLabels<'_> {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        self.0.visit(f);
        self.1.visit(f);
    }
}

/// One classic histogram bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket<'a> {
    /// Inclusive upper bound (`le`); the last bucket is `+Inf`.
    pub upper_bound: f64,
    /// Cumulative count of observations `<= upper_bound`.
    pub cumulative_count: f64,
    /// Exemplar of an observation in this bucket.
    pub exemplar: Option<&'a Exemplar>,
}

/// A histogram point: classic buckets, a native histogram, or both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramPoint<'a> {
    /// Number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Classic buckets, ascending by bound, ending with `+Inf` when non-empty.
    pub buckets: &'a [Bucket<'a>],
    /// Creation time in seconds since the epoch (OpenMetrics `_created`).
    pub created: Option<f64>,
    /// Native histogram representation (protobuf only; text formats write the classic buckets).
    pub native: Option<&'a Histogram>,
    /// Exemplars attached to the native histogram (protobuf only).
    pub native_exemplars: &'a [Exemplar],
}

/// A summary point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummaryPoint<'a> {
    /// Number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// (quantile, value) pairs, ascending by quantile.
    pub quantiles: &'a [(f64, f64)],
    /// Creation time in seconds since the epoch (OpenMetrics `_created`).
    pub created: Option<f64>,
}

/// The value part of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point<'a> {
    /// A counter value.
    Counter {
        /// Current total.
        value: f64,
        /// Creation time in seconds since the epoch (OpenMetrics `_created`).
        created: Option<f64>,
        /// Exemplar of the last interesting increment.
        exemplar: Option<&'a Exemplar>,
    },
    /// A gauge value.
    Gauge(f64),
    /// An untyped/unknown value.
    Unknown(f64),
    /// A histogram (classic and/or native).
    Histogram(HistogramPoint<'a>),
    /// A gauge histogram (OpenMetrics `_gcount`/`_gsum`).
    GaugeHistogram(HistogramPoint<'a>),
    /// A summary.
    Summary(SummaryPoint<'a>),
    /// An info metric (value 1; the information is in the labels).
    Info,
    /// A state set: each state becomes a label value with 1 (set) or 0.
    StateSet(&'a [(&'a str, bool)]),
}

/// Something that writes metric families in one exposition format.
///
/// Call [`Encoder::family`] once per family, then [`Encoder::metric`] for each metric in it,
/// then [`Encoder::finish`] once at the end. Encoders write into a `Vec<u8>` and cannot fail;
/// callers are responsible for passing valid names (see [`flint_model::names`]).
pub trait Encoder {
    /// Starts a new family (ends the previous one).
    fn family(&mut self, header: &FamilyHeader<'_>);
    /// Writes one metric of the current family.
    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, timestamp_ms: Option<i64>);
    /// Ends the output (OpenMetrics writes `# EOF`; protobuf flushes the last family).
    fn finish(&mut self);
}
