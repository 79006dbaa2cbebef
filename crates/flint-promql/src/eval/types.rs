//! The values the evaluator passes between nodes.
//!
//! Every node is evaluated over a whole [`Grid`] of steps at once. An instant vector is a
//! list of [`Series`], each holding its points as sparse `(step, value)` lists, so a series
//! present at few steps costs little and per-series work runs over all steps in one pass.

use std::sync::Arc;

use flint_model::Labels;

use crate::histogram::Hist;

/// The evaluation timestamps: `start, start + step, …, end` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Step between timestamps, at least 1.
    pub(crate) step: i64,
}

impl Grid {
    /// A grid of one timestamp.
    pub(crate) fn instant(t: i64) -> Self {
        Grid {
            start: t,
            end: t,
            step: 1,
        }
    }

    /// Number of timestamps.
    pub(crate) fn len(&self) -> usize {
        if self.end < self.start {
            return 0;
        }
        ((self.end - self.start) / self.step) as usize + 1
    }

    /// Timestamp of step `i`.
    pub(crate) fn t(&self, i: usize) -> i64 {
        self.start + self.step * i as i64
    }
}

/// A point's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sample {
    Float(f64),
    Hist(Arc<Hist>),
}

/// One series of an instant vector over the grid.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    pub(crate) labels: Labels,
    /// `__name__` (and `__type__`, `__unit__`) are to be removed at the end of evaluation.
    pub(crate) drop_name: bool,
    /// Float points by step, ascending.
    pub(crate) floats: Vec<(u32, f64)>,
    /// Histogram points by step, ascending; never at a step that has a float.
    pub(crate) hists: Vec<(u32, Arc<Hist>)>,
}

impl Series {
    pub(crate) fn new(labels: Labels, drop_name: bool) -> Self {
        Series {
            labels,
            drop_name,
            floats: Vec::new(),
            hists: Vec::new(),
        }
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.floats.len() + self.hists.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.floats.is_empty() && self.hists.is_empty()
    }

    /// All points in step order.
    pub(crate) fn points(&self) -> Points<'_> {
        Points {
            floats: &self.floats,
            hists: &self.hists,
            i: 0,
            j: 0,
        }
    }

    /// Samples this series counts as against `max_samples`.
    pub(crate) fn sample_count(&self) -> usize {
        self.floats.len()
            + self
                .hists
                .iter()
                .map(|(_, h)| h.sample_size())
                .sum::<usize>()
    }

    /// Adds a point; points must be pushed in step order.
    pub(crate) fn push(&mut self, step: u32, s: Sample) {
        match s {
            Sample::Float(f) => self.floats.push((step, f)),
            Sample::Hist(h) => self.hists.push((step, h)),
        }
    }
}

/// A borrowed point value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PointRef<'a> {
    Float(f64),
    Hist(&'a Arc<Hist>),
}

impl PointRef<'_> {
    pub(crate) fn to_owned(self) -> Sample {
        match self {
            PointRef::Float(f) => Sample::Float(f),
            PointRef::Hist(h) => Sample::Hist(h.clone()),
        }
    }
}

/// Iterator over a series' points in step order.
pub(crate) struct Points<'a> {
    floats: &'a [(u32, f64)],
    hists: &'a [(u32, Arc<Hist>)],
    i: usize,
    j: usize,
}

impl<'a> Iterator for Points<'a> {
    type Item = (u32, PointRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.floats.get(self.i), self.hists.get(self.j)) {
            (Some(f), Some(h)) if f.0 <= h.0 => {
                self.i += 1;
                Some((f.0, PointRef::Float(f.1)))
            }
            (_, Some(h)) => {
                self.j += 1;
                Some((h.0, PointRef::Hist(&h.1)))
            }
            (Some(f), None) => {
                self.i += 1;
                Some((f.0, PointRef::Float(f.1)))
            }
            (None, None) => None,
        }
    }
}

/// Raw samples of one series for range-vector functions.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeSeries {
    pub(crate) labels: Labels,
    pub(crate) drop_name: bool,
    /// `(timestamp, value)`, ascending.
    pub(crate) floats: Vec<(i64, f64)>,
    /// `(timestamp, histogram)`, ascending.
    pub(crate) hists: Vec<(i64, Arc<Hist>)>,
}

/// What a node evaluates to.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// One number per step.
    Scalar(Vec<f64>),
    /// A string (only at top level and as function arguments).
    String(String),
    /// An instant vector over the grid.
    Vector(Vec<Series>),
    /// A range vector (only as the result of an instant query).
    Matrix(Vec<RangeSeries>),
}

impl Value {
    pub(crate) fn into_vector(self) -> Vec<Series> {
        match self {
            Value::Vector(v) => v,
            _ => Vec::new(),
        }
    }

    pub(crate) fn into_scalar(self, n: usize) -> Vec<f64> {
        match self {
            Value::Scalar(v) => v,
            _ => vec![f64::NAN; n],
        }
    }
}
