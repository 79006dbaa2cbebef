//! Integration tests of flint-discovery.
#![allow(clippy::unwrap_used)]

mod client;
mod dns;
mod file;
mod http;
mod manager;
