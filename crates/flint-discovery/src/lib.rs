//! Service discovery: providers of target groups and the manager that feeds them to
//! scraping (and, later, to the notifier).
//!
//! - [`TargetGroup`]: targets (label sets with `__address__`) plus common labels, keyed by
//!   a `source` unique within its provider.
//! - [`Discoverer`]: `run(self, cancel, tx)` sends the full set of groups first, then the
//!   groups that changed (an emptied group means its targets are gone), until cancelled.
//!   Implementations: [`static_sd`], [`file`], [`http`], [`dns`].
//! - [`Manager`]: one provider per distinct SD config (jobs with identical configs share
//!   it), an updater per provider merging groups by (job, provider), and a sender that
//!   delivers the full job → groups map at most once per sync period (5 s).
//! - [`client`]: building HTTP clients from `prometheus.yml` HTTP settings (shared with
//!   scraping).
#![deny(missing_docs)]

pub mod client;
pub mod discoverer;
pub mod dns;
pub mod error;
pub mod file;
pub mod http;
pub mod manager;
mod metrics;
pub mod static_sd;
pub mod targetgroup;

pub use discoverer::{Discoverer, DiscovererDeps, new_discoverer};
pub use error::{Error, Result};
pub use manager::{Manager, ManagerOptions, TargetSets};
pub use targetgroup::TargetGroup;
