//! [`RemoteWrite`]: the queues of the config's `remote_write` entries. A reload keeps the
//! queues whose entry (and the external labels) did not change, stops removed ones and
//! starts new or changed ones; a reload whose entries cannot be set up changes nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use flint_client::Registry;
use flint_config::Config;
use flint_config::relabel::rules;
use flint_config::remote::RemoteWriteConfig;
use flint_model::Labels;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use xxhash_rust::xxh3::xxh3_64;

use super::client::WriteClient;
use super::metadata::{self, MetadataSource};
use super::metrics::WriteMetrics;
use super::progress::Progress;
use super::queue::{ShardPlanner, run_queue};
use super::shards::{SendContext, SendStats, now_ms};
use super::watcher::{Start, Watcher};
use crate::error::WriteError;

/// Where the queues read and keep their state.
#[derive(Debug, Clone)]
pub struct RemoteWriteOptions {
    /// The WAL directory the queues follow (`<data>/wal`).
    pub wal_dir: PathBuf,
    /// Where each queue saves how far it delivered (`<data>/remote`); `None` keeps that in
    /// memory only, so a restart starts from "now" as upstream does.
    pub state_dir: Option<PathBuf>,
    /// Where the metrics go.
    pub registry: Registry,
    /// Where `metadata_config` takes the families' metadata from; `None` sends none.
    pub metadata: Option<Arc<dyn MetadataSource>>,
}

struct Running {
    cfg: RemoteWriteConfig,
    external: Labels,
    url: String,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    metadata_task: Option<JoinHandle<()>>,
    ctx: Arc<SendContext>,
}

struct Inner {
    opts: RemoteWriteOptions,
    metrics: WriteMetrics,
    queues: tokio::sync::Mutex<BTreeMap<String, Running>>,
}

/// The remote-write sender. Clones are handles to the same one.
#[derive(Clone)]
pub struct RemoteWrite {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RemoteWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWrite").finish_non_exhaustive()
    }
}

/// Upstream's queue name: the entry's `name`, else the first 6 hex digits of a hash of
/// the entry.
fn queue_name(cfg: &RemoteWriteConfig) -> String {
    if !cfg.name.is_empty() {
        return cfg.name.clone();
    }
    let text = serde_json::to_string(cfg).unwrap_or_default();
    format!("{:016x}", xxh3_64(text.as_bytes()))[..6].to_string()
}

impl RemoteWrite {
    /// A sender with no queues yet.
    pub fn new(opts: RemoteWriteOptions) -> Self {
        let metrics = WriteMetrics::new(&opts.registry);
        RemoteWrite {
            inner: Arc::new(Inner {
                opts,
                metrics,
                queues: tokio::sync::Mutex::default(),
            }),
        }
    }

    /// The running queues' names.
    pub async fn queue_names(&self) -> Vec<String> {
        self.inner.queues.lock().await.keys().cloned().collect()
    }

    /// The lowest of the queues' newest delivered sample times (ms); `None` without
    /// queues. Agent mode keeps the WAL from here on.
    pub async fn lowest_sent_ms(&self) -> Option<i64> {
        let queues = self.inner.queues.lock().await;
        queues.values().map(|r| r.ctx.stats.highest_sent_ms()).min()
    }

    /// Applies the `remote_write` entries of `cfg`.
    pub async fn apply_config(&self, cfg: &Config) -> Result<(), WriteError> {
        let external = cfg.global.external_label_set();
        let mut wanted: BTreeMap<String, RemoteWriteConfig> = BTreeMap::new();
        for rw in &cfg.remote_write {
            let name = queue_name(rw);
            if wanted.insert(name, rw.clone()).is_some() {
                return Err(WriteError::Duplicate {
                    url: rw.url.clone().unwrap_or_default(),
                });
            }
        }
        let mut queues = self.inner.queues.lock().await;
        // A queue keeps running when its entry and the external labels are unchanged.
        let kept = |name: &str, r: &Running| {
            r.external == external && wanted.get(name).is_some_and(|rw| *rw == r.cfg)
        };
        // Build every new client first, so a bad entry changes nothing.
        let mut fresh = Vec::new();
        for (name, rw) in &wanted {
            if !queues.get(name).is_some_and(|r| kept(name, r)) {
                fresh.push((name.clone(), rw.clone(), WriteClient::new(name, rw)?));
            }
        }
        let stale: Vec<String> = queues
            .iter()
            .filter(|(name, r)| !kept(name, r))
            .map(|(n, _)| n.clone())
            .collect();
        for name in stale {
            if let Some(r) = queues.remove(&name) {
                self.stop_queue(&name, r).await;
            }
        }
        for (name, rw, client) in fresh {
            let r = self.start_queue(&name, rw, client, &external);
            queues.insert(name, r);
        }
        Ok(())
    }

    fn start_queue(
        &self,
        name: &str,
        cfg: RemoteWriteConfig,
        client: WriteClient,
        external: &Labels,
    ) -> Running {
        let url = cfg.url.clone().unwrap_or_default();
        let q = &cfg.queue_config;
        let metrics = self.inner.metrics.queue(name, &url, q);
        let state = self.inner.opts.state_dir.as_ref().map(|d| {
            let key = if cfg.name.is_empty() { &url } else { &cfg.name };
            d.join(format!("{:016x}.position", xxh3_64(key.as_bytes())))
        });
        let progress = Arc::new(Progress::new(state));
        let start = match progress.load() {
            Some(p) => Start::At(p),
            None => Start::After(now_ms()),
        };
        tracing::info!(remote_name = name, url = %url, start = ?start, "Starting remote-write queue");
        let watcher = Watcher::new(
            self.inner.opts.wal_dir.clone(),
            external.clone(),
            rules(&cfg.write_relabel_configs),
            start,
            metrics.clone(),
            Arc::clone(&progress),
        );
        let positive = |v: i64| usize::try_from(v).unwrap_or(1).max(1);
        let ctx = Arc::new(SendContext {
            name: name.to_string(),
            client,
            max_samples: positive(q.max_samples_per_send),
            capacity: positive(q.capacity),
            deadline: q.batch_send_deadline.std(),
            min_backoff: q.min_backoff.std(),
            max_backoff: q.max_backoff.std(),
            metrics,
            progress,
            stats: SendStats::default(),
        });
        let planner = ShardPlanner::new(positive(q.min_shards), positive(q.max_shards));
        let cancel = CancellationToken::new();
        let metadata_task = match (&self.inner.opts.metadata, cfg.metadata_config.send) {
            (Some(source), true) => Some(tokio::spawn(metadata::run(
                Arc::clone(&ctx),
                Arc::clone(source),
                cfg.metadata_config.clone(),
                cancel.clone(),
            ))),
            _ => None,
        };
        let task = tokio::spawn(run_queue(
            Arc::clone(&ctx),
            watcher,
            planner,
            cancel.clone(),
        ));
        Running {
            cfg,
            external: external.clone(),
            url,
            cancel,
            task,
            metadata_task,
            ctx,
        }
    }

    async fn stop_queue(&self, name: &str, r: Running) {
        r.cancel.cancel();
        if let Err(e) = r.task.await {
            tracing::warn!(remote_name = name, error = %e, "Remote-write queue ended badly");
        }
        if let Some(t) = r.metadata_task {
            let _ = t.await;
        }
        self.inner.metrics.remove_queue(name, &r.url);
        tracing::info!(remote_name = name, "Stopped remote-write queue");
    }

    /// Runs until `cancel`, then stops every queue (each flushing for a few seconds and
    /// saving its position).
    pub async fn run(self, cancel: CancellationToken) {
        cancel.cancelled().await;
        let mut queues = self.inner.queues.lock().await;
        let all = std::mem::take(&mut *queues);
        for (name, r) in all {
            self.stop_queue(&name, r).await;
        }
    }
}
