//! Message types of the `io.prometheus.client` protobuf exposition format.

pub mod metrics;

pub use metrics::*;
