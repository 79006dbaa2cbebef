//! Chunk encodings, as Prometheus writes them in head chunks and blocks.
//!
//! A chunk is a compressed run of samples of one series. Its encoding byte tells readers how to
//! decode it; the values are those of Prometheus (`tsdb/chunkenc/chunk.go` upstream) so blocks
//! can be exchanged with Prometheus, Thanos and Mimir.

mod bstream;
mod float_histogram;
mod histogram;
mod histogram_meta;
mod varbit;
mod xor;

pub use bstream::{BitReader, BitWriter};
pub use float_histogram::{FloatHistogramAppend, FloatHistogramAppender, FloatHistogramIterator};
pub use histogram::{HistogramAppend, HistogramAppender, HistogramIterator};
pub use histogram_meta::{CounterResetHeader, Layout};
pub use xor::{XorAppender, XorChunk, XorIterator};

/// The encoding byte of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Encoding {
    /// Float samples, Gorilla-style XOR compression.
    Xor = 1,
    /// Native histograms with integer counts.
    Histogram = 2,
    /// Native histograms with float counts.
    FloatHistogram = 3,
}

impl Encoding {
    /// The encoding for a stored byte, if known.
    pub fn from_byte(b: u8) -> Option<Encoding> {
        match b {
            1 => Some(Encoding::Xor),
            2 => Some(Encoding::Histogram),
            3 => Some(Encoding::FloatHistogram),
            _ => None,
        }
    }

    /// The name Prometheus prints for the encoding.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Xor => "XOR",
            Encoding::Histogram => "histogram",
            Encoding::FloatHistogram => "floathistogram",
        }
    }
}

/// Samples per chunk at which the head cuts a new chunk (Prometheus's default target).
pub const SAMPLES_PER_CHUNK: usize = 120;

/// Bytes an XOR chunk may reach before the head cuts it, whatever its sample count
/// (Prometheus's `MaxBytesPerXORChunk`, less the largest sample).
pub const MAX_BYTES_PER_XOR_CHUNK: usize = 1024 - 19;

/// Bytes a histogram chunk aims for (Prometheus's `TargetBytesPerHistogramChunk`).
pub const TARGET_BYTES_PER_HISTOGRAM_CHUNK: usize = 1024;

/// Samples a histogram chunk holds at least before it is cut for size.
pub const MIN_SAMPLES_PER_HISTOGRAM_CHUNK: usize = 10;
