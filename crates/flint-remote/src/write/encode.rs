//! `prometheus.WriteRequest` encoded by hand. A series' labels are encoded once, when the
//! watcher reads its WAL series record ([`encode_labels`]), and copied into every request
//! that carries one of its samples, so building a request is a sequence of memcpys.

use std::sync::Arc;

use flint_model::Labels;

/// A sample waiting to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The series' labels as repeated `TimeSeries.labels` fields.
    pub labels: Arc<[u8]>,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The value (stale markers included).
    pub v: f64,
    /// The WAL record it came from ([`Progress`](super::progress::Progress)).
    pub seq: u64,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Length-delimited field header (`tag` already holds the wire type 2).
fn put_len(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    put_varint(out, len as u64);
}

fn put_str(out: &mut Vec<u8>, tag: u8, s: &str) {
    put_len(out, tag, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// `labels` as `TimeSeries` field 1 entries (one `Label` message each).
pub(crate) fn encode_labels(labels: &Labels) -> Arc<[u8]> {
    let mut out = Vec::new();
    for l in labels.iter() {
        let inner = 2
            + varint_len(l.name.len() as u64)
            + l.name.len()
            + varint_len(l.value.len() as u64)
            + l.value.len();
        put_len(&mut out, 0x0a, inner);
        put_str(&mut out, 0x0a, &l.name);
        put_str(&mut out, 0x12, &l.value);
    }
    out.into()
}

/// Bytes of a `Sample` message with timestamp `t`.
fn sample_len(t: i64) -> usize {
    9 + 1 + varint_len(t as u64)
}

/// Appends a `WriteRequest` holding one `TimeSeries` per sample (as upstream sends them) to
/// `out`.
pub(crate) fn encode_request(samples: &[Pending], out: &mut Vec<u8>) {
    for s in samples {
        let sl = sample_len(s.t);
        let ts_len = s.labels.len() + 1 + varint_len(sl as u64) + sl;
        put_len(out, 0x0a, ts_len);
        out.extend_from_slice(&s.labels);
        put_len(out, 0x12, sl);
        out.push(0x09);
        out.extend_from_slice(&s.v.to_le_bytes());
        out.push(0x10);
        put_varint(out, s.t as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompb::WriteRequest;
    use prost::Message;

    #[test]
    fn decodes_as_a_write_request() {
        let a = encode_labels(&Labels::from_pairs([
            ("__name__", "up"),
            ("instance", &"x".repeat(200)),
            ("job", "ü"),
        ]));
        let b = encode_labels(&Labels::empty());
        let samples = [
            Pending {
                labels: a,
                t: 1_700_000_000_123,
                v: 1.5,
                seq: 0,
            },
            Pending {
                labels: b,
                t: -5,
                v: f64::from_bits(0x7ff0_0000_0000_0002),
                seq: 1,
            },
        ];
        let mut buf = Vec::new();
        encode_request(&samples, &mut buf);
        let req = WriteRequest::decode(buf.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.timeseries.len(), 2);
        let ts = &req.timeseries[0];
        let names: Vec<_> = ts.labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["__name__", "instance", "job"]);
        assert_eq!(ts.labels[1].value.len(), 200);
        assert_eq!(ts.labels[2].value, "ü");
        assert_eq!(ts.samples[0].timestamp, 1_700_000_000_123);
        assert_eq!(ts.samples[0].value, 1.5);
        let stale = &req.timeseries[1].samples[0];
        assert_eq!(stale.timestamp, -5);
        assert_eq!(stale.value.to_bits(), 0x7ff0_0000_0000_0002);
    }

    #[test]
    fn varint_lengths() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
        }
    }
}
