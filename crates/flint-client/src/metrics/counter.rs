//! Counters: monotonically increasing totals, integer ([`Counter`]) and float ([`FloatCounter`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use flint_expfmt::Point;
use flint_model::MetricType;

use super::exemplar::ExemplarSlot;
use super::{ChildMetric, Metric, MetricEncoder, NO_LABELS, add_f64, changed};

#[derive(Debug)]
struct Inner {
    value: AtomicU64,
    created: f64,
    exemplar: ExemplarSlot,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            value: AtomicU64::new(0),
            created: crate::clock::unix_seconds(),
            exemplar: ExemplarSlot::default(),
        }
    }
}

/// Number of stripes of a striped counter.
const STRIPES: usize = 4;

/// One cache line holding one stripe, so that threads on different stripes never share a line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Stripe(AtomicU64);

/// This thread's stripe: threads are assigned round-robin on first use.
fn stripe_index() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) });
    STRIPE.with(|s| {
        if s.get() == usize::MAX {
            s.set(NEXT.fetch_add(1, Relaxed) % STRIPES);
        }
        s.get()
    })
}

/// An integer counter. Clones share the value; `inc()` is one atomic add.
///
/// Register it under its base name: encoders append `_total`.
///
/// ```
/// use flint_client::metrics::counter::Counter;
/// let c = Counter::default();
/// c.inc();
/// c.inc_by(2);
/// assert_eq!(c.get(), 3);
/// c.inc_with_exemplar(&[("trace_id", "abc")]);
/// assert_eq!(c.get(), 4);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Counter {
    inner: Arc<Inner>,
    /// Per-thread cells of a [`Counter::striped`] counter. Kept in the handle, not behind
    /// the `Arc`, so that `inc` reads nothing on the contended value's cache line.
    stripes: Option<Arc<[Stripe; STRIPES]>>,
}

impl Counter {
    /// A counter spread over per-thread cache lines, for a hot counter incremented from many
    /// threads at once: increments never contend on one cache line, at the price of 256 more
    /// bytes and a slightly slower [`get`](Counter::get). Keep the plain counter elsewhere
    /// (family children, say).
    ///
    /// ```
    /// # use flint_client::metrics::counter::Counter;
    /// let c = Counter::striped();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| c.inc());
    ///     s.spawn(|| c.inc_by(2));
    /// });
    /// assert_eq!(c.get(), 3);
    /// ```
    pub fn striped() -> Self {
        Counter {
            inner: Arc::default(),
            stripes: Some(Arc::default()),
        }
    }

    /// Adds one: one atomic add.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `v`: one atomic add.
    #[inline]
    pub fn inc_by(&self, v: u64) {
        match &self.stripes {
            None => self.inner.value.fetch_add(v, Relaxed),
            Some(stripes) => stripes[stripe_index()].0.fetch_add(v, Relaxed),
        };
    }

    /// Adds one and records an exemplar (trace IDs, typically) for it.
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) {
        self.inc_by_with_exemplar(1, labels);
    }

    /// Adds `v` and records an exemplar for it.
    pub fn inc_by_with_exemplar(&self, v: u64, labels: &[(&str, &str)]) {
        self.inc_by(v);
        self.inner.exemplar.store(labels, v as f64);
    }

    /// The current total.
    pub fn get(&self) -> u64 {
        let base = self.inner.value.load(Relaxed);
        let stripes = self.stripes.iter().flat_map(|s| s.iter());
        stripes.fold(base, |acc, s| acc.wrapping_add(s.0.load(Relaxed)))
    }
}

impl Metric for Counter {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        encode_counter(out, self.get() as f64, &self.inner);
    }
}

impl ChildMetric for Counter {
    fn written_since(&self, marker: &AtomicU64) -> bool {
        changed(marker, self.get())
    }
}

fn encode_counter(out: &mut MetricEncoder<'_>, value: f64, inner: &Inner) {
    inner.exemplar.with(|exemplar| {
        let point = Point::Counter {
            value,
            created: Some(inner.created),
            exemplar,
        };
        out.point(NO_LABELS, &point);
    });
}

/// A float counter. Clones share the value; increments are a compare-and-swap loop.
///
/// ```
/// use flint_client::metrics::counter::FloatCounter;
/// let c = FloatCounter::default();
/// c.inc_by(0.5);
/// c.inc_by(-1.0); // ignored: counters never go down
/// assert_eq!(c.get(), 0.5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FloatCounter {
    inner: Arc<Inner>,
}

impl FloatCounter {
    /// Adds one.
    pub fn inc(&self) {
        self.inc_by(1.0);
    }

    /// Adds `v`; negative or NaN values are ignored (counters only go up).
    #[inline]
    pub fn inc_by(&self, v: f64) {
        if v >= 0.0 {
            add_f64(&self.inner.value, v);
        }
    }

    /// Adds `v` and records an exemplar for it.
    pub fn inc_by_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) {
        self.inc_by(v);
        self.inner.exemplar.store(labels, v);
    }

    /// The current total.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.inner.value.load(Relaxed))
    }
}

impl Metric for FloatCounter {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        encode_counter(out, self.get(), &self.inner);
    }
}

impl ChildMetric for FloatCounter {
    fn written_since(&self, marker: &AtomicU64) -> bool {
        changed(marker, self.inner.value.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_increments_are_not_lost() {
        let c = Counter::default();
        let f = FloatCounter::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        c.inc();
                        f.inc();
                    }
                });
            }
        });
        assert_eq!(c.get(), 40_000);
        assert_eq!(f.get(), 40_000.0);
    }

    #[test]
    fn write_detection_sees_increments_only() {
        let c = Counter::default();
        let marker = AtomicU64::new(0);
        assert!(!c.written_since(&marker));
        c.inc();
        assert!(c.written_since(&marker));
        assert!(!c.written_since(&marker));
    }
}
