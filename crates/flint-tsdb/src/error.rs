//! Errors of the TSDB.

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can go wrong in the TSDB.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A chunk's bytes end before its declared samples do, or hold an impossible value.
    #[error("corrupt {encoding} chunk: {reason}")]
    CorruptChunk {
        /// The chunk's encoding.
        encoding: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A chunk cannot take another sample.
    #[error("chunk is full ({samples} samples)")]
    ChunkFull {
        /// Samples already in the chunk.
        samples: usize,
    },
    /// A file of the data directory is not in the expected format.
    #[error("corrupt {file}: {reason}")]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// What was wrong (with the offset where useful).
        reason: String,
    },
    /// Another process holds the data directory's lock file.
    #[error(
        "lock DB directory {dir}: resource temporarily unavailable (is another Prometheus or Flint using it?)"
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
    },
    /// The database was closed.
    #[error("database is closed")]
    Closed,
    /// The database was opened read-only.
    #[error("the database is open read-only")]
    ReadOnly,
    /// An operation was stopped because the database is shutting down.
    #[error("canceled: the database is shutting down")]
    Canceled,
    /// An exposition text (backfill input) could not be parsed.
    #[error("parsing input: {0}")]
    Parse(#[source] flint_expfmt::ParseError),
    /// The storage contract reported a failure (from the head's appender).
    #[error(transparent)]
    Storage(#[from] flint_storage::StorageError),
    /// Reading or writing a file failed.
    #[error("{context}")]
    Io {
        /// What was being done, on which file.
        context: String,
        /// The I/O error (shared so the error can be cloned).
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// A corruption of `file`.
    pub fn corrupt(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            file: file.into(),
            reason: reason.into(),
        }
    }
}

impl From<Error> for flint_storage::StorageError {
    fn from(e: Error) -> Self {
        match e {
            Error::Io { context, source } => flint_storage::StorageError::Io { context, source },
            Error::Closed | Error::Canceled => flint_storage::StorageError::NotReady(e.to_string()),
            other => flint_storage::StorageError::Corrupt {
                location: "tsdb".to_owned(),
                reason: other.to_string(),
            },
        }
    }
}

/// Result with the TSDB's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
