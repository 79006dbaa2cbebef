//! Build information shown by `flint --version`.

/// The multi-line version text, laid out like Prometheus's (`flint --version`).
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision: ",
    env!("FLINT_GIT_REVISION"),
    ")\n  build date:       ",
    env!("FLINT_BUILD_DATE"),
    "\n  rustc version:    ",
    env!("FLINT_RUSTC_VERSION"),
    "\n  platform:         ",
    env!("FLINT_TARGET"),
);
