//! Protobuf bodies as Prometheus's protobuf parser presents them: per family HELP, UNIT and
//! TYPE, then per metric its series: counters, gauges and untyped values as they are,
//! summaries as `_count`, `_sum` and one series per quantile, histograms as a native
//! histogram (when native histograms are scraped and the message carries one) followed by
//! its classic series only with `always_scrape_classic_histograms`, otherwise as `_count`,
//! `_sum` and `_bucket` series up to `le="+Inf"`. `le` and `quantile` values are written as
//! OpenMetrics floats (`1.0`), a zero timestamp means none.

use flint_expfmt::proto;
use flint_expfmt::protobuf::ProtobufParser;
use flint_model::{CounterResetHint, Exemplar, FloatHistogram, Histogram, MetricType, Span};

use super::spans::{compact_float_histogram, compact_histogram};
use super::{Item, ItemLabels, MetaLine, ParseOptions, Sink, Value};
use crate::error::{Error, Result};

/// Feeds every family of a delimited protobuf body to `sink`.
pub fn feed<S: Sink>(body: &[u8], opts: ParseOptions, sink: &mut S) -> Result<()> {
    for mf in ProtobufParser::new(body) {
        let mf = mf.map_err(|e| Error::Parse(e.to_string()))?;
        family(&mf, opts, sink)?;
    }
    Ok(())
}

fn metric_type(mf: &proto::MetricFamily, name: &str) -> Result<MetricType> {
    // proto3 readers (Prometheus) take a missing type as the first value, COUNTER.
    let raw = mf.r#type.unwrap_or(0);
    Ok(match proto::MetricType::try_from(raw) {
        Ok(proto::MetricType::Counter) => MetricType::Counter,
        Ok(proto::MetricType::Gauge) => MetricType::Gauge,
        Ok(proto::MetricType::Summary) => MetricType::Summary,
        Ok(proto::MetricType::Untyped) => MetricType::Unknown,
        Ok(proto::MetricType::Histogram) => MetricType::Histogram,
        Ok(proto::MetricType::GaugeHistogram) => MetricType::GaugeHistogram,
        Err(_) => {
            return Err(Error::Parse(format!(
                "unknown metric type for metric {name:?}: {raw}"
            )));
        }
    })
}

fn check_unit(name: &str, unit: &str, t: MetricType) -> Result<()> {
    if unit.is_empty() {
        return Ok(());
    }
    let stem = match name.strip_suffix("_total") {
        Some(s) if t == MetricType::Counter => s,
        _ => name,
    };
    let ok = stem
        .strip_suffix(unit)
        .is_some_and(|rest| rest.ends_with('_'));
    if ok {
        Ok(())
    } else {
        let what = if stem.len() < name.len() {
            "counter"
        } else {
            "metric"
        };
        Err(Error::Parse(format!(
            "unit {unit:?} not a suffix of {what} {name:?}"
        )))
    }
}

fn family<S: Sink>(mf: &proto::MetricFamily, opts: ParseOptions, sink: &mut S) -> Result<()> {
    if mf.metric.is_empty() {
        return Ok(());
    }
    let name = mf.name.as_deref().unwrap_or("");
    if name.is_empty() {
        return Err(Error::Parse("invalid metric name: ".into()));
    }
    let t = metric_type(mf, name)?;
    let unit = mf.unit.as_deref().unwrap_or("");
    check_unit(name, unit, t)?;
    sink.meta(name, MetaLine::Help(mf.help.as_deref().unwrap_or("")))?;
    if !unit.is_empty() {
        sink.meta(name, MetaLine::Unit(unit))?;
    }
    sink.meta(name, MetaLine::Type(t))?;
    let names = Names::new(name);
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for m in &mf.metric {
        pairs.clear();
        pairs.extend(m.label.iter().map(|l| {
            (
                l.name.as_deref().unwrap_or(""),
                l.value.as_deref().unwrap_or(""),
            )
        }));
        let ts = m.timestamp_ms.filter(|t| *t != 0);
        let out = Out {
            sink: &mut *sink,
            pairs: &pairs,
            ts,
        };
        metric(m, t, &names, opts, out)?;
    }
    Ok(())
}

/// Series names of one family.
struct Names {
    base: String,
    count: String,
    sum: String,
    bucket: String,
}

impl Names {
    fn new(base: &str) -> Self {
        Names {
            base: base.to_string(),
            count: format!("{base}_count"),
            sum: format!("{base}_sum"),
            bucket: format!("{base}_bucket"),
        }
    }
}

/// Where the series of one metric go.
struct Out<'a, S: Sink> {
    sink: &'a mut S,
    pairs: &'a [(&'a str, &'a str)],
    ts: Option<i64>,
}

impl<S: Sink> Out<'_, S> {
    fn float(&mut self, name: &str, v: f64, exemplars: &[Exemplar]) -> Result<()> {
        self.sink.item(&Item {
            name,
            labels: ItemLabels::Pairs(self.pairs),
            timestamp: self.ts,
            value: Value::Float(v),
            exemplars,
        })
    }

    /// A series with one more label (`le`, `quantile`).
    fn with_label(
        &mut self,
        name: &str,
        label: (&str, &str),
        v: f64,
        exemplars: &[Exemplar],
    ) -> Result<()> {
        let mut pairs = self.pairs.to_vec();
        pairs.push(label);
        self.sink.item(&Item {
            name,
            labels: ItemLabels::Pairs(&pairs),
            timestamp: self.ts,
            value: Value::Float(v),
            exemplars,
        })
    }
}

fn om_float(v: f64) -> String {
    let mut out = Vec::new();
    flint_expfmt::float::write_om_float(&mut out, v);
    String::from_utf8_lossy(&out).into_owned()
}

fn metric<S: Sink>(
    m: &proto::Metric,
    t: MetricType,
    names: &Names,
    opts: ParseOptions,
    mut out: Out<'_, S>,
) -> Result<()> {
    match t {
        MetricType::Counter => {
            let c = m.counter.as_ref();
            let ex: Vec<Exemplar> = c
                .and_then(|c| c.exemplar.as_ref())
                .map(exemplar)
                .into_iter()
                .collect();
            out.float(&names.base, c.and_then(|c| c.value).unwrap_or(0.0), &ex)
        }
        MetricType::Gauge => out.float(
            &names.base,
            m.gauge.and_then(|g| g.value).unwrap_or(0.0),
            &[],
        ),
        MetricType::Summary => {
            let s = m.summary.clone().unwrap_or_default();
            out.float(&names.count, s.sample_count.unwrap_or(0) as f64, &[])?;
            out.float(&names.sum, s.sample_sum.unwrap_or(0.0), &[])?;
            for q in &s.quantile {
                let qs = om_float(q.quantile.unwrap_or(0.0));
                out.with_label(&names.base, ("quantile", &qs), q.value.unwrap_or(0.0), &[])?;
            }
            Ok(())
        }
        MetricType::Histogram | MetricType::GaugeHistogram => {
            let empty = proto::Histogram::default();
            let h = m.histogram.as_ref().unwrap_or(&empty);
            let gauge = t == MetricType::GaugeHistogram;
            if opts.native_histograms && is_native(h) {
                native(h, gauge, names, &mut out)?;
                if !opts.keep_classic || h.bucket.is_empty() {
                    return Ok(());
                }
            }
            classic(h, names, &mut out)
        }
        _ => out.float(
            &names.base,
            m.untyped.and_then(|u| u.value).unwrap_or(0.0),
            &[],
        ),
    }
}

/// Prometheus's test: spans, a zero threshold or zero observations make a histogram native
/// (an empty one signals itself with a no-op span).
fn is_native(h: &proto::Histogram) -> bool {
    !h.positive_span.is_empty()
        || !h.negative_span.is_empty()
        || h.zero_threshold.is_some_and(|z| z > 0.0)
        || h.zero_count.is_some_and(|z| z > 0)
}

fn count_of(int: Option<u64>, float: Option<f64>) -> f64 {
    match float {
        Some(f) if f != 0.0 => f,
        _ => int.unwrap_or(0) as f64,
    }
}

fn classic<S: Sink>(h: &proto::Histogram, names: &Names, out: &mut Out<'_, S>) -> Result<()> {
    let count = count_of(h.sample_count, h.sample_count_float);
    out.float(&names.count, count, &[])?;
    out.float(&names.sum, h.sample_sum.unwrap_or(0.0), &[])?;
    let mut inf_seen = false;
    for b in &h.bucket {
        let le = b.upper_bound.unwrap_or(0.0);
        let ex: Vec<Exemplar> = b.exemplar.as_ref().map(exemplar).into_iter().collect();
        let les = om_float(le);
        out.with_label(
            &names.bucket,
            ("le", &les),
            count_of(b.cumulative_count, b.cumulative_count_float),
            &ex,
        )?;
        if le == f64::INFINITY {
            inf_seen = true;
            break;
        }
    }
    if !inf_seen {
        out.with_label(&names.bucket, ("le", "+Inf"), count, &[])?;
    }
    Ok(())
}

fn spans(s: &[proto::BucketSpan]) -> Vec<Span> {
    s.iter()
        .map(|s| Span {
            offset: s.offset.unwrap_or(0),
            length: s.length.unwrap_or(0),
        })
        .collect()
}

fn native<S: Sink>(
    h: &proto::Histogram,
    gauge: bool,
    names: &Names,
    out: &mut Out<'_, S>,
) -> Result<()> {
    let hint = if gauge {
        CounterResetHint::Gauge
    } else {
        CounterResetHint::Unknown
    };
    // Exemplars of native histograms need a timestamp; those of the histogram itself come
    // first, the classic buckets' are the fallback.
    let mut ex: Vec<Exemplar> = h
        .exemplars
        .iter()
        .filter(|e| e.timestamp.is_some())
        .map(exemplar)
        .collect();
    if h.exemplars.is_empty() {
        ex.extend(
            h.bucket
                .iter()
                .filter_map(|b| b.exemplar.as_ref())
                .filter(|e| e.timestamp.is_some())
                .map(exemplar),
        );
    }
    let float = h.sample_count_float.is_some_and(|c| c > 0.0)
        || h.zero_count_float.is_some_and(|c| c > 0.0);
    if float {
        let mut fh = FloatHistogram {
            counter_reset_hint: hint,
            schema: h.schema.unwrap_or(0),
            zero_threshold: h.zero_threshold.unwrap_or(0.0),
            zero_count: h.zero_count_float.unwrap_or(0.0),
            count: h.sample_count_float.unwrap_or(0.0),
            sum: h.sample_sum.unwrap_or(0.0),
            positive_spans: spans(&h.positive_span),
            positive_buckets: h.positive_count.clone(),
            negative_spans: spans(&h.negative_span),
            negative_buckets: h.negative_count.clone(),
            custom_values: Vec::new(),
        };
        compact_float_histogram(&mut fh, 0);
        return out.sink.item(&Item {
            name: &names.base,
            labels: ItemLabels::Pairs(out.pairs),
            timestamp: out.ts,
            value: Value::FloatHistogram(&fh),
            exemplars: &ex,
        });
    }
    let mut ih = Histogram {
        counter_reset_hint: hint,
        schema: h.schema.unwrap_or(0),
        zero_threshold: h.zero_threshold.unwrap_or(0.0),
        zero_count: h.zero_count.unwrap_or(0),
        count: h.sample_count.unwrap_or(0),
        sum: h.sample_sum.unwrap_or(0.0),
        positive_spans: spans(&h.positive_span),
        positive_deltas: h.positive_delta.clone(),
        negative_spans: spans(&h.negative_span),
        negative_deltas: h.negative_delta.clone(),
        custom_values: Vec::new(),
    };
    compact_histogram(&mut ih, 0);
    out.sink.item(&Item {
        name: &names.base,
        labels: ItemLabels::Pairs(out.pairs),
        timestamp: out.ts,
        value: Value::Histogram(&ih),
        exemplars: &ex,
    })
}

fn exemplar(e: &proto::Exemplar) -> Exemplar {
    Exemplar {
        labels: e
            .label
            .iter()
            .map(|l| {
                (
                    l.name.clone().unwrap_or_default(),
                    l.value.clone().unwrap_or_default(),
                )
            })
            .collect(),
        value: e.value.unwrap_or(0.0),
        timestamp: e.timestamp.as_ref().map(|t| {
            t.seconds
                .saturating_mul(1000)
                .saturating_add(i64::from(t.nanos) / 1_000_000)
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::body::feed;
    use crate::body::tests::Seen;
    use flint_expfmt::Format;

    fn label(n: &str, v: &str) -> proto::LabelPair {
        proto::LabelPair {
            name: Some(n.into()),
            value: Some(v.into()),
        }
    }

    /// A body with a counter (with exemplar), a summary and a histogram that is both
    /// native and classic.
    pub(crate) fn sample_body() -> Vec<u8> {
        let ts = Some(proto::Timestamp {
            seconds: 10,
            nanos: 0,
        });
        let fams = vec![
            proto::MetricFamily {
                name: Some("c_total".into()),
                help: Some("A counter.".into()),
                r#type: Some(proto::MetricType::Counter as i32),
                metric: vec![proto::Metric {
                    label: vec![label("a", "1")],
                    counter: Some(proto::Counter {
                        value: Some(5.0),
                        exemplar: Some(proto::Exemplar {
                            label: vec![label("trace_id", "t1")],
                            value: Some(1.0),
                            timestamp: None,
                        }),
                        created_timestamp: None,
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            },
            proto::MetricFamily {
                name: Some("s".into()),
                r#type: Some(proto::MetricType::Summary as i32),
                metric: vec![proto::Metric {
                    summary: Some(proto::Summary {
                        sample_count: Some(2),
                        sample_sum: Some(3.0),
                        quantile: vec![proto::Quantile {
                            quantile: Some(0.5),
                            value: Some(1.0),
                        }],
                        created_timestamp: None,
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            },
            proto::MetricFamily {
                name: Some("h".into()),
                r#type: Some(proto::MetricType::Histogram as i32),
                metric: vec![proto::Metric {
                    histogram: Some(proto::Histogram {
                        sample_count: Some(3),
                        sample_sum: Some(4.5),
                        schema: Some(0),
                        zero_threshold: Some(0.001),
                        zero_count: Some(1),
                        positive_span: vec![proto::BucketSpan {
                            offset: Some(0),
                            length: Some(3),
                        }],
                        positive_delta: vec![1, -1, 1],
                        bucket: vec![proto::Bucket {
                            cumulative_count: Some(2),
                            upper_bound: Some(1.0),
                            exemplar: Some(proto::Exemplar {
                                label: vec![label("trace_id", "t2")],
                                value: Some(0.7),
                                timestamp: ts,
                            }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            },
        ];
        let mut body = Vec::new();
        for f in fams {
            prost_encode(&f, &mut body);
        }
        body
    }

    fn prost_encode(f: &proto::MetricFamily, out: &mut Vec<u8>) {
        use prost::Message;
        f.encode_length_delimited(out).unwrap();
    }

    fn run(opts: ParseOptions) -> Vec<String> {
        let mut seen = Seen::default();
        feed(Format::Protobuf, &sample_body(), opts, &mut seen).unwrap();
        seen.0
    }

    #[test]
    fn classic_view_without_native_histograms() {
        let seen = run(ParseOptions::default());
        assert_eq!(seen[0], "meta c_total Help(\"A counter.\")");
        assert_eq!(seen[1], "meta c_total Type(Counter)");
        assert_eq!(seen[2], "c_total{a=1} 5 None [\"1.0@None\"]");
        assert_eq!(seen[5], "s_count{} 2 None []");
        assert_eq!(seen[7], "s{quantile=0.5} 1 None []");
        assert_eq!(seen[10], "h_count{} 3 None []");
        assert_eq!(seen[12], "h_bucket{le=1.0} 2 None [\"0.7@Some(10000)\"]");
        assert_eq!(seen[13], "h_bucket{le=+Inf} 3 None []");
        assert_eq!(seen.len(), 14, "{seen:#?}");
    }

    #[test]
    fn native_view() {
        let opts = ParseOptions {
            native_histograms: true,
            ..ParseOptions::default()
        };
        let seen = run(opts);
        assert_eq!(seen.len(), 11, "{seen:#?}");
        assert!(seen[10].starts_with("h{} Histogram"), "{}", seen[10]);
        assert!(seen[10].contains("zero_count: 1"), "{}", seen[10]);
        // Bucket exemplars with a timestamp stand in for the histogram's own.
        assert!(seen[10].ends_with("[\"0.7@Some(10000)\"]"), "{}", seen[10]);
        let keep = run(ParseOptions {
            native_histograms: true,
            keep_classic: true,
            ..ParseOptions::default()
        });
        assert_eq!(keep.len(), 15, "{keep:#?}");
        assert!(keep[11].starts_with("h_count{} 3"));
    }

    #[test]
    fn nhcb_from_protobuf_classic_buckets() {
        let seen = run(ParseOptions {
            convert_nhcb: true,
            ..ParseOptions::default()
        });
        let last = seen.last().unwrap();
        assert!(last.starts_with("h{} Histogram"), "{seen:#?}");
        assert!(last.contains("schema: -53"), "{last}");
        assert!(last.contains("custom_values: [1.0]"), "{last}");
    }

    #[test]
    fn bad_units_and_types_fail() {
        assert!(check_unit("x_seconds", "seconds", MetricType::Gauge).is_ok());
        assert!(check_unit("x_seconds_total", "seconds", MetricType::Counter).is_ok());
        assert!(check_unit("seconds", "seconds", MetricType::Gauge).is_err());
        assert!(check_unit("x_bytes", "seconds", MetricType::Gauge).is_err());
        let mut body = Vec::new();
        prost_encode(
            &proto::MetricFamily {
                name: Some("x".into()),
                r#type: Some(42),
                metric: vec![proto::Metric::default()],
                ..Default::default()
            },
            &mut body,
        );
        let mut seen = Seen::default();
        assert!(feed(Format::Protobuf, &body, ParseOptions::default(), &mut seen).is_err());
    }
}
