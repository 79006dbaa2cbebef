//! Shared test helpers for Flint's crates.
//!
//! - [`testdata`] finds the conformance suites in `../shared/testdata`.
//! - [`net`] runs loopback TLS and proxy servers that record what clients sent.
//! - [`program`] finds external programs (promtool, amtool, …) and skips loudly when one is
//!   missing on a developer machine, while failing in CI where `.ci/run` installs them.
#![deny(missing_docs)]

pub mod net;
pub mod program;
pub mod testdata;

pub use program::find_program;
pub use testdata::testdata_dir;
