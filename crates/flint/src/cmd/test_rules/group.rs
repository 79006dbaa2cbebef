//! Running one test group: load the input series step by step into storage, evaluate
//! the rule groups at every evaluation interval, check alerts at their times, then check
//! the expressions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use flint_model::{CounterResetHint, Labels, STALE_NAN};
use flint_promql::engine::SampleValue;
use flint_promql::histogram::Hist;
use flint_promql::promqltest::{SeqValue, parse_series, parse_values};
use flint_rules::alerting::{ALERT_NAME_LABEL, AlertState};
use flint_rules::manager::{Manager, ManagerOptions, RulesConfig};
use flint_rules::query::{EngineQuery, QueryFn, RuleExpr};
use flint_rules::rulefmt::ParseOptions;
use flint_rules::sink::NoSink;
use flint_rules::{Group, Rule};
use flint_storage::memory::MemStorage;
use flint_storage::{Appendable, HistogramSample};
use tokio_util::sync::CancellationToken;

use super::compare::{
    LabelsAndAnnotations, TestSample, alerts_string, go_duration, indent_lines, samples_string,
};
use super::format::{AlertTest, ExprTest, TestGroup, start_ms};

/// What a test group runs with (from the file and the flags).
pub struct Settings<'a> {
    /// Rule files, resolved.
    pub rule_files: &'a [String],
    /// Evaluation interval in milliseconds.
    pub eval_interval: i64,
    /// Group order (`group_eval_order`).
    pub order: &'a HashMap<String, usize>,
    /// `fuzzy_compare`.
    pub fuzzy: bool,
    /// `--ignore-unknown-fields` for the rule files.
    pub ignore_unknown_fields: bool,
}

/// Input series as values per step, loaded as evaluation reaches them.
struct Input {
    series: Vec<(Labels, Vec<SeqValue>)>,
    step: i64,
    start: i64,
    loaded: usize,
}

impl Input {
    fn parse(tg: &TestGroup, step: i64, start: i64) -> Result<Self, String> {
        let mut series = Vec::new();
        for s in &tg.input_series {
            let d = parse_series(&format!("{} {}", s.series, s.values))
                .map_err(|e| format!("parse error: {e}"))?;
            series.push((d.labels, d.values));
        }
        Ok(Input {
            series,
            step: step.max(1),
            start,
            loaded: 0,
        })
    }

    /// Appends every sample at or before `ts`.
    fn load_until(&mut self, head: &MemStorage, ts: i64) -> Result<(), String> {
        let until = usize::try_from((ts - self.start).div_euclid(self.step) + 1).unwrap_or(0);
        if until <= self.loaded {
            return Ok(());
        }
        let mut app = head.appender();
        for (labels, values) in &self.series {
            let mut prev = self.loaded.checked_sub(1).and_then(|i| values.get(i));
            for (i, v) in values.iter().enumerate().take(until).skip(self.loaded) {
                let t = self.start + i as i64 * self.step;
                let r = match v {
                    SeqValue::Omitted => continue,
                    SeqValue::Float(f) => app.append(None, labels, t, *f),
                    SeqValue::Stale => app.append(None, labels, t, STALE_NAN),
                    SeqValue::Histogram { h, .. } => {
                        let mut h = (**h).clone();
                        h.hint = read_hint(prev, &h);
                        let m = h.to_model();
                        app.append_histogram(None, labels, t, HistogramSample::Float(&m))
                    }
                };
                prev = Some(v);
                if let Err(e) = &r {
                    eprintln!("DEBUG {e}");
                }
                if let Err(e) = r
                    && !e.is_per_sample()
                {
                    return Err(e.to_string());
                }
            }
        }
        self.loaded = until;
        app.commit().map_err(|e| e.to_string())
    }

    fn load_all(&mut self, head: &MemStorage) -> Result<(), String> {
        let len = self.series.iter().map(|s| s.1.len()).max().unwrap_or(0) as i64;
        self.load_until(head, self.start + len * self.step)
    }
}

/// The counter-reset hint a TSDB reader reports for `h` written after `prev` (the storage
/// here keeps hints as written): gauges stay gauges; a histogram following another in the
/// same series is "not a reset" unless counts went down; the first one is unknown.
fn read_hint(prev: Option<&SeqValue>, h: &Hist) -> CounterResetHint {
    if matches!(
        h.hint,
        CounterResetHint::Gauge | CounterResetHint::CounterReset
    ) {
        return h.hint;
    }
    match prev {
        Some(SeqValue::Histogram { h: p, .. }) if p.hint != CounterResetHint::Gauge => {
            if went_down(p, h) {
                CounterResetHint::Unknown
            } else {
                CounterResetHint::NotCounterReset
            }
        }
        _ => CounterResetHint::Unknown,
    }
}

/// Whether `h` looks like a counter reset after `p`.
fn went_down(p: &Hist, h: &Hist) -> bool {
    let lower = |a: &[(i32, f64)], b: &[(i32, f64)]| {
        a.iter().any(|(i, c)| {
            b.iter()
                .find(|(j, _)| j == i)
                .map_or(*c > 0.0, |(_, d)| d < c)
        })
    };
    h.count < p.count
        || h.zero_count < p.zero_count
        || h.schema != p.schema
        || h.zero_threshold != p.zero_threshold
        || lower(&p.positive, &h.positive)
        || lower(&p.negative, &h.negative)
}

/// Runs the group; returns the failures, each a promtool error text.
pub fn run(tg: &TestGroup, s: &Settings<'_>) -> Vec<String> {
    match run_inner(tg, s) {
        Ok(errs) => errs,
        Err(e) => vec![e],
    }
}

fn run_inner(tg: &TestGroup, s: &Settings<'_>) -> Result<Vec<String>, String> {
    let head = Arc::new(MemStorage::new());
    let step = tg.interval.map_or(s.eval_interval, |d| d.as_millis());
    let start = tg
        .start_timestamp
        .as_deref()
        .map(start_ms)
        .transpose()?
        .unwrap_or(0);
    let mut input = Input::parse(tg, step, start)?;
    let engine = flint_promql::Engine::new(flint_promql::EngineOptions {
        default_subquery_step: std::time::Duration::from_millis(s.eval_interval.max(1) as u64),
        ..flint_promql::EngineOptions::default()
    });
    let query = Arc::new(EngineQuery::new(
        engine,
        head.clone(),
        CancellationToken::new(),
    ));
    let manager = Manager::new(ManagerOptions::new(
        query.clone(),
        head.clone(),
        head.clone(),
        Arc::new(NoSink),
    ));
    let cfg = RulesConfig {
        files: s.rule_files.to_vec(),
        evaluation_interval: std::time::Duration::from_millis(step.max(1) as u64),
        query_offset: std::time::Duration::ZERO,
        external_labels: tg.external_labels.clone(),
        external_url: tg.external_url.clone(),
        parse: ParseOptions {
            ignore_unknown_fields: s.ignore_unknown_fields,
            ..ParseOptions::default()
        },
    };
    let mut groups = manager
        .load_groups(&cfg, true)
        .map_err(|e| e.lines().join("\n"))?;
    groups.sort_by_key(|g| s.order.get(g.name()).copied().unwrap_or(0));
    let mut errs = evaluate(tg, s, &groups, &mut input, &head, start)?;
    input.load_all(&head)?;
    for t in &tg.promql_expr_test {
        if let Some(e) = expr_test(t, query.as_ref(), start, s.fuzzy) {
            errs.push(e);
        }
    }
    Ok(errs)
}

/// Evaluates the rules from the start to the last test time; checks alerts on the way.
/// Evaluation errors end the group (returned as the only failures after the test ones).
fn evaluate(
    tg: &TestGroup,
    s: &Settings<'_>,
    groups: &[Arc<Group>],
    input: &mut Input,
    head: &MemStorage,
    start: i64,
) -> Result<Vec<String>, String> {
    let mut by_time: BTreeMap<i64, Vec<&AlertTest>> = BTreeMap::new();
    for a in &tg.alert_rule_test {
        if a.alertname.is_empty() {
            let in_group = if tg.name.is_empty() {
                String::new()
            } else {
                format!(" (in TestGroup {})", tg.name)
            };
            return Err(format!(
                "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
                a.eval_time
            ));
        }
        by_time.entry(a.eval_time.as_millis()).or_default().push(a);
    }
    let max = tg
        .alert_rule_test
        .iter()
        .map(|a| a.eval_time.as_millis())
        .chain(tg.promql_expr_test.iter().map(|t| t.eval_time.as_millis()))
        .max()
        .unwrap_or(0);
    let interval = s.eval_interval.max(1);
    let mut errs = Vec::new();
    let mut pending = by_time.into_iter().peekable();
    let mut offset = 0;
    while offset <= max {
        let ts = start + offset;
        input.load_until(head, ts)?;
        let mut eval_errs = Vec::new();
        for g in groups {
            g.eval(ts);
            for r in g.rules() {
                if let Some(e) = r.status().last_error {
                    eval_errs.push(format!(
                        "    rule: {}, time: {}, err: {e}",
                        r.name(),
                        go_duration(offset)
                    ));
                }
            }
        }
        if !eval_errs.is_empty() {
            errs.extend(eval_errs);
            return Ok(errs);
        }
        while let Some((t, _)) = pending.peek() {
            if !(offset <= *t && *t < offset + interval) {
                break;
            }
            let Some((_, tests)) = pending.next() else {
                break;
            };
            for test in tests {
                if let Some(e) = alert_test(tg, test, groups) {
                    errs.push(e);
                }
            }
        }
        match offset.checked_add(interval) {
            Some(o) => offset = o,
            None => break,
        }
    }
    Ok(errs)
}

/// Compares the firing alerts named in `test` with the expected ones.
fn alert_test(tg: &TestGroup, test: &AlertTest, groups: &[Arc<Group>]) -> Option<String> {
    let mut got: Vec<LabelsAndAnnotations> = groups
        .iter()
        .flat_map(|g| g.rules().iter())
        .filter_map(|r| match r {
            Rule::Alerting(a) if a.name == test.alertname => Some(a.alerts()),
            _ => None,
        })
        .flatten()
        .filter(|a| a.state == AlertState::Firing)
        .map(|a| LabelsAndAnnotations {
            labels: a.labels,
            annotations: a.annotations,
        })
        .collect();
    let mut want: Vec<LabelsAndAnnotations> = test
        .exp_alerts
        .iter()
        .map(|a| {
            let mut labels = a.exp_labels.clone();
            labels.insert(ALERT_NAME_LABEL.to_string(), test.alertname.clone());
            LabelsAndAnnotations {
                labels: Labels::from_pairs(labels),
                annotations: Labels::from_pairs(a.exp_annotations.clone()),
            }
        })
        .collect();
    got.sort();
    want.sort();
    if got == want {
        return None;
    }
    let name = if tg.name.is_empty() {
        String::new()
    } else {
        format!("    name: {},\n", tg.name)
    };
    Some(format!(
        "{name}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
        test.alertname,
        test.eval_time,
        indent_lines(&alerts_string(&want), "            "),
        indent_lines(&alerts_string(&got), "            ")
    ))
}

/// Evaluates one expression test; `None` when it passes.
fn expr_test(t: &ExprTest, q: &dyn QueryFn, start: i64, fuzzy: bool) -> Option<String> {
    let fail = |e: String| {
        Some(format!(
            "    expr: {:?}, time: {}, err: {e}",
            t.expr, t.eval_time
        ))
    };
    let got = match RuleExpr::parse(&t.expr) {
        Ok(e) => q.query(&e, start + t.eval_time.as_millis()),
        Err(e) => return fail(e.to_string()),
    };
    let got = match got {
        Ok(v) => v,
        Err(e) => return fail(e.message),
    };
    let mut got: Vec<TestSample> = got
        .into_iter()
        .map(|s| match s.value {
            SampleValue::Float(f) => TestSample {
                labels: s.labels,
                value: f,
                histogram: None,
            },
            SampleValue::Histogram(h) => TestSample {
                labels: s.labels,
                value: 0.0,
                histogram: Some((*h).clone()),
            },
        })
        .collect();
    let mut want = Vec::new();
    for s in &t.exp_samples {
        match expected_sample(s) {
            Ok(x) => want.push(x),
            Err(e) => return fail(format!("labels {:?}: {e}", s.labels)),
        }
    }
    want.sort_by(|a, b| a.labels.cmp(&b.labels));
    got.sort_by(|a, b| a.labels.cmp(&b.labels));
    let same = want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| w.matches(g, fuzzy));
    if same {
        return None;
    }
    Some(format!(
        "    expr: {:?}, time: {},\n        exp: {}\n        got: {}",
        t.expr,
        t.eval_time,
        samples_string(&want),
        samples_string(&got)
    ))
}

fn expected_sample(s: &super::format::ExpSample) -> Result<TestSample, String> {
    let labels = if s.labels.trim().is_empty() {
        Labels::empty()
    } else {
        parse_series(&s.labels).map(|d| d.labels)?
    };
    let histogram = if s.histogram.is_empty() {
        None
    } else {
        match parse_values(&s.histogram)?.into_iter().next() {
            Some(SeqValue::Histogram { h, .. }) => Some((*h).clone()),
            _ => return Err(format!("invalid histogram {:?}", s.histogram)),
        }
    };
    Ok(TestSample {
        labels,
        value: s.value,
        histogram,
    })
}
