//! Prometheus text format 0.0.4 encoder.

use flint_model::MetricType;

use super::{Extra, has_inf_bucket, write_escaped, write_meta_name, write_series};
use crate::float::{write_float, write_int};
use crate::point::{EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point};

/// Writes the Prometheus text format 0.0.4, byte-compatible with client_golang.
///
/// Counters get `_total` appended to the family name; info metrics are written as gauges
/// named `<name>_info`, state sets as gauges with one series per state, gauge histograms as
/// histograms (the text format has none of these types).
pub struct TextEncoder<'a> {
    out: &'a mut Vec<u8>,
    name: String,
    metric_type: MetricType,
}

impl<'a> TextEncoder<'a> {
    /// An encoder appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        TextEncoder {
            out,
            name: String::new(),
            metric_type: MetricType::Unknown,
        }
    }

    fn line_end(&mut self, value: f64, timestamp_ms: Option<i64>) {
        self.out.push(b' ');
        write_float(self.out, value);
        if let Some(ts) = timestamp_ms {
            self.out.push(b' ');
            write_int(self.out, ts);
        }
        self.out.push(b'\n');
    }

    fn sample(
        &mut self,
        suffix: &str,
        labels: &dyn EncodeLabels,
        extra: Extra<'_>,
        value: f64,
        ts: Option<i64>,
    ) {
        write_series(self.out, &self.name, suffix, labels, extra, false);
        self.line_end(value, ts);
    }

    fn histogram(&mut self, labels: &dyn EncodeLabels, h: &HistogramPoint<'_>, ts: Option<i64>) {
        for b in h.buckets {
            let extra = Extra::Float("le", b.upper_bound);
            self.sample("_bucket", labels, extra, b.cumulative_count, ts);
        }
        if !has_inf_bucket(h.buckets) {
            let extra = Extra::Float("le", f64::INFINITY);
            self.sample("_bucket", labels, extra, h.count, ts);
        }
        self.sample("_sum", labels, Extra::None, h.sum, ts);
        self.sample("_count", labels, Extra::None, h.count, ts);
    }
}

/// The name suffix the text and protobuf formats add to a family name.
pub(crate) fn family_suffix(t: MetricType) -> &'static str {
    match t {
        MetricType::Counter => "_total",
        MetricType::Info => "_info",
        _ => "",
    }
}

/// The type a family is declared with in the text and protobuf formats.
pub(crate) fn text_type(t: MetricType) -> MetricType {
    match t {
        MetricType::Info | MetricType::StateSet => MetricType::Gauge,
        MetricType::GaugeHistogram => MetricType::Histogram,
        other => other,
    }
}

impl Encoder for TextEncoder<'_> {
    fn family(&mut self, header: &FamilyHeader<'_>) {
        let name = super::base_name(header.name, header.metric_type);
        self.name.clear();
        self.name.push_str(name);
        self.metric_type = header.metric_type;
        let suffix = family_suffix(header.metric_type);
        if !header.help.is_empty() {
            self.out.extend_from_slice(b"# HELP ");
            write_meta_name(self.out, name, suffix);
            self.out.push(b' ');
            write_escaped(self.out, header.help, false);
            self.out.push(b'\n');
        }
        self.out.extend_from_slice(b"# TYPE ");
        write_meta_name(self.out, name, suffix);
        self.out.push(b' ');
        let t = text_type(header.metric_type).as_prometheus_str();
        self.out.extend_from_slice(t.as_bytes());
        self.out.push(b'\n');
    }

    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, ts: Option<i64>) {
        match point {
            Point::Counter { value, .. } => self.sample("_total", labels, Extra::None, *value, ts),
            Point::Gauge(v) | Point::Unknown(v) => self.sample("", labels, Extra::None, *v, ts),
            Point::Histogram(h) | Point::GaugeHistogram(h) => self.histogram(labels, h, ts),
            Point::Summary(s) => {
                for &(q, v) in s.quantiles {
                    self.sample("", labels, Extra::Float("quantile", q), v, ts);
                }
                self.sample("_sum", labels, Extra::None, s.sum, ts);
                self.sample("_count", labels, Extra::None, s.count, ts);
            }
            Point::Info => self.sample("_info", labels, Extra::None, 1.0, ts),
            Point::StateSet(states) => {
                for &(state, set) in *states {
                    let name = std::mem::take(&mut self.name);
                    let extra = Extra::Str(&name, state);
                    write_series(self.out, &name, "", labels, extra, false);
                    self.name = name;
                    self.line_end(if set { 1.0 } else { 0.0 }, ts);
                }
            }
        }
    }

    fn finish(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{Bucket, SummaryPoint};

    fn header(name: &'static str, t: MetricType) -> FamilyHeader<'static> {
        FamilyHeader {
            name,
            help: "Help \\ with\nnewline \"q\".",
            metric_type: t,
            unit: "",
        }
    }

    #[test]
    fn counter_and_gauge() {
        let mut out = Vec::new();
        let mut e = TextEncoder::new(&mut out);
        e.family(&header("requests", MetricType::Counter));
        let labels: &[(&str, &str)] = &[("code", "200"), ("path", "a\"b\\c\nd")];
        let p = Point::Counter {
            value: 1e6,
            created: Some(1.0),
            exemplar: None,
        };
        e.metric(&labels, &p, Some(1234));
        e.family(&FamilyHeader {
            help: "",
            ..header("temp", MetricType::Gauge)
        });
        let none: &[(&str, &str)] = &[];
        e.metric(&none, &Point::Gauge(-0.5), None);
        e.finish();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP requests_total Help \\\\ with\\nnewline \"q\".\n\
             # TYPE requests_total counter\n\
             requests_total{code=\"200\",path=\"a\\\"b\\\\c\\nd\"} 1e+06 1234\n\
             # TYPE temp gauge\n\
             temp -0.5\n"
        );
    }

    #[test]
    fn histogram_and_summary() {
        let mut out = Vec::new();
        let mut e = TextEncoder::new(&mut out);
        e.family(&header("lat", MetricType::Histogram));
        let labels: &[(&str, &str)] = &[("a", "b")];
        let buckets = [
            Bucket {
                upper_bound: 0.005,
                cumulative_count: 1.0,
                exemplar: None,
            },
            Bucket {
                upper_bound: 1.0,
                cumulative_count: 2.0,
                exemplar: None,
            },
        ];
        let h = HistogramPoint {
            count: 3.0,
            sum: 4.5,
            buckets: &buckets,
            created: None,
            native: None,
            native_exemplars: &[],
        };
        e.metric(&labels, &Point::Histogram(h), None);
        e.family(&header("s", MetricType::Summary));
        let s = SummaryPoint {
            count: 2.0,
            sum: 1.0,
            quantiles: &[(0.5, 0.25)],
            created: None,
        };
        let none: &[(&str, &str)] = &[];
        e.metric(&none, &Point::Summary(s), None);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(
            "lat_bucket{a=\"b\",le=\"0.005\"} 1\nlat_bucket{a=\"b\",le=\"1\"} 2\n\
             lat_bucket{a=\"b\",le=\"+Inf\"} 3\nlat_sum{a=\"b\"} 4.5\nlat_count{a=\"b\"} 3\n"
        ));
        assert!(text.contains("s{quantile=\"0.5\"} 0.25\ns_sum 1\ns_count 2\n"));
    }

    #[test]
    fn counter_names_with_or_without_total() {
        let encode = |name: &'static str| {
            let mut out = Vec::new();
            let mut e = TextEncoder::new(&mut out);
            e.family(&FamilyHeader {
                help: "",
                ..header(name, MetricType::Counter)
            });
            let p = Point::Counter {
                value: 1.0,
                created: None,
                exemplar: None,
            };
            e.metric(&(), &p, None);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(encode("x"), "# TYPE x_total counter\nx_total 1\n");
        assert_eq!(encode("x_total"), encode("x"));
    }

    #[test]
    fn utf8_names_are_quoted() {
        let mut out = Vec::new();
        let mut e = TextEncoder::new(&mut out);
        e.family(&FamilyHeader {
            help: "h",
            ..header("my.metric", MetricType::Gauge)
        });
        let labels: &[(&str, &str)] = &[("la.bel", "v")];
        e.metric(&labels, &Point::Gauge(1.0), None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP \"my.metric\" h\n# TYPE \"my.metric\" gauge\n{\"my.metric\",\"la.bel\"=\"v\"} 1\n"
        );
    }
}
