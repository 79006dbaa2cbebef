//! `flint tsdb dump`: every sample of a data directory (blocks and WAL), one line each, as
//! `promtool tsdb dump` prints them: `{labels} value timestamp`.

use std::io::{BufWriter, Write};

use anyhow::Context;
use flint_storage::{Queryable, ValueType};
use flint_tsdb::Db;

use super::DumpArgs;

pub fn run(args: &DumpArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let db = Db::open_read_only(&args.db_path)
        .with_context(|| format!("opening {}", args.db_path.display()))?;
    let q = db.querier(args.min_time, args.max_time)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::with_capacity(256);
    let mut selectors = Vec::new();
    for selector in &args.matches {
        let matchers = flint_promql::parser::parse_metric_selector(selector)
            .map_err(|e| anyhow::anyhow!("invalid --match {selector:?}: {e}"))?;
        selectors.push(matchers);
    }
    if selectors.is_empty() {
        selectors.push(Vec::new()); // Every series.
    }
    for matchers in selectors {
        let mut set = q.select(true, None, &matchers);
        while let Some(series) = set.next_series() {
            let series = series?;
            let labels = series.labels().to_string();
            let mut it = series.iterator();
            while it.next() == ValueType::Float {
                let (t, v) = it.at();
                line.clear();
                line.extend_from_slice(labels.as_bytes());
                line.push(b' ');
                flint_expfmt::float::write_float(&mut line, v);
                line.push(b' ');
                flint_expfmt::float::write_int(&mut line, t);
                line.push(b'\n');
                w.write_all(&line)?;
            }
            if let Some(e) = it.err() {
                return Err(e).context(format!("reading {labels}"));
            }
        }
    }
    w.flush()?;
    Ok(())
}
