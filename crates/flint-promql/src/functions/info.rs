//! `info(v, {selector})`: adds the data labels of matching info series (`target_info` by
//! default) to each series of `v`, joining on the identifying labels `instance` and `job`.
//!
//! Info series are looked up at the time the base samples refer to (honouring `offset` and
//! `@` of the base), with the usual lookback; when several series of one info metric match,
//! the one with the latest sample wins. Series of `v` that are info series themselves pass
//! through unchanged.

use std::collections::HashMap;

use flint_model::{Labels, Matcher};

use crate::error::{Error, Result};
use crate::eval::{Ctx, Grid, Series, Value};
use crate::parser::{AtModifier, Call, DurationExpr, Expr, VectorSelector};

const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// Evaluates the function if it is `info`.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    if name != "info" {
        return Ok(None);
    }
    let selector = match call.args.get(1).map(Expr::unparen) {
        Some(Expr::Vector(vs)) => vs.matchers.clone(),
        _ => Vec::new(),
    };
    let mut name_matchers: Vec<Matcher> = selector
        .iter()
        .filter(|m| m.name() == "__name__")
        .cloned()
        .collect();
    if name_matchers.is_empty() {
        name_matchers.push(Matcher::equal("__name__", "target_info"));
    }
    let data_matchers: Vec<Matcher> = selector
        .iter()
        .filter(|m| m.name() != "__name__")
        .cloned()
        .collect();
    let base = ctx.eval_vector(&call.args[0], grid)?;
    let (at, offset) = reference(ctx, &call.args[0])?;
    let positive = |m: &Matcher| {
        matches!(
            m.match_type(),
            flint_model::MatchType::Equal | flint_model::MatchType::RegexMatch
        )
    };
    // Only negative name matchers narrow down the info metrics (`*_info`), they do not
    // widen the selection to every metric.
    let mut select_names = name_matchers.clone();
    if !select_names.iter().any(positive) {
        select_names.push(
            Matcher::regex_match("__name__", ".+_info").map_err(|e| Error::exec(e.to_string()))?,
        );
    }
    let infos = info_series(ctx, &select_names, &data_matchers, at, offset, grid)?;
    let data_required = data_matchers.iter().any(|m| !m.matches_empty());
    let mut out: Vec<Series> = Vec::new();
    let mut index: HashMap<(Labels, bool), usize> = HashMap::new();
    for s in base {
        // A base series is an info series itself when its name satisfies every name
        // matcher, at least one of which is positive.
        let is_info = name_matchers.iter().any(positive)
            && s.labels
                .metric_name()
                .is_some_and(|n| name_matchers.iter().all(|m| m.matches(n)));
        let has_ident = IDENTIFYING.iter().any(|l| s.labels.contains(l));
        if is_info || !has_ident {
            push(&mut out, &mut index, s);
            continue;
        }
        let matching: Vec<&InfoSeries> = infos
            .iter()
            .filter(|i| {
                IDENTIFYING
                    .iter()
                    .all(|l| i.labels.get(l) == s.labels.get(l))
            })
            .collect();
        let mut per_labels: HashMap<Labels, Series> = HashMap::new();
        let mut order: Vec<Labels> = Vec::new();
        for (step, p) in s.points() {
            let added = data_labels(&matching, step, &data_matchers, &s.labels)?;
            let labels = match added {
                Some(l) => l,
                None if data_required => continue,
                None => s.labels.clone(),
            };
            let o = per_labels.entry(labels.clone()).or_insert_with(|| {
                order.push(labels.clone());
                Series::new(labels, s.drop_name)
            });
            o.push(step, p.to_owned());
        }
        for l in order {
            if let Some(o) = per_labels.remove(&l) {
                push(&mut out, &mut index, o);
            }
        }
    }
    Ok(Some(Value::Vector(out)))
}

fn push(out: &mut Vec<Series>, index: &mut HashMap<(Labels, bool), usize>, s: Series) {
    match index.get(&(s.labels.clone(), s.drop_name)) {
        Some(&i) => {
            out[i].floats.extend(s.floats);
            out[i].floats.sort_by_key(|p| p.0);
            out[i].hists.extend(s.hists);
            out[i].hists.sort_by_key(|p| p.0);
        }
        None => {
            index.insert((s.labels.clone(), s.drop_name), out.len());
            out.push(s);
        }
    }
}

/// An info series: its labels and, per step, the time of the sample in use.
struct InfoSeries {
    labels: Labels,
    times: HashMap<u32, f64>,
}

/// The base's labels extended by the info series present at `step`; `None` when none is.
fn data_labels(
    matching: &[&InfoSeries],
    step: u32,
    data_matchers: &[Matcher],
    base: &Labels,
) -> Result<Option<Labels>> {
    // Per info metric, the series with the latest sample.
    let mut latest: HashMap<&str, (&InfoSeries, f64)> = HashMap::new();
    for i in matching {
        let Some(&t) = i.times.get(&step) else {
            continue;
        };
        let name = i.labels.metric_name().unwrap_or("");
        match latest.get(name) {
            Some((_, best)) if *best >= t => {}
            _ => {
                latest.insert(name, (i, t));
            }
        }
    }
    if latest.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<&&str> = latest.keys().collect();
    names.sort();
    let mut add: Vec<(String, String)> = Vec::new();
    for n in names {
        let (info, _) = latest[*n];
        for l in info.labels.iter() {
            let lname: &str = &l.name;
            if lname == "__name__" || IDENTIFYING.contains(&lname) && data_matchers.is_empty() {
                continue;
            }
            if !data_matchers.is_empty() && !data_matchers.iter().any(|m| m.name() == lname) {
                continue;
            }
            if base.contains(lname) {
                continue;
            }
            match add.iter().find(|(k, _)| k == lname) {
                Some((_, v)) if v != &*l.value => {
                    return Err(Error::exec(format!(
                        "conflicting label: {lname} has values {v:?} and {:?} in info series",
                        &*l.value
                    )));
                }
                Some(_) => {}
                None => add.push((lname.to_owned(), l.value.to_string())),
            }
        }
    }
    let mut b = base.builder();
    for (k, v) in add {
        b.set(k, v);
    }
    Ok(Some(b.build()))
}

/// The info series over the grid, read at the base's reference times.
fn info_series(
    ctx: &Ctx<'_>,
    names: &[Matcher],
    data: &[Matcher],
    at: Option<i64>,
    offset: i64,
    grid: &Grid,
) -> Result<Vec<InfoSeries>> {
    let vs = VectorSelector {
        name: None,
        matchers: names.iter().chain(data).cloned().collect(),
        offset: Some(DurationExpr::Literal(offset)),
        at: at.map(AtModifier::Timestamp),
        anchored: false,
        smoothed: false,
        span: Default::default(),
        end: 0,
    };
    let values = crate::eval::selector_values(ctx, &vs, grid)?;
    if values.iter().any(|s| !s.hists.is_empty()) {
        return Err(Error::exec(
            "this should be an info metric, with float samples: info series selector matched histograms",
        ));
    }
    let times = crate::eval::selector_timestamps(ctx, &vs, grid)?;
    Ok(times
        .into_iter()
        .map(|s| InfoSeries {
            labels: s.labels,
            times: s.floats.into_iter().collect(),
        })
        .collect())
}

/// How the base expression shifts time: its `@` time and total offset.
fn reference(ctx: &Ctx<'_>, e: &Expr) -> Result<(Option<i64>, i64)> {
    let off =
        |o: &Option<DurationExpr>| -> Result<i64> { o.as_ref().map_or(Ok(0), |d| ctx.duration(d)) };
    Ok(match e.unparen() {
        Expr::Vector(vs) => (ctx.at_time(vs.at), off(&vs.offset)?),
        Expr::Matrix(ms) => (ctx.at_time(ms.selector.at), off(&ms.selector.offset)?),
        Expr::Subquery(sq) => {
            let (inner_at, inner_off) = reference(ctx, &sq.expr)?;
            match inner_at {
                Some(t) => (Some(t), inner_off),
                None => (ctx.at_time(sq.at), off(&sq.offset)? + inner_off),
            }
        }
        Expr::Call(c) => match c.args.iter().find(|a| {
            matches!(
                a.value_type(),
                crate::parser::ValueType::Vector | crate::parser::ValueType::Matrix
            )
        }) {
            Some(a) => reference(ctx, a)?,
            None => (None, 0),
        },
        Expr::Aggregate(a) => reference(ctx, &a.expr)?,
        Expr::Binary(b) if b.lhs.value_type() == crate::parser::ValueType::Vector => {
            reference(ctx, &b.lhs)?
        }
        Expr::Binary(b) => reference(ctx, &b.rhs)?,
        Expr::Unary(u) => reference(ctx, &u.expr)?,
        _ => (None, 0),
    })
}
