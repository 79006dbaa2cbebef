//! Integration tests of flint-config.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod fixtures;
mod render;
