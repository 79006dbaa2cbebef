//! Sample iterator over a block series: decodes one chunk at a time, only chunks overlapping
//! the queried range, and drops samples outside it or deleted by tombstones.

use flint_model::{FloatHistogram, Histogram};
use flint_storage::{SampleIterator, StorageError, ValueType};

use super::querier::BlockSeries;
use crate::chunkenc::{Encoding, XorChunk};
use crate::error::Error;

pub(crate) struct BlockSeriesIterator<'a> {
    series: &'a BlockSeries,
    /// Index of the next chunk to decode.
    next_chunk: usize,
    /// Samples of the current chunk that survive trimming.
    buf: Vec<(i64, f64)>,
    /// Index in `buf` of the next sample.
    next: usize,
    cur: Option<(i64, f64)>,
    err: Option<StorageError>,
}

impl<'a> BlockSeriesIterator<'a> {
    pub(crate) fn new(series: &'a BlockSeries) -> Self {
        BlockSeriesIterator {
            series,
            next_chunk: 0,
            buf: Vec::new(),
            next: 0,
            cur: None,
            err: None,
        }
    }

    /// Decodes the next chunk that may hold samples `>= min_t`; false when none is left.
    fn load_chunk(&mut self, min_t: i64) -> bool {
        let s = self.series;
        while let Some(meta) = s.chunks.get(self.next_chunk) {
            self.next_chunk += 1;
            if meta.max_time < min_t {
                continue;
            }
            self.buf.clear();
            self.next = 0;
            if let Err(e) = self.decode(meta.chunk_ref) {
                let e = e.into();
                s.block.mark_if_corrupt(&e);
                self.err = Some(e);
                self.next_chunk = s.chunks.len();
                return false;
            }
            return true;
        }
        false
    }

    fn decode(&mut self, r: crate::chunks::ChunkRef) -> Result<(), Error> {
        let s = self.series;
        let (encoding, data) = s.block.chunks.chunk(r)?;
        if encoding != Encoding::Xor {
            return Err(Error::corrupt(
                s.block.dir.join("chunks"),
                format!(
                    "chunk {:#x}: {} chunks are not supported yet",
                    r.0,
                    encoding.name()
                ),
            ));
        }
        let chunk = XorChunk::from_bytes(data.to_vec())?;
        for sample in chunk.iter() {
            let sample = sample?;
            if sample.t < s.mint || sample.t > s.maxt {
                continue;
            }
            if s.deleted.iter().any(|iv| iv.contains(sample.t)) {
                continue;
            }
            self.buf.push((sample.t, sample.v));
        }
        Ok(())
    }
}

impl SampleIterator for BlockSeriesIterator<'_> {
    fn next(&mut self) -> ValueType {
        loop {
            if let Some(s) = self.buf.get(self.next) {
                self.cur = Some(*s);
                self.next += 1;
                return ValueType::Float;
            }
            if !self.load_chunk(i64::MIN) {
                self.cur = None;
                return ValueType::None;
            }
        }
    }

    fn seek(&mut self, t: i64) -> ValueType {
        if let Some((ct, _)) = self.cur
            && ct >= t
        {
            return ValueType::Float;
        }
        loop {
            let rest = self.buf.get(self.next..).unwrap_or_default();
            self.next += rest.partition_point(|s| s.0 < t);
            if let Some(s) = self.buf.get(self.next) {
                self.cur = Some(*s);
                self.next += 1;
                return ValueType::Float;
            }
            if !self.load_chunk(t) {
                self.cur = None;
                return ValueType::None;
            }
        }
    }

    fn at(&self) -> (i64, f64) {
        self.cur.unwrap_or((i64::MIN, f64::NAN))
    }

    fn at_histogram(&self) -> Option<(i64, &Histogram)> {
        None
    }

    fn at_float_histogram(&self) -> Option<(i64, FloatHistogram)> {
        None
    }

    fn at_t(&self) -> i64 {
        self.cur.map_or(i64::MIN, |c| c.0)
    }

    fn err(&self) -> Option<StorageError> {
        self.err.clone()
    }
}
