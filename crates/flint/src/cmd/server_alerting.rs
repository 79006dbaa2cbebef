//! The rules and notifier side of `flint server`: their flags, construction, reload step
//! (notifier, then rules, as Prometheus orders its reloaders), tasks, and the adapter that
//! hands rule alerts to the notifier.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use flint_client::Registry;
use flint_config::Config;
use flint_rules::manager::{ManagerOptions, RulesConfig};
use flint_rules::query::EngineQuery;
use flint_rules::sink::{AlertSink, Notification};
use flint_tsdb::Db;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn duration(s: &str) -> Result<Duration, String> {
    s.parse::<flint_config::Duration>()
        .map(|d| d.std())
        .map_err(|e| e.0)
}

/// The `--rules.*` and `--alertmanager.*` flags (Prometheus's names and defaults).
#[derive(Debug, Args, Clone)]
pub struct AlertingArgs {
    /// Max time to tolerate prometheus outage for restoring "for" state of alert.
    #[arg(long = "rules.alert.for-outage-tolerance", default_value = "1h", value_parser = duration)]
    pub for_outage_tolerance: Duration,
    /// Minimum duration between alert and restored "for" state. This is maintained only for alerts with configured "for" time greater than grace period.
    #[arg(long = "rules.alert.for-grace-period", default_value = "10m", value_parser = duration)]
    pub for_grace_period: Duration,
    /// Minimum amount of time to wait before resending an alert to Alertmanager.
    #[arg(long = "rules.alert.resend-delay", default_value = "1m", value_parser = duration)]
    pub resend_delay: Duration,
    /// The capacity of the queue for pending Alertmanager notifications.
    #[arg(
        long = "alertmanager.notification-queue-capacity",
        default_value_t = 10_000
    )]
    pub queue_capacity: usize,
    /// Send any outstanding Alertmanager notifications when shutting down.
    #[arg(long = "alertmanager.drain-notification-queue-on-shutdown", default_value_t = true, action = clap::ArgAction::Set)]
    pub drain_on_shutdown: bool,
}

impl AlertingArgs {
    /// The flags as `/api/v1/status/flags` shows them.
    pub fn flags(&self) -> Vec<(String, String)> {
        let d = |d: Duration| flint_config::Duration::from(d).to_string();
        vec![
            (
                "rules.alert.for-outage-tolerance".into(),
                d(self.for_outage_tolerance),
            ),
            (
                "rules.alert.for-grace-period".into(),
                d(self.for_grace_period),
            ),
            ("rules.alert.resend-delay".into(), d(self.resend_delay)),
            (
                "alertmanager.notification-queue-capacity".into(),
                self.queue_capacity.to_string(),
            ),
            (
                "alertmanager.drain-notification-queue-on-shutdown".into(),
                self.drain_on_shutdown.to_string(),
            ),
        ]
    }
}

/// Hands the alerts of rule evaluations to the notifier (upstream's `sendAlerts`).
struct NotifierSink(flint_notifier::Manager);

impl AlertSink for NotifierSink {
    fn send(&self, _expr: &str, alerts: Vec<Notification>) {
        self.0.send(
            alerts
                .into_iter()
                .map(|n| flint_notifier::Alert {
                    labels: n.labels,
                    annotations: n.annotations,
                    starts_at: Some(n.starts_at),
                    ends_at: Some(n.ends_at),
                    generator_url: n.generator_url,
                })
                .collect(),
        );
    }
}

/// The rule manager and the notifier of a server.
#[derive(Clone)]
pub struct Alerting {
    /// The rule manager.
    pub rules: flint_rules::Manager,
    /// The notifier.
    pub notifier: flint_notifier::Manager,
    external_url: String,
    query_cancel: CancellationToken,
}

impl Alerting {
    /// Both components over `db`, evaluating with `engine`.
    pub fn new(
        args: &AlertingArgs,
        engine: flint_promql::Engine,
        db: Db,
        registry: &Registry,
        external_url: &str,
    ) -> Self {
        let notifier = flint_notifier::Manager::new(flint_notifier::Options {
            queue_capacity: args.queue_capacity,
            drain_on_shutdown: args.drain_on_shutdown,
            registry: registry.clone(),
            ..flint_notifier::Options::default()
        });
        let query_cancel = CancellationToken::new();
        let db = Arc::new(db);
        let query = EngineQuery::new(engine, db.clone(), query_cancel.clone());
        let mut opts = ManagerOptions::new(
            Arc::new(query),
            db.clone(),
            db,
            Arc::new(NotifierSink(notifier.clone())),
        );
        opts.registry = registry.clone();
        opts.outage_tolerance = args.for_outage_tolerance;
        opts.for_grace_period = args.for_grace_period;
        opts.resend_delay = args.resend_delay;
        Alerting {
            rules: flint_rules::Manager::new(opts),
            notifier,
            external_url: external_url.to_string(),
            query_cancel,
        }
    }

    /// Applies `cfg`: the notifier, then the rules (a broken rule file keeps the previous
    /// rule set and fails the reload).
    pub async fn apply(&self, cfg: &Config) -> Result<(), String> {
        if let Err(e) = self.notifier.apply_config(cfg) {
            tracing::error!(error = %e, "Applying the notifier config failed");
            return Err(e.to_string());
        }
        let rules = RulesConfig::from_config(cfg, &self.external_url);
        if let Err(e) = self.rules.update(&rules).await {
            for line in e.lines() {
                tracing::error!(error = %line, "Loading rule groups failed");
            }
            return Err(e.to_string());
        }
        Ok(())
    }

    /// What the HTTP API reads.
    pub fn api(&self) -> flint_web::rules_api::AlertingApi {
        flint_web::rules_api::AlertingApi {
            rules: Some(self.rules.clone()),
            notifier: Some(self.notifier.clone()),
        }
    }

    /// Starts both; stop them with [`Running::stop`].
    pub fn start(&self) -> Running {
        let (rules_cancel, notifier_cancel) = (CancellationToken::new(), CancellationToken::new());
        Running {
            rules: tokio::spawn(self.rules.clone().run(rules_cancel.clone())),
            notifier: tokio::spawn(self.notifier.clone().run(notifier_cancel.clone())),
            rules_cancel,
            notifier_cancel,
            query_cancel: self.query_cancel.clone(),
        }
    }
}

/// The running tasks.
pub struct Running {
    rules: JoinHandle<()>,
    notifier: JoinHandle<()>,
    rules_cancel: CancellationToken,
    notifier_cancel: CancellationToken,
    query_cancel: CancellationToken,
}

impl Running {
    /// Stops the rules (their evaluations finish; a query still running after `timeout`
    /// is cancelled), then flushes and stops the notifier, each within `timeout`.
    pub async fn stop(self, timeout: Duration) {
        self.rules_cancel.cancel();
        let rules = self.rules;
        if tokio::time::timeout(timeout, rules).await.is_err() {
            self.query_cancel.cancel();
            tracing::error!(component = "rules", "Stopping timed out");
        }
        self.notifier_cancel.cancel();
        if tokio::time::timeout(timeout, self.notifier).await.is_err() {
            tracing::error!(component = "notifier", "Stopping timed out");
        }
    }
}
