//! Delimited protobuf format parsing: varint-length-prefixed `MetricFamily` messages.

use flint_model::{CounterResetHint, Exemplar, Histogram, MetricType, Span};
use prost::Message;

use crate::error::{ParseError, Result};
use crate::family::{BucketValue, HistogramValue, Metric, MetricFamily, MetricValue, SummaryValue};
use crate::proto;

/// Iterates over the messages of a delimited protobuf body, decoding each.
///
/// Errors carry the 1-based message index as `line` and the byte offset of the message
/// (+1) as `column`.
pub struct ProtobufParser<'a> {
    input: &'a [u8],
    pos: usize,
    index: usize,
    done: bool,
}

impl<'a> ProtobufParser<'a> {
    /// A parser over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        ProtobufParser {
            input,
            pos: 0,
            index: 0,
            done: false,
        }
    }

    fn error(&self, message: String) -> ParseError {
        ParseError {
            line: self.index,
            column: self.pos + 1,
            message,
        }
    }

    fn step(&mut self) -> Result<proto::MetricFamily> {
        let mut rest = &self.input[self.pos..];
        let before = rest.len();
        let len = prost::encoding::decode_varint(&mut rest)
            .map_err(|e| self.error(format!("invalid length prefix: {e}")))?;
        let header = before - rest.len();
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= rest.len())
            .ok_or_else(|| self.error("message length exceeds input".into()))?;
        let msg = proto::MetricFamily::decode(&rest[..len])
            .map_err(|e| self.error(format!("invalid MetricFamily: {e}")))?;
        self.pos += header + len;
        Ok(msg)
    }
}

impl Iterator for ProtobufParser<'_> {
    type Item = Result<proto::MetricFamily>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.input.len() {
            return None;
        }
        self.index += 1;
        let r = self.step();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// Parses a delimited protobuf body into families (names as written: counters keep
/// `_total`); native histograms become [`flint_model::Histogram`]
/// (integer-count ones; float-count native buckets are not mapped).
pub fn parse_families(input: &[u8]) -> Result<Vec<MetricFamily>> {
    let mut out = Vec::new();
    for mf in ProtobufParser::new(input) {
        out.push(convert_family(mf?));
    }
    Ok(out)
}

fn ts_to_ms(t: &proto::Timestamp) -> i64 {
    t.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(t.nanos) / 1_000_000)
}

fn ts_to_secs(t: &proto::Timestamp) -> f64 {
    t.seconds as f64 + f64::from(t.nanos) / 1e9
}

fn convert_exemplar(e: &proto::Exemplar) -> Exemplar {
    Exemplar {
        labels: e.label.iter().map(convert_label).collect(),
        value: e.value.unwrap_or(0.0),
        timestamp: e.timestamp.as_ref().map(ts_to_ms),
    }
}

fn convert_label(l: &proto::LabelPair) -> (String, String) {
    (
        l.name.clone().unwrap_or_default(),
        l.value.clone().unwrap_or_default(),
    )
}

fn convert_family(mf: proto::MetricFamily) -> MetricFamily {
    let metric_type = match proto::MetricType::try_from(mf.r#type.unwrap_or(3)) {
        Ok(proto::MetricType::Counter) => MetricType::Counter,
        Ok(proto::MetricType::Gauge) => MetricType::Gauge,
        Ok(proto::MetricType::Summary) => MetricType::Summary,
        Ok(proto::MetricType::Histogram) => MetricType::Histogram,
        Ok(proto::MetricType::GaugeHistogram) => MetricType::GaugeHistogram,
        _ => MetricType::Unknown,
    };
    let name = mf.name.unwrap_or_default();
    let metrics = mf
        .metric
        .iter()
        .map(|m| Metric {
            labels: m.label.iter().map(convert_label).collect(),
            timestamp_ms: m.timestamp_ms,
            value: convert_value(metric_type, m),
        })
        .collect();
    MetricFamily {
        name,
        help: mf.help.unwrap_or_default(),
        metric_type,
        unit: mf.unit.unwrap_or_default(),
        metrics,
    }
}

fn convert_value(t: MetricType, m: &proto::Metric) -> MetricValue {
    match t {
        MetricType::Counter => {
            let c = m.counter.clone().unwrap_or_default();
            MetricValue::Counter {
                value: c.value.unwrap_or(0.0),
                created: c.created_timestamp.as_ref().map(ts_to_secs),
                exemplar: c.exemplar.as_ref().map(convert_exemplar),
            }
        }
        MetricType::Gauge => MetricValue::Gauge(m.gauge.and_then(|g| g.value).unwrap_or(0.0)),
        MetricType::Summary => {
            let s = m.summary.clone().unwrap_or_default();
            MetricValue::Summary(SummaryValue {
                count: s.sample_count.unwrap_or(0) as f64,
                sum: s.sample_sum.unwrap_or(0.0),
                quantiles: s
                    .quantile
                    .iter()
                    .map(|q| (q.quantile.unwrap_or(0.0), q.value.unwrap_or(0.0)))
                    .collect(),
                created: s.created_timestamp.as_ref().map(ts_to_secs),
            })
        }
        MetricType::Histogram | MetricType::GaugeHistogram => {
            let h = convert_histogram(m.histogram.as_ref(), t == MetricType::GaugeHistogram);
            if t == MetricType::Histogram {
                MetricValue::Histogram(h)
            } else {
                MetricValue::GaugeHistogram(h)
            }
        }
        _ => MetricValue::Unknown(m.untyped.and_then(|u| u.value).unwrap_or(0.0)),
    }
}

fn count_of(int: Option<u64>, float: Option<f64>) -> f64 {
    match float {
        Some(f) if f > 0.0 => f,
        _ => int.unwrap_or(0) as f64,
    }
}

fn convert_spans(spans: &[proto::BucketSpan]) -> Vec<Span> {
    spans
        .iter()
        .map(|s| Span {
            offset: s.offset.unwrap_or(0),
            length: s.length.unwrap_or(0),
        })
        .collect()
}

fn convert_histogram(h: Option<&proto::Histogram>, gauge: bool) -> HistogramValue {
    let Some(h) = h else {
        return HistogramValue::default();
    };
    let is_native = h.schema.is_some()
        || h.zero_threshold.is_some_and(|z| z > 0.0)
        || !h.positive_span.is_empty()
        || !h.negative_span.is_empty();
    let native = is_native.then(|| {
        let noop = |s: &[proto::BucketSpan]| {
            s.iter()
                .all(|x| x.offset.unwrap_or(0) == 0 && x.length.unwrap_or(0) == 0)
        };
        let pos = if noop(&h.positive_span) {
            &[][..]
        } else {
            &h.positive_span[..]
        };
        Histogram {
            counter_reset_hint: if gauge {
                CounterResetHint::Gauge
            } else {
                CounterResetHint::Unknown
            },
            schema: h.schema.unwrap_or(0),
            zero_threshold: h.zero_threshold.unwrap_or(0.0),
            zero_count: h.zero_count.unwrap_or(0),
            count: h.sample_count.unwrap_or(0),
            sum: h.sample_sum.unwrap_or(0.0),
            positive_spans: convert_spans(pos),
            positive_deltas: h.positive_delta.clone(),
            negative_spans: convert_spans(&h.negative_span),
            negative_deltas: h.negative_delta.clone(),
            custom_values: Vec::new(),
        }
    });
    HistogramValue {
        count: count_of(h.sample_count, h.sample_count_float),
        sum: h.sample_sum.unwrap_or(0.0),
        buckets: h
            .bucket
            .iter()
            .map(|b| BucketValue {
                upper_bound: b.upper_bound.unwrap_or(0.0),
                cumulative_count: count_of(b.cumulative_count, b.cumulative_count_float),
                exemplar: b.exemplar.as_ref().map(convert_exemplar),
            })
            .collect(),
        created: h.created_timestamp.as_ref().map(ts_to_secs),
        native,
        native_exemplars: h.exemplars.iter().map(convert_exemplar).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_message() {
        let mut body = Vec::new();
        let mf = proto::MetricFamily {
            name: Some("a".into()),
            r#type: Some(1),
            metric: vec![proto::Metric {
                gauge: Some(proto::Gauge { value: Some(1.0) }),
                ..Default::default()
            }],
            ..Default::default()
        };
        mf.encode_length_delimited(&mut body).unwrap();
        let good = parse_families(&body).unwrap();
        assert_eq!(good[0].metrics[0].value, MetricValue::Gauge(1.0));
        let first_len = body.len();
        mf.encode_length_delimited(&mut body).unwrap();
        body.truncate(body.len() - 2);
        let err = parse_families(&body).unwrap_err();
        assert_eq!((err.line, err.column), (2, first_len + 1));
        assert!(parse_families(&[0xff; 11]).is_err());
        assert!(parse_families(&[3, 0xff, 0xff, 0xff]).is_err());
    }
}
