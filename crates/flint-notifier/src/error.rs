//! Errors of the notifier.

/// What went wrong configuring or sending.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An `alertmanagers` entry could not be set up (its HTTP client settings).
    #[error("creating the client of alertmanager config {key}: {source}")]
    Client {
        /// The entry (`config-<index>`).
        key: String,
        /// Why.
        #[source]
        source: flint_discovery::Error,
    },
    /// A discovered Alertmanager address is not valid.
    #[error("{0:?} is not a valid hostname")]
    Address(String),
    /// A push failed: the request did not go through or Alertmanager refused it.
    #[error("{url}: {message}")]
    Send {
        /// The Alertmanager's push URL.
        url: String,
        /// What happened.
        message: String,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
