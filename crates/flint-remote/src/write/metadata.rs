//! `metadata_config`: every `send_interval`, the metadata of every scraped metric family
//! (type, help, unit, as the targets last exposed it) goes to the endpoint as 1.0
//! `WriteRequest.metadata`, in requests of at most `max_samples_per_send` entries, as
//! upstream's metadata watcher sends it. A queue speaking 2.0 skips it (2.0 carries
//! metadata per series) until it falls back to 1.0.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use flint_config::remote::MetadataConfig;
use flint_model::MetricType;
use prost::Message;
use tokio_util::sync::CancellationToken;

use super::shards::SendContext;
use crate::error::WriteError;
use crate::prompb::{MetricMetadata, WriteRequest};

/// The metadata of one metric family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMetadata {
    /// The family's name.
    pub family: String,
    /// Its type.
    pub metric_type: MetricType,
    /// Its help text.
    pub help: String,
    /// Its unit.
    pub unit: String,
}

/// A boxed future, so the source can be a trait object.
pub type MetadataFuture<'a> = Pin<Box<dyn Future<Output = Vec<FamilyMetadata>> + Send + 'a>>;

/// Where metadata comes from: the scrape manager's targets, in the server.
pub trait MetadataSource: std::fmt::Debug + Send + Sync + 'static {
    /// The metadata of every family every active target exposes (duplicates across
    /// targets included, as upstream sends them).
    fn metadata(&self) -> MetadataFuture<'_>;
}

/// Sends metadata every `cfg.send_interval` until `cancel`.
pub(crate) async fn run(
    ctx: Arc<SendContext>,
    source: Arc<dyn MetadataSource>,
    cfg: MetadataConfig,
    cancel: CancellationToken,
) {
    let every = cfg.send_interval.std().max(Duration::from_secs(1));
    let per_request = usize::try_from(cfg.max_samples_per_send)
        .unwrap_or(1)
        .max(1);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        if ctx.client.v2() {
            continue;
        }
        let all = source.metadata().await;
        for chunk in all.chunks(per_request) {
            if !send(&ctx, chunk, &cancel).await {
                return;
            }
        }
    }
}

/// The snappy-compressed 1.0 request carrying `chunk`.
fn encode(chunk: &[FamilyMetadata]) -> Result<bytes::Bytes, snap::Error> {
    let req = WriteRequest {
        timeseries: Vec::new(),
        metadata: chunk
            .iter()
            .map(|m| MetricMetadata {
                r#type: i32::from(m.metric_type.code()),
                metric_family_name: m.family.clone(),
                help: m.help.clone(),
                unit: m.unit.clone(),
            })
            .collect(),
    };
    snap::raw::Encoder::new()
        .compress_vec(&req.encode_to_vec())
        .map(bytes::Bytes::from)
}

/// Sends one request, retrying recoverable failures with backoff; `false` when cancelled.
async fn send(ctx: &SendContext, chunk: &[FamilyMetadata], cancel: &CancellationToken) -> bool {
    let m = &ctx.metrics;
    let body = match encode(chunk) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "Compressing a metadata request failed");
            return true;
        }
    };
    let mut backoff = ctx.min_backoff;
    let mut attempt = 0;
    loop {
        let res = tokio::select! {
            () = cancel.cancelled() => return false,
            r = ctx.client.store(body.clone(), attempt, false) => r,
        };
        match res {
            Ok(()) => {
                m.metadata.inc_by(chunk.len() as u64);
                m.metadata_bytes.inc_by(body.len() as u64);
                return true;
            }
            Err(WriteError::Recoverable {
                reason,
                retry_after,
            }) => {
                m.metadata_retried.inc_by(chunk.len() as u64);
                let wait = retry_after.unwrap_or(backoff);
                tracing::warn!(remote_name = %ctx.name, error = %reason, retry_in = ?wait, "Failed to send metadata, retrying");
                tokio::select! {
                    () = cancel.cancelled() => return false,
                    () = tokio::time::sleep(wait) => {}
                }
                backoff = (backoff * 2).min(ctx.max_backoff);
                attempt += 1;
            }
            Err(e) => {
                m.metadata_failed.inc_by(chunk.len() as u64);
                tracing::error!(remote_name = %ctx.name, error = %e, count = chunk.len(), "non-recoverable error while sending metadata");
                return true;
            }
        }
    }
}
