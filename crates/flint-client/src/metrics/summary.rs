//! Summaries: count, sum and quantiles over a sliding time window.
//!
//! The window is `max_age` long (default 10 minutes) and advances in `age_buckets` steps
//! (default 5), as client_golang does: every observation goes into each of the
//! `age_buckets` streams; every `max_age / age_buckets` the oldest stream is reset and
//! becomes the newest; quantiles are read from the oldest stream, so they cover between
//! `max_age * (1 - 1/age_buckets)` and `max_age` of history.
//!
//! **Accuracy.** Each stream keeps a uniform reservoir of `capacity` samples (default 500).
//! While a stream has seen at most `capacity` observations, quantiles are exact (the
//! observation at rank `ceil(q * n)`). Beyond that they are estimated from a uniform sample
//! of the window: the rank error has standard deviation `sqrt(q (1 - q) / capacity)`
//! (about 0.022 for the median and 0.0045 for q = 0.99 with the default capacity); raise
//! `capacity` for tighter tails. Count and sum are exact and never windowed.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flint_expfmt::{Point, SummaryPoint};
use flint_model::MetricType;

use super::{ChildMetric, Metric, MetricEncoder, NO_LABELS, add_f64, changed};
use crate::clock::Clock;

/// Summary settings (defaults as client_golang: quantiles 0.5, 0.9, 0.99 over 10 minutes in
/// 5 age buckets).
///
/// ```
/// use flint_client::metrics::summary::{Summary, SummaryConfig};
/// use std::time::Duration;
/// let cfg = SummaryConfig::default()
///     .quantiles(&[0.5, 0.99])
///     .max_age(Duration::from_secs(60))
///     .age_buckets(3)
///     .capacity(1000);
/// let s = Summary::new(cfg);
/// s.observe(1.0);
/// assert_eq!(s.quantiles(), vec![(0.5, 1.0), (0.99, 1.0)]);
/// ```
#[derive(Debug, Clone)]
pub struct SummaryConfig {
    quantiles: Vec<f64>,
    max_age: Duration,
    age_buckets: usize,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            quantiles: vec![0.5, 0.9, 0.99],
            max_age: Duration::from_secs(600),
            age_buckets: 5,
            capacity: 500,
            clock: crate::clock::system(),
        }
    }
}

impl SummaryConfig {
    /// Quantiles to report (values outside `[0, 1]` are dropped; sorted ascending).
    pub fn quantiles(mut self, q: &[f64]) -> Self {
        self.quantiles = q
            .iter()
            .copied()
            .filter(|q| (0.0..=1.0).contains(q))
            .collect();
        self.quantiles.sort_by(f64::total_cmp);
        self
    }

    /// Window length.
    pub fn max_age(mut self, d: Duration) -> Self {
        self.max_age = d.max(Duration::from_millis(1));
        self
    }

    /// Number of steps the window advances in (at least 1).
    pub fn age_buckets(mut self, n: usize) -> Self {
        self.age_buckets = n.max(1);
        self
    }

    /// Samples kept per stream (at least 1).
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n.max(1);
        self
    }

    /// Time source (tests inject a [`ManualClock`](crate::clock::ManualClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

#[derive(Debug)]
struct Reservoir {
    samples: Vec<f64>,
    seen: u64,
}

#[derive(Debug)]
struct Window {
    streams: Vec<Reservoir>,
    head: usize,
    next_rotation: Duration,
    rng: u64,
}

impl Window {
    fn next_random(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn rotate(&mut self, now: Duration, step: Duration) {
        let mut rotations = 0;
        while now >= self.next_rotation && rotations < self.streams.len() {
            if let Some(s) = self.streams.get_mut(self.head) {
                s.samples.clear();
                s.seen = 0;
            }
            self.head = (self.head + 1) % self.streams.len();
            self.next_rotation += step;
            rotations += 1;
        }
        while now >= self.next_rotation {
            self.next_rotation += step;
        }
    }

    fn insert(&mut self, v: f64, capacity: usize) {
        for i in 0..self.streams.len() {
            let r = self.next_random();
            let Some(s) = self.streams.get_mut(i) else {
                continue;
            };
            s.seen += 1;
            if s.samples.len() < capacity {
                s.samples.push(v);
            } else if let Some(slot) = s.samples.get_mut((r % s.seen) as usize) {
                *slot = v;
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    config: SummaryConfig,
    count: AtomicU64,
    sum: AtomicU64,
    created: f64,
    window: Mutex<Window>,
}

/// A summary. Clones share state; `observe` takes a short mutex for the quantile window.
///
/// ```
/// use flint_client::metrics::summary::{Summary, SummaryConfig};
/// let s = Summary::new(SummaryConfig::default().quantiles(&[0.5, 0.9]));
/// for v in 1..=100 {
///     s.observe(f64::from(v));
/// }
/// assert_eq!(s.count(), 100);
/// assert_eq!(s.quantiles(), vec![(0.5, 50.0), (0.9, 90.0)]);
/// ```
#[derive(Debug, Clone)]
pub struct Summary {
    inner: Arc<Inner>,
}

impl Default for Summary {
    fn default() -> Self {
        Self::new(SummaryConfig::default())
    }
}

impl Summary {
    /// A summary with these settings.
    pub fn new(config: SummaryConfig) -> Self {
        let step = config.max_age / config.age_buckets as u32;
        let now = config.clock.now();
        let seed = (crate::clock::unix_seconds().to_bits() | 1) ^ 0x9e37_79b9_7f4a_7c15;
        let streams = (0..config.age_buckets)
            .map(|_| Reservoir {
                samples: Vec::new(),
                seen: 0,
            })
            .collect();
        let window = Window {
            streams,
            head: 0,
            next_rotation: now + step,
            rng: seed,
        };
        Summary {
            inner: Arc::new(Inner {
                config,
                count: AtomicU64::new(0),
                sum: AtomicU64::new(0),
                created: crate::clock::unix_seconds(),
                window: Mutex::new(window),
            }),
        }
    }

    fn step(&self) -> Duration {
        self.inner.config.max_age / self.inner.config.age_buckets as u32
    }

    /// Records one observation.
    pub fn observe(&self, v: f64) {
        let inner = &*self.inner;
        add_f64(&inner.sum, v);
        inner.count.fetch_add(1, Relaxed);
        if v.is_nan() {
            return;
        }
        let now = inner.config.clock.now();
        if let Ok(mut w) = inner.window.lock() {
            w.rotate(now, self.step());
            w.insert(v, inner.config.capacity);
        }
    }

    /// Number of observations (all time).
    pub fn count(&self) -> u64 {
        self.inner.count.load(Relaxed)
    }

    /// Sum of observations (all time).
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.inner.sum.load(Relaxed))
    }

    /// Current `(quantile, value)` pairs over the window; NaN values when the window is empty.
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        let inner = &*self.inner;
        let mut sorted = match inner.window.lock() {
            Ok(mut w) => {
                w.rotate(inner.config.clock.now(), self.step());
                let head = w.head;
                w.streams
                    .get(head)
                    .map(|s| s.samples.clone())
                    .unwrap_or_default()
            }
            Err(_) => Vec::new(),
        };
        sorted.sort_unstable_by(f64::total_cmp);
        let qs = inner.config.quantiles.iter();
        qs.map(|q| (*q, rank_value(&sorted, *q))).collect()
    }
}

fn rank_value(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
}

impl Metric for Summary {
    fn metric_type(&self) -> MetricType {
        MetricType::Summary
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        let quantiles = self.quantiles();
        let point = SummaryPoint {
            count: self.count() as f64,
            sum: self.sum(),
            quantiles: &quantiles,
            created: Some(self.inner.created),
        };
        out.point(NO_LABELS, &Point::Summary(point));
    }
}

impl ChildMetric for Summary {
    fn written_since(&self, marker: &AtomicU64) -> bool {
        changed(marker, self.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn window_slides_with_age_buckets() {
        let clock = ManualClock::new();
        let cfg = SummaryConfig::default()
            .quantiles(&[0.5])
            .max_age(Duration::from_secs(50))
            .age_buckets(5)
            .clock(Arc::new(clock.clone()));
        let s = Summary::new(cfg);
        s.observe(100.0);
        clock.advance(Duration::from_secs(30));
        assert_eq!(s.quantiles(), vec![(0.5, 100.0)]);
        s.observe(1.0);
        s.observe(1.0);
        clock.advance(Duration::from_secs(25));
        // The 100 was observed 55 s ago: out of the 50 s window.
        assert_eq!(s.quantiles(), vec![(0.5, 1.0)]);
        clock.advance(Duration::from_secs(60));
        assert!(s.quantiles()[0].1.is_nan());
        assert_eq!(s.count(), 3);
    }

    #[test]
    fn estimates_stay_close_beyond_capacity() {
        let s = Summary::new(
            SummaryConfig::default()
                .quantiles(&[0.5, 0.9])
                .capacity(2000),
        );
        for i in 0..20_000 {
            s.observe(f64::from(i % 1000));
        }
        let q = s.quantiles();
        assert!((q[0].1 - 500.0).abs() < 60.0, "{q:?}");
        assert!((q[1].1 - 900.0).abs() < 40.0, "{q:?}");
    }
}
