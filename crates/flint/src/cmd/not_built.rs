//! The answer of subcommands that are laid out but not built yet.

use std::process::ExitCode;

/// Exit status of a subcommand that is not available yet.
pub const NOT_BUILT_EXIT: u8 = 2;

/// Prints which piece of work will bring `what` and returns a non-zero exit status.
pub fn report(what: &str, arriving_with: &str) -> ExitCode {
    eprintln!("flint: `{what}` is not built yet; it arrives with {arriving_with}.");
    eprintln!("flint: available now: `flint check metrics` (see `flint --help`).");
    ExitCode::from(NOT_BUILT_EXIT)
}
