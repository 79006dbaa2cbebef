//! The error type of `flint-model`.

use crate::names::NameValidation;

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the data model: invalid names, bad regular expressions and
/// invalid relabel configurations.
///
/// Messages follow Prometheus's wording so users recognise them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A label name is not valid under the validation scheme.
    #[error("invalid label name {name:?} ({scheme:?} validation)")]
    InvalidLabelName {
        /// The offending name.
        name: String,
        /// The scheme it was checked against.
        scheme: NameValidation,
    },
    /// The value of `__name__` is not a valid metric name under the validation scheme.
    #[error("invalid metric name {name:?} ({scheme:?} validation)")]
    InvalidMetricName {
        /// The offending metric name.
        name: String,
        /// The scheme it was checked against.
        scheme: NameValidation,
    },
    /// A regular expression does not parse under Go RE2 syntax.
    #[error("error parsing regexp: {code}: `{expr}`")]
    RegexSyntax {
        /// What is wrong, in Go's words (`missing closing )`, `invalid escape sequence`, ...).
        code: &'static str,
        /// The offending part of the expression.
        expr: String,
    },
    /// A syntactically valid regular expression could not be compiled (usually too large).
    #[error("error compiling regexp `{pattern}`: {reason}")]
    RegexCompile {
        /// The pattern as given.
        pattern: String,
        /// The compiler's explanation.
        reason: String,
    },
    /// A relabel `action` that does not exist.
    #[error("unknown relabel action {action:?}")]
    UnknownRelabelAction {
        /// The action as written.
        action: String,
    },
    /// `hashmod` without a modulus.
    #[error("relabel configuration for hashmod requires non-zero modulus")]
    HashmodZeroModulus,
    /// An action that writes a label has no `target_label`.
    #[error("relabel configuration for {action} action requires 'target_label' value")]
    MissingTargetLabel {
        /// The action.
        action: &'static str,
    },
    /// The `target_label` is not a valid label name (or template) for the action.
    #[error("{target_label:?} is invalid 'target_label' for {action} action")]
    InvalidTargetLabel {
        /// The target label as written.
        target_label: String,
        /// The action.
        action: &'static str,
    },
    /// A `replacement` was set for an action that does not use it.
    #[error("'replacement' can not be set for {action} action")]
    ReplacementNotAllowed {
        /// The action.
        action: &'static str,
    },
    /// The `replacement` of `labelmap` is not a valid label name template.
    #[error("{replacement:?} is invalid 'replacement' for {action} action")]
    InvalidReplacement {
        /// The replacement as written.
        replacement: String,
        /// The action.
        action: &'static str,
    },
    /// `keepequal`/`dropequal` with fields other than `source_labels` and `target_label`.
    #[error(
        "{action} action requires only 'source_labels' and `target_label`, and no other fields"
    )]
    EqualActionExtraFields {
        /// The action.
        action: &'static str,
    },
    /// `labeldrop`/`labelkeep` with fields other than `regex`.
    #[error("{action} action requires only 'regex', and no other fields")]
    LabelActionExtraFields {
        /// The action.
        action: &'static str,
    },
    /// A name in `source_labels` is not a valid label name.
    #[error("{name:?} is not a valid label name")]
    InvalidSourceLabel {
        /// The offending name.
        name: String,
    },
}

impl Error {
    /// The Prometheus API `errorType` this error maps to. Every model error is the user's
    /// input being wrong, so this is always `bad_data`.
    pub fn error_type(&self) -> &'static str {
        "bad_data"
    }
}
