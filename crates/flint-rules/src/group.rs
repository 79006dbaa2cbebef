//! A rule group: its rules evaluated in order on the group's own ticker, aligned to a stable
//! offset within the interval, results appended with the evaluation timestamp, staleness
//! markers for series a rule stopped producing.

mod restore;
mod run;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use flint_model::{Labels, STALE_NAN};
use flint_promql::engine::{Sample, SampleValue};
use flint_storage::{AppendError, Appender, HistogramSample};
use flint_template::prometheus::{Env, QueryEngine};

use crate::alerting::AlertEnv;
use crate::error::EvalError;
use crate::manager::ManagerOptions;
use crate::metrics::{GroupMetrics, Metrics};
use crate::rule::{Rule, lock};
use crate::rulefmt::GroupDef;

/// What every group shares: the manager's options (the injected query function, storage
/// and sink, the `--rules.*` settings) and the metrics.
pub struct Deps {
    /// The manager's options.
    pub opts: ManagerOptions,
    /// Self-metrics.
    pub metrics: Metrics,
    pub(crate) template_query: Arc<dyn QueryEngine>,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").finish_non_exhaustive()
    }
}

/// What identifies a group and decides whether a reload may keep it running.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    /// The rule file.
    pub file: String,
    /// The group as written.
    pub def: GroupDef,
    /// Effective evaluation interval in milliseconds.
    pub interval_ms: i64,
    /// Effective query offset in milliseconds.
    pub query_offset_ms: i64,
    /// External labels (templates see them).
    pub external_labels: BTreeMap<String, String>,
    /// External URL (templates and generator URLs).
    pub external_url: String,
}

#[derive(Debug, Default)]
struct State {
    /// Per rule, the series its last evaluation wrote.
    previous: Vec<HashSet<Labels>>,
    /// Series of rules removed by a reload, to mark stale at the next evaluation.
    stale: Vec<Labels>,
    last_evaluation: Option<SystemTime>,
    evaluation_time: Duration,
    last_eval_ts: Option<i64>,
}

/// A rule group.
pub struct Group {
    spec: GroupSpec,
    rules: Vec<Rule>,
    state: Mutex<State>,
    deps: Arc<Deps>,
    metrics: GroupMetrics,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("file", &self.spec.file)
            .field("name", &self.spec.def.name)
            .finish_non_exhaustive()
    }
}

/// Counts of per-sample append failures in one evaluation of a rule.
#[derive(Debug, Default)]
struct AppendCounts {
    out_of_order: usize,
    too_old: usize,
    duplicate: usize,
}

impl Group {
    /// A group of `rules` (built from `spec.def`).
    pub(crate) fn new(spec: GroupSpec, rules: Vec<Rule>, deps: Arc<Deps>) -> Self {
        let metrics = deps.metrics.group(&key(&spec.file, &spec.def.name));
        metrics.interval.set(spec.interval_ms as f64 / 1000.0);
        metrics.rules.set(rules.len() as f64);
        let state = State {
            previous: vec![HashSet::new(); rules.len()],
            ..State::default()
        };
        Group {
            spec,
            rules,
            state: Mutex::new(state),
            deps,
            metrics,
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.spec.def.name
    }

    /// The rule file.
    pub fn file(&self) -> &str {
        &self.spec.file
    }

    /// What the group was built from.
    pub fn spec(&self) -> &GroupSpec {
        &self.spec
    }

    /// The evaluation interval.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.spec.interval_ms.max(0) as u64)
    }

    /// The group's `limit`.
    pub fn limit(&self) -> i64 {
        self.spec.def.limit
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// When the last evaluation started.
    pub fn last_evaluation(&self) -> Option<SystemTime> {
        lock(&self.state).last_evaluation
    }

    /// How long the last evaluation took.
    pub fn evaluation_time(&self) -> Duration {
        lock(&self.state).evaluation_time
    }

    /// The timestamp of the last evaluation (milliseconds).
    pub fn last_eval_timestamp(&self) -> Option<i64> {
        lock(&self.state).last_eval_ts
    }

    /// Upstream's aligned evaluation time at or before `now`: a stable offset within the
    /// interval derived from the group's file and name, so groups spread out and keep their
    /// slot across restarts.
    pub fn eval_timestamp(&self, now_ms: i64) -> i64 {
        let interval = self.spec.interval_ms.max(1);
        let hash = Labels::from_pairs([("file", self.file()), ("name", self.name())]).stable_hash();
        let offset = (hash % interval as u64) as i64;
        let adjusted = now_ms - offset;
        adjusted - adjusted.rem_euclid(interval) + offset
    }

    fn limit_usize(&self) -> usize {
        usize::try_from(self.spec.def.limit).unwrap_or(0)
    }

    /// Evaluates every rule at `ts` (milliseconds) in order: blocking; failures are recorded on
    /// the rule and counted, never stop the group.
    pub fn eval(&self, ts: i64) {
        let mut samples = 0usize;
        let mut rule_time = Duration::ZERO;
        for (i, rule) in self.rules.iter().enumerate() {
            self.metrics.evals.inc();
            let (started, clock) = (SystemTime::now(), Instant::now());
            match self.eval_rule(rule, ts) {
                Err(e) => {
                    rule.shared_status().set_result(Err(&e));
                    self.metrics.eval_failures.inc();
                    if !matches!(&e, EvalError::Query(q) if q.canceled) {
                        tracing::warn!(group = %self.name(), file = %self.file(), rule = %rule.name(), error = %e, "Evaluating rule failed");
                    }
                }
                Ok(vector) => {
                    rule.shared_status().set_result(Ok(()));
                    samples += vector.len();
                    if let Rule::Alerting(a) = rule {
                        a.send_alerts(
                            ts,
                            self.deps.opts.resend_delay.as_millis() as i64,
                            self.spec.interval_ms,
                            &self.spec.external_url,
                            self.deps.opts.sink.as_ref(),
                        );
                    }
                    self.append(i, rule, vector, ts);
                }
            }
            let took = clock.elapsed();
            rule_time += took;
            self.metrics.eval_duration.observe(took.as_secs_f64());
            rule.shared_status().set_timing(started, took);
        }
        self.metrics.last_samples.set(samples as f64);
        self.metrics
            .last_rule_duration_sum
            .set(rule_time.as_secs_f64());
        self.cleanup_stale(ts);
    }

    fn eval_rule(&self, rule: &Rule, ts: i64) -> Result<Vec<Sample>, EvalError> {
        let offset = self.spec.query_offset_ms;
        match rule {
            Rule::Recording(r) => r.eval(
                self.deps.opts.query.as_ref(),
                ts - offset,
                self.limit_usize(),
            ),
            Rule::Alerting(a) => {
                let env = AlertEnv {
                    query: self.deps.opts.query.as_ref(),
                    template: Env {
                        query: Some(self.deps.template_query.clone()),
                        time_ms: ts,
                        external_url: self.spec.external_url.clone(),
                    },
                    external_labels: &self.spec.external_labels,
                    expansions: &self.metrics.expansions,
                    expansion_failures: &self.metrics.expansion_failures,
                };
                a.eval(ts, offset, self.limit_usize(), &env)
            }
        }
    }

    /// Appends one rule's results and marks stale what its previous evaluation wrote but
    /// this one did not.
    fn append(&self, i: usize, rule: &Rule, vector: Vec<Sample>, ts: i64) {
        let mut app = self.deps.opts.appendable.appender();
        let mut returned = HashSet::with_capacity(vector.len());
        let mut counts = AppendCounts::default();
        for s in vector {
            let res = match &s.value {
                SampleValue::Float(f) => app.append(None, &s.labels, s.t, *f),
                SampleValue::Histogram(h) => {
                    let model = h.to_model();
                    app.append_histogram(None, &s.labels, s.t, HistogramSample::Float(&model))
                }
            };
            match res {
                Ok(_) => {
                    returned.insert(s.labels);
                }
                Err(e) => {
                    self.count_append_error(rule, &e, &mut counts);
                }
            }
        }
        if counts.out_of_order + counts.too_old + counts.duplicate > 0 {
            tracing::warn!(group = %self.name(), rule = %rule.name(), out_of_order = counts.out_of_order, too_old = counts.too_old, duplicate = counts.duplicate, "Error on ingesting results from rule evaluation");
        }
        let stale_at = ts - self.spec.query_offset_ms;
        let previous = std::mem::take(&mut lock(&self.state).previous[i]);
        for gone in previous.iter().filter(|l| !returned.contains(*l)) {
            mark_stale(app.as_mut(), gone, stale_at);
        }
        match app.commit() {
            Ok(()) => lock(&self.state).previous[i] = returned,
            Err(e) => {
                let e = EvalError::Storage(e.to_string());
                rule.shared_status().set_result(Err(&e));
                self.metrics.eval_failures.inc();
                tracing::warn!(group = %self.name(), rule = %rule.name(), error = %e, "Rule sample appending failed");
                lock(&self.state).previous[i] = previous;
            }
        }
    }

    fn count_append_error(&self, rule: &Rule, e: &AppendError, counts: &mut AppendCounts) {
        rule.shared_status()
            .set_result(Err(&EvalError::Storage(e.to_string())));
        match e {
            AppendError::OutOfOrder => counts.out_of_order += 1,
            AppendError::TooOld | AppendError::OutOfBounds => counts.too_old += 1,
            AppendError::DuplicateTimestamp => counts.duplicate += 1,
            other => {
                tracing::warn!(group = %self.name(), rule = %rule.name(), error = %other, "Rule evaluation result discarded");
            }
        }
    }

    /// Stale markers for the series of rules a reload removed.
    fn cleanup_stale(&self, ts: i64) {
        let stale = std::mem::take(&mut lock(&self.state).stale);
        if stale.is_empty() {
            return;
        }
        let mut app = self.deps.opts.appendable.appender();
        for l in &stale {
            mark_stale(app.as_mut(), l, ts - self.spec.query_offset_ms);
        }
        if let Err(e) = app.commit() {
            tracing::warn!(group = %self.name(), error = %e, "Stale sample appending failed");
        }
    }

    /// Stale markers at `ts` for everything the group wrote last (the group was removed).
    pub(crate) fn mark_all_stale(&self, ts: i64) {
        let previous: Vec<Labels> = lock(&self.state)
            .previous
            .iter()
            .flatten()
            .cloned()
            .collect();
        let mut app = self.deps.opts.appendable.appender();
        for l in &previous {
            mark_stale(app.as_mut(), l, ts);
        }
        if let Err(e) = app.commit() {
            tracing::warn!(group = %self.name(), error = %e, "Stale sample appending failed");
        }
    }

    /// Takes over the state of the group this one replaces: timings, the series each kept
    /// rule wrote (matched by name and labels), the alerts of kept alerting rules; series of
    /// rules no longer there are marked stale at the next evaluation.
    pub(crate) fn copy_state(&self, old: &Group) {
        let old_state = lock(&old.state);
        let mut st = lock(&self.state);
        st.last_evaluation = old_state.last_evaluation;
        st.evaluation_time = old_state.evaluation_time;
        st.last_eval_ts = old_state.last_eval_ts;
        let mut by_identity: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in old.rules.iter().enumerate() {
            by_identity.entry(r.identity()).or_default().push(i);
        }
        for (i, r) in self.rules.iter().enumerate() {
            let Some(candidates) = by_identity.get_mut(&r.identity()) else {
                continue;
            };
            if candidates.is_empty() {
                continue;
            }
            let j = candidates.remove(0);
            st.previous[i] = old_state.previous[j].clone();
            r.shared_status().copy_from(old.rules[j].shared_status());
            if let (Rule::Alerting(new), Rule::Alerting(was)) = (r, &old.rules[j]) {
                new.copy_alerts_from(was);
            }
        }
        st.stale = old_state.stale.clone();
        for idx in by_identity.values().flatten() {
            st.stale.extend(old_state.previous[*idx].iter().cloned());
        }
    }
}

fn mark_stale(app: &mut dyn Appender, labels: &Labels, t: i64) {
    match app.append(None, labels, t, STALE_NAN) {
        Ok(_)
        | Err(AppendError::OutOfOrder | AppendError::DuplicateTimestamp | AppendError::TooOld) => {}
        Err(e) => tracing::warn!(series = %labels, error = %e, "Adding stale sample failed"),
    }
}

/// The `rule_group` key of a group: `<file>;<name>`.
pub fn key(file: &str, name: &str) -> String {
    format!("{file};{name}")
}

#[cfg(test)]
pub(crate) mod tests;
