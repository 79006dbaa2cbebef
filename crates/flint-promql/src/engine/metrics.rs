//! The engine's self-metrics under Prometheus's names (`prometheus_engine_*`).

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::summary::Summary;

use super::result::QueryStats;

/// Handles updated by the engine; clones go into a [`Registry`].
#[derive(Debug, Clone)]
pub(crate) struct EngineMetrics {
    /// `prometheus_engine_queries`: queries executing or waiting.
    pub(crate) queries: Gauge,
    /// `prometheus_engine_queries_concurrent_max`.
    concurrent_max: Gauge,
    /// `prometheus_engine_query_duration_seconds{slice}`.
    durations: Option<LabelVec<Summary>>,
    /// `prometheus_engine_query_samples_total`.
    samples: Counter,
}

impl EngineMetrics {
    pub(crate) fn new(max_concurrency: usize) -> Self {
        EngineMetrics {
            queries: Gauge::default(),
            concurrent_max: Gauge::with_value(max_concurrency as f64),
            durations: LabelVec::new(["slice"]).ok(),
            samples: Counter::default(),
        }
    }

    /// Records a finished query.
    pub(crate) fn observe(&self, stats: &QueryStats) {
        self.samples.inc_by(stats.total_queryable_samples);
        let Some(d) = &self.durations else { return };
        for (slice, t) in [
            ("queue_time", stats.queue_time),
            ("prepare_time", stats.prepare_time),
            ("inner_eval", stats.inner_eval_time),
            ("result_sort", stats.result_sort_time),
        ] {
            if let Ok(s) = d.with_label_values(&[slice]) {
                s.observe(t.as_secs_f64());
            }
        }
    }

    /// Registers the metrics with `registry`.
    pub(crate) fn register(&self, registry: &Registry) -> flint_client::Result<()> {
        registry.register(
            "prometheus_engine_queries",
            "The current number of queries being executed or waiting.",
            self.queries.clone(),
        )?;
        registry.register(
            "prometheus_engine_queries_concurrent_max",
            "The max number of concurrent queries.",
            self.concurrent_max.clone(),
        )?;
        if let Some(d) = &self.durations {
            registry.register(
                "prometheus_engine_query_duration_seconds",
                "Query timings",
                d.clone(),
            )?;
        }
        registry.register(
            "prometheus_engine_query_samples_total",
            "The total number of samples loaded by all queries.",
            self.samples.clone(),
        )
    }
}
