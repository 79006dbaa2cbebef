//! The crate's error type.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the Alertmanager library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The YAML of a config file does not parse into the config types.
    #[error("{0}")]
    Yaml(String),
    /// The config parsed but is invalid; the message is upstream's wording.
    #[error("{0}")]
    Config(String),
    /// A receiver uses an integration Flint does not implement yet.
    #[error("not supported yet: {integration} (receiver {receiver:?})")]
    NotSupported {
        /// The receiver.
        receiver: String,
        /// The integration name, e.g. `victorops`.
        integration: &'static str,
    },
    /// A matcher expression does not parse.
    #[error("bad matcher format: {0}")]
    Matcher(String),
    /// A label matcher's regex does not compile.
    #[error(transparent)]
    Model(#[from] flint_model::Error),
    /// A silence is invalid (upstream's message).
    #[error("{0}")]
    InvalidSilence(String),
    /// No silence with this ID.
    #[error("silence {0} not found")]
    SilenceNotFound(String),
    /// A limit on silences was hit.
    #[error("{0}")]
    SilenceLimit(String),
    /// A snapshot file is corrupt.
    #[error("{path}: corrupt snapshot: {reason}")]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A notification failed.
    #[error("{integration}: {message}")]
    Notify {
        /// Integration name and index, e.g. `webhook[0]`.
        integration: String,
        /// What went wrong.
        message: String,
        /// Whether sending again may succeed.
        retryable: bool,
    },
    /// The cluster (gossip, push-pull, TLS setup) failed.
    #[error("cluster: {0}")]
    Cluster(String),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether sending a notification again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Notify { retryable, .. } => *retryable,
            _ => false,
        }
    }
}
