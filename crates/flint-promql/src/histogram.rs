//! Float native histograms as the engine computes with them.
//!
//! [`Hist`] keeps buckets as sorted `(index, count)` pairs instead of spans, which makes
//! arithmetic (adding histograms of different schemas, zero thresholds or custom bounds) a
//! merge of sorted lists. It converts to and from [`flint_model::FloatHistogram`] at the
//! storage and result boundaries.

mod arith;
mod bounds;
mod kahan;
mod reset;
mod trim;

use std::sync::Arc;

use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use flint_model::{CounterResetHint, FloatHistogram, Span};

pub(crate) use arith::ArithError;
pub use bounds::Bucket;
pub(crate) use kahan::{HistMean, HistSum};

/// A float native histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    /// What is known about counter resets.
    pub hint: CounterResetHint,
    /// The schema; [`CUSTOM_BUCKETS_SCHEMA`] for custom bounds.
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// All observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Positive buckets by index, ascending.
    pub positive: Vec<(i32, f64)>,
    /// Negative buckets by index, ascending.
    pub negative: Vec<(i32, f64)>,
    /// Upper bounds of custom buckets.
    pub custom_values: Arc<[f64]>,
}

impl Default for Hist {
    fn default() -> Self {
        Hist {
            hint: CounterResetHint::Unknown,
            schema: 0,
            zero_threshold: 0.0,
            zero_count: 0.0,
            count: 0.0,
            sum: 0.0,
            positive: Vec::new(),
            negative: Vec::new(),
            custom_values: Arc::from(Vec::new()),
        }
    }
}

fn spans_to_pairs(spans: &[Span], counts: &[f64]) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(counts.len());
    let mut idx: i32 = 0;
    let mut it = counts.iter();
    for (n, s) in spans.iter().enumerate() {
        idx = if n == 0 {
            s.offset
        } else {
            idx.saturating_add(s.offset)
        };
        for _ in 0..s.length {
            let Some(c) = it.next() else { return out };
            out.push((idx, *c));
            idx = idx.saturating_add(1);
        }
    }
    out
}

fn pairs_to_spans(pairs: &[(i32, f64)]) -> (Vec<Span>, Vec<f64>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut counts = Vec::with_capacity(pairs.len());
    let mut next: Option<i32> = None;
    for &(idx, c) in pairs {
        match next {
            Some(n) if n == idx => {
                if let Some(last) = spans.last_mut() {
                    last.length += 1;
                }
            }
            Some(n) => spans.push(Span {
                offset: idx - n,
                length: 1,
            }),
            None => spans.push(Span {
                offset: idx,
                length: 1,
            }),
        }
        counts.push(c);
        next = Some(idx + 1);
    }
    (spans, counts)
}

impl Hist {
    /// Converts from the model's span representation.
    pub fn from_model(h: &FloatHistogram) -> Self {
        Hist {
            hint: h.counter_reset_hint,
            schema: h.schema,
            zero_threshold: h.zero_threshold,
            zero_count: h.zero_count,
            count: h.count,
            sum: h.sum,
            positive: spans_to_pairs(&h.positive_spans, &h.positive_buckets),
            negative: spans_to_pairs(&h.negative_spans, &h.negative_buckets),
            custom_values: Arc::from(h.custom_values.as_slice()),
        }
    }

    /// Converts to the model's span representation.
    pub fn to_model(&self) -> FloatHistogram {
        let (positive_spans, positive_buckets) = pairs_to_spans(&self.positive);
        let (negative_spans, negative_buckets) = pairs_to_spans(&self.negative);
        FloatHistogram {
            counter_reset_hint: self.hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count,
            count: self.count,
            sum: self.sum,
            positive_spans,
            positive_buckets,
            negative_spans,
            negative_buckets,
            custom_values: self.custom_values.to_vec(),
        }
    }

    /// Whether the histogram uses custom bucket bounds.
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Multiplies every count and the sum by `f`.
    pub fn mul(&mut self, f: f64) -> &mut Self {
        self.zero_count *= f;
        self.count *= f;
        self.sum *= f;
        self.positive.iter_mut().for_each(|b| b.1 *= f);
        self.negative.iter_mut().for_each(|b| b.1 *= f);
        self
    }

    /// Divides every count and the sum by `f`. Dividing by zero drops all buckets.
    pub fn div(&mut self, f: f64) -> &mut Self {
        self.zero_count /= f;
        self.count /= f;
        self.sum /= f;
        if f == 0.0 {
            self.positive.clear();
            self.negative.clear();
            return self;
        }
        self.positive.iter_mut().for_each(|b| b.1 /= f);
        self.negative.iter_mut().for_each(|b| b.1 /= f);
        self
    }

    /// Removes empty buckets.
    pub fn compact(&mut self) -> &mut Self {
        self.positive.retain(|b| b.1 != 0.0);
        self.negative.retain(|b| b.1 != 0.0);
        self
    }

    /// Exact equality of data (bit patterns of counts), as upstream's `Equals`; the counter
    /// reset hint is not compared.
    pub fn equals(&self, o: &Hist) -> bool {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let same_buckets = |a: &[(i32, f64)], b: &[(i32, f64)]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && same(x.1, y.1))
        };
        if self.schema != o.schema
            || !same(self.count, o.count)
            || !same(self.sum, o.sum)
            || !same_buckets(&self.positive, &o.positive)
        {
            return false;
        }
        if self.uses_custom_buckets() {
            return self.custom_values.len() == o.custom_values.len()
                && self
                    .custom_values
                    .iter()
                    .zip(o.custom_values.iter())
                    .all(|(a, b)| same(*a, *b));
        }
        same(self.zero_threshold, o.zero_threshold)
            && same(self.zero_count, o.zero_count)
            && same_buckets(&self.negative, &o.negative)
    }

    /// How many "samples" the histogram counts as against `max_samples` (upstream sizes a
    /// histogram point by its memory in units of a float point).
    pub fn sample_size(&self) -> usize {
        (self.positive.len() + self.negative.len() + 8) / 2 + 1
    }

    /// The same histogram at a lower resolution (`target <= self.schema`).
    pub fn to_schema(&self, target: i32) -> Hist {
        let mut h = self.clone();
        if !h.uses_custom_buckets() && target < h.schema {
            h.positive = reduce_resolution(&h.positive, h.schema, target);
            h.negative = reduce_resolution(&h.negative, h.schema, target);
            h.schema = target;
        }
        h
    }

    /// Upstream's `String()`: `{count:2, sum:3, (1,2]:2}`.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = format!("{{count:{}, sum:{}", go_g(self.count), go_g(self.sum));
        for b in self.buckets() {
            if b.count == 0.0 {
                continue;
            }
            let open = if b.lower_inclusive { '[' } else { '(' };
            let close = if b.upper_inclusive { ']' } else { ')' };
            let _ = write!(
                s,
                ", {open}{},{}{close}:{}",
                go_g(b.lower),
                go_g(b.upper),
                go_g(b.count)
            );
        }
        s.push('}');
        s
    }
}

/// Go's `%g` (shortest representation; exponent form below 1e-4 and from 1e6 on).
pub(crate) fn go_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-4..1e6).contains(&abs) {
        let s = format!("{v:e}");
        // Rust prints `1e-5`, Go `1e-05`.
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
            return format!("{m}e{sign}{digits:0>2}");
        }
        return s;
    }
    format!("{v}")
}

/// Merges buckets of schema `from` into the coarser schema `to`.
pub(crate) fn reduce_resolution(buckets: &[(i32, f64)], from: i32, to: i32) -> Vec<(i32, f64)> {
    if from <= to {
        return buckets.to_vec();
    }
    let shift = (from - to).min(31) as u32;
    let mut out: Vec<(i32, f64)> = Vec::with_capacity(buckets.len());
    for &(idx, c) in buckets {
        let t = ((idx - 1) >> shift) + 1;
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 += c,
            _ => out.push((t, c)),
        }
    }
    out
}

/// A histogram shared between steps and series.
pub type SharedHist = Arc<Hist>;

#[cfg(test)]
mod tests;
