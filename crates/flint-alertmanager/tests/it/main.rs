//! Integration tests: the assembled Alertmanager over HTTP, with a recording webhook,
//! `amtool` and a real Prometheus.

mod amtool;
mod api;
mod behaviour;
mod cluster;
mod harness;
mod integrations;
mod prometheus;
mod receiver_http;
mod snapshots;
mod webhook;
