//! Head chunks on disk (`<data>/chunks_head/000001…`): full chunks of head series leave memory
//! as soon as they are cut, so resident memory holds only each series' open chunk.
//!
//! Layout as Prometheus writes it: an 8-byte file header (magic `0x0130BC91`, version 1, three
//! zero bytes); then per chunk the series reference, min and max time (big-endian u64 each), the
//! encoding byte, a uvarint length, the data, and a big-endian CRC32-Castagnoli of everything
//! from the series reference to the end of the data. A reference packs the file index (upper 32
//! bits) and the chunk's offset in the file (lower 32 bits).
//!
//! Writes go through an in-memory buffer that is flushed when full or on [`HeadChunks::flush`];
//! reads of bytes not yet flushed are served from the buffer, the rest from the files (sealed
//! files through a memory map, the file being written with positioned reads).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::chunkenc::Encoding;
use crate::error::{Error, Result};
use crate::mmap::Mmap;

/// Magic number of head-chunk files.
pub const MAGIC: u32 = 0x0130_BC91;
const HEADER_SIZE: u64 = 8;
/// Largest head-chunk file (Prometheus's limit).
pub const MAX_FILE_SIZE: u64 = 128 * 1024 * 1024;
const BUFFER_SIZE: usize = 1024 * 1024;

/// A chunk read back from the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// The series it belongs to.
    pub series_ref: u64,
    /// First sample time.
    pub min_t: i64,
    /// Last sample time.
    pub max_t: i64,
    /// The encoding.
    pub encoding: Encoding,
    /// The chunk bytes.
    pub data: Vec<u8>,
}

struct Active {
    index: u32,
    file: File,
    /// Bytes of the file already written to the OS.
    flushed: u64,
    buffer: Vec<u8>,
}

struct State {
    active: Option<Active>,
    sealed: BTreeMap<u32, Mmap>,
}

/// Writer and reader of the head-chunk files of one data directory.
pub struct HeadChunks {
    dir: PathBuf,
    max_file_size: u64,
    state: Mutex<State>,
}

impl std::fmt::Debug for HeadChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadChunks")
            .field("dir", &self.dir)
            .finish()
    }
}

fn file_name(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:06}"))
}

impl HeadChunks {
    /// Opens (creating) `dir`; existing files are mapped for reading, new chunks go to a new file.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with_max_size(dir, MAX_FILE_SIZE)
    }

    /// Like [`HeadChunks::open`] with a smaller file size limit (tests).
    pub fn open_with_max_size(dir: &Path, max_file_size: u64) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let mut sealed = BTreeMap::new();
        for (index, path) in list_files(dir)? {
            let map = Mmap::open(&path)?;
            if map.is_empty() {
                // An empty file left by a crash right after it was created.
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
                continue;
            }
            check_header(&path, &map)?;
            sealed.insert(index, map);
        }
        Ok(HeadChunks {
            dir: dir.to_path_buf(),
            max_file_size,
            state: Mutex::new(State {
                active: None,
                sealed,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a chunk; returns its reference.
    pub fn write(
        &self,
        series_ref: u64,
        min_t: i64,
        max_t: i64,
        encoding: Encoding,
        data: &[u8],
    ) -> Result<u64> {
        let mut record = Vec::with_capacity(data.len() + 40);
        record.extend_from_slice(&series_ref.to_be_bytes());
        record.extend_from_slice(&min_t.to_be_bytes());
        record.extend_from_slice(&max_t.to_be_bytes());
        record.push(encoding as u8);
        put_uvarint(&mut record, data.len() as u64);
        record.extend_from_slice(data);
        let crc = crc32c::crc32c(&record);
        record.extend_from_slice(&crc.to_be_bytes());

        let mut state = self.lock();
        let needs_new = state.active.as_ref().is_none_or(|a| {
            a.flushed + a.buffer.len() as u64 + record.len() as u64 > self.max_file_size
        });
        if needs_new {
            self.cut(&mut state)?;
        }
        let active = state
            .active
            .as_mut()
            .ok_or_else(|| Error::corrupt(&self.dir, "no active head chunk file"))?;
        let offset = active.flushed + active.buffer.len() as u64;
        active.buffer.extend_from_slice(&record);
        let reference = (u64::from(active.index) << 32) | offset;
        if active.buffer.len() >= BUFFER_SIZE {
            flush_active(active, &self.dir)?;
        }
        Ok(reference)
    }

    /// Seals the active file (flushing and mapping it) and starts a new one.
    fn cut(&self, state: &mut State) -> Result<()> {
        if let Some(mut old) = state.active.take() {
            flush_active(&mut old, &self.dir)?;
            old.file
                .sync_all()
                .map_err(|e| Error::io("syncing head chunk file", e))?;
            let path = file_name(&self.dir, old.index);
            state.sealed.insert(old.index, Mmap::open(&path)?);
        }
        let index = state.sealed.keys().next_back().map_or(1, |i| i + 1);
        let path = file_name(&self.dir, index);
        let file = OpenOptions::new()
            .create_new(true)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut buffer = Vec::with_capacity(BUFFER_SIZE);
        buffer.extend_from_slice(&MAGIC.to_be_bytes());
        buffer.extend_from_slice(&[1, 0, 0, 0]);
        state.active = Some(Active {
            index,
            file,
            flushed: 0,
            buffer,
        });
        Ok(())
    }

    /// Writes buffered chunks to the OS (no fsync: the WAL is the durability guarantee).
    pub fn flush(&self) -> Result<()> {
        let mut state = self.lock();
        match state.active.as_mut() {
            Some(active) => flush_active(active, &self.dir),
            None => Ok(()),
        }
    }

    /// Reads the chunk at `reference`.
    pub fn read(&self, reference: u64) -> Result<StoredChunk> {
        let index = (reference >> 32) as u32;
        let offset = reference & 0xffff_ffff;
        let state = self.lock();
        if let Some(active) = state.active.as_ref().filter(|a| a.index == index) {
            return read_active(active, offset, &self.dir);
        }
        let path = file_name(&self.dir, index);
        let map = state.sealed.get(&index).ok_or_else(|| {
            Error::corrupt(
                &path,
                format!("no head chunk file for reference {reference:#x}"),
            )
        })?;
        parse_chunk(map, offset as usize)
            .map(|(c, _)| c)
            .map_err(|reason| Error::corrupt(&path, reason))
    }

    /// Every chunk of every file, in file order, with its reference (data copied; see
    /// [`HeadChunks::scan`] for the allocation-free walk startup uses).
    pub fn iterate(&self) -> Result<Vec<(u64, StoredChunk)>> {
        let mut out = Vec::new();
        self.scan(|r, c| out.push((r, c.to_stored())))?;
        Ok(out)
    }

    /// Calls `f` with every chunk of every sealed file, in file order (used to rebuild the
    /// head at startup). A torn chunk at the end of the last file ends the scan without an
    /// error; a bad chunk anywhere else is a corruption error.
    pub fn scan(&self, mut f: impl FnMut(u64, RawChunk<'_>)) -> Result<()> {
        let state = self.lock();
        let last = state.sealed.keys().next_back().copied();
        for (index, map) in &state.sealed {
            let mut offset = HEADER_SIZE as usize;
            while offset < map.len() {
                match parse_raw(map, offset) {
                    Ok((chunk, len)) => {
                        f((u64::from(*index) << 32) | offset as u64, chunk);
                        offset += len;
                    }
                    Err(reason) if Some(*index) == last => {
                        tracing::warn!(file = %file_name(&self.dir, *index).display(), offset, %reason, "Torn head chunk at the end of the last file; ignoring the rest.");
                        break;
                    }
                    Err(reason) => {
                        return Err(Error::corrupt(
                            file_name(&self.dir, *index),
                            format!("at offset {offset}: {reason}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Deletes every head-chunk file (after a corruption: the WAL alone rebuilds the head).
    pub fn remove_all(&self) -> Result<()> {
        let mut state = self.lock();
        state.active = None;
        state.sealed.clear();
        for (_, path) in list_files(&self.dir)? {
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
        }
        Ok(())
    }

    /// Bytes of all head-chunk files (`prometheus_tsdb_head_chunks_storage_size_bytes`).
    pub fn size_bytes(&self) -> u64 {
        let state = self.lock();
        let sealed: u64 = state.sealed.values().map(|m| m.len() as u64).sum();
        let active = state
            .active
            .as_ref()
            .map_or(0, |a| a.flushed + a.buffer.len() as u64);
        sealed + active
    }

    /// Deletes sealed files whose every chunk ends before `mint`.
    pub fn truncate_before(&self, mint: i64) -> Result<()> {
        let mut state = self.lock();
        let doomed: Vec<u32> = state
            .sealed
            .iter()
            .filter(|(_, map)| max_time_of(map).is_some_and(|t| t < mint))
            .map(|(i, _)| *i)
            .collect();
        for index in doomed {
            state.sealed.remove(&index);
            let path = file_name(&self.dir, index);
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
        }
        Ok(())
    }
}

fn flush_active(active: &mut Active, dir: &Path) -> Result<()> {
    if active.buffer.is_empty() {
        return Ok(());
    }
    active.file.write_all(&active.buffer).map_err(|e| {
        Error::io(
            format!("writing {}", file_name(dir, active.index).display()),
            e,
        )
    })?;
    active.flushed += active.buffer.len() as u64;
    active.buffer.clear();
    Ok(())
}

fn read_active(active: &Active, offset: u64, dir: &Path) -> Result<StoredChunk> {
    let path = file_name(dir, active.index);
    if offset >= active.flushed {
        let start = (offset - active.flushed) as usize;
        let buf = active.buffer.get(start..).unwrap_or_default();
        return parse_chunk(buf, 0)
            .map(|(c, _)| c)
            .map_err(|r| Error::corrupt(&path, r));
    }
    // Read the fixed part to learn the length, then the whole record.
    let mut head = [0u8; 35];
    let n = active
        .file
        .read_at(&mut head, offset)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let (len, lbytes) =
        uvarint(&head[25..n.max(25)]).ok_or_else(|| Error::corrupt(&path, "bad chunk length"))?;
    let total = 25 + lbytes + len as usize + 4;
    let mut record = vec![0u8; total];
    active
        .file
        .read_exact_at(&mut record, offset)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    parse_chunk(&record, 0)
        .map(|(c, _)| c)
        .map_err(|r| Error::corrupt(&path, r))
}

/// A chunk as it lies in a head-chunk file (borrowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    /// The series it belongs to.
    pub series_ref: u64,
    /// First sample time.
    pub min_t: i64,
    /// Last sample time.
    pub max_t: i64,
    /// The encoding.
    pub encoding: Encoding,
    /// The chunk bytes.
    pub data: &'a [u8],
}

impl RawChunk<'_> {
    /// An owned copy.
    pub fn to_stored(&self) -> StoredChunk {
        StoredChunk {
            series_ref: self.series_ref,
            min_t: self.min_t,
            max_t: self.max_t,
            encoding: self.encoding,
            data: self.data.to_vec(),
        }
    }

    /// Number of samples (the first two bytes of every chunk encoding).
    pub fn num_samples(&self) -> u16 {
        match self.data {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    }
}

/// Parses the chunk record at `offset`; returns it and its length in bytes.
fn parse_chunk(b: &[u8], offset: usize) -> Result<(StoredChunk, usize), String> {
    parse_raw(b, offset).map(|(c, len)| (c.to_stored(), len))
}

fn parse_raw(b: &[u8], offset: usize) -> Result<(RawChunk<'_>, usize), String> {
    let rest = b.get(offset..).ok_or("offset past the end")?;
    let fixed = rest.get(..25).ok_or("truncated chunk header")?;
    let be = |i: usize| u64::from_be_bytes(fixed[i..i + 8].try_into().unwrap_or_default());
    let encoding = Encoding::from_byte(fixed[24])
        .ok_or_else(|| format!("unknown chunk encoding {}", fixed[24]))?;
    let (len, lbytes) = uvarint(&rest[25..]).ok_or("bad chunk length")?;
    let data_start = 25 + lbytes;
    let data_end = data_start
        .checked_add(usize::try_from(len).map_err(|_| "chunk too long")?)
        .ok_or("chunk too long")?;
    let crc_bytes = rest.get(data_end..data_end + 4).ok_or("truncated chunk")?;
    let want = u32::from_be_bytes(crc_bytes.try_into().unwrap_or_default());
    if crc32c::crc32c(&rest[..data_end]) != want {
        return Err("checksum mismatch".to_owned());
    }
    let chunk = RawChunk {
        series_ref: be(0),
        min_t: be(8) as i64,
        max_t: be(16) as i64,
        encoding,
        data: &rest[data_start..data_end],
    };
    Ok((chunk, data_end + 4))
}

fn max_time_of(map: &[u8]) -> Option<i64> {
    let mut offset = HEADER_SIZE as usize;
    let mut max = None;
    while offset < map.len() {
        let Ok((chunk, len)) = parse_raw(map, offset) else {
            break;
        };
        max = Some(max.map_or(chunk.max_t, |m: i64| m.max(chunk.max_t)));
        offset += len;
    }
    max
}

fn check_header(path: &Path, map: &[u8]) -> Result<()> {
    let magic = map
        .get(..4)
        .map(|m| u32::from_be_bytes([m[0], m[1], m[2], m[3]]));
    if magic != Some(MAGIC) || map.get(4) != Some(&1) {
        return Err(Error::corrupt(
            path,
            "not a head chunk file (bad magic or version)",
        ));
    }
    Ok(())
}

fn list_files(dir: &Path) -> Result<Vec<(u32, PathBuf)>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut files: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let index = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((index, e.path()))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_across_files_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let hc = HeadChunks::open_with_max_size(dir.path(), 200).unwrap();
        let mut refs = Vec::new();
        for i in 0..10u64 {
            let data = vec![i as u8; 40 + i as usize];
            refs.push((
                hc.write(i, i as i64, i as i64 + 5, Encoding::Xor, &data)
                    .unwrap(),
                data,
            ));
        }
        for (r, data) in &refs {
            assert_eq!(&hc.read(*r).unwrap().data, data);
        }
        hc.flush().unwrap();
        for (r, data) in &refs {
            assert_eq!(&hc.read(*r).unwrap().data, data);
        }
        drop(hc);
        let hc = HeadChunks::open(dir.path()).unwrap();
        let all = hc.iterate().unwrap();
        assert_eq!(all.len(), 10);
        assert_eq!(all[3].1.series_ref, 3);
        assert_eq!(all[3].1.max_t, 8);
        hc.truncate_before(7).unwrap();
        assert!(hc.iterate().unwrap().len() < 10);
    }

    #[test]
    fn torn_tail_is_ignored_and_corruption_reported() {
        let dir = tempfile::tempdir().unwrap();
        let hc = HeadChunks::open(dir.path()).unwrap();
        hc.write(1, 0, 1, Encoding::Xor, &[1, 2, 3]).unwrap();
        hc.write(2, 0, 1, Encoding::Xor, &[4, 5, 6]).unwrap();
        hc.flush().unwrap();
        drop(hc);
        let path = file_name(dir.path(), 1);
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 2).unwrap();
        let hc = HeadChunks::open(dir.path()).unwrap();
        assert_eq!(hc.iterate().unwrap().len(), 1);
    }
}
