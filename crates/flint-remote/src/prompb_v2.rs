//! `io.prometheus.write.v2.Request` (remote write 2.0), field for field as in Prometheus's
//! `prompb/io/prometheus/write/v2/types.proto`, as far as the receiver reads it. Labels are
//! pairs of references into the request's symbol table. Native histograms are declared
//! only by their timestamp, so the receiver can count what it does not store yet.
#![allow(missing_docs)]

use prost::Message;

pub use crate::prompb::Sample;

/// A 2.0 request: the symbol table (`symbols[0]` is always empty) and the series.
#[derive(Clone, PartialEq, Message)]
pub struct Request {
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeries>,
}

/// One series: label references (name, value, name, value, …) and its data.
#[derive(Clone, PartialEq, Message)]
pub struct TimeSeries {
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<Exemplar>,
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
    #[prost(int64, tag = "6")]
    pub created_timestamp: i64,
}

/// An exemplar: label references, value, timestamp.
#[derive(Clone, PartialEq, Message)]
pub struct Exemplar {
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    #[prost(double, tag = "2")]
    pub value: f64,
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// A native histogram sample; only its timestamp is read.
#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
}

/// A series' metadata: `type` (0 unspecified, 1 counter, 2 gauge, 3 histogram, 4 gauge
/// histogram, 5 summary, 6 info, 7 stateset) and references to help and unit.
#[derive(Clone, PartialEq, Message)]
pub struct Metadata {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}
