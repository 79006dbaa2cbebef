//! Errors of discovery.

/// What went wrong while discovering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A target-group file could not be read or parsed.
    #[error("reading {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// An HTTP SD request failed.
    #[error("{url}: {message}")]
    Http {
        /// The SD URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// A DNS lookup failed.
    #[error("DNS lookup of {name}: {message}")]
    Dns {
        /// The name looked up.
        name: String,
        /// What the resolver said.
        message: String,
    },
    /// No OAuth2 token could be had from the token endpoint.
    #[error("oauth2: {message} (token URL {url})")]
    OAuth2 {
        /// The token URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// HTTP client settings that cannot be applied.
    #[error("invalid HTTP client configuration: {0}")]
    Client(String),
    /// Reading a file named by the HTTP client settings (CA, certificate, password).
    #[error("reading {path}: {source}")]
    ClientFile {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
