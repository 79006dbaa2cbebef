//! Go's `text/template` language in Rust, with Prometheus's and Alertmanager's function sets.
#![deny(missing_docs)]
