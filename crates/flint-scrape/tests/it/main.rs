//! Integration tests of flint-scrape.
#![allow(clippy::unwrap_used)]

mod bad_targets;
mod formats;
mod harness;
mod loops;
mod manager;
mod real_world;
