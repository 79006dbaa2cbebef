//! The foca loop: feeds it packets, timers and local changes, sends what it asks, and
//! keeps the shared view of members (and the metrics) up to date after every step.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::num::{NonZeroU8, NonZeroUsize};
use std::time::Duration;

use foca::{AccumulatingRuntime, Foca, OwnedNotification, PeriodicParams, PostcardCodec, Timer};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::identity::PeerId;
use super::metrics::UPDATE;
use super::state::Handler;
use super::transport::Incoming;
use super::{Cluster, Failed, Input, Options};
use crate::notify::Peer;

/// foca packets stay under a typical MTU.
const MAX_PACKET: usize = 1400;
/// Items larger than this go over TCP (room is left for foca's header and updates).
const MAX_ITEM: usize = 1000;
/// Upper bound of the health score, as memberlist's awareness.
const MAX_HEALTH: u32 = 8;

type Node = Foca<PeerId, PostcardCodec, SmallRng, Handler>;

/// foca's config from our flags (memberlist's LAN defaults, scaled by them).
fn config(o: &Options) -> foca::Config {
    let nz = |n: usize| NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
    let probe = o.probe_interval.max(Duration::from_millis(2));
    let rtt = o.probe_timeout.min(probe / 2).max(Duration::from_millis(1));
    foca::Config {
        probe_period: probe,
        probe_rtt: rtt,
        num_indirect_probes: nz(3),
        max_transmissions: NonZeroU8::new(6).unwrap_or(NonZeroU8::MIN),
        suspect_to_down_after: probe * 4,
        remove_down_after: Some(o.reconnect_timeout.max(Duration::from_secs(60))),
        max_packet_size: nz(MAX_PACKET),
        notify_down_members: true,
        periodic_announce: Some(PeriodicParams {
            frequency: o.pushpull_interval.max(Duration::from_millis(100)),
            num_members: nz(1),
        }),
        periodic_announce_to_down_members: Some(PeriodicParams {
            frequency: o.reconnect_interval.max(Duration::from_millis(100)),
            num_members: nz(2),
        }),
        periodic_gossip: Some(PeriodicParams {
            frequency: o.gossip_interval.max(Duration::from_millis(1)),
            num_members: nz(3),
        }),
    }
}

struct Loop {
    c: Cluster,
    foca: Node,
    rt: AccumulatingRuntime<PeerId>,
    timers: BinaryHeap<Reverse<(Instant, u64, Timer<PeerId>)>>,
    seq: u64,
}

/// Runs until `cancel`, then leaves the cluster.
pub(super) async fn run(
    c: Cluster,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    mut net: mpsc::Receiver<Incoming>,
    cancel: CancellationToken,
) {
    let handler = Handler {
        state: c.inner.state.clone(),
        metrics: c.inner.metrics.clone(),
    };
    let foca = Foca::with_custom_broadcast(
        c.me(),
        config(&c.inner.opts),
        SmallRng::seed_from_u64(fastrand::u64(..)),
        PostcardCodec,
        handler,
    );
    let mut l = Loop {
        c,
        foca,
        rt: AccumulatingRuntime::new(),
        timers: BinaryHeap::new(),
        seq: 0,
    };
    loop {
        let next = l.timers.peek().map(|Reverse((at, _, _))| *at);
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(i) = inputs.recv() => l.input(i),
            Some(n) = net.recv() => l.incoming(n),
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => l.fire_timers(),
        }
        l.drain();
    }
    if let Err(e) = l.foca.leave_cluster(&mut l.rt) {
        tracing::debug!(err = %e, "Leaving the cluster failed.");
    }
    l.drain();
    tracing::info!("Left the cluster.");
}

impl Loop {
    fn input(&mut self, i: Input) {
        let r = match i {
            Input::Broadcast(item) if item.len() > MAX_ITEM => {
                self.send_oversized(item);
                Ok(())
            }
            Input::Broadcast(item) => {
                self.c.inner.metrics.on_sent(UPDATE, item.len());
                match self.foca.add_broadcast(&item) {
                    Ok(_) => self.foca.broadcast(&mut self.rt),
                    Err(e) => Err(e),
                }
            }
            Input::Announce(addr) if addr == self.foca.identity().addr => Ok(()),
            Input::Announce(addr) => self.foca.announce(PeerId::address_only(addr), &mut self.rt),
        };
        if let Err(e) = r {
            self.c.inner.metrics.on_publish_failure("other");
            tracing::debug!(err = %e, "Cluster input failed.");
        }
    }

    /// Items too large for a packet go to every member over TCP.
    fn send_oversized(&self, item: Vec<u8>) {
        let item = std::sync::Arc::new(item);
        for m in self.c.members() {
            let (t, item, metrics) = (
                self.c.inner.transport.clone(),
                item.clone(),
                self.c.inner.metrics.clone(),
            );
            tokio::spawn(async move {
                match t.send_item(m.addr, &item).await {
                    Ok(()) => metrics.on_sent(UPDATE, item.len()),
                    Err(e) => {
                        metrics.on_publish_failure("oversize");
                        tracing::debug!(peer = ?m, err = %e, "Sending an oversized item failed.");
                    }
                }
            });
        }
    }

    fn incoming(&mut self, n: Incoming) {
        match n {
            Incoming::Packet(p) => {
                if let Err(e) = self.foca.handle_data(&p, &mut self.rt) {
                    tracing::trace!(err = %e, "Dropped a cluster packet.");
                }
            }
            Incoming::Item(item) => {
                self.c.inner.metrics.on_received(UPDATE, item.len());
                if let Err(e) = self.c.inner.state.merge_item(&item) {
                    tracing::debug!(err = %e, "Dropped a bad item.");
                }
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, _, t))) = self.timers.pop() else {
                break;
            };
            if let Err(e) = self.foca.handle_timer(t, &mut self.rt) {
                tracing::debug!(err = %e, "Cluster timer failed.");
            }
        }
    }

    /// Sends, schedules and reacts to what the last step produced.
    fn drain(&mut self) {
        while let Some((to, data)) = self.rt.to_send() {
            self.c.inner.transport.send_packet(to.addr, &data);
        }
        let now = Instant::now();
        while let Some((after, t)) = self.rt.to_schedule() {
            self.seq += 1;
            self.timers.push(Reverse((now + after, self.seq, t)));
        }
        let mut changed = false;
        while let Some(n) = self.rt.to_notify() {
            changed = true;
            self.notified(n);
        }
        if changed {
            self.update_view();
        }
        self.c
            .inner
            .metrics
            .queued
            .set(self.foca.custom_broadcast_backlog() as f64);
    }

    fn notified(&mut self, n: OwnedNotification<PeerId>) {
        let m = &self.c.inner.metrics;
        let mut view = self.c.view_mut();
        match n {
            OwnedNotification::MemberUp(id) => {
                m.joined.inc();
                view.failed.remove(&id.addr);
                view.health = view.health.saturating_sub(1);
                tracing::debug!(peer = ?id, "Peer joined.");
            }
            OwnedNotification::MemberDown(id) => {
                m.left.inc();
                view.failed.insert(
                    id.addr,
                    Failed {
                        since: Instant::now(),
                    },
                );
                view.health = (view.health + 1).min(MAX_HEALTH);
                tracing::info!(peer = ?id, "Peer left or failed.");
            }
            OwnedNotification::Rename(old, new) => {
                tracing::debug!(old = ?old, new = ?new, "Peer renamed.");
            }
            OwnedNotification::Rejoin(id) => {
                view.health = (view.health + 1).min(MAX_HEALTH);
                *self.c.inner.me.write().unwrap_or_else(|p| p.into_inner()) = id;
                tracing::info!("Declared down by the cluster; rejoined.");
            }
            OwnedNotification::Defunct => {
                view.health = (view.health + 1).min(MAX_HEALTH);
                tracing::warn!("Declared down by the cluster.");
            }
            OwnedNotification::Active => view.health = view.health.saturating_sub(1),
            OwnedNotification::Idle => tracing::debug!("No other cluster members."),
        }
    }

    fn update_view(&mut self) {
        let members: Vec<PeerId> = self.foca.iter_members().map(|m| m.id().clone()).collect();
        let mut view = self.c.view_mut();
        view.members = members;
        let m = &self.c.inner.metrics;
        m.members.set((view.members.len() + 1) as f64);
        m.failed_peers.set(view.failed.len() as f64);
        m.health_score.set(f64::from(view.health));
        drop(view);
        m.position.set(f64::from(self.c.position()));
    }
}
