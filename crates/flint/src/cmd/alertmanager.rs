//! `flint alertmanager`: the Alertmanager drop-in, with upstream's flag names and defaults.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use flint_alertmanager::api::VersionInfo;
use flint_alertmanager::cluster::Options as ClusterOptions;
use flint_alertmanager::config::duration::Duration as PromDuration;
use flint_alertmanager::server::{Alertmanager, Options};
use flint_alertmanager::silence::Limits;
use flint_alertmanager::time::Clock;
use tokio_util::sync::CancellationToken;

fn duration(s: &str) -> Result<Duration, String> {
    PromDuration::parse(s).map(|d| d.0)
}

/// Flags of `flint alertmanager` (as `alertmanager --help` names them).
#[derive(Debug, Args)]
pub struct AlertmanagerArgs {
    /// Alertmanager configuration file name.
    #[arg(long = "config.file", default_value = "alertmanager.yml")]
    pub config_file: PathBuf,
    /// Base path for data storage.
    #[arg(long = "storage.path", default_value = "data/")]
    pub storage_path: PathBuf,
    /// How long to keep data for.
    #[arg(long = "data.retention", default_value = "120h", value_parser = duration)]
    pub retention: Duration,
    /// Interval between garbage collection and snapshotting to disk of the silences and the
    /// notification logs.
    #[arg(long = "data.maintenance-interval", default_value = "15m", value_parser = duration)]
    pub maintenance_interval: Duration,
    /// Interval between alert GC.
    #[arg(long = "alerts.gc-interval", default_value = "30m", value_parser = duration)]
    pub alerts_gc_interval: Duration,
    /// Address to listen on for the web interface and API.
    #[arg(long = "web.listen-address", default_value = ":9093")]
    pub listen_address: String,
    /// The URL under which Alertmanager is externally reachable.
    #[arg(long = "web.external-url")]
    pub external_url: Option<String>,
    /// Prefix for the internal routes of web endpoints; defaults to the external URL's path.
    #[arg(long = "web.route-prefix")]
    pub route_prefix: Option<String>,
    /// Maximum number of active and pending silences (0: no limit).
    #[arg(long = "silences.max-silences", default_value_t = 0)]
    pub max_silences: usize,
    /// Maximum silence size in bytes (0: no limit).
    #[arg(long = "silences.max-silence-size-bytes", default_value_t = 0)]
    pub max_silence_size_bytes: usize,
    /// Only log messages with the given severity or above (debug, info, warn, error).
    #[arg(long = "log.level", default_value = "info")]
    pub log_level: String,
    /// Output format of log messages (logfmt, json).
    #[arg(long = "log.format", default_value = "logfmt")]
    pub log_format: String,
    /// Listen address for cluster. Set to empty string to disable HA mode.
    #[arg(long = "cluster.listen-address", default_value = "0.0.0.0:9094")]
    pub cluster_listen_address: String,
    /// Explicit address to advertise in cluster.
    #[arg(long = "cluster.advertise-address")]
    pub cluster_advertise_address: Option<String>,
    /// Initial peers (may be repeated).
    #[arg(long = "cluster.peer")]
    pub cluster_peer: Vec<String>,
    /// Time to wait between peers to send notifications.
    #[arg(long = "cluster.peer-timeout", default_value = "15s", value_parser = duration)]
    pub peer_timeout: Duration,
    /// Interval between sending gossip messages. By lowering this value (more frequent)
    /// gossip messages are propagated across the cluster more quickly at the expense of
    /// increased bandwidth.
    #[arg(long = "cluster.gossip-interval", default_value = "200ms", value_parser = duration)]
    pub gossip_interval: Duration,
    /// Interval for gossip state syncs. Setting this interval lower (more frequent) will
    /// increase convergence speeds across larger clusters at the expense of increased
    /// bandwidth usage.
    #[arg(long = "cluster.pushpull-interval", default_value = "1m", value_parser = duration)]
    pub pushpull_interval: Duration,
    /// Interval between random node probes. Setting this lower (more frequent) will cause
    /// the cluster to detect failed nodes more quickly at the expense of increased bandwidth
    /// usage.
    #[arg(long = "cluster.probe-interval", default_value = "1s", value_parser = duration)]
    pub probe_interval: Duration,
    /// Timeout to wait for an ack from a probed node before assuming it is unhealthy.
    #[arg(long = "cluster.probe-timeout", default_value = "500ms", value_parser = duration)]
    pub probe_timeout: Duration,
    /// Timeout for establishing a stream connection with a remote node for a full state
    /// sync, and for stream read and write operations.
    #[arg(long = "cluster.tcp-timeout", default_value = "10s", value_parser = duration)]
    pub tcp_timeout: Duration,
    /// Maximum time to wait for cluster connections to settle before evaluating
    /// notifications.
    #[arg(long = "cluster.settle-timeout", default_value = "1m", value_parser = duration)]
    pub settle_timeout: Duration,
    /// Interval between attempting to reconnect to lost peers.
    #[arg(long = "cluster.reconnect-interval", default_value = "10s", value_parser = duration)]
    pub reconnect_interval: Duration,
    /// Length of time to attempt to reconnect to a lost peer.
    #[arg(long = "cluster.reconnect-timeout", default_value = "6h", value_parser = duration)]
    pub reconnect_timeout: Duration,
    /// The cluster label is an optional string to include on each packet and stream. It
    /// uniquely identifies the cluster and prevents cross-communication issues when sending
    /// gossip messages.
    #[arg(long = "cluster.label", default_value = "")]
    pub cluster_label: String,
    /// Path to config yaml file that can enable mutual TLS within the gossip protocol.
    #[arg(long = "cluster.tls-config")]
    pub cluster_tls_config: Option<PathBuf>,
    /// Allow alertmanager to discover and listen on a public IP address (accepted for
    /// compatibility; the advertise address is never restricted).
    #[arg(long = "cluster.allow-insecure-public-advertise-address-discovery")]
    pub cluster_allow_public: bool,
}

/// Resolves `:9093`-style addresses (an empty host means every interface).
fn listen_addr(s: &str) -> anyhow::Result<SocketAddr> {
    resolve_addr(s, "--web.listen-address")
}

/// Resolves a listen address flag; an empty host (`:9093`) means every interface.
pub(crate) fn resolve_addr(s: &str, flag: &str) -> anyhow::Result<SocketAddr> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    full.to_socket_addrs()
        .with_context(|| format!("invalid {flag} {s:?}"))?
        .next()
        .with_context(|| format!("{flag} {s:?} resolves to nothing"))
}

/// The cluster options, or `None` when `--cluster.listen-address` is empty.
fn cluster_options(args: &AlertmanagerArgs) -> anyhow::Result<Option<ClusterOptions>> {
    if args.cluster_listen_address.is_empty() {
        return Ok(None);
    }
    let listen = resolve_addr(&args.cluster_listen_address, "--cluster.listen-address")?;
    let advertise = match &args.cluster_advertise_address {
        Some(a) if !a.is_empty() => Some(resolve_addr(a, "--cluster.advertise-address")?),
        _ => None,
    };
    Ok(Some(ClusterOptions {
        advertise,
        peers: args
            .cluster_peer
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect(),
        peer_timeout: args.peer_timeout,
        gossip_interval: args.gossip_interval,
        pushpull_interval: args.pushpull_interval,
        probe_interval: args.probe_interval,
        probe_timeout: args.probe_timeout,
        tcp_timeout: args.tcp_timeout,
        settle_timeout: args.settle_timeout,
        reconnect_interval: args.reconnect_interval,
        reconnect_timeout: args.reconnect_timeout,
        label: args.cluster_label.clone(),
        tls_config: args.cluster_tls_config.clone(),
        ..ClusterOptions::new(listen)
    }))
}

fn external_url(args: &AlertmanagerArgs, listen: SocketAddr) -> anyhow::Result<(String, String)> {
    let url = match &args.external_url {
        Some(u) => u.clone(),
        None => {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into());
            format!("http://{host}:{}/", listen.port())
        }
    };
    let parsed =
        url::Url::parse(&url).with_context(|| format!("invalid --web.external-url {url:?}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        bail!("invalid --web.external-url {url:?}: scheme must be http or https");
    }
    let prefix = args
        .route_prefix
        .clone()
        .unwrap_or_else(|| parsed.path().to_string());
    let prefix = format!("/{}", prefix.trim_matches('/'));
    Ok((url.trim_end_matches('/').to_string(), prefix))
}

/// Runs the Alertmanager until SIGINT/SIGTERM; SIGHUP reloads the config.
pub fn run(args: &AlertmanagerArgs) -> anyhow::Result<ExitCode> {
    let opts = options(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(opts))
}

/// The library options the flags stand for.
pub(crate) fn options(args: &AlertmanagerArgs) -> anyhow::Result<Options> {
    let cluster = cluster_options(args)?;
    let listen = listen_addr(&args.listen_address)?;
    let (external_url, route_prefix) = external_url(args, listen)?;
    let opts = Options {
        config_file: args.config_file.clone(),
        storage_path: args.storage_path.clone(),
        listen,
        external_url,
        route_prefix,
        retention: args.retention,
        alerts_gc_interval: args.alerts_gc_interval,
        maintenance_interval: args.maintenance_interval,
        silence_limits: Limits {
            max_silences: args.max_silences,
            max_silence_size_bytes: args.max_silence_size_bytes,
        },
        peer_timeout: args.peer_timeout,
        cluster,
        version: VersionInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            revision: env!("FLINT_GIT_REVISION").into(),
            branch: "main".into(),
            build_user: "flint".into(),
            build_date: env!("FLINT_BUILD_DATE").into(),
            toolchain: env!("FLINT_RUSTC_VERSION").into(),
        },
    };
    Ok(opts)
}

/// Serves until SIGINT/SIGTERM.
pub(crate) async fn serve(opts: Options) -> anyhow::Result<ExitCode> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "Starting Alertmanager."
    );
    let listen = opts.listen;
    let am = Alertmanager::new(opts, Clock::system()).context("loading configuration")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let cancel = CancellationToken::new();
    let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
    let signals = tokio::spawn(handle_signals(cancel.clone(), reload_tx));
    let trim = tokio::spawn(super::trim::periodically(super::trim::INTERVAL));
    am.run(listener, reload_rx, cancel).await?;
    signals.abort();
    trim.abort();
    tracing::info!("See you next time!");
    Ok(ExitCode::SUCCESS)
}

async fn handle_signals(
    cancel: CancellationToken,
    reload: tokio::sync::mpsc::Sender<flint_alertmanager::api::ReloadRequest>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("Cannot install signal handlers.");
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                if reload.send(tx).await.is_ok() {
                    let _ = rx.await;
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("Received shutdown signal, exiting gracefully...");
    cancel.cancel();
}
