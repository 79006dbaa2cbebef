//! Self-metrics under Alertmanager's names, so existing dashboards work.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::histogram::{Buckets, Histogram};

/// Every metric the Alertmanager exports.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// The registry served at `/metrics`.
    pub registry: Registry,
    /// `alertmanager_alerts{state}`.
    pub alerts: LabelVec<Gauge>,
    /// `alertmanager_alerts_received_total{status}`.
    pub alerts_received: LabelVec<Counter>,
    /// `alertmanager_alerts_invalid_total`.
    pub alerts_invalid: Counter,
    /// `alertmanager_notifications_total{integration}`.
    pub notifications: LabelVec<Counter>,
    /// `alertmanager_notifications_failed_total{integration,reason}`.
    pub notifications_failed: LabelVec<Counter>,
    /// `alertmanager_notification_requests_total{integration}`.
    pub notification_requests: LabelVec<Counter>,
    /// `alertmanager_notification_requests_failed_total{integration}`.
    pub notification_requests_failed: LabelVec<Counter>,
    /// `alertmanager_notification_latency_seconds{integration}`.
    pub notification_latency: LabelVec<Histogram>,
    /// `alertmanager_silences{state}`.
    pub silences: LabelVec<Gauge>,
    /// `alertmanager_nflog_queries_total`.
    pub nflog_queries: Counter,
    /// `alertmanager_nflog_snapshot_size_bytes`.
    pub nflog_snapshot_size: Gauge,
    /// `alertmanager_silences_snapshot_size_bytes`.
    pub silences_snapshot_size: Gauge,
    /// `alertmanager_nflog_gc_duration_seconds` (sum of runs).
    pub nflog_maintenance: Counter,
    /// `alertmanager_dispatcher_aggregation_groups`.
    pub aggregation_groups: Gauge,
    /// `alertmanager_config_last_reload_successful`.
    pub config_last_reload_successful: Gauge,
    /// `alertmanager_config_last_reload_success_timestamp_seconds`.
    pub config_last_reload_success_timestamp: Gauge,
    /// `alertmanager_config_hash`.
    pub config_hash: Gauge,
}

fn vec<M: flint_client::metrics::ChildMetric + Default>(names: &[&str]) -> LabelVec<M> {
    // Label names are constants and valid.
    LabelVec::new(names.iter().copied()).unwrap_or_else(|_| unreachable!("valid label names"))
}

fn latency_histogram() -> Histogram {
    let b = Buckets::new([1.0, 5.0, 10.0, 15.0, 20.0])
        .unwrap_or_else(|_| unreachable!("sorted buckets"));
    Histogram::new(b)
}

impl Metrics {
    /// Creates and registers everything.
    pub fn new() -> Self {
        let m = Metrics {
            registry: Registry::new(),
            alerts: vec(&["state"]),
            alerts_received: vec(&["status"]),
            alerts_invalid: Counter::default(),
            notifications: vec(&["integration"]),
            notifications_failed: vec(&["integration", "reason"]),
            notification_requests: vec(&["integration"]),
            notification_requests_failed: vec(&["integration"]),
            notification_latency: LabelVec::new_with_constructor(
                ["integration"],
                latency_histogram as fn() -> Histogram,
            )
            .unwrap_or_else(|_| unreachable!("valid label names")),
            silences: vec(&["state"]),
            nflog_queries: Counter::default(),
            nflog_snapshot_size: Gauge::default(),
            silences_snapshot_size: Gauge::default(),
            nflog_maintenance: Counter::default(),
            aggregation_groups: Gauge::default(),
            config_last_reload_successful: Gauge::default(),
            config_last_reload_success_timestamp: Gauge::default(),
            config_hash: Gauge::default(),
        };
        let r = &m.registry;
        let _ = r.register(
            "alertmanager_alerts",
            "How many alerts by state.",
            m.alerts.clone(),
        );
        let _ = r.register(
            "alertmanager_alerts_received",
            "The total number of received alerts.",
            m.alerts_received.clone(),
        );
        let _ = r.register(
            "alertmanager_alerts_invalid",
            "The total number of received alerts that were invalid.",
            m.alerts_invalid.clone(),
        );
        let _ = r.register(
            "alertmanager_notifications",
            "The total number of attempted notifications.",
            m.notifications.clone(),
        );
        let _ = r.register(
            "alertmanager_notifications_failed",
            "The total number of failed notifications.",
            m.notifications_failed.clone(),
        );
        let _ = r.register(
            "alertmanager_notification_requests",
            "The total number of attempted notification requests.",
            m.notification_requests.clone(),
        );
        let _ = r.register(
            "alertmanager_notification_requests_failed",
            "The total number of failed notification requests.",
            m.notification_requests_failed.clone(),
        );
        let _ = r.register(
            "alertmanager_notification_latency_seconds",
            "The latency of notifications in seconds.",
            m.notification_latency.clone(),
        );
        let _ = r.register(
            "alertmanager_silences",
            "How many silences by state.",
            m.silences.clone(),
        );
        let _ = r.register(
            "alertmanager_nflog_queries",
            "Number of notification log queries were received.",
            m.nflog_queries.clone(),
        );
        let _ = r.register(
            "alertmanager_nflog_snapshot_size_bytes",
            "Size of the last notification log snapshot in bytes.",
            m.nflog_snapshot_size.clone(),
        );
        let _ = r.register(
            "alertmanager_silences_snapshot_size_bytes",
            "Size of the last silence snapshot in bytes.",
            m.silences_snapshot_size.clone(),
        );
        let _ = r.register(
            "alertmanager_nflog_maintenance",
            "How many maintenances were executed for the notification log.",
            m.nflog_maintenance.clone(),
        );
        let _ = r.register(
            "alertmanager_dispatcher_aggregation_groups",
            "Number of active aggregation groups",
            m.aggregation_groups.clone(),
        );
        let _ = r.register(
            "alertmanager_config_last_reload_successful",
            "Whether the last configuration reload attempt was successful.",
            m.config_last_reload_successful.clone(),
        );
        let _ = r.register(
            "alertmanager_config_last_reload_success_timestamp_seconds",
            "Timestamp of the last successful configuration reload.",
            m.config_last_reload_success_timestamp.clone(),
        );
        let _ = r.register(
            "alertmanager_config_hash",
            "Hash of the currently loaded alertmanager configuration.",
            m.config_hash.clone(),
        );
        r.register_collector(flint_client::process::ProcessCollector::default());
        m
    }

    /// Counter child for an integration (label values are constants we choose).
    pub fn by_integration(v: &LabelVec<Counter>, integration: &str) -> Option<Counter> {
        v.with_label_values(&[integration]).ok()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
