//! `flint tsdb analyze`: promtool's block analysis, line for line.

use std::io::Write;

use anyhow::{Context, bail};
use flint_tsdb::block::Ranked;

use super::AnalyzeArgs;
use super::format::go_duration;
use super::list::open_blocks;

pub fn run(args: &AnalyzeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let blocks = open_blocks(&args.db_path)?;
    let block = match &args.block_id {
        Some(id) => blocks
            .iter()
            .find(|b| b.meta().ulid.to_string() == *id)
            .with_context(|| format!("block {id} not found"))?,
        None => match blocks.last() {
            Some(b) => b,
            None => bail!("no blocks found"),
        },
    };
    let meta = block.meta();
    let a = block.analyze(args.extended)?;
    writeln!(out, "Block ID: {}", meta.ulid)?;
    writeln!(
        out,
        "Duration: {}",
        go_duration(meta.max_time - meta.min_time)
    )?;
    writeln!(out, "Series: {}", a.series)?;
    writeln!(out, "Label names: {}", a.label_names)?;
    writeln!(out, "Postings (unique label pairs): {}", a.postings)?;
    writeln!(
        out,
        "Postings entries (total label pairs): {}",
        a.postings_entries
    )?;
    let lists: [(&str, &Ranked); 6] = [
        ("Label pairs most involved in churning", &a.churning_pairs),
        ("Label names most involved in churning", &a.churning_names),
        ("Most common label pairs", &a.common_pairs),
        (
            "Label names with highest cumulative label value length",
            &a.value_lengths,
        ),
        ("Highest cardinality labels", &a.cardinality),
        ("Highest cardinality metric names", &a.metric_names),
    ];
    for (title, list) in lists {
        writeln!(out, "\n{title}:")?;
        for (n, key) in list.iter().take(args.limit) {
            writeln!(out, "{n} {key}")?;
        }
    }
    if args.extended {
        writeln!(out, "\nCompaction analysis:")?;
        writeln!(
            out,
            "Fullness: Amount of samples in chunks (100% is 120 samples)"
        )?;
        let total: u64 = a.fullness.iter().sum();
        for (bucket, count) in a.fullness.iter().enumerate() {
            let percent = (100 * count).checked_div(total).unwrap_or(0);
            writeln!(
                out,
                "{:>7}%: {}",
                (bucket + 1) * 10,
                "#".repeat(percent as usize)
            )?;
        }
    }
    Ok(())
}
