//! Prometheus exposition formats.
//!
//! Parsers and encoders for Prometheus text 0.0.4, OpenMetrics 1.0 text and the delimited
//! protobuf format, plus content negotiation.
#![deny(missing_docs)]

pub mod point;

pub use point::{
    Bucket, ChainLabels, EncodeLabels, Encoder, FamilyHeader, HistogramPoint, Point, SummaryPoint,
};
