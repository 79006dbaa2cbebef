//! The query engine: parses a query, opens a querier over the time range it reads,
//! evaluates it within the limits, and shapes the result.

mod gate;
mod metrics;
mod result;
mod timerange;

use std::sync::Arc;
use std::time::{Duration, Instant};

use flint_storage::Queryable;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::eval::{self, Ctx, Deadline, EvalSettings, Grid, SampleCounter, Value};
use crate::parser::{self, Expr, ValueType};

pub use result::{QueryResult, QueryStats, QueryValue, Sample, SampleValue, Series};

/// Engine-wide settings; Prometheus's `--query.*` flags.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`).
    pub lookback_delta: Duration,
    /// Most samples a query may hold in memory (`--query.max-samples`).
    pub max_samples: usize,
    /// Longest a query may run, queueing included (`--query.timeout`).
    pub timeout: Duration,
    /// Most queries running at once; others wait (`--query.max-concurrency`).
    pub max_concurrency: usize,
    /// Step of subqueries written without one (the global evaluation interval).
    pub default_subquery_step: Duration,
    /// Threads one query may use for per-series work.
    pub threads: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            max_concurrency: 20,
            default_subquery_step: Duration::from_secs(60),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Per-query settings.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Overrides the engine's lookback delta (the API's `lookback_delta` parameter).
    pub lookback_delta: Option<Duration>,
    /// Overrides the engine's timeout (the API's `timeout` parameter), never raising it.
    pub timeout: Option<Duration>,
    /// Cancels the query when fired.
    pub cancel: Option<CancellationToken>,
}

/// Evaluates PromQL queries against any [`Queryable`].
///
/// Cheap to clone; clones share the concurrency limit.
#[derive(Debug, Clone)]
pub struct Engine {
    opts: EngineOptions,
    gate: Arc<gate::Gate>,
    metrics: metrics::EngineMetrics,
}

/// What is asked: one instant or a range of steps.
#[derive(Debug, Clone, Copy)]
enum Span3 {
    Instant(i64),
    Range { start: i64, end: i64, step: i64 },
}

impl Engine {
    /// An engine with these options.
    pub fn new(opts: EngineOptions) -> Self {
        let gate = Arc::new(gate::Gate::new(opts.max_concurrency));
        let metrics = metrics::EngineMetrics::new(gate.max());
        Engine {
            opts,
            gate,
            metrics,
        }
    }

    /// The options.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Queries running now (`prometheus_engine_queries`).
    pub fn running_queries(&self) -> usize {
        self.gate.running()
    }

    /// Registers the engine's metrics (`prometheus_engine_queries`,
    /// `prometheus_engine_queries_concurrent_max`,
    /// `prometheus_engine_query_duration_seconds{slice}`,
    /// `prometheus_engine_query_samples_total`) with `registry`.
    pub fn register_metrics(&self, registry: &flint_client::Registry) -> flint_client::Result<()> {
        self.metrics.register(registry)
    }

    /// The concurrency limit (`prometheus_engine_queries_concurrent_max`).
    pub fn max_concurrent_queries(&self) -> usize {
        self.gate.max()
    }

    /// Evaluates `query` at time `t` (milliseconds).
    pub fn instant_query(&self, q: &dyn Queryable, query: &str, t: i64) -> Result<QueryResult> {
        self.run(q, query, Span3::Instant(t), &QueryOptions::default())
    }

    /// Evaluates `query` at `start, start + step, …, end` (milliseconds).
    pub fn range_query(
        &self,
        q: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<QueryResult> {
        self.range_query_with(q, query, start, end, step, &QueryOptions::default())
    }

    /// [`instant_query`](Self::instant_query) with per-query options.
    pub fn instant_query_with(
        &self,
        q: &dyn Queryable,
        query: &str,
        t: i64,
        opts: &QueryOptions,
    ) -> Result<QueryResult> {
        self.run(q, query, Span3::Instant(t), opts)
    }

    /// [`range_query`](Self::range_query) with per-query options.
    pub fn range_query_with(
        &self,
        q: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
        opts: &QueryOptions,
    ) -> Result<QueryResult> {
        if step <= 0 {
            return Err(Error::BadQuery(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end < start {
            return Err(Error::BadQuery(
                "end timestamp must not be before start time".into(),
            ));
        }
        self.run(q, query, Span3::Range { start, end, step }, opts)
    }

    /// Evaluates an already parsed expression at time `t`; `expr` must come from parsing
    /// `query` (annotations point into it). Lets callers such as rule groups parse once.
    pub fn instant_query_expr(
        &self,
        q: &dyn Queryable,
        query: &str,
        expr: &Expr,
        t: i64,
        opts: &QueryOptions,
    ) -> Result<QueryResult> {
        self.run_expr(q, query, expr, Span3::Instant(t), opts)
    }

    fn run(
        &self,
        q: &dyn Queryable,
        query: &str,
        span: Span3,
        opts: &QueryOptions,
    ) -> Result<QueryResult> {
        let expr = parser::parse(query)?;
        self.run_expr(q, query, &expr, span, opts)
    }

    fn run_expr(
        &self,
        q: &dyn Queryable,
        _query: &str,
        expr: &Expr,
        span: Span3,
        opts: &QueryOptions,
    ) -> Result<QueryResult> {
        let began = Instant::now();
        let timeout = opts
            .timeout
            .map_or(self.opts.timeout, |t| t.min(self.opts.timeout));
        let deadline = Deadline {
            at: (!timeout.is_zero()).then(|| began + timeout),
            cancel: opts.cancel.clone(),
        };
        if let Span3::Range { .. } = span {
            let t = expr.value_type();
            if t != ValueType::Vector && t != ValueType::Scalar {
                return Err(Error::BadQuery(format!(
                    "invalid expression type {} for range query, must be Scalar or instant Vector",
                    flint_model::quote::go_quote(t.documented())
                )));
            }
        }
        self.metrics.queries.inc();
        let _waiting_or_running = GaugeGuard(&self.metrics.queries);
        let _slot = self.gate.acquire(&deadline)?;
        let mut stats = QueryStats {
            queue_time: began.elapsed(),
            ..QueryStats::default()
        };
        let prepared = Instant::now();
        let lookback = opts.lookback_delta.unwrap_or(self.opts.lookback_delta);
        let (grid, mut settings) = self.settings(span, lookback);
        let (mint, maxt) = timerange::min_max_time(&settings, expr)?;
        settings.querier_mint = mint;
        settings.stats_selectors = eval::stats_selectors(expr);
        let querier = q.querier(mint, maxt)?;
        stats.prepare_time = prepared.elapsed();
        let evaluating = Instant::now();
        let ctx = Ctx::new(
            querier.as_ref(),
            settings,
            deadline,
            SampleCounter::new(self.opts.max_samples),
        );
        let value = eval::finish(ctx.eval(expr, &grid)?)?;
        ctx.check()?;
        stats.inner_eval_time = evaluating.elapsed();
        let sorting = Instant::now();
        let value = shape(value, expr, span, &grid);
        stats.result_sort_time = sorting.elapsed();
        stats.total_queryable_samples = ctx.samples.total();
        stats.peak_samples = ctx.samples.peak();
        stats.total_time = began.elapsed();
        self.metrics.observe(&stats);
        Ok(QueryResult {
            value,
            annotations: ctx.take_annotations(),
            stats,
        })
    }

    fn settings(&self, span: Span3, lookback: Duration) -> (Grid, EvalSettings) {
        let (grid, start, end, step) = match span {
            Span3::Instant(t) => (Grid::instant(t), t, t, 0),
            Span3::Range { start, end, step } => (Grid { start, end, step }, start, end, step),
        };
        let settings = EvalSettings {
            lookback: lookback.as_millis() as i64,
            subquery_step: self.opts.default_subquery_step.as_millis().max(1) as i64,
            threads: self.opts.threads.max(1),
            query_start: start,
            query_end: end,
            query_step: step,
            querier_mint: i64::MIN,
            stats_selectors: Default::default(),
        };
        (grid, settings)
    }
}

/// Decrements the gauge when dropped.
struct GaugeGuard<'a>(&'a flint_client::metrics::gauge::Gauge);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Turns the evaluator's value into the API's result shape.
fn shape(v: Value, expr: &Expr, span: Span3, grid: &Grid) -> QueryValue {
    let instant = matches!(span, Span3::Instant(_));
    match v {
        Value::String(s) => QueryValue::String {
            t: grid.start,
            v: s,
        },
        Value::Scalar(s) if instant => QueryValue::Scalar {
            t: grid.start,
            v: s.first().copied().unwrap_or(f64::NAN),
        },
        Value::Scalar(s) => {
            let floats = s
                .into_iter()
                .enumerate()
                .map(|(i, v)| (grid.t(i), v))
                .collect();
            QueryValue::Matrix(vec![Series {
                labels: flint_model::Labels::empty(),
                floats,
                histograms: Vec::new(),
            }])
        }
        Value::Vector(series) if instant && expr.value_type() != ValueType::Matrix => {
            let t = grid.start;
            let mut out = Vec::with_capacity(series.len());
            for s in series {
                if let Some((_, f)) = s.floats.first() {
                    out.push(Sample {
                        labels: s.labels,
                        t,
                        value: SampleValue::Float(*f),
                    });
                } else if let Some((_, h)) = s.hists.first() {
                    out.push(Sample {
                        labels: s.labels,
                        t,
                        value: SampleValue::Histogram(h.clone()),
                    });
                }
            }
            QueryValue::Vector(out)
        }
        Value::Vector(series) => {
            let mut out: Vec<Series> = series
                .into_iter()
                .map(|s| Series {
                    labels: s.labels,
                    floats: s
                        .floats
                        .into_iter()
                        .map(|(i, v)| (grid.t(i as usize), v))
                        .collect(),
                    histograms: s
                        .hists
                        .into_iter()
                        .map(|(i, h)| (grid.t(i as usize), h))
                        .collect(),
                })
                .collect();
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
            QueryValue::Matrix(out)
        }
        Value::Matrix(m) => {
            let mut out: Vec<Series> = m
                .into_iter()
                .map(|s| Series {
                    labels: s.labels,
                    floats: s.floats,
                    histograms: s.hists,
                })
                .collect();
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
            QueryValue::Matrix(out)
        }
    }
}
