//! Sample values, timestamps and the staleness marker.

/// Milliseconds since the Unix epoch, as Prometheus stores timestamps.
pub type Timestamp = i64;

/// Bit pattern of the NaN that marks a series as stale.
///
/// Prometheus writes this exact NaN when a series disappears from a scrape; any other NaN is an
/// ordinary value. Compare bits with [`is_stale_nan`], never with `==`.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The staleness marker as an `f64`.
pub const STALE_NAN: f64 = f64::from_bits(STALE_NAN_BITS);

/// Whether `v` is the staleness marker (and not any other NaN).
#[inline]
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// A float sample: a timestamp and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Milliseconds since the epoch.
    pub t: Timestamp,
    /// The value; may be [`STALE_NAN`].
    pub v: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_nan_is_a_specific_nan() {
        assert!(STALE_NAN.is_nan());
        assert!(is_stale_nan(STALE_NAN));
        assert!(!is_stale_nan(f64::NAN));
        assert!(!is_stale_nan(1.0));
    }
}
