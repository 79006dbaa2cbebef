//! Where alerts go: the [`AlertSink`] trait (upstream's `NotifyFunc`), injected so rules
//! never depend on the notifier.

use std::sync::{Arc, Mutex};

use flint_model::Labels;

/// An alert as the notifier sends it to Alertmanager.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The alert's labels (`alertname` included, external labels not yet).
    pub labels: Labels,
    /// The expanded annotations.
    pub annotations: Labels,
    /// When it started firing (milliseconds).
    pub starts_at: i64,
    /// When it resolved, or until when it stays valid without a resend (milliseconds).
    pub ends_at: i64,
    /// A link to the expression in the server's UI.
    pub generator_url: String,
}

/// Receives the alerts of each alerting-rule evaluation that need sending (firing ones once
/// per resend delay, resolved ones until they are forgotten).
pub trait AlertSink: Send + Sync {
    /// Sends `alerts` of the rule with expression `expr`; must not block.
    fn send(&self, expr: &str, alerts: Vec<Notification>);
}

/// A sink that drops everything (for `flint test rules`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSink;

impl AlertSink for NoSink {
    fn send(&self, _expr: &str, _alerts: Vec<Notification>) {}
}

/// A sink that keeps what it receives (tests).
#[derive(Debug, Default, Clone)]
pub struct RecordingSink(Arc<Mutex<Vec<Notification>>>);

impl RecordingSink {
    /// Takes what was received so far.
    pub fn take(&self) -> Vec<Notification> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl AlertSink for RecordingSink {
    fn send(&self, _expr: &str, alerts: Vec<Notification>) {
        if let Ok(mut v) = self.0.lock() {
            v.extend(alerts);
        }
    }
}

/// Upstream's generator URL: the external URL plus a table link to the expression.
pub fn generator_url(external_url: &str, expr: &str) -> String {
    format!(
        "{external_url}/graph?g0.expr={}&g0.tab=1",
        flint_template::query_escape(expr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_urls_escape_the_expression() {
        assert_eq!(
            generator_url("http://p:9090", "up == 0"),
            "http://p:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
        );
    }
}
