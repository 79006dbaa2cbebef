//! What a query returns.

use std::sync::Arc;
use std::time::Duration;

use flint_model::Labels;

use crate::annotations::Annotations;
use crate::histogram::Hist;
use crate::parser::ValueType;

/// The value of one sample.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    /// A float.
    Float(f64),
    /// A native histogram.
    Histogram(Arc<Hist>),
}

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels.
    pub labels: Labels,
    /// Evaluation time (milliseconds).
    pub t: i64,
    /// The value.
    pub value: SampleValue,
}

/// One series of a range vector (matrix).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The series' labels.
    pub labels: Labels,
    /// Float points `(t, value)`, ascending.
    pub floats: Vec<(i64, f64)>,
    /// Histogram points `(t, histogram)`, ascending.
    pub histograms: Vec<(i64, Arc<Hist>)>,
}

/// The result value of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    /// A scalar at time `t`.
    Scalar {
        /// Evaluation time.
        t: i64,
        /// The value.
        v: f64,
    },
    /// A string at time `t`.
    String {
        /// Evaluation time.
        t: i64,
        /// The value.
        v: String,
    },
    /// An instant vector, in evaluation order.
    Vector(Vec<Sample>),
    /// A range vector, sorted by labels.
    Matrix(Vec<Series>),
}

impl QueryValue {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            QueryValue::Scalar { .. } => ValueType::Scalar,
            QueryValue::String { .. } => ValueType::String,
            QueryValue::Vector(_) => ValueType::Vector,
            QueryValue::Matrix(_) => ValueType::Matrix,
        }
    }
}

/// Timings and sample counts of a query (the API's `stats=all`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryStats {
    /// Time waiting for a concurrency slot.
    pub queue_time: Duration,
    /// Time parsing and preparing.
    pub prepare_time: Duration,
    /// Time evaluating.
    pub inner_eval_time: Duration,
    /// Time sorting the result.
    pub result_sort_time: Duration,
    /// Everything.
    pub total_time: Duration,
    /// Samples read from storage.
    pub total_queryable_samples: u64,
    /// Most samples held in memory at once.
    pub peak_samples: usize,
}

/// The outcome of a successful query.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The value.
    pub value: QueryValue,
    /// Warnings and infos (render them with [`Annotations::render`]).
    pub annotations: Annotations,
    /// Statistics.
    pub stats: QueryStats,
}
