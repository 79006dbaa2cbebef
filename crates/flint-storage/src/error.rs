//! Errors of the storage contract.

use flint_model::Labels;

/// Why one sample (or exemplar, or metadata update) was not appended.
///
/// These are expected during normal operation: callers count them per kind
/// (`prometheus_target_scrapes_sample_out_of_order_total`, …) and carry on with the batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// The sample is older than the newest sample of its series.
    #[error("out of order sample")]
    OutOfOrder,
    /// The sample is older than what the storage still accepts (before the head's window).
    #[error("out of bounds")]
    OutOfBounds,
    /// The sample is too old for the out-of-order window.
    #[error("too old sample")]
    TooOld,
    /// Same timestamp as the newest sample, with a different value.
    #[error("duplicate sample for timestamp")]
    DuplicateTimestamp,
    /// The label set is not valid (empty, duplicate names, bad names).
    #[error("invalid labels {labels}: {reason}")]
    InvalidLabels {
        /// The rejected labels.
        labels: Labels,
        /// What is wrong with them.
        reason: String,
    },
    /// A series reference that the storage does not know.
    #[error("unknown series reference {0}")]
    UnknownSeries(u64),
    /// An exemplar that duplicates the last one of its series.
    #[error("duplicate exemplar")]
    DuplicateExemplar,
    /// An exemplar older than the newest one of its series.
    #[error("out of order exemplar")]
    OutOfOrderExemplar,
    /// Something is wrong with the storage itself; the batch should be rolled back.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl AppendError {
    /// Whether this error only affects the one sample (count it and go on) rather than the
    /// whole batch.
    pub fn is_per_sample(&self) -> bool {
        !matches!(self, AppendError::Storage(_))
    }
}

/// Failures of the storage itself.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// Reading or writing persistent data failed.
    #[error("{context}")]
    Io {
        /// What was being done (and on which file).
        context: String,
        /// The underlying I/O error (shared so errors can be cloned into several readers).
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// Stored data could not be decoded.
    #[error("corrupt data in {location}: {reason}")]
    Corrupt {
        /// Where (file, block, chunk reference).
        location: String,
        /// What was wrong.
        reason: String,
    },
    /// The storage is closed or not ready (WAL replay in progress, shutting down).
    #[error("storage not ready: {0}")]
    NotReady(String),
    /// The query was cancelled by its caller.
    #[error("query canceled")]
    Canceled,
    /// A remote storage answered with an error.
    #[error("remote storage {endpoint}: {message}")]
    Remote {
        /// The endpoint.
        endpoint: String,
        /// Its error.
        message: String,
    },
}

impl StorageError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StorageError::Io {
            context: context.into(),
            source: std::sync::Arc::new(source),
        }
    }
}

/// Result with [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
