//! Self-metrics of discovery, under Prometheus's names.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::summary::Summary;

/// File SD metrics.
#[derive(Debug, Clone, Default)]
pub struct FileMetrics {
    /// `prometheus_sd_file_read_errors_total`.
    pub read_errors: Counter,
    /// `prometheus_sd_file_scan_duration_seconds`.
    pub scan_duration: Summary,
    /// `prometheus_sd_file_watcher_errors_total`.
    pub watcher_errors: Counter,
}

/// HTTP SD metrics.
#[derive(Debug, Clone, Default)]
pub struct HttpMetrics {
    /// `prometheus_sd_http_failures_total`.
    pub failures: Counter,
}

/// DNS SD metrics.
#[derive(Debug, Clone, Default)]
pub struct DnsMetrics {
    /// `prometheus_sd_dns_lookups_total`.
    pub lookups: Counter,
    /// `prometheus_sd_dns_lookup_failures_total`.
    pub failures: Counter,
}

/// Manager metrics, labelled by manager name (`scrape`, `notify`).
#[derive(Debug, Clone)]
pub struct ManagerMetrics {
    /// `prometheus_sd_discovered_targets{config, name}`.
    pub discovered_targets: LabelVec<Gauge>,
    /// `prometheus_sd_received_updates_total{name}`.
    pub received_updates: LabelVec<Counter>,
    /// `prometheus_sd_updates_delayed_total{name}`.
    pub delayed_updates: LabelVec<Counter>,
    /// `prometheus_sd_updates_total{name}`.
    pub sent_updates: LabelVec<Counter>,
    /// `prometheus_sd_failed_configs{name}`.
    pub failed_configs: LabelVec<Gauge>,
}

/// Every discovery metric, registered once per registry and shared by all managers.
#[derive(Debug, Clone)]
pub struct SdMetrics {
    /// File SD.
    pub file: FileMetrics,
    /// HTTP SD.
    pub http: HttpMetrics,
    /// DNS SD.
    pub dns: DnsMetrics,
    /// Managers.
    pub manager: ManagerMetrics,
}

fn vec<M: flint_client::metrics::ChildMetric + Default>(names: &[&str]) -> LabelVec<M> {
    // The names are constants and valid; a failure would be a programming error, and the
    // vector then simply has no children.
    LabelVec::new(names.iter().copied()).unwrap_or_else(|_| {
        LabelVec::new(["name"]).unwrap_or_else(|_| unreachable!("constant label name"))
    })
}

impl SdMetrics {
    /// Creates and registers the metrics in `registry` (re-registration is ignored).
    pub fn new(registry: &Registry) -> Self {
        let m = SdMetrics {
            file: FileMetrics::default(),
            http: HttpMetrics::default(),
            dns: DnsMetrics::default(),
            manager: ManagerMetrics {
                discovered_targets: vec(&["config", "name"]),
                received_updates: vec(&["name"]),
                delayed_updates: vec(&["name"]),
                sent_updates: vec(&["name"]),
                failed_configs: vec(&["name"]),
            },
        };
        let results = [
            registry.register(
                "prometheus_sd_file_read_errors",
                "The number of File-SD read errors.",
                m.file.read_errors.clone(),
            ),
            registry.register(
                "prometheus_sd_file_scan_duration_seconds",
                "The duration of the File-SD scan in seconds.",
                m.file.scan_duration.clone(),
            ),
            registry.register(
                "prometheus_sd_file_watcher_errors",
                "The number of File-SD errors caused by filesystem watch failures.",
                m.file.watcher_errors.clone(),
            ),
            registry.register(
                "prometheus_sd_http_failures",
                "Number of HTTP service discovery refresh failures.",
                m.http.failures.clone(),
            ),
            registry.register(
                "prometheus_sd_dns_lookups",
                "The number of DNS-SD lookups.",
                m.dns.lookups.clone(),
            ),
            registry.register(
                "prometheus_sd_dns_lookup_failures",
                "The number of DNS-SD lookup failures.",
                m.dns.failures.clone(),
            ),
            registry.register(
                "prometheus_sd_discovered_targets",
                "Current number of discovered targets.",
                m.manager.discovered_targets.clone(),
            ),
            registry.register(
                "prometheus_sd_received_updates",
                "Total number of update events received from the SD providers.",
                m.manager.received_updates.clone(),
            ),
            registry.register(
                "prometheus_sd_updates_delayed",
                "Total number of update events that couldn't be sent immediately.",
                m.manager.delayed_updates.clone(),
            ),
            registry.register(
                "prometheus_sd_updates",
                "Total number of update events sent to the SD consumers.",
                m.manager.sent_updates.clone(),
            ),
            registry.register(
                "prometheus_sd_failed_configs",
                "Current number of service discovery configurations that failed to load.",
                m.manager.failed_configs.clone(),
            ),
        ];
        for r in results {
            if let Err(e) = r {
                tracing::debug!(error = %e, "discovery metric not registered");
            }
        }
        m
    }
}
