//! Scraping: one pool per job, one loop per target, appending through the storage contract.
//!
//! - [`Manager`] keeps a [`pool::ScrapePool`] per job, fed by discovery's target sets and
//!   reloaded on config changes by diffing jobs: unchanged pools keep running.
//! - A pool turns target groups into [`target::Target`]s (target relabeling, `job`,
//!   `instance`, `__param_*` …) and runs one [`scrape_loop`] per target at a stable offset
//!   within the interval.
//! - A loop fetches (timeout header, `Accept` negotiation, gzip, body limit), parses with
//!   `flint-expfmt`, applies `honor_labels`/metric relabeling/limits, appends through
//!   [`flint_storage::Appendable`] with a cache from raw series text to series reference,
//!   writes the report series (`up`, `scrape_duration_seconds`, …) and staleness markers
//!   for vanished series, vanished targets and shutdown.
#![deny(missing_docs)]

pub mod append;
pub mod body;
pub mod cache;
pub mod error;
pub mod failure_log;
pub mod fetch;
pub mod manager;
pub mod meta;
pub mod metrics;
pub mod pool;
pub mod report;
pub mod scrape_loop;
pub mod target;

pub use error::{Error, Result};
pub use manager::{Manager, ManagerOptions};
pub use target::{Target, TargetHealth};
