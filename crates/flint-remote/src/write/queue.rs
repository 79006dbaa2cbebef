//! One queue per `remote_write` endpoint: the watcher's steps (on a blocking thread) feed
//! the shards, the shard count follows the observed rate and latency, and the delivery
//! watermark is saved every few seconds and on shutdown.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::shards::{SendContext, Shards, now_ms};
use super::watcher::{Step, Watcher};

/// How often the watcher looks for new WAL data when it had caught up.
const POLL: Duration = Duration::from_millis(200);
/// How often the watermark is saved.
const SAVE_EVERY: Duration = Duration::from_secs(5);
/// How often the shard count is reconsidered (upstream's `shardUpdateDuration`).
const RESHARD_EVERY: Duration = Duration::from_secs(10);
/// How long shutdown waits for the shards to deliver what they hold.
const FLUSH_DEADLINE: Duration = Duration::from_secs(5);
/// Weight of the newest interval in the moving averages.
const EWMA_WEIGHT: f64 = 0.2;
/// Desired counts within this fraction of the current one do not reshard.
const TOLERANCE: f64 = 0.3;

/// The limits and moving averages behind the shard count.
#[derive(Debug)]
pub(crate) struct ShardPlanner {
    min: usize,
    max: usize,
    in_rate: Option<f64>,
    out_rate: Option<f64>,
    seconds_rate: Option<f64>,
    last_in: u64,
    last_out: u64,
    last_micros: u64,
}

fn ewma(prev: Option<f64>, now: f64) -> f64 {
    prev.map_or(now, |p| p + EWMA_WEIGHT * (now - p))
}

impl ShardPlanner {
    pub fn new(min: usize, max: usize) -> Self {
        ShardPlanner {
            min: min.max(1),
            max: max.max(min.max(1)),
            in_rate: None,
            out_rate: None,
            seconds_rate: None,
            last_in: 0,
            last_out: 0,
            last_micros: 0,
        }
    }

    /// Folds in the counters after `elapsed` and returns the shard count wanted: enough
    /// to send the incoming rate plus a twentieth of the backlog (`lag_secs` of input) per
    /// second, at the observed time per sample.
    pub fn desired(
        &mut self,
        elapsed: Duration,
        samples_in: u64,
        samples_out: u64,
        send_micros: u64,
        lag_secs: f64,
        current: usize,
    ) -> usize {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let rate = |now: u64, last: u64| now.saturating_sub(last) as f64 / secs;
        let in_rate = ewma(self.in_rate, rate(samples_in, self.last_in));
        let out_rate = ewma(self.out_rate, rate(samples_out, self.last_out));
        let seconds_rate = ewma(self.seconds_rate, rate(send_micros, self.last_micros) / 1e6);
        (self.in_rate, self.out_rate, self.seconds_rate) =
            (Some(in_rate), Some(out_rate), Some(seconds_rate));
        (self.last_in, self.last_out, self.last_micros) = (samples_in, samples_out, send_micros);
        if out_rate <= 0.0 {
            return current.clamp(self.min, self.max);
        }
        let per_sample = seconds_rate / out_rate;
        let backlog = lag_secs.max(0.0) * in_rate * 0.05;
        let want = (per_sample * (in_rate + backlog)).ceil();
        let cur = current as f64;
        if want >= cur * (1.0 - TOLERANCE) && want <= cur * (1.0 + TOLERANCE) {
            return current.clamp(self.min, self.max);
        }
        (want as usize).clamp(self.min, self.max)
    }
}

/// Runs one queue until `cancel`.
pub(crate) async fn run_queue(
    ctx: Arc<SendContext>,
    watcher: Watcher,
    mut planner: ShardPlanner,
    cancel: CancellationToken,
) {
    let abort = CancellationToken::new();
    let mut shards = Shards::start(planner.min, &ctx, &abort);
    let mut watcher = Some(watcher);
    let (mut last_save, mut last_plan) = (Instant::now(), Instant::now());
    let mut samples_in = 0u64;
    loop {
        let Some(mut w) = watcher.take() else { break };
        let stepped = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let step = w.step(&mut out);
            (w, out, step)
        })
        .await;
        let (w, out, step) = match stepped {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(remote_name = %ctx.name, error = %e, "WAL watcher failed");
                break;
            }
        };
        watcher = Some(w);
        samples_in += out.len() as u64;
        if !out.is_empty() {
            tokio::select! {
                () = cancel.cancelled() => break,
                ok = shards.enqueue(out) => if !ok { break },
            }
        }
        ctx.metrics.pending.set(ctx.progress.pending() as f64);
        if step == Step::Idle {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(POLL) => {}
            }
        }
        if last_save.elapsed() >= SAVE_EVERY {
            save(&ctx);
            last_save = Instant::now();
        }
        if last_plan.elapsed() >= RESHARD_EVERY {
            let lag = ctx.metrics.highest_in.get() - ctx.metrics.highest_sent.get();
            let want = planner.desired(
                last_plan.elapsed(),
                samples_in,
                ctx.stats.samples_out.load(Ordering::Relaxed),
                ctx.stats.send_micros.load(Ordering::Relaxed),
                lag,
                shards.len(),
            );
            last_plan = Instant::now();
            ctx.metrics.shards_desired.set(want as f64);
            // Upstream's rule: no resharding while sends fail (the old shards would not drain).
            let healthy = now_ms() - ctx.stats.last_success_ms.load(Ordering::Relaxed)
                < 2 * ctx.deadline.as_millis() as i64;
            if want != shards.len() && healthy {
                tracing::info!(remote_name = %ctx.name, from = shards.len(), to = want, "Remote storage resharding");
                // The new shards get samples only after the old ones drained, which keeps
                // every series in order.
                let old = std::mem::replace(&mut shards, Shards::start(want, &ctx, &abort));
                tokio::select! {
                    () = cancel.cancelled() => { abort.cancel(); break; }
                    () = old.stop() => {}
                }
            }
        }
    }
    if tokio::time::timeout(FLUSH_DEADLINE, shards.stop())
        .await
        .is_err()
    {
        tracing::warn!(remote_name = %ctx.name, "Shards did not flush in time; the rest is sent after the next start");
    }
    abort.cancel();
    save(&ctx);
}

fn save(ctx: &SendContext) {
    if let Err(e) = ctx.progress.save() {
        tracing::warn!(remote_name = %ctx.name, error = %e, "Saving the remote-write position failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_latency_and_stays_within_tolerance() {
        let mut p = ShardPlanner::new(1, 50);
        let s = Duration::from_secs(10);
        // 10k samples/s in and out, each send of 2000 taking 1s: 5 shards' worth.
        let d = p.desired(s, 100_000, 100_000, 50_000_000, 0.0, 1);
        assert_eq!(d, 5);
        // Next interval, the same: 5 stays 5; 6 is within 30 % of 5 so is kept too.
        assert_eq!(p.desired(s, 200_000, 200_000, 100_000_000, 0.0, 5), 5);
        assert_eq!(p.desired(s, 300_000, 300_000, 150_000_000, 0.0, 6), 6);
        // Clamped to max.
        let mut p = ShardPlanner::new(1, 3);
        assert_eq!(p.desired(s, 100_000, 100_000, 50_000_000, 0.0, 1), 3);
        // Nothing delivered: keep.
        let mut p = ShardPlanner::new(2, 10);
        assert_eq!(p.desired(s, 100_000, 0, 0, 0.0, 4), 4);
    }
}
