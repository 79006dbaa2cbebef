//! The one error type of this crate.

use thiserror::Error;

/// What can go wrong while registering metrics or looking up label values.
///
/// The hot path (`inc`, `set`, `observe`) never fails; only setup and string-keyed lookups do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A metric with this full name is already registered in the registry tree.
    #[error("a metric named {0:?} is already registered")]
    AlreadyRegistered(String),
    /// The metric name is not a valid Prometheus metric name.
    #[error("invalid metric name {0:?}")]
    InvalidMetricName(String),
    /// A label name is not valid (or is reserved, starting with `__`).
    #[error("invalid label name {0:?}")]
    InvalidLabelName(String),
    /// A string-keyed lookup passed the wrong number of label values.
    #[error("expected {expected} label values, got {got}")]
    LabelCardinality {
        /// Number of label names the vector was declared with.
        expected: usize,
        /// Number of values passed.
        got: usize,
    },
    /// Histogram buckets are not strictly increasing, or a bucket helper got bad arguments.
    #[error("invalid buckets: {0}")]
    InvalidBuckets(String),
    /// A native-histogram schema outside `-4..=8`.
    #[error("native histogram schema {0} is outside -4..=8")]
    InvalidSchema(i32),
    /// A state name not declared for the state set.
    #[error("unknown state {0:?}")]
    UnknownState(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
