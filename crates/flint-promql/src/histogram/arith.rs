//! Adding and subtracting histograms of possibly different layouts.

use std::sync::Arc;

use flint_model::CounterResetHint;

use super::{Hist, reduce_resolution};

/// Buckets as `(index, count)`, ascending.
pub(crate) type Buckets = Vec<(i32, f64)>;

/// Why two histograms cannot be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithError {
    /// One uses exponential buckets, the other custom buckets.
    IncompatibleSchema,
}

/// Side effects of combining two histograms that callers may want to report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ArithOutcome {
    /// One was marked as a counter reset and the other as not.
    pub(crate) counter_reset_collision: bool,
    /// Custom bucket bounds differed and were reduced to the common ones.
    pub(crate) nhcb_reconciled: bool,
}

impl Hist {
    /// `self += other`.
    pub(crate) fn add(&mut self, other: &Hist) -> Result<ArithOutcome, ArithError> {
        self.combine(other, 1.0)
    }

    /// `self -= other`.
    pub(crate) fn sub(&mut self, other: &Hist) -> Result<ArithOutcome, ArithError> {
        self.combine(other, -1.0)
    }

    fn combine(&mut self, other: &Hist, sign: f64) -> Result<ArithOutcome, ArithError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(ArithError::IncompatibleSchema);
        }
        let mut outcome = ArithOutcome {
            counter_reset_collision: self.adjust_counter_reset(other),
            nhcb_reconciled: false,
        };
        self.count += sign * other.count;
        self.sum += sign * other.sum;
        if self.uses_custom_buckets() {
            let mut theirs = other.positive.clone();
            if !bounds_match(&self.custom_values, &other.custom_values) {
                let common: Arc<[f64]> = self
                    .custom_values
                    .iter()
                    .copied()
                    .filter(|v| other.custom_values.contains(v))
                    .collect();
                self.positive = remap_custom(self, &common);
                theirs = remap_custom(other, &common);
                self.custom_values = common;
                outcome.nhcb_reconciled = true;
            }
            self.positive = merge(&self.positive, &theirs, sign, |_| false);
            return Ok(outcome);
        }
        let other_zero = self.reconcile_zero_buckets(other);
        self.zero_count += sign * other_zero;
        let (mut pos, mut neg) = (other.positive.clone(), other.negative.clone());
        if other.schema < self.schema {
            self.positive = reduce_resolution(&self.positive, self.schema, other.schema);
            self.negative = reduce_resolution(&self.negative, self.schema, other.schema);
            self.schema = other.schema;
        } else if other.schema > self.schema {
            pos = reduce_resolution(&pos, other.schema, self.schema);
            neg = reduce_resolution(&neg, other.schema, self.schema);
        }
        let (schema, threshold) = (self.schema, self.zero_threshold);
        let inside = |idx: i32| super::bounds::exponential_bound(idx, schema) <= threshold;
        self.positive = merge(&self.positive, &pos, sign, inside);
        self.negative = merge(&self.negative, &neg, sign, inside);
        Ok(outcome)
    }

    /// Combines the counter reset hints as upstream does; returns whether a `CounterReset`
    /// met a `NotCounterReset`.
    fn adjust_counter_reset(&mut self, other: &Hist) -> bool {
        use CounterResetHint as H;
        match (self.hint, other.hint) {
            (a, b) if a == b => false,
            (H::Gauge, _) => false,
            (_, H::Gauge) => {
                self.hint = H::Gauge;
                false
            }
            (H::Unknown, _) => false,
            (_, H::Unknown) => {
                self.hint = H::Unknown;
                false
            }
            _ => {
                self.hint = H::Unknown;
                true
            }
        }
    }

    /// Widens the zero bucket of `self` until it covers the zero bucket of `other` without
    /// cutting a populated bucket of either; returns what `other`'s zero count would be.
    fn reconcile_zero_buckets(&mut self, other: &Hist) -> f64 {
        let mut other_count = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        while other_threshold != self.zero_threshold {
            if self.zero_threshold > other_threshold {
                (other_count, other_threshold) =
                    other.zero_count_for_larger_threshold(self.zero_threshold);
            }
            if other_threshold > self.zero_threshold {
                (self.zero_count, self.zero_threshold) =
                    self.zero_count_for_larger_threshold(other_threshold);
                self.trim_buckets_in_zero_bucket();
            }
        }
        other_count
    }

    /// The zero count if the threshold were `larger`, and the threshold adjusted so that it
    /// does not fall within a populated bucket.
    pub(crate) fn zero_count_for_larger_threshold(&self, mut larger: f64) -> (f64, f64) {
        if larger == self.zero_threshold {
            return (self.zero_count, larger);
        }
        'outer: loop {
            let mut count = self.zero_count;
            for b in self.positive_buckets() {
                if b.lower >= larger {
                    break;
                }
                count += b.count;
                if b.upper > larger {
                    if b.count != 0.0 {
                        larger = b.upper;
                    }
                    break;
                }
            }
            for b in self.negative_buckets() {
                if b.upper <= -larger {
                    break;
                }
                count += b.count;
                if b.lower < -larger {
                    if b.count != 0.0 {
                        larger = -b.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (count, larger);
        }
    }

    fn trim_buckets_in_zero_bucket(&mut self) {
        let t = self.zero_threshold;
        let keep_pos: Vec<bool> = self.positive_buckets().map(|b| b.lower >= t).collect();
        let keep_neg: Vec<bool> = self.negative_buckets().map(|b| b.upper <= -t).collect();
        // Buckets are ordered by distance from zero, so once one is kept all later ones are.
        let first_pos = keep_pos.iter().position(|k| *k).unwrap_or(keep_pos.len());
        let first_neg = keep_neg.iter().position(|k| *k).unwrap_or(keep_neg.len());
        self.positive.drain(..first_pos);
        self.negative.drain(..first_neg);
        self.compact();
    }
}

/// The positive buckets of two custom-bucket histograms mapped onto their common bounds.
pub(crate) fn reconciled_pair(a: &Hist, b: &Hist) -> (Buckets, Buckets) {
    let common: Vec<f64> = a
        .custom_values
        .iter()
        .copied()
        .filter(|v| b.custom_values.contains(v))
        .collect();
    (remap_custom(a, &common), remap_custom(b, &common))
}

fn bounds_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Maps custom buckets onto the coarser `common` bounds (a subset of the histogram's).
pub(crate) fn remap(h: &Hist, common: &[f64]) -> Vec<(i32, f64)> {
    remap_custom(h, common)
}

fn remap_custom(h: &Hist, common: &[f64]) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = Vec::with_capacity(h.positive.len());
    for &(idx, c) in &h.positive {
        let upper = h.bound(idx);
        let j = common.partition_point(|b| *b < upper) as i32;
        match out.last_mut() {
            Some(last) if last.0 == j => last.1 += c,
            _ => out.push((j, c)),
        }
    }
    out
}

/// Merges sorted bucket lists, adding `sign * b`; buckets of `b` for which `skip` holds are
/// ignored (they lie within the zero bucket).
fn merge(
    a: &[(i32, f64)],
    b: &[(i32, f64)],
    sign: f64,
    skip: impl Fn(i32) -> bool,
) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j < b.len() && skip(b[j].0) {
            j += 1;
            continue;
        }
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                out.push((x.0, x.1 + sign * y.1));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                out.push((y.0, sign * y.1));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}
