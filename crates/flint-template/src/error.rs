//! Errors of parsing and executing templates, formatted as Go's `text/template` formats them.

use std::fmt;

/// Any error this crate returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The template text does not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// Executing a template failed.
    #[error("{0}")]
    Exec(#[from] ExecError),
    /// `html/template` cannot escape the template (`html/template:NAME:1:5: …`).
    #[error("{0}")]
    Html(String),
    /// No template of that name is in the set.
    #[error(
        "template: no template {} associated with template {}",
        crate::gofmt::quote(name),
        crate::gofmt::quote(set)
    )]
    NoTemplate {
        /// The name asked for.
        name: String,
        /// The set's own name.
        set: String,
    },
    /// A template file could not be read.
    #[error("open {path}: {message}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A glob pattern is malformed or matched nothing.
    #[error("template: pattern matches no files: `{0}`")]
    NoMatch(String),
    /// A glob pattern is malformed.
    #[error("syntax error in pattern: {0}")]
    BadPattern(String),
}

/// A parse error: `template: NAME:LINE: MESSAGE`, exactly as Go prints it.
///
/// Go reports only the line of a parse error; the column (0-based byte offset within the line,
/// Go's convention for execution errors) is kept in [`ParseError::column`] for tools that want
/// it, and [`ParseError::with_column`] renders `template: NAME:LINE:COL: MESSAGE`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// The name the text was parsed under (the file's base name for template files).
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 0-based byte offset of the offending token within its line.
    pub column: usize,
    /// The message without location, e.g. `unexpected "}" in operand`.
    pub message: String,
}

impl ParseError {
    /// The message with line and column: `template: NAME:LINE:COL: MESSAGE`.
    pub fn with_column(&self) -> String {
        format!(
            "template: {}:{}:{}: {}",
            self.name, self.line, self.column, self.message
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// An execution error, e.g.
/// `template: test:1:3: executing "test" at <.Foo>: map has no entry for key "Foo"`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecError {
    /// The template being executed when the error happened.
    pub template: String,
    /// `NAME:LINE:COL` of the node being evaluated, when known.
    pub location: Option<String>,
    /// The node being evaluated, printed as template source (at most 20 characters).
    pub context: Option<String>,
    /// The message without location.
    pub message: String,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.context) {
            (Some(loc), Some(ctx)) => write!(
                f,
                "template: {loc}: executing \"{}\" at <{ctx}>: {}",
                self.template, self.message
            ),
            _ => write!(f, "template: {}: {}", self.template, self.message),
        }
    }
}

impl std::error::Error for ExecError {}

/// The error a function returns; the evaluator wraps it as `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// A function error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        FuncError(message.into())
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

impl From<String> for FuncError {
    fn from(s: String) -> Self {
        FuncError(s)
    }
}

impl From<&str> for FuncError {
    fn from(s: &str) -> Self {
        FuncError(s.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
