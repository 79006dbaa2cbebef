//! Getting and staying together: resolving `--cluster.peer`, the initial join (a push-pull
//! with every peer, so a late joiner has the full state before it settles), the periodic
//! push-pull, reconnecting to failed peers and re-resolving peer names.

use std::net::SocketAddr;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Cluster, Input, is_self};
use crate::error::Result;

/// Resolves `host:port` peers (IPs as they are, names through the system resolver).
pub async fn resolve(peers: &[String]) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for p in peers {
        match tokio::net::lookup_host(p.as_str()).await {
            Ok(addrs) => out.extend(addrs),
            Err(e) => tracing::warn!(peer = %p, err = %e, "Resolving a cluster peer failed."),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Exchanges full state with `addr` and announces ourselves to it.
pub async fn push_pull(c: &Cluster, addr: SocketAddr) -> Result<usize> {
    let ours = c.inner.state.full_state(&c.me());
    let theirs = c.inner.transport.push_pull(addr, &ours).await?;
    let n = c.inner.state.merge_full(&theirs)?;
    let _ = c.inner.inputs.send(Input::Announce(addr));
    Ok(n)
}

/// Joins every configured peer once; failures are logged and left to the refresh loop.
pub async fn initial_join(c: &Cluster) {
    let addrs = resolve(&c.inner.opts.peers).await;
    let mut joined = 0;
    for a in addrs.iter().filter(|a| !is_self(c, **a)) {
        match push_pull(c, *a).await {
            Ok(n) => {
                joined += 1;
                tracing::debug!(peer = %a, merged = n, "Joined a cluster peer.");
            }
            Err(e) => tracing::warn!(peer = %a, err = %e, "Unable to join gossip mesh."),
        }
    }
    if !c.inner.opts.peers.is_empty() {
        tracing::info!(joined, peers = addrs.len(), "Joined the cluster.");
    }
}

fn ticker(every: Duration) -> tokio::time::Interval {
    let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    t
}

/// Every push-pull interval, a full-state exchange with one random member.
pub async fn push_pull_loop(c: Cluster, cancel: CancellationToken) {
    let mut t = ticker(c.inner.opts.pushpull_interval);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = t.tick() => {}
        }
        let members = c.members();
        if members.is_empty() {
            continue;
        }
        let m = &members[fastrand::usize(..members.len())];
        if let Err(e) = push_pull(&c, m.addr).await {
            tracing::debug!(peer = ?m, err = %e, "Push-pull failed.");
        }
    }
}

/// Retries failed peers every reconnect interval until the reconnect timeout.
pub async fn reconnect_loop(c: Cluster, cancel: CancellationToken) {
    let o = &c.inner.opts;
    let mut t = ticker(o.reconnect_interval);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = t.tick() => {}
        }
        let failed: Vec<SocketAddr> = {
            let mut view = c.view_mut();
            view.failed.retain(|addr, f| {
                let keep = f.since.elapsed() < o.reconnect_timeout;
                if !keep {
                    tracing::info!(peer = %addr, "Failed peer has timed out; removed.");
                }
                keep
            });
            c.inner.metrics.failed_peers.set(view.failed.len() as f64);
            view.failed.keys().copied().collect()
        };
        for addr in failed {
            c.inner.metrics.reconnections.inc();
            match push_pull(&c, addr).await {
                Ok(_) => tracing::debug!(peer = %addr, "Reconnected to a failed peer."),
                Err(e) => {
                    c.inner.metrics.reconnections_failed.inc();
                    tracing::debug!(peer = %addr, err = %e, "Reconnecting failed.");
                }
            }
        }
    }
}

/// Re-resolves `--cluster.peer` and joins addresses that are not members.
pub async fn refresh_loop(c: Cluster, cancel: CancellationToken) {
    if c.inner.opts.peers.is_empty() {
        return;
    }
    let mut t = ticker(c.inner.opts.refresh_interval);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = t.tick() => {}
        }
        let known: Vec<SocketAddr> = c.members().iter().map(|m| m.addr).collect();
        for addr in resolve(&c.inner.opts.peers).await {
            if known.contains(&addr) || is_self(&c, addr) {
                continue;
            }
            c.inner.metrics.refresh_join.inc();
            if let Err(e) = push_pull(&c, addr).await {
                c.inner.metrics.refresh_join_failed.inc();
                tracing::debug!(peer = %addr, err = %e, "Refresh join failed.");
            }
        }
    }
}
