//! `flint check metrics`: parse an exposition and lint it, like `promtool check metrics`.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
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
