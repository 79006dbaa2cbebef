//! External programs used by interop tests.

use std::path::{Path, PathBuf};

/// Whether we run under CI (`CI` set to anything but `false`/empty).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Finds `name` on `PATH`.
///
/// Returns `None` after printing a loud notice when the program is absent on a developer
/// machine, so the calling test can return early. Under CI the program must be there
/// (`.ci/run` installs it), so absence panics instead of silently skipping.
pub fn find_program(name: &str) -> Option<PathBuf> {
    if let Some(found) = which(name) {
        return Some(found);
    }
    assert!(
        !in_ci(),
        "{name} is required in CI but was not found on PATH (.ci/run installs it)"
    );
    eprintln!();
    eprintln!("################################################################");
    eprintln!("## SKIPPED: `{name}` is not installed; this interop test did not run.");
    eprintln!("## Install it (see .ci/run) to run it locally.");
    eprintln!("################################################################");
    None
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
