//! The intent step (beyond upstream): a clustered peer records in the nflog, gossiped,
//! that it is about to notify, and renews that lease while it retries; a later peer that
//! finds a live intent of another live member waits for its outcome (the nflog entry or the
//! release) before its own dedup, instead of sending too. See [`crate::nflog::Intent`].

use std::time::Duration;

use tokio::time::Instant;

use super::Deps;
use crate::nflog::{Intent, ReceiverKey};

/// This peer's lease on a notification.
pub(super) struct Lease<'a> {
    d: &'a Deps,
    intent: Intent,
    length: Duration,
}

impl<'a> Lease<'a> {
    /// Takes the lease for (group, receiver), started at the flush time; `None` unclustered.
    pub(super) fn take(
        d: &'a Deps,
        group_key: &str,
        receiver: &ReceiverKey,
        started: i64,
    ) -> Option<Lease<'a>> {
        let name = d.peer.name();
        if name.is_empty() {
            return None;
        }
        let length = (d.peer_timeout * 2).max(Duration::from_millis(100));
        let intent = Intent {
            group_key: group_key.to_string(),
            receiver: receiver.clone(),
            peer: name.to_string(),
            started,
            claimed: d.clock.now(),
            until: d.clock.now() + length.as_millis() as i64,
            released: false,
        };
        d.nflog.set_intent(intent.clone());
        Some(Lease { d, intent, length })
    }

    /// Extends the lease when half of it is used.
    pub(super) fn renew(&mut self) {
        let now = self.d.clock.now();
        let half = (self.length / 2).as_millis() as i64;
        if self.intent.until - now < half {
            self.intent.until = now + self.length.as_millis() as i64;
            self.d.nflog.set_intent(self.intent.clone());
        }
    }

    /// Sleeps `dur`, renewing the lease as it goes.
    pub(super) async fn sleep(&mut self, dur: Duration) {
        let end = Instant::now() + dur;
        loop {
            self.renew();
            let now = Instant::now();
            if now >= end {
                return;
            }
            tokio::time::sleep((end - now).min(self.length / 4)).await;
        }
    }

    /// Gives the lease up after a failed attempt, so others need not wait for it to run out.
    pub(super) fn release(mut self) {
        self.intent.released = true;
        self.intent.until = self.d.clock.now();
        self.d.nflog.set_intent(self.intent);
    }
}

/// Waits while another live member holds a live, unanswered intent for (group, receiver).
/// After a release, waiters take turns by position (so one of them takes over, not all).
/// Returns false when `deadline` came first.
pub(super) async fn wait_for_others(
    d: &Deps,
    group_key: &str,
    receiver: &ReceiverKey,
    deadline: Instant,
) -> bool {
    let me = d.peer.name();
    if me.is_empty() {
        return true;
    }
    let mut turn_at: Option<Instant> = None;
    loop {
        let changed = d.nflog.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let Some(i) = d.nflog.intent(group_key, receiver) else {
            return true;
        };
        let now = d.clock.now();
        let answered = d
            .nflog
            .query(group_key, receiver)
            .is_some_and(|e| e.timestamp >= i.started);
        if i.peer == me || answered || !d.peer.is_member(&i.peer) {
            return true;
        }
        let wake = if i.is_live(now) {
            tracing::debug!(peer = %i.peer, group = group_key, receiver = %receiver, "Waiting for another peer's notification.");
            // Recheck now and then, so a member that died is noticed.
            let recheck = Instant::now() + (d.peer_timeout / 2).max(Duration::from_millis(10));
            d.clock.instant_at(i.until).min(recheck)
        } else if i.released {
            // Released after failing: the next peer in line takes over first.
            let at = *turn_at.get_or_insert_with(|| {
                let turn = d.peer.position().saturating_sub(1);
                let step =
                    (d.peer_timeout / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
                Instant::now() + step * turn
            });
            if Instant::now() >= at {
                return true;
            }
            at
        } else {
            return true;
        };
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(wake) => {}
            _ = tokio::time::sleep_until(deadline) => return false,
        }
    }
}
