//! `prometheus.WriteRequest` (1.0) and `io.prometheus.write.v2.Request` (2.0) encoded by
//! hand. A series' labels are encoded once, when the watcher reads its WAL series record
//! ([`encode_labels`]), and copied into every 1.0 request that carries one of its samples,
//! so building a request is a sequence of memcpys. A 2.0 request reads the label strings
//! back out of those bytes into its symbol table.

use std::collections::HashMap;
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

/// Reads one varint at `*i`, moving past it.
fn get_varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Reads a length-delimited field with `tag` at `*i`.
fn get_len<'a>(b: &'a [u8], i: &mut usize, tag: u8) -> Option<&'a [u8]> {
    if *b.get(*i)? != tag {
        return None;
    }
    *i += 1;
    let n = usize::try_from(get_varint(b, i)?).ok()?;
    let v = b.get(*i..i.checked_add(n)?)?;
    *i += n;
    Some(v)
}

/// The `(name, value)` pairs of labels encoded by [`encode_labels`].
fn label_pairs(b: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(label) = get_len(b, &mut i, 0x0a) {
        let mut j = 0;
        match (get_len(label, &mut j, 0x0a), get_len(label, &mut j, 0x12)) {
            (Some(n), Some(v)) => out.push((n, v)),
            _ => break,
        }
    }
    out
}

/// One series of a 2.0 request: its label references and its points.
type SeriesV2 = (Vec<u32>, Vec<(i64, f64)>);

/// Appends an `io.prometheus.write.v2.Request` for `samples` to `out`: every label string
/// once in the symbol table (`symbols[0]` is the empty string, as the protocol requires),
/// and one `TimeSeries` per series holding its samples in order.
pub(crate) fn encode_request_v2(samples: &[Pending], out: &mut Vec<u8>) {
    let mut symbols: Vec<&[u8]> = vec![b""];
    let mut index: HashMap<&[u8], u32> = HashMap::from([(&b""[..], 0)]);
    // Series in order of first appearance, keyed by their shared label bytes.
    let mut series: Vec<SeriesV2> = Vec::new();
    let mut by_labels: HashMap<*const u8, usize> = HashMap::new();
    for s in samples {
        let at = *by_labels.entry(s.labels.as_ptr()).or_insert_with(|| {
            let mut refs = Vec::new();
            for (n, v) in label_pairs(&s.labels) {
                for sym in [n, v] {
                    let next = symbols.len() as u32;
                    let r = *index.entry(sym).or_insert_with(|| {
                        symbols.push(sym);
                        next
                    });
                    refs.push(r);
                }
            }
            series.push((refs, Vec::new()));
            series.len() - 1
        });
        series[at].1.push((s.t, s.v));
    }
    for sym in &symbols {
        put_len(out, 0x22, sym.len());
        out.extend_from_slice(sym);
    }
    for (refs, points) in &series {
        let refs_len: usize = refs.iter().map(|r| varint_len(u64::from(*r))).sum();
        let mut ts_len = 1 + varint_len(refs_len as u64) + refs_len;
        for (t, _) in points {
            let sl = sample_len(*t);
            ts_len += 1 + varint_len(sl as u64) + sl;
        }
        put_len(out, 0x2a, ts_len);
        put_len(out, 0x0a, refs_len);
        for r in refs {
            put_varint(out, u64::from(*r));
        }
        for (t, v) in points {
            put_len(out, 0x12, sample_len(*t));
            out.push(0x09);
            out.extend_from_slice(&v.to_le_bytes());
            out.push(0x10);
            put_varint(out, *t as u64);
        }
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
    fn decodes_as_a_v2_request_with_shared_symbols() {
        let a = encode_labels(&Labels::from_pairs([("__name__", "up"), ("job", "x")]));
        let b = encode_labels(&Labels::from_pairs([("__name__", "up"), ("job", "yü")]));
        let p = |labels: &Arc<[u8]>, t, v| Pending {
            labels: Arc::clone(labels),
            t,
            v,
            seq: 0,
        };
        let samples = [p(&a, 1, 1.0), p(&b, 1, 2.0), p(&a, 2, 3.0)];
        let mut buf = Vec::new();
        encode_request_v2(&samples, &mut buf);
        let req =
            crate::prompb_v2::Request::decode(buf.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.symbols, ["", "__name__", "up", "job", "x", "yü"]);
        assert_eq!(req.timeseries.len(), 2);
        assert_eq!(req.timeseries[0].labels_refs, [1, 2, 3, 4]);
        assert_eq!(req.timeseries[1].labels_refs, [1, 2, 3, 5]);
        let pts: Vec<(i64, f64)> = req.timeseries[0]
            .samples
            .iter()
            .map(|s| (s.timestamp, s.value))
            .collect();
        assert_eq!(pts, [(1, 1.0), (2, 3.0)]);
        assert_eq!(
            label_pairs(&encode_labels(&Labels::empty())),
            Vec::<(&[u8], &[u8])>::new()
        );
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
