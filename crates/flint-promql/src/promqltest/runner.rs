//! Running evaluations and checking their expectations.

use std::collections::HashMap;
use std::time::Duration;

use flint_model::Labels;
use flint_storage::memory::MemStorage;
use flint_storage::{Appendable, Queryable};

use super::compare::{compare_series, flatten, floats_match};
use super::load::{Last, load};
use super::script::{Command, Eval, EvalKind, Expectations, Expected, parse_script};
use crate::annotations::AnnotationKind;
use crate::engine::{Engine, EngineOptions, QueryResult, QueryValue};
use crate::parser::{self, AtModifier, Expr};

/// The outcome of one evaluation.
#[derive(Debug, Clone)]
pub struct EvalOutcome {
    /// Line of the `eval` (1-based).
    pub line: usize,
    /// The query.
    pub expr: String,
    /// Whether native histograms were loaded since the last `clear`.
    pub histograms_loaded: bool,
    /// `Err` describes how the result differed.
    pub result: Result<(), String>,
}

/// The engine settings upstream's test scripts assume.
pub fn test_engine() -> Engine {
    Engine::new(EngineOptions {
        lookback_delta: Duration::from_secs(300),
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        max_concurrency: 4,
        default_subquery_step: Duration::from_secs(60),
        threads: 1,
    })
}

/// Runs every command of `text` against the in-memory storage (which reports histogram
/// counter-reset hints as the TSDB's chunks would); returns the outcome of each evaluation.
pub fn run_script(text: &str) -> Result<Vec<EvalOutcome>, super::ScriptError> {
    run_script_on(text, MemStorage::new, true)
}

/// [`run_script`] against storages made by `new_storage` (one per `clear`). With
/// `emulate_hints`, histograms are written with the counter-reset hints a TSDB reader would
/// report (for storages that keep them as written); without, as the script states them.
pub fn run_script_on<S, F>(
    text: &str,
    mut new_storage: F,
    emulate_hints: bool,
) -> Result<Vec<EvalOutcome>, super::ScriptError>
where
    S: Appendable + Queryable,
    F: FnMut() -> S,
{
    let commands = parse_script(text)?;
    let engine = test_engine();
    let mut storage = new_storage();
    let mut last: HashMap<Labels, Last> = HashMap::new();
    let mut out = Vec::new();
    let mut histograms_loaded = false;
    for c in commands {
        match c {
            Command::Clear => {
                // The old one goes first: a TSDB holds its directory's lock.
                drop(std::mem::replace(&mut storage, new_storage()));
                last.clear();
                histograms_loaded = false;
            }
            Command::Load {
                line,
                step,
                nhcb,
                series,
            } => {
                histograms_loaded |= nhcb
                    || series.iter().any(|s| {
                        s.values
                            .iter()
                            .any(|v| matches!(v, super::SeqValue::Histogram { .. }))
                    });
                load(&storage, &mut last, step, nhcb, &series, emulate_hints)
                    .map_err(|message| super::ScriptError { line, message })?
            }
            Command::Eval(ev) => out.push(EvalOutcome {
                line: ev.line,
                expr: ev.expr.clone(),
                histograms_loaded,
                result: run_eval(&engine, &storage, &ev),
            }),
        }
    }
    Ok(out)
}

fn run_eval(engine: &Engine, storage: &dyn Queryable, ev: &Eval) -> Result<(), String> {
    match ev.kind {
        EvalKind::Instant(t) => {
            let res = engine.instant_query(storage, &ev.expr, t);
            check(ev, &ev.expr, res, CheckKind::Instant(t))?;
            step_invariance(engine, storage, ev, t)?;
            range_agreement(engine, storage, ev, t)
        }
        EvalKind::Range { start, end, step } => {
            let res = engine.range_query(storage, &ev.expr, start, end, step);
            check(ev, &ev.expr, res, CheckKind::Range { start, end, step })
        }
    }
}

#[derive(Clone, Copy)]
enum CheckKind {
    Instant(i64),
    Range { start: i64, end: i64, step: i64 },
}

fn check(
    ev: &Eval,
    query: &str,
    res: crate::Result<QueryResult>,
    kind: CheckKind,
) -> Result<(), String> {
    let x = &ev.expect;
    let res = match (res, &x.fail) {
        (Err(e), Some(m)) => {
            let msg = e.to_string();
            return match m {
                Some(m) if !m.matches(&msg) => Err(format!("expected error {m:?}, got {msg:?}")),
                _ => Ok(()),
            };
        }
        (Err(e), None) => return Err(format!("unexpected error: {e}")),
        (Ok(r), Some(_)) => {
            return Err(format!("expected an error, got {}", describe(&r.value)));
        }
        (Ok(r), None) => r,
    };
    check_annotations(x, &res, query)?;
    let times: Vec<i64> = match (kind, x.range_vector) {
        (_, Some((from, to, step))) => (0..)
            .map(|i| from + i * step)
            .take_while(|t| *t <= to)
            .collect(),
        (CheckKind::Instant(t), None) => vec![t],
        (CheckKind::Range { start, end, step }, None) => (0..)
            .map(|i| start + i * step)
            .take_while(|t| *t <= end)
            .collect(),
    };
    if let Some(s) = &x.string {
        return match &res.value {
            QueryValue::String { v, .. } if v == s => Ok(()),
            other => Err(format!("expected string {s:?}, got {}", describe(other))),
        };
    }
    match (&ev.expected, &res.value, kind) {
        (Expected::Scalar(want), QueryValue::Scalar { v, .. }, _) => {
            if floats_match(*want, *v) {
                Ok(())
            } else {
                Err(format!("expected scalar {want}, got {v}"))
            }
        }
        (Expected::Scalar(want), QueryValue::Matrix(m), CheckKind::Range { .. })
            if m.len() == 1 =>
        {
            let ok = m[0].floats.iter().all(|p| floats_match(*want, p.1));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "expected scalar {want}, got {}",
                    describe(&res.value)
                ))
            }
        }
        (Expected::Scalar(want), other, _) => {
            Err(format!("expected scalar {want}, got {}", describe(other)))
        }
        (Expected::Series(_), QueryValue::Scalar { v, .. }, _) => {
            Err(format!("expected a vector, got scalar {v}"))
        }
        (Expected::Series(series), value, _) => {
            if x.range_vector.is_some() != matches!(value, QueryValue::Matrix(_))
                && matches!(kind, CheckKind::Instant(_))
            {
                return Err(format!("unexpected result type {}", describe(value)));
            }
            compare_series(series, &flatten(value), &times, x.ordered)
        }
    }
}

fn describe(v: &QueryValue) -> String {
    match v {
        QueryValue::Scalar { v, .. } => format!("scalar {v}"),
        QueryValue::String { v, .. } => format!("string {v:?}"),
        QueryValue::Vector(s) => {
            let items: Vec<String> = s
                .iter()
                .map(|x| format!("{} {}", x.labels, super::compare::show(&x.value)))
                .collect();
            format!("vector [{}]", items.join(", "))
        }
        QueryValue::Matrix(m) => format!("matrix of {} series", m.len()),
    }
}

fn check_annotations(x: &Expectations, res: &QueryResult, query: &str) -> Result<(), String> {
    let rendered: Vec<(AnnotationKind, String)> = res
        .annotations
        .iter()
        .map(|a| (a.kind, a.render(query)))
        .collect();
    for (kind, wants, none, what) in [
        (AnnotationKind::Warning, &x.warn, x.no_warn, "warning"),
        (AnnotationKind::Info, &x.info, x.no_info, "info"),
    ] {
        let got: Vec<&String> = rendered
            .iter()
            .filter(|r| r.0 == kind)
            .map(|r| &r.1)
            .collect();
        if none && !got.is_empty() {
            return Err(format!("expected no {what}, got {got:?}"));
        }
        if wants.is_empty() {
            continue;
        }
        if got.is_empty() {
            return Err(format!("expected a {what}, got none"));
        }
        for w in wants.iter().flatten() {
            if !got.iter().any(|g| w.matches(g)) {
                return Err(format!("no {what} matches {w:?}; got {got:?}"));
            }
        }
        let all_plain = wants.iter().any(Option::is_none);
        if !all_plain
            && let Some(g) = got
                .iter()
                .find(|g| !wants.iter().flatten().any(|w| w.matches(g)))
        {
            return Err(format!("unexpected {what} {g:?}"));
        }
    }
    Ok(())
}

/// Functions whose result depends on the evaluation time even with `@`.
const TIME_DEPENDENT: [&str; 15] = [
    "time",
    "timestamp",
    "start",
    "end",
    "range",
    "step",
    "predict_linear",
    "hour",
    "minute",
    "month",
    "year",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
];

fn calls_any(e: &Expr, names: &[&str]) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        if let Expr::Call(c) = n {
            found |= names.contains(&c.func.name);
        }
    });
    found
}

/// Adds `@ t` to every selector and subquery without one (not inside subqueries).
fn pin(e: &mut Expr, t: i64) {
    match e {
        Expr::Vector(vs) => {
            vs.at.get_or_insert(AtModifier::Timestamp(t));
        }
        Expr::Matrix(ms) => {
            ms.selector.at.get_or_insert(AtModifier::Timestamp(t));
        }
        Expr::Subquery(sq) => {
            sq.at.get_or_insert(AtModifier::Timestamp(t));
        }
        Expr::Paren(p) => pin(&mut p.expr, t),
        Expr::Unary(u) => pin(&mut u.expr, t),
        Expr::Binary(b) => {
            pin(&mut b.lhs, t);
            pin(&mut b.rhs, t);
        }
        Expr::Aggregate(a) => {
            if let Some(p) = &mut a.param {
                pin(p, t);
            }
            pin(&mut a.expr, t);
        }
        Expr::Call(c) => c.args.iter_mut().for_each(|a| pin(a, t)),
        Expr::Number(_) | Expr::String(_) => {}
    }
}

/// Runs the query pinned to `t` with `@` at other times; results must not change.
fn step_invariance(
    engine: &Engine,
    storage: &dyn Queryable,
    ev: &Eval,
    t: i64,
) -> Result<(), String> {
    let Ok(mut expr) = parser::parse(&ev.expr) else {
        return Ok(());
    };
    if calls_any(&expr, &TIME_DEPENDENT) {
        return Ok(());
    }
    pin(&mut expr, t);
    let pinned = expr.to_string();
    let opts = crate::engine::QueryOptions::default();
    let times = if t == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t, 0, t / 5, t, 10 * t]
    };
    for at in times {
        let res = engine.instant_query_expr(storage, &ev.expr, &expr, at, &opts);
        check(ev, &ev.expr, res, CheckKind::Instant(at)).map_err(|e| {
            format!(
                "with @ {} evaluated at {}s ({pinned}): {e}",
                t / 1000,
                at / 1000
            )
        })?;
    }
    Ok(())
}

/// Runs the query as a range query around `t`; the point at `t` must match.
fn range_agreement(
    engine: &Engine,
    storage: &dyn Queryable,
    ev: &Eval,
    t: i64,
) -> Result<(), String> {
    let x = &ev.expect;
    if x.ordered || x.range_vector.is_some() || x.string.is_some() || x.fail.is_some() {
        return Ok(());
    }
    let Ok(expr) = parser::parse(&ev.expr) else {
        return Ok(());
    };
    let lower = ev.expr.to_ascii_lowercase();
    let uses_query_range = ["start(", "end(", "range(", "step("]
        .iter()
        .any(|f| lower.contains(f));
    if uses_query_range || expr.value_type() == parser::ValueType::Matrix {
        return Ok(());
    }
    let res = engine
        .range_query(storage, &ev.expr, t - 60_000, t + 60_000, 60_000)
        .map_err(|e| format!("as a range query: unexpected error: {e}"))?;
    let got: Vec<_> = flatten(&res.value)
        .into_iter()
        .filter_map(|(l, pts)| {
            let p: Vec<_> = pts.into_iter().filter(|p| p.0 == t).collect();
            (!p.is_empty()).then_some((l, p))
        })
        .collect();
    let r = match &ev.expected {
        Expected::Scalar(want) => match got.first().and_then(|g| g.1.first()) {
            Some((_, crate::engine::SampleValue::Float(v))) if floats_match(*want, *v) => Ok(()),
            other => Err(format!("expected scalar {want}, got {other:?}")),
        },
        Expected::Series(series) => compare_series(series, &got, &[t], false),
    };
    r.map_err(|e| format!("as a range query: {e}"))
}
