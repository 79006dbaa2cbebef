//! `flint check config`: `promtool check config` — the config loads, the files it names exist
//! and parse (rule files through `flint check rules`, SD files as target groups, TLS and
//! credential files), static targets are valid after relabeling; lint for scrape intervals.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use flint_config::{Config, LoadOptions, ScrapeConfig, load_file};

/// Exit status when linting finds problems and `--lint-fatal` is set.
const LINT_EXIT: u8 = 3;

/// Options of `flint check config`.
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// The configuration files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only check the config file syntax, ignoring file and content validation.
    #[arg(long = "syntax-only")]
    pub syntax_only: bool,
    /// Linting checks: none, all, duplicate-rules, too-long-scrape-interval.
    #[arg(long, default_value = "duplicate-rules")]
    pub lint: String,
    /// Make lint problems exit with status 3.
    #[arg(long = "lint-fatal")]
    pub lint_fatal: bool,
    /// Check the config file for agent mode.
    #[arg(long)]
    pub agent: bool,
    /// The query lookback delta the too-long-scrape-interval lint compares with.
    #[arg(long = "query.lookback-delta", default_value = "5m", value_parser = lookback)]
    pub lookback_delta: Duration,
}

fn lookback(s: &str) -> Result<Duration, String> {
    s.parse::<flint_config::Duration>()
        .map(|d| d.std())
        .map_err(|e| e.0)
}

/// Runs the check; human output to `out`, failures to `err`. Rule files are checked as
/// `flint check rules` checks them (same output, same lint).
pub fn run(
    args: &CheckConfigArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut lint_problems = false;
    let rule_settings = super::check_rules::RuleCheckSettings::new(&args.lint, false);
    let lint_intervals = matches!(args.lint.as_str(), "all" | "too-long-scrape-interval");
    for f in &args.files {
        writeln!(out, "Checking {}", f.display())?;
        let opts = LoadOptions {
            reject_unsupported_sd: false,
            agent_mode: args.agent,
        };
        let result = load_file(f, opts)
            .map_err(|e| e.to_string())
            .and_then(|cfg| {
                let rule_files = if args.syntax_only {
                    Vec::new()
                } else {
                    check_files(&cfg)?
                };
                Ok((cfg, rule_files))
            });
        let (cfg, rule_files) = match result {
            Ok(r) => r,
            Err(e) => {
                writeln!(err, "  FAILED: {e}")?;
                writeln!(out)?;
                failed = true;
                continue;
            }
        };
        if !rule_files.is_empty() {
            writeln!(out, "  SUCCESS: {} rule files found", rule_files.len())?;
        }
        writeln!(
            out,
            " SUCCESS: {} is valid prometheus config file syntax",
            f.display()
        )?;
        writeln!(out)?;
        if lint_intervals {
            for j in cfg.all_scrape_configs() {
                if j.interval().std() > args.lookback_delta {
                    writeln!(
                        out,
                        "  WARNING: too long scrape interval found, data point will be marked as stale - job: {}, interval: {}",
                        j.job_name,
                        j.interval()
                    )?;
                    lint_problems = true;
                }
            }
        }
        let rules = super::check_rules::check_files(&rule_files, &rule_settings, out, err)?;
        failed |= rules.has_errors;
        lint_problems |= rules.failed && !rules.has_errors;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else if lint_problems && args.lint_fatal {
        ExitCode::from(LINT_EXIT)
    } else {
        ExitCode::SUCCESS
    })
}

fn exists(path: &str, what: &str) -> Result<(), String> {
    if path.is_empty() || Path::new(path).exists() {
        Ok(())
    } else {
        Err(format!(
            "error checking {what} {path:?}: stat {path}: no such file or directory"
        ))
    }
}

/// File checks beyond loading; returns the rule files found by the globs.
fn check_files(cfg: &Config) -> Result<Vec<PathBuf>, String> {
    let mut rule_files = Vec::new();
    for pattern in &cfg.rule_files {
        if !pattern.contains('*') {
            exists(pattern, "rule file")?;
        }
        let paths = glob::glob(pattern).map_err(|e| format!("{pattern:?}: {e}"))?;
        rule_files.extend(paths.filter_map(std::result::Result::ok));
    }
    for j in cfg.all_scrape_configs() {
        check_job(j)?;
    }
    for am in cfg
        .alerting
        .alertmanagers
        .iter()
        .filter_map(|a| a.value.as_ref())
    {
        for f in am.http_client().files() {
            exists(f, "file")?;
        }
        let rules = flint_config::relabel::rules(&am.relabel_configs);
        for sc in am.static_configs.iter().filter_map(|s| s.value.as_ref()) {
            for t in &sc.targets {
                let l = flint_model::Labels::from_pairs([("__address__", t.as_str())]);
                if let Some(out) = flint_model::relabel(&l, &rules)
                    && out.get("__address__").is_some_and(|a| a.contains('/'))
                {
                    return Err(format!("{t:?} is not a valid hostname"));
                }
            }
        }
    }
    Ok(rule_files)
}

fn check_job(j: &ScrapeConfig) -> Result<(), String> {
    for f in j.http_client().files() {
        exists(f, "file")?;
    }
    let t = &j.tls_config;
    if !t.cert_file.is_empty() && t.key_file.is_empty() {
        return Err(format!(
            "client cert file {:?} specified without client key file",
            t.cert_file
        ));
    }
    for sd in j.file_sd_configs.iter().filter_map(|c| c.value.as_ref()) {
        for pattern in &sd.files {
            let Ok(paths) = glob::glob(pattern) else {
                continue;
            };
            for p in paths.filter_map(std::result::Result::ok) {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("checking SD file {:?}: {e}", p.display().to_string()))?;
                flint_config::targets::parse_target_groups(&p, &text)
                    .map_err(|e| format!("checking SD file {:?}: {e}", p.display().to_string()))?;
            }
        }
    }
    let mut relabeler = flint_scrape::target::relabeler(j);
    for sc in j.static_configs.iter().filter_map(|s| s.value.as_ref()) {
        let g = flint_discovery::TargetGroup::from_static(String::new(), sc, &[]);
        for t in &g.targets {
            if let flint_scrape::target::Populated::Invalid(e) =
                flint_scrape::target::populate(&g, t, j, &mut relabeler)
                && e.contains("valid hostname")
            {
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "check_config_tests.rs"]
mod tests;
