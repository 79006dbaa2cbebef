//! One pool per job: its targets and their loops, sharing an HTTP client.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use flint_config::ScrapeConfig;
use flint_discovery::TargetGroup;
use flint_discovery::client::{ClientOptions, HttpClient};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::failure_log::FailureLogs;
use crate::manager::ManagerOptions;
use crate::metrics::ScrapeMetrics;
use crate::scrape_loop::{LoopContext, ScrapeLoop};
use crate::target::{DroppedTarget, Populated, Target, populate};

struct Running {
    target: Arc<Target>,
    cancel: CancellationToken,
    stale_on_stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

/// The targets and loops of one job.
pub struct ScrapePool {
    ctx: Arc<LoopContext>,
    active: HashMap<u64, Running>,
    dropped: Vec<DroppedTarget>,
    dropped_total: usize,
}

impl std::fmt::Debug for ScrapePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapePool")
            .field("job", &self.ctx.cfg.job_name)
            .field("targets", &self.active.len())
            .finish()
    }
}

fn context(
    cfg: Arc<ScrapeConfig>,
    opts: &ManagerOptions,
    metrics: &ScrapeMetrics,
    logs: &FailureLogs,
) -> Result<LoopContext> {
    let client = HttpClient::new(&cfg.http_client(), &ClientOptions::default())?;
    let accept = flint_expfmt::scrape_accept_header(&cfg.protocols());
    let failure_log = logs.get(&cfg.scrape_failure_log_file);
    Ok(LoopContext {
        cfg,
        client,
        storage: Arc::clone(&opts.storage),
        metrics: metrics.clone(),
        accept,
        offset_seed: opts.offset_seed,
        forced_error: std::sync::Mutex::new(None),
        failure_log,
        buffers: Default::default(),
    })
}

impl ScrapePool {
    /// A pool for `cfg` with no targets yet.
    pub fn new(
        cfg: Arc<ScrapeConfig>,
        opts: &ManagerOptions,
        metrics: &ScrapeMetrics,
        logs: &FailureLogs,
    ) -> Result<Self> {
        metrics.pools.inc();
        Ok(ScrapePool {
            ctx: Arc::new(context(cfg, opts, metrics, logs)?),
            active: HashMap::new(),
            dropped: Vec::new(),
            dropped_total: 0,
        })
    }

    /// The job's config.
    pub fn config(&self) -> &Arc<ScrapeConfig> {
        &self.ctx.cfg
    }

    /// Applies the job's current target groups: new targets start, vanished ones stop
    /// (with staleness markers), unchanged ones keep running.
    pub fn sync(&mut self, groups: &[TargetGroup]) {
        let cfg = Arc::clone(&self.ctx.cfg);
        let mut relabeler = crate::target::relabeler(&cfg);
        let mut seen = HashMap::new();
        let mut dropped = Vec::new();
        let mut dropped_total = 0;
        let keep = cfg.keep_dropped_targets as usize;
        for g in groups {
            for t in &g.targets {
                match populate(g, t, &cfg, &mut relabeler) {
                    Populated::Active(t) => {
                        seen.entry(t.hash).or_insert(t);
                    }
                    Populated::Dropped(d) => {
                        dropped_total += 1;
                        if keep == 0 || dropped.len() < keep {
                            dropped.push(d);
                        }
                    }
                    Populated::Invalid(e) => {
                        tracing::warn!(job = %cfg.job_name, error = %e, "Invalid target");
                    }
                }
            }
        }
        self.dropped = dropped;
        self.dropped_total = dropped_total;
        let gone: Vec<u64> = self
            .active
            .keys()
            .filter(|h| !seen.contains_key(h))
            .copied()
            .collect();
        for h in gone {
            if let Some(r) = self.active.remove(&h) {
                r.stale_on_stop.store(true, Ordering::SeqCst);
                r.cancel.cancel();
            }
        }
        for (h, t) in seen {
            if self.active.contains_key(&h) {
                continue;
            }
            self.start(h, Arc::new(t));
        }
        let limit = cfg.target_limit as usize;
        let forced = (limit > 0 && self.active.len() > limit).then(|| {
            format!(
                "target_limit exceeded (number of targets: {}, limit: {limit})",
                self.active.len()
            )
        });
        if let Ok(mut f) = self.ctx.forced_error.lock() {
            *f = forced;
        }
        if let Ok(g) = self
            .ctx
            .metrics
            .pool_targets
            .with_label_values(&[&cfg.job_name])
        {
            g.set(self.active.len() as f64);
        }
    }

    fn start(&mut self, hash: u64, target: Arc<Target>) {
        let cancel = CancellationToken::new();
        let stale_on_stop = Arc::new(AtomicBool::new(false));
        let l = ScrapeLoop::new(Arc::clone(&target), Arc::clone(&self.ctx));
        let handle = tokio::spawn(l.run(cancel.clone(), Arc::clone(&stale_on_stop)));
        self.active.insert(
            hash,
            Running {
                target,
                cancel,
                stale_on_stop,
                handle,
            },
        );
    }

    /// Applies a changed config: every loop restarts with it (no staleness markers, the
    /// series continue), targets are recomputed from `groups`.
    pub fn reload(
        &mut self,
        cfg: Arc<ScrapeConfig>,
        opts: &ManagerOptions,
        logs: &FailureLogs,
        groups: &[TargetGroup],
    ) -> Result<()> {
        let ctx = Arc::new(context(cfg, opts, &self.ctx.metrics, logs)?);
        self.ctx.metrics.reloads.inc();
        for (_, r) in self.active.drain() {
            r.cancel.cancel();
        }
        self.ctx = ctx;
        self.sync(groups);
        Ok(())
    }

    /// Stops every loop; with `stale` their series are marked stale. Waits for them.
    pub async fn stop(self, stale: bool) {
        let mut handles = Vec::new();
        for (_, r) in self.active {
            r.stale_on_stop.store(stale, Ordering::SeqCst);
            r.cancel.cancel();
            handles.push(r.handle);
        }
        for h in handles {
            let _ = h.await;
        }
    }

    /// Active targets.
    pub fn active_targets(&self) -> Vec<Arc<Target>> {
        let mut v: Vec<Arc<Target>> = self
            .active
            .values()
            .map(|r| Arc::clone(&r.target))
            .collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v
    }

    /// Dropped targets (at most `keep_dropped_targets`) and how many were dropped in all.
    pub fn dropped_targets(&self) -> (Vec<DroppedTarget>, usize) {
        (self.dropped.clone(), self.dropped_total)
    }
}
