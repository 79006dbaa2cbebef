//! `/query`: an expression, evaluated as a table (instant query at `end`) or a graph (range
//! query over `range` ending at `end`), with the parser's error position and the parsed tree.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use flint_promql::engine::{SampleValue, Series};
use flint_promql::{QueryOptions, QueryValue};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::explain::{self, Node};
use super::graph::{self, Graph};
use super::{Ui, render, series_name};
use crate::query_api::json::format_float;
use crate::query_api::{MAX_POINTS, now_ms, parse_duration, parse_time};

/// Most warnings the page lists.
const MAX_ANNOTATIONS: usize = 10;
/// Points a graph aims for when no step is given (upstream's UI aims for 250).
const GRAPH_POINTS: i64 = 250;
/// Most series a graph draws (more make the SVG large and unreadable).
const MAX_GRAPH_SERIES: usize = 200;
/// Most rows a table lists.
const MAX_TABLE_ROWS: usize = 10_000;

/// The page's parameters (all optional).
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    expr: String,
    #[serde(default)]
    tab: String,
    #[serde(default)]
    range: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    stacked: String,
}

/// A parse error with the offending part of the expression marked.
pub struct Mark {
    message: String,
    position: String,
    before: String,
    marked: String,
    after: String,
}

/// One table row.
pub struct Row {
    series: String,
    value: String,
}

/// One legend entry.
pub struct Legend {
    index: usize,
    colour: &'static str,
    series: String,
}

#[derive(Template)]
#[template(path = "ui/query.html")]
struct Page {
    p: String,
    nav: &'static str,
    expr: String,
    graph_tab: bool,
    range: String,
    end: String,
    step: String,
    stacked: bool,
    parse_error: Option<Mark>,
    error: Option<String>,
    warnings: Vec<String>,
    rows: Vec<Row>,
    result_type: String,
    svg: String,
    points: String,
    legend: Vec<Legend>,
    tree: Vec<Node>,
    took: String,
}

/// `GET /query`.
pub async fn page(State(ui): State<Ui>, Query(q): Query<Params>) -> Response {
    let mut page = Page {
        p: ui.prefix(),
        nav: "query",
        graph_tab: q.tab == "graph",
        range: if q.range.is_empty() {
            "1h".into()
        } else {
            q.range.clone()
        },
        end: q.end.clone(),
        step: q.step.clone(),
        stacked: !q.stacked.is_empty(),
        expr: q.expr.clone(),
        parse_error: None,
        error: None,
        warnings: Vec::new(),
        rows: Vec::new(),
        result_type: String::new(),
        svg: String::new(),
        points: String::new(),
        legend: Vec::new(),
        tree: Vec::new(),
        took: String::new(),
    };
    if q.expr.trim().is_empty() {
        return render(&page);
    }
    match flint_promql::parser::parse(&q.expr) {
        Ok(e) => page.tree = explain::tree(&q.expr, &e),
        Err(e) => {
            let (start, end) = (e.span.start.min(q.expr.len()), e.span.end.min(q.expr.len()));
            let cut = |i: usize| q.expr.get(i..).map_or(0, |_| i);
            let (start, end) = (cut(start), cut(end.max(start)));
            page.parse_error = Some(Mark {
                message: e.message.clone(),
                position: e.position.clone(),
                before: q.expr.get(..start).unwrap_or("").into(),
                marked: q.expr.get(start..end).unwrap_or("").into(),
                after: q.expr.get(end..).unwrap_or("").into(),
            });
            return render(&page);
        }
    }
    if let Err(e) = evaluate(&ui, &mut page).await {
        page.error = Some(e);
    }
    render(&page)
}

/// Runs the query on the blocking pool and fills the table or graph.
async fn evaluate(ui: &Ui, page: &mut Page) -> Result<(), String> {
    let end = match page.end.trim() {
        "" => now_ms(),
        s => parse_time(s).map_err(|e| format!("end: {e}"))?,
    };
    let range_ms = parse_duration(&page.range).map_err(|e| format!("range: {e}"))? / 1_000_000;
    if range_ms <= 0 {
        return Err("range: must be positive".into());
    }
    let step = match page.step.trim() {
        "" => (range_ms / GRAPH_POINTS).max(1000),
        s => (parse_duration(s).map_err(|e| format!("resolution: {e}"))? / 1_000_000).max(1),
    };
    if i128::from(range_ms / step) > MAX_POINTS {
        return Err("exceeded maximum resolution of 11,000 points per timeseries; choose a larger resolution".into());
    }
    let api = ui.query.clone();
    let expr = page.expr.clone();
    let graph_tab = page.graph_tab;
    let cancel = CancellationToken::new();
    let _guard = cancel.clone().drop_guard();
    let started = std::time::Instant::now();
    let res = tokio::task::spawn_blocking(move || {
        let o = api.opts();
        let opts = QueryOptions {
            lookback_delta: None,
            timeout: None,
            cancel: Some(cancel),
        };
        if graph_tab {
            o.engine
                .range_query_with(o.storage.as_ref(), &expr, end - range_ms, end, step, &opts)
        } else {
            o.engine
                .instant_query_with(o.storage.as_ref(), &expr, end, &opts)
        }
    })
    .await
    .map_err(|e| format!("query failed: {e}"))?
    .map_err(|e| e.to_string())?;
    page.took = format!("{:.3}s", started.elapsed().as_secs_f64());
    page.warnings = res.annotations.render(&page.expr, MAX_ANNOTATIONS).0;
    page.result_type = res.value.value_type().api_name().to_string();
    if graph_tab {
        fill_graph(page, res.value, end - range_ms, end, step);
    } else {
        fill_table(page, res.value);
    }
    Ok(())
}

fn value_text(v: &SampleValue) -> String {
    match v {
        SampleValue::Float(f) => format_float(*f),
        SampleValue::Histogram(h) => format!(
            "histogram: count {} sum {}",
            format_float(h.count),
            format_float(h.sum)
        ),
    }
}

fn fill_table(page: &mut Page, v: QueryValue) {
    page.rows = match v {
        QueryValue::Scalar { v, .. } => vec![Row {
            series: "scalar".into(),
            value: format_float(v),
        }],
        QueryValue::String { v, .. } => vec![Row {
            series: "string".into(),
            value: v,
        }],
        QueryValue::Vector(samples) => samples
            .iter()
            .take(MAX_TABLE_ROWS)
            .map(|s| Row {
                series: series_name(&s.labels),
                value: value_text(&s.value),
            })
            .collect(),
        QueryValue::Matrix(series) => series
            .iter()
            .take(MAX_TABLE_ROWS)
            .map(|s| Row {
                series: series_name(&s.labels),
                value: s
                    .floats
                    .iter()
                    .map(|(t, v)| format!("{} @{}", format_float(*v), *t as f64 / 1000.0))
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
            .collect(),
    };
}

fn fill_graph(page: &mut Page, v: QueryValue, start: i64, end: i64, step: i64) {
    let mut series: Vec<Series> = match v {
        QueryValue::Matrix(s) => s,
        QueryValue::Scalar { t, v } => vec![Series {
            labels: flint_model::Labels::empty(),
            floats: vec![(t, v)],
            histograms: Vec::new(),
        }],
        _ => {
            page.error = Some("a graph needs a vector or scalar expression".into());
            return;
        }
    };
    if series.len() > MAX_GRAPH_SERIES {
        page.warnings.push(format!(
            "showing the first {MAX_GRAPH_SERIES} of {} series",
            series.len()
        ));
        series.truncate(MAX_GRAPH_SERIES);
    }
    page.svg = graph::svg(&Graph {
        series: &series,
        start,
        end,
        step,
        stacked: page.stacked,
    });
    page.points = graph::points_json(&series);
    page.legend = series
        .iter()
        .enumerate()
        .map(|(i, s)| Legend {
            index: i,
            colour: graph::colour(i),
            series: series_name(&s.labels),
        })
        .collect();
    if page.step.is_empty() {
        page.step = format!("{}s", step as f64 / 1000.0);
    }
}
