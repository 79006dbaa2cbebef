//! Delimited protobuf encoder (`io.prometheus.client.MetricFamily`), written field by field
//! into reused scratch buffers rather than through owned prost structs.

use flint_model::{Exemplar, Histogram, MetricType, Span};
use prost::encoding::{WireType, encode_key, encode_varint};

use super::text::{family_suffix, text_type};
use crate::point::{EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point, SummaryPoint};

/// Nesting depth of scratch buffers: Metric → Histogram → Bucket → Exemplar → LabelPair.
const DEPTH: usize = 6;

/// Writes the delimited protobuf format: each family as a varint length followed by an
/// `io.prometheus.client.MetricFamily` message, fields in field-number order as Go writes
/// them. Counters get `_total` appended, info and state sets become gauges (the protobuf
/// format has no such types); gauge histograms use `GAUGE_HISTOGRAM`.
pub struct ProtobufEncoder<'a> {
    out: &'a mut Vec<u8>,
    family: Vec<u8>,
    open: bool,
    name: String,
    unit: String,
    scratch: Vec<Vec<u8>>,
}

impl<'a> ProtobufEncoder<'a> {
    /// An encoder appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        ProtobufEncoder {
            out,
            family: Vec::new(),
            open: false,
            name: String::new(),
            unit: String::new(),
            scratch: vec![Vec::new(); DEPTH],
        }
    }

    fn flush(&mut self) {
        if self.open {
            if !self.unit.is_empty() {
                put_str(&mut self.family, 5, &self.unit);
            }
            encode_varint(self.family.len() as u64, self.out);
            self.out.extend_from_slice(&self.family);
            self.family.clear();
            self.open = false;
        }
    }
}

/// Writes a length-delimited sub-message `field` built by `f` into `out`, using the first
/// scratch buffer for the body and passing the rest on for deeper nesting.
fn nested(
    out: &mut Vec<u8>,
    scratch: &mut [Vec<u8>],
    field: u32,
    f: impl FnOnce(&mut Vec<u8>, &mut [Vec<u8>]),
) {
    let Some((buf, rest)) = scratch.split_first_mut() else {
        return;
    };
    buf.clear();
    f(buf, rest);
    encode_key(field, WireType::LengthDelimited, out);
    encode_varint(buf.len() as u64, out);
    out.extend_from_slice(buf);
}

fn put_double(out: &mut Vec<u8>, field: u32, v: f64) {
    encode_key(field, WireType::SixtyFourBit, out);
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    encode_key(field, WireType::Varint, out);
    encode_varint(v, out);
}

fn put_sint(out: &mut Vec<u8>, field: u32, v: i64) {
    put_varint(out, field, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, field: u32, s: &str) {
    encode_key(field, WireType::LengthDelimited, out);
    encode_varint(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn put_label(out: &mut Vec<u8>, field: u32, name: &str, value: &str) {
    let len = 2 + varint_len(name.len()) + name.len() + varint_len(value.len()) + value.len();
    encode_key(field, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
    put_str(out, 1, name);
    put_str(out, 2, value);
}

fn varint_len(v: usize) -> usize {
    prost::encoding::encoded_len_varint(v as u64)
}

/// A `google.protobuf.Timestamp` from seconds and nanoseconds (zero fields omitted).
fn put_timestamp(out: &mut Vec<u8>, scratch: &mut [Vec<u8>], field: u32, secs: i64, nanos: i32) {
    nested(out, scratch, field, |b, _| {
        if secs != 0 {
            put_varint(b, 1, secs as u64);
        }
        if nanos != 0 {
            put_varint(b, 2, i64::from(nanos) as u64);
        }
    });
}

fn put_timestamp_ms(out: &mut Vec<u8>, scratch: &mut [Vec<u8>], field: u32, ms: i64) {
    let nanos = (ms.rem_euclid(1000) * 1_000_000) as i32;
    put_timestamp(out, scratch, field, ms.div_euclid(1000), nanos);
}

fn put_timestamp_secs(out: &mut Vec<u8>, scratch: &mut [Vec<u8>], field: u32, secs: f64) {
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().clamp(0.0, 999_999_999.0) as i32;
    put_timestamp(out, scratch, field, whole as i64, nanos);
}

fn put_exemplar(out: &mut Vec<u8>, scratch: &mut [Vec<u8>], field: u32, ex: &Exemplar) {
    nested(out, scratch, field, |b, s| {
        for (n, v) in &ex.labels {
            put_label(b, 1, n, v);
        }
        put_double(b, 2, ex.value);
        if let Some(ts) = ex.timestamp {
            put_timestamp_ms(b, s, 3, ts);
        }
    });
}

/// Whether a count is written as `uint64` (else as the `*_float` field).
fn is_int_count(v: f64) -> bool {
    v >= 0.0 && v.fract() == 0.0 && v < 1.8e19
}

fn put_spans(out: &mut Vec<u8>, scratch: &mut [Vec<u8>], field: u32, spans: &[Span]) {
    for sp in spans {
        nested(out, scratch, field, |b, _| {
            put_sint(b, 1, i64::from(sp.offset));
            put_varint(b, 2, u64::from(sp.length));
        });
    }
}

fn put_native(out: &mut Vec<u8>, s: &mut [Vec<u8>], n: &Histogram) {
    put_sint(out, 5, i64::from(n.schema));
    put_double(out, 6, n.zero_threshold);
    put_varint(out, 7, n.zero_count);
    put_spans(out, s, 9, &n.negative_spans);
    for d in &n.negative_deltas {
        put_sint(out, 10, *d);
    }
    if n.positive_spans.is_empty() && n.negative_spans.is_empty() {
        // The no-op span marks an empty native histogram (not a classic one).
        put_spans(out, s, 12, &[Span::default()]);
    } else {
        put_spans(out, s, 12, &n.positive_spans);
    }
    for d in &n.positive_deltas {
        put_sint(out, 13, *d);
    }
}

fn put_histogram(out: &mut Vec<u8>, s: &mut [Vec<u8>], h: &HistogramPoint<'_>) {
    // Fields in number order, as Go writes them; float counts go to field 4 instead of 1.
    if is_int_count(h.count) {
        put_varint(out, 1, h.count as u64);
    }
    put_double(out, 2, h.sum);
    for b in h.buckets {
        nested(out, s, 3, |buf, s| {
            let int = is_int_count(b.cumulative_count);
            if int {
                put_varint(buf, 1, b.cumulative_count as u64);
            }
            put_double(buf, 2, b.upper_bound);
            if let Some(ex) = b.exemplar {
                put_exemplar(buf, s, 3, ex);
            }
            if !int {
                put_double(buf, 4, b.cumulative_count);
            }
        });
    }
    if !is_int_count(h.count) {
        put_double(out, 4, h.count);
    }
    if let Some(n) = h.native {
        put_native(out, s, n);
    }
    if let Some(c) = h.created {
        put_timestamp_secs(out, s, 15, c);
    }
    for ex in h.native_exemplars {
        put_exemplar(out, s, 16, ex);
    }
}

fn put_summary(out: &mut Vec<u8>, s: &mut [Vec<u8>], p: &SummaryPoint<'_>) {
    // Summaries have no float count field; the cast saturates.
    put_varint(out, 1, p.count as u64);
    put_double(out, 2, p.sum);
    for &(q, v) in p.quantiles {
        nested(out, s, 3, |b, _| {
            put_double(b, 1, q);
            put_double(b, 2, v);
        });
    }
    if let Some(c) = p.created {
        put_timestamp_secs(out, s, 4, c);
    }
}

/// The `io.prometheus.client.MetricType` number of a family type.
pub(crate) fn proto_type(t: MetricType) -> u64 {
    match t {
        MetricType::Counter => 0,
        MetricType::Gauge | MetricType::Info | MetricType::StateSet => 1,
        MetricType::Summary => 2,
        MetricType::Unknown => 3,
        MetricType::Histogram => 4,
        MetricType::GaugeHistogram => 5,
    }
}

/// Writes the body of one `Metric` (without the state-set label, which the caller adds).
fn put_metric_value(out: &mut Vec<u8>, s: &mut [Vec<u8>], point: &Point<'_>, ts: Option<i64>) {
    let value_field = |b: &mut Vec<u8>, v: f64| put_double(b, 1, v);
    match point {
        Point::Counter {
            value,
            created,
            exemplar,
        } => nested(out, s, 3, |b, s| {
            value_field(b, *value);
            if let Some(ex) = exemplar {
                put_exemplar(b, s, 2, ex);
            }
            if let Some(c) = created {
                put_timestamp_secs(b, s, 3, *c);
            }
        }),
        Point::Gauge(v) => nested(out, s, 2, |b, _| value_field(b, *v)),
        Point::Info => nested(out, s, 2, |b, _| value_field(b, 1.0)),
        Point::Summary(p) => nested(out, s, 4, |b, s| put_summary(b, s, p)),
        Point::Unknown(v) => nested(out, s, 5, |b, _| value_field(b, *v)),
        Point::StateSet(_) => {}
        Point::Histogram(_) | Point::GaugeHistogram(_) => {}
    }
    if let Some(ts) = ts {
        put_varint(out, 6, ts as u64);
    }
    if let Point::Histogram(h) | Point::GaugeHistogram(h) = point {
        nested(out, s, 7, |b, s| put_histogram(b, s, h));
    }
}

impl Encoder for ProtobufEncoder<'_> {
    fn family(&mut self, header: &FamilyHeader<'_>) {
        let name = super::base_name(header.name, header.metric_type);
        self.flush();
        self.open = true;
        self.name.clear();
        self.name.push_str(name);
        let suffix = family_suffix(header.metric_type);
        let name_len = name.len() + suffix.len();
        encode_key(1, WireType::LengthDelimited, &mut self.family);
        encode_varint(name_len as u64, &mut self.family);
        self.family.extend_from_slice(name.as_bytes());
        self.family.extend_from_slice(suffix.as_bytes());
        // client_golang always sets the help string, even when empty.
        put_str(&mut self.family, 2, header.help);
        let t = proto_type(text_type(header.metric_type));
        let t = if header.metric_type == MetricType::GaugeHistogram {
            5
        } else {
            t
        };
        put_varint(&mut self.family, 3, t);
        // `unit` (field 5) follows the metrics (field 4); written at flush.
        self.unit.clear();
        self.unit.push_str(header.unit);
    }

    fn metric(&mut self, labels: &dyn EncodeLabels, point: &Point<'_>, ts: Option<i64>) {
        let scratch = &mut self.scratch;
        if let Point::StateSet(states) = point {
            for &(state, set) in *states {
                nested(&mut self.family, scratch, 4, |b, s| {
                    labels.visit(&mut |n, v| put_label(b, 1, n, v));
                    put_label(b, 1, &self.name, state);
                    nested(b, s, 2, |g, _| {
                        put_double(g, 1, if set { 1.0 } else { 0.0 })
                    });
                    if let Some(ts) = ts {
                        put_varint(b, 6, ts as u64);
                    }
                });
            }
            return;
        }
        nested(&mut self.family, scratch, 4, |b, s| {
            labels.visit(&mut |n, v| put_label(b, 1, n, v));
            put_metric_value(b, s, point, ts);
        });
    }

    fn finish(&mut self) {
        self.flush();
    }
}

impl Drop for ProtobufEncoder<'_> {
    /// Flushes a family left open when [`Encoder::finish`] was not called.
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Bucket;
    use crate::proto;
    use prost::Message;

    fn decode_all(mut buf: &[u8]) -> Vec<proto::MetricFamily> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            out.push(proto::MetricFamily::decode_length_delimited(&mut buf).unwrap());
        }
        out
    }

    #[test]
    fn families_decode_with_prost() {
        let mut out = Vec::new();
        let mut e = ProtobufEncoder::new(&mut out);
        e.family(&FamilyHeader {
            name: "req",
            help: "Requests.",
            metric_type: MetricType::Counter,
            unit: "",
        });
        let ex = Exemplar {
            labels: vec![("trace_id".into(), "abc".into())],
            value: 2.0,
            timestamp: Some(1_500),
        };
        let p = Point::Counter {
            value: 7.0,
            created: Some(10.5),
            exemplar: Some(&ex),
        };
        e.metric(&[("code", "200")], &p, Some(42));
        e.family(&FamilyHeader {
            name: "lat_seconds",
            help: "",
            metric_type: MetricType::Histogram,
            unit: "seconds",
        });
        let buckets = [Bucket {
            upper_bound: 1.0,
            cumulative_count: 2.5,
            exemplar: None,
        }];
        let native = Histogram {
            schema: 3,
            zero_threshold: 1e-9,
            zero_count: 1,
            count: 4,
            positive_spans: vec![Span {
                offset: -2,
                length: 2,
            }],
            positive_deltas: vec![2, -1],
            ..Histogram::default()
        };
        let h = HistogramPoint {
            count: 4.0,
            sum: 3.0,
            buckets: &buckets,
            created: None,
            native: Some(&native),
            native_exemplars: &[],
        };
        e.metric(&(), &Point::Histogram(h), None);
        e.finish();
        drop(e);
        let fams = decode_all(&out);
        assert_eq!(fams.len(), 2);
        assert_eq!(fams[0].name.as_deref(), Some("req_total"));
        let c = fams[0].metric[0].counter.clone().unwrap();
        assert_eq!(c.value, Some(7.0));
        assert_eq!(
            c.created_timestamp,
            Some(proto::Timestamp {
                seconds: 10,
                nanos: 500_000_000
            })
        );
        let ex = c.exemplar.unwrap();
        assert_eq!(ex.timestamp.unwrap().nanos, 500_000_000);
        assert_eq!(fams[0].metric[0].timestamp_ms, Some(42));
        assert_eq!(fams[1].unit.as_deref(), Some("seconds"));
        assert_eq!(fams[1].help.as_deref(), Some(""));
        let h = fams[1].metric[0].histogram.clone().unwrap();
        assert_eq!(h.bucket[0].cumulative_count, None);
        assert_eq!(h.bucket[0].cumulative_count_float, Some(2.5));
        assert_eq!(h.schema, Some(3));
        assert_eq!(h.positive_delta, vec![2, -1]);
        assert_eq!(h.positive_span[0].offset, Some(-2));
    }

    #[test]
    fn empty_native_histogram_gets_a_noop_span() {
        let mut out = Vec::new();
        let mut e = ProtobufEncoder::new(&mut out);
        e.family(&FamilyHeader {
            name: "h",
            help: "",
            metric_type: MetricType::Histogram,
            unit: "",
        });
        let native = Histogram::default();
        let h = HistogramPoint {
            count: 0.0,
            sum: 0.0,
            buckets: &[],
            created: None,
            native: Some(&native),
            native_exemplars: &[],
        };
        e.metric(&(), &Point::Histogram(h), None);
        e.finish();
        drop(e);
        let h = decode_all(&out)[0].metric[0].histogram.clone().unwrap();
        assert_eq!(
            h.positive_span,
            vec![proto::BucketSpan {
                offset: Some(0),
                length: Some(0)
            }]
        );
    }
}
