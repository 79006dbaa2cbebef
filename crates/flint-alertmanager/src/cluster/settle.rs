//! Settling: a new peer holds back notifications until membership looks stable (the member
//! count unchanged for three checks, one every ten gossip intervals, as upstream) or the
//! settle timeout has passed.

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Cluster;

/// Consecutive stable checks needed.
pub const NUM_OKAY_REQUIRED: u32 = 3;

/// Waits for the membership to settle, then marks the peer ready.
pub async fn run(c: Cluster, cancel: CancellationToken) {
    let interval = c.inner.opts.gossip_interval * 10;
    let deadline = Instant::now() + c.inner.opts.settle_timeout;
    let start = Instant::now();
    let (mut peers, mut okay) = (usize::MAX, 0);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep_until(deadline) => {
                tracing::info!(elapsed = ?start.elapsed(), "Gossip not settled but continuing anyway.");
                break;
            }
            _ = tokio::time::sleep(interval) => {}
        }
        let n = c.members().len();
        if n == peers {
            okay += 1;
        } else {
            okay = 0;
        }
        peers = n;
        if okay >= NUM_OKAY_REQUIRED - 1 {
            tracing::info!(elapsed = ?start.elapsed(), peers = n + 1, "Gossip settled; proceeding.");
            break;
        }
    }
    c.inner.settled.send_replace(true);
}
