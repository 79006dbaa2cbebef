//! Decoders. Each appends to a caller's vector so replay can reuse its buffers.

use std::collections::HashSet;
use std::sync::Arc;

use flint_model::{Labels, Metadata, MetricType};
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use super::buf::{Decbuf, DecodeResult};
use super::histogram::{decode_float_histogram, decode_histogram};
use super::keyed::{base, decode_keyed, decode_samples, drop_unknown_schemas};
use super::{
    Record, RecordType, RefExemplar, RefFloatHistogramSample, RefHistogramSample, RefMetadata,
    RefMmapMarker, RefSample, RefSeries, RefTombstone,
};
use crate::error::{Error, Result};

/// Above this many distinct strings the decoder stops interning new ones.
const MAX_INTERNED: usize = 4 << 20;

/// The type of a record, `None` for an empty record or an unknown type.
pub fn record_type(rec: &[u8]) -> Option<RecordType> {
    rec.first().copied().and_then(RecordType::from_byte)
}

/// Decodes records. Keeps an interner so that label names and values repeated across series
/// share one allocation (replay decodes millions of them).
#[derive(Debug, Default)]
pub struct Decoder {
    strings: HashSet<Arc<str>, Xxh3DefaultBuilder>,
}

pub(super) fn corrupt(typ: RecordType, after: usize, reason: &str) -> Error {
    Error::corrupt(
        "WAL record",
        format!("{typ:?} record: {reason} (after {after} entries)"),
    )
}

/// Checks the type byte, returning the type and the body.
pub(super) fn body<'a>(rec: &'a [u8], allowed: &[RecordType]) -> Result<(RecordType, Decbuf<'a>)> {
    let typ = record_type(rec);
    match typ {
        Some(t) if allowed.contains(&t) => Ok((t, Decbuf::new(&rec[1..]))),
        _ => Err(Error::corrupt(
            "WAL record",
            format!("record type {:?} is not one of {allowed:?}", rec.first()),
        )),
    }
}

/// Runs `each` until the body is consumed, mapping errors with the entry count.
fn each_entry<T>(
    typ: RecordType,
    mut d: Decbuf<'_>,
    out: &mut Vec<T>,
    mut each: impl FnMut(&mut Decbuf<'_>, &mut Vec<T>) -> DecodeResult<()>,
) -> Result<()> {
    let start = out.len();
    while !d.is_empty() {
        each(&mut d, out).map_err(|e| corrupt(typ, out.len() - start, e))?;
    }
    Ok(())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Decoder {
    /// A decoder with an empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, b: &[u8]) -> Arc<str> {
        let s = match std::str::from_utf8(b) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(b),
        };
        if let Some(found) = self.strings.get(&*s) {
            return found.clone();
        }
        let new: Arc<str> = Arc::from(&*s);
        if self.strings.len() < MAX_INTERNED {
            self.strings.insert(new.clone());
        }
        new
    }

    fn labels(&mut self, d: &mut Decbuf<'_>) -> DecodeResult<Labels> {
        let n = d.count(2)?;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.intern(d.uvarint_bytes()?);
            let value = self.intern(d.uvarint_bytes()?);
            pairs.push((name, value));
        }
        Ok(Labels::from_pairs(pairs))
    }

    /// Decodes any record.
    pub fn decode(&mut self, rec: &[u8]) -> Result<Record> {
        use RecordType as T;
        let Some(typ) = record_type(rec) else {
            return Ok(Record::Unknown(rec.first().copied()));
        };
        Ok(match typ {
            T::Series => Record::Series(self.collect(rec, Self::series)?),
            T::Samples | T::SamplesV2 => Record::Samples(self.collect(rec, Self::samples)?),
            T::Tombstones => Record::Tombstones(self.collect(rec, Self::tombstones)?),
            T::Exemplars => Record::Exemplars(self.collect(rec, Self::exemplars)?),
            T::MmapMarkers => Record::MmapMarkers(self.collect(rec, Self::mmap_markers)?),
            T::Metadata => Record::Metadata(self.collect(rec, Self::metadata)?),
            T::HistogramSamples | T::CustomBucketsHistogramSamples | T::HistogramSamplesV2 => {
                Record::HistogramSamples(self.collect(rec, Self::histogram_samples)?)
            }
            T::FloatHistogramSamples
            | T::CustomBucketsFloatHistogramSamples
            | T::FloatHistogramSamplesV2 => {
                Record::FloatHistogramSamples(self.collect(rec, Self::float_histogram_samples)?)
            }
            T::MinValidTime => Record::MinValidTime(self.min_valid_time(rec)?),
        })
    }

    fn collect<T>(
        &mut self,
        rec: &[u8],
        f: impl FnOnce(&mut Self, &[u8], &mut Vec<T>) -> Result<()>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        f(self, rec, &mut out)?;
        Ok(out)
    }

    /// Appends the series of a series record to `out`.
    pub fn series(&mut self, rec: &[u8], out: &mut Vec<RefSeries>) -> Result<()> {
        let (typ, d) = body(rec, &[RecordType::Series])?;
        each_entry(typ, d, out, |d, out| {
            let r = d.be64()?;
            let labels = self.labels(d)?;
            out.push(RefSeries { r, labels });
            Ok(())
        })
    }

    /// Appends the samples of a samples record (v1 or v2) to `out`.
    pub fn samples(&mut self, rec: &[u8], out: &mut Vec<RefSample>) -> Result<()> {
        decode_samples(rec, out)
    }

    /// Appends the intervals of a tombstones record to `out`.
    pub fn tombstones(&mut self, rec: &[u8], out: &mut Vec<RefTombstone>) -> Result<()> {
        let (typ, d) = body(rec, &[RecordType::Tombstones])?;
        each_entry(typ, d, out, |d, out| {
            let r = d.be64()?;
            let mint = d.varint()?;
            let maxt = d.varint()?;
            out.push(RefTombstone { r, mint, maxt });
            Ok(())
        })
    }

    /// Appends the exemplars of an exemplars record to `out`.
    pub fn exemplars(&mut self, rec: &[u8], out: &mut Vec<RefExemplar>) -> Result<()> {
        let (typ, mut d) = body(rec, &[RecordType::Exemplars])?;
        if d.is_empty() {
            return Ok(());
        }
        let (base_r, base_t) = base(&mut d).map_err(|e| corrupt(typ, 0, e))?;
        each_entry(typ, d, out, |d, out| {
            let r = base_r.wrapping_add(d.varint()? as u64);
            let t = base_t.wrapping_add(d.varint()?);
            let v = d.be64_f64()?;
            let labels = self.labels(d)?;
            out.push(RefExemplar { r, t, v, labels });
            Ok(())
        })
    }

    /// Appends the markers of an mmap-markers record to `out`.
    pub fn mmap_markers(&mut self, rec: &[u8], out: &mut Vec<RefMmapMarker>) -> Result<()> {
        let (typ, d) = body(rec, &[RecordType::MmapMarkers])?;
        each_entry(typ, d, out, |d, out| {
            let r = d.be64()?;
            let mmap_ref = d.be64()?;
            out.push(RefMmapMarker { r, mmap_ref });
            Ok(())
        })
    }

    /// Appends the entries of a metadata record to `out`. Fields other than `UNIT` and `HELP`
    /// are skipped, as upstream does.
    pub fn metadata(&mut self, rec: &[u8], out: &mut Vec<RefMetadata>) -> Result<()> {
        let (typ, d) = body(rec, &[RecordType::Metadata])?;
        each_entry(typ, d, out, |d, out| {
            let r = d.uvarint()?;
            let metric_type = MetricType::from_code(i64::from(d.byte()?));
            let fields = d.count(2)?;
            let mut meta = Metadata {
                metric_type,
                ..Metadata::default()
            };
            for _ in 0..fields {
                let name = d.uvarint_bytes()?;
                let value = d.uvarint_bytes()?;
                match name {
                    b"UNIT" => meta.unit = lossy(value),
                    b"HELP" => meta.help = lossy(value),
                    _ => {}
                }
            }
            out.push(RefMetadata { r, meta });
            Ok(())
        })
    }

    /// Appends the samples of an integer-histogram record (types 7, 9, 12) to `out`.
    pub fn histogram_samples(
        &mut self,
        rec: &[u8],
        out: &mut Vec<RefHistogramSample>,
    ) -> Result<()> {
        use RecordType as T;
        let allowed = [
            T::HistogramSamples,
            T::CustomBucketsHistogramSamples,
            T::HistogramSamplesV2,
        ];
        let (typ, d) = body(rec, &allowed)?;
        let start = out.len();
        decode_keyed(typ, d, out, |d, r, t| {
            Ok(RefHistogramSample {
                r,
                t,
                h: decode_histogram(d)?,
            })
        })?;
        drop_unknown_schemas(out, start, |h| h.h.schema);
        Ok(())
    }

    /// Appends the samples of a float-histogram record (types 8, 10, 13) to `out`.
    pub fn float_histogram_samples(
        &mut self,
        rec: &[u8],
        out: &mut Vec<RefFloatHistogramSample>,
    ) -> Result<()> {
        use RecordType as T;
        let allowed = [
            T::FloatHistogramSamples,
            T::CustomBucketsFloatHistogramSamples,
            T::FloatHistogramSamplesV2,
        ];
        let (typ, d) = body(rec, &allowed)?;
        let start = out.len();
        decode_keyed(typ, d, out, |d, r, t| {
            Ok(RefFloatHistogramSample {
                r,
                t,
                fh: decode_float_histogram(d)?,
            })
        })?;
        drop_unknown_schemas(out, start, |h| h.fh.schema);
        Ok(())
    }

    /// The time of a min-valid-time record.
    pub fn min_valid_time(&mut self, rec: &[u8]) -> Result<i64> {
        let (typ, mut d) = body(rec, &[RecordType::MinValidTime])?;
        let t = d.be64_i64().map_err(|e| corrupt(typ, 0, e))?;
        if !d.is_empty() {
            return Err(corrupt(typ, 1, "unexpected bytes after the time"));
        }
        Ok(t)
    }
}
