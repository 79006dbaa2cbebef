//! Entries yielded by the streaming parsers, borrowing from the input.

use std::borrow::Cow;

use flint_model::MetricType;

pub use crate::lex::LabelIter;

/// One entry of an exposition body, borrowing from the input buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    /// `# HELP name text` (text unescaped).
    Help {
        /// Family name as written (for Prometheus text counters, with `_total`).
        name: Cow<'a, str>,
        /// Help text, unescaped.
        help: Cow<'a, str>,
    },
    /// `# TYPE name type`.
    Type {
        /// Family name as written.
        name: Cow<'a, str>,
        /// The declared type.
        metric_type: MetricType,
    },
    /// `# UNIT name unit` (OpenMetrics).
    Unit {
        /// Family name.
        name: Cow<'a, str>,
        /// The unit.
        unit: Cow<'a, str>,
    },
    /// A sample line.
    Sample(Sample<'a>),
    /// Any other comment line (Prometheus text only), without the leading `#`.
    Comment(&'a str),
    /// `# EOF` (OpenMetrics).
    Eof,
}

/// A sample: series name, labels, value, optional timestamp and exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// Sample name including any suffix (`_total`, `_bucket`, …).
    pub name: Cow<'a, str>,
    /// The label set, iterated lazily.
    pub labels: Labels<'a>,
    /// The value.
    pub value: f64,
    /// Timestamp in milliseconds (OpenMetrics seconds are converted, rounded to the ms).
    pub timestamp: Option<i64>,
    /// An OpenMetrics exemplar.
    pub exemplar: Option<ExemplarEntry<'a>>,
}

/// An exemplar as written after a sample (` # {labels} value [timestamp]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExemplarEntry<'a> {
    /// Exemplar labels.
    pub labels: Labels<'a>,
    /// Exemplar value.
    pub value: f64,
    /// Timestamp in milliseconds.
    pub timestamp: Option<i64>,
}

impl ExemplarEntry<'_> {
    /// Converts to the owned model type.
    pub fn to_exemplar(&self) -> flint_model::Exemplar {
        flint_model::Exemplar {
            labels: self.labels.to_vec(),
            value: self.value,
            timestamp: self.timestamp,
        }
    }
}

/// A validated label set, kept as the raw text between the braces and decoded on iteration
/// (values are unescaped only when they contain escapes). A quoted metric name inside the
/// braces (`{"my.metric", a="b"}`) is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Labels<'a> {
    pub(crate) raw: &'a str,
}

impl<'a> Labels<'a> {
    /// Wraps validated label text (the inside of `{...}`).
    pub(crate) fn from_raw(raw: &'a str) -> Self {
        Labels { raw }
    }

    /// Iterates over (name, value) pairs in input order.
    pub fn iter(&self) -> LabelIter<'a> {
        LabelIter::new(self.raw)
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The raw text between the braces.
    pub fn as_raw(&self) -> &'a str {
        self.raw
    }

    /// Collects into owned pairs.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }
}

impl<'a> IntoIterator for &Labels<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);
    type IntoIter = LabelIter<'a>;

    fn into_iter(self) -> LabelIter<'a> {
        self.iter()
    }
}
