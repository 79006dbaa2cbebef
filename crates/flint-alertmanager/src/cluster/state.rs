//! The replicated state: silences and the notification log (with intents), as gossiped
//! items and as the full state of push-pull; and foca's broadcast handler, which merges
//! items from peers and keeps disseminating only those that changed something.

use std::sync::Arc;

use prost::Message;

use super::identity::PeerId;
use super::metrics::{ClusterMetrics, UPDATE};
use super::wire::{self, FullState, ITEM_INTENT, ITEM_NFLOG, ITEM_SILENCE, PbIntent};
use crate::error::{Error, Result};
use crate::nflog::Nflog;
use crate::pb::{MeshEntry, MeshSilence};
use crate::silence::Silences;

/// Silences and nflog, as the cluster shares them.
#[derive(Debug, Clone)]
pub struct Replicated {
    /// Silences.
    pub silences: Arc<Silences>,
    /// The notification log.
    pub nflog: Arc<Nflog>,
}

impl Replicated {
    /// Merges one gossiped item; returns whether it changed our state.
    pub fn merge_item(&self, data: &[u8]) -> Result<bool> {
        let (&kind, body) = data
            .split_first()
            .ok_or_else(|| Error::Cluster("empty item".into()))?;
        match kind {
            ITEM_SILENCE => self.silences.merge_encoded(body),
            ITEM_NFLOG => self.nflog.merge_encoded(body),
            ITEM_INTENT => self.nflog.merge_encoded_intent(body),
            other => Err(Error::Cluster(format!("unknown item kind {other}"))),
        }
    }

    /// Our full state, sent in push-pull.
    pub fn full_state(&self, me: &PeerId) -> FullState {
        FullState {
            name: me.name.clone(),
            addr: me.addr.to_string(),
            silences: self.silences.encode_all(),
            nflog: self.nflog.encode_all(),
            intents: self.nflog.encode_intents(),
        }
    }

    /// Merges a peer's full state; returns how many items changed ours.
    pub fn merge_full(&self, fs: &FullState) -> Result<usize> {
        Ok(self.silences.merge_all(&fs.silences)?
            + self.nflog.merge_all(&fs.nflog)?
            + self.nflog.merge_intents(&fs.intents)?)
    }
}

/// Identifies an item in foca's dissemination backlog: a newer version of the same
/// silence or nflog key replaces the one not yet fully sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    kind: u8,
    id: Vec<u8>,
}

impl foca::Invalidates for ItemKey {
    fn invalidates(&self, other: &Self) -> bool {
        self == other
    }
}

/// The key of an encoded item.
pub fn item_key(data: &[u8]) -> Result<ItemKey> {
    let bad = |e: prost::DecodeError| Error::Cluster(format!("bad item: {e}"));
    let (&kind, body) = data
        .split_first()
        .ok_or_else(|| Error::Cluster("empty item".into()))?;
    let id = match kind {
        ITEM_SILENCE => MeshSilence::decode(body)
            .map_err(bad)?
            .silence
            .map(|s| s.id.into_bytes())
            .unwrap_or_default(),
        ITEM_NFLOG => {
            let e = MeshEntry::decode(body)
                .map_err(bad)?
                .entry
                .unwrap_or_default();
            receiver_id(e.group_key, e.receiver)
        }
        ITEM_INTENT => {
            let i = PbIntent::decode(body).map_err(bad)?;
            receiver_id(i.group_key, i.receiver)
        }
        other => return Err(Error::Cluster(format!("unknown item kind {other}"))),
    };
    Ok(ItemKey { kind, id })
}

fn receiver_id(mut group_key: Vec<u8>, r: Option<crate::pb::PbReceiver>) -> Vec<u8> {
    let r = r.unwrap_or_default();
    group_key.push(0);
    group_key.extend_from_slice(format!("{}/{}/{}", r.group_name, r.integration, r.idx).as_bytes());
    group_key
}

/// Foca's handler of custom broadcasts.
pub struct Handler {
    /// Where items merge.
    pub state: Replicated,
    /// Message counters.
    pub metrics: ClusterMetrics,
}

impl foca::BroadcastHandler<PeerId> for Handler {
    type Key = ItemKey;
    type Error = Error;

    fn receive_item(
        &mut self,
        data: &[u8],
        sender: Option<&PeerId>,
    ) -> std::result::Result<Option<ItemKey>, Error> {
        let key = item_key(data)?;
        // Our own changes (no sender) are already merged: always disseminate them.
        if sender.is_none() {
            return Ok(Some(key));
        }
        self.metrics.on_received(UPDATE, data.len());
        Ok(self.state.merge_item(data)?.then_some(key))
    }
}

/// Wraps local changes of silences and nflog as items for the cluster.
pub fn silence_item(pb: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(pb.len() + 1);
    out.push(ITEM_SILENCE);
    out.extend_from_slice(&pb);
    out
}

/// An nflog change as an item.
pub fn nflog_item(item: crate::nflog::Item) -> Vec<u8> {
    let (kind, pb) = match item {
        crate::nflog::Item::Entry(pb) => (ITEM_NFLOG, pb),
        crate::nflog::Item::Intent(pb) => (ITEM_INTENT, pb),
    };
    let mut out = Vec::with_capacity(pb.len() + 1);
    out.push(kind);
    out.extend_from_slice(&pb);
    out
}

/// Decodes a full state frame.
pub fn decode_full(data: &[u8]) -> Result<FullState> {
    wire::decode_full(data)
}
