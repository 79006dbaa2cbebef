//! Integration tests of flint-web: the router over a real listener.
#![allow(clippy::unwrap_used)]

mod endpoints;
