//! Integration tests of flint-promql.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test.

mod engine;
mod printer;
mod scripts;
mod scripts_tsdb;
mod tsdb_store;
