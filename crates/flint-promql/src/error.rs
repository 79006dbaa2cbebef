//! Errors of parsing and evaluating queries.

use flint_storage::StorageError;

use crate::parser::ParseError;

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is, as the HTTP API's `errorType` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The query or its parameters are invalid (`bad_data`, HTTP 400).
    BadData,
    /// Evaluation failed (`execution`, HTTP 422).
    Execution,
    /// The query ran past its deadline (`timeout`, HTTP 503).
    Timeout,
    /// The caller cancelled the query (`canceled`, HTTP 503).
    Canceled,
    /// The storage failed (`internal`, HTTP 500).
    Internal,
}

impl ErrorKind {
    /// The `errorType` string of the Prometheus HTTP API.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadData => "bad_data",
            ErrorKind::Execution => "execution",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Canceled => "canceled",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Everything that can go wrong with a query. Messages are upstream's.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The query does not parse or type-check.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The query is valid PromQL but not for this kind of query (a range vector in a range
    /// query, a duration that resolves to zero, …).
    #[error("{0}")]
    BadQuery(String),
    /// Evaluation failed, e.g. `vector cannot contain metrics with the same labelset`.
    #[error("{0}")]
    Execution(String),
    /// The query would hold more samples in memory than `max_samples` allows.
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(&'static str),
    /// The query ran past its timeout.
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The query was cancelled.
    #[error("query was canceled in {0}")]
    Canceled(&'static str),
    /// Reading from storage failed.
    #[error("expanding series: {0}")]
    Storage(#[source] StorageError),
}

impl Error {
    /// The kind, for mapping to the HTTP API's `errorType`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Parse(_) | Error::BadQuery(_) => ErrorKind::BadData,
            Error::Execution(_) | Error::TooManySamples(_) => ErrorKind::Execution,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Canceled(_) => ErrorKind::Canceled,
            Error::Storage(StorageError::Canceled) => ErrorKind::Canceled,
            Error::Storage(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn exec(msg: impl Into<String>) -> Self {
        Error::Execution(msg.into())
    }
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        Error::Storage(e)
    }
}
