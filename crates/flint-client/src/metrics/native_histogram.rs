//! Native (sparse, exponential) histogram buckets.
//!
//! For schema `s` the bucket base is `2^(2^-s)`, and bucket `i` covers `(base^(i-1), base^i]`;
//! negative observations use the mirrored buckets, and `|v| <= zero_threshold` lands in the
//! zero bucket. The index is computed exactly from the float's mantissa and exponent, as
//! Prometheus defines it, so that bucket boundaries are powers of the base to the last bit.
//! The schema is fixed (no automatic resolution reduction); choose it for your value range.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use flint_model::{Histogram as ModelHistogram, Span};

use crate::error::{Error, Result};

/// Settings of a native histogram.
///
/// ```
/// use flint_client::metrics::native_histogram::NativeConfig;
/// let cfg = NativeConfig::new(3).unwrap().zero_threshold(1e-9);
/// assert_eq!(cfg.schema(), 3);
/// assert!(NativeConfig::new(9).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeConfig {
    schema: i32,
    zero_threshold: f64,
}

impl NativeConfig {
    /// Default zero threshold, as client_golang: 2^-128.
    pub const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

    /// A configuration with `schema` in `-4..=8` and the default zero threshold.
    pub fn new(schema: i32) -> Result<Self> {
        if !(-4..=8).contains(&schema) {
            return Err(Error::InvalidSchema(schema));
        }
        Ok(NativeConfig {
            schema,
            zero_threshold: Self::DEFAULT_ZERO_THRESHOLD,
        })
    }

    /// Sets the zero bucket's half-width (negative values are treated as zero).
    pub fn zero_threshold(mut self, t: f64) -> Self {
        self.zero_threshold = if t > 0.0 { t } else { 0.0 };
        self
    }

    /// The schema.
    pub fn schema(&self) -> i32 {
        self.schema
    }
}

/// Splits a positive finite `v` into `(frac, exp)` with `v = frac * 2^exp`, `frac` in `[0.5, 1)`.
fn frexp(v: f64) -> (f64, i32) {
    let bits = v.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    if exp_bits == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(v * 2f64.powi(64));
        return (f, e - 64);
    }
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp_bits - 1022)
}

/// The index of the bucket holding positive finite `v` at `schema`.
pub fn bucket_index(v: f64, schema: i32) -> i32 {
    let (frac, exp) = frexp(v);
    if schema <= 0 {
        let mut key = exp;
        if frac == 0.5 {
            key -= 1;
        }
        let shift = -schema;
        let offset = (1 << shift) - 1;
        return (key + offset) >> shift;
    }
    let n = 1i32 << schema;
    let bound = |j: i32| (f64::from(j) / f64::from(n) - 1.0).exp2();
    // Smallest j in 0..=n with bound(j) >= frac; estimate with log2, then correct.
    let mut j = ((frac.log2() + 1.0) * f64::from(n)).ceil() as i32;
    j = j.clamp(0, n);
    while j > 0 && bound(j - 1) >= frac {
        j -= 1;
    }
    while j < n && bound(j) < frac {
        j += 1;
    }
    j + (exp - 1) * n
}

/// Concurrent sparse bucket counts.
#[derive(Debug)]
pub(crate) struct NativeBuckets {
    config: NativeConfig,
    zero: AtomicU64,
    positive: RwLock<HashMap<i32, AtomicU64>>,
    negative: RwLock<HashMap<i32, AtomicU64>>,
}

impl NativeBuckets {
    pub(crate) fn new(config: NativeConfig) -> Self {
        NativeBuckets {
            config,
            zero: AtomicU64::new(0),
            positive: RwLock::default(),
            negative: RwLock::default(),
        }
    }

    /// Counts `v` in its bucket; NaN and infinities are counted by the caller only.
    pub(crate) fn observe(&self, v: f64) {
        if !v.is_finite() {
            return;
        }
        if v.abs() <= self.config.zero_threshold {
            self.zero.fetch_add(1, Relaxed);
            return;
        }
        let key = bucket_index(v.abs(), self.config.schema);
        let side = if v > 0.0 {
            &self.positive
        } else {
            &self.negative
        };
        if let Ok(map) = side.read()
            && let Some(c) = map.get(&key)
        {
            c.fetch_add(1, Relaxed);
            return;
        }
        if let Ok(mut map) = side.write() {
            map.entry(key).or_default().fetch_add(1, Relaxed);
        }
    }

    /// A snapshot in the model's delta encoding.
    pub(crate) fn snapshot(&self, count: u64, sum: f64) -> ModelHistogram {
        let (positive_spans, positive_deltas) = spans(&self.positive);
        let (negative_spans, negative_deltas) = spans(&self.negative);
        ModelHistogram {
            schema: self.config.schema,
            zero_threshold: self.config.zero_threshold,
            zero_count: self.zero.load(Relaxed),
            count,
            sum,
            positive_spans,
            positive_deltas,
            negative_spans,
            negative_deltas,
            ..Default::default()
        }
    }
}

fn spans(side: &RwLock<HashMap<i32, AtomicU64>>) -> (Vec<Span>, Vec<i64>) {
    let mut buckets: Vec<(i32, i64)> = match side.read() {
        Ok(map) => map
            .iter()
            .map(|(k, c)| (*k, c.load(Relaxed) as i64))
            .collect(),
        Err(_) => Vec::new(),
    };
    buckets.sort_unstable_by_key(|(k, _)| *k);
    let mut spans: Vec<Span> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let (mut prev_key, mut prev_count) = (0i32, 0i64);
    for (i, (key, count)) in buckets.into_iter().enumerate() {
        let gap = if i == 0 { key } else { key - prev_key - 1 };
        match spans.last_mut() {
            Some(span) if i > 0 && gap == 0 => span.length += 1,
            _ => spans.push(Span {
                offset: gap,
                length: 1,
            }),
        }
        deltas.push(count - prev_count);
        (prev_key, prev_count) = (key, count);
    }
    (spans, deltas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_the_prometheus_definition() {
        // Schema 0: base 2; bucket i is (2^(i-1), 2^i].
        assert_eq!(bucket_index(1.0, 0), 0);
        assert_eq!(bucket_index(1.5, 0), 1);
        assert_eq!(bucket_index(2.0, 0), 1);
        assert_eq!(bucket_index(2.0001, 0), 2);
        assert_eq!(bucket_index(0.5, 0), -1);
        // Schema -1: base 4.
        assert_eq!(bucket_index(4.0, -1), 1);
        assert_eq!(bucket_index(4.5, -1), 2);
        assert_eq!(bucket_index(1.0, -1), 0);
        // Schema 1: base sqrt(2).
        assert_eq!(bucket_index(1.0, 1), 0);
        assert_eq!(bucket_index(1.2, 1), 1);
        assert_eq!(bucket_index(1.5, 1), 2);
        assert_eq!(bucket_index(2.0, 1), 2);
        // Schema 3 boundaries: v = base^i exactly lands in bucket i.
        for i in -20..20 {
            let ub = flint_model::histogram::exponential_bucket_upper_bound(3, i);
            assert_eq!(bucket_index(ub, 3), i, "bound of bucket {i}");
            assert_eq!(bucket_index(ub * 1.000_001, 3), i + 1);
        }
        assert_eq!(bucket_index(f64::MIN_POSITIVE / 4.0, 0), -1024); // 2^-1024, subnormal
    }

    #[test]
    fn snapshot_builds_spans_and_deltas() {
        let b = NativeBuckets::new(NativeConfig::new(0).unwrap_or_else(|e| panic!("{e}")));
        for v in [1.0, 2.0, 2.0, 8.0, 0.0, -1.0] {
            b.observe(v);
        }
        let h = b.snapshot(6, 12.0);
        assert_eq!(h.zero_count, 1);
        assert_eq!(
            h.positive_spans,
            vec![
                Span {
                    offset: 0,
                    length: 2
                },
                Span {
                    offset: 1,
                    length: 1
                }
            ]
        );
        assert_eq!(h.positive_deltas, vec![1, 1, -1]);
        assert_eq!(
            h.negative_spans,
            vec![Span {
                offset: 0,
                length: 1
            }]
        );
    }
}
