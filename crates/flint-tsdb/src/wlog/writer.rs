//! Appending records to the WAL.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use super::repair::{Repair, check_last_segment, repair};
use super::{
    Corruption, DEFAULT_SEGMENT_SIZE, FRAG_FIRST, FRAG_FULL, FRAG_LAST, FRAG_MIDDLE, HEADER_SIZE,
    PAGE_SIZE, SNAPPY_MASK, list_segments, segment_path,
};
use crate::error::{Error, Result};

/// How a [`Writer`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// Maximum size of a segment; a multiple of the 32 KiB page size. A record larger than a
    /// whole segment gets a segment of its own that is larger.
    pub segment_size: usize,
    /// Snappy-compress records (Prometheus's default). A record is stored uncompressed when
    /// compression would not make it smaller.
    pub compress: bool,
    /// fsync after every [`Writer::log`] call instead of only on segment completion.
    pub sync_every_commit: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            segment_size: DEFAULT_SEGMENT_SIZE,
            compress: true,
            sync_every_commit: false,
        }
    }
}

/// Appends records to a WAL directory. Single writer: callers serialize `log` calls.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    opts: WriterOptions,
    file: Option<File>,
    segment: u64,
    /// Complete pages in the current segment.
    done_pages: usize,
    page: Box<[u8; PAGE_SIZE]>,
    /// Bytes of `page` in use / already written to the file.
    alloc: usize,
    flushed: usize,
    snappy: snap::raw::Encoder,
    compressed: Vec<u8>,
    /// fsync-and-close of the previous segment, running in the background.
    pending_sync: Option<JoinHandle<std::io::Result<()>>>,
}

fn create_segment(dir: &Path, index: u64) -> Result<File> {
    let path = segment_path(dir, index);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(format!("creating WAL segment {}", path.display()), e))
}

fn closed_error(segment: u64) -> Error {
    Error::io(
        format!("WAL segment {segment:08} is closed"),
        std::io::Error::other("writer closed"),
    )
}

impl Writer {
    /// Opens (creating it if needed) the WAL in `dir` and starts a new segment after the
    /// existing ones, as Prometheus does on restart. The last existing segment is read first;
    /// a torn tail or a corrupt record there is cut off (see [`repair`]) and reported, so the
    /// caller can count `prometheus_tsdb_wal_corruptions_total`.
    pub fn open(dir: &Path, opts: WriterOptions) -> Result<(Writer, Option<Repair>)> {
        if opts.segment_size == 0 || !opts.segment_size.is_multiple_of(PAGE_SIZE) {
            return Err(Error::corrupt(
                dir,
                format!("invalid WAL segment size {}", opts.segment_size),
            ));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating WAL directory {}", dir.display()), e))?;
        let segs = list_segments(dir)?;
        let repaired = check_last_segment(dir, segs.last())?;
        let next = segs.last().map_or(0, |s| s.index + 1);
        let mut w = Writer {
            dir: dir.to_path_buf(),
            opts,
            file: None,
            segment: next,
            done_pages: 0,
            page: Box::new([0; PAGE_SIZE]),
            alloc: 0,
            flushed: 0,
            snappy: snap::raw::Encoder::new(),
            compressed: Vec::new(),
            pending_sync: None,
        };
        w.file = Some(create_segment(dir, next)?);
        Ok((w, repaired))
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index of the segment being written.
    pub fn current_segment(&self) -> u64 {
        self.segment
    }

    /// The options in use.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    /// Appends `recs`, in order, then hands the bytes to the kernel (and fsyncs with
    /// [`WriterOptions::sync_every_commit`]).
    pub fn log(&mut self, recs: &[&[u8]]) -> Result<()> {
        for rec in recs {
            self.log_one(rec)?;
        }
        if self.alloc > self.flushed {
            self.flush_page(false)?;
        }
        if self.opts.sync_every_commit {
            self.sync()?;
        }
        Ok(())
    }

    fn log_one(&mut self, rec: &[u8]) -> Result<()> {
        if PAGE_SIZE - self.alloc < HEADER_SIZE {
            self.flush_page(true)?;
        }
        let mut compressed = std::mem::take(&mut self.compressed);
        let mut data = rec;
        let mut flag = 0;
        if self.opts.compress && !rec.is_empty() {
            compressed.resize(snap::raw::max_compress_len(rec.len()), 0);
            if let Ok(n) = self.snappy.compress(rec, &mut compressed)
                && n < rec.len()
            {
                data = &compressed[..n];
                flag = SNAPPY_MASK;
            }
        }
        let res = self.write_fragments(data, flag);
        self.compressed = compressed;
        res
    }

    /// Free space for record data left in the current segment.
    fn space_left(&self) -> i64 {
        let pages = self.opts.segment_size / PAGE_SIZE;
        let in_page = (PAGE_SIZE - self.alloc) as i64 - HEADER_SIZE as i64;
        let free_pages = pages as i64 - self.done_pages as i64 - 1;
        in_page + free_pages * (PAGE_SIZE - HEADER_SIZE) as i64
    }

    fn write_fragments(&mut self, mut data: &[u8], flag: u8) -> Result<()> {
        if data.len() as i64 > self.space_left() {
            self.next_segment()?;
        }
        let mut first = true;
        // One pass at least, so that an empty record is written too.
        while first || !data.is_empty() {
            let room = PAGE_SIZE - self.alloc - HEADER_SIZE;
            let (part, rest) = data.split_at(data.len().min(room));
            let typ = match (first, rest.is_empty()) {
                (true, true) => FRAG_FULL,
                (true, false) => FRAG_FIRST,
                (false, true) => FRAG_LAST,
                (false, false) => FRAG_MIDDLE,
            };
            let at = self.alloc;
            self.page[at] = typ | flag;
            // `part` is at most a page long, so its length fits 16 bits.
            self.page[at + 1..at + 3].copy_from_slice(&(part.len() as u16).to_be_bytes());
            self.page[at + 3..at + 7].copy_from_slice(&crc32c::crc32c(part).to_be_bytes());
            self.page[at + HEADER_SIZE..at + HEADER_SIZE + part.len()].copy_from_slice(part);
            self.alloc += HEADER_SIZE + part.len();
            if PAGE_SIZE - self.alloc < HEADER_SIZE {
                self.flush_page(true)?;
            }
            data = rest;
            first = false;
        }
        Ok(())
    }

    fn file(&mut self) -> Result<&mut File> {
        let seg = self.segment;
        self.file.as_mut().ok_or_else(|| closed_error(seg))
    }

    /// Writes the unwritten part of the page; with `clear`, pads it with zeros to its end and
    /// starts a new page.
    fn flush_page(&mut self, clear: bool) -> Result<()> {
        if clear {
            self.alloc = PAGE_SIZE; // The page's tail is already zeros.
        }
        let (from, to, seg) = (self.flushed, self.alloc, self.segment);
        let file = self.file.as_mut().ok_or_else(|| closed_error(seg))?;
        file.write_all(&self.page[from..to])
            .map_err(|e| Error::io(format!("writing WAL segment {seg:08}"), e))?;
        self.flushed = to;
        if clear {
            self.page.fill(0);
            self.alloc = 0;
            self.flushed = 0;
            self.done_pages += 1;
        }
        Ok(())
    }

    /// Finishes the current segment (padding its last page) and starts the next one. The
    /// finished segment is fsynced and closed in the background. Returns the new index.
    pub fn next_segment(&mut self) -> Result<u64> {
        if self.alloc > 0 {
            self.flush_page(true)?;
        }
        let next = create_segment(&self.dir, self.segment + 1)?;
        let prev = self.file.replace(next);
        self.segment += 1;
        self.done_pages = 0;
        self.wait_pending_sync()?;
        if let Some(prev) = prev {
            self.pending_sync = Some(std::thread::spawn(move || prev.sync_all()));
        }
        Ok(self.segment)
    }

    fn wait_pending_sync(&mut self) -> Result<()> {
        if let Some(handle) = self.pending_sync.take() {
            let res = handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("fsync thread panicked")));
            res.map_err(|e| Error::io("fsyncing a finished WAL segment", e))?;
        }
        Ok(())
    }

    /// fsyncs the current segment (and waits for the previous one's background fsync).
    pub fn sync(&mut self) -> Result<()> {
        self.wait_pending_sync()?;
        let seg = self.segment;
        self.file()?
            .sync_data()
            .map_err(|e| Error::io(format!("fsyncing WAL segment {seg:08}"), e))
    }

    /// Deletes the segments before `before` (never the one being written).
    pub fn truncate(&mut self, before: u64) -> Result<()> {
        for s in list_segments(&self.dir)? {
            if s.index >= before.min(self.segment) {
                break;
            }
            std::fs::remove_file(&s.path)
                .map_err(|e| Error::io(format!("deleting WAL segment {}", s.path.display()), e))?;
        }
        Ok(())
    }

    /// Cuts the WAL at a corruption found while reading it (deleting every later segment,
    /// including the one being written) and continues in a new segment after the cut.
    pub fn repair(&mut self, corruption: &Corruption) -> Result<Repair> {
        if corruption.dir != self.dir {
            return Err(corruption.to_error());
        }
        self.wait_pending_sync()?;
        self.file = None;
        let report = repair(corruption)?;
        self.segment = corruption.segment + 1;
        self.file = Some(create_segment(&self.dir, self.segment)?);
        self.page.fill(0);
        (self.alloc, self.flushed, self.done_pages) = (0, 0, 0);
        Ok(report)
    }

    /// Pads and flushes the last page, fsyncs and closes the segment.
    pub fn close(mut self) -> Result<()> {
        if self.alloc > 0 {
            self.flush_page(true)?;
        }
        self.sync()?;
        self.file = None;
        Ok(())
    }
}
