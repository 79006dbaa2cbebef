//! Self-metrics under Prometheus's names (`prometheus_tsdb_*`), read from the database's
//! counters when `/metrics` is scraped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use flint_client::collector::CollectorEncoder;
use flint_client::metrics::histogram::{Buckets, Histogram};
use flint_expfmt::{Point, SummaryPoint};
use flint_model::MetricType;

use super::DbInner;
use super::options::DbOptions;
use crate::block::dir_size;
use crate::head::ReplayStats;

/// Counters of the database (the head's own are in [`crate::head::HeadStats`]).
#[derive(Debug)]
pub struct DbMetrics {
    /// `prometheus_tsdb_wal_corruptions_total`.
    pub wal_corruptions: AtomicU64,
    /// `prometheus_tsdb_mmap_chunk_corruptions_total`.
    pub mmap_chunk_corruptions: AtomicU64,
    /// `prometheus_tsdb_wal_truncations_total`.
    pub wal_truncations: AtomicU64,
    /// `prometheus_tsdb_wal_truncations_failed_total`.
    pub wal_truncations_failed: AtomicU64,
    /// Time spent truncating the WAL, microseconds.
    pub wal_truncate_micros: AtomicU64,
    /// `prometheus_tsdb_checkpoint_creations_total`.
    pub checkpoint_creations: AtomicU64,
    /// `prometheus_tsdb_checkpoint_creations_failed_total`.
    pub checkpoint_creations_failed: AtomicU64,
    /// `prometheus_tsdb_checkpoint_deletions_total`.
    pub checkpoint_deletions: AtomicU64,
    /// `prometheus_tsdb_checkpoint_deletions_failed_total`.
    pub checkpoint_deletions_failed: AtomicU64,
    /// `prometheus_tsdb_compactions_total`.
    pub compactions: AtomicU64,
    /// `prometheus_tsdb_compactions_failed_total`.
    pub compactions_failed: AtomicU64,
    /// `prometheus_tsdb_compactions_triggered_total`.
    pub compactions_triggered: AtomicU64,
    /// `prometheus_tsdb_vertical_compactions_total`.
    pub vertical_compactions: AtomicU64,
    /// `prometheus_tsdb_reloads_total`.
    pub reloads: AtomicU64,
    /// `prometheus_tsdb_reloads_failures_total`.
    pub reloads_failed: AtomicU64,
    /// `prometheus_tsdb_time_retentions_total`.
    pub time_retentions: AtomicU64,
    /// `prometheus_tsdb_size_retentions_total`.
    pub size_retentions: AtomicU64,
    /// `flint_tsdb_blocks_quarantined_total`: blocks moved to `corrupted/`.
    pub blocks_quarantined: AtomicU64,
    /// `prometheus_tsdb_compaction_duration_seconds`.
    pub compaction_duration: Histogram,
    /// Replay duration in microseconds (`prometheus_tsdb_data_replay_duration_seconds`).
    pub replay_micros: AtomicU64,
    retention_limit_bytes: u64,
    retention_limit_seconds: f64,
}

impl DbMetrics {
    pub(crate) fn new(opts: &DbOptions) -> Self {
        let compaction_duration = Buckets::exponential(1.0, 2.0, 14)
            .map(Histogram::new)
            .unwrap_or_default();
        DbMetrics {
            wal_corruptions: AtomicU64::new(0),
            mmap_chunk_corruptions: AtomicU64::new(0),
            wal_truncations: AtomicU64::new(0),
            wal_truncations_failed: AtomicU64::new(0),
            wal_truncate_micros: AtomicU64::new(0),
            checkpoint_creations: AtomicU64::new(0),
            checkpoint_creations_failed: AtomicU64::new(0),
            checkpoint_deletions: AtomicU64::new(0),
            checkpoint_deletions_failed: AtomicU64::new(0),
            compactions: AtomicU64::new(0),
            compactions_failed: AtomicU64::new(0),
            compactions_triggered: AtomicU64::new(0),
            vertical_compactions: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            time_retentions: AtomicU64::new(0),
            size_retentions: AtomicU64::new(0),
            blocks_quarantined: AtomicU64::new(0),
            compaction_duration,
            replay_micros: AtomicU64::new(0),
            retention_limit_bytes: opts.max_bytes.unwrap_or(0),
            retention_limit_seconds: opts.retention.map_or(0.0, |r| r.as_secs_f64()),
        }
    }

    pub(crate) fn add_quarantined(&self, n: usize) {
        self.blocks_quarantined
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn note_replay(&self, r: &ReplayStats) {
        if r.wal_repair.is_some() {
            self.wal_corruptions.fetch_add(1, Ordering::Relaxed);
        }
        if r.mmap_corrupted {
            self.mmap_chunk_corruptions.fetch_add(1, Ordering::Relaxed);
        }
        self.replay_micros
            .store(r.duration.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn observe_compaction(&self, took: Duration, ok: bool) {
        self.compaction_duration.observe(took.as_secs_f64());
        let c = if ok {
            &self.compactions
        } else {
            &self.compactions_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// The registry hook: holds the database weakly so a registry outliving it exports nothing.
#[derive(Debug)]
pub(crate) struct Collector(pub(crate) Weak<DbInner>);

fn get(a: &AtomicU64) -> f64 {
    a.load(Ordering::Relaxed) as f64
}

fn typed_counter(out: &mut CollectorEncoder<'_>, name: &str, help: &str, value: f64) {
    out.family(name, help, MetricType::Counter, "");
    out.metric(
        &[("type", "float")],
        &Point::Counter {
            value,
            created: None,
            exemplar: None,
        },
    );
}

fn summary(out: &mut CollectorEncoder<'_>, name: &str, help: &str, count: f64, sum: f64) {
    out.family(name, help, MetricType::Summary, "");
    let point = SummaryPoint {
        count,
        sum,
        quantiles: &[],
        created: None,
    };
    out.metric(&(), &Point::Summary(point));
}

impl flint_client::collector::Collector for Collector {
    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let Some(db) = self.0.upgrade() else {
            return;
        };
        collect_head(&db, out);
        collect_wal(&db, out);
        collect_db(&db, out);
    }
}

fn collect_head(db: &Arc<DbInner>, out: &mut CollectorEncoder<'_>) {
    let h = &db.head;
    let s = &h.stats;
    out.gauge(
        "prometheus_tsdb_head_series",
        "Total number of series in the head block.",
        h.num_series() as f64,
    );
    out.counter(
        "prometheus_tsdb_head_series_created",
        "Total number of series created in the head",
        get(&s.series_created),
    );
    out.counter(
        "prometheus_tsdb_head_series_removed",
        "Total number of series removed in the head",
        get(&s.series_removed),
    );
    out.gauge(
        "prometheus_tsdb_head_chunks",
        "Total number of chunks in the head block.",
        h.num_chunks() as f64,
    );
    out.counter(
        "prometheus_tsdb_head_chunks_created",
        "Total number of chunks created in the head",
        get(&s.chunks_created),
    );
    out.counter(
        "prometheus_tsdb_head_chunks_removed",
        "Total number of chunks removed in the head",
        get(&s.chunks_removed),
    );
    typed_counter(
        out,
        "prometheus_tsdb_head_samples_appended",
        "Total number of appended samples.",
        get(&s.samples_appended),
    );
    typed_counter(
        out,
        "prometheus_tsdb_out_of_order_samples",
        "Total number of out of order samples ingestion failed attempts due to out of order being disabled.",
        get(&s.out_of_order),
    );
    typed_counter(
        out,
        "prometheus_tsdb_out_of_bound_samples",
        "Total number of out of bound samples ingestion failed attempts with out of order support disabled.",
        get(&s.out_of_bounds),
    );
    let (min, max) = (h.min_time(), h.max_time());
    let (min, max) = if min == i64::MAX { (0, 0) } else { (min, max) };
    out.gauge(
        "prometheus_tsdb_head_min_time",
        "Minimum time bound of the head block. The unit is decided by the library consumer.",
        min as f64,
    );
    out.gauge(
        "prometheus_tsdb_head_max_time",
        "Maximum timestamp of the head block. The unit is decided by the library consumer.",
        max as f64,
    );
    out.gauge(
        "prometheus_tsdb_head_min_time_seconds",
        "Minimum time bound of the head block.",
        min as f64 / 1000.0,
    );
    out.gauge(
        "prometheus_tsdb_head_max_time_seconds",
        "Maximum timestamp of the head block.",
        max as f64 / 1000.0,
    );
    out.counter(
        "prometheus_tsdb_head_truncations",
        "Total number of head truncations attempted.",
        get(&s.truncations),
    );
    out.counter(
        "prometheus_tsdb_head_truncations_failed",
        "Total number of head truncations that failed.",
        get(&s.truncations_failed),
    );
    out.gauge(
        "prometheus_tsdb_head_chunks_storage_size_bytes",
        "Size of the chunks_head directory.",
        h.head_chunks().size_bytes() as f64,
    );
    out.gauge(
        "prometheus_tsdb_symbol_table_size_bytes",
        "Size of symbol table in memory for loaded blocks",
        h.symbols().size_bytes() as f64,
    );
}

fn collect_wal(db: &Arc<DbInner>, out: &mut CollectorEncoder<'_>) {
    let m = &db.metrics;
    let w = &db.wal.stats;
    out.counter(
        "prometheus_tsdb_wal_corruptions",
        "Total number of WAL corruptions.",
        get(&m.wal_corruptions),
    );
    out.counter(
        "prometheus_tsdb_mmap_chunk_corruptions",
        "Total number of memory-mapped chunk corruptions.",
        get(&m.mmap_chunk_corruptions),
    );
    out.counter(
        "prometheus_tsdb_wal_writes_failed",
        "Total number of WAL writes that failed.",
        get(&w.writes_failed),
    );
    summary(
        out,
        "prometheus_tsdb_wal_fsync_duration_seconds",
        "Duration of write log fsync.",
        get(&w.fsyncs),
        get(&w.fsync_micros) / 1e6,
    );
    out.gauge(
        "prometheus_tsdb_wal_segment_current",
        "Write log segment index that TSDB is currently writing to.",
        db.wal.current_segment().map_or(0.0, |s| s as f64),
    );
    out.gauge(
        "prometheus_tsdb_wal_storage_size_bytes",
        "Size of the write log directory.",
        dir_size(db.wal.dir()) as f64,
    );
    out.counter(
        "prometheus_tsdb_wal_truncations",
        "Total number of write log truncations attempted.",
        get(&m.wal_truncations),
    );
    out.counter(
        "prometheus_tsdb_wal_truncations_failed",
        "Total number of write log truncations that failed.",
        get(&m.wal_truncations_failed),
    );
    summary(
        out,
        "prometheus_tsdb_wal_truncate_duration_seconds",
        "Duration of WAL truncation.",
        get(&m.wal_truncations) + get(&m.wal_truncations_failed),
        get(&m.wal_truncate_micros) / 1e6,
    );
    for (name, help, v) in [
        (
            "prometheus_tsdb_checkpoint_creations",
            "Total number of checkpoint creations attempted.",
            &m.checkpoint_creations,
        ),
        (
            "prometheus_tsdb_checkpoint_creations_failed",
            "Total number of checkpoint creations that failed.",
            &m.checkpoint_creations_failed,
        ),
        (
            "prometheus_tsdb_checkpoint_deletions",
            "Total number of checkpoint deletions attempted.",
            &m.checkpoint_deletions,
        ),
        (
            "prometheus_tsdb_checkpoint_deletions_failed",
            "Total number of checkpoint deletions that failed.",
            &m.checkpoint_deletions_failed,
        ),
    ] {
        out.counter(name, help, get(v));
    }
    out.gauge(
        "prometheus_tsdb_data_replay_duration_seconds",
        "Time taken to replay the data on disk.",
        get(&m.replay_micros) / 1e6,
    );
}

fn collect_db(db: &Arc<DbInner>, out: &mut CollectorEncoder<'_>) {
    let m = &db.metrics;
    let blocks = db.blocks();
    out.gauge(
        "prometheus_tsdb_blocks_loaded",
        "Number of currently loaded data blocks",
        blocks.len() as f64,
    );
    out.gauge(
        "prometheus_tsdb_storage_blocks_bytes",
        "The number of bytes that are currently used for local storage by all blocks.",
        blocks.iter().map(|b| b.size_bytes()).sum::<u64>() as f64,
    );
    for (name, help, v) in [
        (
            "prometheus_tsdb_reloads",
            "Number of times the database reloaded block data from disk.",
            &m.reloads,
        ),
        (
            "prometheus_tsdb_reloads_failures",
            "Number of times the database failed to reloadBlocks block data from disk.",
            &m.reloads_failed,
        ),
        (
            "prometheus_tsdb_compactions",
            "Total number of compactions that were executed for the partition.",
            &m.compactions,
        ),
        (
            "prometheus_tsdb_compactions_failed",
            "Total number of compactions that failed for the partition.",
            &m.compactions_failed,
        ),
        (
            "prometheus_tsdb_compactions_triggered",
            "Total number of triggered compactions for the partition.",
            &m.compactions_triggered,
        ),
        (
            "prometheus_tsdb_vertical_compactions",
            "Total number of compactions done on overlapping blocks.",
            &m.vertical_compactions,
        ),
        (
            "prometheus_tsdb_time_retentions",
            "The number of times that blocks were deleted because the maximum time limit was exceeded.",
            &m.time_retentions,
        ),
        (
            "prometheus_tsdb_size_retentions",
            "The number of times that blocks were deleted because the maximum number of bytes was exceeded.",
            &m.size_retentions,
        ),
        (
            "flint_tsdb_blocks_quarantined",
            "Blocks found corrupt and moved to the corrupted/ directory.",
            &m.blocks_quarantined,
        ),
    ] {
        out.counter(name, help, get(v));
    }
    out.encode_metric(
        "prometheus_tsdb_compaction_duration_seconds",
        "Duration of compaction runs",
        &m.compaction_duration,
    );
    out.gauge(
        "prometheus_tsdb_retention_limit_bytes",
        "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
        m.retention_limit_bytes as f64,
    );
    out.gauge(
        "prometheus_tsdb_retention_limit_seconds",
        "How long to retain samples in storage.",
        m.retention_limit_seconds,
    );
    let lowest = db.lowest_timestamp().unwrap_or(0);
    out.gauge(
        "prometheus_tsdb_lowest_timestamp",
        "Lowest timestamp value stored in the database. The unit is decided by the library consumer.",
        lowest as f64,
    );
    out.gauge(
        "prometheus_tsdb_lowest_timestamp_seconds",
        "Lowest timestamp value stored in the database.",
        lowest as f64 / 1000.0,
    );
}
