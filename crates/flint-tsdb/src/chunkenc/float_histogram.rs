//! The float native-histogram chunk (encoding 3), bit for bit as Prometheus writes it.
//!
//! Same header and layout as the integer chunk ([`super::histogram`]); per sample the
//! timestamp (raw, then delta-of-delta) and every value (count, zero count, sum, each bucket)
//! XOR-encoded against its predecessor with a leading/trailing-zeros window of its own. The
//! first sample writes the values raw.

use flint_model::{CounterResetHint, FloatHistogram, Span, is_stale_nan};

use super::bstream::{BitReader, BitWriter};
use super::histogram_meta::{
    CounterResetHeader, FLAGS_POS, HEADER_BYTES, Insert, Layout, adjust_for_inserts, count_spans,
    expand_spans_and_buckets, expand_spans_both_ways, insert_buckets, read_layout, sample_hint,
    write_layout,
};
use super::varbit::{put_varbit_int, read_varbit_int};
use super::xor::{NO_LEADING, xor_read, xor_write};
use crate::error::{Error, Result};

/// A value XOR-encoded against its predecessor, with its own window.
#[derive(Debug, Clone, Copy)]
struct XorValue {
    value: f64,
    leading: u8,
    trailing: u8,
}

impl XorValue {
    fn new(value: f64) -> Self {
        XorValue {
            value,
            leading: NO_LEADING,
            trailing: 0,
        }
    }

    fn write(&mut self, w: &mut BitWriter, v: f64) {
        xor_write(w, v, self.value, &mut self.leading, &mut self.trailing);
        self.value = v;
    }

    fn read(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        xor_read(r, &mut self.value, &mut self.leading, &mut self.trailing)
            .ok()
            .map(|_| ())
    }
}

/// Builds a float histogram chunk.
#[derive(Debug, Clone)]
pub struct FloatHistogramAppender {
    w: BitWriter,
    num: u16,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: XorValue,
    zcnt: XorValue,
    sum: XorValue,
    p_buckets: Vec<XorValue>,
    n_buckets: Vec<XorValue>,
}

impl Default for FloatHistogramAppender {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`FloatHistogramAppender::append`] did with a sample.
#[derive(Debug)]
pub enum FloatHistogramAppend {
    /// Appended to this chunk (possibly after rewriting it with a wider bucket layout).
    Appended,
    /// The sample starts a new chunk, returned: cut the current one.
    NewChunk(Box<FloatHistogramAppender>),
}

/// Forward inserts, backward inserts, ok, counter reset.
type Appendability = (
    (Vec<Insert>, Vec<Insert>),
    (Vec<Insert>, Vec<Insert>),
    bool,
    bool,
);

impl FloatHistogramAppender {
    /// An empty chunk.
    pub fn new() -> Self {
        FloatHistogramAppender {
            w: BitWriter::with_prefix(&[0; HEADER_BYTES], 128),
            num: 0,
            layout: Layout::default(),
            t: i64::MIN,
            t_delta: 0,
            cnt: XorValue::new(0.0),
            zcnt: XorValue::new(0.0),
            sum: XorValue::new(0.0),
            p_buckets: Vec::new(),
            n_buckets: Vec::new(),
        }
    }

    /// Samples appended.
    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// The chunk's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Finishes the chunk.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }

    /// The counter-reset header.
    pub fn header(&self) -> CounterResetHeader {
        CounterResetHeader::from_flags(self.w.bytes()[FLAGS_POS])
    }

    fn set_header(&mut self, h: CounterResetHeader) {
        let flags = &mut self.w.bytes_mut()[FLAGS_POS];
        *flags = (*flags & 0b0011_1111) | h.bits();
    }

    /// Appends `h` at `t` to a new chunk following `prev` (the previous chunk of the series, if
    /// it was a float histogram chunk).
    pub fn start(t: i64, h: &FloatHistogram, prev: Option<&FloatHistogramAppender>) -> Self {
        let mut a = FloatHistogramAppender::new();
        a.append_raw(t, h);
        let header = match (h.counter_reset_hint, prev) {
            (CounterResetHint::Gauge, _) => Some(CounterResetHeader::Gauge),
            (CounterResetHint::CounterReset, _) => Some(CounterResetHeader::CounterReset),
            (_, Some(p)) if p.appendable(h).3 => Some(CounterResetHeader::CounterReset),
            (_, Some(_)) => Some(CounterResetHeader::NotCounterReset),
            (_, None) => None,
        };
        if let Some(header) = header {
            a.set_header(header);
        }
        a
    }

    /// Appends `h` at `t`, returning a new chunk when the sample cannot go into this one.
    pub fn append(&mut self, t: i64, h: &mut FloatHistogram) -> FloatHistogramAppend {
        if self.num == 0 {
            *self = Self::start(t, h, None);
            return FloatHistogramAppend::Appended;
        }
        if h.counter_reset_hint == CounterResetHint::Gauge {
            return self.append_gauge(t, h);
        }
        let ((fp, fneg), (bp, bneg), ok, reset) = self.appendable(h);
        if !ok || reset {
            let mut fresh = FloatHistogramAppender::new();
            if reset {
                fresh.set_header(CounterResetHeader::CounterReset);
            }
            fresh.append_raw(t, h);
            return FloatHistogramAppend::NewChunk(Box::new(fresh));
        }
        if !bp.is_empty() || !bneg.is_empty() {
            if fp.is_empty() && fneg.is_empty() {
                h.positive_spans = self.layout.positive.clone();
                h.negative_spans = self.layout.negative.clone();
            } else {
                h.positive_spans = adjust_for_inserts(&h.positive_spans, &bp);
                h.negative_spans = adjust_for_inserts(&h.negative_spans, &bneg);
            }
            widen(h, &bp, &bneg);
        }
        if !fp.is_empty() || !fneg.is_empty() {
            *self = self.recode(&fp, &fneg, &h.positive_spans, &h.negative_spans);
        }
        self.append_raw(t, h);
        FloatHistogramAppend::Appended
    }

    fn append_gauge(&mut self, t: i64, h: &mut FloatHistogram) -> FloatHistogramAppend {
        let gauge_ok = !(self.num > 0 && self.header() != CounterResetHeader::Gauge);
        let layout_ok = is_stale_nan(h.sum)
            || !(is_stale_nan(self.sum.value)
                || h.schema != self.layout.schema
                || h.zero_threshold != self.layout.zero_threshold
                || (h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA
                    && h.custom_values != self.layout.custom_values));
        if !gauge_ok || !layout_ok {
            let mut fresh = FloatHistogramAppender::new();
            fresh.set_header(CounterResetHeader::Gauge);
            fresh.append_raw(t, h);
            return FloatHistogramAppend::NewChunk(Box::new(fresh));
        }
        if !is_stale_nan(h.sum) {
            let (fp, bp, ps) = expand_spans_both_ways(&self.layout.positive, &h.positive_spans);
            let (fneg, bneg, ns) = expand_spans_both_ways(&self.layout.negative, &h.negative_spans);
            if !bp.is_empty() || !bneg.is_empty() {
                h.positive_spans = ps;
                h.negative_spans = ns;
                widen(h, &bp, &bneg);
            }
            if !fp.is_empty() || !fneg.is_empty() {
                *self = self.recode(&fp, &fneg, &h.positive_spans, &h.negative_spans);
            }
        }
        self.append_raw(t, h);
        FloatHistogramAppend::Appended
    }

    /// Whether `h` may follow the chunk's last sample (Prometheus's `appendable` for float
    /// counter histograms).
    fn appendable(&self, h: &FloatHistogram) -> Appendability {
        let none = || ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        let fail = |reset: bool| {
            let (f, b) = none();
            (f, b, false, reset)
        };
        if self.num > 0 && self.header() == CounterResetHeader::Gauge {
            return fail(false);
        }
        if h.counter_reset_hint == CounterResetHint::CounterReset {
            return fail(true);
        }
        if is_stale_nan(h.sum) {
            let (f, b) = none();
            return (f, b, true, false);
        }
        if is_stale_nan(self.sum.value) {
            return fail(false);
        }
        if h.count < self.cnt.value {
            return fail(true);
        }
        if h.schema != self.layout.schema || h.zero_threshold != self.layout.zero_threshold {
            return fail(false);
        }
        if h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA
            && h.custom_values != self.layout.custom_values
        {
            return fail(true);
        }
        if h.zero_count < self.zcnt.value {
            return fail(true);
        }
        let values = |v: &[XorValue]| v.iter().map(|x| x.value).collect::<Vec<_>>();
        let Some(p) = expand_spans_and_buckets(
            &self.layout.positive,
            &h.positive_spans,
            &values(&self.p_buckets),
            &h.positive_buckets,
        ) else {
            return fail(true);
        };
        let Some(n) = expand_spans_and_buckets(
            &self.layout.negative,
            &h.negative_spans,
            &values(&self.n_buckets),
            &h.negative_buckets,
        ) else {
            return fail(true);
        };
        ((p.0, n.0), (p.1, n.1), true, false)
    }

    fn recode(&self, fp: &[Insert], fneg: &[Insert], ps: &[Span], ns: &[Span]) -> Self {
        let mut out = FloatHistogramAppender::new();
        let mut it = FloatHistogramIterator::new(self.w.bytes());
        while let Ok(true) = it.advance() {
            let mut old = it.float_histogram();
            old.positive_spans = ps.to_vec();
            old.negative_spans = ns.to_vec();
            if !fp.is_empty() {
                old.positive_buckets = insert_buckets(&old.positive_buckets, fp, false);
            }
            if !fneg.is_empty() {
                old.negative_buckets = insert_buckets(&old.negative_buckets, fneg, false);
            }
            out.append_raw(it.t, &old);
        }
        out.set_header(self.header());
        out
    }

    /// Writes a sample (Prometheus's `appendFloatHistogram`); the layout must match.
    fn append_raw(&mut self, t: i64, h: &FloatHistogram) {
        let stale_h;
        let h = if is_stale_nan(h.sum) {
            stale_h = FloatHistogram {
                sum: h.sum,
                ..FloatHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        let mut t_delta = 0;
        if self.num == 0 {
            self.layout = Layout {
                schema: h.schema,
                zero_threshold: h.zero_threshold,
                positive: h.positive_spans.clone(),
                negative: h.negative_spans.clone(),
                custom_values: h.custom_values.clone(),
            };
            write_layout(&mut self.w, &self.layout);
            let (np, nn) = (
                count_spans(&h.positive_spans),
                count_spans(&h.negative_spans),
            );
            let first = |v: &[f64], n: usize| -> Vec<XorValue> {
                (0..n)
                    .map(|i| XorValue::new(v.get(i).copied().unwrap_or(0.0)))
                    .collect()
            };
            self.p_buckets = first(&h.positive_buckets, np);
            self.n_buckets = first(&h.negative_buckets, nn);
            put_varbit_int(&mut self.w, t);
            for v in [h.count, h.zero_count, h.sum] {
                self.w.write_bits(v.to_bits(), 64);
            }
            self.cnt.value = h.count;
            self.zcnt.value = h.zero_count;
            self.sum.value = h.sum;
            for b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                self.w.write_bits(b.to_bits(), 64);
            }
        } else {
            t_delta = t.wrapping_sub(self.t);
            put_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
            self.cnt.write(&mut self.w, h.count);
            self.zcnt.write(&mut self.w, h.zero_count);
            self.sum.write(&mut self.w, h.sum);
            for (x, v) in self.p_buckets.iter_mut().zip(&h.positive_buckets) {
                x.write(&mut self.w, *v);
            }
            for (x, v) in self.n_buckets.iter_mut().zip(&h.negative_buckets) {
                x.write(&mut self.w, *v);
            }
        }
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        let bytes = self.w.bytes_mut();
        bytes[0] = hi;
        bytes[1] = lo;
        self.t = t;
        self.t_delta = t_delta;
    }
}

fn widen(h: &mut FloatHistogram, bp: &[Insert], bneg: &[Insert]) {
    if !bp.is_empty() {
        h.positive_buckets = insert_buckets(&h.positive_buckets, bp, false);
    }
    if !bneg.is_empty() {
        h.negative_buckets = insert_buckets(&h.negative_buckets, bneg, false);
    }
}

/// Iterates the samples of a float histogram chunk.
#[derive(Debug, Clone)]
pub struct FloatHistogramIterator<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: Layout,
    t: i64,
    t_delta: i64,
    cnt: XorValue,
    zcnt: XorValue,
    sum: XorValue,
    p_buckets: Vec<XorValue>,
    n_buckets: Vec<XorValue>,
    failed: bool,
}

impl<'a> FloatHistogramIterator<'a> {
    /// An iterator over encoded chunk bytes (header included).
    pub fn new(bytes: &'a [u8]) -> Self {
        let (total, flags) = match bytes {
            [hi, lo, f, ..] => (u16::from_be_bytes([*hi, *lo]), *f),
            _ => (0, 0),
        };
        let zero = XorValue {
            value: 0.0,
            leading: 0,
            trailing: 0,
        };
        FloatHistogramIterator {
            r: BitReader::new(bytes.get(HEADER_BYTES..).unwrap_or_default()),
            total,
            read: 0,
            header: CounterResetHeader::from_flags(flags),
            layout: Layout::default(),
            t: i64::MIN,
            t_delta: 0,
            cnt: zero,
            zcnt: zero,
            sum: zero,
            p_buckets: Vec::new(),
            n_buckets: Vec::new(),
            failed: false,
        }
    }

    /// Number of samples in the chunk.
    pub fn total(&self) -> usize {
        usize::from(self.total)
    }

    /// The chunk's counter-reset header.
    pub fn header(&self) -> CounterResetHeader {
        self.header
    }

    /// Timestamp of the current sample.
    pub fn t(&self) -> i64 {
        self.t
    }

    /// Decodes the next sample; `Ok(false)` at the end.
    pub fn advance(&mut self) -> Result<bool> {
        if self.failed || self.read >= self.total {
            return Ok(false);
        }
        let res = if self.read == 0 {
            self.read_first()
        } else {
            self.read_next()
        };
        match res {
            Some(()) => {
                self.read += 1;
                Ok(true)
            }
            None => {
                self.failed = true;
                Err(Error::CorruptChunk {
                    encoding: "floathistogram",
                    reason: "truncated or malformed sample",
                })
            }
        }
    }

    fn read_first(&mut self) -> Option<()> {
        self.layout = read_layout(&mut self.r)?;
        let (np, nn) = (
            count_spans(&self.layout.positive),
            count_spans(&self.layout.negative),
        );
        if (np + nn) * 64 > self.r.remaining() {
            return None;
        }
        self.t = read_varbit_int(&mut self.r)?;
        let mut raw = || self.r.read_bits(64).map(f64::from_bits);
        let (cnt, zcnt, sum) = (raw()?, raw()?, raw()?);
        self.cnt.value = cnt;
        self.zcnt.value = zcnt;
        self.sum.value = sum;
        let mut read_all = |n: usize| -> Option<Vec<XorValue>> {
            (0..n)
                .map(|_| {
                    let v = f64::from_bits(self.r.read_bits(64)?);
                    Some(XorValue {
                        value: v,
                        leading: 0,
                        trailing: 0,
                    })
                })
                .collect()
        };
        self.p_buckets = read_all(np)?;
        self.n_buckets = read_all(nn)?;
        Some(())
    }

    fn read_next(&mut self) -> Option<()> {
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.cnt.read(&mut self.r)?;
        self.zcnt.read(&mut self.r)?;
        self.sum.read(&mut self.r)?;
        if is_stale_nan(self.sum.value) {
            return Some(());
        }
        for b in self.p_buckets.iter_mut().chain(self.n_buckets.iter_mut()) {
            b.read(&mut self.r)?;
        }
        Some(())
    }

    /// The current sample, with the hint Prometheus's reader gives.
    pub fn float_histogram(&self) -> FloatHistogram {
        if is_stale_nan(self.sum.value) {
            return FloatHistogram {
                sum: self.sum.value,
                ..FloatHistogram::default()
            };
        }
        FloatHistogram {
            counter_reset_hint: sample_hint(self.header, self.read.saturating_sub(1)),
            schema: self.layout.schema,
            zero_threshold: self.layout.zero_threshold,
            zero_count: self.zcnt.value,
            count: self.cnt.value,
            sum: self.sum.value,
            positive_spans: self.layout.positive.clone(),
            positive_buckets: self.p_buckets.iter().map(|b| b.value).collect(),
            negative_spans: self.layout.negative.clone(),
            negative_buckets: self.n_buckets.iter().map(|b| b.value).collect(),
            custom_values: self.layout.custom_values.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::histogram::tests::bits;

    fn fh(count: f64, sum: f64, buckets: &[f64]) -> FloatHistogram {
        FloatHistogram {
            schema: 1,
            zero_threshold: 0.0,
            zero_count: 0.0,
            count,
            sum,
            positive_spans: vec![Span {
                offset: -1,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..FloatHistogram::default()
        }
    }

    #[test]
    fn two_samples_byte_for_byte() {
        let raw = |v: f64| format!("{:064b}", v.to_bits());
        let mut a = FloatHistogramAppender::start(5, &fh(2.0, 3.0, &[2.0]), None);
        let one = [
            "10 001".to_owned(),           // schema 1
            "10 001 10 001 10 111".into(), // one span: length 1, offset -1
            "0".into(),                    // no negative span
            "110 000101".into(),           // t = 5 (6-bit bucket)
            raw(2.0),
            raw(0.0),
            raw(3.0),
            raw(2.0),
        ]
        .concat();
        let mut want = vec![0, 1, 0, 0];
        want.extend(bits(&one));
        assert_eq!(a.bytes(), want.as_slice());
        let mut next = fh(2.0, 3.0, &[2.0]);
        assert!(matches!(
            a.append(15, &mut next),
            FloatHistogramAppend::Appended
        ));
        // t dod 10, then four unchanged values: one zero bit each.
        let two = [one.as_str(), "110 001010", "0", "0", "0", "0"].concat();
        let mut want = vec![0, 2, 0, 0];
        want.extend(bits(&two));
        assert_eq!(a.bytes(), want.as_slice());
        let mut it = FloatHistogramIterator::new(a.bytes());
        assert!(it.advance().unwrap() && it.advance().unwrap());
        assert_eq!(it.float_histogram().positive_buckets, vec![2.0]);
        assert_eq!(it.t(), 15);
        assert!(!it.advance().unwrap());
    }

    #[test]
    fn resets_cut_chunks_and_buckets_widen() {
        let mut a = FloatHistogramAppender::start(0, &fh(2.0, 3.0, &[2.0]), None);
        let mut wider = fh(5.0, 4.0, &[2.0, 3.0]);
        assert!(matches!(
            a.append(1, &mut wider),
            FloatHistogramAppend::Appended
        ));
        let mut it = FloatHistogramIterator::new(a.bytes());
        it.advance().unwrap();
        assert_eq!(it.float_histogram().positive_buckets, vec![2.0, 0.0]);
        let mut lower = fh(1.0, 1.0, &[1.0, 0.0]);
        match a.append(2, &mut lower) {
            FloatHistogramAppend::NewChunk(n) => {
                assert_eq!(n.header(), CounterResetHeader::CounterReset);
            }
            FloatHistogramAppend::Appended => panic!("expected a new chunk"),
        }
        let next = FloatHistogramAppender::start(3, &fh(6.0, 5.0, &[2.0, 4.0]), Some(&a));
        assert_eq!(next.header(), CounterResetHeader::NotCounterReset);
    }
}
