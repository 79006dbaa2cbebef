//! Following a segment while the [`Writer`](super::Writer) still appends to it, as the
//! remote-write queues do.
//!
//! The writer hands whole `log` calls to the kernel, so a reader sees whole records followed
//! at most by one torn record that is still being written. [`SegmentTail::read`] returns the
//! whole records appended since its last call and stops before a torn one; only when the
//! writer has moved on to a later segment is a tail that still does not read a corruption.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::reader::Reader;
use super::{Corruption, SegmentRef, segment_path};
use crate::error::{Error, Result};

/// Bytes read from the file per [`SegmentTail::read`] call at most.
const MAX_READ: u64 = 16 << 20;

/// How a [`SegmentTail::read`] call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailEnd {
    /// Everything in the file was read; more may be appended.
    Caught,
    /// The file ends inside a record (still being written, or corrupt once the segment is
    /// complete); the next call tries again from the record's start.
    Torn(Corruption),
    /// The read stopped at the per-call limit; call again.
    More,
}

/// Incremental reader of one segment.
#[derive(Debug)]
pub struct SegmentTail {
    seg: SegmentRef,
    file: File,
    /// Offset just after the last whole record returned.
    offset: u64,
}

impl SegmentTail {
    /// Follows segment `index` of the WAL in `dir` from `offset`, which must be where a record
    /// starts (0, or an offset an earlier tail reported).
    pub fn open(dir: &Path, index: u64, offset: u64) -> Result<Self> {
        let path = segment_path(dir, index);
        let file = File::open(&path)
            .map_err(|e| Error::io(format!("opening WAL segment {}", path.display()), e))?;
        Ok(SegmentTail {
            seg: SegmentRef { index, path },
            file,
            offset,
        })
    }

    /// The segment's index.
    pub fn index(&self) -> u64 {
        self.seg.index
    }

    /// Offset just after the last whole record read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the records appended since the last call and hands each, with the offset where
    /// it starts, to `each`.
    pub fn read(&mut self, mut each: impl FnMut(u64, &[u8])) -> Result<TailEnd> {
        let context = || format!("reading WAL segment {}", self.seg.path.display());
        self.file
            .seek(SeekFrom::Start(self.offset))
            .map_err(|e| Error::io(context(), e))?;
        let mut data = Vec::new();
        (&mut self.file)
            .take(MAX_READ)
            .read_to_end(&mut data)
            .map_err(|e| Error::io(context(), e))?;
        let limited = data.len() as u64 == MAX_READ;
        let base = usize::try_from(self.offset).map_err(|_| {
            Error::corrupt(&self.seg.path, format!("offset {} too large", self.offset))
        })?;
        let mut reader = Reader::over_bytes(self.seg.clone(), base, data);
        loop {
            match reader.next_record_at() {
                Ok(Some((start, rec))) => each(start, rec),
                Ok(None) => {
                    self.offset = reader.offset() as u64;
                    return Ok(if limited {
                        TailEnd::More
                    } else {
                        TailEnd::Caught
                    });
                }
                Err(e) => {
                    return match reader.corruption() {
                        Some(_) if limited => Ok(TailEnd::More),
                        Some(c) => Ok(TailEnd::Torn(c.clone())),
                        None => Err(e),
                    };
                }
            }
            self.offset = reader.offset() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wlog::{Writer, WriterOptions};

    fn ok<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn follows_appends_across_pages_and_stops_before_a_torn_record() {
        let tmp = ok(tempfile::tempdir());
        let opts = WriterOptions {
            compress: false,
            ..WriterOptions::default()
        };
        let (mut w, _) = ok(Writer::open(tmp.path(), opts));
        let seg = w.current_segment();
        ok(w.log(&[b"one", b"two"]));
        let mut tail = ok(SegmentTail::open(tmp.path(), seg, 0));
        let mut got: Vec<(u64, Vec<u8>)> = Vec::new();
        assert_eq!(
            ok(tail.read(|o, r| got.push((o, r.to_vec())))),
            TailEnd::Caught
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (0, b"one".to_vec()));
        // A record larger than a page spans fragments; one of 40 KiB crosses into page 2.
        let big = vec![7u8; 40 * 1024];
        ok(w.log(&[&big, b"three"]));
        got.clear();
        assert_eq!(
            ok(tail.read(|o, r| got.push((o, r.to_vec())))),
            TailEnd::Caught
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, big);
        assert_eq!(got[1].1, b"three");
        let end = tail.offset();

        // A half-written record: nothing is returned and the offset stays put.
        let path = segment_path(tmp.path(), seg);
        let mut torn = vec![1u8, 0, 10];
        torn.extend_from_slice(&[0; 4]);
        torn.extend_from_slice(b"abc");
        let mut f = ok(std::fs::OpenOptions::new().append(true).open(&path));
        ok(std::io::Write::write_all(&mut f, &torn));
        got.clear();
        let r = ok(tail.read(|o, r| got.push((o, r.to_vec()))));
        assert!(matches!(r, TailEnd::Torn(_)), "{r:?}");
        assert!(got.is_empty());
        assert_eq!(tail.offset(), end);
    }

    #[test]
    fn resumes_from_a_reported_offset() {
        let tmp = ok(tempfile::tempdir());
        let (mut w, _) = ok(Writer::open(tmp.path(), WriterOptions::default()));
        let seg = w.current_segment();
        let recs: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("record {i}").repeat(100).into_bytes())
            .collect();
        let refs: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
        ok(w.log(&refs));
        let mut starts = Vec::new();
        let mut tail = ok(SegmentTail::open(tmp.path(), seg, 0));
        ok(tail.read(|o, _| starts.push(o)));
        assert_eq!(starts.len(), 50);
        let mut again = ok(SegmentTail::open(tmp.path(), seg, starts[30]));
        let mut got = Vec::new();
        ok(again.read(|_, r| got.push(r.to_vec())));
        assert_eq!(got, recs[30..]);
    }
}
