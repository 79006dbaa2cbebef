//! `flint tsdb …`: promtool's TSDB tools on data directories — backfill from OpenMetrics,
//! analyze, dump and list — with promtool's arguments and output.

mod analyze;
mod backfill;
mod dump;
mod format;
mod list;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `flint tsdb …`.
#[derive(Debug, Subcommand)]
pub enum TsdbCommand {
    /// Import samples from an input file into TSDB blocks.
    #[command(subcommand)]
    CreateBlocksFrom(CreateBlocksFrom),
    /// Analyze churn, label pair cardinality and compaction efficiency of a block.
    Analyze(AnalyzeArgs),
    /// Dump samples from a TSDB.
    Dump(DumpArgs),
    /// List the blocks of a TSDB.
    List(ListArgs),
}

/// `flint tsdb create-blocks-from …`.
#[derive(Debug, Subcommand)]
pub enum CreateBlocksFrom {
    /// Import samples from an OpenMetrics file (every sample with a timestamp).
    Openmetrics(OpenMetricsArgs),
}

/// Options of `flint tsdb create-blocks-from openmetrics`.
#[derive(Debug, Args)]
pub struct OpenMetricsArgs {
    /// OpenMetrics file to read samples from.
    pub input: PathBuf,
    /// Output directory for the generated blocks.
    #[arg(default_value = "data/")]
    pub output: PathBuf,
    /// Print human readable values.
    #[arg(short = 'r', long)]
    pub human_readable: bool,
    /// Do not print the created blocks.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Maximum duration created blocks may span; anything less than 2h is ignored.
    #[arg(long, hide = true, value_parser = format::parse_duration)]
    pub max_block_duration: Option<std::time::Duration>,
}

/// Options of `flint tsdb analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Database path.
    #[arg(default_value = "data/")]
    pub db_path: PathBuf,
    /// Block to analyze (default is the last block).
    pub block_id: Option<String>,
    /// How many items to show in each list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Run extended analysis (chunk fullness).
    #[arg(long)]
    pub extended: bool,
}

/// Options of `flint tsdb dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Database path.
    #[arg(default_value = "data/")]
    pub db_path: PathBuf,
    /// Minimum timestamp to dump (milliseconds).
    #[arg(long, default_value_t = i64::MIN, allow_hyphen_values = true)]
    pub min_time: i64,
    /// Maximum timestamp to dump (milliseconds).
    #[arg(long, default_value_t = i64::MAX, allow_hyphen_values = true)]
    pub max_time: i64,
    /// Series selector; may be given several times (default: every series).
    #[arg(long = "match")]
    pub matches: Vec<String>,
}

/// Options of `flint tsdb list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Database path.
    #[arg(default_value = "data/")]
    pub db_path: PathBuf,
    /// Print human readable values.
    #[arg(short = 'r', long)]
    pub human_readable: bool,
}

/// Runs a `flint tsdb` subcommand, writing its report to `out` and progress to `err`.
pub fn run(
    cmd: &TsdbCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match cmd {
        TsdbCommand::CreateBlocksFrom(CreateBlocksFrom::Openmetrics(args)) => {
            backfill::run(args, out, err)?
        }
        TsdbCommand::Analyze(args) => analyze::run(args, out)?,
        TsdbCommand::Dump(args) => dump::run(args, out)?,
        TsdbCommand::List(args) => list::run(args, out)?,
    }
    Ok(ExitCode::SUCCESS)
}
