//! The integer native-histogram chunk (encoding 2), bit for bit as Prometheus writes it.
//!
//! Layout: a big-endian `u16` sample count, a flags byte (counter-reset header in its top two
//! bits), then a bit stream: the bucket layout of the first sample (see [`Layout`]), then per
//! sample the timestamp, count and zero count (raw for the first sample, delta-of-delta after:
//! the second sample's "dod" is its delta), the sum XOR-encoded, and one varbit value per
//! bucket (the delta-encoded bucket values, then their delta-of-delta).
//!
//! The appender follows Prometheus's rules for when a sample starts a new chunk (a counter
//! reset, a schema or zero-threshold change, the sample after a stale marker) and when the
//! chunk is rewritten with a wider layout because new buckets appeared.

use flint_model::{CounterResetHint, FloatHistogram, Histogram, Span, is_stale_nan};

use super::bstream::{BitReader, BitWriter};
use super::histogram_meta::{
    CounterResetHeader, FLAGS_POS, HEADER_BYTES, Insert, Layout, adjust_for_inserts, count_spans,
    expand_spans_and_buckets, expand_spans_both_ways, insert_buckets, read_layout, sample_hint,
    write_layout,
};
use super::varbit::{put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint};
use super::xor::{NO_LEADING, xor_read, xor_write};
use crate::error::{Error, Result};

/// Builds an integer histogram chunk.
#[derive(Debug, Clone)]
pub struct HistogramAppender {
    w: BitWriter,
    num: u16,
    layout: Layout,
    t: i64,
    cnt: u64,
    zcnt: u64,
    t_delta: i64,
    cnt_delta: i64,
    zcnt_delta: i64,
    /// Delta-encoded bucket values of the last sample, and their change since the one before.
    p_buckets: Vec<i64>,
    n_buckets: Vec<i64>,
    p_deltas: Vec<i64>,
    n_deltas: Vec<i64>,
    sum: f64,
    leading: u8,
    trailing: u8,
}

impl Default for HistogramAppender {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`HistogramAppender::append`] did with a sample.
#[derive(Debug)]
pub enum HistogramAppend {
    /// Appended to this chunk (possibly after rewriting it with a wider bucket layout).
    Appended,
    /// The sample starts a new chunk, returned: cut the current one.
    NewChunk(Box<HistogramAppender>),
}

/// Result of [`HistogramAppender::appendable`].
struct Appendability {
    forward: (Vec<Insert>, Vec<Insert>),
    backward: (Vec<Insert>, Vec<Insert>),
    ok: bool,
    header: CounterResetHeader,
}

impl HistogramAppender {
    /// An empty chunk.
    pub fn new() -> Self {
        HistogramAppender {
            w: BitWriter::with_prefix(&[0; HEADER_BYTES], 128),
            num: 0,
            layout: Layout::default(),
            t: i64::MIN,
            cnt: 0,
            zcnt: 0,
            t_delta: 0,
            cnt_delta: 0,
            zcnt_delta: 0,
            p_buckets: Vec::new(),
            n_buckets: Vec::new(),
            p_deltas: Vec::new(),
            n_deltas: Vec::new(),
            sum: 0.0,
            leading: NO_LEADING,
            trailing: 0,
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
    /// it was an integer histogram chunk): the header tells how the two relate.
    pub fn start(t: i64, h: &Histogram, prev: Option<&HistogramAppender>) -> Self {
        let mut a = HistogramAppender::new();
        a.append_raw(t, h);
        let header = match h.counter_reset_hint {
            CounterResetHint::Gauge => CounterResetHeader::Gauge,
            CounterResetHint::CounterReset => CounterResetHeader::CounterReset,
            _ => match prev {
                Some(p) => p.appendable(h).header,
                None => CounterResetHeader::Unknown,
            },
        };
        a.set_header(header);
        a
    }

    /// Appends `h` at `t` (`t` after the last sample; the caller checks), returning a new
    /// chunk when the sample cannot go into this one. The histogram may be rewritten to the
    /// chunk's layout (empty buckets added).
    pub fn append(&mut self, t: i64, h: &mut Histogram) -> HistogramAppend {
        if self.num == 0 {
            *self = Self::start(t, h, None);
            return HistogramAppend::Appended;
        }
        if h.counter_reset_hint == CounterResetHint::Gauge {
            return self.append_gauge(t, h);
        }
        let a = self.appendable(h);
        if !a.ok || a.header != CounterResetHeader::NotCounterReset {
            let mut fresh = HistogramAppender::new();
            fresh.set_header(a.header);
            fresh.append_raw(t, h);
            return HistogramAppend::NewChunk(Box::new(fresh));
        }
        let (fp, fneg) = a.forward;
        let (bp, bneg) = a.backward;
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
        HistogramAppend::Appended
    }

    fn append_gauge(&mut self, t: i64, h: &mut Histogram) -> HistogramAppend {
        let Some((fp, fneg, bp, bneg, pspans, nspans)) = self.appendable_gauge(h) else {
            let mut fresh = HistogramAppender::new();
            fresh.set_header(CounterResetHeader::Gauge);
            fresh.append_raw(t, h);
            return HistogramAppend::NewChunk(Box::new(fresh));
        };
        if !bp.is_empty() || !bneg.is_empty() {
            h.positive_spans = pspans;
            h.negative_spans = nspans;
            widen(h, &bp, &bneg);
        }
        if !fp.is_empty() || !fneg.is_empty() {
            *self = self.recode(&fp, &fneg, &h.positive_spans, &h.negative_spans);
        }
        self.append_raw(t, h);
        HistogramAppend::Appended
    }

    /// Whether `h` may follow the chunk's last sample, and the inserts needed (Prometheus's
    /// `appendable`, for counter histograms).
    fn appendable(&self, h: &Histogram) -> Appendability {
        let mut out = Appendability {
            forward: (Vec::new(), Vec::new()),
            backward: (Vec::new(), Vec::new()),
            ok: false,
            header: CounterResetHeader::NotCounterReset,
        };
        if self.num > 0 && self.header() == CounterResetHeader::Gauge {
            return out;
        }
        if h.counter_reset_hint == CounterResetHint::CounterReset {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if is_stale_nan(h.sum) {
            out.ok = true;
            return out;
        }
        if is_stale_nan(self.sum) {
            out.header = CounterResetHeader::Unknown;
            return out;
        }
        if h.count < self.cnt {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if h.schema != self.layout.schema || h.zero_threshold != self.layout.zero_threshold {
            out.header = CounterResetHeader::Unknown;
            return out;
        }
        if h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA
            && h.custom_values != self.layout.custom_values
        {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        if h.zero_count < self.zcnt {
            out.header = CounterResetHeader::CounterReset;
            return out;
        }
        let expand = |a_spans: &[Span], b_spans: &[Span], a: &[i64], b: &[i64]| {
            expand_spans_and_buckets(a_spans, b_spans, &absolute(a), &absolute(b))
        };
        let Some(p) = expand(
            &self.layout.positive,
            &h.positive_spans,
            &self.p_buckets,
            &h.positive_deltas,
        ) else {
            out.header = CounterResetHeader::CounterReset;
            return out;
        };
        let Some(n) = expand(
            &self.layout.negative,
            &h.negative_spans,
            &self.n_buckets,
            &h.negative_deltas,
        ) else {
            out.header = CounterResetHeader::CounterReset;
            return out;
        };
        out.forward = (p.0, n.0);
        out.backward = (p.1, n.1);
        out.ok = true;
        out
    }

    /// The gauge counterpart: `None` when a new chunk is needed.
    #[allow(clippy::type_complexity)]
    fn appendable_gauge(
        &self,
        h: &Histogram,
    ) -> Option<(
        Vec<Insert>,
        Vec<Insert>,
        Vec<Insert>,
        Vec<Insert>,
        Vec<Span>,
        Vec<Span>,
    )> {
        if self.num > 0 && self.header() != CounterResetHeader::Gauge {
            return None;
        }
        if is_stale_nan(h.sum) {
            return Some(Default::default());
        }
        if is_stale_nan(self.sum)
            || h.schema != self.layout.schema
            || h.zero_threshold != self.layout.zero_threshold
            || (h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA
                && h.custom_values != self.layout.custom_values)
        {
            return None;
        }
        let (fp, bp, ps) = expand_spans_both_ways(&self.layout.positive, &h.positive_spans);
        let (fneg, bneg, ns) = expand_spans_both_ways(&self.layout.negative, &h.negative_spans);
        Some((fp, fneg, bp, bneg, ps, ns))
    }

    /// The chunk rewritten with `forward` inserts so that its layout has the given spans.
    fn recode(&self, fp: &[Insert], fneg: &[Insert], ps: &[Span], ns: &[Span]) -> Self {
        let mut out = HistogramAppender::new();
        let mut it = HistogramIterator::new(self.w.bytes());
        while let Ok(true) = it.advance() {
            let mut old = it.histogram();
            old.positive_spans = ps.to_vec();
            old.negative_spans = ns.to_vec();
            if !fp.is_empty() {
                old.positive_deltas = insert_buckets(&old.positive_deltas, fp, true);
            }
            if !fneg.is_empty() {
                old.negative_deltas = insert_buckets(&old.negative_deltas, fneg, true);
            }
            out.append_raw(it.t, &old);
        }
        out.set_header(self.header());
        out
    }

    /// Writes a sample (Prometheus's `appendHistogram`); the layout must match.
    fn append_raw(&mut self, t: i64, h: &Histogram) {
        let stale_h;
        let h = if is_stale_nan(h.sum) {
            stale_h = Histogram {
                sum: h.sum,
                ..Histogram::default()
            };
            &stale_h
        } else {
            h
        };
        let (mut t_delta, mut cnt_delta, mut zcnt_delta) = (0, 0, 0);
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
            self.p_buckets = vec![0; np];
            self.p_deltas = vec![0; np];
            self.n_buckets = vec![0; nn];
            self.n_deltas = vec![0; nn];
            put_varbit_int(&mut self.w, t);
            put_varbit_uint(&mut self.w, h.count);
            put_varbit_uint(&mut self.w, h.zero_count);
            self.w.write_bits(h.sum.to_bits(), 64);
            for b in h.positive_deltas.iter().chain(&h.negative_deltas) {
                put_varbit_int(&mut self.w, *b);
            }
        } else {
            t_delta = t.wrapping_sub(self.t);
            cnt_delta = (h.count as i64).wrapping_sub(self.cnt as i64);
            zcnt_delta = (h.zero_count as i64).wrapping_sub(self.zcnt as i64);
            let (mut cnt_dod, mut zcnt_dod) = (
                cnt_delta.wrapping_sub(self.cnt_delta),
                zcnt_delta.wrapping_sub(self.zcnt_delta),
            );
            if is_stale_nan(h.sum) {
                (cnt_dod, zcnt_dod) = (0, 0);
            }
            put_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
            put_varbit_int(&mut self.w, cnt_dod);
            put_varbit_int(&mut self.w, zcnt_dod);
            xor_write(
                &mut self.w,
                h.sum,
                self.sum,
                &mut self.leading,
                &mut self.trailing,
            );
            put_dods(
                &mut self.w,
                &h.positive_deltas,
                &self.p_buckets,
                &mut self.p_deltas,
            );
            put_dods(
                &mut self.w,
                &h.negative_deltas,
                &self.n_buckets,
                &mut self.n_deltas,
            );
        }
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        let bytes = self.w.bytes_mut();
        bytes[0] = hi;
        bytes[1] = lo;
        self.t = t;
        self.cnt = h.count;
        self.zcnt = h.zero_count;
        self.t_delta = t_delta;
        self.cnt_delta = cnt_delta;
        self.zcnt_delta = zcnt_delta;
        copy_prefix(&mut self.p_buckets, &h.positive_deltas);
        copy_prefix(&mut self.n_buckets, &h.negative_deltas);
        self.sum = h.sum;
    }
}

/// Writes each bucket's delta-of-delta and remembers the new deltas.
fn put_dods(w: &mut BitWriter, values: &[i64], prev: &[i64], deltas: &mut [i64]) {
    for (i, b) in values.iter().enumerate() {
        let (Some(p), Some(d)) = (prev.get(i), deltas.get_mut(i)) else {
            break;
        };
        let delta = b.wrapping_sub(*p);
        put_varbit_int(w, delta.wrapping_sub(*d));
        *d = delta;
    }
}

/// Go's `copy(dst, src)`: as many values as both hold.
fn copy_prefix(dst: &mut [i64], src: &[i64]) {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
}

/// Absolute counts from delta-encoded bucket values.
fn absolute(deltas: &[i64]) -> Vec<f64> {
    let mut cur = 0i64;
    deltas
        .iter()
        .map(|d| {
            cur = cur.wrapping_add(*d);
            cur as f64
        })
        .collect()
}

/// Adds the empty buckets of `backward` inserts to a histogram already given wider spans.
fn widen(h: &mut Histogram, bp: &[Insert], bneg: &[Insert]) {
    if !bp.is_empty() {
        h.positive_deltas = insert_buckets(&h.positive_deltas, bp, true);
    }
    if !bneg.is_empty() {
        h.negative_deltas = insert_buckets(&h.negative_deltas, bneg, true);
    }
}

/// Iterates the samples of an integer histogram chunk.
#[derive(Debug, Clone)]
pub struct HistogramIterator<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: Layout,
    t: i64,
    cnt: u64,
    zcnt: u64,
    t_delta: i64,
    cnt_delta: i64,
    zcnt_delta: i64,
    p_buckets: Vec<i64>,
    n_buckets: Vec<i64>,
    p_deltas: Vec<i64>,
    n_deltas: Vec<i64>,
    sum: f64,
    leading: u8,
    trailing: u8,
    failed: bool,
}

impl<'a> HistogramIterator<'a> {
    /// An iterator over encoded chunk bytes (header included).
    pub fn new(bytes: &'a [u8]) -> Self {
        let (total, flags) = match bytes {
            [hi, lo, f, ..] => (u16::from_be_bytes([*hi, *lo]), *f),
            _ => (0, 0),
        };
        HistogramIterator {
            r: BitReader::new(bytes.get(HEADER_BYTES..).unwrap_or_default()),
            total,
            read: 0,
            header: CounterResetHeader::from_flags(flags),
            layout: Layout::default(),
            t: i64::MIN,
            cnt: 0,
            zcnt: 0,
            t_delta: 0,
            cnt_delta: 0,
            zcnt_delta: 0,
            p_buckets: Vec::new(),
            n_buckets: Vec::new(),
            p_deltas: Vec::new(),
            n_deltas: Vec::new(),
            sum: 0.0,
            leading: 0,
            trailing: 0,
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
                Err(corrupt("truncated or malformed sample"))
            }
        }
    }

    fn read_first(&mut self) -> Option<()> {
        self.layout = read_layout(&mut self.r)?;
        let (np, nn) = (
            count_spans(&self.layout.positive),
            count_spans(&self.layout.negative),
        );
        // Every bucket takes at least one bit.
        if np + nn > self.r.remaining() {
            return None;
        }
        self.p_deltas = vec![0; np];
        self.n_deltas = vec![0; nn];
        self.t = read_varbit_int(&mut self.r)?;
        self.cnt = read_varbit_uint(&mut self.r)?;
        self.zcnt = read_varbit_uint(&mut self.r)?;
        self.sum = f64::from_bits(self.r.read_bits(64)?);
        self.p_buckets = (0..np)
            .map(|_| read_varbit_int(&mut self.r))
            .collect::<Option<_>>()?;
        self.n_buckets = (0..nn)
            .map(|_| read_varbit_int(&mut self.r))
            .collect::<Option<_>>()?;
        Some(())
    }

    fn read_next(&mut self) -> Option<()> {
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.cnt_delta = self.cnt_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.cnt = (self.cnt as i64).wrapping_add(self.cnt_delta) as u64;
        self.zcnt_delta = self.zcnt_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.zcnt = (self.zcnt as i64).wrapping_add(self.zcnt_delta) as u64;
        xor_read(
            &mut self.r,
            &mut self.sum,
            &mut self.leading,
            &mut self.trailing,
        )
        .ok()?;
        if is_stale_nan(self.sum) {
            return Some(());
        }
        for (b, d) in self.p_buckets.iter_mut().zip(self.p_deltas.iter_mut()) {
            *d = d.wrapping_add(read_varbit_int(&mut self.r)?);
            *b = b.wrapping_add(*d);
        }
        for (b, d) in self.n_buckets.iter_mut().zip(self.n_deltas.iter_mut()) {
            *d = d.wrapping_add(read_varbit_int(&mut self.r)?);
            *b = b.wrapping_add(*d);
        }
        Some(())
    }

    /// The current sample as an integer histogram, with the hint Prometheus's reader gives.
    pub fn histogram(&self) -> Histogram {
        if is_stale_nan(self.sum) {
            return Histogram {
                sum: self.sum,
                ..Histogram::default()
            };
        }
        Histogram {
            counter_reset_hint: sample_hint(self.header, self.read.saturating_sub(1)),
            schema: self.layout.schema,
            zero_threshold: self.layout.zero_threshold,
            zero_count: self.zcnt,
            count: self.cnt,
            sum: self.sum,
            positive_spans: self.layout.positive.clone(),
            positive_deltas: self.p_buckets.clone(),
            negative_spans: self.layout.negative.clone(),
            negative_deltas: self.n_buckets.clone(),
            custom_values: self.layout.custom_values.clone(),
        }
    }

    /// The current sample with float counts.
    pub fn float_histogram(&self) -> FloatHistogram {
        self.histogram().to_float()
    }
}

fn corrupt(reason: &'static str) -> Error {
    Error::CorruptChunk {
        encoding: "histogram",
        reason,
    }
}

#[cfg(test)]
pub(crate) mod tests;
