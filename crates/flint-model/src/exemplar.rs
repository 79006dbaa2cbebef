//! Exemplars and metric metadata.

use crate::metric_type::MetricType;
use crate::value::Timestamp;

/// An exemplar: a sampled observation with its own labels (typically a trace ID).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exemplar {
    /// Exemplar labels as (name, value) pairs, in the order given.
    pub labels: Vec<(String, String)>,
    /// The observed value.
    pub value: f64,
    /// When it was observed, if known (milliseconds since the epoch).
    pub timestamp: Option<Timestamp>,
}

/// Maximum combined length, in UTF-8 characters, of an exemplar's label names and values
/// (OpenMetrics 1.0).
pub const EXEMPLAR_MAX_LABEL_RUNES: usize = 128;

/// Metadata of a metric family: its type, unit and help text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// The declared type.
    pub metric_type: MetricType,
    /// The unit (OpenMetrics `# UNIT`), empty when none.
    pub unit: String,
    /// The help text, empty when none.
    pub help: String,
}
