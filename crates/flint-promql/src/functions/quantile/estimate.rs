//! Quantile and fraction estimates from histogram buckets.
//!
//! Classic buckets interpolate linearly. Native histograms interpolate exponentially inside
//! exponential buckets (as if the bucket were split at a higher resolution) and linearly
//! inside custom buckets and the zero bucket.

use crate::annotations::msg;
use crate::eval::Ctx;
use crate::histogram::{Bucket, Hist};
use crate::parser::Span;

const MIN_NORMAL: f64 = 2.225_073_858_507_201_4e-308;

/// Upstream's `almost.Equal`.
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Sorts `(upper bound, cumulative count)` pairs and merges equal bounds.
fn sorted_coalesced(mut b: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(b.len());
    for (ub, c) in b {
        match out.last_mut() {
            Some(last) if last.0 == ub => last.1 += c,
            _ => out.push((ub, c)),
        }
    }
    out
}

/// The quantile of classic buckets; also whether monotonicity had to be forced.
pub(crate) fn bucket_quantile(q: f64, buckets: Vec<(f64, f64)>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    let mut b = sorted_coalesced(buckets);
    if b.last().is_none_or(|l| l.0 != f64::INFINITY) {
        return (f64::NAN, false);
    }
    let mut forced = false;
    let mut prev = b[0].1;
    for item in b.iter_mut().skip(1) {
        let curr = item.1;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, 1e-12) {
            item.1 = prev;
            continue;
        }
        if curr < prev {
            item.1 = prev;
            forced = true;
            continue;
        }
        prev = curr;
    }
    if b.len() < 2 {
        return (f64::NAN, false);
    }
    let observations = b[b.len() - 1].1;
    if observations == 0.0 {
        return (f64::NAN, false);
    }
    let mut rank = q * observations;
    let i = b[..b.len() - 1].partition_point(|x| x.1 < rank);
    if i == b.len() - 1 {
        return (b[b.len() - 2].0, forced);
    }
    if i == 0 && b[0].0 <= 0.0 {
        return (b[0].0, forced);
    }
    let (mut start, end, mut count) = (0.0, b[i].0, b[i].1);
    if i > 0 {
        start = b[i - 1].0;
        count -= b[i - 1].1;
        rank -= b[i - 1].1;
    }
    (start + (end - start) * (rank / count), forced)
}

/// The fraction of observations of classic buckets between `lower` and `upper`.
pub(crate) fn bucket_fraction(lower: f64, upper: f64, buckets: &[(f64, f64)]) -> f64 {
    let b = sorted_coalesced(buckets.to_vec());
    if b.last().is_none_or(|l| l.0 != f64::INFINITY) {
        return f64::NAN;
    }
    let count = b[b.len() - 1].1;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for (i, &(ub, c)) in b.iter().enumerate() {
        // The lowest bucket starts at zero if it ends above zero.
        let lb = match i {
            0 if ub > 0.0 => 0.0,
            0 => f64::NEG_INFINITY,
            _ => b[i - 1].0,
        };
        // In an infinitely wide bucket the observations sit at its infinite end.
        let lerp = |v: f64| {
            if ub.is_infinite() {
                rank
            } else if lb.is_infinite() {
                c
            } else {
                rank + (c - rank) * (v - lb) / (ub - lb)
            }
        };
        if !lower_set && lb >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lb >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lb < lower && ub > lower {
            lower_rank = lerp(lower);
            lower_set = true;
        }
        if !upper_set && lb < upper && ub > upper {
            upper_rank = lerp(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = c;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

/// Total count in buckets (the rest of `count` are NaN observations).
fn bucketed(h: &Hist) -> f64 {
    let pos: f64 = h.positive.iter().map(|b| b.1).sum();
    let neg: f64 = h.negative.iter().map(|b| b.1).sum();
    pos + neg + h.zero_count
}

/// The `q` quantile of a native histogram.
pub(crate) fn histogram_quantile(ctx: &Ctx<'_>, q: f64, h: &Hist, name: &str, span: Span) -> f64 {
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if h.count == 0.0 || q.is_nan() {
        return f64::NAN;
    }
    let total = bucketed(h);
    let nan_obs = h.sum.is_nan() && total < h.count;
    let forward = h.sum.is_nan() || q < 0.5;
    let mut buckets = h.buckets();
    let mut rank = if forward {
        q * h.count
    } else {
        (1.0 - q) * h.count
    };
    if nan_obs && (q * h.count > total || total == 0.0) {
        ctx.annotate(msg::quantile_nan_result(name, span));
        return f64::NAN;
    }
    if nan_obs {
        ctx.annotate(msg::quantile_nan_skew(name, span));
    }
    if !forward {
        buckets.reverse();
    }
    let mut bucket = Bucket {
        lower: 0.0,
        upper: 0.0,
        lower_inclusive: false,
        upper_inclusive: false,
        count: 0.0,
    };
    let mut count = 0.0;
    for b in &buckets {
        if b.count == 0.0 {
            continue;
        }
        bucket = *b;
        count += b.count;
        if count >= rank {
            break;
        }
    }
    let custom = h.uses_custom_buckets();
    if !custom && bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative.is_empty() && !h.positive.is_empty() {
            bucket.lower = 0.0;
        } else if h.positive.is_empty() && !h.negative.is_empty() {
            bucket.upper = 0.0;
        }
    } else if custom {
        if bucket.lower == f64::NEG_INFINITY {
            if bucket.upper <= 0.0 {
                return bucket.upper;
            }
            bucket.lower = 0.0;
        } else if bucket.upper == f64::INFINITY {
            return bucket.lower;
        }
    }
    if count > h.count {
        count = h.count;
    }
    if count < rank {
        return bucket.upper;
    }
    if forward {
        rank -= count - bucket.count;
    } else {
        rank = count - rank;
    }
    let fraction = rank / bucket.count;
    if custom || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
        return bucket.lower + (bucket.upper - bucket.lower) * fraction;
    }
    let (lo, hi) = (bucket.lower.abs().log2(), bucket.upper.abs().log2());
    if bucket.lower > 0.0 {
        (lo + (hi - lo) * fraction).exp2()
    } else {
        -(hi + (lo - hi) * (1.0 - fraction)).exp2()
    }
}

/// The fraction of a native histogram's observations between `lower` and `upper`.
pub(crate) fn histogram_fraction(
    ctx: &Ctx<'_>,
    lower: f64,
    upper: f64,
    h: &Hist,
    name: &str,
    span: Span,
) -> f64 {
    if h.sum.is_nan() && bucketed(h) < h.count {
        ctx.annotate(msg::fraction_nans(name, span));
    }
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let custom = h.uses_custom_buckets();
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for mut b in h.buckets() {
        let mut zero = false;
        if custom && b.lower == f64::NEG_INFINITY && b.upper > 0.0 {
            b.lower = 0.0;
        }

        if !custom && b.lower <= 0.0 && b.upper >= 0.0 {
            zero = true;
            if h.negative.is_empty() && !h.positive.is_empty() {
                b.lower = 0.0;
            } else if h.positive.is_empty() && !h.negative.is_empty() {
                b.upper = 0.0;
            }
        }
        let interpolate = |v: f64| {
            // In an infinitely wide bucket the observations sit at its infinite end.
            if b.upper.is_infinite() {
                return rank;
            }
            if b.lower.is_infinite() {
                return rank + b.count;
            }
            if custom || zero {
                return rank + b.count * (v - b.lower) / (b.upper - b.lower);
            }
            let (lo, hi, x) = (b.lower.abs().log2(), b.upper.abs().log2(), v.abs().log2());
            let f = if v > 0.0 {
                (x - lo) / (hi - lo)
            } else {
                1.0 - (x - hi) / (lo - hi)
            };
            rank + b.count * f
        };
        if !lower_set && b.lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    // NaN observations are in no bucket: they count towards the total but never into a
    // fraction.
    let total = bucketed(h).min(h.count);
    if !lower_set || lower_rank > total {
        lower_rank = total;
    }
    if !upper_set || upper_rank > total {
        upper_rank = total;
    }
    (upper_rank - lower_rank) / h.count
}
