//! Encoders. Each appends one whole record to `buf` (clear it first to reuse it).

use flint_model::Labels;
use flint_model::histogram::CUSTOM_BUCKETS_SCHEMA;

use super::buf::{put_be64, put_str, put_uvarint, put_varint};
use super::histogram::{encode_float_histogram, encode_histogram};
use super::{
    RecordType, RefExemplar, RefFloatHistogramSample, RefHistogramSample, RefMetadata,
    RefMmapMarker, RefSample, RefSeries, RefTombstone,
};

pub(crate) fn put_labels(buf: &mut Vec<u8>, labels: &Labels) {
    put_uvarint(buf, labels.len() as u64);
    for l in labels {
        put_str(buf, &l.name);
        put_str(buf, &l.value);
    }
}

/// Appends a series record (type 1).
pub fn series(series: &[RefSeries], buf: &mut Vec<u8>) {
    buf.push(RecordType::Series as u8);
    for s in series {
        put_be64(buf, s.r);
        put_labels(buf, &s.labels);
    }
}

/// Appends a samples record (type 2), the format every Prometheus version reads.
pub fn samples(samples: &[RefSample], buf: &mut Vec<u8>) {
    buf.push(RecordType::Samples as u8);
    let Some(first) = samples.first() else {
        return;
    };
    buf.reserve(16 + samples.len() * 11);
    put_be64(buf, first.r);
    put_be64(buf, first.t as u64);
    for s in samples {
        put_varint(buf, s.r.wrapping_sub(first.r) as i64);
        put_varint(buf, s.t.wrapping_sub(first.t));
        put_be64(buf, s.v.to_bits());
    }
}

/// Appends a samples-v2 record (type 11) without start timestamps. Only Prometheus 3.x with
/// start-time storage reads these; Flint writes [`samples`].
pub fn samples_v2(samples: &[RefSample], buf: &mut Vec<u8>) {
    buf.push(RecordType::SamplesV2 as u8);
    let Some(first) = samples.first() else {
        return;
    };
    put_varint(buf, first.r as i64);
    put_varint(buf, first.t);
    put_varint(buf, 0);
    put_be64(buf, first.v.to_bits());
    for w in samples.windows(2) {
        put_varint(buf, w[1].r.wrapping_sub(w[0].r) as i64);
        put_varint(buf, w[1].t.wrapping_sub(first.t));
        buf.push(0); // No start timestamp.
        put_be64(buf, w[1].v.to_bits());
    }
}

/// Appends a tombstones record (type 3).
pub fn tombstones(stones: &[RefTombstone], buf: &mut Vec<u8>) {
    buf.push(RecordType::Tombstones as u8);
    for s in stones {
        put_be64(buf, s.r);
        put_varint(buf, s.mint);
        put_varint(buf, s.maxt);
    }
}

/// Appends an exemplars record (type 4).
pub fn exemplars(exemplars: &[RefExemplar], buf: &mut Vec<u8>) {
    buf.push(RecordType::Exemplars as u8);
    let Some(first) = exemplars.first() else {
        return;
    };
    put_be64(buf, first.r);
    put_be64(buf, first.t as u64);
    for e in exemplars {
        put_varint(buf, e.r.wrapping_sub(first.r) as i64);
        put_varint(buf, e.t.wrapping_sub(first.t));
        put_be64(buf, e.v.to_bits());
        put_labels(buf, &e.labels);
    }
}

/// Appends an mmap-markers record (type 5).
pub fn mmap_markers(markers: &[RefMmapMarker], buf: &mut Vec<u8>) {
    buf.push(RecordType::MmapMarkers as u8);
    for m in markers {
        put_be64(buf, m.r);
        put_be64(buf, m.mmap_ref);
    }
}

/// Appends a metadata record (type 6) with the `UNIT` and `HELP` fields.
pub fn metadata(metadata: &[RefMetadata], buf: &mut Vec<u8>) {
    buf.push(RecordType::Metadata as u8);
    for m in metadata {
        put_uvarint(buf, m.r);
        buf.push(m.meta.metric_type.code());
        put_uvarint(buf, 2);
        put_str(buf, "UNIT");
        put_str(buf, &m.meta.unit);
        put_str(buf, "HELP");
        put_str(buf, &m.meta.help);
    }
}

/// Appends the record of type `typ` holding the histograms `keep` selects, with the v1 layout.
/// Returns whether a record was written (nothing is written when none is selected).
fn histograms_v1<T>(
    typ: RecordType,
    all: &[T],
    keep: impl Fn(&T) -> bool,
    key: impl Fn(&T) -> (u64, i64),
    mut put: impl FnMut(&mut Vec<u8>, &T),
    buf: &mut Vec<u8>,
) -> bool {
    let mut selected = all.iter().filter(|h| keep(h)).peekable();
    let Some(first) = selected.peek() else {
        return false;
    };
    let (first_r, first_t) = key(first);
    buf.push(typ as u8);
    put_be64(buf, first_r);
    put_be64(buf, first_t as u64);
    for h in selected {
        let (r, t) = key(h);
        put_varint(buf, r.wrapping_sub(first_r) as i64);
        put_varint(buf, t.wrapping_sub(first_t));
        put(buf, h);
    }
    true
}

/// Appends a histogram record (type 7) with the histograms that use exponential buckets;
/// custom-bucket ones go to [`custom_buckets_histogram_samples`]. Returns whether a record was
/// written.
pub fn histogram_samples(hs: &[RefHistogramSample], buf: &mut Vec<u8>) -> bool {
    histograms_v1(
        RecordType::HistogramSamples,
        hs,
        |h| h.h.schema != CUSTOM_BUCKETS_SCHEMA,
        |h| (h.r, h.t),
        |b, h| encode_histogram(b, &h.h),
        buf,
    )
}

/// Appends a custom-bucket histogram record (type 9) with the histograms that use custom
/// buckets. Returns whether a record was written.
pub fn custom_buckets_histogram_samples(hs: &[RefHistogramSample], buf: &mut Vec<u8>) -> bool {
    histograms_v1(
        RecordType::CustomBucketsHistogramSamples,
        hs,
        |h| h.h.schema == CUSTOM_BUCKETS_SCHEMA,
        |h| (h.r, h.t),
        |b, h| encode_histogram(b, &h.h),
        buf,
    )
}

/// Appends a float histogram record (type 8) with the exponential-bucket histograms. Returns
/// whether a record was written.
pub fn float_histogram_samples(hs: &[RefFloatHistogramSample], buf: &mut Vec<u8>) -> bool {
    histograms_v1(
        RecordType::FloatHistogramSamples,
        hs,
        |h| h.fh.schema != CUSTOM_BUCKETS_SCHEMA,
        |h| (h.r, h.t),
        |b, h| encode_float_histogram(b, &h.fh),
        buf,
    )
}

/// Appends a custom-bucket float histogram record (type 10). Returns whether a record was
/// written.
pub fn custom_buckets_float_histogram_samples(
    hs: &[RefFloatHistogramSample],
    buf: &mut Vec<u8>,
) -> bool {
    histograms_v1(
        RecordType::CustomBucketsFloatHistogramSamples,
        hs,
        |h| h.fh.schema == CUSTOM_BUCKETS_SCHEMA,
        |h| (h.r, h.t),
        |b, h| encode_float_histogram(b, &h.fh),
        buf,
    )
}

/// Appends a min-valid-time record (type 14; checkpoints of Prometheus 3.x only).
pub fn min_valid_time(mint: i64, buf: &mut Vec<u8>) {
    buf.push(RecordType::MinValidTime as u8);
    put_be64(buf, mint as u64);
}
