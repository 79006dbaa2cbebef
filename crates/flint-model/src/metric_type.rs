//! Metric family types as the exposition formats name them.

use std::fmt;
use std::str::FromStr;

/// The type of a metric family, as declared by `# TYPE`.
///
/// Covers the union of Prometheus text 0.0.4 and OpenMetrics 1.0 types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// A monotonically increasing value.
    Counter,
    /// A value that can go up and down.
    Gauge,
    /// Observations counted into buckets (classic or native).
    Histogram,
    /// A histogram whose buckets can go up and down (OpenMetrics only).
    GaugeHistogram,
    /// Observations summarised by quantiles over a window.
    Summary,
    /// Constant labels describing a target (OpenMetrics only).
    Info,
    /// A set of boolean states (OpenMetrics only).
    StateSet,
    /// No type declared (`untyped` in Prometheus text, `unknown` in OpenMetrics).
    #[default]
    Unknown,
}

impl MetricType {
    /// Prometheus's number for the type, as WAL metadata records and remote write 2.0's
    /// `Metadata.type` carry it: 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge
    /// histogram, 5 summary, 6 info, 7 stateset.
    pub fn code(self) -> u8 {
        match self {
            MetricType::Unknown => 0,
            MetricType::Counter => 1,
            MetricType::Gauge => 2,
            MetricType::Histogram => 3,
            MetricType::GaugeHistogram => 4,
            MetricType::Summary => 5,
            MetricType::Info => 6,
            MetricType::StateSet => 7,
        }
    }

    /// The type numbered `code` (see [`MetricType::code`]); unknown numbers are unknown.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => MetricType::Counter,
            2 => MetricType::Gauge,
            3 => MetricType::Histogram,
            4 => MetricType::GaugeHistogram,
            5 => MetricType::Summary,
            6 => MetricType::Info,
            7 => MetricType::StateSet,
            _ => MetricType::Unknown,
        }
    }

    /// The name used in Prometheus text format 0.0.4 (`untyped` for unknown).
    pub fn as_prometheus_str(self) -> &'static str {
        match self {
            MetricType::Unknown => "untyped",
            other => other.as_openmetrics_str(),
        }
    }

    /// The name used in OpenMetrics 1.0 text.
    pub fn as_openmetrics_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_openmetrics_str())
    }
}

/// Error returned when a type name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid metric type {0:?}")]
pub struct UnknownMetricType(pub String);

impl FromStr for MetricType {
    type Err = UnknownMetricType;

    /// Accepts both the Prometheus (`untyped`) and OpenMetrics (`unknown`) spellings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" | "untyped" => MetricType::Unknown,
            other => return Err(UnknownMetricType(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names() {
        for t in [
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::GaugeHistogram,
            MetricType::Summary,
            MetricType::Info,
            MetricType::StateSet,
            MetricType::Unknown,
        ] {
            assert_eq!(t.as_openmetrics_str().parse::<MetricType>(), Ok(t));
            assert_eq!(t.as_prometheus_str().parse::<MetricType>(), Ok(t));
        }
        assert!("Counter".parse::<MetricType>().is_err());
    }
}
