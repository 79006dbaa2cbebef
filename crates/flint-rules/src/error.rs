//! Errors of loading rule files and evaluating rules.

use std::path::PathBuf;

/// Why rule files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A `rule_files` pattern is not a valid glob.
    #[error("{pattern:?}: {source}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        #[source]
        source: glob::PatternError,
    },
    /// A rule file does not parse or validate; every problem is listed, each worded as
    /// Prometheus words it (`5:17: group "g", rule 1, "x": invalid recording rule name: …`).
    #[error("{}", render_problems(file, problems))]
    Invalid {
        /// The file (empty for text given directly).
        file: String,
        /// The problems, in file order.
        problems: Vec<String>,
    },
    /// Some rule files failed to load; the previous rule set stays in place.
    #[error(
        "error loading rules, previous rule set restored: {}",
        render_errors(errors)
    )]
    Load {
        /// What failed, per file.
        errors: Vec<Error>,
    },
}

fn render_errors(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The problems as promtool prints them, one per entry, each prefixed with the file.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Invalid { file, problems } => {
                problems.iter().map(|p| prefixed(file, p)).collect()
            }
            Error::Load { errors } => errors.iter().flat_map(Error::lines).collect(),
            other => vec![other.to_string()],
        }
    }
}

fn prefixed(file: &str, problem: &str) -> String {
    if file.is_empty() {
        problem.to_string()
    } else {
        format!("{file}: {problem}")
    }
}

fn render_problems(file: &str, problems: &[String]) -> String {
    problems
        .iter()
        .map(|p| prefixed(file, p))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one rule evaluation failed. The group records it on the rule (`lastError`, health
/// `err`), counts it in `prometheus_rule_evaluation_failures_total` and goes on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The query failed (its message is the engine's).
    #[error("{0}")]
    Query(#[from] QueryError),
    /// Two result series of a recording rule have the same labels once the rule's labels are
    /// applied.
    #[error("vector contains metrics with the same labelset after applying rule labels")]
    DuplicateRecordLabels,
    /// Two alerts of an alerting rule have the same labels once the rule's labels are applied.
    #[error("vector contains metrics with the same labelset after applying alert labels")]
    DuplicateAlertLabels,
    /// A recording rule returned more series than the group's `limit`.
    #[error("exceeded limit {limit} with {got} series")]
    SeriesLimit {
        /// The group's limit.
        limit: usize,
        /// Series returned.
        got: usize,
    },
    /// An alerting rule has more active alerts than the group's `limit`.
    #[error("exceeded limit of {limit} with {got} alerts")]
    AlertLimit {
        /// The group's limit.
        limit: usize,
        /// Alerts active.
        got: usize,
    },
    /// Writing the results failed for the whole batch.
    #[error("{0}")]
    Storage(String),
}

/// A failed query, as the [`QueryFn`](crate::query::QueryFn) reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// The engine's message.
    pub message: String,
    /// Whether the query was cancelled (shutdown): not logged as a failure.
    pub canceled: bool,
}

impl QueryError {
    /// A query failure with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            canceled: false,
        }
    }
}
