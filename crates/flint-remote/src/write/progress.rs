//! How far a queue has delivered: the WAL position before which every sample was sent (or
//! given up on), saved to a small file so that a restarted server resumes there instead of
//! skipping what it had not sent yet (upstream starts from "now" and loses that backlog).
//!
//! Samples of one WAL record may go to several shards that finish in any order, so each
//! record with samples to send is registered with its sample count; the watermark is the
//! start of the oldest record that still has samples in flight, or the read position when
//! none has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A place in the WAL: a segment and the offset of a record in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Position {
    /// The segment index.
    pub segment: u64,
    /// Offset of a record's first fragment.
    pub offset: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// Records with samples in flight: sequence number → (where it starts, samples left).
    outstanding: BTreeMap<u64, (Position, u64)>,
    /// The sum of the samples left in `outstanding`.
    pending: u64,
    next_seq: u64,
    /// Where the next record to read starts.
    read: Position,
    saved: Option<Position>,
}

impl Inner {
    fn watermark(&self) -> Position {
        self.outstanding.values().next().map_or(self.read, |e| e.0)
    }
}

/// A queue's delivery watermark.
#[derive(Debug)]
pub(crate) struct Progress {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl Progress {
    /// Progress saved at `path` (`None` keeps it in memory only).
    pub fn new(path: Option<PathBuf>) -> Self {
        Progress {
            path,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The position saved by an earlier run, if any (a damaged file counts as none).
    pub fn load(&self) -> Option<Position> {
        let text = std::fs::read_to_string(self.path.as_ref()?).ok()?;
        let mut it = text.split_whitespace().map(str::parse::<u64>);
        let pos = Position {
            segment: it.next()?.ok()?,
            offset: it.next()?.ok()?,
        };
        self.lock().saved = Some(pos);
        Some(pos)
    }

    /// Registers the record at `pos` with `samples` samples to deliver; returns its
    /// sequence number for [`Progress::done`].
    pub fn record(&self, pos: Position, samples: u64) -> u64 {
        let mut g = self.lock();
        let seq = g.next_seq;
        g.next_seq += 1;
        g.pending += samples;
        g.outstanding.insert(seq, (pos, samples));
        seq
    }

    /// Everything before `pos` has been read (and registered).
    pub fn read_to(&self, pos: Position) {
        self.lock().read = pos;
    }

    /// Marks samples as delivered or given up on, by their records' sequence numbers.
    pub fn done(&self, seqs: impl IntoIterator<Item = u64>) {
        let mut g = self.lock();
        let mut run: Option<(u64, u64)> = None;
        let settle = |g: &mut Inner, seq: u64, n: u64| {
            if let Some(e) = g.outstanding.get_mut(&seq) {
                let n = n.min(e.1);
                e.1 -= n;
                if e.1 == 0 {
                    g.outstanding.remove(&seq);
                }
                g.pending -= n;
            }
        };
        for seq in seqs {
            match &mut run {
                Some((s, n)) if *s == seq => *n += 1,
                _ => {
                    if let Some((s, n)) = run.take() {
                        settle(&mut g, s, n);
                    }
                    run = Some((seq, 1));
                }
            }
        }
        if let Some((s, n)) = run {
            settle(&mut g, s, n);
        }
    }

    /// Samples registered and not yet settled.
    pub fn pending(&self) -> u64 {
        self.lock().pending
    }

    /// The delivery watermark.
    #[cfg(test)]
    pub fn watermark(&self) -> Position {
        self.lock().watermark()
    }

    /// Writes the watermark to the file when it moved (atomically: temp file, rename).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let pos = {
            let g = self.lock();
            let pos = g.watermark();
            if g.saved == Some(pos) {
                return Ok(());
            }
            pos
        };
        // Written without the lock held, so shards settling batches do not wait on the disk.
        write_atomic(path, format!("{} {}\n", pos.segment, pos.offset).as_bytes())?;
        self.lock().saved = Some(pos);
        Ok(())
    }
}

fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(segment: u64, offset: u64) -> Position {
        Position { segment, offset }
    }

    #[test]
    fn watermark_waits_for_the_oldest_record_in_flight() {
        let p = Progress::new(None);
        let a = p.record(pos(1, 0), 2);
        let b = p.record(pos(1, 100), 1);
        p.read_to(pos(1, 200));
        assert_eq!(p.watermark(), pos(1, 0));
        p.done([b]);
        assert_eq!(p.watermark(), pos(1, 0), "a still has samples in flight");
        p.done([a]);
        assert_eq!(p.watermark(), pos(1, 0));
        assert_eq!(p.pending(), 1);
        p.done([a]);
        assert_eq!(p.watermark(), pos(1, 200));
        assert_eq!(p.pending(), 0);
    }

    #[test]
    fn saves_and_loads() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = tmp.path().join("q").join("progress");
        let p = Progress::new(Some(path.clone()));
        assert_eq!(p.load(), None);
        let s = p.record(pos(3, 64), 2);
        p.read_to(pos(3, 128));
        p.done([s, s]);
        p.save().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Progress::new(Some(path.clone())).load(), Some(pos(3, 128)));
        std::fs::write(&path, "garbage").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Progress::new(Some(path)).load(), None);
    }
}
