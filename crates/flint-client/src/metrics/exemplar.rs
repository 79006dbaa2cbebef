//! Exemplar storage shared by counters and histograms.

use std::sync::{Mutex, OnceLock};

use flint_model::Exemplar;

/// One optional exemplar slot: 16 bytes until an exemplar is first stored (the storage is
/// boxed so that metrics without exemplars stay small and dense in memory), and reading it
/// is one atomic load until then.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot {
    value: OnceLock<Box<Mutex<Option<Exemplar>>>>,
}

impl ExemplarSlot {
    /// Stores an exemplar for `value` with `labels`, timestamped now.
    pub(crate) fn store(&self, labels: &[(&str, &str)], value: f64) {
        let exemplar = Exemplar {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            value,
            timestamp: Some((crate::clock::unix_seconds() * 1000.0) as i64),
        };
        let slot = self.value.get_or_init(Box::default);
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(exemplar);
        }
    }

    /// Calls `f` with the current exemplar, if any.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&Exemplar>) -> R) -> R {
        match self.value.get().map(|m| m.lock()) {
            Some(Ok(slot)) => f(slot.as_ref()),
            _ => f(None),
        }
    }
}
