//! Integration tests: the assembled Alertmanager over HTTP, with a recording webhook,
//! `amtool`, a real Prometheus, and the web UI's pages.

mod amtool;
mod api;
mod behaviour;
mod cluster;
mod harness;
mod integrations;
mod prometheus;
mod receiver_http;
mod snapshots;
mod ui;
mod webhook;
