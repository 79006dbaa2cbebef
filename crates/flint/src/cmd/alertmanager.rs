//! `flint alertmanager`: the Alertmanager drop-in, with upstream's flag names and defaults.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use flint_alertmanager::api::VersionInfo;
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
    /// Listen address for cluster; empty disables clustering (HA is not built yet).
    #[arg(long = "cluster.listen-address", default_value = "")]
    pub cluster_listen_address: String,
    /// Initial peers (HA is not built yet; accepted and ignored).
    #[arg(long = "cluster.peer")]
    pub cluster_peer: Vec<String>,
    /// Time to wait between peers to send notifications.
    #[arg(long = "cluster.peer-timeout", default_value = "15s", value_parser = duration)]
    pub peer_timeout: Duration,
}

/// Resolves `:9093`-style addresses (an empty host means every interface).
fn listen_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    full.to_socket_addrs()
        .with_context(|| format!("invalid --web.listen-address {s:?}"))?
        .next()
        .with_context(|| format!("--web.listen-address {s:?} resolves to nothing"))
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
    if !args.cluster_listen_address.is_empty() || !args.cluster_peer.is_empty() {
        tracing::warn!("Clustering is not built yet; running as a single instance.");
    }
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
        version: VersionInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            revision: env!("FLINT_GIT_REVISION").into(),
            branch: "main".into(),
            build_user: "flint".into(),
            build_date: env!("FLINT_BUILD_DATE").into(),
            toolchain: env!("FLINT_RUSTC_VERSION").into(),
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(opts))
}

async fn serve(opts: Options) -> anyhow::Result<ExitCode> {
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
    am.run(listener, reload_rx, cancel).await?;
    signals.abort();
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
