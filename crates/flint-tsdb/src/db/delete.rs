//! Deleting series data: tombstones in the head and in every block, and rewriting blocks
//! without their deleted data.

use flint_model::Matcher;
use tracing::info;

use super::DbInner;
use crate::block::{Block, Interval};
use crate::error::Result;
use crate::index::postings_for_matchers;

impl DbInner {
    pub(crate) fn delete(&self, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<()> {
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        for b in self.blocks().iter().filter(|b| b.overlaps(mint, maxt)) {
            if add_block_tombstones(b, mint, maxt, matchers)? {
                changed.push(b.meta().ulid);
            }
        }
        let head_series = self.head.delete(mint, maxt, matchers)?;
        if !changed.is_empty() {
            // Reopen the changed blocks so queries see their new tombstones.
            let blocks: Vec<Block> = self
                .blocks()
                .iter()
                .map(|b| match changed.contains(&b.meta().ulid) {
                    true => Block::open(b.dir()),
                    false => Ok(b.clone()),
                })
                .collect::<Result<_>>()?;
            self.set_blocks(blocks);
        }
        info!(
            mint,
            maxt,
            blocks = changed.len(),
            head_series,
            "Series deleted (tombstones written)."
        );
        Ok(())
    }

    pub(crate) fn clean_tombstones(&self) -> Result<()> {
        let _g = self.compaction.lock().unwrap_or_else(|p| p.into_inner());
        let with_stones: Vec<Block> = self
            .blocks()
            .iter()
            .filter(|b| !b.tombstones().is_empty())
            .cloned()
            .collect();
        for b in with_stones {
            self.check_stop()?;
            self.compact_these(std::slice::from_ref(&b))?;
        }
        Ok(())
    }
}

/// Adds `[mint, maxt]` to the tombstones of every series of `b` matching `matchers` with data
/// in that range; rewrites `tombstones` and `meta.json`. Returns whether anything changed.
fn add_block_tombstones(b: &Block, mint: i64, maxt: i64, matchers: &[Matcher]) -> Result<bool> {
    let mut stones = b.tombstones().clone();
    let mut postings = postings_for_matchers(b.index(), matchers)?;
    let mut changed = false;
    while let Some(id) = postings.next() {
        let (_, chunks) = b.index().series(id)?;
        if chunks.iter().any(|c| c.overlaps(mint, maxt)) {
            stones.add(id, Interval { mint, maxt });
            changed = true;
        }
    }
    if !changed {
        return Ok(false);
    }
    stones.write(b.dir())?;
    let mut meta = b.meta().clone();
    meta.stats.num_tombstones = stones.num_intervals() as u64;
    meta.write(b.dir())?;
    Ok(true)
}
