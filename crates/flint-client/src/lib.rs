//! Instrument Rust programs with Prometheus metrics.
//!
//! Flint's client library: counters, gauges, histograms (classic and native), summaries,
//! info and state-set metrics, label vectors keyed by typed structs or strings, collectors
//! evaluated at scrape time, and a registry that encodes to Prometheus text, OpenMetrics
//! and protobuf. No runtime, no background threads; HTTP integration sits behind the
//! `http` and `axum` features.
//!
//! # Brief overview
//!
//! - Metrics ([`metrics`]) are cheap handles over atomics: clone one into the
//!   [`Registry`] and keep one to update. `inc()` on an unlabelled counter is one atomic add.
//! - [`Family`](metrics::family::Family) keys children by a [`LabelSet`] struct (derive it);
//!   [`LabelVec`](metrics::family::LabelVec) by string values. Both support `remove`,
//!   `remove_matching`, `clear`, idle expiry (`expire_after`), a cardinality cap
//!   (`max_children`) and atomic `replace_all`.
//! - [`Collector`](collector::Collector)s emit whole families at scrape time, so series of
//!   things that vanished vanish too.
//! - [`Registry`] groups metrics with prefixes, const labels and sub-registries;
//!   [`Registry::encode_to`] writes any format, [`Registry::gather`] returns owned families.
//! - [`process::ProcessCollector`] exports the standard `process_*` metrics on Linux.
//!
//! # Features
//!
//! - `derive` (default): `#[derive(LabelSet)]`.
//! - `http`: `http::respond` builds a scrape response (`http::Response<Bytes>`) for any
//!   framework built on the `http` crate (hyper, axum, ...), negotiating the format from
//!   `Accept` and gzipping when `Accept-Encoding` allows.
//! - `axum` (implies `http`): `axum::router` and `axum::metrics_handler`.
//!
//! See `examples/axum_server.rs` for a server, `examples/stale_series.rs` for why exporters
//! use collectors, and `BENCHMARKS.md` for measurements against the `prometheus` and
//! `prometheus-client` crates.
//!
//! # Example
//!
//! ```
//! use flint_client::metrics::{counter::Counter, family::Family, histogram::{Buckets, Histogram}};
//! use flint_client::{LabelSet, Registry};
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
//! struct Request {
//!     method: &'static str,
//!     #[label(rename = "code")]
//!     status: u16,
//! }
//!
//! let registry = Registry::with_prefix("app");
//! let requests = Family::<Request, Counter>::default();
//! registry.register("http_requests", "HTTP requests served.", requests.clone())?;
//! let latency = Histogram::new(Buckets::new([0.1, 1.0])?);
//! registry.register("latency_seconds", "Request latency.", latency.clone())?;
//!
//! requests.get_or_create(&Request { method: "GET", status: 200 }).inc();
//! latency.observe(0.25);
//!
//! assert_eq!(
//!     registry.encode_text(),
//!     "# HELP app_http_requests_total HTTP requests served.\n\
//!      ## TYPE app_http_requests_total counter\n\
//!      app_http_requests_total{method=\"GET\",code=\"200\"} 1\n\
//!      ## HELP app_latency_seconds Request latency.\n\
//!      ## TYPE app_latency_seconds histogram\n\
//!      app_latency_seconds_bucket{le=\"0.1\"} 0\n\
//!      app_latency_seconds_bucket{le=\"1\"} 1\n\
//!      app_latency_seconds_bucket{le=\"+Inf\"} 1\n\
//!      app_latency_seconds_sum 0.25\n\
//!      app_latency_seconds_count 1\n"
//! );
//! # Ok::<(), flint_client::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

// Lets `#[derive(LabelSet)]` (which names `::flint_client`) work inside this crate too.
#[allow(unused_extern_crates)]
extern crate self as flint_client;

#[cfg(feature = "axum")]
pub mod axum;
pub mod clock;
pub mod collector;
pub mod error;
mod gather;
mod hash;
#[cfg(feature = "http")]
pub mod http;
pub mod labels;
pub mod metrics;
pub mod process;
pub mod registry;

pub use error::{Error, Result};
#[cfg(feature = "derive")]
pub use flint_client_derive::LabelSet;
pub use labels::LabelSet;
pub use registry::Registry;
