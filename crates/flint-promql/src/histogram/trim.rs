//! The trim operators: `h </ v` keeps observations below `v`, `h >/ v` those above.
//!
//! A bucket straddling `v` keeps the interpolated part of its count (exponentially inside
//! exponential buckets, linearly inside custom buckets and the zero bucket). The sum is
//! re-estimated from what is kept, each kept part counted at its midpoint (geometric for
//! exponential buckets). When nothing is removed the histogram is returned unchanged.
//! Infinitely wide custom buckets hold their observations at their infinite end.

use super::Hist;

/// What stays of one bucket: the kept fraction and where the kept part's midpoint is.
struct Kept {
    fraction: f64,
    midpoint: f64,
}

const ALL: f64 = 1.0;

/// Interpolation inside a bucket.
#[derive(Clone, Copy, PartialEq)]
enum Scale {
    Linear,
    /// Exponential, for a bucket of positive values.
    LogPositive,
    /// Exponential, for a bucket of negative values.
    LogNegative,
}

/// Part of the finite bucket `[lo, hi]` kept by trimming at `v`.
fn finite(lo: f64, hi: f64, v: f64, upper: bool, scale: Scale) -> Kept {
    let at = |x: f64| match scale {
        Scale::Linear => (x - lo) / (hi - lo),
        Scale::LogPositive => (x.log2() - lo.log2()) / (hi.log2() - lo.log2()),
        Scale::LogNegative => {
            1.0 - (x.abs().log2() - hi.abs().log2()) / (lo.abs().log2() - hi.abs().log2())
        }
    };
    let mid = |a: f64, b: f64| match scale {
        Scale::Linear => (a + b) / 2.0,
        Scale::LogPositive => (a * b).sqrt(),
        Scale::LogNegative => -(a.abs() * b.abs()).sqrt(),
    };
    let (keep_all, keep_none) = if upper {
        (v >= hi, v <= lo)
    } else {
        (v <= lo, v >= hi)
    };
    if keep_all {
        return Kept {
            fraction: ALL,
            midpoint: mid(lo, hi),
        };
    }
    if keep_none {
        return Kept {
            fraction: 0.0,
            midpoint: 0.0,
        };
    }
    if upper {
        Kept {
            fraction: at(v),
            midpoint: mid(lo, v),
        }
    } else {
        Kept {
            fraction: 1.0 - at(v),
            midpoint: mid(v, hi),
        }
    }
}

fn none() -> Kept {
    Kept {
        fraction: 0.0,
        midpoint: 0.0,
    }
}

fn all(midpoint: f64) -> Kept {
    Kept {
        fraction: ALL,
        midpoint,
    }
}

/// Part of a custom bucket `(lo, hi]`, either bound possibly infinite.
fn custom(lo: f64, hi: f64, v: f64, upper: bool) -> Kept {
    match (lo.is_infinite(), hi.is_infinite()) {
        (true, true) => {
            let noop = if upper {
                v == f64::INFINITY
            } else {
                v == f64::NEG_INFINITY
            };
            if noop { all(0.0) } else { none() }
        }
        (true, false) if hi > 0.0 => {
            if !upper && v < 0.0 && v != f64::NEG_INFINITY {
                none()
            } else {
                finite(0.0, hi, v, upper, Scale::Linear)
            }
        }
        (true, false) => match (upper, v == f64::NEG_INFINITY) {
            (true, true) | (false, false) => none(),
            (true, false) => all(v.min(hi)),
            (false, true) => all(hi),
        },
        (false, true) => match (upper, v == f64::INFINITY) {
            (true, true) => all(lo),
            (true, false) | (false, true) => none(),
            (false, false) => all(v.max(lo)),
        },
        (false, false) => finite(lo, hi, v, upper, Scale::Linear),
    }
}

impl Hist {
    /// Trims observations above (`upper == true`) or below `v`.
    pub(crate) fn trim(&mut self, v: f64, upper: bool) {
        let mut removed = false;
        let mut count = 0.0;
        let mut sum = 0.0;
        let mut apply = |c: &mut f64, k: Kept| {
            if *c == 0.0 {
                return;
            }
            if k.fraction != ALL {
                removed = true;
            }
            *c *= k.fraction;
            count += *c;
            if *c != 0.0 {
                sum += *c * k.midpoint;
            }
        };
        let mut trimmed = self.clone();
        if self.uses_custom_buckets() {
            for (i, b) in trimmed.positive.iter_mut().enumerate() {
                let idx = self.positive[i].0;
                apply(
                    &mut b.1,
                    custom(self.bound(idx - 1), self.bound(idx), v, upper),
                );
            }
        } else {
            for b in trimmed.positive.iter_mut() {
                let (lo, hi) = (self.bound(b.0 - 1), self.bound(b.0));
                apply(&mut b.1, finite(lo, hi, v, upper, Scale::LogPositive));
            }
            for b in trimmed.negative.iter_mut() {
                let (lo, hi) = (-self.bound(b.0), -self.bound(b.0 - 1));
                apply(&mut b.1, finite(lo, hi, v, upper, Scale::LogNegative));
            }
            let z = self.zero_threshold;
            let (lo, hi) = match (self.positive.is_empty(), self.negative.is_empty()) {
                (false, true) => (0.0, z),
                (true, false) => (-z, 0.0),
                _ => (-z, z),
            };
            let k = if lo == hi {
                all(0.0)
            } else {
                finite(lo, hi, v, upper, Scale::Linear)
            };
            apply(&mut trimmed.zero_count, k);
        }
        if !removed {
            return;
        }
        trimmed.count = count;
        trimmed.sum = sum;
        trimmed.compact();
        *self = trimmed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn custom_bucket_trim() {
        let mut h = Hist {
            schema: flint_model::histogram::CUSTOM_BUCKETS_SCHEMA,
            count: 15.0,
            sum: 172.5,
            custom_values: Arc::from(vec![5.0, 10.0, 15.0, 20.0]),
            positive: vec![(0, 1.0), (1, 6.0), (2, 4.0), (3, 3.0), (4, 1.0)],
            ..Hist::default()
        };
        h.trim(13.0, true);
        assert!((h.count - 9.4).abs() < 1e-9);
        assert!((h.sum - 75.1).abs() < 1e-9);
    }
}
