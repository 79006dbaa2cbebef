//! Registration options: namespace, subsystem, unit, const labels.

use flint_model::MetricType;
use flint_model::names::{is_legacy_label_name, is_legacy_metric_name, is_reserved_label_name};

use crate::error::{Error, Result};
use crate::labels::ConstLabels;

/// A metric's unit (OpenMetrics `# UNIT`); appended to the name unless already its suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Bytes.
    Bytes,
    /// A ratio (0..1).
    Ratio,
    /// Joules.
    Joules,
    /// Grams.
    Grams,
    /// Meters.
    Meters,
    /// Volts.
    Volts,
    /// Amperes.
    Amperes,
    /// Degrees Celsius.
    Celsius,
    /// Any other unit, in base-unit snake case.
    Other(String),
}

impl Unit {
    /// The unit as written in names and `# UNIT`.
    pub fn as_str(&self) -> &str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
            Unit::Joules => "joules",
            Unit::Grams => "grams",
            Unit::Meters => "meters",
            Unit::Volts => "volts",
            Unit::Amperes => "amperes",
            Unit::Celsius => "celsius",
            Unit::Other(s) => s,
        }
    }
}

/// How to name and label a metric at registration.
///
/// The full name is `[registry prefix_][namespace_][subsystem_]name[_unit]`.
///
/// ```
/// use flint_client::registry::{Opts, Unit};
/// let opts = Opts::new("size", "Size of things.")
///     .namespace("app")
///     .subsystem("cache")
///     .unit(Unit::Bytes)
///     .const_label("shard", "1");
/// assert_eq!(opts.help(), "Size of things.");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Opts {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) namespace: String,
    pub(crate) subsystem: String,
    pub(crate) unit: Option<Unit>,
    pub(crate) const_labels: ConstLabels,
}

impl Opts {
    /// Options with a name and help text.
    pub fn new(name: impl Into<String>, help: impl Into<String>) -> Self {
        Opts {
            name: name.into(),
            help: help.into(),
            ..Default::default()
        }
    }

    /// Sets the namespace (first name component).
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = ns.into();
        self
    }

    /// Sets the subsystem (second name component).
    pub fn subsystem(mut self, sub: impl Into<String>) -> Self {
        self.subsystem = sub.into();
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: Unit) -> Self {
        self.unit = Some(unit);
        self
    }

    /// Adds a const label to this metric.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels = self.const_labels.with(name, value);
        self
    }

    /// The help text.
    pub fn help(&self) -> &str {
        &self.help
    }

    pub(crate) fn full_name(&self, prefix: &str, metric_type: MetricType) -> String {
        let mut name = join(
            &join(&join(prefix, &self.namespace), &self.subsystem),
            &self.name,
        );
        if metric_type == MetricType::Counter
            && let Some(base) = name.strip_suffix("_total")
        {
            name = base.to_owned();
        }
        if let Some(unit) = &self.unit {
            let suffix = format!("_{}", unit.as_str());
            if !name.ends_with(&suffix) {
                name.push_str(&suffix);
            }
        }
        name
    }

    pub(crate) fn validate(&self, full_name: &str) -> Result<()> {
        if !is_legacy_metric_name(full_name) {
            return Err(Error::InvalidMetricName(full_name.to_owned()));
        }
        for (n, _) in self.const_labels.pairs() {
            if !is_legacy_label_name(n) || is_reserved_label_name(n) {
                return Err(Error::InvalidLabelName(n.clone()));
            }
        }
        Ok(())
    }
}

/// `a_b`, or whichever is non-empty.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}_{b}"),
    }
}
