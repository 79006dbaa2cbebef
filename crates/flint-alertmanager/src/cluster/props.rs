//! Properties of the merges the gossip relies on: whatever the order of arrival and however
//! often an item arrives, every peer ends with the same silences, nflog and intents.

use std::sync::Arc;

use flint_model::Matcher;
use proptest::prelude::*;

use super::state::Replicated;
use crate::nflog::{Entry, Intent, Nflog, ReceiverKey};
use crate::pb::{MeshEntry, MeshSilence, read_delimited};
use crate::silence::{Limits, Silence, Silences};
use crate::time::Clock;

const FAR: i64 = 1 << 50;

#[derive(Debug, Clone)]
enum Op {
    Silence(Silence, i64),
    Entry(Entry),
    Intent(Intent),
}

fn receiver(idx: u32) -> ReceiverKey {
    ReceiverKey {
        group_name: "r".into(),
        integration: "webhook".into(),
        idx,
    }
}

fn op() -> impl Strategy<Value = Op> {
    // Few keys and timestamps, so that updates of one key and ties are common.
    let silence = (0..3u8, 0..4i64, 0..3u8, 0..2i64).prop_map(|(id, upd, c, exp)| {
        Op::Silence(
            Silence {
                id: format!("s{id}"),
                matchers: vec![Matcher::equal("a", format!("v{c}"))],
                starts_at: 0,
                ends_at: 10 + upd,
                updated_at: upd,
                created_by: "p".into(),
                comment: format!("c{c}"),
            },
            FAR + exp,
        )
    });
    let entry = (
        0..2u8,
        0..2u32,
        0..4i64,
        proptest::collection::vec(0..4u64, 0..3),
    )
        .prop_map(|(g, r, ts, mut firing)| {
            firing.sort_unstable();
            firing.dedup();
            Op::Entry(Entry {
                group_key: format!("g{g}"),
                receiver: receiver(r),
                timestamp: ts,
                firing,
                resolved: vec![],
                expires_at: FAR,
            })
        });
    let intent = (0..2u8, 0..3i64, 0..3i64, any::<bool>(), 0..2u8).prop_map(
        |(g, started, until, released, p)| {
            Op::Intent(Intent {
                group_key: format!("g{g}"),
                receiver: receiver(0),
                peer: format!("p{p}"),
                started: 1,
                claimed: started,
                until: FAR + until,
                released,
            })
        },
    );
    prop_oneof![silence, entry, intent]
}

fn peer() -> Replicated {
    let clock = Clock::starting_at(0);
    Replicated {
        silences: Arc::new(Silences::new(clock.clone(), 1, Limits::default(), None)),
        nflog: Arc::new(Nflog::new(clock, 1, None)),
    }
}

fn apply(r: &Replicated, op: &Op) {
    match op {
        Op::Silence(s, exp) => {
            r.silences.merge(s.clone(), *exp);
        }
        Op::Entry(e) => {
            r.nflog.merge(e.clone());
        }
        Op::Intent(i) => {
            r.nflog.merge_intent(i.clone());
        }
    }
}

/// Sorted encoded messages.
type Messages = Vec<Vec<u8>>;

/// The state as sorted encoded messages, independent of map order.
fn canon(r: &Replicated) -> (Messages, Messages, Messages) {
    use prost::Message;
    let sil: Vec<MeshSilence> =
        read_delimited(&mut &r.silences.encode_all()[..]).unwrap_or_default();
    let nfl: Vec<MeshEntry> = read_delimited(&mut &r.nflog.encode_all()[..]).unwrap_or_default();
    let int: Vec<super::wire::PbIntent> =
        read_delimited(&mut &r.nflog.encode_intents()[..]).unwrap_or_default();
    let sorted = |mut v: Vec<Vec<u8>>| {
        v.sort();
        v
    };
    (
        sorted(sil.iter().map(Message::encode_to_vec).collect()),
        sorted(nfl.iter().map(Message::encode_to_vec).collect()),
        sorted(int.iter().map(Message::encode_to_vec).collect()),
    )
}

proptest! {
    #[test]
    fn merge_is_commutative_and_idempotent(
        ops in proptest::collection::vec(op(), 1..24),
        seed in any::<u64>(),
    ) {
        let forward = peer();
        ops.iter().for_each(|o| apply(&forward, o));
        // Another order, every item delivered twice.
        let mut shuffled: Vec<&Op> = ops.iter().chain(ops.iter()).collect();
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let other = peer();
        shuffled.iter().for_each(|o| apply(&other, o));
        prop_assert_eq!(canon(&forward), canon(&other));
        // A full-state exchange changes nothing between converged peers, in either direction.
        let me = super::PeerId::address_only("127.0.0.1:1".parse().expect("addr"));
        prop_assert_eq!(other.merge_full(&forward.full_state(&me)).ok(), Some(0));
        prop_assert_eq!(forward.merge_full(&other.full_state(&me)).ok(), Some(0));
    }

    #[test]
    fn full_state_merge_converges_two_diverged_peers(
        a_ops in proptest::collection::vec(op(), 0..16),
        b_ops in proptest::collection::vec(op(), 0..16),
    ) {
        let (a, b) = (peer(), peer());
        a_ops.iter().for_each(|o| apply(&a, o));
        b_ops.iter().for_each(|o| apply(&b, o));
        let me = super::PeerId::address_only("127.0.0.1:1".parse().expect("addr"));
        let (fa, fb) = (a.full_state(&me), b.full_state(&me));
        prop_assert!(a.merge_full(&fb).is_ok());
        prop_assert!(b.merge_full(&fa).is_ok());
        prop_assert_eq!(canon(&a), canon(&b));
    }
}
