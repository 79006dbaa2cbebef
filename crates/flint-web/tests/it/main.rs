//! Integration tests of flint-web: the router over a real listener.
#![allow(clippy::unwrap_used)]

mod endpoints;
mod query_api;
mod query_compare;
mod query_differential;
mod query_openapi;
mod query_support;
mod query_vs_prometheus;
mod rules_api;
mod ui;
