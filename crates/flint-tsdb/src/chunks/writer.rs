//! [`ChunkWriter`]: appends chunks to segment files, cutting a new one when full.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{
    CHUNKS_FORMAT_V1, ChunkRef, DEFAULT_SEGMENT_SIZE, MAGIC_CHUNKS, SEGMENT_HEADER_SIZE,
    segment_name,
};
use crate::chunkenc::Encoding;
use crate::error::{Error, Result};
use crate::index::buf::Encbuf;

/// Writes chunks into `000001`, `000002`, … of a block's `chunks/` directory.
#[derive(Debug)]
pub struct ChunkWriter {
    dir: PathBuf,
    segment_size: u64,
    /// The open segment: its writer, its index (0-based) and its size so far.
    current: Option<(BufWriter<File>, u32, u64)>,
    /// Finished segments, kept to sync them at the end.
    done: Vec<(File, PathBuf)>,
    buf: Encbuf,
}

impl ChunkWriter {
    /// A writer into `dir`, created if missing.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(ChunkWriter {
            dir: dir.to_owned(),
            segment_size: DEFAULT_SEGMENT_SIZE,
            current: None,
            done: Vec::new(),
            buf: Encbuf::default(),
        })
    }

    /// Uses segments of at most `bytes` (a chunk larger than that still gets a segment of its
    /// own). Segments never exceed 4 GiB because offsets are 32 bits.
    pub fn with_segment_size(mut self, bytes: u64) -> Self {
        self.segment_size = bytes.min(u64::from(u32::MAX));
        self
    }

    /// Appends one chunk and returns its reference.
    pub fn write_chunk(&mut self, encoding: Encoding, data: &[u8]) -> Result<ChunkRef> {
        self.buf.reset();
        self.buf.put_uvarint(data.len() as u64);
        let enc_start = self.buf.len();
        self.buf.put_byte(encoding as u8);
        self.buf.b.extend_from_slice(data);
        self.buf.put_crc_from(enc_start);
        let size = self.buf.len() as u64;
        let needs_cut = match &self.current {
            None => true,
            Some((_, _, pos)) => {
                *pos > SEGMENT_HEADER_SIZE as u64 && pos + size > self.segment_size
            }
        };
        if needs_cut {
            self.cut()?;
        }
        let Some((w, index, pos)) = self.current.as_mut() else {
            return Err(Error::corrupt(&self.dir, "no open chunk segment"));
        };
        let offset = u32::try_from(*pos)
            .map_err(|_| Error::corrupt(&self.dir, "chunk segment exceeds 4 GiB"))?;
        w.write_all(&self.buf.b)
            .map_err(|e| Error::io(format!("writing chunk to {}", self.dir.display()), e))?;
        *pos += size;
        Ok(ChunkRef::new(*index, offset))
    }

    fn cut(&mut self) -> Result<()> {
        let next = match self.current.take() {
            Some((w, index, _)) => {
                self.close_segment(w, index)?;
                index + 1
            }
            None => 0,
        };
        let path = self.dir.join(segment_name(next + 1));
        let file = File::create(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut header = [0u8; SEGMENT_HEADER_SIZE];
        header[..4].copy_from_slice(&MAGIC_CHUNKS.to_be_bytes());
        header[4] = CHUNKS_FORMAT_V1;
        w.write_all(&header)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        self.current = Some((w, next, SEGMENT_HEADER_SIZE as u64));
        Ok(())
    }

    fn close_segment(&mut self, w: BufWriter<File>, index: u32) -> Result<()> {
        let path = self.dir.join(segment_name(index + 1));
        let file = w
            .into_inner()
            .map_err(|e| Error::io(format!("flushing {}", path.display()), e.into_error()))?;
        self.done.push((file, path));
        Ok(())
    }

    /// Flushes and fsyncs every segment. Returns the number of segments written.
    pub fn finish(mut self) -> Result<usize> {
        if let Some((w, index, _)) = self.current.take() {
            self.close_segment(w, index)?;
        }
        for (file, path) in &self.done {
            file.sync_all()
                .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
        }
        Ok(self.done.len())
    }
}
