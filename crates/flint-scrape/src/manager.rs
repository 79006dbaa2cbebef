//! The scrape manager: one pool per job, fed by discovery, reloaded by diffing jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use flint_config::ScrapeConfig;
use flint_discovery::TargetSets;
use flint_storage::Appendable;
use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::metrics::ScrapeMetrics;
use crate::pool::ScrapePool;
use crate::target::{DroppedTarget, Target};

/// What the manager needs.
#[derive(Clone)]
pub struct ManagerOptions {
    /// Where samples go.
    pub storage: Arc<dyn Appendable>,
    /// Self-metrics registry.
    pub registry: flint_client::Registry,
    /// Seed of the scrape offsets (Prometheus: hash of the external labels).
    pub offset_seed: u64,
}

impl std::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("offset_seed", &self.offset_seed)
            .finish()
    }
}

#[derive(Default)]
struct State {
    cfgs: BTreeMap<String, Arc<ScrapeConfig>>,
    pools: BTreeMap<String, ScrapePool>,
    sets: TargetSets,
    stopped: bool,
}

struct Inner {
    opts: ManagerOptions,
    metrics: ScrapeMetrics,
    failure_logs: crate::failure_log::FailureLogs,
    state: Mutex<State>,
}

/// The scrape manager; clones are handles to the same manager.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").finish()
    }
}

/// Active and dropped targets of one job, for the API.
#[derive(Debug, Clone)]
pub struct JobTargets {
    /// The job.
    pub job: String,
    /// Its config.
    pub cfg: Arc<ScrapeConfig>,
    /// Active targets.
    pub active: Vec<Arc<Target>>,
    /// Dropped targets kept.
    pub dropped: Vec<DroppedTarget>,
    /// All dropped targets.
    pub dropped_total: usize,
}

impl Manager {
    /// A manager with no jobs.
    pub fn new(opts: ManagerOptions) -> Self {
        let metrics = ScrapeMetrics::new(&opts.registry);
        Manager {
            inner: Arc::new(Inner {
                opts,
                metrics,
                failure_logs: Default::default(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Applies the jobs of a new config: removed jobs stop (staleness markers), changed
    /// jobs reload, unchanged ones keep running untouched, new ones start.
    pub async fn apply_config(&self, jobs: Vec<ScrapeConfig>) -> Result<()> {
        let new: BTreeMap<String, Arc<ScrapeConfig>> = jobs
            .into_iter()
            .map(|j| (j.job_name.clone(), Arc::new(j)))
            .collect();
        let mut st = self.inner.state.lock().await;
        let removed: Vec<String> = st
            .pools
            .keys()
            .filter(|j| !new.contains_key(*j))
            .cloned()
            .collect();
        for j in removed {
            if let Some(p) = st.pools.remove(&j) {
                p.stop(true).await;
            }
        }
        let State { pools, sets, .. } = &mut *st;
        for (job, cfg) in &new {
            let groups = sets.get(job).cloned().unwrap_or_default();
            match pools.get_mut(job) {
                Some(p) if p.config() == cfg => {}
                Some(p) => p.reload(
                    Arc::clone(cfg),
                    &self.inner.opts,
                    &self.inner.failure_logs,
                    &groups,
                )?,
                None => {
                    let mut p = ScrapePool::new(
                        Arc::clone(cfg),
                        &self.inner.opts,
                        &self.inner.metrics,
                        &self.inner.failure_logs,
                    )?;
                    p.sync(&groups);
                    pools.insert(job.clone(), p);
                }
            }
        }
        st.cfgs = new;
        Ok(())
    }

    /// Applies new target sets from discovery.
    pub async fn sync(&self, sets: TargetSets) {
        let mut st = self.inner.state.lock().await;
        if st.stopped {
            return;
        }
        for (job, pool) in st.pools.iter_mut() {
            pool.sync(sets.get(job).map_or(&[][..], Vec::as_slice));
        }
        st.sets = sets;
    }

    /// Receives target sets until `cancel` fires, then stops every pool, writing
    /// staleness markers.
    pub async fn run(self, cancel: CancellationToken, mut rx: mpsc::Receiver<TargetSets>) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                s = rx.recv() => match s {
                    Some(s) => self.sync(s).await,
                    None => { cancel.cancelled().await; break; }
                },
            }
        }
        self.stop().await;
    }

    /// Stops every pool with staleness markers (shutdown).
    pub async fn stop(&self) {
        let mut st = self.inner.state.lock().await;
        st.stopped = true;
        for (_, p) in std::mem::take(&mut st.pools) {
            p.stop(true).await;
        }
    }

    /// Every job's targets.
    pub async fn targets(&self) -> Vec<JobTargets> {
        let st = self.inner.state.lock().await;
        st.pools
            .iter()
            .map(|(job, p)| {
                let (dropped, dropped_total) = p.dropped_targets();
                JobTargets {
                    job: job.clone(),
                    cfg: Arc::clone(p.config()),
                    active: p.active_targets(),
                    dropped,
                    dropped_total,
                }
            })
            .collect()
    }
}
