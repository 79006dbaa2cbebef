//! Aggregation groups: the alerts of one route with the same group labels, flushed to the
//! pipeline after `group_wait`, then every `group_interval`, exactly as upstream's
//! `aggrGroup`.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex, RwLock};

use flint_model::Labels;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::route::RouteNode;
use super::{FlushCtx, Shared};
use crate::alert::{Alert, Fingerprint};
use crate::hashing::FastMap;
use crate::time::ZERO_TIME;

/// How long a flush already under way may run on after shutdown is requested.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Default)]
struct GroupState {
    alerts: FastMap<Fingerprint, Arc<Alert>>,
    has_flushed: bool,
    flush_now: bool,
}

/// One aggregation group.
#[derive(Debug)]
pub struct AggrGroup {
    /// `routeKey:groupLabels`, the key nflog records and receivers see.
    pub key: Arc<str>,
    /// The group labels.
    pub labels: Labels,
    /// The route; replaced on a reload that keeps the group.
    pub route: RwLock<Arc<RouteNode>>,
    state: Mutex<GroupState>,
    poke: Notify,
    /// Stops the group.
    pub cancel: CancellationToken,
}

/// Sorts into upstream's `AlertSlice` order: by `job`, then `instance` (alerts without the
/// label last), then the whole label set. The two label lookups are made once per alert,
/// not once per comparison: on a 1000-alert group they were most of a flush's CPU.
pub fn sort_alerts(alerts: &mut Vec<Arc<Alert>>) {
    fn present_first(a: Option<&str>, b: Option<&str>) -> Ordering {
        match (a, b) {
            (Some(x), Some(y)) => x.cmp(y),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        }
    }
    let sorted: Vec<Arc<Alert>> = {
        let mut keyed: Vec<(Option<&str>, Option<&str>, &Arc<Alert>)> = alerts
            .iter()
            .map(|a| (a.labels.get("job"), a.labels.get("instance"), a))
            .collect();
        keyed.sort_by(|x, y| {
            present_first(x.0, y.0)
                .then_with(|| present_first(x.1, y.1))
                .then_with(|| x.2.labels.cmp(&y.2.labels))
        });
        keyed.into_iter().map(|k| Arc::clone(k.2)).collect()
    };
    *alerts = sorted;
}

impl AggrGroup {
    pub(super) fn new(route: Arc<RouteNode>, labels: Labels, cancel: CancellationToken) -> Self {
        AggrGroup {
            key: Arc::from(format!("{}:{}", route.key, labels)),
            labels,
            route: RwLock::new(route),
            state: Mutex::new(GroupState::default()),
            poke: Notify::new(),
            cancel,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current route.
    pub fn route(&self) -> Arc<RouteNode> {
        self.route.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Adds or replaces an alert; a group that never flushed flushes at once when the alert's
    /// `group_wait` is already over.
    pub fn insert(&self, alert: Arc<Alert>, now: i64) {
        let wait = self.route().opts.group_wait.as_millis() as i64;
        let mut st = self.lock();
        let poke = !st.has_flushed && alert.starts_at + wait < now;
        st.alerts.insert(alert.fingerprint, alert);
        if poke {
            st.flush_now = true;
            drop(st);
            self.poke.notify_one();
        }
    }

    /// The group's alerts, in notification order.
    pub fn alerts(&self) -> Vec<Arc<Alert>> {
        let mut v: Vec<Arc<Alert>> = self.lock().alerts.values().cloned().collect();
        sort_alerts(&mut v);
        v
    }

    /// Whether the group holds no alerts.
    pub fn is_empty(&self) -> bool {
        self.lock().alerts.is_empty()
    }

    /// The timer loop: first flush after `group_wait`, then every `group_interval`.
    pub(super) async fn run(self: Arc<Self>, shared: Arc<Shared>) {
        let mut next = Instant::now() + self.route().opts.group_wait;
        loop {
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
                _ = self.poke.notified() => {
                    if !std::mem::take(&mut self.lock().flush_now) {
                        continue;
                    }
                }
            }
            let interval = self.route().opts.group_interval;
            next = Instant::now() + interval;
            {
                let mut st = self.lock();
                st.has_flushed = true;
                st.flush_now = false;
            }
            self.flush(&shared, next).await;
            if shared.remove_if_empty(&self) {
                return;
            }
        }
    }

    async fn flush(&self, shared: &Shared, deadline: Instant) {
        let now = shared.clock.now();
        let (alerts, resolved) = {
            let st = self.lock();
            if st.alerts.is_empty() {
                return;
            }
            let mut alerts = Vec::with_capacity(st.alerts.len());
            let mut resolved = Vec::new();
            for a in st.alerts.values() {
                if a.resolved_at(now) {
                    resolved.push(a.clone());
                    alerts.push(a.clone());
                } else if a.ends_at == ZERO_TIME {
                    alerts.push(a.clone());
                } else {
                    // Firing alerts must not resolve while the pipeline runs.
                    let mut c = (**a).clone();
                    c.ends_at = ZERO_TIME;
                    alerts.push(Arc::new(c));
                }
            }
            sort_alerts(&mut alerts);
            (alerts, resolved)
        };
        let ctx = FlushCtx {
            group_key: self.key.clone(),
            group_labels: self.labels.clone(),
            route: self.route(),
            now,
            deadline,
        };
        let flusher = shared.flusher();
        let ok = tokio::select! {
            // On shutdown a flush already under way gets a short grace, so a notification
            // that went out is also recorded in the nflog (and not re-sent after restart).
            _ = async {
                self.cancel.cancelled().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => false,
            r = tokio::time::timeout_at(deadline, flusher.flush(&ctx, alerts)) => r.unwrap_or(false),
        };
        if ok {
            let mut st = self.lock();
            for r in resolved {
                // Keep alerts that fired again while we were notifying.
                if st
                    .alerts
                    .get(&r.fingerprint)
                    .is_some_and(|cur| Arc::ptr_eq(cur, &r))
                {
                    st.alerts.remove(&r.fingerprint);
                }
            }
        }
    }
}
