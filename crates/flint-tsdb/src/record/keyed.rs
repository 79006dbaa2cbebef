//! Records keyed by (series ref, timestamp): float samples and histogram samples, in the v1
//! layout (big-endian base, then varint deltas to it) and the v2 one (varints, deltas to the
//! previous ref and to the first time, start-timestamp markers).

use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;

use super::RecordType;
use super::RefSample;
use super::buf::{Decbuf, DecodeResult};
use super::decode::{body, corrupt};
use crate::error::Result;

/// Whether a histogram schema is one Prometheus knows: custom buckets, or exponential within
/// the reserved range -9..=52. Schemas above 8 are kept; reducing their resolution is the
/// head's business.
pub(super) fn is_known_schema(schema: i32) -> bool {
    schema == CUSTOM_BUCKETS_SCHEMA || (-9..=52).contains(&schema)
}

/// Drops (with a warning) the histograms from `start` on whose schema is unknown, as upstream.
pub(super) fn drop_unknown_schemas<T>(out: &mut Vec<T>, start: usize, schema: impl Fn(&T) -> i32) {
    if out[start..].iter().all(|h| is_known_schema(schema(h))) {
        return;
    }
    let mut index = 0;
    let before = out.len();
    out.retain(|h| {
        index += 1;
        index <= start || is_known_schema(schema(h))
    });
    let skipped = before - out.len();
    tracing::warn!(
        skipped,
        "Skipping histograms with unknown schema in WAL record."
    );
}

pub(super) fn base(d: &mut Decbuf<'_>) -> DecodeResult<(u64, i64)> {
    Ok((d.be64()?, d.be64_i64()?))
}

/// The start-timestamp marker of v2 records: 0 none, 1 same as previous, 2 explicit.
fn skip_st_marker(d: &mut Decbuf<'_>) -> DecodeResult<()> {
    match d.byte()? {
        0 | 1 => Ok(()),
        _ => d.varint().map(|_| ()),
    }
}

/// Decodes a samples record (v1 or v2). The hot path of replay: no allocation beyond `out`.
pub(crate) fn decode_samples(rec: &[u8], out: &mut Vec<RefSample>) -> Result<()> {
    let (typ, mut d) = body(rec, &[RecordType::Samples, RecordType::SamplesV2])?;
    if d.is_empty() {
        return Ok(());
    }
    out.reserve(d.len() / 10);
    let start = out.len();
    let res = if typ == RecordType::Samples {
        samples_v1(&mut d, out)
    } else {
        samples_v2(&mut d, out)
    };
    res.map_err(|e| corrupt(typ, out.len() - start, e))
}

fn samples_v1(d: &mut Decbuf<'_>, out: &mut Vec<RefSample>) -> DecodeResult<()> {
    let (base_r, base_t) = base(d)?;
    while !d.is_empty() {
        let r = base_r.wrapping_add(d.varint()? as u64);
        let t = base_t.wrapping_add(d.varint()?);
        let v = d.be64_f64()?;
        out.push(RefSample { r, t, v });
    }
    Ok(())
}

fn samples_v2(d: &mut Decbuf<'_>, out: &mut Vec<RefSample>) -> DecodeResult<()> {
    let mut r = d.varint()? as u64;
    let first_t = d.varint()?;
    d.varint()?; // First start timestamp.
    out.push(RefSample {
        r,
        t: first_t,
        v: d.be64_f64()?,
    });
    while !d.is_empty() {
        r = r.wrapping_add(d.varint()? as u64);
        let t = first_t.wrapping_add(d.varint()?);
        skip_st_marker(d)?;
        out.push(RefSample {
            r,
            t,
            v: d.be64_f64()?,
        });
    }
    Ok(())
}

/// Decodes the (ref, t) keys of histogram records, v1 (base + deltas) or v2 (first, then
/// deltas to the previous ref and to the first time, with start-timestamp markers).
pub(super) fn decode_keyed<T>(
    typ: RecordType,
    mut d: Decbuf<'_>,
    out: &mut Vec<T>,
    mut value: impl FnMut(&mut Decbuf<'_>, u64, i64) -> DecodeResult<T>,
) -> Result<()> {
    if d.is_empty() {
        return Ok(());
    }
    let v2 = matches!(
        typ,
        RecordType::HistogramSamplesV2 | RecordType::FloatHistogramSamplesV2
    );
    let start = out.len();
    let mut run = |d: &mut Decbuf<'_>, out: &mut Vec<T>| -> DecodeResult<()> {
        if v2 {
            let mut r = d.varint()? as u64;
            let first_t = d.varint()?;
            d.varint()?;
            out.push(value(d, r, first_t)?);
            while !d.is_empty() {
                r = r.wrapping_add(d.varint()? as u64);
                let t = first_t.wrapping_add(d.varint()?);
                skip_st_marker(d)?;
                out.push(value(d, r, t)?);
            }
        } else {
            let (base_r, base_t) = base(d)?;
            while !d.is_empty() {
                let r = base_r.wrapping_add(d.varint()? as u64);
                let t = base_t.wrapping_add(d.varint()?);
                out.push(value(d, r, t)?);
            }
        }
        Ok(())
    };
    run(&mut d, out).map_err(|e| corrupt(typ, out.len() - start, e))
}
