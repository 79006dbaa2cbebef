//! Runs one Prometheus test script and prints the outcome of every evaluation:
//! `cargo run -p flint-promql --example promqltest < ../shared/testdata/promql/functions.test`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut script = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut script) {
        eprintln!("reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let outcomes = match flint_promql::promqltest::run_script(&script) {
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
