//! Errors of configuration loading: every problem with file, line and column.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in (absent for configuration given as a string).
    pub file: Option<PathBuf>,
    /// 1-based line; 0 when unknown.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    /// What is wrong, in Prometheus's words where it has them.
    pub message: String,
}

impl Problem {
    /// A problem at a known position.
    pub fn at(
        file: Option<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file,
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if self.line > 0 {
            write!(f, "{}:{}:", self.line, self.column)?;
        }
        if self.file.is_some() || self.line > 0 {
            f.write_str(" ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is not valid; every problem found is listed.
    #[error("{}", Problems(problems))]
    Invalid {
        /// All problems, in file order.
        problems: Vec<Problem>,
    },
}

impl Error {
    /// The problems (one for a read error).
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Error::Read { path, .. } => {
                vec![Problem::at(Some(path.clone()), 0, 0, self.to_string())]
            }
            Error::Invalid { problems } => problems.clone(),
        }
    }

    /// Whether the configuration used SD mechanisms Flint does not implement, and nothing
    /// else is wrong with it.
    pub fn only_unsupported(&self) -> bool {
        match self {
            Error::Read { .. } => false,
            Error::Invalid { problems } => problems
                .iter()
                .all(|p| p.message.contains(crate::sd::NOT_SUPPORTED)),
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A value that did not parse (durations, sizes), as a message serde attaches a position to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);
