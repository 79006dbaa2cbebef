//! OpenMetrics 1.0.0 text encoder.

use flint_model::Exemplar;

use super::{Extra, has_inf_bucket, write_escaped, write_label, write_meta_name, write_series};
use crate::float::{write_om_float, write_uint};
use crate::point::{EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point, SummaryPoint};

/// Writes OpenMetrics 1.0.0 text, byte-compatible with client_golang's OpenMetrics output
/// (floats as `1.0`, counts as integers, timestamps in seconds, `# EOF` at the end).
pub struct OpenMetricsEncoder<'a> {
    out: &'a mut Vec<u8>,
    name: String,
}

/// The value written on a sample line.
#[derive(Clone, Copy)]
enum Value {
    /// A float, OpenMetrics style.
    Float(f64),
    /// A count: an integer when it is one.
    Count(f64),
}

impl<'a> OpenMetricsEncoder<'a> {
    /// An encoder appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        OpenMetricsEncoder {
            out,
            name: String::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn sample(
        &mut self,
        suffix: &str,
        labels: &dyn EncodeLabels,
        extra: Extra<'_>,
        value: Value,
        ts: Option<i64>,
        exemplar: Option<&Exemplar>,
    ) {
        write_series(self.out, &self.name, suffix, labels, extra, true);
        self.out.push(b' ');
        match value {
            Value::Float(v) => write_om_float(self.out, v),
            Value::Count(v) => write_count(self.out, v),
        }
        if let Some(ts) = ts {
            self.out.push(b' ');
            write_om_float(self.out, ts as f64 / 1000.0);
        }
        if let Some(ex) = exemplar {
            write_exemplar(self.out, ex);
        }
        self.out.push(b'\n');
    }

    fn created(&mut self, labels: &dyn EncodeLabels, created: Option<f64>, ts: Option<i64>) {
        if let Some(c) = created {
            self.sample("_created", labels, Extra::None, Value::Float(c), ts, None);
        }
    }

    fn histogram(
        &mut self,
        labels: &dyn EncodeLabels,
        h: &HistogramPoint<'_>,
        gauge: bool,
        ts: Option<i64>,
    ) {
        for b in h.buckets {
            let extra = Extra::Float("le", b.upper_bound);
            let v = Value::Count(b.cumulative_count);
            self.sample("_bucket", labels, extra, v, ts, b.exemplar);
        }
        if !has_inf_bucket(h.buckets) {
            let extra = Extra::Float("le", f64::INFINITY);
            self.sample("_bucket", labels, extra, Value::Count(h.count), ts, None);
        }
        if gauge {
            self.sample(
                "_gcount",
                labels,
                Extra::None,
                Value::Count(h.count),
                ts,
                None,
            );
            self.sample("_gsum", labels, Extra::None, Value::Float(h.sum), ts, None);
        } else {
            self.sample("_sum", labels, Extra::None, Value::Float(h.sum), ts, None);
            self.sample(
                "_count",
                labels,
                Extra::None,
                Value::Count(h.count),
                ts,
                None,
            );
            self.created(labels, h.created, ts);
        }
    }

    fn summary(&mut self, labels: &dyn EncodeLabels, s: &SummaryPoint<'_>, ts: Option<i64>) {
        for &(q, v) in s.quantiles {
            let extra = Extra::Float("quantile", q);
            self.sample("", labels, extra, Value::Float(v), ts, None);
        }
        self.sample("_sum", labels, Extra::None, Value::Float(s.sum), ts, None);
        self.sample(
            "_count",
            labels,
            Extra::None,
            Value::Count(s.count),
            ts,
            None,
        );
        self.created(labels, s.created, ts);
    }
}

/// Appends a count: a plain integer when integral, an OpenMetrics float otherwise.
fn write_count(out: &mut Vec<u8>, v: f64) {
    if v >= 0.0 && v.fract() == 0.0 && v < 9.007_199_254_740_992e15 {
        write_uint(out, v as u64);
    } else {
        write_om_float(out, v);
    }
}

/// Appends ` # {labels} value[ timestamp]`.
fn write_exemplar(out: &mut Vec<u8>, ex: &Exemplar) {
    out.extend_from_slice(b" # {");
    for (i, (n, v)) in ex.labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_label(out, n, v);
    }
    out.extend_from_slice(b"} ");
    write_om_float(out, ex.value);
    if let Some(ts) = ex.timestamp {
        out.push(b' ');
        write_om_float(out, ts as f64 / 1000.0);
    }
}

impl Encoder for OpenMetricsEncoder<'_> {
    fn family(&mut self, header: &FamilyHeader<'_>) {
        let name = super::base_name(header.name, header.metric_type);
        self.name.clear();
        self.name.push_str(name);
        if !header.help.is_empty() {
            self.out.extend_from_slice(b"# HELP ");
            write_meta_name(self.out, name, "");
            self.out.push(b' ');
            write_escaped(self.out, header.help, true);
            self.out.push(b'\n');
        }
        self.out.extend_from_slice(b"# TYPE ");
        write_meta_name(self.out, name, "");
        self.out.push(b' ');
        let t = header.metric_type.as_openmetrics_str();
        self.out.extend_from_slice(t.as_bytes());
        self.out.push(b'\n');
        if !header.unit.is_empty() {
            self.out.extend_from_slice(b"# UNIT ");
            write_meta_name(self.out, name, "");
            self.out.push(b' ');
            write_escaped(self.out, header.unit, true);
            self.out.push(b'\n');
        }
    }

    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, ts: Option<i64>) {
        let none = Extra::None;
        match point {
            Point::Counter {
                value,
                created,
                exemplar,
            } => {
                let v = Value::Float(*value);
                self.sample("_total", labels, none, v, ts, *exemplar);
                self.created(labels, *created, ts);
            }
            Point::Gauge(v) | Point::Unknown(v) => {
                self.sample("", labels, none, Value::Float(*v), ts, None);
            }
            Point::Histogram(h) => self.histogram(labels, h, false, ts),
            Point::GaugeHistogram(h) => self.histogram(labels, h, true, ts),
            Point::Summary(s) => self.summary(labels, s, ts),
            Point::Info => self.sample("_info", labels, none, Value::Count(1.0), ts, None),
            Point::StateSet(states) => {
                let name = std::mem::take(&mut self.name);
                for &(state, set) in *states {
                    let extra = Extra::Str(&name, state);
                    write_series(self.out, &name, "", labels, extra, true);
                    self.out.extend_from_slice(if set { b" 1" } else { b" 0" });
                    if let Some(ts) = ts {
                        self.out.push(b' ');
                        write_om_float(self.out, ts as f64 / 1000.0);
                    }
                    self.out.push(b'\n');
                }
                self.name = name;
            }
        }
    }

    fn finish(&mut self) {
        self.out.extend_from_slice(b"# EOF\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Bucket;
    use flint_model::MetricType;

    #[test]
    fn counter_with_exemplar_and_created() {
        let mut out = Vec::new();
        let mut e = OpenMetricsEncoder::new(&mut out);
        e.family(&FamilyHeader {
            name: "req",
            help: "Requests \"x\".",
            metric_type: MetricType::Counter,
            unit: "",
        });
        let ex = Exemplar {
            labels: vec![("trace_id".into(), "x".into())],
            value: 1.0,
            timestamp: Some(123_456),
        };
        let labels: &[(&str, &str)] = &[("a", "b")];
        let p = Point::Counter {
            value: 3.0,
            created: Some(1.5e9),
            exemplar: Some(&ex),
        };
        e.metric(&labels, &p, None);
        e.finish();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP req Requests \\\"x\\\".\n# TYPE req counter\n\
             req_total{a=\"b\"} 3.0 # {trace_id=\"x\"} 1.0 123.456\n\
             req_created{a=\"b\"} 1.5e+09\n# EOF\n"
        );
    }

    #[test]
    fn histogram_unit_and_timestamps() {
        let mut out = Vec::new();
        let mut e = OpenMetricsEncoder::new(&mut out);
        e.family(&FamilyHeader {
            name: "lat_seconds",
            help: "",
            metric_type: MetricType::Histogram,
            unit: "seconds",
        });
        let buckets = [Bucket {
            upper_bound: 1.0,
            cumulative_count: 2.0,
            exemplar: None,
        }];
        let h = HistogramPoint {
            count: 3.0,
            sum: 4.0,
            buckets: &buckets,
            created: None,
            native: None,
            native_exemplars: &[],
        };
        let none: &[(&str, &str)] = &[];
        e.metric(&none, &Point::Histogram(h), Some(1500));
        e.finish();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n\
             lat_seconds_bucket{le=\"1.0\"} 2 1.5\nlat_seconds_bucket{le=\"+Inf\"} 3 1.5\n\
             lat_seconds_sum 4.0 1.5\nlat_seconds_count 3 1.5\n# EOF\n"
        );
    }
}
