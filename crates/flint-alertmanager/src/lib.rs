//! The Alertmanager: API v2, dispatcher, inhibition, silences, notification log, integrations.
//!
//! # Brief overview
//!
//! - [`config`] parses and validates `alertmanager.yml` with upstream's rules and messages.
//! - [`store`] holds alerts (shared label sets, upstream-compatible fingerprints) and the
//!   [`store::Marker`] with each alert's state.
//! - [`dispatch`] matches alerts against the route tree and runs aggregation groups with
//!   group_wait / group_interval / repeat_interval timers on tokio time.
//! - [`notify`] is the pipeline of stages (inhibit, time intervals, silences, then per
//!   integration: wait, dedup against the [`nflog`], retry, record) and the integrations.
//! - [`silence`] and [`nflog`] keep their state in memory and in snapshots on disk.
//! - [`api`] serves API v2 (what `amtool` and Prometheus talk to) with axum.
//! - [`ui`] is the web UI: alerts by group, silences (list, form with preview, expire), status.
//! - [`cluster`] gossips silences and the notification log between peers (HA), on foca.
//!
//! # On-disk state
//!
//! Silences and the notification log are written as upstream writes them: length-delimited
//! `silencepb.MeshSilence` / `nflogpb.MeshEntry` protobuf messages in `<storage.path>/silences`
//! and `<storage.path>/nflog`, with nflog entries keyed by upstream's group keys and XXH64 label
//! hashes. A user switching from Alertmanager to Flint keeps their silences and is not paged
//! again for what was already sent (tested against files written by Alertmanager 0.25), and the
//! same messages are what the cluster gossip exchanges and merges.
#![deny(missing_docs)]

pub mod alert;
pub mod api;
pub mod cluster;
pub mod config;
pub mod dispatch;
pub mod error;
mod hashing;
pub mod inhibit;
pub mod matchers;
pub mod metrics;
pub mod nflog;
pub mod notify;
pub mod pb;
pub mod server;
pub mod silence;
pub mod store;
pub mod time;
pub mod timeinterval;
pub mod ui;

pub use error::{Error, Result};
