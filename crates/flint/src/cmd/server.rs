//! `flint server`: the Prometheus drop-in. Flags as Prometheus names them; wiring and the
//! supervisor only (config → discovery → scrape → TSDB, HTTP), with the shutdown order of
//! ARCHITECTURE.md: not ready → stop discovery and scraping (staleness markers) → stop rules
//! → flush the notifier → flush remote write (positions saved) → close the TSDB (WAL synced) → stop HTTP.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use clap::Args;
use flint_client::Registry;
use flint_client::metrics::gauge::Gauge;
use flint_config::{Config, LoadOptions, load_file};
use flint_discovery::{DiscovererDeps, ManagerOptions};
use flint_storage::Appendable;
use flint_tsdb::db::{Db, DbOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn duration(s: &str) -> Result<Duration, String> {
    s.parse::<flint_config::Duration>()
        .map(|d| d.std())
        .map_err(|e| e.0)
}

fn size(s: &str) -> Result<u64, String> {
    s.parse::<flint_config::ByteSize>()
        .map(|b| b.0)
        .map_err(|e| e.0)
}

/// Flags of `flint server` (as `prometheus --help` names them).
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Prometheus configuration file path.
    #[arg(long = "config.file", default_value = "prometheus.yml")]
    pub config_file: PathBuf,
    /// Address to listen on for UI, API, and telemetry.
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9090")]
    pub listen_address: String,
    /// Enable shutdown and reload via HTTP request.
    #[arg(long = "web.enable-lifecycle")]
    pub enable_lifecycle: bool,
    /// Enable API endpoints for admin control actions.
    #[arg(long = "web.enable-admin-api")]
    pub enable_admin_api: bool,
    /// Enable API endpoint accepting remote write requests.
    #[arg(long = "web.enable-remote-write-receiver")]
    pub enable_remote_write_receiver: bool,
    /// Maximum overall number of samples to return via the remote read interface, in a
    /// single query. 0 means no limit.
    #[arg(
        long = "storage.remote.read-sample-limit",
        default_value_t = 50_000_000
    )]
    pub remote_read_sample_limit: usize,
    /// Maximum number of bytes in a single frame for streaming remote read response types
    /// before marshalling.
    #[arg(
        long = "storage.remote.read-max-bytes-in-frame",
        default_value_t = 1_048_576
    )]
    pub remote_read_max_bytes_in_frame: usize,
    /// The URL under which Prometheus is externally reachable.
    #[arg(long = "web.external-url")]
    pub external_url: Option<String>,
    /// Prefix for the internal routes of web endpoints.
    #[arg(long = "web.route-prefix")]
    pub route_prefix: Option<String>,
    /// Maximum number of simultaneous connections.
    #[arg(long = "web.max-connections", default_value_t = 512)]
    pub max_connections: u32,
    /// Agent mode: discovery, scraping and remote write only, over a WAL-only storage
    /// (no local queries, rules or alerts).
    #[arg(long = "agent")]
    pub agent: bool,
    /// Base path for the agent's storage (agent mode).
    #[arg(long = "storage.agent.path", default_value = "data-agent/")]
    pub agent_path: PathBuf,
    /// Compress the agent's write-ahead log.
    #[arg(long = "storage.agent.wal-compression", default_value_t = true, action = clap::ArgAction::Set)]
    pub agent_wal_compression: bool,
    /// Do not create a lockfile in the agent's data directory.
    #[arg(long = "storage.agent.no-lockfile")]
    pub agent_no_lockfile: bool,
    /// Least age of data the agent's WAL keeps when truncating, even if sent.
    #[arg(long = "storage.agent.retention.min-time", default_value = "5m", value_parser = duration)]
    pub agent_min_time: Duration,
    /// Greatest age of data the agent's WAL keeps when truncating, even if unsent.
    #[arg(long = "storage.agent.retention.max-time", default_value = "4h", value_parser = duration)]
    pub agent_max_time: Duration,
    /// How often the agent truncates its WAL.
    #[arg(long = "storage.agent.wal-truncate-frequency", default_value = "2h", value_parser = duration, hide = true)]
    pub agent_truncate_every: Duration,
    /// Base path for metrics storage.
    #[arg(long = "storage.tsdb.path", default_value = "data/")]
    pub tsdb_path: PathBuf,
    /// How long to retain samples in storage (default 15d when no size retention is set).
    #[arg(long = "storage.tsdb.retention.time", value_parser = duration)]
    pub retention_time: Option<Duration>,
    /// Maximum number of bytes that can be stored for blocks.
    #[arg(long = "storage.tsdb.retention.size", value_parser = size)]
    pub retention_size: Option<u64>,
    /// Deprecated alias of --storage.tsdb.retention.time.
    #[arg(long = "storage.tsdb.retention", value_parser = duration, hide = true)]
    pub retention_deprecated: Option<Duration>,
    /// Do not create a lockfile in the data directory.
    #[arg(long = "storage.tsdb.no-lockfile")]
    pub no_lockfile: bool,
    /// Compress the write-ahead log.
    #[arg(long = "storage.tsdb.wal-compression", default_value_t = true, action = clap::ArgAction::Set)]
    pub wal_compression: bool,
    /// Minimum duration of a data block before being persisted.
    #[arg(long = "storage.tsdb.min-block-duration", default_value = "2h", value_parser = duration, hide = true)]
    pub min_block_duration: Duration,
    /// Maximum duration compacted blocks may span.
    #[arg(long = "storage.tsdb.max-block-duration", value_parser = duration, hide = true)]
    pub max_block_duration: Option<Duration>,
    /// How long to wait for a graceful shutdown step.
    #[arg(long = "flint.shutdown-timeout", default_value = "30s", value_parser = duration, hide = true)]
    pub shutdown_timeout: Duration,
    /// Least time between two deliveries of discovered targets to scraping.
    #[arg(long = "flint.discovery-sync-period", default_value = "5s", value_parser = duration, hide = true)]
    pub discovery_sync_period: Duration,
    /// The maximum lookback duration for retrieving metrics during expression evaluations.
    #[arg(long = "query.lookback-delta", default_value = "5m")]
    pub lookback_delta: String,
    /// Maximum time a query may take before being aborted.
    #[arg(long = "query.timeout", default_value = "2m")]
    pub query_timeout: String,
    /// Maximum number of queries executed concurrently.
    #[arg(long = "query.max-concurrency", default_value_t = 20)]
    pub query_max_concurrency: u32,
    /// Maximum number of samples a single query can load into memory.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    pub query_max_samples: u64,
    /// Comma separated feature names to enable.
    #[arg(long = "enable-feature", value_delimiter = ',')]
    pub enable_feature: Vec<String>,
    /// Only log messages with the given severity or above.
    #[arg(long = "log.level", default_value = "info")]
    pub log_level: String,
    /// Output format of log messages. One of: [logfmt, json].
    #[arg(long = "log.format", default_value = "logfmt", value_parser = ["logfmt", "json"])]
    pub log_format: String,
    /// Rules and notifier flags.
    #[command(flatten)]
    pub alerting: super::server_alerting::AlertingArgs,
}

impl ServerArgs {
    /// The flags as `/api/v1/status/flags` shows them.
    pub(super) fn flags(&self) -> BTreeMap<String, String> {
        let d = |d: Option<Duration>| {
            d.map(|d| flint_config::Duration::from(d).to_string())
                .unwrap_or_else(|| "0s".into())
        };
        let mut flags = BTreeMap::from([
            ("config.file".into(), self.config_file.display().to_string()),
            ("web.listen-address".into(), self.listen_address.clone()),
            (
                "web.enable-lifecycle".into(),
                self.enable_lifecycle.to_string(),
            ),
            (
                "web.enable-admin-api".into(),
                self.enable_admin_api.to_string(),
            ),
            (
                "web.enable-remote-write-receiver".into(),
                self.enable_remote_write_receiver.to_string(),
            ),
            (
                "storage.remote.read-sample-limit".into(),
                self.remote_read_sample_limit.to_string(),
            ),
            (
                "storage.remote.read-max-bytes-in-frame".into(),
                self.remote_read_max_bytes_in_frame.to_string(),
            ),
            (
                "web.external-url".into(),
                self.external_url.clone().unwrap_or_default(),
            ),
            (
                "web.route-prefix".into(),
                self.route_prefix.clone().unwrap_or_else(|| "/".into()),
            ),
            (
                "web.max-connections".into(),
                self.max_connections.to_string(),
            ),
            (
                "storage.tsdb.path".into(),
                self.tsdb_path.display().to_string(),
            ),
            (
                "storage.tsdb.retention.time".into(),
                d(self.retention_time.or(self.retention_deprecated)),
            ),
            (
                "storage.tsdb.retention.size".into(),
                flint_config::ByteSize(self.retention_size.unwrap_or(0)).to_string(),
            ),
            (
                "storage.tsdb.no-lockfile".into(),
                self.no_lockfile.to_string(),
            ),
            (
                "storage.tsdb.wal-compression".into(),
                self.wal_compression.to_string(),
            ),
            (
                "storage.tsdb.min-block-duration".into(),
                d(Some(self.min_block_duration)),
            ),
            (
                "storage.tsdb.max-block-duration".into(),
                d(self.max_block_duration),
            ),
            ("query.lookback-delta".into(), self.lookback_delta.clone()),
            ("query.timeout".into(), self.query_timeout.clone()),
            (
                "query.max-concurrency".into(),
                self.query_max_concurrency.to_string(),
            ),
            (
                "query.max-samples".into(),
                self.query_max_samples.to_string(),
            ),
            ("enable-feature".into(), self.enable_feature.join(",")),
            ("log.level".into(), self.log_level.clone()),
            ("log.format".into(), self.log_format.clone()),
        ]);
        flags.extend(self.alerting.flags());
        flags
    }
}

/// Runs the server until SIGTERM/SIGINT or `/-/quit`.
pub fn run(args: &ServerArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(args.clone()))
}

pub(super) fn listen_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let s = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    s.to_socket_addrs()
        .with_context(|| format!("invalid --web.listen-address {s:?}"))?
        .next()
        .with_context(|| format!("--web.listen-address {s:?} resolves to nothing"))
}

/// Reload bookkeeping: the running config and Prometheus's reload metrics.
pub(super) struct Reloader {
    pub(super) path: PathBuf,
    pub(super) config: Arc<RwLock<Arc<Config>>>,
    pub(super) scrape: flint_scrape::Manager,
    pub(super) discovery: flint_discovery::Manager,
    /// `None` in agent mode.
    pub(super) alerting: Option<super::server_alerting::Alerting>,
    pub(super) remote_write: flint_remote::write::RemoteWrite,
    /// `None` in agent mode.
    pub(super) remote_read: Option<flint_remote::read::RemoteReads>,
    pub(super) success: Gauge,
    pub(super) success_time: Gauge,
}

impl Reloader {
    /// Loads the file and applies it in order (scrape, then discovery); a bad file changes
    /// nothing and sets `prometheus_config_last_reload_successful` to 0.
    async fn reload(&self) -> Result<(), String> {
        let cfg = match load_file(&self.path, LoadOptions::default()) {
            Ok(c) => c,
            Err(e) => {
                self.success.set(0.0);
                tracing::error!(file = %self.path.display(), error = %e, "Error loading config");
                return Err(e.to_string());
            }
        };
        self.apply(cfg).await
    }

    pub(super) async fn apply(&self, cfg: Config) -> Result<(), String> {
        let jobs: Vec<_> = cfg.all_scrape_configs().cloned().collect();
        let sd: BTreeMap<String, Vec<flint_config::SdConfig>> = jobs
            .iter()
            .map(|j| (j.job_name.clone(), j.sd_configs()))
            .collect();
        if let Err(e) = self.scrape.apply_config(jobs).await {
            self.success.set(0.0);
            tracing::error!(error = %e, "Applying the scrape config failed");
            return Err(e.to_string());
        }
        let failed = self.discovery.apply_config(&sd);
        if failed > 0 {
            tracing::warn!(failed, "Some service discovery configs failed to start");
        }
        if let Err(e) = self.remote_write.apply_config(&cfg).await {
            self.success.set(0.0);
            tracing::error!(error = %e, "Applying the remote-write config failed");
            return Err(e.to_string());
        }
        if let Some(Err(e)) = self.remote_read.as_ref().map(|r| r.apply_config(&cfg)) {
            self.success.set(0.0);
            tracing::error!(error = %e, "Applying the remote-read config failed");
            return Err(e.to_string());
        }
        if let Some(alerting) = &self.alerting
            && let Err(e) = alerting.apply(&cfg).await
        {
            self.success.set(0.0);
            return Err(e);
        }
        if let Ok(mut c) = self.config.write() {
            *c = Arc::new(cfg);
        }
        self.success.set(1.0);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.success_time.set(now);
        tracing::info!(file = %self.path.display(), "Completed loading of configuration file");
        Ok(())
    }
}

fn register(registry: &Registry, name: &str, help: &str, g: &Gauge) {
    if let Err(e) = registry.register(name, help, g.clone()) {
        tracing::debug!(error = %e, "metric not registered");
    }
}

/// Upstream's local start time for `read_recent: false`: the oldest block's start (now
/// without blocks) plus two minimum block durations, the time a fresh server needs before
/// its own data is complete.
fn local_start(db: Db, min_block: Duration) -> flint_remote::read::LocalStart {
    let margin = i64::try_from(min_block.as_millis()).unwrap_or(i64::MAX / 4) * 2;
    Arc::new(move || {
        let start = db
            .blocks()
            .first()
            .map(|b| b.meta().min_time)
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64)
            });
        start.saturating_add(margin)
    })
}

fn open_db(
    args: &ServerArgs,
    registry: &Registry,
    replay: &flint_tsdb::ReplayProgress,
) -> anyhow::Result<Db> {
    let opts = DbOptions {
        retention: args.retention_time.or(args.retention_deprecated),
        max_bytes: args.retention_size,
        min_block_duration: args.min_block_duration,
        max_block_duration: args.max_block_duration,
        wal_compression: args.wal_compression,
        no_lockfile: args.no_lockfile,
        ..DbOptions::default()
    };
    std::fs::create_dir_all(&args.tsdb_path)
        .with_context(|| format!("creating {}", args.tsdb_path.display()))?;
    let db = Db::open_with_progress(&args.tsdb_path, opts.resolved(), replay)
        .with_context(|| format!("opening storage at {}", args.tsdb_path.display()))?;
    db.register_metrics(registry);
    Ok(db)
}

/// Loads `--config.file`, checked by `check` as well; on failure prints the reason as
/// upstream does and returns `None`.
pub(super) fn load_config(
    args: &ServerArgs,
    check: impl FnOnce(&Config) -> Result<(), String>,
) -> Option<Config> {
    let loaded = load_file(&args.config_file, LoadOptions::default())
        .map_err(|e| e.to_string())
        .and_then(|c| check(&c).map(|()| c));
    match loaded {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!(
                "flint: error loading config ({}): {e}",
                args.config_file.display()
            );
            None
        }
    }
}

/// The collection path over `storage`: the discovery manager (and the channel it feeds
/// targets through) and the scrape manager.
pub(super) fn collection(
    args: &ServerArgs,
    registry: &Registry,
    storage: Arc<dyn Appendable>,
    cfg: &Config,
) -> (
    flint_discovery::Manager,
    mpsc::Receiver<flint_discovery::TargetSets>,
    flint_scrape::Manager,
) {
    let mut sd_opts = ManagerOptions::new(
        "scrape",
        DiscovererDeps {
            registry: registry.clone(),
            dns_servers: None,
        },
    );
    sd_opts.sync_period = args.discovery_sync_period;
    let (discovery, targets_rx) = flint_discovery::Manager::new(sd_opts);
    let scrape = flint_scrape::Manager::new(flint_scrape::ManagerOptions {
        storage,
        registry: registry.clone(),
        offset_seed: cfg.global.external_label_set().stable_hash(),
    });
    (discovery, targets_rx, scrape)
}

/// `prometheus_config_last_reload_successful`, `…_success_timestamp_seconds` and
/// `prometheus_ready`, registered.
pub(super) fn reload_gauges(registry: &Registry) -> (Gauge, Gauge, Gauge) {
    let (success, success_time, ready) = (Gauge::default(), Gauge::default(), Gauge::default());
    register(
        registry,
        "prometheus_config_last_reload_successful",
        "Whether the last configuration reload attempt was successful.",
        &success,
    );
    register(
        registry,
        "prometheus_config_last_reload_success_timestamp_seconds",
        "Timestamp of the last successful configuration reload.",
        &success_time,
    );
    register(
        registry,
        "prometheus_ready",
        "Whether Prometheus startup was fully completed and the server is ready for normal operation.",
        &ready,
    );
    (success, success_time, ready)
}

/// Serves until SIGTERM/SIGINT or `/-/quit`.
pub(crate) async fn serve(args: ServerArgs) -> anyhow::Result<ExitCode> {
    if args.agent {
        return super::agent::serve(args).await;
    }
    let Some(cfg) = load_config(&args, |_| Ok(())) else {
        return Ok(ExitCode::FAILURE);
    };
    let addr = listen_addr(&args.listen_address)?;
    let engine = flint_promql::Engine::new(super::query_server::engine_options(&args)?);
    let registry = Registry::new();
    registry.register_collector(flint_client::process::ProcessCollector::new());
    let web = super::server_web::WebUrls::new(
        args.external_url.as_deref(),
        args.route_prefix.as_deref(),
        addr.port(),
    )?;
    // Which WAL segments the replay read, for `/api/v1/status/walreplay`.
    let replay = flint_tsdb::ReplayProgress::new();
    // The listener is bound before the TSDB opens, so health, readiness (503) and the
    // replay's progress answer during a long replay.
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .with_context(|| format!("listening on {addr}"))?;
    let early_cancel = CancellationToken::new();
    let early = tokio::spawn(flint_web::serve(
        tokio::net::TcpListener::from_std(listener.try_clone()?)?,
        flint_web::starting::router(replay.clone(), &web.prefix),
        early_cancel.clone(),
    ));
    let db = tokio::task::block_in_place(|| open_db(&args, &registry, &replay))?;
    let storage: Arc<dyn Appendable> = Arc::new(db.clone());
    let external_url = web.external.clone();
    let alerting = super::server_alerting::Alerting::new(
        &args.alerting,
        engine.clone(),
        db.clone(),
        &registry,
        &external_url,
    );

    let (discovery, targets_rx, scrape) = collection(&args, &registry, storage, &cfg);
    let (success, success_time, ready_gauge) = reload_gauges(&registry);
    let remote_write =
        flint_remote::write::RemoteWrite::new(flint_remote::write::RemoteWriteOptions {
            wal_dir: db.wal_dir(),
            state_dir: Some(args.tsdb_path.join("remote")),
            registry: registry.clone(),
            metadata: Some(Arc::new(super::server_remote::ScrapeMetadata(
                scrape.clone(),
            ))),
        });
    let remote_read = flint_remote::read::RemoteReads::new(
        Arc::new(db.clone()),
        local_start(db.clone(), args.min_block_duration),
    );
    let reloader = Reloader {
        path: args.config_file.clone(),
        config: Arc::new(RwLock::new(Arc::new(Config::default()))),
        scrape: scrape.clone(),
        discovery: discovery.clone(),
        alerting: Some(alerting.clone()),
        remote_write: remote_write.clone(),
        remote_read: Some(remote_read.clone()),
        success,
        success_time,
    };
    if let Err(e) = reloader.apply(cfg).await {
        bail!("applying the configuration: {e}");
    }

    let (sd_cancel, scrape_cancel, db_cancel, web_cancel, quit, rw_cancel) = (
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
    );
    let sd_task = tokio::spawn(discovery.clone().run(sd_cancel.clone()));
    let scrape_task = tokio::spawn(scrape.clone().run(scrape_cancel.clone(), targets_rx));
    let db_task = tokio::spawn(db.clone().run(db_cancel.clone()));
    let alerting_tasks = alerting.start();
    let rw_task = tokio::spawn(remote_write.run(rw_cancel.clone()));

    let ready = Arc::new(AtomicBool::new(false));
    let (reload_tx, mut reload_rx) = mpsc::channel(4);
    let state = flint_web::AppState {
        registry: registry.clone(),
        scrape: scrape.clone(),
        config: Arc::clone(&reloader.config),
        flags: Arc::new(args.flags()),
        ready: Arc::clone(&ready),
        lifecycle: args.enable_lifecycle,
        reload: reload_tx,
        quit: quit.clone(),
        external_url: web.external.clone(),
    };
    if let Err(e) = engine.register_metrics(&registry) {
        tracing::debug!(error = %e, "engine metrics not registered");
    }
    let query_api = super::query_server::api(super::query_server::Wiring {
        args: &args,
        engine,
        db: db.clone(),
        storage: Arc::new(remote_read),
        ready: Arc::clone(&ready),
        config: Arc::clone(&reloader.config),
        reload_success: reloader.success.clone(),
        reload_time: reloader.success_time.clone(),
        replay,
        registry: &registry,
    });
    // The startup router lets its open requests finish; the full one takes over the socket.
    early_cancel.cancel();
    let _ = early.await;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    tracing::info!(address = %listener.local_addr().map_or(addr, |a| a), "Listening");
    let ui = flint_web::ui::Ui {
        app: state.clone(),
        query: query_api.clone(),
        alerting: alerting.api(),
    };
    let web_task = tokio::spawn(flint_web::serve(
        listener,
        flint_web::prefix::under(
            flint_web::router(state)
                .merge(flint_web::query_api::routes(query_api))
                .merge(flint_web::rules_api::routes(alerting.api()))
                .merge(flint_web::ui::routes(ui)),
            &web.prefix,
        ),
        web_cancel.clone(),
    ));
    ready.store(true, Ordering::SeqCst);
    ready_gauge.set(1.0);
    tracing::info!("Server is ready to receive web requests.");

    wait_for_stop(&reloader, &mut reload_rx, &quit).await?;

    // Shutdown, in order.
    tracing::info!("Stopping");
    ready.store(false, Ordering::SeqCst);
    ready_gauge.set(0.0);
    let t = args.shutdown_timeout;
    sd_cancel.cancel();
    scrape_cancel.cancel();
    step("scrape", t, scrape_task).await;
    step("discovery", t, sd_task).await;
    alerting_tasks.stop(t).await;
    rw_cancel.cancel();
    step("remote write", t, rw_task).await;
    db_cancel.cancel();
    match tokio::time::timeout(t, db_task).await {
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "Closing the storage failed"),
        Err(_) => tracing::error!("Closing the storage timed out"),
        _ => {}
    }
    if let Err(e) = db.close() {
        tracing::error!(error = %e, "Closing the storage failed");
    }
    web_cancel.cancel();
    step("web", t, web_task).await;
    tracing::info!("See you next time!");
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn step<T>(name: &str, timeout: Duration, task: tokio::task::JoinHandle<T>) {
    if tokio::time::timeout(timeout, task).await.is_err() {
        tracing::error!(component = name, "Stopping timed out");
    }
}

/// Serves reloads (SIGHUP, `/-/reload`) until SIGTERM, SIGINT or `/-/quit`.
pub(super) async fn wait_for_stop(
    reloader: &Reloader,
    reload_rx: &mut mpsc::Receiver<flint_web::ReloadRequest>,
    quit: &CancellationToken,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::warn!("Received SIGTERM, exiting gracefully..."); return Ok(()); }
            _ = int.recv() => { tracing::warn!("Received SIGINT, exiting gracefully..."); return Ok(()); }
            _ = quit.cancelled() => return Ok(()),
            _ = hup.recv() => { let _ = reloader.reload().await; }
            Some(reply) = reload_rx.recv() => { let _ = reply.send(reloader.reload().await); }
        }
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
