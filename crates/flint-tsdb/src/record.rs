//! WAL record encoding, byte for byte as Prometheus's `tsdb/record` package.
//!
//! A record is one byte of [`RecordType`] followed by a type-specific body. Integers are
//! big-endian fixed width (`<8b>`), unsigned LEB128 (`uvarint`) or zig-zag LEB128 (`varint`);
//! strings are a uvarint length and the bytes. The bodies:
//!
//! | type | body |
//! |---|---|
//! | 1 series | per series: `ref <8b>`, labels (`n <uvarint>`, then `n` × name, value strings) |
//! | 2 samples | `base_ref <8b>`, `base_t <8b>`, per sample: `ref - base_ref <varint>`, `t - base_t <varint>`, `v <8b>` |
//! | 3 tombstones | per interval: `ref <8b>`, `mint <varint>`, `maxt <varint>` |
//! | 4 exemplars | as samples, each followed by the exemplar's labels |
//! | 5 mmap markers | per series: `ref <8b>`, `chunk_ref <8b>` |
//! | 6 metadata | per series: `ref <uvarint>`, `type <1b>`, `n <uvarint>` fields (`UNIT`, `HELP`, …) as string pairs |
//! | 7 / 9 histograms | as samples, each followed by an integer histogram (9: custom buckets) |
//! | 8 / 10 float histograms | as samples, each followed by a float histogram (10: custom buckets) |
//! | 11 samples v2 | `ref`, `t`, `st` as varints, `v <8b>`; then `ref - prev_ref`, `t - first_t` varints, an ST marker, `v <8b>` |
//! | 12 / 13 histograms v2 | as samples v2, the value being an integer / float histogram |
//! | 14 min valid time | `mint <8b>` (checkpoints only) |
//!
//! Decoding never panics on corrupt input and returns [`Error::Corrupt`](crate::Error::Corrupt).
//! Records of an unknown type decode to [`Record::Unknown`]. Flint does not store start
//! timestamps (ST) yet: v2 records are decoded and their start timestamps dropped; Flint writes
//! the v1 types, as Prometheus does by default.

mod buf;
mod decode;
mod encode;
mod histogram;
mod keyed;
mod parallel;

use flint_model::{FloatHistogram, Histogram, Labels, Metadata};

pub use decode::{Decoder, record_type};
pub use encode::{
    custom_buckets_float_histogram_samples, custom_buckets_histogram_samples, exemplars,
    float_histogram_samples, histogram_samples, metadata, min_valid_time, mmap_markers, samples,
    samples_v2, series, tombstones,
};
pub use parallel::{SampleFilter, decode_filtered, decode_parallel, decode_parallel_at};

/// The type byte that starts every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RecordType {
    /// Series with their labels.
    Series = 1,
    /// Float samples.
    Samples = 2,
    /// Deleted time ranges.
    Tombstones = 3,
    /// Exemplars.
    Exemplars = 4,
    /// Markers that a series' samples up to now were m-mapped (out-of-order WBL).
    MmapMarkers = 5,
    /// Metric metadata.
    Metadata = 6,
    /// Integer native histograms with exponential buckets.
    HistogramSamples = 7,
    /// Float native histograms with exponential buckets.
    FloatHistogramSamples = 8,
    /// Integer native histograms with custom buckets.
    CustomBucketsHistogramSamples = 9,
    /// Float native histograms with custom buckets.
    CustomBucketsFloatHistogramSamples = 10,
    /// Float samples with start timestamps.
    SamplesV2 = 11,
    /// Integer histograms with start timestamps.
    HistogramSamplesV2 = 12,
    /// Float histograms with start timestamps.
    FloatHistogramSamplesV2 = 13,
    /// The minimum valid time a WAL truncation used (checkpoints only).
    MinValidTime = 14,
}

impl RecordType {
    /// The type for a record's first byte, `None` when unknown.
    pub fn from_byte(b: u8) -> Option<Self> {
        use RecordType::*;
        Some(match b {
            1 => Series,
            2 => Samples,
            3 => Tombstones,
            4 => Exemplars,
            5 => MmapMarkers,
            6 => Metadata,
            7 => HistogramSamples,
            8 => FloatHistogramSamples,
            9 => CustomBucketsHistogramSamples,
            10 => CustomBucketsFloatHistogramSamples,
            11 => SamplesV2,
            12 => HistogramSamplesV2,
            13 => FloatHistogramSamplesV2,
            14 => MinValidTime,
            _ => return None,
        })
    }
}

/// A series reference and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSeries {
    /// The head's series reference.
    pub r: u64,
    /// The series' labels.
    pub labels: Labels,
}

/// A float sample of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefSample {
    /// The head's series reference.
    pub r: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A deleted interval `[mint, maxt]` of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefTombstone {
    /// The head's series reference.
    pub r: u64,
    /// First deleted timestamp.
    pub mint: i64,
    /// Last deleted timestamp.
    pub maxt: i64,
}

/// An exemplar of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RefExemplar {
    /// The head's series reference.
    pub r: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
    /// The exemplar's own labels.
    pub labels: Labels,
}

/// Marks that a series' samples up to now are in the m-mapped chunk `mmap_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefMmapMarker {
    /// The head's series reference.
    pub r: u64,
    /// The head-chunk reference.
    pub mmap_ref: u64,
}

/// Metadata of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefMetadata {
    /// The head's series reference.
    pub r: u64,
    /// Type, unit and help.
    pub meta: Metadata,
}

/// An integer native-histogram sample.
#[derive(Debug, Clone, PartialEq)]
pub struct RefHistogramSample {
    /// The head's series reference.
    pub r: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The histogram.
    pub h: Histogram,
}

/// A float native-histogram sample.
#[derive(Debug, Clone, PartialEq)]
pub struct RefFloatHistogramSample {
    /// The head's series reference.
    pub r: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The histogram.
    pub fh: FloatHistogram,
}

/// One decoded record.
///
/// Custom-bucket and v2 histogram records decode to the same variants as the plain ones (the
/// schema tells custom buckets apart); v2 sample records decode to [`Record::Samples`].
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Types 1.
    Series(Vec<RefSeries>),
    /// Types 2 and 11.
    Samples(Vec<RefSample>),
    /// Type 3.
    Tombstones(Vec<RefTombstone>),
    /// Type 4.
    Exemplars(Vec<RefExemplar>),
    /// Type 5.
    MmapMarkers(Vec<RefMmapMarker>),
    /// Type 6.
    Metadata(Vec<RefMetadata>),
    /// Types 7, 9 and 12.
    HistogramSamples(Vec<RefHistogramSample>),
    /// Types 8, 10 and 13.
    FloatHistogramSamples(Vec<RefFloatHistogramSample>),
    /// Type 14.
    MinValidTime(i64),
    /// A type this version does not know (the first byte, or `None` for an empty record).
    Unknown(Option<u8>),
}
