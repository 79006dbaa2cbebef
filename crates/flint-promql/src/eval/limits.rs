//! Limits enforced during evaluation: the deadline, cancellation and the sample budget.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// When a query must give up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deadline {
    pub(crate) at: Option<Instant>,
    pub(crate) cancel: Option<CancellationToken>,
}

impl Deadline {
    /// Fails with the upstream error once the deadline passed or the token fired.
    pub(crate) fn check(&self) -> Result<()> {
        if self.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(Error::Canceled("expression evaluation"));
        }
        if self.at.is_some_and(|at| Instant::now() >= at) {
            return Err(Error::Timeout("expression evaluation"));
        }
        Ok(())
    }
}

/// Counts the samples held in memory against `max_samples`, and the totals for the stats.
#[derive(Debug)]
pub(crate) struct SampleCounter {
    max: i64,
    current: AtomicI64,
    peak: AtomicI64,
    total: AtomicU64,
}

impl SampleCounter {
    pub(crate) fn new(max: usize) -> Self {
        SampleCounter {
            max: i64::try_from(max).unwrap_or(i64::MAX),
            current: AtomicI64::new(0),
            peak: AtomicI64::new(0),
            total: AtomicU64::new(0),
        }
    }

    /// Takes `n` more samples into memory; fails when over the limit.
    pub(crate) fn add(&self, n: usize) -> Result<()> {
        let n = n as i64;
        let now = self.current.fetch_add(n, Ordering::Relaxed) + n;
        self.peak.fetch_max(now, Ordering::Relaxed);
        if now > self.max {
            return Err(Error::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// Releases `n` samples.
    pub(crate) fn sub(&self, n: usize) {
        self.current.fetch_sub(n as i64, Ordering::Relaxed);
    }

    /// Records `n` samples read from storage.
    pub(crate) fn loaded(&self, n: usize) {
        self.total.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Most samples held at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed).max(0) as usize
    }

    /// Samples read from storage.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}
