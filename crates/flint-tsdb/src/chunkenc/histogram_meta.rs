//! What integer and float histogram chunks share: the layout written before the first sample
//! (zero threshold, schema, spans, custom bounds), bucket iteration over spans, and the
//! "inserts" that widen a chunk's (or a histogram's) bucket layout when buckets appear.

use flint_model::Span;
use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;

use super::bstream::{BitReader, BitWriter};
use super::varbit::{put_varbit_int, put_varbit_uint, read_varbit_int, read_varbit_uint};

/// Bytes before the bit stream: sample count (2) and flags (1).
pub(crate) const HEADER_BYTES: usize = 3;
/// Position of the flags byte.
pub(crate) const FLAGS_POS: usize = 2;

/// The counter-reset header: the two top bits of a histogram chunk's flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterResetHeader {
    /// Unknown whether a counter reset happened before this chunk.
    #[default]
    Unknown,
    /// A counter reset happened between the previous chunk and this one.
    CounterReset,
    /// No counter reset happened between the previous chunk and this one.
    NotCounterReset,
    /// The chunk holds gauge histograms.
    Gauge,
}

impl CounterResetHeader {
    /// The flag bits.
    pub fn bits(self) -> u8 {
        match self {
            CounterResetHeader::Unknown => 0b0000_0000,
            CounterResetHeader::NotCounterReset => 0b0100_0000,
            CounterResetHeader::CounterReset => 0b1000_0000,
            CounterResetHeader::Gauge => 0b1100_0000,
        }
    }

    /// The header encoded in a flags byte.
    pub fn from_flags(b: u8) -> Self {
        match b & 0b1100_0000 {
            0b0100_0000 => CounterResetHeader::NotCounterReset,
            0b1000_0000 => CounterResetHeader::CounterReset,
            0b1100_0000 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }
}

/// The hint a histogram read from a chunk carries: gauge chunks say gauge, samples after the
/// first can have no reset before them, and the first sample gets "unknown" (the previous
/// chunk may be gone; Prometheus 3.x's choice, even for a reset header).
pub(crate) fn sample_hint(header: CounterResetHeader, index: u16) -> flint_model::CounterResetHint {
    use flint_model::CounterResetHint as H;
    match header {
        CounterResetHeader::Gauge => H::Gauge,
        _ if index > 0 => H::NotCounterReset,
        _ => H::Unknown,
    }
}

/// The bucket layout fixed by a chunk's first sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// The schema.
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Positive spans.
    pub positive: Vec<Span>,
    /// Negative spans.
    pub negative: Vec<Span>,
    /// Custom bucket bounds (custom-bucket schema only).
    pub custom_values: Vec<f64>,
}

/// Writes the layout.
pub(crate) fn write_layout(w: &mut BitWriter, l: &Layout) {
    put_zero_threshold(w, l.zero_threshold);
    put_varbit_int(w, i64::from(l.schema));
    put_spans(w, &l.positive);
    put_spans(w, &l.negative);
    if l.schema == CUSTOM_BUCKETS_SCHEMA {
        put_varbit_uint(w, l.custom_values.len() as u64);
        for v in &l.custom_values {
            put_custom_bound(w, *v);
        }
    }
}

/// Reads a layout written by [`write_layout`].
pub(crate) fn read_layout(r: &mut BitReader<'_>) -> Option<Layout> {
    let zero_threshold = read_zero_threshold(r)?;
    let schema = i32::try_from(read_varbit_int(r)?).ok()?;
    let positive = read_spans(r)?;
    let negative = read_spans(r)?;
    let mut custom_values = Vec::new();
    if schema == CUSTOM_BUCKETS_SCHEMA {
        let n = read_varbit_uint(r)?;
        if n > r.remaining() as u64 {
            return None;
        }
        for _ in 0..n {
            custom_values.push(read_custom_bound(r)?);
        }
    }
    Some(Layout {
        schema,
        zero_threshold,
        positive,
        negative,
        custom_values,
    })
}

fn put_spans(w: &mut BitWriter, spans: &[Span]) {
    put_varbit_uint(w, spans.len() as u64);
    for s in spans {
        put_varbit_uint(w, u64::from(s.length));
        put_varbit_int(w, i64::from(s.offset));
    }
}

fn read_spans(r: &mut BitReader<'_>) -> Option<Vec<Span>> {
    let n = read_varbit_uint(r)?;
    // Each span takes at least two bits: a larger count is corrupt.
    if n > r.remaining() as u64 / 2 {
        return None;
    }
    let mut spans = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let length = u32::try_from(read_varbit_uint(r)?).ok()?;
        let offset = i32::try_from(read_varbit_int(r)?).ok()?;
        spans.push(Span { offset, length });
    }
    Some(spans)
}

/// One byte for 0 and for powers of two from 2^-243 to 2^10 (the exponent plus 243), else 255
/// and the raw float.
fn put_zero_threshold(w: &mut BitWriter, t: f64) {
    if t == 0.0 {
        w.write_byte(0);
        return;
    }
    match frexp(t) {
        (frac, exp) if frac == 0.5 && (-242..=11).contains(&exp) => {
            w.write_byte((exp + 243) as u8);
        }
        _ => {
            w.write_byte(255);
            w.write_bits(t.to_bits(), 64);
        }
    }
}

fn read_zero_threshold(r: &mut BitReader<'_>) -> Option<f64> {
    match r.read_byte()? {
        0 => Some(0.0),
        255 => r.read_bits(64).map(f64::from_bits),
        b => Some(ldexp(0.5, i32::from(b) - 243)),
    }
}

/// Go's `math.Frexp`: `f = frac * 2^exp` with `0.5 <= |frac| < 1`.
fn frexp(f: f64) -> (f64, i32) {
    if f == 0.0 || f.is_nan() || f.is_infinite() {
        return (f, 0);
    }
    let (mut f, mut exp) = (f, 0);
    if f.abs() < f64::MIN_POSITIVE {
        // Subnormal: scale into the normal range first.
        f *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = f.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// `frac * 2^exp`, exact for the exponents a zero threshold byte holds.
fn ldexp(frac: f64, exp: i32) -> f64 {
    let mut v = frac;
    let mut e = exp;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = e.max(-1000);
        v *= 2f64.powi(step);
        e -= step;
    }
    v
}

/// Custom bounds that are multiples of 0.001 in `[0, 33554.43]` are written as
/// `bound * 1000 + 1` in unsigned varbit (which starts with a one bit); others as a zero bit
/// and the raw float.
fn put_custom_bound(w: &mut BitWriter, f: f64) {
    let tf = f * 1000.0;
    if !(0.0..=33_554_430.0).contains(&tf) || !whole_when_multiplied(f) {
        w.write_bit(false);
        w.write_bits(f.to_bits(), 64);
        return;
    }
    put_varbit_uint(w, tf.round() as u64 + 1);
}

fn whole_when_multiplied(f: f64) -> bool {
    let i = (f * 1000.0).round();
    // Go converts to uint first; negative values are excluded before this is called.
    i / 1000.0 == f
}

fn read_custom_bound(r: &mut BitReader<'_>) -> Option<f64> {
    match read_varbit_uint(r)? {
        0 => r.read_bits(64).map(f64::from_bits),
        v => Some((v - 1) as f64 / 1000.0),
    }
}

/// Number of buckets the spans describe.
pub(crate) fn count_spans(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.length as usize).sum()
}

/// Iterates the absolute bucket indices described by spans.
#[derive(Debug, Clone)]
pub(crate) struct BucketIndices<'a> {
    spans: &'a [Span],
    span: usize,
    bucket: i64,
    idx: i64,
}

impl<'a> BucketIndices<'a> {
    pub(crate) fn new(spans: &'a [Span]) -> Self {
        let idx = -1 + spans.first().map_or(0, |s| i64::from(s.offset));
        BucketIndices {
            spans,
            span: 0,
            bucket: -1,
            idx,
        }
    }
}

impl Iterator for BucketIndices<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let cur = self.spans.get(self.span)?;
        if self.bucket < i64::from(cur.length) - 1 {
            self.bucket += 1;
            self.idx += 1;
            return Some(self.idx);
        }
        while self.span + 1 < self.spans.len() {
            self.span += 1;
            let s = self.spans[self.span];
            self.idx += i64::from(s.offset) + 1;
            self.bucket = 0;
            if s.length == 0 {
                self.idx -= 1;
                continue;
            }
            return Some(self.idx);
        }
        self.span = self.spans.len();
        None
    }
}

/// `num` new buckets to insert before the `pos`-th bucket of the original list; the first of
/// them has absolute index `bucket_idx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Insert {
    pub pos: usize,
    pub num: usize,
    pub bucket_idx: i64,
}

/// Extends `inserts` with one more missing bucket at absolute index `idx`.
fn add_insert(inserts: &mut Vec<Insert>, cur: &mut Insert, idx: i64) {
    if cur.num == 0 {
        cur.bucket_idx = idx;
    } else if cur.bucket_idx + cur.num as i64 != idx {
        inserts.push(*cur);
        cur.num = 0;
        cur.bucket_idx = idx;
    }
    cur.num += 1;
}

/// Forward inserts (new buckets of `b` missing in `a`) and backward inserts (empty buckets of
/// `a` missing in `b`), or `None` when a bucket of `a` in use is missing from `b` or any count
/// went down (a counter reset). `a_counts`/`b_counts` yield absolute counts in bucket order.
pub(crate) fn expand_spans_and_buckets(
    a: &[Span],
    b: &[Span],
    a_counts: &[f64],
    b_counts: &[f64],
) -> Option<(Vec<Insert>, Vec<Insert>)> {
    let (mut ai, mut bi) = (BucketIndices::new(a), BucketIndices::new(b));
    let (mut a_ins, mut b_ins) = (Vec::new(), Vec::new());
    let (mut a_cur, mut b_cur) = (Insert::default(), Insert::default());
    let (mut a_idx, mut b_idx) = (ai.next(), bi.next());
    let (mut a_pos, mut b_pos) = (0usize, 0usize);
    loop {
        let a_count = a_counts.get(a_pos).copied().unwrap_or(0.0);
        let b_count = b_counts.get(b_pos).copied().unwrap_or(0.0);
        match (a_idx, b_idx) {
            (Some(x), Some(y)) if x == y => {
                if a_count > b_count {
                    return None;
                }
                advance(&mut a_ins, &mut a_cur, &mut a_idx, &mut ai, &mut a_pos);
                advance(&mut b_ins, &mut b_cur, &mut b_idx, &mut bi, &mut b_pos);
            }
            (Some(x), y) if y.is_none_or(|y| x < y) => {
                // b misses a bucket of a: fine if it is empty.
                if a_count != 0.0 {
                    return None;
                }
                add_insert(&mut b_ins, &mut b_cur, x);
                advance(&mut a_ins, &mut a_cur, &mut a_idx, &mut ai, &mut a_pos);
            }
            (_, Some(y)) => {
                add_insert(&mut a_ins, &mut a_cur, y);
                advance(&mut b_ins, &mut b_cur, &mut b_idx, &mut bi, &mut b_pos);
            }
            (_, None) => {
                if a_cur.num > 0 {
                    a_ins.push(a_cur);
                }
                if b_cur.num > 0 {
                    b_ins.push(b_cur);
                }
                return Some((a_ins, b_ins));
            }
        }
    }
}

/// Moves one side of [`expand_spans_and_buckets`] to its next bucket, closing a pending insert.
fn advance(
    inserts: &mut Vec<Insert>,
    cur: &mut Insert,
    idx: &mut Option<i64>,
    it: &mut BucketIndices<'_>,
    pos: &mut usize,
) {
    if cur.num > 0 {
        inserts.push(*cur);
        cur.num = 0;
    }
    *idx = it.next();
    cur.pos += 1;
    *pos += 1;
}

/// Like [`expand_spans_and_buckets`] for gauge histograms, where buckets may come and go: the
/// forward inserts, the backward inserts and the merged spans covering both.
pub(crate) fn expand_spans_both_ways(
    a: &[Span],
    b: &[Span],
) -> (Vec<Insert>, Vec<Insert>, Vec<Span>) {
    let (mut ai, mut bi) = (BucketIndices::new(a), BucketIndices::new(b));
    let (mut f_ins, mut b_ins) = (Vec::new(), Vec::new());
    let (mut f_cur, mut b_cur) = (Insert::default(), Insert::default());
    let mut merged = SpanBuilder::default();
    let (mut av, mut bv) = (ai.next(), bi.next());
    loop {
        match (av, bv) {
            (Some(x), Some(y)) if x == y => {
                flush(&mut f_ins, &mut f_cur);
                flush(&mut b_ins, &mut b_cur);
                merged.add(x);
                av = ai.next();
                bv = bi.next();
                f_cur.pos += 1;
                b_cur.pos += 1;
            }
            (Some(x), y) if y.is_none_or(|y| x < y) => {
                b_cur.num += 1;
                flush(&mut f_ins, &mut f_cur);
                merged.add(x);
                f_cur.pos += 1;
                av = ai.next();
            }
            (_, Some(y)) => {
                f_cur.num += 1;
                flush(&mut b_ins, &mut b_cur);
                merged.add(y);
                b_cur.pos += 1;
                bv = bi.next();
            }
            (_, None) => {
                flush(&mut f_ins, &mut f_cur);
                flush(&mut b_ins, &mut b_cur);
                return (f_ins, b_ins, merged.spans);
            }
        }
    }
}

fn flush(inserts: &mut Vec<Insert>, cur: &mut Insert) {
    if cur.num > 0 {
        inserts.push(*cur);
        cur.num = 0;
    }
}

/// Builds spans from increasing absolute bucket indices.
#[derive(Debug, Default)]
struct SpanBuilder {
    spans: Vec<Span>,
    last: i64,
}

impl SpanBuilder {
    fn add(&mut self, idx: i64) {
        let offset = idx - self.last - 1;
        match self.spans.last_mut() {
            Some(s) if offset == 0 => s.length += 1,
            Some(_) => self.spans.push(Span {
                offset: offset as i32,
                length: 1,
            }),
            None => self.spans.push(Span {
                offset: (offset + 1) as i32,
                length: 1,
            }),
        }
        self.last = idx;
    }
}

/// The spans widened by `inserts` (which carry absolute bucket indices).
pub(crate) fn adjust_for_inserts(spans: &[Span], inserts: &[Insert]) -> Vec<Span> {
    if inserts.is_empty() {
        return spans.to_vec();
    }
    let mut merged = SpanBuilder::default();
    let mut pending = inserts
        .iter()
        .flat_map(|i| (0..i.num as i64).map(move |k| i.bucket_idx + k))
        .peekable();
    for bucket in BucketIndices::new(spans) {
        while let Some(ins) = pending.next_if(|ins| *ins < bucket) {
            merged.add(ins);
        }
        merged.add(bucket);
    }
    for ins in pending {
        merged.add(ins);
    }
    merged.spans
}

/// Merges `input` with zero-valued buckets at `inserts`. With `deltas`, values are deltas to
/// the previous bucket (integer histograms): an inserted bucket takes `-previous` so that its
/// count is zero, and the bucket after it is corrected.
pub(crate) fn insert_buckets<T>(input: &[T], inserts: &[Insert], deltas: bool) -> Vec<T>
where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::Neg<Output = T>,
{
    let extra: usize = inserts.iter().map(|i| i.num).sum();
    let mut out = Vec::with_capacity(input.len() + extra);
    let mut last = T::default();
    let mut ii = 0;
    let zero_run = |out: &mut Vec<T>, num: usize, last: T| {
        out.push(if deltas { -last } else { T::default() });
        out.extend(std::iter::repeat_n(T::default(), num.saturating_sub(1)));
    };
    for (i, d) in input.iter().enumerate() {
        if let Some(ins) = inserts.get(ii).filter(|ins| ins.pos == i) {
            zero_run(&mut out, ins.num, last);
            ii += 1;
            out.push(if deltas { *d + last } else { *d });
            last = *d + last;
            continue;
        }
        out.push(*d);
        last = last + *d;
    }
    if let Some(ins) = inserts.get(ii) {
        zero_run(&mut out, ins.num, last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    #[test]
    fn zero_threshold_bytes() {
        for (t, want) in [
            (0.0, vec![0]),
            (2f64.powi(-128), vec![116]),
            (1024.0, vec![254]),
            (2f64.powi(-243), vec![1]),
        ] {
            let mut w = BitWriter::default();
            put_zero_threshold(&mut w, t);
            assert_eq!(&w.bytes()[..1], &want[..], "{t}");
            let mut r = BitReader::new(w.bytes());
            assert_eq!(read_zero_threshold(&mut r), Some(t));
        }
        let mut w = BitWriter::default();
        put_zero_threshold(&mut w, 0.001);
        assert_eq!(w.bytes()[0], 255);
        assert_eq!(w.bit_len(), 72);
    }

    #[test]
    fn layout_round_trips_custom_bounds() {
        let l = Layout {
            schema: CUSTOM_BUCKETS_SCHEMA,
            zero_threshold: 0.0,
            positive: vec![s(0, 3), s(2, 1)],
            negative: vec![],
            custom_values: vec![0.005, 1.0, 33_554.43, -1.0, 0.1234567],
        };
        let mut w = BitWriter::default();
        write_layout(&mut w, &l);
        let mut r = BitReader::new(w.bytes());
        assert_eq!(read_layout(&mut r), Some(l));
    }

    #[test]
    fn upstream_expansion_example() {
        // The example of Prometheus's expandSpansForward documentation.
        let a = [s(0, 2), s(2, 1), s(3, 2), s(3, 1), s(1, 1)];
        let b = [s(0, 3), s(1, 1), s(1, 4), s(3, 3)];
        let a_counts = [6.0, 3.0, 3.0, 2.0, 4.0, 5.0, 1.0];
        let b_counts = [6.0, 3.0, 0.0, 3.0, 0.0, 0.0, 2.0, 4.0, 5.0, 0.0, 1.0];
        let (fwd, back) = expand_spans_and_buckets(&a, &b, &a_counts, &b_counts).unwrap();
        assert!(back.is_empty());
        let positions: Vec<(usize, usize)> = fwd.iter().map(|i| (i.pos, i.num)).collect();
        assert_eq!(positions, vec![(2, 1), (3, 2), (6, 1)]);
        let deltas = [6i64, -3, 0, -1, 2, 1, -4];
        assert_eq!(
            insert_buckets(&deltas, &fwd, true),
            vec![6, -3, -3, 3, -3, 0, 2, 2, 1, -5, 1]
        );
        // Going back to the narrower layout is fine while the dropped buckets are empty …
        let (_, back) = expand_spans_and_buckets(&b, &a, &b_counts, &a_counts).unwrap();
        assert_eq!(back.iter().map(|i| i.num).sum::<usize>(), 4);
        // … but a bucket in use that disappears is a reset.
        assert!(expand_spans_and_buckets(&[s(0, 2)], &[s(0, 1)], &[1.0, 1.0], &[1.0]).is_none());
    }

    #[test]
    fn gauge_expansion_and_adjusted_spans() {
        let a = [s(0, 2)];
        let b = [s(1, 2)];
        let (fwd, back, merged) = expand_spans_both_ways(&a, &b);
        assert_eq!(merged, vec![s(0, 3)]);
        assert_eq!((fwd.len(), back.len()), (1, 1));
        let adjusted = adjust_for_inserts(
            &[s(1, 1)],
            &[Insert {
                pos: 0,
                num: 1,
                bucket_idx: 0,
            }],
        );
        assert_eq!(adjusted, vec![s(0, 2)]);
    }

    #[test]
    fn frexp_matches_go() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(f64::from_bits(1 << 4)), (0.5, -1069));
    }
}
