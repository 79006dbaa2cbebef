//! `flint test rules`: `promtool test rules` — rule unit tests in promtool's format, with its
//! output: `Unit Testing:  <file>`, then `  SUCCESS` or `  FAILED:` and each failure.

mod compare;
mod format;
mod group;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

/// Options of `flint test rules`.
#[derive(Debug, Args)]
pub struct TestRulesArgs {
    /// The unit-test files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only run test groups whose names match this regular expression (repeatable).
    #[arg(long)]
    pub run: Vec<String>,
    /// Ignore unknown fields in the rule files (not in the test files).
    #[arg(long = "ignore-unknown-fields")]
    pub ignore_unknown_fields: bool,
}

/// Runs every file; summaries to `out`, failures to `err` (as promtool splits them).
pub fn run(
    args: &TestRulesArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut run = Vec::new();
    for r in &args.run {
        run.push(regex::Regex::new(r).map_err(|e| anyhow::anyhow!("--run {r:?}: {e}"))?);
    }
    let mut failed = false;
    for f in &args.files {
        writeln!(out, "Unit Testing:  {}", f.display())?;
        let errs = test_file(f, &run, args.ignore_unknown_fields, err)?;
        if errs.is_empty() {
            writeln!(out, "  SUCCESS")?;
        } else {
            writeln!(err, "  FAILED:")?;
            for e in errs {
                writeln!(err, "{e}")?;
                writeln!(out)?;
            }
            failed = true;
        }
        writeln!(out)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The failures of one test file.
fn test_file(
    path: &Path,
    run: &[regex::Regex],
    ignore_unknown_fields: bool,
    err: &mut dyn Write,
) -> std::io::Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Ok(vec![format!("open {}: {e}", path.display())]),
    };
    let file = match format::parse(&text) {
        Ok(f) => f,
        Err(e) => return Ok(vec![e]),
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let mut rule_files = Vec::new();
    for rf in &file.rule_files {
        let p = if rf.is_empty() || Path::new(rf).is_absolute() {
            PathBuf::from(rf)
        } else {
            base.join(rf)
        };
        let pattern = p.display().to_string();
        let matched: Vec<String> = match glob::glob(&pattern) {
            Ok(paths) => paths
                .filter_map(Result::ok)
                .map(|p| p.display().to_string())
                .collect(),
            Err(e) => return Ok(vec![format!("syntax error in pattern {pattern:?}: {e}")]),
        };
        if matched.is_empty() {
            writeln!(err, "  WARNING: no file match pattern {pattern}")?;
        }
        rule_files.extend(matched);
    }
    let mut order = HashMap::new();
    for (i, g) in file.group_eval_order.iter().enumerate() {
        if order.insert(g.clone(), i).is_some() {
            return Ok(vec![format!(
                "group name repeated in evaluation order: {g}"
            )]);
        }
    }
    let settings = group::Settings {
        rule_files: &rule_files,
        eval_interval: file
            .evaluation_interval
            .filter(|d| !d.is_zero())
            .map_or(60_000, |d| d.as_millis()),
        order: &order,
        fuzzy: file.fuzzy_compare,
        ignore_unknown_fields,
    };
    let mut errs = Vec::new();
    for tg in &file.tests {
        if !run.is_empty() && !run.iter().any(|r| r.is_match(&tg.name)) {
            continue;
        }
        errs.extend(group::run(tg, &settings));
    }
    Ok(errs)
}

#[cfg(test)]
#[path = "test_rules_tests.rs"]
mod tests;
