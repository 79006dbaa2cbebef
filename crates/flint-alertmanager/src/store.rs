//! The alert store: the latest version of every alert by fingerprint, merged on update as
//! upstream does, garbage-collected once resolved, and streamed to subscribers (the
//! dispatcher).

pub mod intern;
pub mod marker;

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::mpsc;

use crate::alert::{Alert, Fingerprint};
use crate::hashing::FastMap;
use crate::time::{Clock, Millis};
pub use intern::Interner;
pub use marker::{AlertStatus, Marker};

/// A batch of alerts delivered to subscribers.
pub type Batch = Arc<[Arc<Alert>]>;

/// The alert store. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    alerts: RwLock<FastMap<Fingerprint, Arc<Alert>>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Batch>>>,
    interner: Interner,
    clock: Clock,
}

impl Store {
    /// An empty store reading time from `clock`.
    pub fn new(clock: Clock) -> Self {
        Store {
            alerts: RwLock::new(FastMap::default()),
            subscribers: Mutex::new(Vec::new()),
            interner: Interner::default(),
            clock,
        }
    }

    /// The string interner alerts are built with.
    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Inserts alerts, merging each with the stored version when their activity ranges
    /// overlap, and sends the stored versions to subscribers.
    pub fn put(&self, alerts: Vec<Alert>) {
        let now = self.clock.now();
        let mut stored = Vec::with_capacity(alerts.len());
        {
            let mut map = self.alerts.write().unwrap_or_else(|p| p.into_inner());
            for a in alerts {
                let mut a = Arc::new(a);
                if let Some(old) = map.get(&a.fingerprint) {
                    let overlaps = (a.ends_at > old.starts_at && a.ends_at < old.ends_at)
                        || (a.starts_at > old.starts_at && a.starts_at < old.ends_at);
                    if overlaps {
                        a = old.merge(&a, now);
                    }
                }
                map.insert(a.fingerprint, a.clone());
                stored.push(a);
            }
        }
        self.publish(stored.into());
    }

    fn publish(&self, batch: Batch) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|s| s.send(batch.clone()).is_ok());
    }

    /// A stream of alerts: everything stored now, then every update.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Batch> {
        let (tx, rx) = mpsc::unbounded_channel();
        // Holding the subscriber lock while snapshotting keeps `put` from slipping a batch
        // between the snapshot and the registration.
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        let all: Batch = self.list().into();
        if !all.is_empty() {
            let _ = tx.send(all);
        }
        subs.push(tx);
        rx
    }

    /// The stored version of one alert.
    pub fn get(&self, fp: Fingerprint) -> Option<Arc<Alert>> {
        self.alerts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&fp)
            .cloned()
    }

    /// Every stored alert (cheap: `Arc` clones).
    pub fn list(&self) -> Vec<Arc<Alert>> {
        self.alerts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Number of stored alerts.
    pub fn len(&self) -> usize {
        self.alerts.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts (firing, resolved) at `now`.
    pub fn count_by_state(&self, now: Millis) -> (usize, usize) {
        let map = self.alerts.read().unwrap_or_else(|p| p.into_inner());
        let resolved = map.values().filter(|a| a.resolved_at(now)).count();
        (map.len() - resolved, resolved)
    }

    /// Removes resolved alerts and returns their fingerprints; frees unused strings.
    pub fn gc(&self) -> Vec<Fingerprint> {
        let now = self.clock.now();
        let mut removed = Vec::new();
        self.alerts
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|fp, a| {
                let keep = !a.resolved_at(now);
                if !keep {
                    removed.push(*fp);
                }
                keep
            });
        self.interner.gc();
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ZERO_TIME;
    use flint_model::Labels;

    fn alert(name: &str, starts: Millis, ends: Millis, updated: Millis) -> Alert {
        let labels = Labels::from_pairs([("alertname", name)]);
        Alert {
            fingerprint: Fingerprint::of(&labels),
            labels,
            annotations: Arc::from(Vec::new()),
            starts_at: starts,
            ends_at: ends,
            generator_url: Arc::from(""),
            updated_at: updated,
            timeout: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn merges_and_streams() {
        let s = Store::new(Clock::starting_at(1_000_000));
        let mut sub = s.subscribe();
        s.put(vec![alert("a", 100, 900_000_000, 1)]);
        // A newer update that starts later keeps the earliest start.
        s.put(vec![alert("a", 500, 800_000_000, 2)]);
        let got = s.get(Fingerprint::of(&Labels::from_pairs([("alertname", "a")])));
        let got = got.expect("stored");
        assert_eq!(got.starts_at, 100);
        // Not a timeout end: the later end of the older version wins.
        assert_eq!(got.ends_at, 900_000_000);
        assert_eq!(sub.recv().await.map(|b| b.len()), Some(1));
        assert_eq!(sub.recv().await.map(|b| b.len()), Some(1));
        // A late subscriber gets the current state first.
        let mut late = s.subscribe();
        assert_eq!(late.recv().await.map(|b| b.len()), Some(1));
    }

    #[tokio::test(start_paused = true)]
    async fn gc_removes_resolved() {
        let s = Store::new(Clock::starting_at(10_000));
        s.put(vec![alert("a", 0, 5_000, 1), alert("b", 0, ZERO_TIME, 1)]);
        assert_eq!(s.count_by_state(10_000), (1, 1));
        assert_eq!(s.gc().len(), 1);
        assert_eq!(s.len(), 1);
    }
}
