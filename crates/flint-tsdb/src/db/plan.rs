//! Which blocks to compact next, after Prometheus's leveled compactor: overlapping blocks
//! first; then the oldest group of blocks that fills one of the larger ranges (3×, 9×, … the
//! block range) or lies wholly before the newest block; then a big enough block holding many
//! deletions.

use crate::block::{BlockMeta, Ulid};

/// The blocks to compact together next (empty: nothing to do). `ranges` are the compaction
/// ranges in milliseconds, smallest (the block range) first.
pub fn plan_compaction(metas: &[BlockMeta], ranges: &[i64]) -> Vec<Ulid> {
    let mut metas: Vec<&BlockMeta> = metas.iter().collect();
    metas.sort_by_key(|m| (m.min_time, m.ulid));
    let overlapping = overlapping(&metas);
    if !overlapping.is_empty() {
        return overlapping;
    }
    // The newest block stays out: a window of one block range to back up fresh blocks.
    let Some((_newest, older)) = metas.split_last() else {
        return Vec::new();
    };
    let chosen = select_dirs(older, ranges);
    if !chosen.is_empty() {
        return chosen.iter().map(|m| m.ulid).collect();
    }
    with_tombstones(older, ranges)
}

/// The first run of blocks that overlap in time.
fn overlapping(metas: &[&BlockMeta]) -> Vec<Ulid> {
    let mut out = Vec::new();
    let Some(first) = metas.first() else {
        return out;
    };
    let mut global_max = first.max_time;
    for (i, m) in metas.iter().enumerate().skip(1) {
        if m.min_time < global_max {
            if out.is_empty() {
                out.push(metas[i - 1].ulid);
            }
            out.push(m.ulid);
        } else if !out.is_empty() {
            break;
        }
        global_max = global_max.max(m.max_time);
    }
    out
}

fn select_dirs<'a>(metas: &[&'a BlockMeta], ranges: &[i64]) -> Vec<&'a BlockMeta> {
    let Some(last) = metas.last() else {
        return Vec::new();
    };
    let high = last.min_time;
    for &range in ranges.iter().skip(1) {
        for group in split_by_range(metas, range) {
            if group.iter().any(|m| m.compaction.failed) {
                continue;
            }
            let (Some(first), Some(end)) = (group.first(), group.last()) else {
                continue;
            };
            let (mint, maxt) = (first.min_time, end.max_time);
            // A group filling its whole range, or wholly older than the newest block.
            if (maxt - mint == range || maxt <= high) && group.len() > 1 {
                return group;
            }
        }
    }
    Vec::new()
}

/// Groups consecutive blocks by the aligned range of size `range` they fall into; blocks
/// larger than their range are skipped.
fn split_by_range<'a>(metas: &[&'a BlockMeta], range: i64) -> Vec<Vec<&'a BlockMeta>> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < metas.len() {
        let t0 = metas[i].min_time.div_euclid(range) * range;
        if metas[i].max_time > t0 + range {
            i += 1;
            continue;
        }
        let mut group = Vec::new();
        while i < metas.len() && metas[i].max_time <= t0 + range {
            group.push(metas[i]);
            i += 1;
        }
        if !group.is_empty() {
            groups.push(group);
        }
    }
    groups
}

/// A block big enough (at least the middle range) with more than 5% of its series deleted,
/// or any block with all of its series deleted: rewritten alone.
fn with_tombstones(metas: &[&BlockMeta], ranges: &[i64]) -> Vec<Ulid> {
    let mid = ranges.get(ranges.len() / 2).copied().unwrap_or(0);
    for m in metas.iter().rev() {
        let s = &m.stats;
        if m.max_time - m.min_time < mid {
            if s.num_tombstones > 0 && s.num_tombstones >= s.num_series {
                return vec![m.ulid];
            }
            break;
        }
        if s.num_tombstones as f64 / (s.num_series + 1) as f64 > 0.05 {
            return vec![m.ulid];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{BlockMetaCompaction, BlockStats};

    const H: i64 = 3_600_000;

    fn meta(min: i64, max: i64) -> BlockMeta {
        BlockMeta {
            ulid: Ulid::new(),
            min_time: min,
            max_time: max,
            stats: BlockStats {
                num_series: 10,
                ..BlockStats::default()
            },
            compaction: BlockMetaCompaction::default(),
            version: 1,
        }
    }

    fn ranges() -> Vec<i64> {
        vec![2 * H, 6 * H, 18 * H, 54 * H]
    }

    #[test]
    fn three_2h_blocks_and_a_newer_one_become_6h() {
        let ms = [meta(0, 2 * H), meta(2 * H, 4 * H), meta(4 * H, 6 * H)];
        assert!(
            plan_compaction(&ms, &ranges()).is_empty(),
            "the newest block is kept out"
        );
        let ms = [
            ms[0].clone(),
            ms[1].clone(),
            ms[2].clone(),
            meta(6 * H, 8 * H),
        ];
        let plan = plan_compaction(&ms, &ranges());
        assert_eq!(plan, vec![ms[0].ulid, ms[1].ulid, ms[2].ulid]);
    }

    #[test]
    fn partial_range_before_the_newest_block_is_compacted() {
        // 0-2h and 2-4h fall in [0, 6h) and end before the last block considered starts.
        let ms = [meta(0, 2 * H), meta(2 * H, 4 * H), meta(12 * H, 14 * H)];
        assert!(plan_compaction(&ms, &ranges()).is_empty());
        let ms = [
            ms[0].clone(),
            ms[1].clone(),
            ms[2].clone(),
            meta(14 * H, 16 * H),
        ];
        assert_eq!(
            plan_compaction(&ms, &ranges()),
            vec![ms[0].ulid, ms[1].ulid]
        );
    }

    #[test]
    fn overlaps_come_first() {
        let ms = [meta(0, 2 * H), meta(H, 3 * H), meta(10 * H, 12 * H)];
        assert_eq!(
            plan_compaction(&ms, &ranges()),
            vec![ms[0].ulid, ms[1].ulid]
        );
    }

    #[test]
    fn deletions_trigger_a_rewrite() {
        let mut big = meta(0, 18 * H);
        big.stats.num_tombstones = 5;
        let ms = [big.clone(), meta(18 * H, 20 * H)];
        assert_eq!(plan_compaction(&ms, &ranges()), vec![big.ulid]);
        let mut small = meta(18 * H, 20 * H);
        small.stats.num_tombstones = 10;
        let ms = [small.clone(), meta(20 * H, 22 * H)];
        assert_eq!(plan_compaction(&ms, &ranges()), vec![small.ulid]);
    }

    #[test]
    fn nothing_to_do() {
        assert!(plan_compaction(&[], &ranges()).is_empty());
        assert!(plan_compaction(&[meta(0, 2 * H)], &ranges()).is_empty());
        let ms = [meta(0, 2 * H), meta(2 * H, 4 * H)];
        assert!(plan_compaction(&ms, &[2 * H]).is_empty(), "compaction off");
    }
}
