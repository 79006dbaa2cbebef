//! Integration tests of the TSDB, one binary: block and WAL formats against the real
//! Prometheus and promtool, corruption handling, and the crash harness.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure.

mod block_corruption;
mod block_promtool;
mod crash;
mod promtool_chunks;
mod wal_interop;
mod wal_log;
mod wal_record;
mod wal_repair;
