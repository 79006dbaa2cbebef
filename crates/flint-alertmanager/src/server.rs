//! The assembled Alertmanager: config loading and reloads, the components, maintenance
//! (GC and snapshots) and the HTTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState, ReloadRequest, VersionInfo};
use crate::cluster::{self, ClusterNode};
use crate::config::Config;
use crate::dispatch::{Dispatcher, RouteNode};
use crate::error::{Error, Result};
use crate::inhibit::Inhibitor;
use crate::metrics::Metrics;
use crate::nflog::Nflog;
use crate::notify::{Deps, Peer, Pipeline, Standalone};
use crate::silence::{Limits, Silences};
use crate::store::{Marker, Store};
use crate::time::Clock;

/// Command-line options (upstream's flags).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--config.file`.
    pub config_file: PathBuf,
    /// `--storage.path`.
    pub storage_path: PathBuf,
    /// `--web.listen-address`, already bound by the caller or to bind.
    pub listen: SocketAddr,
    /// `--web.external-url`.
    pub external_url: String,
    /// `--web.route-prefix`.
    pub route_prefix: String,
    /// `--data.retention`.
    pub retention: Duration,
    /// `--alerts.gc-interval`.
    pub alerts_gc_interval: Duration,
    /// `--data.maintenance-interval`.
    pub maintenance_interval: Duration,
    /// Silence limits.
    pub silence_limits: Limits,
    /// `--cluster.peer-timeout` (the wait stage's unit).
    pub peer_timeout: Duration,
    /// Clustering; `None` when `--cluster.listen-address` is empty.
    pub cluster: Option<cluster::Options>,
    /// Build information.
    pub version: VersionInfo,
}

/// The running Alertmanager's parts.
pub struct Alertmanager {
    opts: Options,
    clock: Clock,
    metrics: Metrics,
    store: Arc<Store>,
    marker: Arc<Marker>,
    silences: Arc<Silences>,
    nflog: Arc<Nflog>,
    inhibitor: Arc<RwLock<Arc<Inhibitor>>>,
    dispatcher: Dispatcher,
    config: Arc<RwLock<Arc<Config>>>,
    peer: Arc<dyn Peer>,
    cluster: Option<ClusterNode>,
}

fn config_hash(text: &str) -> f64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    (h.finish() >> 12) as f64
}

impl Alertmanager {
    /// Loads the config and the snapshots and builds every component.
    pub fn new(opts: Options, clock: Clock) -> Result<Self> {
        let cfg = Arc::new(Config::load_file(&opts.config_file)?);
        cfg.check_supported()?;
        std::fs::create_dir_all(&opts.storage_path)
            .map_err(|e| Error::io(&opts.storage_path, e))?;
        let retention = opts.retention.as_millis() as i64;
        let metrics = Metrics::new();
        let silences = Arc::new(Silences::new(
            clock.clone(),
            retention,
            opts.silence_limits,
            Some(opts.storage_path.join("silences")),
        ));
        let nflog = Arc::new(Nflog::new(
            clock.clone(),
            retention,
            Some(opts.storage_path.join("nflog")),
        ));
        let n = silences.load_snapshot()?;
        let m = nflog.load_snapshot()?;
        tracing::info!(silences = n, nflog_entries = m, "Loaded snapshots.");
        let node = match &opts.cluster {
            Some(c) => Some(ClusterNode::new(
                c.clone(),
                cluster::state::Replicated {
                    silences: silences.clone(),
                    nflog: nflog.clone(),
                },
                &metrics.registry,
            )?),
            None => None,
        };
        let peer: Arc<dyn Peer> = match &node {
            Some(n) => Arc::new(n.handle()),
            None => Arc::new(Standalone),
        };
        let store = Arc::new(Store::new(clock.clone()));
        let marker = Arc::new(Marker::default());
        let inhibitor = Arc::new(Inhibitor::new(&cfg.inhibit_rules));
        let mut am = Alertmanager {
            dispatcher: Dispatcher::new(
                RouteNode::build(&cfg.route),
                Arc::new(NoopFlusher),
                clock.clone(),
                Box::new({
                    let g = metrics.aggregation_groups.clone();
                    move |n| g.set(n as f64)
                }),
            ),
            opts,
            clock,
            metrics,
            store,
            marker,
            silences,
            nflog,
            inhibitor: Arc::new(RwLock::new(inhibitor.clone())),
            config: Arc::new(RwLock::new(cfg.clone())),
            peer,
            cluster: node,
        };
        let pipeline = am.pipeline(&cfg, inhibitor)?;
        am.dispatcher = Dispatcher::new(
            RouteNode::build(&cfg.route),
            Arc::new(pipeline),
            am.clock.clone(),
            Box::new({
                let g = am.metrics.aggregation_groups.clone();
                move |n| g.set(n as f64)
            }),
        );
        am.metrics.config_last_reload_successful.set(1.0);
        am.metrics
            .config_last_reload_success_timestamp
            .set(am.clock.now() as f64 / 1000.0);
        Ok(am)
    }

    fn pipeline(&self, cfg: &Config, inhibitor: Arc<Inhibitor>) -> Result<Pipeline> {
        let deps = Arc::new(Deps {
            marker: self.marker.clone(),
            inhibitor,
            silences: self.silences.clone(),
            nflog: self.nflog.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock.clone(),
            peer: self.peer.clone(),
            peer_timeout: self.opts.peer_timeout,
            external_url: self.opts.external_url.clone(),
        });
        Pipeline::new(cfg, deps)
    }

    /// Re-reads the config file; on any error the running config stays.
    fn reload(&self) -> Result<()> {
        let res = (|| {
            let cfg = Arc::new(Config::load_file(&self.opts.config_file)?);
            let inhibitor = Arc::new(Inhibitor::new(&cfg.inhibit_rules));
            inhibitor.observe(&self.store.list(), self.clock.now());
            let pipeline = self.pipeline(&cfg, inhibitor.clone())?;
            *self.inhibitor.write().unwrap_or_else(|p| p.into_inner()) = inhibitor;
            self.dispatcher.reload(
                RouteNode::build(&cfg.route),
                Arc::new(pipeline),
                &self.store,
            );
            self.metrics.config_hash.set(config_hash(&cfg.to_yaml()));
            *self.config.write().unwrap_or_else(|p| p.into_inner()) = cfg;
            Ok(())
        })();
        match &res {
            Ok(()) => {
                self.metrics.config_last_reload_successful.set(1.0);
                self.metrics
                    .config_last_reload_success_timestamp
                    .set(self.clock.now() as f64 / 1000.0);
                tracing::info!(file = %self.opts.config_file.display(), "Completed loading of configuration file.");
            }
            Err(e) => {
                self.metrics.config_last_reload_successful.set(0.0);
                tracing::error!(file = %self.opts.config_file.display(), err = %e, "Loading configuration file failed.");
            }
        }
        res
    }

    /// Serves on `listener` until `cancel`; snapshots silences and nflog before returning.
    /// `reloads` carries SIGHUP-triggered reload requests from the caller.
    pub async fn run(
        mut self,
        listener: tokio::net::TcpListener,
        mut reloads: mpsc::Receiver<ReloadRequest>,
        cancel: CancellationToken,
    ) -> Result<()> {
        let (tx, mut api_reloads) = mpsc::channel::<ReloadRequest>(4);
        let ready = Arc::new(AtomicBool::new(false));
        let state = ApiState {
            store: self.store.clone(),
            marker: self.marker.clone(),
            silences: self.silences.clone(),
            inhibitor: self.inhibitor.clone(),
            dispatcher: self.dispatcher.clone(),
            clock: self.clock.clone(),
            metrics: self.metrics.clone(),
            config: self.config.clone(),
            started: self.clock.now(),
            ready: ready.clone(),
            reload: tx,
            version: self.opts.version.clone(),
            peer: self.peer.clone(),
            external_url: self.opts.external_url.clone(),
        };
        let app = api::router(state, &self.opts.route_prefix);
        let http_cancel = cancel.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(http_cancel.cancelled_owned())
                .await
        });
        let tasks = CancellationToken::new();
        let gossip = CancellationToken::new();
        let node = self
            .cluster
            .take()
            .map(|n| tokio::spawn(n.run(gossip.clone())));
        let disp = tokio::spawn(
            self.dispatcher
                .clone()
                .run(self.store.clone(), tasks.clone()),
        );
        let inhib = tokio::spawn(observe_inhibitions(
            self.inhibitor.clone(),
            self.store.clone(),
            tasks.clone(),
        ));
        ready.store(true, std::sync::atomic::Ordering::Release);
        tracing::info!(address = %self.opts.listen, "Listening.");
        let mut gc = tokio::time::interval(self.opts.alerts_gc_interval);
        let mut maint = tokio::time::interval(self.opts.maintenance_interval);
        gc.tick().await;
        maint.tick().await;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(r) = reloads.recv() => { let _ = r.send(self.reload().map_err(|e| e.to_string())); }
                Some(r) = api_reloads.recv() => { let _ = r.send(self.reload().map_err(|e| e.to_string())); }
                _ = gc.tick() => self.gc_alerts(),
                _ = maint.tick() => self.maintenance(),
            }
        }
        tasks.cancel();
        let _ = disp.await;
        let _ = inhib.await;
        // The cluster stops after the dispatcher, so its last nflog entries are gossiped.
        gossip.cancel();
        if let Some(n) = node {
            let _ = n.await;
        }
        self.maintenance();
        match server.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::io(self.opts.listen.to_string(), e)),
            Err(e) => Err(Error::io(
                self.opts.listen.to_string(),
                std::io::Error::other(e.to_string()),
            )),
        }
    }

    fn gc_alerts(&self) {
        let removed = self.store.gc();
        self.marker.delete(&removed);
        self.silences.forget(&removed);
        let inhibitor = self
            .inhibitor
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        inhibitor.gc(self.clock.now());
    }

    fn maintenance(&self) {
        self.silences.gc();
        self.nflog.gc();
        self.metrics.nflog_maintenance.inc();
        match self.silences.snapshot() {
            Ok(n) => self.metrics.silences_snapshot_size.set(n as f64),
            Err(e) => tracing::error!(err = %e, "Creating silence snapshot failed."),
        }
        match self.nflog.snapshot() {
            Ok(n) => self.metrics.nflog_snapshot_size.set(n as f64),
            Err(e) => tracing::error!(err = %e, "Creating notification log snapshot failed."),
        }
    }
}

async fn observe_inhibitions(
    inhibitor: Arc<RwLock<Arc<Inhibitor>>>,
    store: Arc<Store>,
    cancel: CancellationToken,
) {
    let mut sub = store.subscribe();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            b = sub.recv() => match b {
                Some(batch) => {
                    let i = inhibitor.read().unwrap_or_else(|p| p.into_inner()).clone();
                    i.observe(&batch, store.clock().now());
                }
                None => return,
            },
        }
    }
}

/// A placeholder pipeline used only while the real one is built.
struct NoopFlusher;

impl crate::dispatch::Flusher for NoopFlusher {
    fn flush<'a>(
        &'a self,
        _: &'a crate::dispatch::FlushCtx,
        _: Vec<Arc<crate::alert::Alert>>,
    ) -> crate::dispatch::BoxFuture<'a, bool> {
        Box::pin(async { true })
    }
}
