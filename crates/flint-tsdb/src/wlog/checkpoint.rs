//! Checkpoints: `checkpoint.%08d` directories holding, as a WAL of their own, the records of
//! segments up to that index that are still needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Reader, SegmentRef, Writer, WriterOptions, list_segments};
use crate::error::{Error, Result};
use crate::record::{self, Decoder, Record, RefMetadata, RefTombstone};

const PREFIX: &str = "checkpoint.";
/// Flush the checkpoint's pending records once they hold this many bytes.
const BATCH_BYTES: usize = 1 << 20;

/// What a checkpoint kept and dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// Series records' entries dropped (series no longer in the head).
    pub dropped_series: usize,
    /// Float samples dropped (older than `mint`).
    pub dropped_samples: usize,
    /// Histogram samples dropped.
    pub dropped_histograms: usize,
    /// Tombstones dropped.
    pub dropped_tombstones: usize,
    /// Exemplars dropped.
    pub dropped_exemplars: usize,
    /// Metadata entries dropped (series gone, or superseded by later metadata).
    pub dropped_metadata: usize,
    /// Series kept.
    pub total_series: usize,
    /// Float samples kept.
    pub total_samples: usize,
    /// Histogram samples kept.
    pub total_histograms: usize,
}

/// The directory of the checkpoint with `index` in `wal_dir`.
pub fn checkpoint_dir(wal_dir: &Path, index: u64) -> PathBuf {
    wal_dir.join(format!("{PREFIX}{index:08}"))
}

fn checkpoints(wal_dir: &Path) -> Result<Vec<(PathBuf, u64)>> {
    let entries = std::fs::read_dir(wal_dir)
        .map_err(|e| Error::io(format!("listing {}", wal_dir.display()), e))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(index) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        // `checkpoint.00000012.tmp` (an unfinished one) does not parse.
        if let Ok(i) = index.parse::<u64>()
            && entry.path().is_dir()
        {
            found.push((entry.path(), i));
        }
    }
    found.sort_by_key(|(_, i)| *i);
    Ok(found)
}

/// The newest finished checkpoint of `wal_dir` and its index.
pub fn last_checkpoint(wal_dir: &Path) -> Result<Option<(PathBuf, u64)>> {
    Ok(checkpoints(wal_dir)?.pop())
}

/// Deletes the checkpoints with an index below `before`.
pub fn delete_checkpoints(wal_dir: &Path, before: u64) -> Result<()> {
    for (dir, i) in checkpoints(wal_dir)? {
        if i < before {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| Error::io(format!("deleting {}", dir.display()), e))?;
        }
    }
    Ok(())
}

/// Writes `checkpoint.<to>` from the last checkpoint and the WAL segments `from..=to`,
/// keeping series for which `keep` holds, samples, histograms and exemplars at or after
/// `mint`, tombstones of kept series that end at or after `mint`, and the latest metadata of
/// kept series. Records of unknown types are dropped, as upstream does. The checkpoint is
/// written to `checkpoint.<to>.tmp` and renamed when complete; the caller then truncates the
/// WAL before `to + 1` and deletes checkpoints before `to`.
pub fn checkpoint(
    wal_dir: &Path,
    from: u64,
    to: u64,
    keep: impl Fn(u64) -> bool,
    mint: i64,
    compress: bool,
) -> Result<CheckpointStats> {
    let segments = source_segments(wal_dir, from, to)?;
    let final_dir = checkpoint_dir(wal_dir, to);
    let mut tmp = final_dir.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    remove_dir_if_exists(&tmp)?;
    let opts = WriterOptions {
        compress,
        ..WriterOptions::default()
    };
    let (writer, _) = Writer::open(&tmp, opts)?;
    let mut cp = Filter {
        keep,
        mint,
        stats: CheckpointStats::default(),
        metadata: BTreeMap::new(),
        writer,
        pending: Vec::new(),
        pending_bytes: 0,
    };
    let mut reader = Reader::new(segments);
    let mut decoder = Decoder::new();
    while let Some(rec) = reader.next_record()? {
        let decoded = decoder.decode(rec)?;
        cp.add(decoded)?;
    }
    let stats = cp.finish()?;
    remove_dir_if_exists(&final_dir)?;
    std::fs::rename(&tmp, &final_dir)
        .map_err(|e| Error::io(format!("renaming {}", tmp.display()), e))?;
    sync_dir(wal_dir)?;
    Ok(stats)
}

/// The last checkpoint's segments, then the WAL segments after it up to `to`.
fn source_segments(wal_dir: &Path, from: u64, to: u64) -> Result<Vec<SegmentRef>> {
    let mut segments = Vec::new();
    let mut from = from;
    if let Some((dir, i)) = last_checkpoint(wal_dir)? {
        if from > i + 1 {
            return Err(Error::corrupt(
                wal_dir,
                format!("gap between checkpoint {i} and segment {from}"),
            ));
        }
        from = i + 1;
        segments = list_segments(&dir)?;
    }
    segments.extend(
        list_segments(wal_dir)?
            .into_iter()
            .filter(|s| (from..=to).contains(&s.index)),
    );
    Ok(segments)
}

fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("deleting {}", dir.display()), e))
        }
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("fsyncing directory {}", dir.display()), e))
}

/// Keeps the entries `keep` selects; adds the others to `dropped` and returns how many remain.
fn retain<T>(v: &mut Vec<T>, keep: impl Fn(&T) -> bool, dropped: &mut usize) -> usize {
    let n = v.len();
    v.retain(keep);
    *dropped += n - v.len();
    v.len()
}

struct Filter<K> {
    keep: K,
    mint: i64,
    stats: CheckpointStats,
    metadata: BTreeMap<u64, RefMetadata>,
    writer: Writer,
    pending: Vec<Vec<u8>>,
    pending_bytes: usize,
}

impl<K: Fn(u64) -> bool> Filter<K> {
    fn emit(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> bool) -> Result<()> {
        let mut buf = Vec::new();
        if encode(&mut buf) {
            self.pending_bytes += buf.len();
            self.pending.push(buf);
        }
        if self.pending_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let recs: Vec<&[u8]> = self.pending.iter().map(Vec::as_slice).collect();
        self.writer.log(&recs)?;
        self.pending.clear();
        self.pending_bytes = 0;
        Ok(())
    }

    fn add(&mut self, rec: Record) -> Result<()> {
        let mint = self.mint;
        let s = &mut self.stats;
        match rec {
            Record::Series(mut v) => {
                let kept = retain(&mut v, |x| (self.keep)(x.r), &mut s.dropped_series);
                s.total_series += kept;
                self.emit_if(kept > 0, |b| record::series(&v, b))
            }
            Record::Samples(mut v) => {
                let kept = retain(&mut v, |x| x.t >= mint, &mut s.dropped_samples);
                s.total_samples += kept;
                self.emit_if(kept > 0, |b| record::samples(&v, b))
            }
            Record::Tombstones(mut v) => {
                let keep = |x: &RefTombstone| (self.keep)(x.r) && x.maxt >= mint;
                let kept = retain(&mut v, keep, &mut s.dropped_tombstones);
                self.emit_if(kept > 0, |b| record::tombstones(&v, b))
            }
            Record::Exemplars(mut v) => {
                let kept = retain(&mut v, |x| x.t >= mint, &mut s.dropped_exemplars);
                self.emit_if(kept > 0, |b| record::exemplars(&v, b))
            }
            Record::HistogramSamples(mut v) => {
                s.total_histograms += retain(&mut v, |x| x.t >= mint, &mut s.dropped_histograms);
                self.emit(|b| record::histogram_samples(&v, b))?;
                self.emit(|b| record::custom_buckets_histogram_samples(&v, b))
            }
            Record::FloatHistogramSamples(mut v) => {
                s.total_histograms += retain(&mut v, |x| x.t >= mint, &mut s.dropped_histograms);
                self.emit(|b| record::float_histogram_samples(&v, b))?;
                self.emit(|b| record::custom_buckets_float_histogram_samples(&v, b))
            }
            Record::Metadata(v) => {
                for m in v {
                    // Dropped: the series is gone, or later metadata supersedes this one.
                    if !(self.keep)(m.r) || self.metadata.insert(m.r, m).is_some() {
                        s.dropped_metadata += 1;
                    }
                }
                Ok(())
            }
            Record::MmapMarkers(_) | Record::MinValidTime(_) | Record::Unknown(_) => Ok(()),
        }
    }

    fn emit_if(&mut self, cond: bool, encode: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        self.emit(|b| {
            if cond {
                encode(b);
            }
            cond
        })
    }

    fn finish(mut self) -> Result<CheckpointStats> {
        let metadata: Vec<RefMetadata> = std::mem::take(&mut self.metadata).into_values().collect();
        self.emit_if(!metadata.is_empty(), |b| record::metadata(&metadata, b))?;
        self.flush()?;
        self.writer.close()?;
        Ok(self.stats)
    }
}
