//! An owned model of metric families: what whole-body parsing produces and what tests,
//! `flint check metrics` and round trips work with.

pub(crate) mod build;

use flint_model::{Exemplar, Histogram, MetricType};

use crate::point::{Bucket, Encoder, FamilyHeader, HistogramPoint, Point, SummaryPoint};

/// A metric family: metadata plus its metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricFamily {
    /// Family name. Counters and info metrics are named after their value samples
    /// (`requests_total`, `build_info`), as in the Prometheus text format, also when parsed
    /// from OpenMetrics (`# TYPE requests counter`); a text counter without `_total` keeps
    /// its name. Encoders accept both `requests` and `requests_total` and write the
    /// suffix each format requires.
    pub name: String,
    /// Help text, unescaped; empty for none.
    pub help: String,
    /// Declared type ([`MetricType::Unknown`] when none).
    pub metric_type: MetricType,
    /// Unit, empty for none.
    pub unit: String,
    /// The metrics, in input order.
    pub metrics: Vec<Metric>,
}

/// One metric (a label set and its value) of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Label pairs in input order, without the metric name and without `le`/`quantile`
    /// (or a state set's state label).
    pub labels: Vec<(String, String)>,
    /// Explicit timestamp in milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    /// The value.
    pub value: MetricValue,
}

/// One classic histogram bucket (owned).
#[derive(Debug, Clone, PartialEq)]
pub struct BucketValue {
    /// Inclusive upper bound.
    pub upper_bound: f64,
    /// Cumulative count.
    pub cumulative_count: f64,
    /// Exemplar, if any.
    pub exemplar: Option<Exemplar>,
}

/// A histogram value (owned mirror of [`HistogramPoint`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramValue {
    /// Number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Classic buckets, ascending.
    pub buckets: Vec<BucketValue>,
    /// Creation time in seconds since the epoch.
    pub created: Option<f64>,
    /// Native histogram, when the input carried one (protobuf only).
    pub native: Option<Histogram>,
    /// Exemplars of the native histogram.
    pub native_exemplars: Vec<Exemplar>,
}

/// A summary value (owned mirror of [`SummaryPoint`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryValue {
    /// Number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// (quantile, value) pairs.
    pub quantiles: Vec<(f64, f64)>,
    /// Creation time in seconds since the epoch.
    pub created: Option<f64>,
}

/// The value of a metric: the owned mirror of [`Point`].
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// A counter.
    Counter {
        /// Current total.
        value: f64,
        /// Creation time in seconds since the epoch.
        created: Option<f64>,
        /// Exemplar, if any.
        exemplar: Option<Exemplar>,
    },
    /// A gauge.
    Gauge(f64),
    /// An untyped/unknown value.
    Unknown(f64),
    /// A histogram.
    Histogram(HistogramValue),
    /// A gauge histogram.
    GaugeHistogram(HistogramValue),
    /// A summary.
    Summary(SummaryValue),
    /// An info metric.
    Info,
    /// A state set: (state, set) pairs.
    StateSet(Vec<(String, bool)>),
}

impl MetricFamily {
    /// Writes this family (header and all metrics) to `enc`. Does not call
    /// [`Encoder::finish`]; see [`encode_families`].
    pub fn encode(&self, enc: &mut dyn Encoder) {
        enc.family(&FamilyHeader {
            name: &self.name,
            help: &self.help,
            metric_type: self.metric_type,
            unit: &self.unit,
        });
        for m in &self.metrics {
            encode_metric(enc, m);
        }
    }
}

/// Writes one metric; only histograms and state sets build a small temporary slice.
fn encode_metric(enc: &mut dyn Encoder, m: &Metric) {
    let labels = m.labels.as_slice();
    let ts = m.timestamp_ms;
    match &m.value {
        MetricValue::Counter {
            value,
            created,
            exemplar,
        } => {
            let p = Point::Counter {
                value: *value,
                created: *created,
                exemplar: exemplar.as_ref(),
            };
            enc.metric(&labels, &p, ts);
        }
        MetricValue::Gauge(v) => enc.metric(&labels, &Point::Gauge(*v), ts),
        MetricValue::Unknown(v) => enc.metric(&labels, &Point::Unknown(*v), ts),
        MetricValue::Histogram(h) | MetricValue::GaugeHistogram(h) => {
            let mut buf = Vec::with_capacity(h.buckets.len());
            let hp = histogram_point(h, &mut buf);
            let p = if matches!(m.value, MetricValue::Histogram(_)) {
                Point::Histogram(hp)
            } else {
                Point::GaugeHistogram(hp)
            };
            enc.metric(&labels, &p, ts);
        }
        MetricValue::Summary(s) => {
            let p = Point::Summary(SummaryPoint {
                count: s.count,
                sum: s.sum,
                quantiles: &s.quantiles,
                created: s.created,
            });
            enc.metric(&labels, &p, ts);
        }
        MetricValue::Info => enc.metric(&labels, &Point::Info, ts),
        MetricValue::StateSet(s) => {
            let states: Vec<(&str, bool)> = s.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            enc.metric(&labels, &Point::StateSet(&states), ts);
        }
    }
}

fn histogram_point<'a>(h: &'a HistogramValue, buf: &'a mut Vec<Bucket<'a>>) -> HistogramPoint<'a> {
    buf.clear();
    buf.extend(h.buckets.iter().map(|b| Bucket {
        upper_bound: b.upper_bound,
        cumulative_count: b.cumulative_count,
        exemplar: b.exemplar.as_ref(),
    }));
    HistogramPoint {
        count: h.count,
        sum: h.sum,
        buckets: buf,
        created: h.created,
        native: h.native.as_ref(),
        native_exemplars: &h.native_exemplars,
    }
}

/// Writes all `families` to `enc` and finishes the output.
pub fn encode_families(families: &[MetricFamily], enc: &mut dyn Encoder) {
    for f in families {
        f.encode(enc);
    }
    enc.finish();
}
