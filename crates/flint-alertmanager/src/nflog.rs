//! The notification log: what was last sent for each (group, receiver integration), so the
//! dedup stage sends only what changed, a restart re-sends nothing, and peers agree.
//! Snapshots use upstream's `nflog` file format (length-delimited `nflogpb.MeshEntry`), and
//! the cluster gossips the same messages.
//!
//! Beyond upstream, the log also holds *intents*: before sending, a clustered peer records
//! that it is notifying a group's receiver (gossiped at once), so the other peers wait for
//! its outcome instead of sending as well (see [`Intent`]).

mod intent;

pub use intent::Intent;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;

use prost::Message;

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

/// Called with the encoded `MeshEntry` (or intent) of every local change, for the cluster.
pub type Broadcast = std::sync::Arc<dyn Fn(Item) + Send + Sync>;

/// A local change to gossip.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An encoded `nflogpb.MeshEntry`.
    Entry(Vec<u8>),
    /// An encoded notification intent.
    Intent(Vec<u8>),
}

/// The notification log.
pub struct Nflog {
    entries: RwLock<HashMap<Key, Entry>>,
    intents: RwLock<HashMap<Key, Intent>>,
    clock: Clock,
    retention: Millis,
    snapshot: Option<PathBuf>,
    broadcast: RwLock<Option<Broadcast>>,
    changes: tokio::sync::Notify,
}

impl std::fmt::Debug for Nflog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nflog").field("len", &self.len()).finish()
    }
}

fn to_pb(e: &Entry) -> MeshEntry {
    MeshEntry {
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
    }
}

fn from_pb(m: MeshEntry) -> Option<Entry> {
    let expires_at = ts_millis(&m.expires_at);
    let e = m.entry?;
    let r = e.receiver.unwrap_or_default();
    let mut firing = e.firing_alerts;
    let mut resolved = e.resolved_alerts;
    firing.sort_unstable();
    resolved.sort_unstable();
    Some(Entry {
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
    })
}

/// Whether `new` replaces `old`: the later notification, ties broken by the encoding (a
/// total order, so merging is idempotent and commutative).
fn wins(new: &Entry, old: &Entry) -> bool {
    match new.timestamp.cmp(&old.timestamp) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => to_pb(new).encode_to_vec() > to_pb(old).encode_to_vec(),
    }
}

impl Nflog {
    /// A log keeping records for `retention` ms and snapshotting to `snapshot`.
    pub fn new(clock: Clock, retention: Millis, snapshot: Option<PathBuf>) -> Self {
        Nflog {
            entries: RwLock::new(HashMap::new()),
            intents: RwLock::new(HashMap::new()),
            clock,
            retention,
            snapshot,
            broadcast: RwLock::new(None),
            changes: tokio::sync::Notify::new(),
        }
    }

    /// Sets the hook that gossips local changes.
    pub fn set_broadcast(&self, b: Broadcast) {
        *self.broadcast.write().unwrap_or_else(|p| p.into_inner()) = Some(b);
    }

    fn gossip(&self, item: Item) {
        let b = self
            .broadcast
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(b) = b {
            b(item);
        }
    }

    /// Resolves when the log changes next (create it before checking the state).
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changes.notified()
    }

    /// Records a notification at `now` and gossips it.
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
        let item = Item::Entry(to_pb(&e).encode_to_vec());
        if self.merge(e) {
            self.gossip(item);
        }
    }

    /// Keeps `e` unless the record for the same key is newer (idempotent and commutative,
    /// as gossip needs). Returns whether it changed state.
    pub fn merge(&self, e: Entry) -> bool {
        let mut m = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let key = (e.group_key.clone(), e.receiver.clone());
        if let Some(old) = m.get(&key)
            && !wins(&e, old)
        {
            return false;
        }
        m.insert(key, e);
        drop(m);
        self.changes.notify_waiters();
        true
    }

    /// Merges one encoded `MeshEntry` from a peer; expired ones are ignored.
    pub fn merge_encoded(&self, data: &[u8]) -> Result<bool> {
        let m =
            MeshEntry::decode(data).map_err(|e| Error::Cluster(format!("bad nflog entry: {e}")))?;
        Ok(match from_pb(m) {
            Some(e) if e.expires_at > self.clock.now() => self.merge(e),
            _ => false,
        })
    }

    /// Every record, length-delimited (the full state a peer pulls).
    pub fn encode_all(&self) -> Vec<u8> {
        let msgs: Vec<MeshEntry> = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(to_pb)
            .collect();
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = write_delimited(&mut buf, msgs);
        buf
    }

    /// Merges a full state from [`Nflog::encode_all`]; returns how many records changed.
    pub fn merge_all(&self, data: &[u8]) -> Result<usize> {
        let msgs: Vec<MeshEntry> = read_delimited(&mut &data[..])
            .map_err(|e| Error::Cluster(format!("bad nflog state: {e}")))?;
        let now = self.clock.now();
        Ok(msgs
            .into_iter()
            .filter_map(from_pb)
            .filter(|e| e.expires_at > now)
            .map(|e| usize::from(self.merge(e)))
            .sum())
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

    /// Drops expired records and finished intents; returns how many records.
    pub fn gc(&self) -> usize {
        let now = self.clock.now();
        let mut m = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = m.len();
        m.retain(|_, e| e.expires_at > now);
        let n = before - m.len();
        drop(m);
        self.gc_intents(now);
        n
    }

    /// Writes the snapshot file; returns its size.
    pub fn snapshot(&self) -> Result<usize> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let buf = self.encode_all();
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
        Ok(msgs
            .into_iter()
            .filter_map(from_pb)
            .filter(|e| e.expires_at > now)
            .map(|e| usize::from(self.merge(e)))
            .sum())
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
