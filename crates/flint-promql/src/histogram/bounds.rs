//! Bucket boundaries and iteration in ascending order of values.

use super::Hist;

/// One bucket with its boundaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Lower boundary.
    pub lower: f64,
    /// Upper boundary.
    pub upper: f64,
    /// Whether `lower` belongs to the bucket.
    pub lower_inclusive: bool,
    /// Whether `upper` belongs to the bucket.
    pub upper_inclusive: bool,
    /// Observations in the bucket.
    pub count: f64,
}

impl Bucket {
    /// The boundary rule of the HTTP API's histogram buckets: 0 open left (`(l, u]`),
    /// 1 open right (`[l, u)`), 2 open both, 3 closed both.
    pub fn boundary_rule(&self) -> u8 {
        match (self.lower_inclusive, self.upper_inclusive) {
            (false, true) => 0,
            (true, false) => 1,
            (false, false) => 2,
            (true, true) => 3,
        }
    }
}

/// Upper bound of exponential bucket `idx` of `schema`.
pub(crate) fn exponential_bound(idx: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = i64::from(idx) << (-schema).min(62);
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let schema = schema.min(30);
    let per = 1i64 << schema;
    let frac_idx = i64::from(idx) & (per - 1);
    let frac = (frac_idx as f64 / per as f64).exp2() / 2.0;
    let exp = (i64::from(idx) >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

fn ldexp(frac: f64, exp: i64) -> f64 {
    if exp > 2000 {
        return f64::INFINITY;
    }
    if exp < -2000 {
        return 0.0;
    }
    // Two steps keep intermediate powers representable.
    let half = exp / 2;
    frac * (half as f64).exp2() * ((exp - half) as f64).exp2()
}

impl Hist {
    /// Upper bound of positive bucket `idx`.
    pub(crate) fn bound(&self, idx: i32) -> f64 {
        if self.uses_custom_buckets() {
            let len = self.custom_values.len() as i32;
            return match idx {
                i if i >= len => f64::INFINITY,
                i if i < 0 => f64::NEG_INFINITY,
                i => self.custom_values[i as usize],
            };
        }
        exponential_bound(idx, self.schema)
    }

    /// Positive buckets in ascending order.
    pub(crate) fn positive_buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.positive.iter().map(move |&(idx, count)| Bucket {
            lower: self.bound(idx - 1),
            upper: self.bound(idx),
            lower_inclusive: false,
            upper_inclusive: true,
            count,
        })
    }

    /// Negative buckets, from the one closest to zero outwards (upstream's order).
    pub(crate) fn negative_buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.negative.iter().map(move |&(idx, count)| Bucket {
            lower: -self.bound(idx),
            upper: -self.bound(idx - 1),
            lower_inclusive: true,
            upper_inclusive: false,
            count,
        })
    }

    /// The zero bucket, if populated.
    pub(crate) fn zero_bucket(&self) -> Option<Bucket> {
        (self.zero_count > 0.0 && !self.uses_custom_buckets()).then(|| Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
        })
    }

    /// All buckets from the lowest values to the highest: negative (outermost first), zero,
    /// positive; empty buckets included (the HTTP API leaves those out).
    pub fn buckets(&self) -> Vec<Bucket> {
        let mut out: Vec<Bucket> = self.negative_buckets().collect();
        out.reverse();
        out.extend(self.zero_bucket());
        out.extend(self.positive_buckets());
        out
    }
}
