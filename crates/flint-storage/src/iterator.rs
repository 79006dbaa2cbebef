//! Reading samples of one series: [`SampleIterator`].

use std::sync::Arc;

use flint_model::{FloatHistogram, Histogram};

use crate::error::StorageError;

/// What an iterator is positioned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Exhausted (or failed: see [`SampleIterator::err`]).
    None,
    /// A float sample: read it with [`SampleIterator::at`].
    Float,
    /// An integer native histogram: [`SampleIterator::at_histogram`].
    Histogram,
    /// A float native histogram: [`SampleIterator::at_float_histogram`].
    FloatHistogram,
}

/// A cursor over the samples of one series, in timestamp order.
///
/// Starts before the first sample; [`next`](Self::next) and [`seek`](Self::seek) move it and say
/// what kind of sample it rests on. Reading a sample of another kind than the one reported is a
/// caller bug and returns a neutral value.
pub trait SampleIterator: Send {
    /// Moves to the next sample.
    fn next(&mut self) -> ValueType;

    /// Moves to the first sample with timestamp `>= t`; does not move backwards (if the current
    /// sample is already at or after `t`, stays there).
    fn seek(&mut self, t: i64) -> ValueType;

    /// The current float sample.
    fn at(&self) -> (i64, f64);

    /// The current integer histogram sample, if the current sample is one.
    fn at_histogram(&self) -> Option<(i64, &Histogram)>;

    /// The current histogram as float counts (integer histograms are converted).
    fn at_float_histogram(&self) -> Option<(i64, FloatHistogram)>;

    /// Timestamp of the current sample.
    fn at_t(&self) -> i64;

    /// The error that ended iteration early, if any.
    fn err(&self) -> Option<StorageError>;
}

/// One stored value of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A float.
    Float(f64),
    /// An integer native histogram.
    Histogram(Arc<Histogram>),
    /// A float native histogram.
    FloatHistogram(Arc<FloatHistogram>),
}

impl Value {
    fn value_type(&self) -> ValueType {
        match self {
            Value::Float(_) => ValueType::Float,
            Value::Histogram(_) => ValueType::Histogram,
            Value::FloatHistogram(_) => ValueType::FloatHistogram,
        }
    }
}

/// A timestamped [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub struct TimedValue {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The value.
    pub value: Value,
}

/// Iterates a shared, sorted slice of samples.
#[derive(Debug, Clone)]
pub struct SliceIterator {
    samples: Arc<[TimedValue]>,
    /// Index of the current sample plus one (0 = before the first).
    pos: usize,
}

impl SliceIterator {
    /// An iterator over `samples`, which must be sorted by timestamp.
    pub fn new(samples: Arc<[TimedValue]>) -> Self {
        SliceIterator { samples, pos: 0 }
    }

    fn current(&self) -> Option<&TimedValue> {
        self.pos.checked_sub(1).and_then(|i| self.samples.get(i))
    }

    fn current_type(&self) -> ValueType {
        self.current()
            .map_or(ValueType::None, |s| s.value.value_type())
    }
}

impl SampleIterator for SliceIterator {
    fn next(&mut self) -> ValueType {
        if self.pos <= self.samples.len() {
            self.pos += 1;
        }
        self.current_type()
    }

    fn seek(&mut self, t: i64) -> ValueType {
        if let Some(cur) = self.current()
            && cur.t >= t
        {
            return cur.value.value_type();
        }
        let start = self.pos.min(self.samples.len());
        let offset = self.samples[start..].partition_point(|s| s.t < t);
        self.pos = start + offset + 1;
        self.current_type()
    }

    fn at(&self) -> (i64, f64) {
        match self.current() {
            Some(TimedValue {
                t,
                value: Value::Float(v),
            }) => (*t, *v),
            Some(other) => (other.t, f64::NAN),
            None => (i64::MIN, f64::NAN),
        }
    }

    fn at_histogram(&self) -> Option<(i64, &Histogram)> {
        match self.current()? {
            TimedValue {
                t,
                value: Value::Histogram(h),
            } => Some((*t, h)),
            _ => None,
        }
    }

    fn at_float_histogram(&self) -> Option<(i64, FloatHistogram)> {
        match self.current()? {
            TimedValue {
                t,
                value: Value::Histogram(h),
            } => Some((*t, h.to_float())),
            TimedValue {
                t,
                value: Value::FloatHistogram(h),
            } => Some((*t, (**h).clone())),
            _ => None,
        }
    }

    fn at_t(&self) -> i64 {
        self.current().map_or(i64::MIN, |s| s.t)
    }

    fn err(&self) -> Option<StorageError> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(ts: &[i64]) -> Arc<[TimedValue]> {
        ts.iter()
            .map(|t| TimedValue {
                t: *t,
                value: Value::Float(*t as f64),
            })
            .collect()
    }

    #[test]
    fn next_and_seek() {
        let mut it = SliceIterator::new(floats(&[10, 20, 30]));
        assert_eq!(it.seek(15), ValueType::Float);
        assert_eq!(it.at(), (20, 20.0));
        // Seeking backwards stays put.
        assert_eq!(it.seek(5), ValueType::Float);
        assert_eq!(it.at_t(), 20);
        assert_eq!(it.next(), ValueType::Float);
        assert_eq!(it.at_t(), 30);
        assert_eq!(it.next(), ValueType::None);
        assert_eq!(it.next(), ValueType::None);
        assert_eq!(it.seek(0), ValueType::None);
    }

    #[test]
    fn seek_past_end() {
        let mut it = SliceIterator::new(floats(&[10]));
        assert_eq!(it.seek(11), ValueType::None);
        let mut empty = SliceIterator::new(floats(&[]));
        assert_eq!(empty.seek(0), ValueType::None);
        assert_eq!(empty.next(), ValueType::None);
    }
}
