//! `prometheus_remote_storage_*` and `prometheus_wal_watcher_*`, named and labelled as
//! upstream's so that existing lag and failure alerts keep working.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::histogram::{Buckets, Histogram};

type HistogramCtor = fn() -> Histogram;

fn batch_histogram() -> Histogram {
    // Upstream's buckets: the default ones stretched by 25, 60, 120 and 300 seconds.
    let bounds = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0, 120.0, 300.0,
    ];
    Histogram::new(Buckets::new(bounds).unwrap_or_default())
}

fn vec<M: flint_client::metrics::ChildMetric + Default>(names: &[&str]) -> LabelVec<M> {
    LabelVec::new(names.iter().copied()).unwrap_or_else(|_| unreachable!("constant label names"))
}

const QUEUE: [&str; 2] = ["remote_name", "url"];

/// The families, shared by every queue.
#[derive(Debug, Clone)]
pub struct WriteMetrics {
    samples: LabelVec<Counter>,
    failed: LabelVec<Counter>,
    retried: LabelVec<Counter>,
    dropped: LabelVec<Counter>,
    pending: LabelVec<Gauge>,
    bytes: LabelVec<Counter>,
    shards: LabelVec<Gauge>,
    shards_desired: LabelVec<Gauge>,
    shards_min: LabelVec<Gauge>,
    shards_max: LabelVec<Gauge>,
    shard_capacity: LabelVec<Gauge>,
    highest_sent: LabelVec<Gauge>,
    batch_duration: LabelVec<Histogram, HistogramCtor>,
    metadata: LabelVec<Counter>,
    metadata_failed: LabelVec<Counter>,
    metadata_retried: LabelVec<Counter>,
    metadata_bytes: LabelVec<Counter>,
    /// `prometheus_remote_storage_highest_timestamp_in_seconds`: newest sample read from
    /// the WAL by any queue.
    pub(crate) highest_in: Gauge,
    watcher_records: LabelVec<Counter>,
    watcher_segment: LabelVec<Gauge>,
}

/// One queue's children of the families.
#[derive(Debug, Clone)]
pub(crate) struct QueueMetrics {
    pub samples: Counter,
    pub failed: Counter,
    pub retried: Counter,
    pub dropped_series: Counter,
    pub pending: Gauge,
    pub bytes: Counter,
    pub shards: Gauge,
    pub shards_desired: Gauge,
    pub highest_sent: Gauge,
    pub batch_duration: Histogram,
    pub metadata: Counter,
    pub metadata_failed: Counter,
    pub metadata_retried: Counter,
    pub metadata_bytes: Counter,
    pub highest_in: Gauge,
    pub records: [Counter; 3],
    pub segment: Gauge,
}

/// Record types counted by `prometheus_wal_watcher_records_read_total`.
pub(crate) const RECORD_TYPES: [&str; 3] = ["series", "samples", "other"];

impl WriteMetrics {
    /// The families, registered with `registry`.
    pub fn new(registry: &Registry) -> Self {
        let m = WriteMetrics {
            samples: vec(&QUEUE),
            failed: vec(&QUEUE),
            retried: vec(&QUEUE),
            dropped: vec(&["remote_name", "url", "reason"]),
            pending: vec(&QUEUE),
            bytes: vec(&QUEUE),
            shards: vec(&QUEUE),
            shards_desired: vec(&QUEUE),
            shards_min: vec(&QUEUE),
            shards_max: vec(&QUEUE),
            shard_capacity: vec(&QUEUE),
            highest_sent: vec(&QUEUE),
            batch_duration: LabelVec::new_with_constructor(QUEUE, batch_histogram as HistogramCtor)
                .unwrap_or_else(|_| unreachable!("constant label names")),
            metadata: vec(&QUEUE),
            metadata_failed: vec(&QUEUE),
            metadata_retried: vec(&QUEUE),
            metadata_bytes: vec(&QUEUE),
            highest_in: Gauge::default(),
            watcher_records: vec(&["type", "consumer"]),
            watcher_segment: vec(&["consumer"]),
        };
        let p = "prometheus_remote_storage_";
        let results = [
            registry.register(&format!("{p}samples"), "Total number of samples sent to remote storage.", m.samples.clone()),
            registry.register(&format!("{p}samples_failed"), "Total number of samples which failed on send to remote storage, non-recoverable errors.", m.failed.clone()),
            registry.register(&format!("{p}samples_retried"), "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.", m.retried.clone()),
            registry.register(&format!("{p}samples_dropped"), "Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.", m.dropped.clone()),
            registry.register(&format!("{p}samples_pending"), "The number of samples pending in the queues shards to be sent to the remote storage.", m.pending.clone()),
            registry.register(&format!("{p}bytes"), "The total number of bytes of data (not metadata) sent by the queue after compression.", m.bytes.clone()),
            registry.register(&format!("{p}shards"), "The number of shards used for parallel sending to the remote storage.", m.shards.clone()),
            registry.register(&format!("{p}shards_desired"), "The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.", m.shards_desired.clone()),
            registry.register(&format!("{p}shards_min"), "The minimum number of shards that the queue is allowed to run.", m.shards_min.clone()),
            registry.register(&format!("{p}shards_max"), "The maximum number of shards that the queue is allowed to run.", m.shards_max.clone()),
            registry.register(&format!("{p}shard_capacity"), "The capacity of each shard of the queue used for parallel sending to the remote storage.", m.shard_capacity.clone()),
            registry.register(&format!("{p}queue_highest_sent_timestamp_seconds"), "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.", m.highest_sent.clone()),
            registry.register(&format!("{p}sent_batch_duration_seconds"), "Duration of send calls to the remote storage.", m.batch_duration.clone()),
            registry.register(&format!("{p}metadata"), "Total number of metadata entries sent to remote storage.", m.metadata.clone()),
            registry.register(&format!("{p}metadata_failed"), "Total number of metadata entries which failed on send to remote storage, non-recoverable errors.", m.metadata_failed.clone()),
            registry.register(&format!("{p}metadata_retried"), "Total number of metadata entries which failed on send to remote storage but were retried because the send error was recoverable.", m.metadata_retried.clone()),
            registry.register(&format!("{p}metadata_bytes"), "The total number of bytes of metadata sent by the queue after compression.", m.metadata_bytes.clone()),
            registry.register(&format!("{p}highest_timestamp_in_seconds"), "Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch.", m.highest_in.clone()),
            registry.register("prometheus_wal_watcher_records_read", "Number of records read by the WAL watcher from the WAL.", m.watcher_records.clone()),
            registry.register("prometheus_wal_watcher_current_segment", "Current segment the WAL watcher is reading records from.", m.watcher_segment.clone()),
        ];
        for r in results {
            if let Err(e) = r {
                tracing::debug!(error = %e, "remote-write metric not registered");
            }
        }
        m
    }

    /// The children of queue `name` sending to `url`.
    pub(crate) fn queue(
        &self,
        name: &str,
        url: &str,
        cfg: &flint_config::remote::QueueConfig,
    ) -> QueueMetrics {
        let l = [name, url];
        let get_c = |v: &LabelVec<Counter>| v.with_label_values(&l).unwrap_or_default();
        let get_g = |v: &LabelVec<Gauge>| v.with_label_values(&l).unwrap_or_default();
        get_g(&self.shards_min).set(cfg.min_shards as f64);
        get_g(&self.shards_max).set(cfg.max_shards as f64);
        get_g(&self.shard_capacity).set(cfg.capacity as f64);
        QueueMetrics {
            samples: get_c(&self.samples),
            failed: get_c(&self.failed),
            retried: get_c(&self.retried),
            dropped_series: self
                .dropped
                .with_label_values(&[name, url, "dropped_series"])
                .unwrap_or_default(),
            pending: get_g(&self.pending),
            bytes: get_c(&self.bytes),
            shards: get_g(&self.shards),
            shards_desired: get_g(&self.shards_desired),
            highest_sent: get_g(&self.highest_sent),
            batch_duration: self
                .batch_duration
                .with_label_values(&l)
                .unwrap_or_else(|_| batch_histogram()),
            metadata: get_c(&self.metadata),
            metadata_failed: get_c(&self.metadata_failed),
            metadata_retried: get_c(&self.metadata_retried),
            metadata_bytes: get_c(&self.metadata_bytes),
            highest_in: self.highest_in.clone(),
            records: RECORD_TYPES.map(|t| {
                self.watcher_records
                    .with_label_values(&[t, name])
                    .unwrap_or_default()
            }),
            segment: self
                .watcher_segment
                .with_label_values(&[name])
                .unwrap_or_default(),
        }
    }

    /// Forgets the children of a queue that stopped.
    pub(crate) fn remove_queue(&self, name: &str, url: &str) {
        let l = [name, url];
        for v in [
            &self.samples,
            &self.failed,
            &self.retried,
            &self.bytes,
            &self.metadata,
            &self.metadata_failed,
            &self.metadata_retried,
            &self.metadata_bytes,
        ] {
            let _ = v.remove_label_values(&l);
        }
        for v in [
            &self.pending,
            &self.shards,
            &self.shards_desired,
            &self.shards_min,
            &self.shards_max,
            &self.shard_capacity,
            &self.highest_sent,
        ] {
            let _ = v.remove_label_values(&l);
        }
        let _ = self.batch_duration.remove_label_values(&l);
        let _ = self
            .dropped
            .remove_label_values(&[name, url, "dropped_series"]);
        for t in RECORD_TYPES {
            let _ = self.watcher_records.remove_label_values(&[t, name]);
        }
        let _ = self.watcher_segment.remove_label_values(&[name]);
    }
}
