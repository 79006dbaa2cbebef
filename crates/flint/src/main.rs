//! The `flint` binary: command-line parsing, logging set-up and dispatch to the libraries.
//!
//! Only wiring lives here; behaviour belongs in the library crates.

mod cli;
mod cmd;
mod version;

use std::process::ExitCode;

use clap::Parser;

use cli::{CheckCommand, Cli, Command, TestCommand};
use cmd::not_built;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(log_level(&cli), log_format(&cli));
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("flint: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return cmd::all_in_one::run(&cli.all_in_one);
    };
    Ok(match command {
        Command::Check(CheckCommand::Metrics(args)) => {
            cmd::check_metrics::run(&args, &mut std::io::stderr().lock())?
        }
        Command::Server(args) => cmd::server::run(&args)?,
        Command::Alertmanager(args) => cmd::alertmanager::run(&args)?,
        Command::Check(CheckCommand::Config(args)) => cmd::check_config::run(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )?,
        Command::Check(CheckCommand::Rules(args)) => cmd::check_rules::run(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )?,
        Command::Check(CheckCommand::AlertmanagerConfig(args)) => {
            cmd::check_am_config::run(&args, &mut std::io::stdout().lock())?
        }
        Command::Test(TestCommand::Rules(args)) => cmd::test_rules::run(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )?,
        Command::Query(args) => cmd::query::run(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )?,
        Command::Tsdb(cmd) => cmd::tsdb::run(
            &cmd,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )?,
        Command::Alert(_) => not_built::report("flint alert", "issue 7"),
        Command::Silence(_) => not_built::report("flint silence", "issue 7"),
    })
}

/// The `--log.level` of the roles that have one (Prometheus's and Alertmanager's flag).
fn log_level(cli: &Cli) -> &str {
    match &cli.command {
        Some(Command::Server(a)) => &a.log_level,
        Some(Command::Alertmanager(a)) => &a.log_level,
        _ => "info",
    }
}

/// The `--log.format` of the roles that have one (`logfmt` otherwise).
fn log_format(cli: &Cli) -> &str {
    match &cli.command {
        Some(Command::Server(a)) => &a.log_format,
        Some(Command::Alertmanager(a)) => &a.log_format,
        _ => "logfmt",
    }
}

/// Logs go to standard error in Prometheus's logfmt or JSON lines; `FLINT_LOG` (tracing's
/// filter syntax) wins over `--log.level` (`debug`, `info`, `warn`, `error`), which
/// defaults to `info`.
fn init_logging(level: &str, format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLINT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(cmd::server_log::PromFormat::new(format))
        .init();
}
