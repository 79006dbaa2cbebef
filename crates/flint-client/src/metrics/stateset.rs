//! State sets: a fixed list of named boolean states (OpenMetrics `stateset`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use flint_expfmt::Point;
use flint_model::MetricType;

use super::{ChildMetric, Metric, MetricEncoder, NO_LABELS};
use crate::error::{Error, Result};

#[derive(Debug)]
struct Inner {
    names: Box<[String]>,
    states: Box<[AtomicBool]>,
    written: AtomicBool,
}

/// A state set. The label carrying the state name is the family name itself, as
/// OpenMetrics requires; Prometheus text shows it as a gauge per state.
///
/// ```
/// use flint_client::metrics::stateset::StateSet;
/// let s = StateSet::new(["starting", "running", "stopped"]);
/// s.set_only("running").unwrap();
/// assert_eq!(s.get("running"), Some(true));
/// assert_eq!(s.get("starting"), Some(false));
/// assert!(s.set("exploded", true).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct StateSet {
    inner: Arc<Inner>,
}

impl StateSet {
    /// A state set with these states, all unset.
    pub fn new<S: Into<String>>(states: impl IntoIterator<Item = S>) -> Self {
        let names: Box<[String]> = states.into_iter().map(Into::into).collect();
        let states = names.iter().map(|_| AtomicBool::new(false)).collect();
        StateSet {
            inner: Arc::new(Inner {
                names,
                states,
                written: AtomicBool::new(true),
            }),
        }
    }

    fn index(&self, state: &str) -> Result<usize> {
        let names = self.inner.names.iter();
        names
            .clone()
            .position(|n| n == state)
            .ok_or_else(|| Error::UnknownState(state.into()))
    }

    /// Sets one state.
    pub fn set(&self, state: &str, on: bool) -> Result<()> {
        let i = self.index(state)?;
        if let Some(s) = self.inner.states.get(i) {
            s.store(on, Relaxed);
        }
        self.inner.written.store(true, Relaxed);
        Ok(())
    }

    /// Sets `state` and clears all others (an enum-like state).
    pub fn set_only(&self, state: &str) -> Result<()> {
        let i = self.index(state)?;
        for (j, s) in self.inner.states.iter().enumerate() {
            s.store(i == j, Relaxed);
        }
        self.inner.written.store(true, Relaxed);
        Ok(())
    }

    /// Whether `state` is set; `None` for unknown states.
    pub fn get(&self, state: &str) -> Option<bool> {
        let i = self.index(state).ok()?;
        self.inner.states.get(i).map(|s| s.load(Relaxed))
    }
}

impl Metric for StateSet {
    fn metric_type(&self) -> MetricType {
        MetricType::StateSet
    }

    fn encode(&self, out: &mut MetricEncoder<'_>) {
        let inner = &*self.inner;
        let pairs: Vec<(&str, bool)> = inner
            .names
            .iter()
            .zip(inner.states.iter())
            .map(|(n, s)| (n.as_str(), s.load(Relaxed)))
            .collect();
        out.point(NO_LABELS, &Point::StateSet(&pairs));
    }
}

impl ChildMetric for StateSet {
    fn written_since(&self, _marker: &AtomicU64) -> bool {
        self.inner.written.swap(false, Relaxed)
    }
}
