//! The limit on concurrently running queries (`--query.max-concurrency`).

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::eval::Deadline;

/// A counting semaphore; queries wait for a free slot until their deadline.
#[derive(Debug)]
pub(crate) struct Gate {
    max: usize,
    running: Mutex<usize>,
    freed: Condvar,
}

/// A held slot; dropping it frees the slot.
pub(crate) struct Slot<'a> {
    gate: &'a Gate,
}

impl Gate {
    pub(crate) fn new(max: usize) -> Self {
        Gate {
            max: max.max(1),
            running: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits for a slot, giving up at the deadline or on cancellation.
    pub(crate) fn acquire(&self, deadline: &Deadline) -> Result<Slot<'_>> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| Error::exec("query gate poisoned"))?;
        while *running >= self.max {
            if deadline.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                return Err(Error::Canceled("query queue"));
            }
            let wait = match deadline.at {
                Some(at) => {
                    let now = Instant::now();
                    if now >= at {
                        return Err(Error::Timeout("query queue"));
                    }
                    (at - now).min(Duration::from_millis(50))
                }
                None => Duration::from_millis(50),
            };
            running = self
                .freed
                .wait_timeout(running, wait)
                .map_err(|_| Error::exec("query gate poisoned"))?
                .0;
        }
        *running += 1;
        Ok(Slot { gate: self })
    }

    /// Queries running now.
    pub(crate) fn running(&self) -> usize {
        self.running.lock().map_or(0, |g| *g)
    }

    /// The limit.
    pub(crate) fn max(&self) -> usize {
        self.max
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut r) = self.gate.running.lock() {
            *r = r.saturating_sub(1);
        }
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_gate_times_out() {
        let g = Gate::new(1);
        let _held = g.acquire(&Deadline::default()).expect("free");
        let d = Deadline {
            at: Some(Instant::now()),
            cancel: None,
        };
        assert!(matches!(g.acquire(&d), Err(Error::Timeout(_))));
        assert_eq!(g.running(), 1);
    }
}
