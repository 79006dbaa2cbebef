//! Scrape self-metrics under Prometheus's names.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::summary::{Summary, SummaryConfig};

/// Scrape metrics shared by every pool and loop.
#[derive(Debug, Clone)]
pub struct ScrapeMetrics {
    /// `prometheus_target_interval_length_seconds{interval}`.
    pub interval_length: LabelVec<Summary, fn() -> Summary>,
    /// `prometheus_target_scrapes_exceeded_sample_limit_total`.
    pub exceeded_sample_limit: Counter,
    /// `prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total`.
    pub exceeded_bucket_limit: Counter,
    /// `prometheus_target_scrapes_exceeded_body_size_limit_total`.
    pub exceeded_body_size_limit: Counter,
    /// `prometheus_target_scrapes_sample_out_of_order_total`.
    pub out_of_order: Counter,
    /// `prometheus_target_scrapes_sample_duplicate_timestamp_total`.
    pub duplicate: Counter,
    /// `prometheus_target_scrapes_sample_out_of_bounds_total`.
    pub out_of_bounds: Counter,
    /// `prometheus_target_scrapes_exemplar_out_of_order_total`.
    pub exemplar_out_of_order: Counter,
    /// `prometheus_target_scrape_pool_targets{scrape_job}`.
    pub pool_targets: LabelVec<Gauge>,
    /// `prometheus_target_scrape_pools_total`.
    pub pools: Counter,
    /// `prometheus_target_scrape_pool_reloads_total`.
    pub reloads: Counter,
    /// `prometheus_target_scrapes_total` (Flint: all scrapes attempted).
    pub scrapes: Counter,
    /// `prometheus_target_scrapes_failed_total` (Flint: scrapes with `up` 0).
    pub failed: Counter,
}

fn interval_summary() -> Summary {
    Summary::new(SummaryConfig::default().quantiles(&[0.01, 0.05, 0.5, 0.9, 0.99]))
}

impl ScrapeMetrics {
    /// Creates and registers the metrics.
    pub fn new(registry: &Registry) -> Self {
        let ctor: fn() -> Summary = interval_summary;
        let m = ScrapeMetrics {
            interval_length: LabelVec::new_with_constructor(["interval"], ctor)
                .unwrap_or_else(|_| unreachable!("constant label name")),
            exceeded_sample_limit: Counter::default(),
            exceeded_body_size_limit: Counter::default(),
            exceeded_bucket_limit: Counter::default(),
            out_of_order: Counter::default(),
            duplicate: Counter::default(),
            out_of_bounds: Counter::default(),
            exemplar_out_of_order: Counter::default(),
            pool_targets: LabelVec::new(["scrape_job"])
                .unwrap_or_else(|_| unreachable!("constant label name")),
            pools: Counter::default(),
            reloads: Counter::default(),
            scrapes: Counter::default(),
            failed: Counter::default(),
        };
        let rs = [
            registry.register("prometheus_target_interval_length_seconds", "Actual intervals between scrapes.", m.interval_length.clone()),
            registry.register("prometheus_target_scrapes_exceeded_sample_limit", "Total number of scrapes that hit the sample limit and were rejected.", m.exceeded_sample_limit.clone()),
            registry.register("prometheus_target_scrapes_exceeded_body_size_limit", "Total number of scrapes that hit the body size limit", m.exceeded_body_size_limit.clone()),
            registry.register("prometheus_target_scrapes_exceeded_native_histogram_bucket_limit", "Total number of scrapes that hit the native histogram bucket limit and were rejected.", m.exceeded_bucket_limit.clone()),
            registry.register("prometheus_target_scrapes_sample_out_of_order", "Total number of samples rejected due to not being out of the expected order.", m.out_of_order.clone()),
            registry.register("prometheus_target_scrapes_sample_duplicate_timestamp", "Total number of samples rejected due to duplicate timestamps but different values.", m.duplicate.clone()),
            registry.register("prometheus_target_scrapes_sample_out_of_bounds", "Total number of samples rejected due to timestamp falling outside of the time bounds.", m.out_of_bounds.clone()),
            registry.register("prometheus_target_scrapes_exemplar_out_of_order", "Total number of exemplar rejected due to not being out of the expected order.", m.exemplar_out_of_order.clone()),
            registry.register("prometheus_target_scrape_pool_targets", "Current number of targets in this scrape pool.", m.pool_targets.clone()),
            registry.register("prometheus_target_scrape_pools", "Total number of scrape pool creation attempts.", m.pools.clone()),
            registry.register("prometheus_target_scrape_pool_reloads", "Total number of scrape pool reloads.", m.reloads.clone()),
            registry.register("flint_target_scrapes", "Total number of scrapes attempted.", m.scrapes.clone()),
            registry.register("flint_target_scrapes_failed", "Total number of scrapes that failed.", m.failed.clone()),
        ];
        for r in rs {
            if let Err(e) = r {
                tracing::debug!(error = %e, "scrape metric not registered");
            }
        }
        m
    }
}
