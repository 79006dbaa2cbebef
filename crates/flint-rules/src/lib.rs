//! Recording and alerting rules, as Prometheus evaluates them.
//!
//! - [`rulefmt`]: rule files parsed and validated with upstream's positioned messages;
//!   [`lint`] finds duplicate rules (`flint check rules`).
//! - [`Manager`] loads `rule_files` into [`Group`]s and runs one task per group:
//!   evaluation on the group's own ticker, aligned to a stable offset within the interval;
//!   rules in order; recording results appended with the evaluation timestamp through
//!   [`flint_storage::Appendable`], stale markers when a series disappears.
//!   [`Manager::update`] diffs groups by (file, name): unchanged groups keep running,
//!   changed ones inherit their rules' state, removed ones are marked stale.
//! - [`alerting::AlertingRule`]: the state machine (inactive → pending → firing →
//!   resolved, `for`, `keep_firing_for`), templated labels and annotations (`$labels`,
//!   `$value`, `$externalLabels`, `$externalURL`), `ALERTS` and `ALERTS_FOR_STATE` series,
//!   restore of `for` state after a restart (`--rules.alert.for-outage-tolerance`,
//!   `--rules.alert.for-grace-period`), resends after `--rules.alert.resend-delay`.
//! - The query function ([`query::QueryFn`], [`query::EngineQuery`] over the PromQL engine)
//!   and the alert sink ([`sink::AlertSink`]) are injected, so tests run without an engine
//!   or a notifier, under `tokio::time::pause` ([`clock::Clock`] follows tokio's clock).
//! - Self-metrics: `prometheus_rule_evaluation_*`, `prometheus_rule_group_*`,
//!   `prometheus_template_text_expansion*`.
#![deny(missing_docs)]

pub mod alerting;
pub mod clock;
pub mod error;
pub mod group;
pub mod lint;
pub mod manager;
pub mod metrics;
pub mod query;
pub mod recording;
pub mod rule;
pub mod rulefmt;
pub mod sink;

pub use error::{Error, EvalError, QueryError, Result};
pub use group::Group;
pub use manager::{Manager, ManagerOptions, RulesConfig};
pub use rule::{Health, Rule, Status};
