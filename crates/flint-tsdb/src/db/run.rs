//! The background loop: compaction every minute and whenever a commit leaves the head
//! compactable; a full block check once at start.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use super::Db;
use crate::error::{Error, Result};

/// How often compaction runs without being asked (Prometheus's cadence).
pub const COMPACTION_INTERVAL: Duration = Duration::from_secs(60);

impl Db {
    /// Runs the background work until `cancel` fires, then stops any compaction in progress
    /// (its partial block is removed), flushes and closes the database. Returns promptly after
    /// cancellation: compaction checks for it between series.
    pub async fn run(self, cancel: CancellationToken) -> Result<()> {
        let verify = self.clone();
        if let Err(e) = self.blocking(&cancel, move || verify.verify_blocks()).await {
            warn!(error = %e, "Verifying blocks failed.");
        }
        let mut tick = tokio::time::interval(COMPACTION_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        while !cancel.is_cancelled() {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
                _ = self.inner.compact_wanted.notified() => {}
            }
            self.inner
                .metrics
                .compactions_triggered
                .fetch_add(1, Ordering::Relaxed);
            let db = self.clone();
            match self.blocking(&cancel, move || db.compact()).await {
                Ok(()) | Err(Error::Canceled) => {}
                Err(e) => error!(error = %e, "Compaction failed."),
            }
        }
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.close())
            .await
            .unwrap_or(Err(Error::Canceled))
    }

    /// Runs blocking work on tokio's blocking pool; on cancellation asks it to stop and waits
    /// for it.
    async fn blocking<T: Send + 'static>(
        &self,
        cancel: &CancellationToken,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let mut task = tokio::task::spawn_blocking(f);
        tokio::select! {
            res = &mut task => res.unwrap_or(Err(Error::Canceled)),
            _ = cancel.cancelled() => {
                self.inner.stopping.store(true, Ordering::Release);
                let _ = task.await;
                Err(Error::Canceled)
            }
        }
    }
}
