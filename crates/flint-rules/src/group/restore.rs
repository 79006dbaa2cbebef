//! Restoring `for` state after a restart from the `ALERTS_FOR_STATE` series, as upstream:
//! an alert that was pending keeps the time it had left, shifted by the outage, and is given
//! at least the grace period before it fires.

use std::collections::HashMap;
use std::time::Instant;

use flint_model::names::METRIC_NAME_LABEL;
use flint_model::{Labels, Matcher, is_stale_nan};
use flint_storage::{Querier, ValueType};

use super::Group;
use crate::alerting::{ALERT_NAME_LABEL, ALERTS_FOR_STATE_METRIC, AlertingRule};
use crate::rule::Rule;

impl Group {
    /// Restores the activation times of the alerting rules' alerts at `ts` (milliseconds)
    /// and marks the rules restored (so they write `ALERTS` from now on).
    pub fn restore_for_state(&self, ts: i64) {
        let started = Instant::now();
        let tolerance = self.deps.opts.outage_tolerance.as_millis() as i64;
        let querier = match self.deps.opts.queryable.querier(ts - tolerance, ts) {
            Ok(q) => q,
            Err(e) => {
                tracing::error!(group = %self.name(), error = %e, "Failed to get Querier");
                return;
            }
        };
        for rule in &self.rules {
            if let Rule::Alerting(a) = rule {
                self.restore_rule(a, querier.as_ref(), ts);
            }
        }
        self.metrics
            .last_restore_duration
            .set(started.elapsed().as_secs_f64());
    }

    fn restore_rule(&self, a: &AlertingRule, querier: &dyn Querier, ts: i64) {
        let grace = self.deps.opts.for_grace_period.as_millis() as i64;
        if a.hold_ms < grace {
            // It would wait for the grace period anyway: let it wait for its `for`.
            a.set_restored(true);
            return;
        }
        let last = match last_for_state(a, querier) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(group = %self.name(), rule = %a.name, error = %e, "Failed to restore 'for' state");
                return;
            }
        };
        a.with_alerts(|alerts| {
            for alert in alerts.values_mut() {
                let Some(&(t, v)) = last.get(&alert.labels) else {
                    continue;
                };
                if is_stale_nan(v) {
                    continue;
                }
                let down_at = t.div_euclid(1000) * 1000;
                let mut active_at = v as i64 * 1000;
                let remaining = a.hold_ms - (down_at - active_at);
                if remaining <= 0 {
                    // It was firing: the next evaluation makes it fire again.
                } else if remaining < grace {
                    active_at = ts + grace - a.hold_ms;
                } else {
                    active_at += ts - down_at;
                }
                tracing::debug!(rule = %a.name, alert = %alert.labels, active_at, "'for' state restored");
                alert.active_at = active_at;
            }
        });
        a.set_restored(true);
    }
}

/// The newest `ALERTS_FOR_STATE` sample of each of the rule's series, keyed by the series'
/// labels without `__name__`. Only the rule's static labels select (templated ones cannot).
fn last_for_state(
    a: &AlertingRule,
    querier: &dyn Querier,
) -> Result<HashMap<Labels, (i64, f64)>, flint_storage::StorageError> {
    let mut matchers = vec![
        Matcher::equal(METRIC_NAME_LABEL, ALERTS_FOR_STATE_METRIC),
        Matcher::equal(ALERT_NAME_LABEL, a.name.as_str()),
    ];
    for l in a.labels.iter().filter(|l| !l.value.contains("{{")) {
        matchers.push(Matcher::equal(l.name.to_string(), l.value.to_string()));
    }
    let mut out = HashMap::new();
    let mut set = querier.select(false, None, &matchers);
    while let Some(series) = set.next_series() {
        let series = series?;
        let mut it = series.iterator();
        let mut last = None;
        while it.next() == ValueType::Float {
            last = Some(it.at());
        }
        if let Some(e) = it.err() {
            return Err(e);
        }
        if let Some(last) = last {
            let mut b = series.labels().builder();
            b.del(METRIC_NAME_LABEL);
            out.insert(b.build(), last);
        }
    }
    Ok(out)
}
