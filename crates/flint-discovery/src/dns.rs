//! `dns_sd_configs`: SRV, A and AAAA lookups every `refresh_interval` (MX and NS records
//! are accepted in the config but yield no targets yet).

use std::net::{IpAddr, SocketAddr};

use flint_config::DnsSdConfig;
use flint_model::Labels;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::discoverer::{Discoverer, RunFuture};
use crate::error::{Error, Result};
use crate::metrics::DnsMetrics;
use crate::targetgroup::{ADDRESS_LABEL, TargetGroup};

/// The name that was looked up.
pub const NAME_LABEL: &str = "__meta_dns_name";
/// The target of an SRV record.
pub const SRV_TARGET_LABEL: &str = "__meta_dns_srv_record_target";
/// The port of an SRV record.
pub const SRV_PORT_LABEL: &str = "__meta_dns_srv_record_port";

/// Resolves the names of one `dns_sd_configs` entry.
pub struct DnsDiscoverer {
    cfg: DnsSdConfig,
    resolver: TokioResolver,
    metrics: DnsMetrics,
}

impl std::fmt::Debug for DnsDiscoverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsDiscoverer")
            .field("cfg", &self.cfg)
            .finish()
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl DnsDiscoverer {
    /// A discoverer for `cfg`; `servers` replaces the system's name servers.
    pub fn new(
        cfg: DnsSdConfig,
        servers: Option<Vec<SocketAddr>>,
        metrics: DnsMetrics,
    ) -> Result<Self> {
        let resolver = match servers {
            Some(servers) => {
                let ns = servers
                    .iter()
                    .map(|s| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = s.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = s.port();
                        NameServerConfig::new(s.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(ns),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio().map_err(|e| Error::Dns {
                name: String::new(),
                message: format!("reading the system resolver configuration: {e}"),
            })?,
        };
        let mut resolver = resolver;
        // The refresh interval is the cache: always ask.
        resolver.options_mut().cache_size = 0;
        let resolver = resolver.build().map_err(|e| Error::Dns {
            name: String::new(),
            message: e.to_string(),
        })?;
        Ok(DnsDiscoverer {
            cfg,
            resolver,
            metrics,
        })
    }

    async fn lookup(&self, name: &str) -> Result<TargetGroup> {
        let rt = match self.cfg.record_type.to_ascii_uppercase().as_str() {
            "A" => RecordType::A,
            "AAAA" => RecordType::AAAA,
            _ => RecordType::SRV,
        };
        self.metrics.lookups.inc();
        let lookup = self
            .resolver
            .lookup(name, rt)
            .await
            .map_err(|e| Error::Dns {
                name: name.to_string(),
                message: e.to_string(),
            })?;
        let port = self.cfg.port;
        let mut targets = Vec::new();
        for r in lookup.answers() {
            let labels = match &r.data {
                RData::SRV(s) => {
                    let target = s.target.to_utf8();
                    let target = target.trim_end_matches('.');
                    let port = s.port.to_string();
                    Labels::from_pairs([
                        (ADDRESS_LABEL, host_port(target, s.port).as_str()),
                        (NAME_LABEL, name),
                        (SRV_TARGET_LABEL, target),
                        (SRV_PORT_LABEL, port.as_str()),
                    ])
                }
                RData::A(a) => ip_target(IpAddr::V4(a.0), port, name),
                RData::AAAA(a) => ip_target(IpAddr::V6(a.0), port, name),
                _ => continue,
            };
            targets.push(labels);
        }
        Ok(TargetGroup {
            source: name.to_string(),
            targets,
            labels: Labels::empty(),
        })
    }
}

fn ip_target(ip: IpAddr, port: u16, name: &str) -> Labels {
    Labels::from_pairs([
        (ADDRESS_LABEL, host_port(&ip.to_string(), port).as_str()),
        (NAME_LABEL, name),
    ])
}

impl Discoverer for DnsDiscoverer {
    fn run(
        self: Box<Self>,
        cancel: CancellationToken,
        tx: mpsc::Sender<Vec<TargetGroup>>,
    ) -> RunFuture {
        Box::pin(async move {
            let mut ticker = tokio::time::interval(
                self.cfg
                    .refresh_interval
                    .std()
                    .max(std::time::Duration::from_millis(10)),
            );
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let mut groups = Vec::new();
                for name in &self.cfg.names {
                    let r = tokio::select! {
                        _ = cancel.cancelled() => return,
                        r = self.lookup(name) => r,
                    };
                    match r {
                        Ok(g) => groups.push(g),
                        Err(e) => {
                            self.metrics.failures.inc();
                            tracing::error!(error = %e, "Error refreshing DNS targets");
                        }
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = tx.send(groups) => if r.is_err() { return },
                }
            }
        })
    }
}
