//! Gauges: values that go up and down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use flint_expfmt::Point;
use flint_model::MetricType;

use super::{ChildMetric, Metric, MetricEncoder, NO_LABELS, add_f64};

#[derive(Debug, Default)]
struct Inner {
    value: AtomicU64,
    written: AtomicBool,
}

/// A float gauge. Clones share the value; `set` is one atomic store (plus a relaxed flag store
/// used by idle expiry), `inc`/`add` a compare-and-swap loop.
///
/// ```
/// use flint_client::metrics::gauge::Gauge;
/// let g = Gauge::default();
/// g.set(10.0);
/// g.dec();
/// g.add(0.5);
/// assert_eq!(g.get(), 9.5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Gauge {
    inner: Arc<Inner>,
}

impl Gauge {
    /// A gauge holding `v` (for [`Family::replace_all`](super::family::Family::replace_all)
    /// and collectors).
    pub fn with_value(v: f64) -> Self {
        let g = Gauge::default();
        g.set(v);
        g
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.inner.value.store(v.to_bits(), Relaxed);
        self.inner.written.store(true, Relaxed);
    }

    /// Adds `v` (may be negative).
    #[inline]
    pub fn add(&self, v: f64) {
        add_f64(&self.inner.value, v);
        self.inner.written.store(true, Relaxed);
    }

    /// Subtracts `v`.
    pub fn sub(&self, v: f64) {
        self.add(-v);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// Sets the value to the current Unix time in seconds.
    pub fn set_to_current_time(&self) {
        self.set(crate::clock::unix_seconds());
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.inner.value.load(Relaxed))
    }
}

impl Metric for Gauge {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        out.point(NO_LABELS, &Point::Gauge(self.get()));
    }
}

impl ChildMetric for Gauge {
    fn written_since(&self, _marker: &AtomicU64) -> bool {
        self.inner.written.swap(false, Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_same_value_counts_as_a_write() {
        let g = Gauge::with_value(1.0);
        let m = AtomicU64::new(0);
        assert!(g.written_since(&m));
        assert!(!g.written_since(&m));
        g.set(1.0);
        assert!(g.written_since(&m));
    }

    #[test]
    fn concurrent_adds() {
        let g = Gauge::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| g.inc()));
            }
        });
        assert_eq!(g.get(), 4000.0);
    }
}
