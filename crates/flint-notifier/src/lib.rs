//! Sending alerts to Alertmanagers, as Prometheus's notifier does.
//!
//! - [`Manager`] holds a bounded queue ([`Options::queue_capacity`],
//!   `--alertmanager.notification-queue-capacity`; the oldest alerts are dropped and
//!   counted when it overflows) and sends batches to every Alertmanager of every
//!   `alerting.alertmanagers` entry in parallel (API v2, `path_prefix`, timeout, TLS and
//!   auth from the entry's HTTP settings).
//! - Alertmanagers are discovered through `flint-discovery` (static and every supported
//!   SD), relabeled with the entry's `relabel_configs` ([`AlertmanagerSet`]).
//! - [`Manager::send`] adds the external labels and applies `alert_relabel_configs`; each
//!   entry's own `alert_relabel_configs` apply when sending to it.
//! - Metrics: `prometheus_notifications_{latency_seconds,errors_total,sent_total,
//!   dropped_total,queue_length,queue_capacity,alertmanagers_discovered}`.
#![deny(missing_docs)]

pub mod alert;
pub mod error;
pub mod manager;
pub mod metrics;
pub mod set;

pub use alert::Alert;
pub use error::{Error, Result};
pub use manager::{Manager, Options};
pub use set::AlertmanagerSet;
