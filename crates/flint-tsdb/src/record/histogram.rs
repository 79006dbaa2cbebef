//! One native histogram inside a histogram record.
//!
//! Layout: `hint <1b>`, `schema <varint>`, `zero_threshold <8b>`, then zero count, count (uvarints
//! for integer histograms, `<8b>` floats for float histograms), `sum <8b>`, positive and
//! negative spans (`n <uvarint>`, then `offset <varint>`, `length <uvarint>` each), positive and
//! negative buckets (`n <uvarint>`, then varint deltas or `<8b>` floats), and for custom-bucket
//! schemas the custom bounds (`n <uvarint>`, `<8b>` floats).

use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use flint_model::{CounterResetHint, FloatHistogram, Histogram, Span};

use super::buf::{Decbuf, DecodeResult, put_be64, put_uvarint, put_varint};

fn hint_byte(h: CounterResetHint) -> u8 {
    match h {
        CounterResetHint::Unknown => 0,
        CounterResetHint::CounterReset => 1,
        CounterResetHint::NotCounterReset => 2,
        CounterResetHint::Gauge => 3,
    }
}

fn hint_from_byte(b: u8) -> CounterResetHint {
    match b {
        1 => CounterResetHint::CounterReset,
        2 => CounterResetHint::NotCounterReset,
        3 => CounterResetHint::Gauge,
        _ => CounterResetHint::Unknown,
    }
}

fn put_spans(buf: &mut Vec<u8>, spans: &[Span]) {
    put_uvarint(buf, spans.len() as u64);
    for s in spans {
        put_varint(buf, i64::from(s.offset));
        put_uvarint(buf, u64::from(s.length));
    }
}

fn put_floats(buf: &mut Vec<u8>, values: &[f64]) {
    put_uvarint(buf, values.len() as u64);
    for v in values {
        put_be64(buf, v.to_bits());
    }
}

/// Appends an integer histogram.
pub(crate) fn encode_histogram(buf: &mut Vec<u8>, h: &Histogram) {
    buf.push(hint_byte(h.counter_reset_hint));
    put_varint(buf, i64::from(h.schema));
    put_be64(buf, h.zero_threshold.to_bits());
    put_uvarint(buf, h.zero_count);
    put_uvarint(buf, h.count);
    put_be64(buf, h.sum.to_bits());
    put_spans(buf, &h.positive_spans);
    put_spans(buf, &h.negative_spans);
    for deltas in [&h.positive_deltas, &h.negative_deltas] {
        put_uvarint(buf, deltas.len() as u64);
        for d in deltas.iter() {
            put_varint(buf, *d);
        }
    }
    if h.schema == CUSTOM_BUCKETS_SCHEMA {
        put_floats(buf, &h.custom_values);
    }
}

/// Appends a float histogram.
pub(crate) fn encode_float_histogram(buf: &mut Vec<u8>, h: &FloatHistogram) {
    buf.push(hint_byte(h.counter_reset_hint));
    put_varint(buf, i64::from(h.schema));
    for v in [h.zero_threshold, h.zero_count, h.count, h.sum] {
        put_be64(buf, v.to_bits());
    }
    put_spans(buf, &h.positive_spans);
    put_spans(buf, &h.negative_spans);
    put_floats(buf, &h.positive_buckets);
    put_floats(buf, &h.negative_buckets);
    if h.schema == CUSTOM_BUCKETS_SCHEMA {
        put_floats(buf, &h.custom_values);
    }
}

fn spans(d: &mut Decbuf<'_>) -> DecodeResult<Vec<Span>> {
    let n = d.count(2)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // Go truncates to 32 bits; so do we (only corrupt input differs).
        let offset = d.varint()? as i32;
        let length = u32::try_from(d.uvarint()?).map_err(|_| "span length overflows 32 bits")?;
        out.push(Span { offset, length });
    }
    Ok(out)
}

fn floats(d: &mut Decbuf<'_>) -> DecodeResult<Vec<f64>> {
    let n = d.count(8)?;
    (0..n).map(|_| d.be64_f64()).collect()
}

fn varints(d: &mut Decbuf<'_>) -> DecodeResult<Vec<i64>> {
    let n = d.count(1)?;
    (0..n).map(|_| d.varint()).collect()
}

/// Reads an integer histogram.
pub(crate) fn decode_histogram(d: &mut Decbuf<'_>) -> DecodeResult<Histogram> {
    let counter_reset_hint = hint_from_byte(d.byte()?);
    let schema = d.varint()? as i32;
    let zero_threshold = d.be64_f64()?;
    let zero_count = d.uvarint()?;
    let count = d.uvarint()?;
    let sum = d.be64_f64()?;
    let positive_spans = spans(d)?;
    let negative_spans = spans(d)?;
    let positive_deltas = varints(d)?;
    let negative_deltas = varints(d)?;
    let custom_values = if schema == CUSTOM_BUCKETS_SCHEMA {
        floats(d)?
    } else {
        Vec::new()
    };
    Ok(Histogram {
        counter_reset_hint,
        schema,
        zero_threshold,
        zero_count,
        count,
        sum,
        positive_spans,
        positive_deltas,
        negative_spans,
        negative_deltas,
        custom_values,
    })
}

/// Reads a float histogram.
pub(crate) fn decode_float_histogram(d: &mut Decbuf<'_>) -> DecodeResult<FloatHistogram> {
    let counter_reset_hint = hint_from_byte(d.byte()?);
    let schema = d.varint()? as i32;
    let zero_threshold = d.be64_f64()?;
    let zero_count = d.be64_f64()?;
    let count = d.be64_f64()?;
    let sum = d.be64_f64()?;
    let positive_spans = spans(d)?;
    let negative_spans = spans(d)?;
    let positive_buckets = floats(d)?;
    let negative_buckets = floats(d)?;
    let custom_values = if schema == CUSTOM_BUCKETS_SCHEMA {
        floats(d)?
    } else {
        Vec::new()
    };
    Ok(FloatHistogram {
        counter_reset_hint,
        schema,
        zero_threshold,
        zero_count,
        count,
        sum,
        positive_spans,
        positive_buckets,
        negative_spans,
        negative_buckets,
        custom_values,
    })
}
