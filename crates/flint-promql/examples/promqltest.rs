//! Runs one Prometheus test script and prints the outcome of every evaluation:
//! `cargo run -p flint-promql --example promqltest [--tsdb] < ../shared/testdata/promql/functions.test`
//! (`--tsdb`: against `flint_tsdb::Db` in a temporary directory instead of the memory storage).
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/it/tsdb_store.rs"]
mod tsdb_store;

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut script = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut script) {
        eprintln!("reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let tsdb = std::env::args().any(|a| a == "--tsdb");
    let outcomes = if tsdb {
        flint_promql::promqltest::run_script_on(&script, tsdb_store::TsdbStore::new, false)
    } else {
        flint_promql::promqltest::run_script(&script)
    };
    let outcomes = match outcomes {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = 0;
    for o in &outcomes {
        match &o.result {
            Ok(()) => println!("ok   {}: {}", o.line, o.expr),
            Err(e) => {
                failed += 1;
                println!("FAIL {}: {}\n      {e}", o.line, o.expr);
            }
        }
    }
    println!("{}/{} passed", outcomes.len() - failed, outcomes.len());
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
