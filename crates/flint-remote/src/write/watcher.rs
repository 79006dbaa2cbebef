//! The WAL watcher of one queue: follows the server's WAL (checkpoint, then segments, then
//! the live segment as it grows), keeps each series' labels (external labels added, write
//! relabeling applied, pre-encoded for requests) and turns sample records into
//! [`Pending`] samples.
//!
//! Where it starts: at the saved [`Progress`] watermark when there is one, else at the
//! beginning of the WAL taking only samples newer than the queue's start (as upstream
//! does). Records before the start are read for their series only.
//!
//! Series are forgotten as the head forgets them: each remembers the segment it was last
//! logged in, and once the watcher reads past a new checkpoint, series logged at or before
//! the checkpoint's segment that the checkpoint did not keep are dropped. (Upstream keeps
//! those logged in the checkpoint's own segment until the next checkpoint.)

use std::collections::{HashMap, HashSet};
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

/// A series as the watcher knows it.
struct Known {
    /// Its labels as sent (`None`: dropped by relabeling).
    labels: Option<Arc<[u8]>>,
    /// The segment (or checkpoint) its record was last read from.
    segment: u64,
}

/// The watcher's state; moved into a blocking task for each step.
pub(crate) struct Watcher {
    wal_dir: PathBuf,
    external: Labels,
    relabel: Vec<RelabelConfig>,
    relabeler: Relabeler,
    /// Series ref → what is known of it.
    series: HashMap<u64, Known>,
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
            if self.open(index + 1) {
                self.collect_garbage(index + 1);
            }
        } else {
            tracing::warn!(
                segment = index + 1,
                "WAL segment was truncated before it was read"
            );
            self.open_first();
        }
    }

    /// Reads the series of the last checkpoint (unless already read); returns its index.
    /// Only called when the next segment to read is after the checkpoint, so series the
    /// checkpoint did not keep, logged no later than its segment, are gone from the head.
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
        let mut kept = HashSet::new();
        let mut complete = false;
        match wlog::Reader::open_dir(&dir) {
            Ok(reader) => {
                complete = true;
                for rec in reader.records() {
                    match rec {
                        Ok((_, rec)) if record_type(&rec) == Some(RecordType::Series) => {
                            self.store_series(&rec, index, Some(&mut kept))
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "Reading the WAL checkpoint failed");
                            complete = false;
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "Opening the WAL checkpoint failed"),
        }
        // A checkpoint read only in part says nothing of the series it would have kept.
        if complete {
            let before = self.series.len();
            self.series
                .retain(|r, k| k.segment > index || kept.contains(r));
            let dropped = before - self.series.len();
            if dropped > 0 {
                tracing::debug!(
                    checkpoint = index,
                    dropped,
                    "Forgot series the head dropped"
                );
            }
        }
        self.checkpoint_read = Some(index);
        Some(index)
    }

    /// On moving to segment `current`: reads a checkpoint made since the last one read, if
    /// the watcher is already past it.
    fn collect_garbage(&mut self, current: u64) {
        match wlog::last_checkpoint(&self.wal_dir) {
            Ok(Some((_, index))) if index < current && self.checkpoint_read != Some(index) => {
                self.read_checkpoint();
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "Finding the WAL checkpoint failed"),
        }
    }

    fn handle(&mut self, pos: Position, rec: &[u8], out: &mut Vec<(u64, Pending)>) {
        match record_type(rec) {
            Some(RecordType::Series) => {
                self.metrics.records[0].inc();
                self.store_series(rec, pos.segment, None);
            }
            Some(RecordType::Samples | RecordType::SamplesV2) => {
                self.metrics.records[1].inc();
                self.take_samples(pos, rec, out);
            }
            _ => self.metrics.records[2].inc(),
        }
    }

    /// Remembers the series of a record read from `segment` (adding their refs to `seen`).
    fn store_series(&mut self, rec: &[u8], segment: u64, mut seen: Option<&mut HashSet<u64>>) {
        let mut buf = std::mem::take(&mut self.series_buf);
        buf.clear();
        if let Err(e) = self.decoder.series(rec, &mut buf) {
            tracing::warn!(error = %e, "Skipping an undecodable WAL series record");
        }
        for s in buf.drain(..) {
            if let Some(seen) = seen.as_deref_mut() {
                seen.insert(s.r);
            }
            let labels = self.outgoing(&s.labels).map(|l| encode_labels(&l));
            self.series.insert(s.r, Known { labels, segment });
        }
        self.series_buf = buf;
    }

    /// Number of series known (for tests and debugging).
    #[cfg(test)]
    fn known_series(&self) -> usize {
        self.series.len()
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
            match self.series.get(&s.r).and_then(|k| k.labels.as_ref()) {
                Some(labels) => out.push((
                    s.r,
                    Pending {
                        labels: Arc::clone(labels),
                        t: s.t,
                        v: s.v,
                        seq: 0,
                    },
                )),
                None => dropped += 1,
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

#[cfg(test)]
mod tests {
    use super::*;
    use flint_tsdb::record as encode;
    use flint_tsdb::wlog::{Writer, WriterOptions};

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    fn log_series(w: &mut Writer, refs: &[u64]) {
        let series: Vec<RefSeries> = refs
            .iter()
            .map(|&r| RefSeries {
                r,
                labels: Labels::from_pairs([("__name__", "m"), ("i", &r.to_string())]),
            })
            .collect();
        let mut buf = Vec::new();
        encode::series(&series, &mut buf);
        ok(w.log(&[&buf]));
    }

    fn log_samples(w: &mut Writer, refs: &[u64], t: i64) {
        let samples: Vec<RefSample> = refs.iter().map(|&r| RefSample { r, t, v: 1.0 }).collect();
        let mut buf = Vec::new();
        encode::samples(&samples, &mut buf);
        ok(w.log(&[&buf]));
    }

    #[test]
    fn series_the_checkpoint_dropped_are_forgotten_once_read_past_it() {
        let dir = ok(tempfile::tempdir());
        let wal = dir.path().join("wal");
        let (mut w, _) = ok(Writer::open(&wal, WriterOptions::default()));
        log_series(&mut w, &[1, 2]);
        log_samples(&mut w, &[1, 2], 10);
        ok(w.next_segment());
        log_series(&mut w, &[3]);
        log_samples(&mut w, &[2, 3], 20);
        ok(w.next_segment());
        log_samples(&mut w, &[2, 3], 30);

        let metrics = super::super::metrics::WriteMetrics::new(&flint_client::Registry::new())
            .queue(
                "q",
                "http://x",
                &flint_config::remote::QueueConfig::default(),
            );
        let mut watcher = Watcher::new(
            wal.clone(),
            Labels::empty(),
            Vec::new(),
            Start::After(i64::MIN),
            metrics,
            Arc::new(Progress::new(None)),
        );
        let mut out = Vec::new();
        // Reads up to the live segment 2.
        while watcher.step(&mut out) == Step::Busy {}
        assert_eq!(watcher.known_series(), 3);

        // The head truncates: series 1 is gone, the checkpoint of segment 0 keeps 2.
        ok(wlog::checkpoint(&wal, 0, 0, |r| r == 2, 0, false));
        ok(w.next_segment());
        log_samples(&mut w, &[2, 3], 40);
        out.clear();
        while watcher.step(&mut out) == Step::Busy {}
        // On into segment 3, past the checkpoint: series 1 is forgotten, series 3 (logged
        // after the checkpoint's segment) kept.
        assert_eq!(watcher.known_series(), 2);
        let sent: Vec<(u64, i64)> = out.iter().map(|(r, p)| (*r, p.t)).collect();
        assert!(
            sent.contains(&(2, 40)) && sent.contains(&(3, 40)),
            "{sent:?}"
        );
    }
}
