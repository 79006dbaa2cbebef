//! What the receiver answers when a request cannot be taken.

use flint_storage::{AppendError, StorageError};

/// Why a remote-write request was refused, with the HTTP status Prometheus answers.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The content type or encoding is not one this server takes (415).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// The body is not a snappy block (400).
    #[error("snappy: {0}")]
    Snappy(#[from] snap::Error),
    /// The body is not a `WriteRequest` (400).
    #[error("decoding the write request: {0}")]
    Decode(#[from] prost::DecodeError),
    /// A sample the storage refuses (out of order, too old, duplicate): the whole request
    /// is rolled back and answered 400 so the sender does not retry it.
    #[error("{error} for series {series}")]
    Sample {
        /// The storage's reason.
        error: AppendError,
        /// The series, in Prometheus's notation.
        series: String,
    },
    /// The storage failed (500: the sender retries).
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// A 2.0 request's label references do not fit its symbol table (400).
    #[error("invalid symbol reference: {0}")]
    Symbols(String),
}

impl ReceiveError {
    /// The HTTP status code for the answer.
    pub fn status(&self) -> u16 {
        match self {
            ReceiveError::UnsupportedMedia(_) => 415,
            ReceiveError::Snappy(_)
            | ReceiveError::Decode(_)
            | ReceiveError::Sample { .. }
            | ReceiveError::Symbols(_) => 400,
            ReceiveError::Storage(_) => 500,
        }
    }
}

/// Why a remote-read request was refused, with the HTTP status Prometheus answers.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The body is not a snappy block (400).
    #[error("snappy: {0}")]
    Snappy(#[from] snap::Error),
    /// The body is not a `ReadRequest` (400).
    #[error("decoding the read request: {0}")]
    Decode(#[from] prost::DecodeError),
    /// No accepted response type is one this server speaks (400).
    #[error(
        "server does not support any of the requested response types: {0:?}; supported: [SAMPLES STREAMED_XOR_CHUNKS]"
    )]
    ResponseType(Vec<i32>),
    /// A matcher that cannot be built (400).
    #[error("{0}")]
    Matcher(String),
    /// The request would return more samples than allowed (400).
    #[error("exceeded sample limit ({0})")]
    SampleLimit(usize),
    /// The storage failed (500).
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// A chunk could not be encoded (500).
    #[error("encoding a chunk: {0}")]
    Encode(String),
}

impl ReadError {
    /// The HTTP status code for the answer.
    pub fn status(&self) -> u16 {
        match self {
            ReadError::Storage(_) | ReadError::Encode(_) => 500,
            _ => 400,
        }
    }
}

/// Why a remote-write queue could not be set up or a request could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The HTTP client of a `remote_write` entry could not be built.
    #[error("remote_write {name:?}: {source}")]
    Client {
        /// The queue's name.
        name: String,
        /// What was wrong.
        #[source]
        source: flint_discovery::Error,
    },
    /// Two `remote_write` entries share a name.
    #[error("duplicate remote write configs are not allowed, found duplicate for URL: {url}")]
    Duplicate {
        /// The second entry's URL.
        url: String,
    },
    /// A send failed in a way worth retrying (network error, 5xx, 429 when configured).
    #[error("{reason}")]
    Recoverable {
        /// What went wrong.
        reason: String,
        /// The receiver's `Retry-After`, if any.
        retry_after: Option<std::time::Duration>,
    },
    /// A send failed for good (other 4xx): the batch is dropped.
    #[error("{0}")]
    Permanent(String),
    /// A remote write 2.0 request reached a receiver that speaks only 1.0: the batch goes
    /// again as 1.0.
    #[error("{0}")]
    NotV2(String),
}

/// Why the `remote_read` entries could not be set up, or one read failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteReadError {
    /// The HTTP client of an entry could not be built.
    #[error("remote_read {name:?}: {source}")]
    Client {
        /// The entry's name.
        name: String,
        /// What was wrong.
        #[source]
        source: flint_discovery::Error,
    },
    /// Two entries share a name.
    #[error("duplicate remote read configs are not allowed, found duplicate for URL: {url}")]
    Duplicate {
        /// The second entry's URL.
        url: String,
    },
    /// A read request failed: network, status, or an answer that does not decode.
    #[error("remote_read {name:?}: {reason}")]
    Request {
        /// The entry's name.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// An error and its sources joined with `: ` (reqwest keeps the cause in `source`).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
