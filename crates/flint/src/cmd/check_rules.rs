//! `flint check rules`: `promtool check rules` — parse and validate rule files (positions,
//! expressions, templates), and lint for duplicate rules. Also checks the rule files of
//! `flint check config`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use flint_rules::lint::{duplicate_rules, duplicates_message};
use flint_rules::rulefmt::{ParseOptions, RuleFile, parse};

/// Exit status when linting finds problems and `--lint-fatal` is set.
pub const LINT_EXIT: u8 = 3;

/// Options of `flint check rules`.
#[derive(Debug, Args)]
pub struct CheckRulesArgs {
    /// The rule files to check; standard input when none is given.
    pub files: Vec<PathBuf>,
    /// Linting checks to apply: all, duplicate-rules, none.
    #[arg(long, default_value = "duplicate-rules")]
    pub lint: String,
    /// Make lint errors exit with exit code 3.
    #[arg(long = "lint-fatal")]
    pub lint_fatal: bool,
    /// Ignore unknown fields in the rule files.
    #[arg(long = "ignore-unknown-fields")]
    pub ignore_unknown_fields: bool,
}

/// What rule checking is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct RuleCheckSettings {
    /// Report duplicate rules.
    pub lint_duplicates: bool,
    /// Parse leniently.
    pub opts: ParseOptions,
}

impl RuleCheckSettings {
    /// Settings for a `--lint` value (`all` and `duplicate-rules` lint duplicates).
    pub fn new(lint: &str, ignore_unknown_fields: bool) -> Self {
        RuleCheckSettings {
            lint_duplicates: lint
                .split(',')
                .any(|l| matches!(l, "all" | "duplicate-rules")),
            opts: ParseOptions {
                ignore_unknown_fields,
                ..ParseOptions::default()
            },
        }
    }
}

/// The outcome of checking some rule files: whether anything failed, and whether a failure
/// was more than lint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Something failed (lint included).
    pub failed: bool,
    /// Something failed that is not lint.
    pub has_errors: bool,
}

impl Outcome {
    /// promtool's exit status: 1 on errors, 3 on lint with `--lint-fatal`, else 0.
    pub fn exit_code(self, lint_fatal: bool) -> ExitCode {
        if self.failed && self.has_errors {
            ExitCode::FAILURE
        } else if self.failed && lint_fatal {
            ExitCode::from(LINT_EXIT)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Runs the check; summaries to `out`, failures to `err`, as promtool splits them.
pub fn run(
    args: &CheckRulesArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let settings = RuleCheckSettings::new(&args.lint, args.ignore_unknown_fields);
    let outcome = if args.files.is_empty() {
        writeln!(out, "Checking standard input")?;
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        check_text(&text, "", &settings, out, err)?
    } else {
        check_files(&args.files, &settings, out, err)?
    };
    Ok(outcome.exit_code(args.lint_fatal))
}

/// Checks each file, printing `Checking <file>` and its result.
pub fn check_files(
    files: &[PathBuf],
    settings: &RuleCheckSettings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Outcome> {
    let mut total = Outcome::default();
    for f in files {
        writeln!(out, "Checking {}", f.display())?;
        let o = match std::fs::read_to_string(f) {
            Ok(text) => check_text(&text, &f.display().to_string(), settings, out, err)?,
            Err(e) => {
                writeln!(err, "  FAILED:")?;
                writeln!(err, "{}: {}", f.display(), go_open_error(f, &e))?;
                writeln!(out)?;
                Outcome {
                    failed: true,
                    has_errors: true,
                }
            }
        };
        total.failed |= o.failed;
        total.has_errors |= o.has_errors;
    }
    Ok(total)
}

/// Checks one file's text (`file` prefixes error lines; empty for standard input).
fn check_text(
    text: &str,
    file: &str,
    settings: &RuleCheckSettings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Outcome> {
    let parsed = parse(text, &settings.opts);
    let outcome = match parsed {
        Err(problems) => {
            writeln!(err, "  FAILED:")?;
            for p in problems {
                if file.is_empty() {
                    writeln!(err, "{p}")?;
                } else {
                    writeln!(err, "{file}: {p}")?;
                }
            }
            Outcome {
                failed: true,
                has_errors: true,
            }
        }
        Ok(rf) => lint(&rf, settings, out, err)?,
    };
    writeln!(out)?;
    Ok(outcome)
}

fn lint(
    rf: &RuleFile,
    settings: &RuleCheckSettings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Outcome> {
    let dups = if settings.lint_duplicates {
        duplicate_rules(rf)
    } else {
        Vec::new()
    };
    if dups.is_empty() {
        writeln!(out, "  SUCCESS: {} rules found", rf.num_rules())?;
        return Ok(Outcome::default());
    }
    writeln!(err, "  FAILED:")?;
    writeln!(err, "lint error {}", duplicates_message(&dups))?;
    Ok(Outcome {
        failed: true,
        has_errors: false,
    })
}

/// An open error as Go prints it (`open x.yml: no such file or directory`).
fn go_open_error(path: &std::path::Path, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    };
    format!("open {}: {what}", path.display())
}

#[cfg(test)]
#[path = "check_rules_tests.rs"]
mod tests;
