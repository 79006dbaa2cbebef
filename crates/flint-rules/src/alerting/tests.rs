//! The alert state machine, step by step, with a scripted query function.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use super::*;
use crate::error::QueryError;
use crate::sink::RecordingSink;

const MIN: i64 = 60_000;

/// Returns what it was last given, for every query.
#[derive(Default)]
struct Scripted(Mutex<Vec<(Labels, f64)>>);

impl Scripted {
    fn set(&self, series: &[(&[(&str, &str)], f64)]) {
        *self.0.lock().unwrap() = series
            .iter()
            .map(|(l, v)| (Labels::from_pairs(l.iter().copied()), *v))
            .collect();
    }
}

impl QueryFn for Scripted {
    fn query(&self, _expr: &RuleExpr, t: i64) -> Result<Vec<Sample>, QueryError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(labels, v)| Sample {
                labels: labels.clone(),
                t,
                value: SampleValue::Float(*v),
            })
            .collect())
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn rule(
    hold: i64,
    keep: i64,
    labels: &[(&str, &str)],
    annotations: &[(&str, &str)],
) -> AlertingRule {
    AlertingRule::new(
        "Down".into(),
        RuleExpr::parse("up == 0").unwrap(),
        hold,
        keep,
        &map(labels),
        &map(annotations),
        true,
    )
}

struct Harness {
    q: Scripted,
    ext: BTreeMap<String, String>,
    c1: Counter,
    c2: Counter,
}

impl Harness {
    fn new() -> Self {
        Harness {
            q: Scripted::default(),
            ext: BTreeMap::from([("dc".to_string(), "eu".to_string())]),
            c1: Counter::default(),
            c2: Counter::default(),
        }
    }

    fn eval(&self, r: &AlertingRule, ts: i64) -> Result<Vec<Sample>, EvalError> {
        self.eval_limit(r, ts, 0)
    }

    fn eval_limit(
        &self,
        r: &AlertingRule,
        ts: i64,
        limit: usize,
    ) -> Result<Vec<Sample>, EvalError> {
        let env = AlertEnv {
            query: &self.q,
            template: Env {
                query: None,
                time_ms: ts,
                external_url: "http://prom".into(),
            },
            external_labels: &self.ext,
            expansions: &self.c1,
            expansion_failures: &self.c2,
        };
        r.eval(ts, 0, limit, &env)
    }
}

fn states(r: &AlertingRule) -> Vec<AlertState> {
    r.alerts().iter().map(|a| a.state).collect()
}

const UP_A: &[(&str, &str)] = &[("__name__", "up"), ("job", "a")];

#[test]
fn pending_then_firing_then_resolved_then_forgotten() {
    let h = Harness::new();
    let r = rule(5 * MIN, 0, &[("severity", "page")], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    let s = h.eval(&r, 0).unwrap();
    assert_eq!(states(&r), [AlertState::Pending]);
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[0].labels.to_string(),
        r#"{__name__="ALERTS", alertname="Down", alertstate="pending", job="a", severity="page"}"#
    );
    assert_eq!(
        s[1].labels.to_string(),
        r#"{__name__="ALERTS_FOR_STATE", alertname="Down", job="a", severity="page"}"#
    );
    assert_eq!(s[1].value, SampleValue::Float(0.0));
    h.eval(&r, 4 * MIN).unwrap();
    assert_eq!(states(&r), [AlertState::Pending]);
    let s = h.eval(&r, 5 * MIN).unwrap();
    assert_eq!(states(&r), [AlertState::Firing]);
    assert_eq!(s[0].labels.get("alertstate"), Some("firing"));
    assert_eq!(r.alerts()[0].fired_at, Some(5 * MIN));
    assert_eq!(r.state(), AlertState::Firing);
    h.q.set(&[]);
    assert!(h.eval(&r, 6 * MIN).unwrap().is_empty());
    let a = &r.alerts()[0];
    assert_eq!(
        (a.state, a.resolved_at),
        (AlertState::Inactive, Some(6 * MIN))
    );
    assert!(r.active_alerts().is_empty());
    h.eval(&r, 21 * MIN).unwrap();
    assert_eq!(r.alerts().len(), 1, "kept for the retention");
    h.eval(&r, 21 * MIN + 1).unwrap();
    assert!(r.alerts().is_empty(), "forgotten after 15m");
}

#[test]
fn pending_alerts_that_vanish_are_dropped_and_come_back_fresh() {
    let h = Harness::new();
    let r = rule(5 * MIN, 0, &[], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 0).unwrap();
    h.q.set(&[]);
    h.eval(&r, MIN).unwrap();
    assert!(r.alerts().is_empty());
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 2 * MIN).unwrap();
    assert_eq!(r.alerts()[0].active_at, 2 * MIN);
}

#[test]
fn zero_for_fires_at_once_and_resolved_alerts_restart() {
    let h = Harness::new();
    let r = rule(0, 0, &[], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 0).unwrap();
    assert_eq!(states(&r), [AlertState::Firing]);
    h.q.set(&[]);
    h.eval(&r, MIN).unwrap();
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 2 * MIN).unwrap();
    let a = &r.alerts()[0];
    assert_eq!(
        (a.state, a.active_at, a.resolved_at),
        (AlertState::Firing, 2 * MIN, None)
    );
}

#[test]
fn keep_firing_for_holds_a_firing_alert() {
    let h = Harness::new();
    let r = rule(0, 2 * MIN, &[], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 0).unwrap();
    h.q.set(&[]);
    let s = h.eval(&r, MIN).unwrap();
    assert_eq!(states(&r), [AlertState::Firing]);
    assert_eq!(r.alerts()[0].keep_firing_since, Some(MIN));
    assert_eq!(s[0].labels.get("alertstate"), Some("firing"));
    h.eval(&r, 2 * MIN).unwrap();
    assert_eq!(states(&r), [AlertState::Firing]);
    h.eval(&r, 3 * MIN).unwrap();
    assert_eq!(states(&r), [AlertState::Inactive]);
    // Coming back while kept firing resets the clock.
    let r = rule(0, 2 * MIN, &[], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 0).unwrap();
    h.q.set(&[]);
    h.eval(&r, MIN).unwrap();
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 2 * MIN).unwrap();
    assert_eq!(r.alerts()[0].keep_firing_since, None);
}

#[test]
fn templates_see_labels_value_and_external_labels() {
    let h = Harness::new();
    let r = rule(
        0,
        0,
        &[("instance", "{{ $labels.job }}-x"), ("job", "")],
        &[(
            "summary",
            "{{ $labels.job }} is {{ $value }} in {{ $externalLabels.dc }} ({{ $externalURL }})",
        )],
    );
    h.q.set(&[(UP_A, 0.5)]);
    h.eval(&r, 0).unwrap();
    let a = &r.alerts()[0];
    assert_eq!(
        a.labels.to_string(),
        r#"{alertname="Down", instance="a-x"}"#
    );
    assert_eq!(
        a.annotations.to_string(),
        r#"{summary="a is 0.5 in eu (http://prom)"}"#
    );
    assert_eq!(h.c1.get(), 3);
    let bad = rule(0, 0, &[], &[("x", "{{ index $labels 1 }}")]);
    h.eval(&bad, 0).unwrap();
    let v = bad.alerts()[0]
        .annotations
        .get("x")
        .unwrap_or("")
        .to_string();
    assert!(v.starts_with("<error expanding template: "), "{v}");
    assert_eq!(h.c2.get(), 1);
}

#[test]
fn duplicate_labelsets_and_limits_fail() {
    let h = Harness::new();
    let r = rule(0, 0, &[("job", "x")], &[]);
    h.q.set(&[(UP_A, 0.0), (&[("__name__", "up"), ("job", "b")], 0.0)]);
    assert_eq!(h.eval(&r, 0), Err(EvalError::DuplicateAlertLabels));
    let r = rule(0, 0, &[], &[]);
    assert_eq!(
        h.eval_limit(&r, 0, 1).err().map(|e| e.to_string()),
        Some("exceeded limit of 1 with 2 alerts".into())
    );
    assert!(r.alerts().is_empty());
    assert!(h.eval_limit(&r, 0, 2).is_ok());
}

#[test]
fn unrestored_rules_write_no_series() {
    let h = Harness::new();
    let r = rule(0, 0, &[], &[]);
    r.set_restored(false);
    h.q.set(&[(UP_A, 0.0)]);
    assert!(h.eval(&r, 0).unwrap().is_empty());
    assert_eq!(states(&r), [AlertState::Firing]);
}

#[test]
fn sending_follows_the_resend_delay_and_resolutions() {
    let h = Harness::new();
    let sink = RecordingSink::default();
    let r = rule(MIN, 0, &[], &[]);
    h.q.set(&[(UP_A, 0.0)]);
    h.eval(&r, 0).unwrap();
    r.send_alerts(0, MIN, 15_000, "http://p", &sink);
    assert!(sink.take().is_empty(), "pending alerts are not sent");
    h.eval(&r, MIN).unwrap();
    r.send_alerts(MIN, MIN, 15_000, "http://p", &sink);
    let sent = sink.take();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].starts_at, sent[0].ends_at), (MIN, MIN + 4 * MIN));
    assert_eq!(
        sent[0].generator_url,
        "http://p/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );
    r.send_alerts(MIN + 30_000, MIN, 15_000, "http://p", &sink);
    assert!(sink.take().is_empty(), "within the resend delay");
    r.send_alerts(2 * MIN + 1, MIN, 15_000, "http://p", &sink);
    assert_eq!(sink.take().len(), 1);
    h.q.set(&[]);
    h.eval(&r, 3 * MIN).unwrap();
    r.send_alerts(3 * MIN, MIN, 15_000, "http://p", &sink);
    let sent = sink.take();
    assert_eq!(
        sent[0].ends_at,
        3 * MIN,
        "resolved alerts end when they resolved"
    );
    r.send_alerts(3 * MIN + 1, MIN, 15_000, "http://p", &sink);
    assert!(sink.take().is_empty());
    r.send_alerts(4 * MIN + 1, MIN, 15_000, "http://p", &sink);
    assert_eq!(sink.take().len(), 1, "resolved alerts are resent");
}
