//! [`DbOptions`]: the settings of a database, mirroring Prometheus's `--storage.tsdb.*` flags.

use std::time::Duration;

use crate::wlog::DEFAULT_SEGMENT_SIZE;

/// Two hours: the default `--storage.tsdb.min-block-duration`.
pub const DEFAULT_BLOCK_DURATION: Duration = Duration::from_secs(2 * 3600);
/// Fifteen days: the default `--storage.tsdb.retention.time` when no retention is set.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(15 * 24 * 3600);
/// The largest block compaction produces unless `max_block_duration` says otherwise.
pub const MAX_BLOCK_DURATION_CAP: Duration = Duration::from_secs(31 * 24 * 3600);

/// Database settings. [`Default`] gives Prometheus's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbOptions {
    /// `--storage.tsdb.retention.time`: blocks whose data ends this long before the newest
    /// block's end are deleted. `None` disables time retention (see [`DbOptions::resolved`]).
    pub retention: Option<Duration>,
    /// `--storage.tsdb.retention.size`: the oldest blocks are deleted while blocks, WAL and
    /// head chunks together exceed this many bytes. `None` disables size retention.
    pub max_bytes: Option<u64>,
    /// `--storage.tsdb.min-block-duration`: the head is cut into blocks of this range; also
    /// the chunk range of the head.
    pub min_block_duration: Duration,
    /// `--storage.tsdb.max-block-duration`: compaction never builds blocks longer than this.
    /// `None`: 10% of the time retention, at most 31 days. Equal to `min_block_duration`,
    /// compaction of blocks is off.
    pub max_block_duration: Option<Duration>,
    /// `--storage.tsdb.wal-segment-size`: largest WAL segment (a multiple of 32 KiB).
    pub wal_segment_size: usize,
    /// `--storage.tsdb.wal-compression`: snappy-compress WAL records.
    pub wal_compression: bool,
    /// fsync the WAL on every commit (Flint's addition; Prometheus never does). By default a
    /// commit is in the kernel when it returns (safe against a process crash) and segments are
    /// fsynced when complete and on close.
    pub wal_sync_every_commit: bool,
    /// `--storage.tsdb.no-lockfile`: do not take the `lock` file.
    pub no_lockfile: bool,
    /// Lock stripes of the head's series maps (`--storage.tsdb.head-chunks-...` has no
    /// counterpart; Prometheus uses 16384).
    pub stripe_size: usize,
    /// Threads used to replay the WAL (0: one per core).
    pub replay_workers: usize,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            retention: None,
            max_bytes: None,
            min_block_duration: DEFAULT_BLOCK_DURATION,
            max_block_duration: None,
            wal_segment_size: DEFAULT_SEGMENT_SIZE,
            wal_compression: true,
            wal_sync_every_commit: false,
            no_lockfile: false,
            stripe_size: 1 << 14,
            replay_workers: 0,
        }
    }
}

impl DbOptions {
    /// The options with Prometheus's start-up rules applied: 15 days of time retention when
    /// neither time nor size retention is set; the maximum block duration derived from the
    /// time retention when unset.
    pub fn resolved(&self) -> DbOptions {
        let mut o = self.clone();
        if o.retention.is_none() && o.max_bytes.is_none() {
            o.retention = Some(DEFAULT_RETENTION);
        }
        if o.max_block_duration.is_none() {
            let mut max = MAX_BLOCK_DURATION_CAP;
            if let Some(r) = o.retention.filter(|r| !r.is_zero())
                && r / 10 < max
            {
                max = r / 10;
            }
            o.max_block_duration = Some(max.max(o.min_block_duration));
        }
        o
    }

    /// The block (and chunk) range in milliseconds.
    pub fn block_range_ms(&self) -> i64 {
        duration_ms(self.min_block_duration).max(1)
    }

    /// Retention in milliseconds, 0 when disabled.
    pub fn retention_ms(&self) -> i64 {
        self.retention.map_or(0, duration_ms)
    }

    /// Compaction ranges, in milliseconds: the block range times 1, 3, 9, … up to the
    /// maximum block duration (Prometheus's exponential ranges with factor 3).
    pub fn compaction_ranges(&self) -> Vec<i64> {
        let min = self.block_range_ms();
        let max = self.max_block_duration.map_or(min, duration_ms).max(min);
        let mut out = Vec::new();
        let mut r = min;
        for _ in 0..10 {
            if r > max {
                break;
            }
            out.push(r);
            r = r.saturating_mul(3);
        }
        out
    }
}

/// A duration in milliseconds, saturating.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_prometheus() {
        let o = DbOptions::default().resolved();
        assert_eq!(o.retention, Some(DEFAULT_RETENTION));
        assert_eq!(o.max_block_duration, Some(DEFAULT_RETENTION / 10));
        let h2 = 2 * 3600 * 1000;
        assert_eq!(o.compaction_ranges(), vec![h2, 3 * h2, 9 * h2]);
        let size_only = DbOptions {
            max_bytes: Some(1 << 30),
            ..DbOptions::default()
        }
        .resolved();
        assert_eq!(size_only.retention, None);
        assert_eq!(size_only.max_block_duration, Some(MAX_BLOCK_DURATION_CAP));
        assert_eq!(size_only.compaction_ranges().len(), 6);
        let off = DbOptions {
            max_block_duration: Some(DEFAULT_BLOCK_DURATION),
            ..DbOptions::default()
        };
        assert_eq!(off.compaction_ranges(), vec![h2]);
    }
}
