//! Assembling parsed entries into owned [`MetricFamily`] values.

use flint_model::MetricType;

use super::{BucketValue, Metric, MetricFamily, MetricValue};
use crate::encode::base_name;
use crate::entry::{Entry, Sample};
use crate::float::parse_float;

/// The family being assembled.
#[derive(Debug)]
struct Current {
    family: MetricFamily,
    /// The name in the metadata lines (or the first sample).
    raw: String,
    /// `raw` without `_total` (counters) or `_info` (info): what sample suffixes follow.
    base: String,
}

/// Collects entries into families.
///
/// A family's name is the name its values are written under: a counter parsed from
/// OpenMetrics (`# TYPE foo counter`, `foo_total 1`) is named `foo_total`, like the same
/// counter in the Prometheus text format; a text counter without `_total` keeps its name.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    families: Vec<MetricFamily>,
    current: Option<Current>,
}

fn default_value(t: MetricType) -> MetricValue {
    match t {
        MetricType::Counter => MetricValue::Counter {
            value: 0.0,
            created: None,
            exemplar: None,
        },
        MetricType::Gauge => MetricValue::Gauge(0.0),
        MetricType::Unknown => MetricValue::Unknown(0.0),
        MetricType::Histogram => MetricValue::Histogram(Default::default()),
        MetricType::GaugeHistogram => MetricValue::GaugeHistogram(Default::default()),
        MetricType::Summary => MetricValue::Summary(Default::default()),
        MetricType::Info => MetricValue::Info,
        MetricType::StateSet => MetricValue::StateSet(Vec::new()),
    }
}

/// Which label holds per-sample structure (not part of the metric's identity).
fn structural_label<'n>(t: MetricType, family: &'n str, suffix: &str) -> Option<&'n str> {
    match t {
        MetricType::Histogram | MetricType::GaugeHistogram if suffix == "_bucket" => Some("le"),
        MetricType::Summary if suffix.is_empty() => Some("quantile"),
        MetricType::StateSet => Some(family),
        _ => None,
    }
}

impl Builder {
    fn flush(&mut self) {
        if let Some(c) = self.current.take() {
            self.families.push(c.family);
        }
    }

    fn current_for(&mut self, name: &str) -> &mut Current {
        let same = self
            .current
            .as_ref()
            .is_some_and(|c| c.raw == name || c.family.name == name);
        if !same {
            self.flush();
        }
        self.current.get_or_insert_with(|| Current {
            family: MetricFamily {
                name: name.to_owned(),
                ..MetricFamily::default()
            },
            raw: name.to_owned(),
            base: name.to_owned(),
        })
    }

    /// Adds one entry.
    pub(crate) fn push(&mut self, entry: Entry<'_>) {
        match entry {
            Entry::Help { name, help } => self.current_for(&name).family.help = help.into_owned(),
            Entry::Unit { name, unit } => self.current_for(&name).family.unit = unit.into_owned(),
            Entry::Type { name, metric_type } => {
                let c = self.current_for(&name);
                c.family.metric_type = metric_type;
                c.base = base_name(&c.raw, metric_type).to_owned();
            }
            Entry::Sample(s) => self.sample(&s),
            Entry::Comment(_) | Entry::Eof => {}
        }
    }

    /// The suffix of `name` within the current family, if the sample belongs to it.
    fn suffix_in_current(&self, name: &str) -> Option<&'static str> {
        let c = self.current.as_ref()?;
        let rest = name.strip_prefix(c.base.as_str())?;
        let ok: &[&'static str] = match c.family.metric_type {
            MetricType::Counter => &["_total", "_created", ""],
            MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
            MetricType::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
            MetricType::Summary => &["", "_count", "_sum", "_created"],
            MetricType::Info => &["_info"],
            _ => &[""],
        };
        ok.iter().find(|&&x| x == rest).copied()
    }

    fn sample(&mut self, s: &Sample<'_>) {
        let suffix = match self.suffix_in_current(&s.name) {
            Some(x) => x,
            None => {
                self.flush();
                self.current_for(&s.name);
                ""
            }
        };
        let Some(c) = self.current.as_mut() else {
            return;
        };
        let f = &mut c.family;
        let t = f.metric_type;
        let names_value = matches!(
            (t, suffix),
            (MetricType::Counter, "_total" | "") | (MetricType::Info, "_info")
        );
        if names_value && f.name != s.name {
            f.name = s.name.to_string();
        }
        let skip = structural_label(t, &c.base, suffix).map(str::to_owned);
        let labels: Vec<(String, String)> = s
            .labels
            .iter()
            .filter(|(n, _)| Some(n.as_ref()) != skip.as_deref())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let fresh = matches!(t, MetricType::Gauge | MetricType::Unknown);
        let found = f
            .metrics
            .iter()
            .rposition(|m| m.labels == labels && m.timestamp_ms == s.timestamp);
        let idx = match found {
            Some(i) if !fresh => i,
            _ => {
                f.metrics.push(Metric {
                    labels,
                    timestamp_ms: s.timestamp,
                    value: default_value(t),
                });
                f.metrics.len() - 1
            }
        };
        if let Some(m) = f.metrics.get_mut(idx) {
            apply(&mut m.value, suffix, skip.as_deref().unwrap_or(""), s);
        }
    }

    /// The families collected so far.
    pub(crate) fn finish(mut self) -> Vec<MetricFamily> {
        self.flush();
        self.families
    }
}

fn label_float(s: &Sample<'_>, name: &str) -> f64 {
    s.labels
        .get(name)
        .and_then(|v| parse_float(&v))
        .unwrap_or(f64::NAN)
}

fn apply(value: &mut MetricValue, suffix: &str, family: &str, s: &Sample<'_>) {
    let v = s.value;
    match value {
        MetricValue::Counter {
            value,
            created,
            exemplar,
        } => match suffix {
            "_created" => *created = Some(v),
            _ => {
                *value = v;
                *exemplar = s.exemplar.as_ref().map(|e| e.to_exemplar());
            }
        },
        MetricValue::Gauge(x) | MetricValue::Unknown(x) => *x = v,
        MetricValue::Histogram(h) | MetricValue::GaugeHistogram(h) => match suffix {
            "_bucket" => h.buckets.push(BucketValue {
                upper_bound: label_float(s, "le"),
                cumulative_count: v,
                exemplar: s.exemplar.as_ref().map(|e| e.to_exemplar()),
            }),
            "_count" | "_gcount" => h.count = v,
            "_sum" | "_gsum" => h.sum = v,
            "_created" => h.created = Some(v),
            _ => {}
        },
        MetricValue::Summary(q) => match suffix {
            "" => q.quantiles.push((label_float(s, "quantile"), v)),
            "_count" => q.count = v,
            "_sum" => q.sum = v,
            "_created" => q.created = Some(v),
            _ => {}
        },
        MetricValue::Info => {}
        MetricValue::StateSet(states) => {
            if let Some(state) = s.labels.get(family) {
                states.push((state.into_owned(), v != 0.0));
            }
        }
    }
}
