//! The shards of a queue: each sends the samples of the series hashed to it, in order, in
//! batches of `max_samples_per_send` (or what arrived within `batch_send_deadline`), and
//! retries a batch with exponential backoff until it is delivered, refused for good, or the
//! queue stops. A shard holds at most `capacity` samples; beyond that the watcher waits,
//! and the backlog stays in the WAL.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::client::WriteClient;
use super::encode::{Pending, encode_request, encode_request_v2};
use super::metrics::QueueMetrics;
use super::progress::Progress;
use crate::error::WriteError;

/// What every shard of a queue shares.
#[derive(Debug)]
pub(crate) struct SendContext {
    pub name: String,
    pub client: WriteClient,
    pub max_samples: usize,
    pub capacity: usize,
    pub deadline: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub metrics: QueueMetrics,
    pub progress: Arc<Progress>,
    pub stats: SendStats,
}

/// Counters the shard-count calculation reads.
#[derive(Debug, Default)]
pub(crate) struct SendStats {
    /// Samples delivered.
    pub samples_out: AtomicU64,
    /// Microseconds spent in successful sends.
    pub send_micros: AtomicU64,
    /// When the last send succeeded (ms since the Unix epoch; 0 = never).
    pub last_success_ms: AtomicI64,
    /// Highest timestamp delivered.
    highest_sent: AtomicI64,
}

impl SendStats {
    /// The newest sample time delivered (ms; `i64::MIN` before the first delivery).
    pub fn highest_sent_ms(&self) -> i64 {
        self.highest_sent.load(Ordering::Relaxed)
    }

    /// Records a delivered batch; returns the highest timestamp delivered so far, in seconds.
    fn sent(&self, n: usize, took: Duration, max_t: i64) -> f64 {
        self.samples_out.fetch_add(n as u64, Ordering::Relaxed);
        self.send_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.last_success_ms.store(now_ms(), Ordering::Relaxed);
        let prev = self.highest_sent.fetch_max(max_t, Ordering::Relaxed);
        prev.max(max_t) as f64 / 1000.0
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

struct Shard {
    tx: mpsc::UnboundedSender<Vec<Pending>>,
    room: Arc<Semaphore>,
}

/// A running set of shards.
pub(crate) struct Shards {
    shards: Vec<Shard>,
    tasks: JoinSet<()>,
    /// Samples a shard holds at most.
    capacity: usize,
}

impl Shards {
    /// Starts `n` shards (at least one); `abort` stops their sends and retries.
    pub fn start(n: usize, ctx: &Arc<SendContext>, abort: &CancellationToken) -> Self {
        let mut tasks = JoinSet::new();
        let shards = (0..n.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                let room = Arc::new(Semaphore::new(ctx.capacity));
                tasks.spawn(run_shard(
                    Arc::clone(ctx),
                    rx,
                    Arc::clone(&room),
                    abort.clone(),
                ));
                Shard { tx, room }
            })
            .collect();
        ctx.metrics.shards.set(n.max(1) as f64);
        Shards {
            shards,
            tasks,
            capacity: ctx.capacity,
        }
    }

    /// How many shards run.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// Hands samples to their series' shards, waiting while a shard is full. Returns false
    /// when the shards stopped (the queue is shutting down).
    pub async fn enqueue(&self, samples: Vec<(u64, Pending)>) -> bool {
        let n = self.shards.len() as u64;
        let mut per: Vec<Vec<Pending>> = (0..n).map(|_| Vec::new()).collect();
        for (r, p) in samples {
            per[(r % n) as usize].push(p);
        }
        for (shard, mut list) in self.shards.iter().zip(per) {
            while !list.is_empty() {
                let rest = list.split_off(list.len().min(self.capacity));
                let Ok(permit) = shard.room.acquire_many(list.len() as u32).await else {
                    return false;
                };
                permit.forget();
                if shard.tx.send(list).is_err() {
                    return false;
                }
                list = rest;
            }
        }
        true
    }

    /// Closes the shards' queues and waits until each sent what it holds.
    pub async fn stop(mut self) {
        self.shards.clear();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn run_shard(
    ctx: Arc<SendContext>,
    mut rx: mpsc::UnboundedReceiver<Vec<Pending>>,
    room: Arc<Semaphore>,
    abort: CancellationToken,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(ctx.max_samples);
    let mut enc = RequestEncoder::new();
    let mut deadline = Box::pin(tokio::time::sleep(ctx.deadline));
    loop {
        tokio::select! {
            biased;
            () = abort.cancelled() => return,
            msg = rx.recv() => {
                let Some(chunk) = msg else { break };
                if batch.is_empty() {
                    deadline.as_mut().reset(tokio::time::Instant::now() + ctx.deadline);
                }
                room.add_permits(chunk.len());
                batch.extend(chunk);
                while batch.len() >= ctx.max_samples {
                    send(&ctx, &batch[..ctx.max_samples], &mut enc, &abort).await;
                    batch.drain(..ctx.max_samples);
                    deadline.as_mut().reset(tokio::time::Instant::now() + ctx.deadline);
                }
            }
            () = &mut deadline, if !batch.is_empty() => {
                send(&ctx, &batch, &mut enc, &abort).await;
                batch.clear();
            }
        }
    }
    // The queue closed: what is left (less than a batch) goes out now.
    send(&ctx, &batch, &mut enc, &abort).await;
}

/// A shard's buffers for building requests, kept between batches.
struct RequestEncoder {
    raw: Vec<u8>,
    snappy: snap::raw::Encoder,
}

impl RequestEncoder {
    fn new() -> Self {
        RequestEncoder {
            raw: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }

    /// The snappy-compressed request for `batch`, 2.0 when `v2`.
    fn encode(&mut self, batch: &[Pending], v2: bool) -> Result<Bytes, snap::Error> {
        self.raw.clear();
        if v2 {
            encode_request_v2(batch, &mut self.raw);
        } else {
            encode_request(batch, &mut self.raw);
        }
        self.snappy.compress_vec(&self.raw).map(Bytes::from)
    }
}

/// The request body for `batch`; `None` (logged) if compressing failed.
fn compress(enc: &mut RequestEncoder, batch: &[Pending], v2: bool) -> Option<Bytes> {
    enc.encode(batch, v2)
        .inspect_err(|e| tracing::error!(error = %e, "Compressing a remote-write request failed"))
        .ok()
}

/// Sends one batch until it is delivered, refused for good, or `abort` fires (then it
/// stays unacknowledged, and is sent again from the WAL after a restart).
async fn send(
    ctx: &SendContext,
    batch: &[Pending],
    enc: &mut RequestEncoder,
    abort: &CancellationToken,
) {
    if batch.is_empty() {
        return;
    }
    let mut v2 = ctx.client.v2();
    let Some(mut body) = compress(enc, batch, v2) else {
        return;
    };
    let max_t = batch.iter().map(|p| p.t).max().unwrap_or(i64::MIN);
    let mut backoff = ctx.min_backoff;
    let mut attempt = 0u32;
    loop {
        let started = Instant::now();
        let res = tokio::select! {
            biased;
            () = abort.cancelled() => return,
            r = ctx.client.store(body.clone(), attempt, v2) => r,
        };
        let took = started.elapsed();
        ctx.metrics.batch_duration.observe(took.as_secs_f64());
        match res {
            Ok(()) => {
                ctx.metrics.samples.inc_by(batch.len() as u64);
                ctx.metrics.bytes.inc_by(body.len() as u64);
                let highest = ctx.stats.sent(batch.len(), took, max_t);
                ctx.metrics.highest_sent.set(highest);
                break;
            }
            Err(WriteError::Recoverable {
                reason,
                retry_after,
            }) => {
                ctx.metrics.retried.inc_by(batch.len() as u64);
                let wait = retry_after.unwrap_or(backoff);
                tracing::warn!(remote_name = %ctx.name, error = %reason, retry_in = ?wait, "Failed to send batch, retrying");
                tokio::select! {
                    () = abort.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                backoff = (backoff * 2).min(ctx.max_backoff);
                attempt += 1;
            }
            Err(WriteError::NotV2(reason)) => {
                if ctx.client.fall_back_to_v1() {
                    tracing::warn!(remote_name = %ctx.name, reason = %reason, "The receiver does not speak remote write 2.0; sending 1.0 from now on");
                }
                v2 = false;
                let Some(b) = compress(enc, batch, v2) else {
                    break;
                };
                body = b;
            }
            Err(e) => {
                ctx.metrics.failed.inc_by(batch.len() as u64);
                tracing::error!(remote_name = %ctx.name, error = %e, count = batch.len(), "non-recoverable error");
                break;
            }
        }
    }
    ctx.progress.done(batch.iter().map(|p| p.seq));
}
