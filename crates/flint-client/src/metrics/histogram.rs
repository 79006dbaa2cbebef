//! Histograms: classic buckets (with linear/exponential helpers) and/or native buckets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use flint_expfmt::{Bucket, HistogramPoint, Point};
use flint_model::MetricType;

use super::exemplar::ExemplarSlot;
use super::native_histogram::{NativeBuckets, NativeConfig};
use super::{ChildMetric, Metric, MetricEncoder, NO_LABELS, add_f64, changed};
use crate::error::{Error, Result};

/// Validated classic bucket upper bounds (strictly increasing, finite, `+Inf` implied).
///
/// ```
/// use flint_client::metrics::histogram::Buckets;
/// assert_eq!(Buckets::linear(1.0, 2.0, 3).unwrap().bounds(), [1.0, 3.0, 5.0]);
/// assert_eq!(Buckets::exponential(1.0, 10.0, 3).unwrap().bounds(), [1.0, 10.0, 100.0]);
/// assert!(Buckets::new([2.0, 1.0]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets(Arc<[f64]>);

impl Default for Buckets {
    /// Prometheus's default buckets, tuned for request latencies in seconds.
    fn default() -> Self {
        Buckets(Arc::from(
            &[
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ][..],
        ))
    }
}

impl Buckets {
    /// Custom bounds; a trailing `+Inf` is dropped (it is always implied).
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Result<Self> {
        let mut v: Vec<f64> = bounds.into_iter().collect();
        if v.last() == Some(&f64::INFINITY) {
            v.pop();
        }
        if v.iter().any(|b| b.is_nan() || b.is_infinite()) {
            return Err(Error::InvalidBuckets("bounds must be finite".into()));
        }
        if v.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::InvalidBuckets(
                "bounds must be strictly increasing".into(),
            ));
        }
        Ok(Buckets(v.into()))
    }

    /// `count` bounds `start, start + width, ...`.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self> {
        if count == 0 || width <= 0.0 {
            return Err(Error::InvalidBuckets(
                "linear needs count >= 1 and width > 0".into(),
            ));
        }
        Self::new((0..count).map(|i| tidy(start + width * i as f64)))
    }

    /// `count` bounds `start, start * factor, ...`.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self> {
        if count == 0 || start <= 0.0 || factor <= 1.0 {
            return Err(Error::InvalidBuckets(
                "exponential needs count >= 1, start > 0 and factor > 1".into(),
            ));
        }
        Self::new((0..count).map(|i| tidy(start * factor.powi(i as i32))))
    }

    /// The bounds, without the implied `+Inf`.
    pub fn bounds(&self) -> &[f64] {
        &self.0
    }
}

/// Rounds to 15 significant digits, so that `0.1 * 3` is the bound `0.3`, not
/// `0.30000000000000004`.
fn tidy(v: f64) -> f64 {
    format!("{v:.14e}").parse().unwrap_or(v)
}

#[derive(Debug)]
struct Inner {
    bounds: Buckets,
    /// Per-bucket (non-cumulative) counts; the last one is `+Inf`. Their total is the count,
    /// so `observe` costs one bucket increment plus the sum update.
    counts: Box<[AtomicU64]>,
    /// Observation count, kept only for native-only histograms (no classic buckets).
    count: AtomicU64,
    sum: AtomicU64,
    created: f64,
    exemplars: Box<[ExemplarSlot]>,
    native: Option<NativeBuckets>,
}

/// A histogram. Clones share state. `observe` on classic buckets takes no lock (one bucket
/// increment and one compare-and-swap on the sum); native buckets add a shared read lock on
/// the sparse bucket map (a write lock only the first time a bucket index is seen).
///
/// ```
/// use flint_client::metrics::histogram::{Buckets, Histogram};
/// let h = Histogram::new(Buckets::new([1.0, 5.0]).unwrap());
/// h.observe(0.5);
/// h.observe(3.0);
/// h.observe_with_exemplar(7.0, &[("trace_id", "t1")]);
/// assert_eq!(h.count(), 3);
/// assert_eq!(h.sum(), 10.5);
/// assert_eq!(h.cumulative_counts(), vec![1, 2, 3]);
/// ```
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: Arc<Inner>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new(Buckets::default())
    }
}

impl Histogram {
    /// A classic histogram with these buckets.
    pub fn new(buckets: Buckets) -> Self {
        Self::build(Some(buckets), None)
    }

    /// A native histogram, optionally also keeping classic buckets (which text formats show).
    pub fn native(config: NativeConfig, classic: Option<Buckets>) -> Self {
        Self::build(classic, Some(config))
    }

    fn build(classic: Option<Buckets>, native: Option<NativeConfig>) -> Self {
        let bounds = classic.unwrap_or_else(|| Buckets(Arc::from(&[][..])));
        let n = bounds.bounds().len() + 1;
        let with_classic = classic_present(&bounds, native.is_some());
        Histogram {
            inner: Arc::new(Inner {
                counts: (0..if with_classic { n } else { 0 })
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                exemplars: (0..n).map(|_| ExemplarSlot::default()).collect(),
                bounds,
                count: AtomicU64::new(0),
                sum: AtomicU64::new(0),
                created: crate::clock::unix_seconds(),
                native: native.map(NativeBuckets::new),
            }),
        }
    }

    #[inline]
    fn bucket_of(&self, v: f64) -> usize {
        let bounds = self.inner.bounds.bounds();
        // First bound >= v; NaN falls through to +Inf.
        bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
    }

    /// Records one observation.
    #[inline]
    pub fn observe(&self, v: f64) {
        let inner = &*self.inner;
        if let Some(c) = inner.counts.get(self.bucket_of(v)) {
            c.fetch_add(1, Relaxed);
        }
        if let Some(native) = &inner.native {
            native.observe(v);
        }
        add_f64(&inner.sum, v);
        if inner.counts.is_empty() {
            // Native-only: no classic buckets to derive the count from.
            inner.count.fetch_add(1, Relaxed);
        }
    }

    /// Records one observation with an exemplar for its bucket.
    pub fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) {
        self.observe(v);
        if let Some(slot) = self.inner.exemplars.get(self.bucket_of(v)) {
            slot.store(labels, v);
        }
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        let inner = &*self.inner;
        if inner.counts.is_empty() {
            inner.count.load(Relaxed)
        } else {
            inner.counts.iter().map(|c| c.load(Relaxed)).sum()
        }
    }

    /// Sum of observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.inner.sum.load(Relaxed))
    }

    /// Cumulative classic bucket counts, the last being `+Inf` (empty for native-only).
    pub fn cumulative_counts(&self) -> Vec<u64> {
        let mut acc = 0;
        let counts = self.inner.counts.iter();
        counts
            .map(|c| {
                acc += c.load(Relaxed);
                acc
            })
            .collect()
    }

    fn encode_point(&self, out: &mut MetricEncoder<'_>) {
        let inner = &*self.inner;
        let counts = self.cumulative_counts();
        let count = inner
            .count
            .load(Relaxed)
            .max(counts.last().copied().unwrap_or(0));
        let sum = self.sum();
        let native = inner.native.as_ref().map(|n| n.snapshot(count, sum));
        let mut exemplars = Vec::new();
        for slot in inner.exemplars.iter() {
            exemplars.push(slot.with(|e| e.cloned()));
        }
        let bounds = inner.bounds.bounds().iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<Bucket<'_>> = bounds
            .zip(&counts)
            .zip(&exemplars)
            .map(|((upper_bound, c), e)| Bucket {
                upper_bound,
                cumulative_count: *c as f64,
                exemplar: e.as_ref(),
            })
            .collect();
        let native_exemplars: Vec<_> = exemplars.iter().flatten().cloned().collect();
        let point = HistogramPoint {
            count: count as f64,
            sum,
            buckets: &buckets,
            created: Some(inner.created),
            native: native.as_ref(),
            native_exemplars: if native.is_some() {
                &native_exemplars
            } else {
                &[]
            },
        };
        out.point(NO_LABELS, &Point::Histogram(point));
    }
}

fn classic_present(bounds: &Buckets, native: bool) -> bool {
    !native || !bounds.bounds().is_empty()
}

impl Metric for Histogram {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        self.encode_point(out);
    }
}

impl ChildMetric for Histogram {
    fn written_since(&self, marker: &AtomicU64) -> bool {
        changed(marker, self.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_are_inclusive() {
        let h = Histogram::new(Buckets::new([1.0, 2.0]).unwrap_or_default());
        for v in [1.0, 2.0, 2.5, f64::NAN] {
            h.observe(v);
        }
        assert_eq!(h.cumulative_counts(), vec![1, 2, 4]);
    }

    #[test]
    fn native_only_has_no_classic_buckets() {
        let cfg = NativeConfig::new(0).unwrap_or_else(|e| panic!("{e}"));
        let h = Histogram::native(cfg, None);
        h.observe(3.0);
        assert!(h.cumulative_counts().is_empty());
        assert_eq!(h.count(), 1);
    }

    #[test]
    fn bad_helpers_are_errors() {
        assert!(Buckets::linear(0.0, 0.0, 3).is_err());
        assert!(Buckets::exponential(0.0, 2.0, 3).is_err());
        assert!(Buckets::new([1.0, f64::NAN]).is_err());
        assert_eq!(
            Buckets::new([1.0, f64::INFINITY]).map(|b| b.bounds().len()),
            Ok(1)
        );
        let exp = Buckets::exponential(0.000_001, 10.0, 3).unwrap_or_default();
        assert_eq!(exp.bounds(), [0.000_001, 0.000_01, 0.000_1]);
        let lin = Buckets::linear(0.1, 0.1, 3).unwrap_or_default();
        assert_eq!(lin.bounds(), [0.1, 0.2, 0.3]);
    }
}
