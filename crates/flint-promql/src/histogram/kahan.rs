//! Compensated (Kahan–Neumaier) sums and means of histograms, as upstream uses for `sum`,
//! `avg`, `sum_over_time` and `avg_over_time`.
//!
//! The compensation is itself a histogram kept in the same layout as the running sum; every
//! layout change of the sum (coarser schema, wider zero bucket, common custom bounds) is
//! applied to it too.

use std::sync::Arc;

use super::arith::{ArithError, ArithOutcome};
use super::{Hist, reduce_resolution};

/// `sum + inc` with compensation `c`.
fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// A zero compensation in the layout of `h`.
fn zero_like(h: &Hist) -> Hist {
    Hist {
        hint: h.hint,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: 0.0,
        count: 0.0,
        sum: 0.0,
        positive: h.positive.iter().map(|b| (b.0, 0.0)).collect(),
        negative: h.negative.iter().map(|b| (b.0, 0.0)).collect(),
        custom_values: h.custom_values.clone(),
    }
}

/// Adds `b` into `a` (compensation `ac`, same indexes as `a`) bucket by bucket.
fn merge(
    a: &mut Vec<(i32, f64)>,
    ac: &mut Vec<(i32, f64)>,
    b: &[(i32, f64)],
    skip: &dyn Fn(i32) -> bool,
) {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut out_c = Vec::with_capacity(out.capacity());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j < b.len() && skip(b[j].0) {
            j += 1;
            continue;
        }
        let ai = a.get(i).map(|x| x.0);
        let bj = b.get(j).map(|x| x.0);
        match (ai, bj) {
            (Some(x), Some(y)) if x == y => {
                let (s, c) = kahan_inc(b[j].1, a[i].1, ac[i].1);
                out.push((x, s));
                out_c.push((x, c));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.push(a[i]);
                out_c.push(ac[i]);
                i += 1;
            }
            (Some(_), None) => {
                out.push(a[i]);
                out_c.push(ac[i]);
                i += 1;
            }
            (_, Some(y)) => {
                out.push((y, b[j].1));
                out_c.push((y, 0.0));
                j += 1;
            }
            (None, None) => break,
        }
    }
    *a = out;
    *ac = out_c;
}

/// Drops the buckets of `h` that now lie inside its zero bucket of `threshold`, adding
/// their counts to the zero count.
fn widen_zero(h: &mut Hist, threshold: f64) {
    if h.zero_threshold == threshold {
        return;
    }
    let t = threshold;
    let inside = |lo: f64| lo < t;
    let mut moved = 0.0;
    let pos: Vec<bool> = h.positive_buckets().map(|b| inside(b.lower)).collect();
    let neg: Vec<bool> = h.negative_buckets().map(|b| b.upper > -t).collect();
    for (k, b) in h.positive.iter().enumerate() {
        if pos[k] {
            moved += b.1;
        }
    }
    for (k, b) in h.negative.iter().enumerate() {
        if neg[k] {
            moved += b.1;
        }
    }
    let mut k = 0;
    h.positive.retain(|_| {
        k += 1;
        !pos[k - 1]
    });
    let mut k = 0;
    h.negative.retain(|_| {
        k += 1;
        !neg[k - 1]
    });
    h.zero_count += moved;
    h.zero_threshold = threshold;
}

impl Hist {
    /// Whether any field overflowed to ±Inf.
    pub(crate) fn has_overflow(&self) -> bool {
        self.count.is_infinite()
            || self.sum.is_infinite()
            || self.zero_count.is_infinite()
            || self.positive.iter().any(|b| b.1.is_infinite())
            || self.negative.iter().any(|b| b.1.is_infinite())
    }

    /// `self += other`, compensated; `comp` holds the running compensation.
    pub(crate) fn kahan_add(
        &mut self,
        other: &Hist,
        comp: &mut Option<Hist>,
    ) -> Result<ArithOutcome, ArithError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(ArithError::IncompatibleSchema);
        }
        let mut c = comp.take().unwrap_or_else(|| zero_like(self));
        // Hint bookkeeping and collision detection as plain addition does.
        let mut probe = Hist {
            positive: Vec::new(),
            negative: Vec::new(),
            ..self.clone()
        };
        let mut outcome = probe.add(&Hist {
            positive: Vec::new(),
            negative: Vec::new(),
            zero_count: 0.0,
            count: 0.0,
            sum: 0.0,
            ..other.clone()
        })?;
        self.hint = probe.hint;
        let mut theirs = other.clone();
        if self.uses_custom_buckets() {
            let same = self.custom_values.len() == other.custom_values.len()
                && self
                    .custom_values
                    .iter()
                    .zip(other.custom_values.iter())
                    .all(|(a, b)| a == b);
            if !same {
                let common: Arc<[f64]> = self
                    .custom_values
                    .iter()
                    .copied()
                    .filter(|v| other.custom_values.contains(v))
                    .collect();
                for h in [&mut *self, &mut c, &mut theirs] {
                    h.positive = super::arith::remap(h, &common);
                    h.custom_values = common.clone();
                }
                outcome.nhcb_reconciled = true;
            }
        } else {
            let threshold = self.zero_threshold.max(other.zero_threshold);
            let (_, threshold) = self.zero_count_for_larger_threshold(threshold);
            let (_, threshold) = other.zero_count_for_larger_threshold(threshold);
            widen_zero(self, threshold);
            widen_zero(&mut c, threshold);
            widen_zero(&mut theirs, threshold);
            if theirs.schema < self.schema {
                for h in [&mut *self, &mut c] {
                    h.positive = reduce_resolution(&h.positive, h.schema, theirs.schema);
                    h.negative = reduce_resolution(&h.negative, h.schema, theirs.schema);
                    h.schema = theirs.schema;
                }
            } else if theirs.schema > self.schema {
                theirs.positive = reduce_resolution(&theirs.positive, theirs.schema, self.schema);
                theirs.negative = reduce_resolution(&theirs.negative, theirs.schema, self.schema);
                theirs.schema = self.schema;
            }
            (self.zero_count, c.zero_count) =
                kahan_inc(theirs.zero_count, self.zero_count, c.zero_count);
        }
        (self.count, c.count) = kahan_inc(theirs.count, self.count, c.count);
        (self.sum, c.sum) = kahan_inc(theirs.sum, self.sum, c.sum);
        let no_skip = |_: i32| false;
        merge(
            &mut self.positive,
            &mut c.positive,
            &theirs.positive,
            &no_skip,
        );
        merge(
            &mut self.negative,
            &mut c.negative,
            &theirs.negative,
            &no_skip,
        );
        *comp = Some(c);
        Ok(outcome)
    }
}

/// A compensated running sum of histograms.
pub(crate) struct HistSum {
    sum: Hist,
    comp: Option<Hist>,
}

impl HistSum {
    pub(crate) fn new(first: &Hist) -> Self {
        HistSum {
            sum: first.clone(),
            comp: None,
        }
    }

    pub(crate) fn add(&mut self, h: &Hist) -> Result<ArithOutcome, ArithError> {
        self.sum.kahan_add(h, &mut self.comp)
    }

    pub(crate) fn finish(mut self) -> Result<Hist, ArithError> {
        if let Some(c) = self.comp.take() {
            self.sum.add(&c)?;
        }
        Ok(self.sum)
    }
}

/// A running mean of histograms: a compensated sum while it does not overflow, then an
/// incremental mean.
pub(crate) struct HistMean {
    sum: Hist,
    comp: Option<Hist>,
    mean: Option<Hist>,
    count: f64,
}

impl HistMean {
    pub(crate) fn new(first: &Hist) -> Self {
        HistMean {
            sum: first.clone(),
            comp: None,
            mean: None,
            count: 1.0,
        }
    }

    pub(crate) fn add(&mut self, h: &Hist) -> Result<ArithOutcome, ArithError> {
        self.count += 1.0;
        if self.mean.is_none() {
            let mut s = self.sum.clone();
            let mut c = self.comp.clone();
            let o = s.kahan_add(h, &mut c)?;
            if !s.has_overflow() {
                self.sum = s;
                self.comp = c;
                return Ok(o);
            }
            let mut mean = self.sum.clone();
            mean.div(self.count - 1.0);
            if let Some(c) = self.comp.as_mut() {
                c.div(self.count - 1.0);
            }
            self.mean = Some(mean);
        }
        let q = (self.count - 1.0) / self.count;
        if let Some(c) = self.comp.as_mut() {
            c.mul(q);
        }
        let mut inc = h.clone();
        inc.div(self.count);
        let count = self.count;
        let mean = self.mean.get_or_insert_with(|| {
            let mut m = h.clone();
            m.div(count);
            m
        });
        mean.mul(q);
        mean.kahan_add(&inc, &mut self.comp)
    }

    pub(crate) fn finish(mut self) -> Result<Hist, ArithError> {
        match self.mean.take() {
            Some(mut m) => {
                if let Some(c) = self.comp.take() {
                    m.add(&c)?;
                }
                Ok(m)
            }
            None => {
                self.sum.div(self.count);
                if let Some(mut c) = self.comp.take() {
                    c.div(self.count);
                    self.sum.add(&c)?;
                }
                Ok(self.sum)
            }
        }
    }
}
