//! Alerting rules: the alert state machine (inactive → pending → firing → resolved, with
//! `for` and `keep_firing_for`), templated labels and annotations, the `ALERTS` and
//! `ALERTS_FOR_STATE` series, and deciding which alerts to (re)send.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use flint_client::metrics::counter::Counter;
use flint_model::Labels;
use flint_model::names::METRIC_NAME_LABEL;
use flint_promql::engine::{Sample, SampleValue};
use flint_template::prometheus::{AlertData, AlertTemplate, Env};

use crate::error::EvalError;
use crate::query::{QueryFn, RuleExpr};
use crate::rule::{SharedStatus, lock};
use crate::sink::{AlertSink, Notification, generator_url};

/// Name of the series of active alerts.
pub const ALERTS_METRIC: &str = "ALERTS";
/// Name of the series holding each active alert's activation time (for restoring `for`).
pub const ALERTS_FOR_STATE_METRIC: &str = "ALERTS_FOR_STATE";
/// The label naming the alert.
pub const ALERT_NAME_LABEL: &str = "alertname";
/// The label of `ALERTS` holding the state.
pub const ALERT_STATE_LABEL: &str = "alertstate";
/// How long a resolved alert is kept (and re-sent as resolved) before it is forgotten.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// The state of an alert (and of a rule: the most advanced of its alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum AlertState {
    /// Not active (resolved, or no alert at all).
    #[default]
    Inactive,
    /// Active for less than `for`.
    Pending,
    /// Active for at least `for`.
    Firing,
}

impl AlertState {
    /// `inactive`, `pending`, `firing`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of a rule. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The state.
    pub state: AlertState,
    /// Labels: the series', the rule's (expanded) and `alertname`.
    pub labels: Labels,
    /// Expanded annotations.
    pub annotations: Labels,
    /// The value of the series at the last evaluation that had it.
    pub value: f64,
    /// When the alert became active.
    pub active_at: i64,
    /// When it started firing.
    pub fired_at: Option<i64>,
    /// When it resolved.
    pub resolved_at: Option<i64>,
    /// When it was last sent.
    pub last_sent_at: Option<i64>,
    /// Until when the last send stays valid at Alertmanager.
    pub valid_until: Option<i64>,
    /// Since when it has been kept firing although the expression no longer returns it.
    pub keep_firing_since: Option<i64>,
}

impl Alert {
    fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        let last = self.last_sent_at.unwrap_or(i64::MIN);
        if self.resolved_at.is_some_and(|r| r > last) {
            return true;
        }
        last.saturating_add(resend_delay_ms) < ts
    }
}

/// What alert evaluation needs besides the query.
pub(crate) struct AlertEnv<'a> {
    pub query: &'a dyn QueryFn,
    pub template: Env,
    pub external_labels: &'a BTreeMap<String, String>,
    pub expansions: &'a Counter,
    pub expansion_failures: &'a Counter,
}

/// An alerting rule and its active alerts.
#[derive(Debug)]
pub struct AlertingRule {
    /// The alert name.
    pub name: String,
    /// The expression.
    pub expr: RuleExpr,
    /// `for` in milliseconds.
    pub hold_ms: i64,
    /// `keep_firing_for` in milliseconds.
    pub keep_firing_for_ms: i64,
    /// Labels as written (templates unexpanded), the group's included.
    pub labels: Labels,
    /// Annotations as written.
    pub annotations: Labels,
    label_templates: Vec<(String, AlertTemplate)>,
    annotation_templates: Vec<(String, AlertTemplate)>,
    active: Mutex<BTreeMap<Labels, Alert>>,
    restored: AtomicBool,
    pub(crate) status: SharedStatus,
}

/// What a templates failure expands to, as upstream writes it.
fn expansion_error(e: &flint_template::Error) -> String {
    format!("<error expanding template: {e}>")
}

impl AlertingRule {
    /// A rule. Label and annotation templates were validated with the rule file (one that
    /// does not parse is left out); a label with an empty value removes that label.
    pub fn new(
        name: String,
        expr: RuleExpr,
        hold_ms: i64,
        keep_firing_for_ms: i64,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
        restored: bool,
    ) -> Self {
        let parse = |set: &BTreeMap<String, String>| -> Vec<(String, AlertTemplate)> {
            set.iter()
                .filter_map(|(k, v)| AlertTemplate::parse(&name, v).ok().map(|t| (k.clone(), t)))
                .collect()
        };
        AlertingRule {
            label_templates: parse(labels),
            annotation_templates: parse(annotations),
            labels: Labels::from_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            annotations: Labels::from_pairs(
                annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ),
            name,
            expr,
            hold_ms,
            keep_firing_for_ms,
            active: Mutex::new(BTreeMap::new()),
            restored: AtomicBool::new(restored),
            status: SharedStatus::default(),
        }
    }

    /// Whether `ALERTS` series are written (after the restore from `ALERTS_FOR_STATE`).
    pub fn restored(&self) -> bool {
        self.restored.load(Ordering::SeqCst)
    }

    /// Marks the rule restored.
    pub fn set_restored(&self, v: bool) {
        self.restored.store(v, Ordering::SeqCst);
    }

    /// Every alert the rule holds (resolved ones included, until forgotten).
    pub fn alerts(&self) -> Vec<Alert> {
        lock(&self.active).values().cloned().collect()
    }

    /// Pending and firing alerts.
    pub fn active_alerts(&self) -> Vec<Alert> {
        lock(&self.active)
            .values()
            .filter(|a| a.state != AlertState::Inactive)
            .cloned()
            .collect()
    }

    /// The most advanced state among the alerts.
    pub fn state(&self) -> AlertState {
        lock(&self.active)
            .values()
            .map(|a| a.state)
            .max()
            .unwrap_or_default()
    }

    /// Runs `f` on the alerts (restore adjusts their activation times).
    pub(crate) fn with_alerts<R>(&self, f: impl FnOnce(&mut BTreeMap<Labels, Alert>) -> R) -> R {
        f(&mut lock(&self.active))
    }

    fn expand(&self, t: &AlertTemplate, data: &AlertData, env: &AlertEnv<'_>) -> String {
        env.expansions.inc();
        t.expand(data, &env.template).unwrap_or_else(|e| {
            env.expansion_failures.inc();
            tracing::warn!(rule = %self.name, error = %e, "Expanding alert template failed");
            expansion_error(&e)
        })
    }

    /// The alert a result sample stands for, templates expanded.
    fn alert_for(&self, s: &Sample, ts: i64, env: &AlertEnv<'_>) -> (Labels, Alert) {
        let value = match s.value {
            SampleValue::Float(f) => f,
            SampleValue::Histogram(_) => 0.0,
        };
        let data = AlertData {
            labels: s
                .labels
                .iter()
                .map(|l| (l.name.to_string(), l.value.to_string()))
                .collect(),
            external_labels: env.external_labels.clone(),
            external_url: env.template.external_url.clone(),
            value,
        };
        let mut b = s.labels.builder();
        b.del(METRIC_NAME_LABEL);
        for (k, t) in &self.label_templates {
            b.set(k.as_str(), self.expand(t, &data, env));
        }
        b.set(ALERT_NAME_LABEL, self.name.as_str());
        let labels = b.build();
        let annotations = Labels::from_pairs(
            self.annotation_templates
                .iter()
                .map(|(k, t)| (k.clone(), self.expand(t, &data, env))),
        );
        let alert = Alert {
            state: AlertState::Pending,
            labels: labels.clone(),
            annotations,
            value,
            active_at: ts,
            fired_at: None,
            resolved_at: None,
            last_sent_at: None,
            valid_until: None,
            keep_firing_since: None,
        };
        (labels, alert)
    }

    /// Evaluates at `ts` (querying at `ts - offset_ms`), moves every alert through the state
    /// machine and returns the `ALERTS`/`ALERTS_FOR_STATE` samples to append.
    pub(crate) fn eval(
        &self,
        ts: i64,
        offset_ms: i64,
        limit: usize,
        env: &AlertEnv<'_>,
    ) -> Result<Vec<Sample>, EvalError> {
        let result = env.query.query(&self.expr, ts - offset_ms)?;
        let mut fresh: BTreeMap<Labels, Alert> = BTreeMap::new();
        for s in &result {
            let (labels, alert) = self.alert_for(s, ts, env);
            if fresh.insert(labels, alert).is_some() {
                return Err(EvalError::DuplicateAlertLabels);
            }
        }
        let present: HashSet<Labels> = fresh.keys().cloned().collect();
        let mut active = lock(&self.active);
        for (labels, a) in fresh {
            match active.get_mut(&labels) {
                Some(old) if old.state != AlertState::Inactive => {
                    old.value = a.value;
                    old.annotations = a.annotations;
                }
                _ => {
                    active.insert(labels, a);
                }
            }
        }
        let (samples, num_active) = self.advance(&mut active, &present, ts, offset_ms);
        if limit > 0 && num_active > limit {
            active.clear();
            return Err(EvalError::AlertLimit {
                limit,
                got: num_active,
            });
        }
        Ok(samples)
    }

    /// The transitions of one evaluation; returns the samples and the number of active alerts.
    fn advance(
        &self,
        active: &mut BTreeMap<Labels, Alert>,
        present: &HashSet<Labels>,
        ts: i64,
        offset_ms: i64,
    ) -> (Vec<Sample>, usize) {
        let restored = self.restored();
        let mut samples = Vec::new();
        let mut num_active = 0;
        active.retain(|labels, a| {
            if present.contains(labels) {
                a.keep_firing_since = None;
            } else {
                let mut keep = false;
                if a.state == AlertState::Firing && self.keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep = ts - since < self.keep_firing_for_ms;
                }
                let forget = a.state == AlertState::Pending
                    || a.resolved_at
                        .is_some_and(|r| ts - r > RESOLVED_RETENTION_MS);
                if a.state != AlertState::Inactive && !keep {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep {
                    return !forget;
                }
            }
            num_active += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= self.hold_ms {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            if restored {
                samples.push(self.alerts_sample(a, ts - offset_ms));
                samples.push(self.for_state_sample(a, ts - offset_ms));
            }
            true
        });
        (samples, num_active)
    }

    fn series_labels(&self, a: &Alert, name: &str) -> flint_model::LabelsBuilder {
        let mut b = self.labels.builder();
        for l in a.labels.iter() {
            b.set(l.name.clone(), l.value.clone());
        }
        b.set(METRIC_NAME_LABEL, name);
        b.set(ALERT_NAME_LABEL, self.name.as_str());
        b
    }

    fn alerts_sample(&self, a: &Alert, t: i64) -> Sample {
        let mut b = self.series_labels(a, ALERTS_METRIC);
        b.set(ALERT_STATE_LABEL, a.state.as_str());
        Sample {
            labels: b.build(),
            t,
            value: SampleValue::Float(1.0),
        }
    }

    fn for_state_sample(&self, a: &Alert, t: i64) -> Sample {
        Sample {
            labels: self.series_labels(a, ALERTS_FOR_STATE_METRIC).build(),
            t,
            value: SampleValue::Float(a.active_at.div_euclid(1000) as f64),
        }
    }

    /// Sends the alerts that need it (firing ones once per `max(resend_delay, interval)`,
    /// resolved ones after they resolve) with a validity of four such periods.
    pub(crate) fn send_alerts(
        &self,
        ts: i64,
        resend_delay_ms: i64,
        interval_ms: i64,
        external_url: &str,
        sink: &dyn AlertSink,
    ) {
        let url = generator_url(external_url, &self.expr.canonical());
        let delta = resend_delay_ms.max(interval_ms);
        let mut out = Vec::new();
        for a in lock(&self.active).values_mut() {
            if !a.needs_sending(ts, resend_delay_ms) {
                continue;
            }
            a.last_sent_at = Some(ts);
            let valid_until = ts + 4 * delta;
            a.valid_until = Some(valid_until);
            out.push(Notification {
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at: a.fired_at.unwrap_or(a.active_at),
                ends_at: a.resolved_at.unwrap_or(valid_until),
                generator_url: url.clone(),
            });
        }
        if !out.is_empty() {
            sink.send(&self.expr.canonical(), out);
        }
    }

    /// Takes over the alerts of `old` (a reload kept this rule).
    pub(crate) fn copy_alerts_from(&self, old: &AlertingRule) {
        let alerts = lock(&old.active).clone();
        lock(&self.active).extend(alerts);
    }
}

#[cfg(test)]
mod tests;
