//! Implementations of the subcommands.

pub mod check_metrics;
pub mod not_built;
