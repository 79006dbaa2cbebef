//! Self-metrics under Prometheus's names: `prometheus_rule_evaluation_*`,
//! `prometheus_rule_group_*` (one child per `rule_group`, `<file>;<name>`) and the template
//! expansion counters.

use flint_client::Registry;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::gauge::Gauge;
use flint_client::metrics::summary::Summary;

/// The rule manager's metrics. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub(crate) eval_duration: Summary,
    pub(crate) group_duration: Summary,
    pub(crate) evals: LabelVec<Counter>,
    pub(crate) eval_failures: LabelVec<Counter>,
    pub(crate) iterations: LabelVec<Counter>,
    pub(crate) iterations_missed: LabelVec<Counter>,
    pub(crate) interval: LabelVec<Gauge>,
    pub(crate) last_duration: LabelVec<Gauge>,
    pub(crate) last_eval_timestamp: LabelVec<Gauge>,
    pub(crate) last_samples: LabelVec<Gauge>,
    pub(crate) last_rule_duration_sum: LabelVec<Gauge>,
    pub(crate) last_restore_duration: LabelVec<Gauge>,
    pub(crate) rules: LabelVec<Gauge>,
    pub(crate) expansions: Counter,
    pub(crate) expansion_failures: Counter,
}

fn vec<M: flint_client::metrics::ChildMetric + Default>() -> LabelVec<M> {
    // A fixed, valid label name: construction cannot fail.
    LabelVec::new(["rule_group"]).unwrap_or_else(|_| unreachable!("rule_group is a valid label"))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            eval_duration: Summary::default(),
            group_duration: Summary::default(),
            evals: vec(),
            eval_failures: vec(),
            iterations: vec(),
            iterations_missed: vec(),
            interval: vec(),
            last_duration: vec(),
            last_eval_timestamp: vec(),
            last_samples: vec(),
            last_rule_duration_sum: vec(),
            last_restore_duration: vec(),
            rules: vec(),
            expansions: Counter::default(),
            expansion_failures: Counter::default(),
        }
    }
}

impl Metrics {
    /// Metrics registered with `registry`.
    pub fn new(registry: &Registry) -> Self {
        let m = Metrics::default();
        let results = [
            registry.register(
                "prometheus_rule_evaluation_duration_seconds",
                "The duration for a rule to execute.",
                m.eval_duration.clone(),
            ),
            registry.register(
                "prometheus_rule_group_duration_seconds",
                "The duration of rule group evaluations.",
                m.group_duration.clone(),
            ),
            registry.register(
                "prometheus_rule_evaluations",
                "The total number of rule evaluations.",
                m.evals.clone(),
            ),
            registry.register(
                "prometheus_rule_evaluation_failures",
                "The total number of rule evaluation failures.",
                m.eval_failures.clone(),
            ),
            registry.register(
                "prometheus_rule_group_iterations",
                "The total number of scheduled rule group evaluations, whether executed or missed.",
                m.iterations.clone(),
            ),
            registry.register(
                "prometheus_rule_group_iterations_missed",
                "The total number of rule group evaluations missed due to slow rule group evaluation.",
                m.iterations_missed.clone(),
            ),
            registry.register(
                "prometheus_rule_group_interval_seconds",
                "The interval of a rule group.",
                m.interval.clone(),
            ),
            registry.register(
                "prometheus_rule_group_last_duration_seconds",
                "The duration of the last rule group evaluation.",
                m.last_duration.clone(),
            ),
            registry.register(
                "prometheus_rule_group_last_evaluation_timestamp_seconds",
                "The timestamp of the last rule group evaluation in seconds.",
                m.last_eval_timestamp.clone(),
            ),
            registry.register(
                "prometheus_rule_group_last_evaluation_samples",
                "The number of samples returned during the last rule group evaluation.",
                m.last_samples.clone(),
            ),
            registry.register(
                "prometheus_rule_group_last_rule_duration_sum_seconds",
                "The sum of time in seconds it took to evaluate each rule in the group regardless of concurrency.",
                m.last_rule_duration_sum.clone(),
            ),
            registry.register(
                "prometheus_rule_group_last_restore_duration_seconds",
                "The duration of the last alert rules alerts restoration using the `ALERTS_FOR_STATE` series.",
                m.last_restore_duration.clone(),
            ),
            registry.register(
                "prometheus_rule_group_rules",
                "The number of rules.",
                m.rules.clone(),
            ),
            registry.register(
                "prometheus_template_text_expansions",
                "The total number of template text expansions.",
                m.expansions.clone(),
            ),
            registry.register(
                "prometheus_template_text_expansion_failures",
                "The total number of template text expansion failures.",
                m.expansion_failures.clone(),
            ),
        ];
        for r in results {
            if let Err(e) = r {
                tracing::debug!(error = %e, "rule metric not registered");
            }
        }
        m
    }

    /// The per-group children of `key` (`<file>;<name>`).
    pub(crate) fn group(&self, key: &str) -> GroupMetrics {
        let get_c = |v: &LabelVec<Counter>| v.with_label_values(&[key]).unwrap_or_default();
        let get_g = |v: &LabelVec<Gauge>| v.with_label_values(&[key]).unwrap_or_default();
        GroupMetrics {
            evals: get_c(&self.evals),
            eval_failures: get_c(&self.eval_failures),
            iterations: get_c(&self.iterations),
            iterations_missed: get_c(&self.iterations_missed),
            interval: get_g(&self.interval),
            last_duration: get_g(&self.last_duration),
            last_eval_timestamp: get_g(&self.last_eval_timestamp),
            last_samples: get_g(&self.last_samples),
            last_rule_duration_sum: get_g(&self.last_rule_duration_sum),
            last_restore_duration: get_g(&self.last_restore_duration),
            rules: get_g(&self.rules),
            eval_duration: self.eval_duration.clone(),
            group_duration: self.group_duration.clone(),
            expansions: self.expansions.clone(),
            expansion_failures: self.expansion_failures.clone(),
        }
    }

    /// Drops the children of a group that no longer exists.
    pub(crate) fn remove_group(&self, key: &str) {
        for v in [
            &self.evals,
            &self.eval_failures,
            &self.iterations,
            &self.iterations_missed,
        ] {
            let _ = v.remove_label_values(&[key]);
        }
        for v in [
            &self.interval,
            &self.last_duration,
            &self.last_eval_timestamp,
            &self.last_samples,
            &self.last_rule_duration_sum,
            &self.last_restore_duration,
            &self.rules,
        ] {
            let _ = v.remove_label_values(&[key]);
        }
    }
}

/// One group's metric handles.
#[derive(Debug, Clone)]
pub(crate) struct GroupMetrics {
    pub evals: Counter,
    pub eval_failures: Counter,
    pub iterations: Counter,
    pub iterations_missed: Counter,
    pub interval: Gauge,
    pub last_duration: Gauge,
    pub last_eval_timestamp: Gauge,
    pub last_samples: Gauge,
    pub last_rule_duration_sum: Gauge,
    pub last_restore_duration: Gauge,
    pub rules: Gauge,
    pub eval_duration: Summary,
    pub group_duration: Summary,
    pub expansions: Counter,
    pub expansion_failures: Counter,
}
