//! The WAL watcher of one queue: follows the server's WAL (checkpoint, then segments, then
//! the live segment as it grows), keeps each series' labels (external labels added, write
//! relabeling applied, pre-encoded for requests) and turns sample records into
//! [`Pending`] samples.
//!
//! Where it starts: at the saved [`Progress`] watermark when there is one, else at the
//! beginning of the WAL taking only samples newer than the queue's start (as upstream
//! does). Records before the start are read for their series only.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use flint_model::{Labels, NameValidation, RelabelConfig, Relabeler};
use flint_tsdb::record::{Decoder, RecordType, RefSample, RefSeries, record_type};
use flint_tsdb::wlog::{self, SegmentTail, TailEnd};

use super::encode::{Pending, encode_labels};
use super::metrics::QueueMetrics;
use super::progress::{Position, Progress};

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Samples from this WAL position on.
    At(Position),
    /// Samples newer than this timestamp (ms), from the beginning of the WAL.
    After(i64),
}

/// What one [`Watcher::step`] ended on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Caught up with the writer: wait before the next step.
    Idle,
    /// Stopped at the sample budget: step again soon.
    Busy,
}

/// Samples per step at most (the shards' queues take them in one go).
const STEP_BUDGET: usize = 50_000;

/// The watcher's state; moved into a blocking task for each step.
pub(crate) struct Watcher {
    wal_dir: PathBuf,
    external: Labels,
    relabel: Vec<RelabelConfig>,
    relabeler: Relabeler,
    /// Series ref → its labels as sent (`None`: dropped by relabeling).
    series: HashMap<u64, Option<Arc<[u8]>>>,
    start: Start,
    tail: Option<SegmentTail>,
    /// The current segment was re-read after a later segment appeared.
    final_read: bool,
    /// The checkpoint whose series were read, so that waiting for a first segment does not
    /// read it again at every poll.
    checkpoint_read: Option<u64>,
    decoder: Decoder,
    series_buf: Vec<RefSeries>,
    samples_buf: Vec<RefSample>,
    metrics: QueueMetrics,
    progress: Arc<Progress>,
    highest_in: i64,
}

impl Watcher {
    /// A watcher of the WAL in `wal_dir`.
    pub fn new(
        wal_dir: PathBuf,
        external: Labels,
        relabel: Vec<RelabelConfig>,
        start: Start,
        metrics: QueueMetrics,
        progress: Arc<Progress>,
    ) -> Self {
        Watcher {
            wal_dir,
            external,
            relabel,
            relabeler: Relabeler::new(NameValidation::Utf8),
            series: HashMap::new(),
            start,
            tail: None,
            final_read: false,
            checkpoint_read: None,
            decoder: Decoder::new(),
            series_buf: Vec::new(),
            samples_buf: Vec::new(),
            metrics,
            progress,
            highest_in: i64::MIN,
        }
    }

    /// Reads what the WAL gained since the last step into `out` (series ref, sample).
    pub fn step(&mut self, out: &mut Vec<(u64, Pending)>) -> Step {
        loop {
            if self.tail.is_none() && !self.open_first() {
                return Step::Idle;
            }
            let Some(mut tail) = self.tail.take() else {
                return Step::Idle;
            };
            let index = tail.index();
            let before = tail.offset();
            let end = tail.read(|off, rec| {
                self.handle(
                    Position {
                        segment: index,
                        offset: off,
                    },
                    rec,
                    out,
                );
            });
            self.progress.read_to(Position {
                segment: index,
                offset: tail.offset(),
            });
            let advanced = tail.offset() > before;
            self.tail = Some(tail);
            match end {
                Ok(TailEnd::More) => {}
                Ok(TailEnd::Caught | TailEnd::Torn(_)) if advanced => self.final_read = false,
                end => {
                    if !self.next_segment_exists(index) {
                        return Step::Idle;
                    }
                    match end {
                        // The writer moved on: read this segment to its end once more.
                        Ok(_) if !self.final_read => {
                            self.final_read = true;
                            continue;
                        }
                        Ok(TailEnd::Torn(c)) => {
                            tracing::warn!(corruption = %c, "Skipping the rest of a corrupt WAL segment");
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(segment = index, error = %e, "Reading the WAL failed; moving on");
                        }
                    }
                    self.advance(index);
                }
            }
            if out.len() >= STEP_BUDGET {
                return Step::Busy;
            }
        }
    }

    fn segments(&self) -> Vec<u64> {
        match wlog::list_segments(&self.wal_dir) {
            Ok(s) => s.into_iter().map(|s| s.index).collect(),
            Err(e) => {
                tracing::debug!(error = %e, "Listing WAL segments failed");
                Vec::new()
            }
        }
    }

    fn next_segment_exists(&self, index: u64) -> bool {
        self.segments().into_iter().any(|i| i > index)
    }

    /// Opens the first segment to read: after the last checkpoint (whose series are read).
    fn open_first(&mut self) -> bool {
        let cp = self.read_checkpoint();
        let Some(first) = self
            .segments()
            .into_iter()
            .find(|&i| cp.is_none_or(|c| i > c))
        else {
            return false;
        };
        if let Start::At(p) = self.start
            && p.segment < first
        {
            tracing::warn!(
                saved = p.segment,
                first,
                "Remote-write position is in a WAL segment already truncated; samples in between are lost"
            );
            self.start = Start::At(Position {
                segment: first,
                offset: 0,
            });
        }
        self.open(first)
    }

    fn open(&mut self, index: u64) -> bool {
        match SegmentTail::open(&self.wal_dir, index, 0) {
            Ok(t) => {
                self.metrics.segment.set(index as f64);
                self.tail = Some(t);
                self.final_read = false;
                true
            }
            Err(e) => {
                tracing::debug!(segment = index, error = %e, "Opening a WAL segment failed");
                false
            }
        }
    }

    /// Moves past segment `index`: to the next one, or (when truncation removed it) to the
    /// first after the new checkpoint, re-reading the checkpoint's series.
    fn advance(&mut self, index: u64) {
        self.tail = None;
        if self.segments().contains(&(index + 1)) {
            self.open(index + 1);
        } else {
            tracing::warn!(
                segment = index + 1,
                "WAL segment was truncated before it was read"
            );
            self.open_first();
        }
    }

    /// Reads the series of the last checkpoint (unless already read); returns its index.
    fn read_checkpoint(&mut self) -> Option<u64> {
        let (dir, index) = match wlog::last_checkpoint(&self.wal_dir) {
            Ok(Some((_, index))) if self.checkpoint_read == Some(index) => return Some(index),
            Ok(Some(cp)) => cp,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "Finding the WAL checkpoint failed");
                return None;
            }
        };
        match wlog::Reader::open_dir(&dir) {
            Ok(reader) => {
                for rec in reader.records() {
                    match rec {
                        Ok((_, rec)) if record_type(&rec) == Some(RecordType::Series) => {
                            self.store_series(&rec)
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "Reading the WAL checkpoint failed");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "Opening the WAL checkpoint failed"),
        }
        self.checkpoint_read = Some(index);
        Some(index)
    }

    fn handle(&mut self, pos: Position, rec: &[u8], out: &mut Vec<(u64, Pending)>) {
        match record_type(rec) {
            Some(RecordType::Series) => {
                self.metrics.records[0].inc();
                self.store_series(rec);
            }
            Some(RecordType::Samples | RecordType::SamplesV2) => {
                self.metrics.records[1].inc();
                self.take_samples(pos, rec, out);
            }
            _ => self.metrics.records[2].inc(),
        }
    }

    fn store_series(&mut self, rec: &[u8]) {
        let mut buf = std::mem::take(&mut self.series_buf);
        buf.clear();
        if let Err(e) = self.decoder.series(rec, &mut buf) {
            tracing::warn!(error = %e, "Skipping an undecodable WAL series record");
        }
        for s in buf.drain(..) {
            let labels = self.outgoing(&s.labels);
            self.series.insert(s.r, labels.map(|l| encode_labels(&l)));
        }
        self.series_buf = buf;
    }

    /// External labels added (where the series lacks them), then write relabeling.
    fn outgoing(&mut self, labels: &Labels) -> Option<Labels> {
        self.relabeler
            .process(&labels.with_defaults(&self.external), &self.relabel)
    }

    fn take_samples(&mut self, pos: Position, rec: &[u8], out: &mut Vec<(u64, Pending)>) {
        let after = match self.start {
            Start::At(p) if pos < p => return,
            Start::At(_) => i64::MIN,
            Start::After(t) => t,
        };
        let mut buf = std::mem::take(&mut self.samples_buf);
        buf.clear();
        if let Err(e) = self.decoder.samples(rec, &mut buf) {
            tracing::warn!(error = %e, "Skipping an undecodable WAL samples record");
        }
        let first = out.len();
        let mut dropped = 0u64;
        for s in &buf {
            self.highest_in = self.highest_in.max(s.t);
            if s.t <= after {
                continue;
            }
            match self.series.get(&s.r) {
                Some(Some(labels)) => out.push((
                    s.r,
                    Pending {
                        labels: Arc::clone(labels),
                        t: s.t,
                        v: s.v,
                        seq: 0,
                    },
                )),
                _ => dropped += 1,
            }
        }
        self.samples_buf = buf;
        self.metrics.dropped_series.inc_by(dropped);
        let n = (out.len() - first) as u64;
        if n > 0 {
            let seq = self.progress.record(pos, n);
            for (_, p) in &mut out[first..] {
                p.seq = seq;
            }
        }
        if self.highest_in > i64::MIN {
            let secs = self.highest_in as f64 / 1000.0;
            if secs > self.metrics.highest_in.get() {
                self.metrics.highest_in.set(secs);
            }
        }
    }
}
