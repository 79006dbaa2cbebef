//! Counter reset detection between consecutive histograms.

use flint_model::CounterResetHint;

use super::{Hist, reduce_resolution};

impl Hist {
    /// Whether `self` (the later sample) shows a counter reset against `previous`: a hint
    /// says so, or any count is lower, or a populated bucket disappeared, or the resolution
    /// went up or the zero threshold down.
    pub(crate) fn detect_reset(&self, previous: &Hist) -> bool {
        match self.hint {
            CounterResetHint::CounterReset => return true,
            CounterResetHint::NotCounterReset => return false,
            _ => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if !previous.uses_custom_buckets() {
                return true;
            }
            let same = self.custom_values.len() == previous.custom_values.len()
                && self
                    .custom_values
                    .iter()
                    .zip(previous.custom_values.iter())
                    .all(|(a, b)| a == b);
            if !same {
                // Compare on the bounds both have, as arithmetic would reconcile them.
                let (curr, prev) = super::arith::reconciled_pair(self, previous);
                return bucket_reset(&curr, &prev, &|_| false);
            }
        }
        if self.schema > previous.schema {
            return true;
        }
        if self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (prev_zero, threshold) = previous.zero_count_for_larger_threshold(self.zero_threshold);
        if threshold != self.zero_threshold {
            return true;
        }
        if self.zero_count < prev_zero {
            return true;
        }
        let skip = |idx: i32| {
            !previous.uses_custom_buckets()
                && super::bounds::exponential_bound(idx, self.schema) <= self.zero_threshold
        };
        let prev_pos = reduce_resolution(&previous.positive, previous.schema, self.schema);
        let prev_neg = reduce_resolution(&previous.negative, previous.schema, self.schema);
        bucket_reset(&self.positive, &prev_pos, &skip)
            || bucket_reset(&self.negative, &prev_neg, &skip)
    }
}

/// Whether a populated bucket of `prev` is missing or lower in `curr`.
fn bucket_reset(curr: &[(i32, f64)], prev: &[(i32, f64)], skip: &dyn Fn(i32) -> bool) -> bool {
    let mut j = 0;
    for &(idx, count) in prev {
        if skip(idx) || count == 0.0 {
            continue;
        }
        while j < curr.len() && curr[j].0 < idx {
            j += 1;
        }
        match curr.get(j) {
            Some(&(ci, cc)) if ci == idx => {
                if cc < count {
                    return true;
                }
            }
            _ => return true,
        }
    }
    false
}
