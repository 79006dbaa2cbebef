//! `prometheus_notifications_*` metrics.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::summary::Summary;

/// The notifier's metrics. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub(crate) latency: LabelVec<Summary>,
    pub(crate) errors: LabelVec<Counter>,
    pub(crate) sent: LabelVec<Counter>,
    pub(crate) dropped: Counter,
    pub(crate) queue_length: Gauge,
    pub(crate) queue_capacity: Gauge,
    pub(crate) discovered: Gauge,
}

fn per_am<M: flint_client::metrics::ChildMetric + Default>() -> LabelVec<M> {
    LabelVec::new(["alertmanager"]).unwrap_or_else(|_| unreachable!("a valid label name"))
}

impl Metrics {
    /// Metrics registered with `registry`.
    pub fn new(registry: &Registry) -> Self {
        let m = Metrics {
            latency: per_am(),
            errors: per_am(),
            sent: per_am(),
            dropped: Counter::default(),
            queue_length: Gauge::default(),
            queue_capacity: Gauge::default(),
            discovered: Gauge::default(),
        };
        let results = [
            registry.register(
                "prometheus_notifications_latency_seconds",
                "Latency quantiles for sending alert notifications.",
                m.latency.clone(),
            ),
            registry.register(
                "prometheus_notifications_errors",
                "Total number of sent alerts affected by errors.",
                m.errors.clone(),
            ),
            registry.register(
                "prometheus_notifications_sent",
                "Total number of alerts sent.",
                m.sent.clone(),
            ),
            registry.register(
                "prometheus_notifications_dropped",
                "Total number of alerts dropped due to errors when sending to Alertmanager.",
                m.dropped.clone(),
            ),
            registry.register(
                "prometheus_notifications_queue_length",
                "The number of alert notifications in the queue.",
                m.queue_length.clone(),
            ),
            registry.register(
                "prometheus_notifications_queue_capacity",
                "The capacity of the alert notifications queue.",
                m.queue_capacity.clone(),
            ),
            registry.register(
                "prometheus_notifications_alertmanagers_discovered",
                "The number of alertmanagers discovered and active.",
                m.discovered.clone(),
            ),
        ];
        for r in results {
            if let Err(e) = r {
                tracing::debug!(error = %e, "notifier metric not registered");
            }
        }
        m
    }

    pub(crate) fn for_am(&self, url: &str) -> (Summary, Counter, Counter) {
        (
            self.latency.with_label_values(&[url]).unwrap_or_default(),
            self.errors.with_label_values(&[url]).unwrap_or_default(),
            self.sent.with_label_values(&[url]).unwrap_or_default(),
        )
    }
}
