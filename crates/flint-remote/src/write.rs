//! The remote-write sender: one queue per `remote_write` entry, tailing the WAL.
//!
//! | module | holds |
//! |---|---|
//! | `manager` | [`RemoteWrite`]: queues built from the config, `run`, reload |
//! | `queue` | one endpoint's loop: watcher steps → shards, resharding, saving progress |
//! | `watcher` | following the WAL and turning records into samples to send |
//! | `shards` | batching, sending and retrying, per series hash |
//! | `client` | the HTTP request and which answers are retried |
//! | `encode` | 1.0 `WriteRequest` and 2.0 `Request` bytes from pre-encoded labels |
//! | `metadata` | `metadata_config`: family metadata sent every `send_interval` |
//! | `progress` | the delivery watermark, saved across restarts |
//! | `metrics` | `prometheus_remote_storage_*` |

mod client;
mod encode;
mod manager;
mod metadata;
mod metrics;
mod progress;
mod queue;
mod shards;
mod watcher;

pub use manager::{RemoteWrite, RemoteWriteOptions};
pub use metadata::{FamilyMetadata, MetadataFuture, MetadataSource};
pub use metrics::WriteMetrics;
