//! The command line: one subcommand per role or tool, laid out for everything Flint will do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::version::LONG_VERSION;

/// Flint: a Prometheus- and Alertmanager-compatible monitoring stack in one binary.
///
/// Without a subcommand, runs the all-in-one stack (server, Alertmanager and UI).
#[derive(Debug, Parser)]
#[command(
    name = "flint",
    version = LONG_VERSION,
    propagate_version = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the all-in-one stack.
    #[command(flatten)]
    pub all_in_one: crate::cmd::all_in_one::AllInOneArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monitoring server (Prometheus drop-in): discovery, scraping, storage, rules, API.
    Server(Box<crate::cmd::server::ServerArgs>),
    /// Run the alert router (Alertmanager drop-in): API v2, routing, silences, notifications.
    Alertmanager(Box<crate::cmd::alertmanager::AlertmanagerArgs>),
    /// Validate files and expositions (like `promtool check` and `amtool check-config`).
    #[command(subcommand)]
    Check(CheckCommand),
    /// Run unit tests (like `promtool test`).
    #[command(subcommand)]
    Test(TestCommand),
    /// Query a server through the Prometheus HTTP API (like `promtool query`).
    Query(crate::cmd::query::QueryArgs),
    /// Work with TSDB data directories (like `promtool tsdb`).
    #[command(subcommand)]
    Tsdb(crate::cmd::tsdb::TsdbCommand),
    /// Manage alerts in an Alertmanager (like `amtool alert`).
    Alert(Passthrough),
    /// Manage silences in an Alertmanager (like `amtool silence`).
    Silence(Passthrough),
}

/// Arguments of a subcommand that is not built yet, accepted so the message can name it.
#[derive(Debug, Args)]
pub struct Passthrough {
    /// Arguments for the subcommand.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<String>,
}

/// `flint check …`.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Check exposition text read from standard input for parse errors and lint problems.
    Metrics(CheckMetricsArgs),
    /// Check a prometheus.yml and the files it references.
    Config(crate::cmd::check_config::CheckConfigArgs),
    /// Check rule files (like `promtool check rules`).
    Rules(crate::cmd::check_rules::CheckRulesArgs),
    /// Check alertmanager.yml files (like `amtool check-config`).
    AlertmanagerConfig(crate::cmd::check_am_config::CheckAmConfigArgs),
}

/// Exposition formats `flint check metrics` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsFormat {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    Openmetrics,
}

/// Options of `flint check metrics`.
#[derive(Debug, Args)]
pub struct CheckMetricsArgs {
    /// Input format; detected from a trailing `# EOF` line when not given.
    #[arg(long, value_enum)]
    pub format: Option<MetricsFormat>,
    /// Exit with status 3 when lint problems are found.
    #[arg(long)]
    pub lint_fatal: bool,
    /// Skip the lint checks; only parse.
    #[arg(long)]
    pub no_lint: bool,
    /// Print the number of series per metric family, largest first.
    #[arg(long)]
    pub extended: bool,
    /// Read from this file instead of standard input.
    #[arg(long, hide = true)]
    pub file: Option<PathBuf>,
}

/// `flint test …`.
#[derive(Debug, Subcommand)]
pub enum TestCommand {
    /// Unit-test rule files (promtool's test format).
    Rules(crate::cmd::test_rules::TestRulesArgs),
}
