//! Locating the shared conformance suites.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the location of the shared test data.
pub const TESTDATA_ENV: &str = "FLINT_TESTDATA";

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate lives in `<root>/crates/flint-testkit`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The directory of the shared conformance suites: `$FLINT_TESTDATA`, or `../shared/testdata`
/// beside the workspace.
///
/// # Panics
/// When the directory does not exist: conformance tests must not pass vacuously.
pub fn testdata_dir() -> PathBuf {
    let dir = std::env::var_os(TESTDATA_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/testdata"));
    assert!(
        dir.is_dir(),
        "shared test data not found at {} (set {TESTDATA_ENV})",
        dir.display()
    );
    dir
}

/// A path inside the shared test data, e.g. `testdata_path("openmetrics/parsers")`.
pub fn testdata_path(relative: &str) -> PathBuf {
    testdata_dir().join(relative)
}

/// Sorted entries of a directory inside the shared test data.
///
/// # Panics
/// When the directory cannot be read.
pub fn list_dir(relative: &str) -> Vec<PathBuf> {
    let dir = testdata_path(relative);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
}
