//! `flint tsdb list`: the blocks of a data directory, as `promtool tsdb list` prints them.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use flint_tsdb::block::{Block, BlockMeta};

use super::ListArgs;
use super::format::{bytes, go_duration, table, time};

/// The header of the block table.
const HEADER: [&str; 8] = [
    "BLOCK ULID",
    "MIN TIME",
    "MAX TIME",
    "DURATION",
    "NUM SAMPLES",
    "NUM CHUNKS",
    "NUM SERIES",
    "SIZE",
];

pub fn run(args: &ListArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let blocks = open_blocks(&args.db_path)?;
    let rows: Vec<(&BlockMeta, u64)> = blocks.iter().map(|b| (b.meta(), b.size_bytes())).collect();
    out.write_all(block_table(&rows, true, args.human_readable).as_bytes())?;
    Ok(())
}

/// Every block of `dir`, sorted by minimum time (what promtool's read-only DB loads).
pub fn open_blocks(dir: &Path) -> anyhow::Result<Vec<Block>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("opening {}", dir.display()))?;
    let mut blocks = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_block = name
            .to_str()
            .is_some_and(|n| n.parse::<flint_tsdb::block::Ulid>().is_ok());
        if is_block && entry.path().join("meta.json").exists() {
            let b = Block::open(&entry.path())
                .with_context(|| format!("opening block {}", entry.path().display()))?;
            blocks.push(b);
        }
    }
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().ulid));
    Ok(blocks)
}

/// The block table, with or without its header.
pub fn block_table(blocks: &[(&BlockMeta, u64)], header: bool, human: bool) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    if header {
        rows.push(HEADER.iter().map(|s| (*s).to_owned()).collect());
    }
    for (m, size) in blocks {
        rows.push(vec![
            m.ulid.to_string(),
            time(m.min_time, human),
            time(m.max_time, human),
            go_duration(m.max_time - m.min_time),
            m.stats.num_samples.to_string(),
            m.stats.num_chunks.to_string(),
            m.stats.num_series.to_string(),
            bytes(*size, human),
        ]);
    }
    table(&rows)
}
