//! Native (sparse, exponential) histograms, as Prometheus models them.
//!
//! Buckets are addressed by index; for schema `s` the upper bound of bucket `i` is
//! `2^(i * 2^-s)`. Populated buckets are described by [`Span`]s (runs of consecutive
//! indices) plus one count per bucket. [`Histogram`] stores integer counts as deltas
//! (the wire and chunk encoding); [`FloatHistogram`] stores absolute float counts (the
//! result of PromQL arithmetic). Schema `-53` marks custom bucket boundaries
//! ("native histograms with custom buckets"), given in `custom_values`.

/// Schema number that marks custom bucket boundaries.
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A run of consecutive populated buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Gap to the previous span's end (or the absolute start index for the first span).
    pub offset: i32,
    /// Number of consecutive buckets in this span.
    pub length: u32,
}

/// What the producer knows about counter resets of this histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterResetHint {
    /// Nothing is known.
    #[default]
    Unknown,
    /// A counter reset happened before this sample.
    CounterReset,
    /// No counter reset happened before this sample.
    NotCounterReset,
    /// The histogram is a gauge histogram: resets have no meaning.
    Gauge,
}

/// A native histogram with integer counts, buckets stored as deltas.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Counter-reset knowledge.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution: bucket boundaries grow by `2^(2^-schema)`; [`CUSTOM_BUCKETS_SCHEMA`] for custom bounds.
    pub schema: i32,
    /// Width of the zero bucket (observations with `|v| <= zero_threshold`).
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// Total number of observations.
    pub count: u64,
    /// Sum of all observations.
    pub sum: f64,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Positive bucket counts, each a delta to the previous bucket's count.
    pub positive_deltas: Vec<i64>,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Negative bucket counts, each a delta to the previous bucket's count.
    pub negative_deltas: Vec<i64>,
    /// Upper bounds for custom-bucket histograms (schema [`CUSTOM_BUCKETS_SCHEMA`]).
    pub custom_values: Vec<f64>,
}

/// A native histogram with absolute float counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter-reset knowledge.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution, as in [`Histogram::schema`].
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total number of observations.
    pub count: f64,
    /// Sum of all observations.
    pub sum: f64,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Absolute positive bucket counts.
    pub positive_buckets: Vec<f64>,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute negative bucket counts.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds for custom-bucket histograms.
    pub custom_values: Vec<f64>,
}

impl Histogram {
    /// Converts to absolute float counts.
    pub fn to_float(&self) -> FloatHistogram {
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count as f64,
            count: self.count as f64,
            sum: self.sum,
            positive_spans: self.positive_spans.clone(),
            positive_buckets: deltas_to_absolute(&self.positive_deltas),
            negative_spans: self.negative_spans.clone(),
            negative_buckets: deltas_to_absolute(&self.negative_deltas),
            custom_values: self.custom_values.clone(),
        }
    }
}

fn deltas_to_absolute(deltas: &[i64]) -> Vec<f64> {
    let mut current = 0i64;
    deltas
        .iter()
        .map(|d| {
            current = current.wrapping_add(*d);
            current as f64
        })
        .collect()
}

/// The upper bound of bucket `index` for an exponential `schema` (not for custom buckets).
pub fn exponential_bucket_upper_bound(schema: i32, index: i32) -> f64 {
    // 2^(index * 2^-schema), computed in a way that stays exact for integer powers of two.
    let exp = f64::from(index) * (-f64::from(schema)).exp2();
    exp.exp2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_become_absolute_counts() {
        let h = Histogram {
            schema: 0,
            count: 6,
            positive_spans: vec![Span {
                offset: 0,
                length: 3,
            }],
            positive_deltas: vec![1, 2, -1],
            ..Default::default()
        };
        assert_eq!(h.to_float().positive_buckets, vec![1.0, 3.0, 2.0]);
    }

    #[test]
    fn exponential_bounds() {
        assert_eq!(exponential_bucket_upper_bound(0, 0), 1.0);
        assert_eq!(exponential_bucket_upper_bound(0, 3), 8.0);
        assert_eq!(exponential_bucket_upper_bound(1, 2), 2.0);
        assert_eq!(exponential_bucket_upper_bound(0, -1), 0.5);
    }
}
