//! Flint's data model.
//!
//! The vocabulary every other Flint crate speaks: label sets, matchers with RE2 semantics,
//! samples and the staleness marker, native histograms, exemplars, metadata, name validation
//! and the relabeling engine.
#![deny(missing_docs)]

pub mod error;
pub mod exemplar;
pub mod histogram;
pub mod labels;
pub mod matcher;
pub mod metric_type;
pub mod names;
pub mod quote;
pub mod regex;
pub mod relabel;
pub mod value;

pub use self::regex::{FastPath, Regex};
pub use error::{Error, Result};
pub use exemplar::{Exemplar, Metadata};
pub use histogram::{CounterResetHint, FloatHistogram, Histogram, Span};
pub use labels::{Label, Labels, LabelsBuilder};
pub use matcher::{MatchType, Matcher};
pub use metric_type::MetricType;
pub use names::NameValidation;
pub use relabel::{Action, RelabelConfig, Relabeler, relabel};
pub use value::{STALE_NAN, Sample, Timestamp, is_stale_nan};
