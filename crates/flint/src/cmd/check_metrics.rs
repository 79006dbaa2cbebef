//! `flint check metrics`: parse an exposition and lint it, like `promtool check metrics`.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use flint_expfmt::family::{MetricFamily, MetricValue};
use flint_expfmt::{Format, lint, parse_families};

use crate::cli::{CheckMetricsArgs, MetricsFormat};

/// Exit status for a parse failure.
const FAILURE_EXIT: u8 = 1;
/// Exit status when lint problems are fatal (promtool's `lintErrExitCode`).
const LINT_EXIT: u8 = 3;

/// Runs the check over standard input (or `--file`), writing findings to `err`.
pub fn run(args: &CheckMetricsArgs, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let input = read_input(args)?;
    let format = match args.format {
        Some(MetricsFormat::Text) => Format::Text,
        Some(MetricsFormat::Openmetrics) => Format::OpenMetrics,
        None => detect_format(&input),
    };
    let families = match parse_families(format, &input) {
        Ok(families) => families,
        Err(e) => {
            writeln!(err, "error while linting: {e}")?;
            return Ok(ExitCode::from(FAILURE_EXIT));
        }
    };
    if args.extended {
        write_cardinality(&families, &mut std::io::stdout().lock())?;
    }
    if args.no_lint {
        return Ok(ExitCode::SUCCESS);
    }
    let problems = lint::lint(&families);
    for problem in &problems {
        writeln!(err, "{problem}")?;
    }
    if args.lint_fatal && !problems.is_empty() {
        return Ok(ExitCode::from(LINT_EXIT));
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(args: &CheckMetricsArgs) -> anyhow::Result<Vec<u8>> {
    let mut input = Vec::new();
    match &args.file {
        Some(path) => {
            input = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut input)
                .context("reading standard input")?;
        }
    }
    Ok(input)
}

/// Prints series per family as promtool's `--extended` table (padded columns, largest first).
fn write_cardinality(families: &[MetricFamily], out: &mut dyn Write) -> anyhow::Result<()> {
    let mut rows: Vec<(&str, usize)> = families
        .iter()
        .map(|f| (f.name.as_str(), series_count(f)))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: usize = rows.iter().map(|r| r.1).sum();
    let mut table = vec![[
        "Metric".to_owned(),
        "Cardinality".to_owned(),
        "Percentage".to_owned(),
    ]];
    for (name, count) in &rows {
        let share = if total == 0 {
            0.0
        } else {
            *count as f64 * 100.0 / total as f64
        };
        table.push([name.to_string(), count.to_string(), format!("{share:.2}%")]);
    }
    table.push(["Total".to_owned(), total.to_string(), "100%".to_owned()]);
    let widths: Vec<usize> = (0..3)
        .map(|c| table.iter().map(|r| r[c].len()).max().unwrap_or(0) + 4)
        .collect();
    for row in &table {
        for (cell, width) in row.iter().zip(&widths) {
            write!(out, "{cell:<width$}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Series a family contributes once flattened (buckets, quantiles, `_sum`, `_count`, …).
fn series_count(family: &MetricFamily) -> usize {
    family
        .metrics
        .iter()
        .map(|m| match &m.value {
            MetricValue::Histogram(h) | MetricValue::GaugeHistogram(h) => h.buckets.len() + 2,
            MetricValue::Summary(s) => s.quantiles.len() + 2,
            MetricValue::StateSet(states) => states.len(),
            _ => 1,
        })
        .sum()
}

/// OpenMetrics when the last non-empty line is `# EOF`, Prometheus text otherwise.
pub fn detect_format(input: &[u8]) -> Format {
    let trimmed = input
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(&input[..0], |end| &input[..=end]);
    let last_line = trimmed
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(trimmed, |i| &trimmed[i + 1..]);
    if last_line == b"# EOF" {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_openmetrics_by_eof() {
        assert_eq!(detect_format(b"a 1\n# EOF\n"), Format::OpenMetrics);
        assert_eq!(detect_format(b"a 1\n# EOF"), Format::OpenMetrics);
        assert_eq!(detect_format(b"a 1\n"), Format::Text);
        assert_eq!(detect_format(b""), Format::Text);
        assert_eq!(detect_format(b"# EOF here\n"), Format::Text);
    }
}
