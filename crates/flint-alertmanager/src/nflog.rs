//! The notification log: what was last sent for each (group, receiver integration), so the
//! dedup stage sends only what changed, a restart re-sends nothing, and (later) peers agree.
//! Snapshots use upstream's `nflog` file format (length-delimited `nflogpb.MeshEntry`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;

use crate::error::{Error, Result};
use crate::pb::{
    MeshEntry, PbEntry, PbReceiver, Timestamp, read_delimited, ts_millis, write_delimited,
};
use crate::time::{Clock, Millis};

/// Identifies one integration of one receiver: `receiver/integration/index`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiverKey {
    /// The receiver's name.
    pub group_name: String,
    /// The integration, e.g. `webhook`.
    pub integration: String,
    /// Index among the receiver's integrations of that kind.
    pub idx: u32,
}

impl std::fmt::Display for ReceiverKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.group_name, self.integration, self.idx)
    }
}

/// One notification record.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The aggregation group's key.
    pub group_key: String,
    /// Who was notified.
    pub receiver: ReceiverKey,
    /// When.
    pub timestamp: Millis,
    /// Fingerprints of the firing alerts sent, sorted.
    pub firing: Vec<u64>,
    /// Fingerprints of the resolved alerts sent, sorted.
    pub resolved: Vec<u64>,
    /// When the record may be forgotten.
    pub expires_at: Millis,
}

impl Entry {
    /// Whether every fingerprint of `firing` was in the last notification's firing set.
    pub fn is_firing_subset(&self, firing: &[u64]) -> bool {
        firing.iter().all(|f| self.firing.binary_search(f).is_ok())
    }

    /// Whether every fingerprint of `resolved` was in the last notification's resolved set.
    pub fn is_resolved_subset(&self, resolved: &[u64]) -> bool {
        resolved
            .iter()
            .all(|f| self.resolved.binary_search(f).is_ok())
    }
}

type Key = (String, ReceiverKey);

/// The notification log.
#[derive(Debug)]
pub struct Nflog {
    entries: RwLock<HashMap<Key, Entry>>,
    clock: Clock,
    retention: Millis,
    snapshot: Option<PathBuf>,
}

impl Nflog {
    /// A log keeping records for `retention` ms and snapshotting to `snapshot`.
    pub fn new(clock: Clock, retention: Millis, snapshot: Option<PathBuf>) -> Self {
        Nflog {
            entries: RwLock::new(HashMap::new()),
            clock,
            retention,
            snapshot,
        }
    }

    /// Records a notification at `now`.
    pub fn log(
        &self,
        receiver: &ReceiverKey,
        group_key: &str,
        mut firing: Vec<u64>,
        mut resolved: Vec<u64>,
        now: Millis,
    ) {
        firing.sort_unstable();
        resolved.sort_unstable();
        let e = Entry {
            group_key: group_key.to_string(),
            receiver: receiver.clone(),
            timestamp: now,
            firing,
            resolved,
            expires_at: now + self.retention,
        };
        self.merge(e);
    }

    /// Keeps `e` unless a newer record for the same key is present (idempotent and
    /// commutative, as gossip needs).
    pub fn merge(&self, e: Entry) -> bool {
        let mut m = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let key = (e.group_key.clone(), e.receiver.clone());
        match m.get(&key) {
            Some(old) if old.timestamp >= e.timestamp => false,
            _ => {
                m.insert(key, e);
                true
            }
        }
    }

    /// The last record for a group and receiver integration.
    pub fn query(&self, group_key: &str, receiver: &ReceiverKey) -> Option<Entry> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(group_key.to_string(), receiver.clone()))
            .cloned()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired records; returns how many.
    pub fn gc(&self) -> usize {
        let now = self.clock.now();
        let mut m = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = m.len();
        m.retain(|_, e| e.expires_at > now);
        before - m.len()
    }

    /// Writes the snapshot file; returns its size.
    pub fn snapshot(&self) -> Result<usize> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let msgs: Vec<MeshEntry> = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|e| MeshEntry {
                entry: Some(PbEntry {
                    group_key: e.group_key.as_bytes().to_vec(),
                    receiver: Some(PbReceiver {
                        group_name: e.receiver.group_name.clone(),
                        integration: e.receiver.integration.clone(),
                        idx: e.receiver.idx,
                    }),
                    group_hash: Vec::new(),
                    resolved: e.firing.is_empty(),
                    timestamp: Some(Timestamp::from_millis(e.timestamp)),
                    firing_alerts: e.firing.clone(),
                    resolved_alerts: e.resolved.clone(),
                }),
                expires_at: Some(Timestamp::from_millis(e.expires_at)),
            })
            .collect();
        let mut buf = Vec::new();
        write_delimited(&mut buf, msgs).map_err(|e| Error::io(path, e))?;
        crate::silence::write_atomic(path, &buf)?;
        Ok(buf.len())
    }

    /// Loads the snapshot file if present, skipping expired records.
    pub fn load_snapshot(&self) -> Result<usize> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let mut f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(path, e)),
        };
        let msgs: Vec<MeshEntry> = read_delimited(&mut f).map_err(|reason| Error::Snapshot {
            path: path.clone(),
            reason,
        })?;
        let now = self.clock.now();
        let mut n = 0;
        for m in msgs {
            let expires_at = ts_millis(&m.expires_at);
            let Some(e) = m.entry else { continue };
            if expires_at <= now {
                continue;
            }
            let r = e.receiver.unwrap_or_default();
            let mut firing = e.firing_alerts;
            let mut resolved = e.resolved_alerts;
            firing.sort_unstable();
            resolved.sort_unstable();
            n += usize::from(self.merge(Entry {
                group_key: String::from_utf8_lossy(&e.group_key).into_owned(),
                receiver: ReceiverKey {
                    group_name: r.group_name,
                    integration: r.integration,
                    idx: r.idx,
                },
                timestamp: ts_millis(&e.timestamp),
                firing,
                resolved,
                expires_at,
            }));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rk() -> ReceiverKey {
        ReceiverKey {
            group_name: "team".into(),
            integration: "webhook".into(),
            idx: 0,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn log_query_merge_gc() {
        let l = Nflog::new(Clock::starting_at(10_000), 5_000, None);
        l.log(&rk(), "{}:{a=\"b\"}", vec![3, 1], vec![], 10_000);
        let e = l.query("{}:{a=\"b\"}", &rk()).expect("logged");
        assert_eq!(e.firing, vec![1, 3]);
        assert!(e.is_firing_subset(&[3]) && !e.is_firing_subset(&[2]));
        // An older record does not replace a newer one.
        let mut old = e.clone();
        old.timestamp = 1;
        old.firing = vec![];
        assert!(!l.merge(old));
        assert_eq!(
            l.query("{}:{a=\"b\"}", &rk()).map(|e| e.firing.len()),
            Some(2)
        );
        tokio::time::advance(std::time::Duration::from_secs(6)).await;
        assert_eq!(l.gc(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn snapshot_round_trip() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("nflog");
        let l = Nflog::new(Clock::starting_at(10_000), 60_000, Some(p.clone()));
        l.log(&rk(), "g", vec![7], vec![8], 10_000);
        l.snapshot().expect("snap");
        let m = Nflog::new(Clock::starting_at(10_000), 60_000, Some(p.clone()));
        assert_eq!(m.load_snapshot().expect("load"), 1);
        assert_eq!(
            m.query("g", &rk()).map(|e| (e.firing, e.resolved)),
            Some((vec![7], vec![8]))
        );
    }
}
