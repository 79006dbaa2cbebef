//! Why a scrape failed. Each makes the scrape's `up` 0 and shows on `/api/v1/targets`.

/// A failed scrape.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request failed (connection refused, TLS, …).
    #[error("{0}")]
    Http(String),
    /// The target did not answer within the scrape timeout.
    #[error("context deadline exceeded")]
    Timeout,
    /// The target answered with a non-200 status.
    #[error("server returned HTTP status {0}")]
    Status(String),
    /// The body is larger than `body_size_limit`.
    #[error("body size limit exceeded")]
    BodySizeLimit,
    /// The body could not be decompressed.
    #[error("gzip: {0}")]
    Gzip(String),
    /// The content type names no known format and no fallback is configured.
    #[error(
        "received unsupported Content-Type {0:?} and no fallback_scrape_protocol specified for target"
    )]
    ContentType(String),
    /// The body does not parse.
    #[error("{0}")]
    Parse(String),
    /// More samples than `sample_limit`.
    #[error("sample limit exceeded")]
    SampleLimit,
    /// A native histogram has more buckets than `native_histogram_bucket_limit`, even at
    /// the coarsest resolution.
    #[error("histogram bucket limit exceeded")]
    BucketLimit,
    /// A series breaks a label limit.
    #[error("{0}")]
    LabelLimit(String),
    /// The storage failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The pool is over a limit (`target_limit exceeded …`).
    #[error("{0}")]
    Forced(String),
    /// Building the HTTP client failed.
    #[error("{0}")]
    Client(#[from] flint_discovery::Error),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
