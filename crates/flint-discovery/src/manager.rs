//! The discovery manager: providers shared by identical configs, per-provider updaters,
//! and a throttled sender of the full job → target-groups map.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use flint_config::SdConfig;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::discoverer::{DiscovererDeps, new_discoverer};
use crate::metrics::SdMetrics;
use crate::targetgroup::TargetGroup;

/// The full set of target groups per job (set name), as delivered to consumers.
pub type TargetSets = BTreeMap<String, Vec<TargetGroup>>;

/// How a manager runs.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// The manager's name in metrics (`scrape`, `notify`).
    pub name: String,
    /// Least time between two deliveries (Prometheus: 5 s).
    pub sync_period: Duration,
    /// What discoverers need.
    pub deps: DiscovererDeps,
    /// Shared discovery metrics (register once per registry with [`SdMetrics::new`]).
    pub metrics: SdMetrics,
}

impl ManagerOptions {
    /// Options with Prometheus's 5 s sync period, registering metrics in `deps.registry`.
    pub fn new(name: &str, deps: DiscovererDeps) -> Self {
        let metrics = SdMetrics::new(&deps.registry);
        ManagerOptions {
            name: name.to_string(),
            sync_period: Duration::from_secs(5),
            deps,
            metrics,
        }
    }
}

pub use crate::metrics::SdMetrics as Metrics;

struct Provider {
    id: usize,
    cfg: SdConfig,
    subs: BTreeSet<String>,
    cancel: CancellationToken,
}

#[derive(Default)]
struct State {
    providers: Vec<Provider>,
    /// (job, provider id) → source → group.
    targets: HashMap<(String, usize), BTreeMap<String, TargetGroup>>,
    jobs: BTreeSet<String>,
    changed: bool,
    next_id: usize,
}

struct Inner {
    opts: ManagerOptions,
    state: Mutex<State>,
    trigger: Notify,
    tx: mpsc::Sender<TargetSets>,
    root: CancellationToken,
}

/// The discovery manager. Clones are handles to the same manager.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("name", &self.inner.opts.name)
            .finish()
    }
}

impl Manager {
    /// A manager and the receiving end of its deliveries (capacity one: a busy receiver
    /// makes the sender retry on its next tick with the then-current state).
    pub fn new(opts: ManagerOptions) -> (Self, mpsc::Receiver<TargetSets>) {
        let (tx, rx) = mpsc::channel(1);
        let inner = Inner {
            opts,
            state: Mutex::new(State::default()),
            trigger: Notify::new(),
            tx,
            root: CancellationToken::new(),
        };
        (
            Manager {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic while merging groups; the data is still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies the SD configs of every job: providers whose config is still used keep
    /// running (gaining or losing subscribers), new configs start providers, unused ones
    /// stop and their targets are removed. Returns how many configs failed to start.
    pub fn apply_config(&self, cfgs: &BTreeMap<String, Vec<SdConfig>>) -> usize {
        let name = self.inner.opts.name.as_str();
        let mut st = self.state();
        let mut failed = 0;
        let State {
            providers, targets, ..
        } = &mut *st;
        // Re-subscribe existing providers; stop unused ones.
        let mut kept = Vec::new();
        for mut p in std::mem::take(providers) {
            let subs: BTreeSet<String> = cfgs
                .iter()
                .filter(|(_, list)| list.contains(&p.cfg))
                .map(|(j, _)| j.clone())
                .collect();
            for gone in p.subs.difference(&subs) {
                targets.remove(&(gone.clone(), p.id));
            }
            if subs.is_empty() {
                p.cancel.cancel();
                continue;
            }
            // A new subscriber of a running provider starts with what it already found.
            if let Some(src) = p.subs.intersection(&subs).next().cloned()
                && let Some(groups) = targets.get(&(src, p.id)).cloned()
            {
                for new in subs.difference(&p.subs) {
                    targets.insert((new.clone(), p.id), groups.clone());
                }
            }
            p.subs = subs;
            kept.push(p);
        }
        *providers = kept;
        for (job, list) in cfgs {
            for cfg in list {
                if let Some(p) = st.providers.iter_mut().find(|p| &p.cfg == cfg) {
                    p.subs.insert(job.clone());
                    continue;
                }
                if !self.start_provider(&mut st, job, cfg) {
                    failed += 1;
                }
            }
        }
        st.jobs = cfgs.keys().cloned().collect();
        let jobs = st.jobs.clone();
        st.targets.retain(|(j, _), _| jobs.contains(j));
        st.changed = true;
        drop(st);
        self.inner
            .opts
            .metrics
            .manager
            .failed_configs
            .with_label_values(&[name])
            .map(|g| g.set(failed as f64))
            .ok();
        self.inner.trigger.notify_one();
        failed
    }

    fn start_provider(&self, st: &mut State, job: &str, cfg: &SdConfig) -> bool {
        let opts = &self.inner.opts;
        let d = match new_discoverer(cfg, &opts.deps, &opts.metrics) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(job, mechanism = cfg.mechanism(), error = %e, "Cannot create service discovery");
                return false;
            }
        };
        let id = st.next_id;
        st.next_id += 1;
        let cancel = self.inner.root.child_token();
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(d.run(cancel.clone(), tx));
        tokio::spawn(self.clone().updater(id, rx, cancel.clone()));
        st.providers.push(Provider {
            id,
            cfg: cfg.clone(),
            subs: BTreeSet::from([job.to_string()]),
            cancel,
        });
        true
    }

    async fn updater(
        self,
        id: usize,
        mut rx: mpsc::Receiver<Vec<TargetGroup>>,
        cancel: CancellationToken,
    ) {
        let name = self.inner.opts.name.clone();
        loop {
            let groups = tokio::select! {
                _ = cancel.cancelled() => return,
                g = rx.recv() => match g { Some(g) => g, None => return },
            };
            if let Ok(c) = self
                .inner
                .opts
                .metrics
                .manager
                .received_updates
                .with_label_values(&[&name])
            {
                c.inc();
            }
            let mut st = self.state();
            let Some(subs) = st
                .providers
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.subs.clone())
            else {
                return;
            };
            for job in subs {
                let entry = st.targets.entry((job, id)).or_default();
                for g in &groups {
                    entry.insert(g.source.clone(), g.clone());
                }
            }
            st.changed = true;
            drop(st);
            self.inner.trigger.notify_one();
        }
    }

    /// The current full map (every configured job, possibly with no groups).
    pub fn all_groups(&self) -> TargetSets {
        let st = self.state();
        let mut out: TargetSets = st.jobs.iter().map(|j| (j.clone(), Vec::new())).collect();
        let mut keys: Vec<&(String, usize)> = st.targets.keys().collect();
        keys.sort();
        for k in keys {
            if let (Some(list), Some(groups)) = (out.get_mut(&k.0), st.targets.get(k)) {
                list.extend(groups.values().cloned());
            }
        }
        let name = self.inner.opts.name.as_str();
        for (job, groups) in &out {
            let n: usize = groups.iter().map(|g| g.targets.len()).sum();
            if let Ok(g) = self
                .inner
                .opts
                .metrics
                .manager
                .discovered_targets
                .with_label_values(&[job.as_str(), name])
            {
                g.set(n as f64);
            }
        }
        out
    }

    /// Runs the sender until `cancel` fires, then stops every provider.
    pub async fn run(self, cancel: CancellationToken) {
        let period = self.inner.opts.sync_period;
        let name = self.inner.opts.name.clone();
        let m = self.inner.opts.metrics.manager.clone();
        let mut last_sent: Option<Instant> = None;
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = ticker.tick() => {}
                _ = self.inner.trigger.notified() => {}
            }
            if last_sent.is_some_and(|t| t.elapsed() < period) {
                continue; // Throttled: the next tick picks the change up.
            }
            if !std::mem::take(&mut self.state().changed) {
                continue;
            }
            match self.inner.tx.try_send(self.all_groups()) {
                Ok(()) => {
                    last_sent = Some(Instant::now());
                    ticker.reset();
                    if let Ok(c) = m.sent_updates.with_label_values(&[&name]) {
                        c.inc();
                    }
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.state().changed = true;
                    if let Ok(c) = m.delayed_updates.with_label_values(&[&name]) {
                        c.inc();
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
        self.inner.root.cancel();
    }
}
