//! PromQL for Flint: lexer and parser, evaluator, and the runner of Prometheus's test scripts.
//!
//! # Running queries
//!
//! An [`Engine`] evaluates queries against anything implementing
//! [`flint_storage::Queryable`] (the TSDB, the in-memory storage, a merge of several):
//!
//! ```
//! use flint_model::Labels;
//! use flint_promql::{Engine, EngineOptions, QueryValue};
//! use flint_storage::{Appendable, memory::MemStorage};
//!
//! let storage = MemStorage::new();
//! let mut app = storage.appender();
//! let up = Labels::from_pairs([("__name__", "up"), ("job", "api")]);
//! for n in 0..10 {
//!     app.append(None, &up, n * 15_000, 1.0).unwrap();
//! }
//! app.commit().unwrap();
//!
//! let engine = Engine::new(EngineOptions::default());
//! // Instant query at t = 135 s (times are milliseconds since the epoch).
//! let r = engine.instant_query(&storage, "sum by (job) (up)", 135_000).unwrap();
//! let QueryValue::Vector(v) = &r.value else { unreachable!() };
//! assert_eq!(v[0].labels.get("job"), Some("api"));
//! // Range query from 0 to 135 s every 15 s.
//! let r = engine.range_query(&storage, "up * 2", 0, 135_000, 15_000).unwrap();
//! let QueryValue::Matrix(m) = &r.value else { unreachable!() };
//! assert_eq!(m[0].floats.len(), 10);
//! ```
//!
//! * [`Engine::instant_query`] / [`Engine::range_query`] (and the `_with` variants taking
//!   [`QueryOptions`]: the API's `lookback_delta` and `timeout` parameters, and a
//!   [`CancellationToken`](tokio_util::sync::CancellationToken) to fire when the client goes
//!   away). The calls are blocking and CPU-bound (a query may use
//!   [`EngineOptions::threads`] threads): from async code, run them with
//!   `tokio::task::spawn_blocking`. [`Engine`] is cheap to clone; clones share the
//!   concurrency limit ([`EngineOptions::max_concurrency`], waiting queries count against
//!   their timeout; [`Engine::running_queries`] for `prometheus_engine_queries`).
//! * [`Engine::instant_query_expr`] evaluates an already parsed expression (rule groups);
//!   [`Engine::register_metrics`] exports `prometheus_engine_*`.
//! * The result ([`QueryResult`]) has the value ([`QueryValue`]: `Scalar`, `String`,
//!   `Vector` of [`engine::Sample`], `Matrix` of [`engine::Series`] sorted by labels, each
//!   with float and [`histogram::Hist`] points), the [`Annotations`] and the
//!   [`QueryStats`] (`stats=all`).
//! * Native histograms: [`histogram::Hist`] has `count`, `sum`, and
//!   [`buckets`](histogram::Hist::buckets) in ascending order with
//!   [`boundary_rule`](histogram::Bucket::boundary_rule), which is what the HTTP API's
//!   `histogram` JSON needs (it leaves out empty buckets); `to_model` converts to
//!   [`flint_model::FloatHistogram`].
//! * Annotations: [`Annotations::render`]`(query, max)` gives the `warnings` and `infos`
//!   strings of the API response, upstream's wording with positions (`… (1:6)`).
//!
//! # Errors
//!
//! [`Error`] carries upstream's messages; [`Error::kind`] gives the [`ErrorKind`] whose
//! [`as_str`](ErrorKind::as_str) is the API's `errorType`:
//!
//! | [`ErrorKind`] | `errorType` | HTTP status | cases |
//! |---|---|---|---|
//! | `BadData` | `bad_data` | 400 | parse errors (`1:14: parse error: unexpected …`), invalid parameters |
//! | `Execution` | `execution` | 422 | evaluation errors, `max_samples` exceeded |
//! | `Timeout` | `timeout` | 503 | the query ran past its timeout |
//! | `Canceled` | `canceled` | 503 | the token was cancelled |
//! | `Internal` | `internal` | 500 | the storage failed |
//!
//! # Parser
//!
//! [`parser::parse`] parses and type-checks (Prometheus 3.x grammar: duration expressions,
//! `step()`, `@ start()`/`end()`, negative offsets, UTF-8 names, `anchored`/`smoothed`,
//! `fill` modifiers); the [`Display`](std::fmt::Display) of [`parser::Expr`] prints it back
//! in canonical one-line form, [`Expr::pretty`](parser::Expr::pretty) split over lines as
//! upstream's `Prettify` (what `/api/v1/format_query` returns).
//! [`parser::parse_metric_selector`] reads `match[]`.
//!
//! # Conformance
//!
//! [`promqltest`] runs Prometheus's test-script language (`load`, `eval`, `expect …`); the
//! `it` test target runs every script of `../shared/testdata/promql`, one test per file,
//! with the allowed failures in `tests/skip.txt`. `benches/queries.rs` times the queries of
//! the query baseline over 300k farm-shaped series in the TSDB head.
#![deny(missing_docs)]

pub mod annotations;
pub mod engine;
pub mod error;
mod eval;
mod functions;
pub mod histogram;
pub mod parser;
pub mod promqltest;

pub use annotations::{Annotation, AnnotationKind, Annotations};
pub use engine::{Engine, EngineOptions, QueryOptions, QueryResult, QueryStats, QueryValue};
pub use error::{Error, ErrorKind, Result};
