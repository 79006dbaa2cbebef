//! The `Discoverer` contract and building one from an SD config.

use std::future::Future;
use std::pin::Pin;

use flint_config::SdConfig;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::targetgroup::TargetGroup;

/// A future a discoverer runs as.
pub type RunFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A provider of target groups.
///
/// `run` sends the full set of groups first (possibly empty), then groups that changed,
/// and returns promptly once `cancel` fires. A group sent with no targets removes that
/// source. Failures are logged and counted by the discoverer; the last good groups stay.
pub trait Discoverer: Send + 'static {
    /// Runs until cancelled.
    fn run(
        self: Box<Self>,
        cancel: CancellationToken,
        tx: mpsc::Sender<Vec<TargetGroup>>,
    ) -> RunFuture;
}

/// What discoverers need besides their config.
#[derive(Debug, Clone, Default)]
pub struct DiscovererDeps {
    /// Metrics registry (`prometheus_sd_*`).
    pub registry: flint_client::Registry,
    /// DNS servers to use instead of the system's (tests point this at a local server).
    pub dns_servers: Option<Vec<std::net::SocketAddr>>,
}

/// Builds the discoverer for `cfg`.
pub fn new_discoverer(
    cfg: &SdConfig,
    deps: &DiscovererDeps,
    metrics: &crate::metrics::SdMetrics,
) -> Result<Box<dyn Discoverer>> {
    Ok(match cfg {
        SdConfig::Static(groups) => Box::new(crate::static_sd::StaticDiscoverer::new(groups)),
        SdConfig::File(c) => Box::new(crate::file::FileDiscoverer::new(
            c.clone(),
            metrics.file.clone(),
        )),
        SdConfig::Http(c) => Box::new(crate::http::HttpDiscoverer::new(
            (**c).clone(),
            metrics.http.clone(),
        )?),
        SdConfig::Dns(c) => Box::new(crate::dns::DnsDiscoverer::new(
            c.clone(),
            deps.dns_servers.clone(),
            metrics.dns.clone(),
        )?),
    })
}
