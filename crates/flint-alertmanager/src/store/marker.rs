//! Per-alert and per-group state: active, suppressed (by silences, inhibitions, time
//! intervals) or unprocessed.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::alert::Fingerprint;
use crate::hashing::FastMap;

/// The state of one alert as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertStatus {
    /// IDs of silences muting the alert.
    pub silenced_by: Vec<String>,
    /// Fingerprints (hex) of alerts inhibiting it.
    pub inhibited_by: Vec<String>,
    /// Whether a pipeline has looked at the alert yet.
    pub processed: bool,
}

impl AlertStatus {
    /// `unprocessed`, `active` or `suppressed`.
    pub fn state(&self) -> &'static str {
        if !self.silenced_by.is_empty() || !self.inhibited_by.is_empty() {
            "suppressed"
        } else if self.processed {
            "active"
        } else {
            "unprocessed"
        }
    }
}

/// Muting details of a suppressed alert: (silenced by, inhibited by).
type Muted = Box<(Vec<String>, Vec<String>)>;

/// Alert and group states, shared by the pipeline (writer) and the API (reader).
///
/// Most alerts are simply active, so a processed alert costs one map entry with no
/// allocation; only suppressed ones carry their silence and inhibitor IDs.
#[derive(Debug, Default)]
pub struct Marker {
    alerts: RwLock<FastMap<Fingerprint, Option<Muted>>>,
    /// (route ID, group key) → names of the time intervals muting the group.
    groups: RwLock<HashMap<(String, String), Vec<String>>>,
}

fn rd<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn wr<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

fn to_status(e: Option<&Option<Muted>>) -> AlertStatus {
    match e {
        None => AlertStatus::default(),
        Some(None) => AlertStatus {
            processed: true,
            ..AlertStatus::default()
        },
        Some(Some(m)) => AlertStatus {
            silenced_by: m.0.clone(),
            inhibited_by: m.1.clone(),
            processed: true,
        },
    }
}

impl Marker {
    /// The alert's status (unprocessed when unknown).
    pub fn status(&self, fp: Fingerprint) -> AlertStatus {
        to_status(rd(&self.alerts).get(&fp))
    }

    /// Runs `f` with a status lookup under one read lock (cheap for bulk API reads).
    pub fn with_statuses<R>(&self, f: impl FnOnce(&dyn Fn(Fingerprint) -> AlertStatus) -> R) -> R {
        let m = rd(&self.alerts);
        f(&|fp| to_status(m.get(&fp)))
    }

    fn update(&self, fp: Fingerprint, f: impl FnOnce(&mut (Vec<String>, Vec<String>))) {
        let mut m = wr(&self.alerts);
        let e = m.entry(fp).or_insert(None);
        let mut cur = e.take().map(|b| *b).unwrap_or_default();
        f(&mut cur);
        *e = if cur.0.is_empty() && cur.1.is_empty() {
            None
        } else {
            Some(Box::new(cur))
        };
    }

    /// Records the silences muting the alert (empty: not silenced) and marks it processed.
    pub fn set_silenced(&self, fp: Fingerprint, ids: Vec<String>) {
        self.update(fp, |c| c.0 = ids);
    }

    /// Records the alerts inhibiting it (empty: not inhibited) and marks it processed.
    pub fn set_inhibited(&self, fp: Fingerprint, ids: Vec<String>) {
        self.update(fp, |c| c.1 = ids);
    }

    /// Marks the alert active (processed, nothing muting it).
    pub fn set_active(&self, fp: Fingerprint) {
        wr(&self.alerts).insert(fp, None);
    }

    /// Forgets alerts (after GC).
    pub fn delete(&self, fps: &[Fingerprint]) {
        let mut m = wr(&self.alerts);
        for fp in fps {
            m.remove(fp);
        }
    }

    /// Whether the alert is muted by silences or inhibitions.
    pub fn is_suppressed(&self, fp: Fingerprint) -> bool {
        rd(&self.alerts).get(&fp).is_some_and(Option::is_some)
    }

    /// Records the time intervals muting a group (empty: not muted).
    pub fn set_group_muted(&self, route_id: &str, group_key: &str, names: Vec<String>) {
        let mut g = wr(&self.groups);
        let key = (route_id.to_string(), group_key.to_string());
        if names.is_empty() {
            g.remove(&key);
        } else {
            g.insert(key, names);
        }
    }

    /// The time intervals muting a group.
    pub fn group_muted_by(&self, route_id: &str, group_key: &str) -> Vec<String> {
        rd(&self.groups)
            .get(&(route_id.to_string(), group_key.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets a group.
    pub fn delete_group(&self, route_id: &str, group_key: &str) {
        wr(&self.groups).remove(&(route_id.to_string(), group_key.to_string()));
    }

    /// Counts of alerts by state (`active`, `suppressed`, `unprocessed`) among `fps`.
    pub fn count(&self, fps: impl Iterator<Item = Fingerprint>) -> [usize; 3] {
        let m = rd(&self.alerts);
        let mut c = [0; 3];
        for fp in fps {
            match m.get(&fp).map_or("unprocessed", |e| {
                if e.is_some() { "suppressed" } else { "active" }
            }) {
                "active" => c[0] += 1,
                "suppressed" => c[1] += 1,
                _ => c[2] += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        let m = Marker::default();
        let fp = Fingerprint(1);
        assert_eq!(m.status(fp).state(), "unprocessed");
        m.set_inhibited(fp, vec![]);
        assert_eq!(m.status(fp).state(), "active");
        m.set_silenced(fp, vec!["s".into()]);
        assert_eq!(m.status(fp).state(), "suppressed");
        assert!(m.is_suppressed(fp));
        m.set_active(fp);
        assert!(!m.is_suppressed(fp));
        m.set_group_muted("r", "g", vec!["night".into()]);
        assert_eq!(m.group_muted_by("r", "g"), vec!["night".to_string()]);
    }
}
