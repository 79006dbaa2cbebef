//! Shared test helpers for Flint's crates.
//!
//! - [`testdata`] finds the conformance suites in `../shared/testdata`.
//! - [`program`] finds external programs (promtool, amtool, …) and skips loudly when one is
//!   missing on a developer machine, while failing in CI where `.ci/run` installs them.
#![deny(missing_docs)]

pub mod program;
pub mod testdata;

pub use program::find_program;
pub use testdata::testdata_dir;
