//! Notification intents (beyond upstream): "peer P is notifying receiver R about group G,
//! started at S, lease until U". They are gossiped like nflog entries and merged with the
//! same rules (a total order: later start, then released, then later lease end, then peer).
//!
//! Upstream users get duplicate pages when a receiver fails and recovers: every peer's
//! wait stage runs out while the first one is still retrying, so each sends too. With
//! intents, a later peer that sees a live intent of another live peer waits for its outcome
//! (the nflog entry, or the release) instead of sending.

use prost::Message;

use super::{Item, Key, Nflog, ReceiverKey};
use crate::cluster::wire::PbIntent;
use crate::error::{Error, Result};
use crate::pb::PbReceiver;
use crate::time::Millis;

/// How long a finished intent is kept before it is forgotten.
const KEEP_AFTER: Millis = 60_000;

/// One intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The group key.
    pub group_key: String,
    /// The receiver integration.
    pub receiver: ReceiverKey,
    /// The sending peer's name.
    pub peer: String,
    /// Wall time of the flush (the nflog entry it leads to carries this timestamp).
    pub started: Millis,
    /// When the lease was taken: a later claim (another peer taking over) wins.
    pub claimed: Millis,
    /// End of the lease; the owner renews it while it retries.
    pub until: Millis,
    /// The attempt ended without success.
    pub released: bool,
}

impl Intent {
    fn order(&self) -> (Millis, bool, Millis, &str, Millis) {
        (
            self.claimed,
            self.released,
            self.until,
            &self.peer,
            self.started,
        )
    }

    /// Whether the intent still holds at `now`.
    pub fn is_live(&self, now: Millis) -> bool {
        !self.released && self.until > now
    }

    fn to_pb(&self) -> PbIntent {
        PbIntent {
            group_key: self.group_key.as_bytes().to_vec(),
            receiver: Some(PbReceiver {
                group_name: self.receiver.group_name.clone(),
                integration: self.receiver.integration.clone(),
                idx: self.receiver.idx,
            }),
            peer: self.peer.clone(),
            started_ms: self.started,
            until_ms: self.until,
            released: self.released,
            claimed_ms: self.claimed,
        }
    }

    fn from_pb(p: PbIntent) -> Intent {
        let r = p.receiver.unwrap_or_default();
        Intent {
            group_key: String::from_utf8_lossy(&p.group_key).into_owned(),
            receiver: ReceiverKey {
                group_name: r.group_name,
                integration: r.integration,
                idx: r.idx,
            },
            peer: p.peer,
            started: p.started_ms,
            until: p.until_ms,
            released: p.released,
            claimed: p.claimed_ms,
        }
    }

    fn key(&self) -> Key {
        (self.group_key.clone(), self.receiver.clone())
    }
}

impl Nflog {
    /// Records (or renews, or releases) this peer's intent and gossips it.
    pub fn set_intent(&self, i: Intent) {
        let item = Item::Intent(i.to_pb().encode_to_vec());
        if self.merge_intent(i) {
            self.gossip(item);
        }
    }

    /// Merges an intent; returns whether it changed state.
    pub fn merge_intent(&self, i: Intent) -> bool {
        let mut m = self.intents.write().unwrap_or_else(|p| p.into_inner());
        let key = i.key();
        if let Some(old) = m.get(&key)
            && old.order() >= i.order()
        {
            return false;
        }
        m.insert(key, i);
        drop(m);
        self.changes.notify_waiters();
        true
    }

    /// Merges one encoded intent from a peer.
    pub fn merge_encoded_intent(&self, data: &[u8]) -> Result<bool> {
        let p = PbIntent::decode(data).map_err(|e| Error::Cluster(format!("bad intent: {e}")))?;
        Ok(self.merge_intent(Intent::from_pb(p)))
    }

    /// The latest intent for a group and receiver integration.
    pub fn intent(&self, group_key: &str, receiver: &ReceiverKey) -> Option<Intent> {
        self.intents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(group_key.to_string(), receiver.clone()))
            .cloned()
    }

    /// Every intent, length-delimited (part of the full state).
    pub fn encode_intents(&self) -> Vec<u8> {
        let msgs: Vec<PbIntent> = self
            .intents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(Intent::to_pb)
            .collect();
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = crate::pb::write_delimited(&mut buf, msgs);
        buf
    }

    /// Merges intents from [`Nflog::encode_intents`].
    pub fn merge_intents(&self, data: &[u8]) -> Result<usize> {
        let msgs: Vec<PbIntent> = crate::pb::read_delimited(&mut &data[..])
            .map_err(|e| Error::Cluster(format!("bad intents: {e}")))?;
        Ok(msgs
            .into_iter()
            .map(|p| usize::from(self.merge_intent(Intent::from_pb(p))))
            .sum())
    }

    pub(super) fn gc_intents(&self, now: Millis) {
        self.intents
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, i| i.until + KEEP_AFTER > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Clock;

    fn intent(peer: &str, claimed: Millis, until: Millis, released: bool) -> Intent {
        Intent {
            group_key: "g".into(),
            receiver: ReceiverKey {
                group_name: "r".into(),
                integration: "webhook".into(),
                idx: 0,
            },
            peer: peer.into(),
            started: 5,
            claimed,
            until,
            released,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn later_claim_then_release_then_renewal_wins() {
        let l = Nflog::new(Clock::starting_at(0), 60_000, None);
        let r = intent("a", 10, 20, false).receiver;
        assert!(l.merge_intent(intent("a", 10, 20, false)));
        assert!(!l.merge_intent(intent("a", 10, 20, false)));
        assert!(l.merge_intent(intent("a", 10, 30, false)));
        assert!(!l.merge_intent(intent("a", 10, 25, false)));
        assert!(l.merge_intent(intent("a", 10, 25, true)));
        assert!(l.intent("g", &r).is_some_and(|i| !i.is_live(0)));
        assert!(l.merge_intent(intent("b", 11, 12, false)));
        assert!(l.intent("g", &r).is_some_and(|i| i.is_live(11)));
        // Round trip through the encoded state.
        let m = Nflog::new(Clock::starting_at(0), 60_000, None);
        assert_eq!(m.merge_intents(&l.encode_intents()).expect("merge"), 1);
        assert_eq!(m.intent("g", &r), l.intent("g", &r));
        assert!(m.merge_intents(&[5, 1]).is_err());
    }
}
