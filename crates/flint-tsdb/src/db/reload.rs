//! Reloading the block list: new blocks in, compacted parents and retention victims out,
//! broken blocks quarantined.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use tracing::{info, warn};

use super::DbInner;
use super::blocks::{delete_block, open_blocks, quarantine};
use super::retention::{beyond_size, beyond_time};
use crate::block::{Block, Ulid, dir_size};
use crate::error::{Error, Result};

impl DbInner {
    /// Re-reads the block directories (taking the compaction lock).
    pub(crate) fn reload(&self) -> Result<()> {
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        self.reload_locked()
    }

    /// Re-reads the block directories; the caller holds the compaction lock.
    pub(crate) fn reload_locked(&self) -> Result<()> {
        self.reload_dropping(&[])
    }

    /// Reloads, also deleting the blocks `extra`.
    pub(crate) fn reload_dropping(&self, extra: &[Ulid]) -> Result<()> {
        let res = self.reload_inner(extra);
        let m = &self.metrics;
        m.reloads.fetch_add(1, Ordering::Relaxed);
        if res.is_err() {
            m.reloads_failed.fetch_add(1, Ordering::Relaxed);
        }
        res
    }

    fn reload_inner(&self, extra: &[Ulid]) -> Result<()> {
        let current = self.blocks();
        let mut healthy = Vec::with_capacity(current.len());
        for b in current.iter() {
            if b.is_corrupt() {
                let reason = Error::corrupt(b.dir(), "a read found a corrupt chunk or series");
                quarantine(&self.dir, b.dir(), &reason)?;
                self.metrics.add_quarantined(1);
            } else {
                healthy.push(b.clone());
            }
        }
        let (loaded, quarantined) = open_blocks(&self.dir, &healthy, false)?;
        self.metrics.add_quarantined(quarantined);
        let mut doomed: HashSet<Ulid> = extra.iter().copied().collect();
        for b in &loaded {
            let c = &b.meta().compaction;
            doomed.extend(c.parents.iter().map(|p| p.ulid));
            if c.deletable {
                doomed.insert(b.meta().ulid);
            }
        }
        let kept: Vec<Block> = loaded
            .iter()
            .filter(|b| !doomed.contains(&b.meta().ulid))
            .cloned()
            .collect();
        let by_time = beyond_time(&kept, self.opts.retention_ms());
        let head_bytes = dir_size(self.wal.dir()) + self.head.head_chunks().size_bytes();
        let by_size = beyond_size(&kept, self.opts.max_bytes, head_bytes);
        if !by_time.is_empty() {
            self.metrics.time_retentions.fetch_add(1, Ordering::Relaxed);
        }
        if !by_size.is_empty() {
            self.metrics.size_retentions.fetch_add(1, Ordering::Relaxed);
        }
        doomed.extend(by_time.iter().chain(&by_size).copied());
        let kept: Vec<Block> = kept
            .into_iter()
            .filter(|b| !doomed.contains(&b.meta().ulid))
            .collect();
        self.set_blocks(kept);
        for b in loaded.iter().filter(|b| doomed.contains(&b.meta().ulid)) {
            let why = if by_time.contains(&b.meta().ulid) {
                "time retention"
            } else if by_size.contains(&b.meta().ulid) {
                "size retention"
            } else {
                "compacted"
            };
            info!(block = %b.meta().ulid, reason = why, "Deleting obsolete block.");
            delete_block(b.dir())?;
        }
        Ok(())
    }

    /// Reads every block whole; quarantines the corrupt ones.
    pub(crate) fn verify_blocks(&self) -> Result<usize> {
        let mut bad = 0;
        for b in self.blocks().iter() {
            self.check_stop()?;
            if let Err(e) = b.verify() {
                warn!(block = %b.meta().ulid, error = %e, "Block verification failed.");
                b.mark_corrupt();
                bad += 1;
            }
        }
        if bad > 0 {
            self.reload()?;
        }
        Ok(bad)
    }
}
