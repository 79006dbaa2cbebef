//! The cluster's self-metrics under upstream's names.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;

/// Message kinds as upstream labels them.
pub const FULL_STATE: &str = "full_state";
/// A gossiped change.
pub const UPDATE: &str = "update";

/// Every cluster metric.
#[derive(Debug, Clone)]
pub struct ClusterMetrics {
    /// `alertmanager_cluster_enabled`.
    pub enabled: Gauge,
    /// `alertmanager_cluster_members`.
    pub members: Gauge,
    /// `alertmanager_cluster_health_score`.
    pub health_score: Gauge,
    /// `alertmanager_peer_position`.
    pub position: Gauge,
    /// `alertmanager_cluster_failed_peers`.
    pub failed_peers: Gauge,
    /// `alertmanager_cluster_peers_joined_total`.
    pub joined: Counter,
    /// `alertmanager_cluster_peers_left_total`.
    pub left: Counter,
    /// `alertmanager_cluster_reconnections_total`.
    pub reconnections: Counter,
    /// `alertmanager_cluster_reconnections_failed_total`.
    pub reconnections_failed: Counter,
    /// `alertmanager_cluster_refresh_join_total`.
    pub refresh_join: Counter,
    /// `alertmanager_cluster_refresh_join_failed_total`.
    pub refresh_join_failed: Counter,
    /// `alertmanager_cluster_messages_received_total{msg_type}`.
    pub received: LabelVec<Counter>,
    /// `alertmanager_cluster_messages_received_size_total{msg_type}`.
    pub received_size: LabelVec<Counter>,
    /// `alertmanager_cluster_messages_sent_total{msg_type}`.
    pub sent: LabelVec<Counter>,
    /// `alertmanager_cluster_messages_sent_size_total{msg_type}`.
    pub sent_size: LabelVec<Counter>,
    /// `alertmanager_cluster_messages_queued`.
    pub queued: Gauge,
    /// `alertmanager_cluster_messages_pruned_total`.
    pub pruned: Counter,
    /// `alertmanager_cluster_messages_publish_failures_total{reason}`.
    pub publish_failures: LabelVec<Counter>,
}

fn vec(names: &[&str]) -> LabelVec<Counter> {
    // Label names are constants and valid.
    LabelVec::new(names.iter().copied()).unwrap_or_else(|_| unreachable!("valid label names"))
}

impl ClusterMetrics {
    /// Creates the metrics and registers them in `r`.
    pub fn new(r: &Registry) -> Self {
        let m = ClusterMetrics {
            enabled: Gauge::default(),
            members: Gauge::default(),
            health_score: Gauge::default(),
            position: Gauge::default(),
            failed_peers: Gauge::default(),
            joined: Counter::default(),
            left: Counter::default(),
            reconnections: Counter::default(),
            reconnections_failed: Counter::default(),
            refresh_join: Counter::default(),
            refresh_join_failed: Counter::default(),
            received: vec(&["msg_type"]),
            received_size: vec(&["msg_type"]),
            sent: vec(&["msg_type"]),
            sent_size: vec(&["msg_type"]),
            queued: Gauge::default(),
            pruned: Counter::default(),
            publish_failures: vec(&["reason"]),
        };
        let gauges = [
            (
                "alertmanager_cluster_enabled",
                "Indicates whether the clustering is enabled or not.",
                &m.enabled,
            ),
            (
                "alertmanager_cluster_members",
                "Number indicating current number of members in cluster.",
                &m.members,
            ),
            (
                "alertmanager_cluster_health_score",
                "Health score of the cluster. Lower values are better and zero means 'totally healthy'.",
                &m.health_score,
            ),
            (
                "alertmanager_peer_position",
                "Position the Alertmanager instance believes it's in. The position determines a peer's behavior in the cluster.",
                &m.position,
            ),
            (
                "alertmanager_cluster_failed_peers",
                "Number indicating the current number of failed peers in the cluster.",
                &m.failed_peers,
            ),
            (
                "alertmanager_cluster_messages_queued",
                "Number of cluster messages which are queued.",
                &m.queued,
            ),
        ];
        for (name, help, g) in gauges {
            let _ = r.register(name, help, g.clone());
        }
        let counters = [
            (
                "alertmanager_cluster_peers_joined",
                "A counter of the number of peers that have joined.",
                &m.joined,
            ),
            (
                "alertmanager_cluster_peers_left",
                "A counter of the number of peers that have left.",
                &m.left,
            ),
            (
                "alertmanager_cluster_reconnections",
                "A counter of the number of cluster peer reconnections.",
                &m.reconnections,
            ),
            (
                "alertmanager_cluster_reconnections_failed",
                "A counter of the number of failed cluster peer reconnection attempts.",
                &m.reconnections_failed,
            ),
            (
                "alertmanager_cluster_refresh_join",
                "A counter of the number of cluster peer joined via refresh.",
                &m.refresh_join,
            ),
            (
                "alertmanager_cluster_refresh_join_failed",
                "A counter of the number of failed cluster peer joined attempts via refresh.",
                &m.refresh_join_failed,
            ),
            (
                "alertmanager_cluster_messages_pruned",
                "Total number of cluster messages pruned.",
                &m.pruned,
            ),
        ];
        for (name, help, c) in counters {
            let _ = r.register(name, help, c.clone());
        }
        let families = [
            (
                "alertmanager_cluster_messages_received",
                "Total number of cluster messages received.",
                &m.received,
            ),
            (
                "alertmanager_cluster_messages_received_size",
                "Total size of cluster messages received.",
                &m.received_size,
            ),
            (
                "alertmanager_cluster_messages_sent",
                "Total number of cluster messages sent.",
                &m.sent,
            ),
            (
                "alertmanager_cluster_messages_sent_size",
                "Total size of cluster messages sent.",
                &m.sent_size,
            ),
            (
                "alertmanager_cluster_messages_publish_failures",
                "Total number of messages that failed to be published.",
                &m.publish_failures,
            ),
        ];
        for (name, help, f) in families {
            let _ = r.register(name, help, f.clone());
        }
        m
    }

    /// Counts a received message of `kind` and `size` bytes.
    pub fn on_received(&self, kind: &str, size: usize) {
        if let Ok(c) = self.received.with_label_values(&[kind]) {
            c.inc();
        }
        if let Ok(c) = self.received_size.with_label_values(&[kind]) {
            c.inc_by(size as u64);
        }
    }

    /// Counts a sent message.
    pub fn on_sent(&self, kind: &str, size: usize) {
        if let Ok(c) = self.sent.with_label_values(&[kind]) {
            c.inc();
        }
        if let Ok(c) = self.sent_size.with_label_values(&[kind]) {
            c.inc_by(size as u64);
        }
    }

    /// Counts a message that could not be published.
    pub fn on_publish_failure(&self, reason: &str) {
        if let Ok(c) = self.publish_failures.with_label_values(&[reason]) {
            c.inc();
        }
    }
}
