//! `flint tsdb create-blocks-from openmetrics`: backfill, printing each block as it is
//! written (promtool's table on standard output) and the ingestion rate (standard error).

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use flint_tsdb::backfill::create_blocks_from_openmetrics;
use flint_tsdb::mmap::Mmap;

use super::OpenMetricsArgs;
use super::list::block_table;

pub fn run(args: &OpenMetricsArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    let input =
        Mmap::open(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
    let start = Instant::now();
    let mut first = true;
    let mut io_error = None;
    let mut report = |w: &flint_tsdb::backfill::WrittenBlock| {
        if args.quiet {
            return;
        }
        let size = flint_tsdb::block::Block::open(&w.dir).map_or(0, |b| b.size_bytes());
        let table = block_table(&[(&w.meta, size)], first, args.human_readable);
        first = false;
        let samples = w.meta.stats.num_samples;
        let rate = samples as f64 / w.took.as_secs_f64().max(1e-9);
        let res = out.write_all(table.as_bytes()).and_then(|()| {
            writeln!(
                err,
                "block {} written: {samples} samples, {} series in {:.2?} ({rate:.0} samples/s)",
                w.meta.ulid, w.meta.stats.num_series, w.took
            )
        });
        if let Err(e) = res {
            io_error.get_or_insert(e);
        }
    };
    let blocks =
        create_blocks_from_openmetrics(&input, &args.output, args.max_block_duration, &mut report)
            .with_context(|| format!("backfilling from {}", args.input.display()))?;
    if let Some(e) = io_error {
        return Err(e.into());
    }
    let samples: u64 = blocks.iter().map(|b| b.meta.stats.num_samples).sum();
    let took = start.elapsed();
    if !args.quiet {
        writeln!(
            err,
            "{} blocks, {samples} samples written to {} in {took:.2?} ({:.0} samples/s)",
            blocks.len(),
            args.output.display(),
            samples as f64 / took.as_secs_f64().max(1e-9)
        )?;
    }
    Ok(())
}
