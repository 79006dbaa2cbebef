//! The notification manager: a bounded queue of alerts (oldest dropped first), batched
//! sends to every Alertmanager of every `alertmanagers` entry, and the discovery of those
//! Alertmanagers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flint_client::Registry;
use flint_config::Config;
use flint_discovery::{DiscovererDeps, ManagerOptions, TargetSets};
use flint_model::{Labels, NameValidation, RelabelConfig, Relabeler};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::alert::{Alert, relabel_alerts};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::set::AlertmanagerSet;

/// The `--alertmanager.*` flags and what the manager registers with.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--alertmanager.notification-queue-capacity` (10000).
    pub queue_capacity: usize,
    /// Most alerts per request (256).
    pub max_batch: usize,
    /// `--alertmanager.drain-notification-queue-on-shutdown` (true).
    pub drain_on_shutdown: bool,
    /// Where metrics go (discovery's included).
    pub registry: Registry,
    /// Least time between two deliveries of discovered Alertmanagers (5s).
    pub discovery_sync_period: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            queue_capacity: 10_000,
            max_batch: 256,
            drain_on_shutdown: true,
            registry: Registry::new(),
            discovery_sync_period: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    external: Labels,
    relabel: Vec<RelabelConfig>,
    sets: BTreeMap<String, AlertmanagerSet>,
    targets: TargetSets,
}

struct Inner {
    opts: Options,
    queue: Mutex<VecDeque<Alert>>,
    more: Notify,
    shared: Mutex<Shared>,
    discovery: flint_discovery::Manager,
    targets_rx: Mutex<Option<mpsc::Receiver<TargetSets>>>,
    metrics: Metrics,
}

/// The notifier. Clones are handles to the same manager.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The key of the `i`th `alertmanagers` entry (upstream's `config-<i>`).
pub fn set_key(i: usize) -> String {
    format!("config-{i}")
}

impl Manager {
    /// A manager with no Alertmanagers; [`apply_config`](Self::apply_config) sets them up
    /// and [`run`](Self::run) sends.
    pub fn new(opts: Options) -> Self {
        let mut sd = ManagerOptions::new(
            "notify",
            DiscovererDeps {
                registry: opts.registry.clone(),
                dns_servers: None,
            },
        );
        sd.sync_period = opts.discovery_sync_period;
        let (discovery, rx) = flint_discovery::Manager::new(sd);
        let metrics = Metrics::new(&opts.registry);
        metrics.queue_capacity.set(opts.queue_capacity as f64);
        Manager {
            inner: Arc::new(Inner {
                opts,
                queue: Mutex::new(VecDeque::new()),
                more: Notify::new(),
                shared: Mutex::new(Shared::default()),
                discovery,
                targets_rx: Mutex::new(Some(rx)),
                metrics,
            }),
        }
    }

    /// Applies `alerting` and the external labels of `cfg`. Entries whose configuration is
    /// unchanged keep their discovered Alertmanagers; a bad entry changes nothing.
    pub fn apply_config(&self, cfg: &Config) -> Result<()> {
        let mut sets = BTreeMap::new();
        let mut sd = BTreeMap::new();
        for (i, am) in cfg.alerting.alertmanagers.iter().enumerate() {
            let Some(am) = &am.value else { continue };
            let key = set_key(i);
            sets.insert(key.clone(), AlertmanagerSet::new(&key, am)?);
            sd.insert(key, am.sd_configs());
        }
        {
            let mut sh = lock(&self.inner.shared);
            for (k, s) in sets.iter_mut() {
                match sh.sets.get(k) {
                    Some(old) if old.cfg == s.cfg => {
                        s.active = old.active.clone();
                        s.dropped = old.dropped.clone();
                    }
                    _ => s.sync(sh.targets.get(k).map_or(&[], Vec::as_slice)),
                }
            }
            sh.sets = sets;
            sh.external = cfg.global.external_label_set();
            sh.relabel = flint_config::relabel::rules(&cfg.alerting.alert_relabel_configs);
            self.update_discovered(&sh);
        }
        let failed = self.inner.discovery.apply_config(&sd);
        if failed > 0 {
            tracing::warn!(
                failed,
                "Some Alertmanager discovery configs failed to start"
            );
        }
        Ok(())
    }

    fn update_discovered(&self, sh: &Shared) {
        let n: usize = sh.sets.values().map(|s| s.active.len()).sum();
        self.inner.metrics.discovered.set(n as f64);
    }

    /// The Alertmanagers: push URLs of active and of dropped ones.
    pub fn alertmanagers(&self) -> (Vec<String>, Vec<String>) {
        let sh = lock(&self.inner.shared);
        let active = sh.sets.values().flat_map(|s| s.active.clone()).collect();
        let dropped = sh.sets.values().flat_map(|s| s.dropped.clone()).collect();
        (active, dropped)
    }

    /// Alerts waiting to be sent.
    pub fn queue_len(&self) -> usize {
        lock(&self.inner.queue).len()
    }

    /// Queues `alerts` (external labels added, alert relabeling applied), dropping the
    /// oldest when the queue is full. Never blocks.
    pub fn send(&self, alerts: Vec<Alert>) {
        let (external, relabel) = {
            let sh = lock(&self.inner.shared);
            (sh.external.clone(), sh.relabel.clone())
        };
        let mut relabeler = Relabeler::new(NameValidation::Utf8);
        let mut alerts = relabel_alerts(alerts, &external, &relabel, &mut relabeler);
        if alerts.is_empty() {
            return;
        }
        let cap = self.inner.opts.queue_capacity;
        let m = &self.inner.metrics;
        if alerts.len() > cap {
            let d = alerts.len() - cap;
            alerts.drain(..d);
            tracing::warn!(
                num_dropped = d,
                "Alert batch larger than queue capacity, dropping alerts"
            );
            m.dropped.inc_by(d as u64);
        }
        let mut q = lock(&self.inner.queue);
        let over = (q.len() + alerts.len()).saturating_sub(cap);
        if over > 0 {
            q.drain(..over);
            tracing::warn!(
                num_dropped = over,
                "Alert notification queue full, dropping alerts"
            );
            m.dropped.inc_by(over as u64);
        }
        q.extend(alerts);
        m.queue_length.set(q.len() as f64);
        drop(q);
        self.inner.more.notify_one();
    }

    fn next_batch(&self) -> Vec<Alert> {
        let mut q = lock(&self.inner.queue);
        let n = q.len().min(self.inner.opts.max_batch);
        let batch: Vec<Alert> = q.drain(..n).collect();
        self.inner.metrics.queue_length.set(q.len() as f64);
        batch
    }

    fn sync_targets(&self, ts: TargetSets) {
        let mut sh = lock(&self.inner.shared);
        for (k, s) in sh.sets.clone() {
            let mut s = s;
            s.sync(ts.get(&k).map_or(&[], Vec::as_slice));
            sh.sets.insert(k, s);
        }
        sh.targets = ts;
        self.update_discovered(&sh);
    }

    /// Sends queued alerts until `cancel` fires, following discovered Alertmanagers; then
    /// (unless draining is off) sends what is still queued and stops discovery.
    pub async fn run(self, cancel: CancellationToken) {
        let sd_cancel = CancellationToken::new();
        let sd_task = tokio::spawn(self.inner.discovery.clone().run(sd_cancel.clone()));
        let rx = lock(&self.inner.targets_rx).take();
        let Some(mut rx) = rx else {
            tracing::error!("Notifier already running");
            return;
        };
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                Some(ts) = rx.recv() => { self.sync_targets(ts); continue; }
                _ = self.inner.more.notified() => {}
            }
            self.send_one_batch().await;
            if self.queue_len() > 0 {
                self.inner.more.notify_one();
            }
        }
        if self.inner.opts.drain_on_shutdown {
            while self.queue_len() > 0 {
                self.send_one_batch().await;
            }
        }
        sd_cancel.cancel();
        let _ = sd_task.await;
        tracing::info!("Notification manager stopped");
    }

    async fn send_one_batch(&self) {
        let batch = self.next_batch();
        if batch.is_empty() {
            return;
        }
        let n = batch.len();
        if !self.send_all(batch).await {
            self.inner.metrics.dropped.inc_by(n as u64);
        }
    }

    /// Sends `alerts` to every Alertmanager; true when at least one accepted them.
    async fn send_all(&self, alerts: Vec<Alert>) -> bool {
        let sets: Vec<AlertmanagerSet> = lock(&self.inner.shared).sets.values().cloned().collect();
        let mut tasks = JoinSet::new();
        let mut relabeler = Relabeler::new(NameValidation::Utf8);
        for set in sets {
            if set.active.is_empty() {
                continue;
            }
            let mine = relabel_alerts(
                alerts.clone(),
                &Labels::empty(),
                &set.alert_relabel,
                &mut relabeler,
            );
            if mine.is_empty() {
                continue;
            }
            let body = match serde_json::to_vec(&mine) {
                Ok(b) => bytes_of(b),
                Err(e) => {
                    tracing::error!(error = %e, "Encoding alerts failed");
                    continue;
                }
            };
            for url in &set.active {
                let (client, url, body) = (set.client.clone(), url.clone(), body.clone());
                let (latency, errors, sent) = self.inner.metrics.for_am(&url);
                let count = mine.len();
                tasks.spawn(async move {
                    let begin = Instant::now();
                    let r = post(&client, &url, body).await;
                    latency.observe(begin.elapsed().as_secs_f64());
                    sent.inc_by(count as u64);
                    if let Err(e) = &r {
                        errors.inc_by(count as u64);
                        tracing::error!(alertmanager = %url, count, error = %e, "Error sending alerts");
                    }
                    r.is_ok()
                });
            }
        }
        let mut any = false;
        while let Some(r) = tasks.join_next().await {
            any |= r.unwrap_or(false);
        }
        any
    }
}

fn bytes_of(b: Vec<u8>) -> Arc<[u8]> {
    Arc::from(b)
}

async fn post(
    client: &flint_discovery::client::HttpClient,
    url: &str,
    body: Arc<[u8]>,
) -> Result<()> {
    let err = |message: String| Error::Send {
        url: url.to_string(),
        message,
    };
    let rb = client.post(url).map_err(|e| err(e.to_string()))?;
    let resp = rb
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| err(e.to_string()))?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(err(format!("bad response status {status}")))
    }
}

#[cfg(test)]
mod tests;
