//! Retention: which blocks are too old (`--storage.tsdb.retention.time`) or make the data
//! directory too big (`--storage.tsdb.retention.size`). The oldest go first.

use crate::block::{Block, Ulid};

/// Blocks beyond the time retention: those whose end lies more than `retention_ms` before
/// the newest block's end (0 disables).
pub(crate) fn beyond_time(blocks: &[Block], retention_ms: i64) -> Vec<Ulid> {
    if retention_ms <= 0 {
        return Vec::new();
    }
    let newest_first = newest_first(blocks);
    let Some(newest) = newest_first.first() else {
        return Vec::new();
    };
    let top = newest.meta().max_time;
    match newest_first
        .iter()
        .position(|b| top - b.meta().max_time > retention_ms)
    {
        Some(i) => newest_first[i..].iter().map(|b| b.meta().ulid).collect(),
        None => Vec::new(),
    }
}

/// Blocks beyond the size retention: counting the head's files (`head_bytes`) first, then
/// blocks from the newest, every block from the one that crosses `max_bytes` on.
pub(crate) fn beyond_size(blocks: &[Block], max_bytes: Option<u64>, head_bytes: u64) -> Vec<Ulid> {
    let Some(max) = max_bytes.filter(|m| *m > 0) else {
        return Vec::new();
    };
    let newest_first = newest_first(blocks);
    let mut total = head_bytes;
    for (i, b) in newest_first.iter().enumerate() {
        total += b.size_bytes();
        if total > max {
            return newest_first[i..].iter().map(|b| b.meta().ulid).collect();
        }
    }
    Vec::new()
}

fn newest_first(blocks: &[Block]) -> Vec<&Block> {
    let mut v: Vec<&Block> = blocks.iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.meta().max_time));
    v
}
