//! Reading whole records back from a sequence of segments.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::{
    Corruption, FRAG_FIRST, FRAG_FULL, FRAG_LAST, FRAG_MIDDLE, FRAG_PAGE_TERM, HEADER_SIZE,
    PAGE_SIZE, SNAPPY_MASK, SegmentRef, TYPE_MASK, ZSTD_MASK, checkpoint, list_segments,
};
use crate::error::{Error, Result};

/// Reads records from segments, in order. Each segment is read into memory whole, so a record
/// stored in one uncompressed fragment is returned without copying.
#[derive(Debug)]
pub struct Reader {
    segments: Vec<SegmentRef>,
    /// Position in `segments` of the segment in `data`, if one is loaded.
    current: Option<usize>,
    next: usize,
    data: Vec<u8>,
    /// Offset in the segment of `data[0]` (non-zero only when tailing a live segment).
    base: usize,
    pos: usize,
    /// Directory of the loaded segment and start offset of the last record returned.
    dir: Arc<Path>,
    last_start: usize,
    rec: Vec<u8>,
    compressed: Vec<u8>,
    snappy: snap::raw::Decoder,
    corruption: Option<Corruption>,
    failed: Option<Error>,
    /// Return snappy-compressed records compressed (for decompression on worker threads).
    defer_snappy: bool,
}

/// Where the record just read lies.
enum Out {
    Slice(usize, usize),
    Assembled,
    /// Only with `defer_snappy`: a snappy-compressed record left in `compressed`.
    Compressed,
}

enum Fragment {
    End,
    Data {
        typ: u8,
        snappy: bool,
        start: usize,
        end: usize,
    },
}

impl Reader {
    /// A reader over `segments`, read in the given order.
    pub fn new(segments: Vec<SegmentRef>) -> Self {
        Reader {
            segments,
            current: None,
            next: 0,
            data: Vec::new(),
            base: 0,
            pos: 0,
            dir: Arc::from(Path::new("")),
            last_start: 0,
            rec: Vec::new(),
            compressed: Vec::new(),
            snappy: snap::raw::Decoder::new(),
            corruption: None,
            failed: None,
            defer_snappy: false,
        }
    }

    /// A reader over `data`, the bytes of `seg` from offset `base` on (for following a
    /// segment that is still being written; `base` is where a record starts).
    pub(crate) fn over_bytes(seg: SegmentRef, base: usize, data: Vec<u8>) -> Self {
        let dir = seg.path.parent().unwrap_or(Path::new("")).into();
        let mut r = Reader::new(vec![seg]);
        r.data = data;
        r.base = base;
        r.dir = dir;
        r.current = Some(0);
        r.next = 1;
        r
    }

    /// A reader over every segment of `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        Ok(Reader::new(list_segments(dir)?))
    }

    /// The reader replay uses: the segments of the last checkpoint of `wal_dir` (if any), then
    /// the WAL segments after that checkpoint. Also returns the checkpoint's index.
    pub fn from_last_checkpoint(wal_dir: &Path) -> Result<(Self, Option<u64>)> {
        let mut segments = Vec::new();
        let cp = checkpoint::last_checkpoint(wal_dir)?;
        if let Some((dir, _)) = &cp {
            segments = list_segments(dir)?;
        }
        let cp_index = cp.map(|(_, i)| i);
        segments.extend(
            list_segments(wal_dir)?
                .into_iter()
                .filter(|s| cp_index.is_none_or(|i| s.index > i)),
        );
        Ok((Reader::new(segments), cp_index))
    }

    /// The segment being read.
    pub fn segment(&self) -> Option<&SegmentRef> {
        self.current.and_then(|c| self.segments.get(c))
    }

    /// Offset in the current segment of the next byte to read.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Where the WAL is corrupt, once a read failed because of a corruption (the caller passes
    /// it to [`Writer::repair`](super::Writer::repair)). `None` for I/O errors and for records
    /// Flint cannot read but that are not corrupt (zstd compression).
    pub fn corruption(&self) -> Option<&Corruption> {
        self.corruption.as_ref()
    }

    /// The next record, `None` at the end of the last segment. After an error, every call
    /// returns that error.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        Ok(self.next_record_at()?.map(|(_, rec)| rec))
    }

    /// Like [`Reader::next_record`], with the offset where the record starts.
    pub(crate) fn next_record_at(&mut self) -> Result<Option<(u64, &[u8])>> {
        self.defer_snappy = false;
        let out = self.step()?;
        let start = (self.base + self.last_start) as u64;
        Ok(match out {
            Some(Out::Slice(a, b)) => Some((start, &self.data[a..b])),
            Some(Out::Assembled | Out::Compressed) => Some((start, &self.rec)),
            None => None,
        })
    }

    /// The next record as an owned buffer (moved out rather than copied when it had to be
    /// assembled or decompressed), and whether it is still snappy-compressed (only when
    /// `defer_snappy`).
    fn next_owned(&mut self, defer_snappy: bool) -> Result<Option<(Vec<u8>, bool)>> {
        self.defer_snappy = defer_snappy;
        Ok(match self.step()? {
            Some(Out::Slice(a, b)) => Some((self.data[a..b].to_vec(), false)),
            Some(Out::Assembled) => Some((std::mem::take(&mut self.rec), false)),
            Some(Out::Compressed) => Some((std::mem::take(&mut self.compressed), true)),
            None => None,
        })
    }

    fn step(&mut self) -> Result<Option<Out>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.advance()
            .inspect_err(|e| self.failed = Some(e.clone()))
    }

    /// Turns the reader into an iterator of owned records (stopping after the first error).
    pub fn records(self) -> Records {
        Records {
            reader: self,
            decode_corruption: None,
        }
    }

    fn advance(&mut self) -> Result<Option<Out>> {
        loop {
            if self.current.is_none() && !self.load_next()? {
                return Ok(None);
            }
            match self.read_record()? {
                Some(out) => return Ok(Some(out)),
                None => self.current = None,
            }
        }
    }

    fn load_next(&mut self) -> Result<bool> {
        let Some(seg) = self.segments.get(self.next) else {
            return Ok(false);
        };
        let context = || format!("reading WAL segment {}", seg.path.display());
        let mut file = std::fs::File::open(&seg.path).map_err(|e| Error::io(context(), e))?;
        self.data.clear();
        file.read_to_end(&mut self.data)
            .map_err(|e| Error::io(context(), e))?;
        let dir = seg.path.parent().unwrap_or(Path::new(""));
        if *self.dir != *dir {
            self.dir = Arc::from(dir);
        }
        self.current = Some(self.next);
        self.next += 1;
        self.base = 0;
        self.pos = 0;
        Ok(true)
    }

    fn corrupt(&mut self, offset: usize, reason: impl Into<String>) -> Error {
        let c = Corruption {
            dir: self.dir.to_path_buf(),
            segment: self.segment().map_or(0, |s| s.index),
            offset: (self.base + offset) as u64,
            reason: reason.into(),
        };
        let err = c.to_error();
        self.corruption = Some(c);
        err
    }

    /// Where the last record returned starts: a record that reads whole but does not decode
    /// is a corruption there ([`RecordPosition::corruption`]), as upstream treats it.
    pub fn position(&self) -> Option<RecordPosition> {
        let segment = self.segment()?.index;
        Some(RecordPosition {
            dir: self.dir.clone(),
            segment,
            offset: (self.base + self.last_start) as u64,
        })
    }

    /// Reads one record of the current segment; `None` at its end.
    fn read_record(&mut self) -> Result<Option<Out>> {
        let start = self.pos;
        let mut fragments = 0usize;
        let mut record_snappy = false;
        self.rec.clear();
        self.compressed.clear();
        loop {
            let (typ, snappy, a, b) = match self.fragment(start)? {
                Fragment::End if fragments == 0 => return Ok(None),
                Fragment::End => return Err(self.corrupt(start, "last record is torn")),
                Fragment::Data {
                    typ,
                    snappy,
                    start,
                    end,
                } => (typ, snappy, start, end),
            };
            let expected_first = matches!(typ, FRAG_FULL | FRAG_FIRST);
            if !matches!(typ, FRAG_FULL | FRAG_FIRST | FRAG_MIDDLE | FRAG_LAST) {
                return Err(self.corrupt(start, format!("invalid fragment type {typ}")));
            }
            if expected_first != (fragments == 0) {
                return Err(self.corrupt(start, format!("unexpected fragment type {typ}")));
            }
            if fragments == 0 {
                record_snappy = snappy;
            } else if snappy != record_snappy {
                return Err(self.corrupt(start, "compression flag changes inside a record"));
            }
            if fragments == 0 {
                self.last_start = a - HEADER_SIZE;
            }
            if typ == FRAG_FULL && !snappy {
                return Ok(Some(Out::Slice(a, b)));
            }
            let dest = if snappy {
                &mut self.compressed
            } else {
                &mut self.rec
            };
            dest.extend_from_slice(&self.data[a..b]);
            fragments += 1;
            if matches!(typ, FRAG_FULL | FRAG_LAST) {
                if snappy && self.defer_snappy {
                    return Ok(Some(Out::Compressed));
                }
                if snappy {
                    self.decompress(start)?;
                }
                return Ok(Some(Out::Assembled));
            }
        }
    }

    fn decompress(&mut self, start: usize) -> Result<()> {
        match snappy_decompress(&mut self.snappy, &self.compressed, &mut self.rec) {
            Ok(()) => Ok(()),
            Err(reason) => Err(self.corrupt(start, reason)),
        }
    }

    /// The next fragment of the current segment, skipping page padding.
    fn fragment(&mut self, record_start: usize) -> Result<Fragment> {
        loop {
            let len = self.data.len();
            let Some(&header) = self.data.get(self.pos) else {
                return Ok(Fragment::End);
            };
            let page_left = PAGE_SIZE - (self.base + self.pos) % PAGE_SIZE;
            if header & TYPE_MASK == FRAG_PAGE_TERM {
                // The rest of the page must be zeros (a short segment counts as padded).
                let end = (self.pos + page_left).min(len);
                if self.data[self.pos + 1..end].iter().any(|&b| b != 0) {
                    return Err(self.corrupt(self.pos, "unexpected non-zero byte in padded page"));
                }
                self.pos = end;
                continue;
            }
            return self.data_fragment(record_start, header, page_left);
        }
    }

    fn data_fragment(
        &mut self,
        record_start: usize,
        header: u8,
        page_left: usize,
    ) -> Result<Fragment> {
        let pos = self.pos;
        if page_left < HEADER_SIZE {
            return Err(self.corrupt(record_start, "fragment header crosses a page boundary"));
        }
        let Some(h) = self.data.get(pos..pos + HEADER_SIZE) else {
            return Err(self.corrupt(record_start, "torn fragment header"));
        };
        let length = usize::from(u16::from_be_bytes([h[1], h[2]]));
        let crc = u32::from_be_bytes([h[3], h[4], h[5], h[6]]);
        if HEADER_SIZE + length > page_left {
            let reason = format!("fragment of {length} bytes crosses a page boundary");
            return Err(self.corrupt(record_start, reason));
        }
        let (start, end) = (pos + HEADER_SIZE, pos + HEADER_SIZE + length);
        let Some(data) = self.data.get(start..end) else {
            return Err(self.corrupt(record_start, "torn fragment"));
        };
        let actual = crc32c::crc32c(data);
        if actual != crc {
            let reason = format!("unexpected checksum {actual:08x}, expected {crc:08x}");
            return Err(self.corrupt(record_start, reason));
        }
        // Checked after the CRC, so that garbage counts as corruption (and is repaired).
        if header & ZSTD_MASK != 0 {
            let seg = self.segment().map(|s| s.path.clone()).unwrap_or_default();
            return Err(Error::corrupt(
                seg,
                format!(
                    "at offset {}: zstd-compressed WAL records are not supported by Flint",
                    self.base + pos
                ),
            ));
        }
        self.pos = end;
        Ok(Fragment::Data {
            typ: header & TYPE_MASK,
            snappy: header & SNAPPY_MASK != 0,
            start,
            end,
        })
    }
}

/// Decompresses a snappy block into `dst` (replacing its contents).
pub(crate) fn snappy_decompress(
    decoder: &mut snap::raw::Decoder,
    src: &[u8],
    dst: &mut Vec<u8>,
) -> Result<(), String> {
    let len = snap::raw::decompress_len(src).map_err(|e| format!("snappy: {e}"))?;
    // Snappy expands at most ~21 times; a larger claim is corrupt (and must not allocate).
    if len > src.len().saturating_mul(32) + 64 {
        return Err(format!("snappy length {len} is implausible"));
    }
    dst.clear();
    dst.resize(len, 0);
    decoder
        .decompress(src, dst)
        .map(|_| ())
        .map_err(|e| format!("snappy: {e}"))
}

/// The position of a record: its segment and the offset of its first fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPosition {
    /// The directory of the segment (a WAL or a checkpoint).
    pub dir: Arc<Path>,
    /// The segment's index.
    pub segment: u64,
    /// Offset of the record's first fragment header.
    pub offset: u64,
}

impl RecordPosition {
    /// A corruption of the record at this position (for [`Writer::repair`](super::Writer::repair)).
    pub fn corruption(&self, reason: impl Into<String>) -> Corruption {
        Corruption {
            dir: self.dir.to_path_buf(),
            segment: self.segment,
            offset: self.offset,
            reason: reason.into(),
        }
    }
}

/// Owned records of a [`Reader`] with their positions; yields the first error, then ends.
#[derive(Debug)]
pub struct Records {
    reader: Reader,
    decode_corruption: Option<Corruption>,
}

impl Records {
    /// The underlying reader.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// The corruption that stopped reading or decoding, if that is what stopped it.
    pub fn corruption(&self) -> Option<&Corruption> {
        self.reader.corruption().or(self.decode_corruption.as_ref())
    }

    /// Like `next`, but snappy-compressed records come compressed (flag `true`), so that
    /// workers can decompress them in parallel.
    pub(crate) fn next_raw(&mut self) -> Option<Result<(RecordPosition, Vec<u8>, bool)>> {
        if self.reader.failed.is_some() {
            return None;
        }
        match self.reader.next_owned(true) {
            Ok(Some((rec, snappy))) => self.reader.position().map(|p| Ok((p, rec, snappy))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Records a record that read whole but did not decode.
    pub(crate) fn set_decode_corruption(&mut self, c: Corruption) {
        self.decode_corruption = Some(c);
    }
}

impl Iterator for Records {
    type Item = Result<(RecordPosition, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.reader.failed.is_some() {
            return None;
        }
        match self.reader.next_owned(false) {
            Ok(Some((rec, _))) => self.reader.position().map(|p| Ok((p, rec))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
