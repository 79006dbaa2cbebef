//! The dispatcher: routes every alert from the store to the aggregation groups of the routes
//! it matches, creating groups on demand and dropping them once empty.

pub mod group;
pub mod route;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};

use flint_model::Labels;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alert::{Alert, Fingerprint};
use crate::store::Store;
use crate::time::{Clock, Millis};
pub use group::AggrGroup;
pub use route::{GroupBy, RouteNode, RouteOpts};

/// What a flush hands the notification pipeline besides the alerts.
#[derive(Debug, Clone)]
pub struct FlushCtx {
    /// The group key.
    pub group_key: Arc<str>,
    /// The group labels.
    pub group_labels: Labels,
    /// The route (receiver, repeat interval, time intervals).
    pub route: Arc<RouteNode>,
    /// Wall time of the flush.
    pub now: Millis,
    /// When the next flush is due; notifications give up then.
    pub deadline: Instant,
}

/// A boxed future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Receives flushed groups (the notification pipeline). Returns whether every integration
/// succeeded.
pub trait Flusher: Send + Sync + 'static {
    /// Notifies about one group's alerts.
    fn flush<'a>(&'a self, ctx: &'a FlushCtx, alerts: Vec<Arc<Alert>>) -> BoxFuture<'a, bool>;
}

type GroupId = (String, Fingerprint);

/// State shared by the dispatcher loop, its groups and its handle.
pub struct Shared {
    groups: Mutex<HashMap<GroupId, Arc<AggrGroup>>>,
    tree: RwLock<Arc<RouteNode>>,
    flusher: RwLock<Arc<dyn Flusher>>,
    clock: Clock,
    cancel: CancellationToken,
    /// The groups' timer tasks, awaited on shutdown so in-flight notifications are recorded.
    tasks: tokio_util::task::TaskTracker,
    on_groups_changed: Box<dyn Fn(usize) + Send + Sync>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    fn flusher(&self) -> Arc<dyn Flusher> {
        self.flusher
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn tree(&self) -> Arc<RouteNode> {
        self.tree.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn groups(&self) -> std::sync::MutexGuard<'_, HashMap<GroupId, Arc<AggrGroup>>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Removes `g` if it is empty; inserts take the same lock, so none is lost.
    fn remove_if_empty(&self, g: &Arc<AggrGroup>) -> bool {
        let mut groups = self.groups();
        if !g.is_empty() {
            return false;
        }
        groups.retain(|_, v| !Arc::ptr_eq(v, g));
        (self.on_groups_changed)(groups.len());
        true
    }

    fn route_alert(
        self: &Arc<Self>,
        tree: &Arc<RouteNode>,
        alert: &Arc<Alert>,
        now: Millis,
        groups: &mut HashMap<GroupId, Arc<AggrGroup>>,
    ) {
        for r in tree.matching(&alert.labels) {
            let labels = r.group_labels(&alert.labels);
            let id = (r.id.clone(), Fingerprint::of(&labels));
            if let Some(g) = groups.get(&id) {
                g.insert(alert.clone(), now);
                continue;
            }
            let g = Arc::new(AggrGroup::new(r.clone(), labels, self.cancel.child_token()));
            groups.insert(id, g.clone());
            (self.on_groups_changed)(groups.len());
            // The first alert goes in before the timer starts.
            g.insert(alert.clone(), now);
            self.tasks.spawn(g.run(self.clone()));
        }
    }
}

/// The dispatcher and its handle.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

/// A snapshot of one group for the API.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    /// Group labels.
    pub labels: Labels,
    /// The receiver.
    pub receiver: String,
    /// The route ID.
    pub route_id: String,
    /// The group key.
    pub group_key: Arc<str>,
    /// The alerts.
    pub alerts: Vec<Arc<Alert>>,
}

impl Dispatcher {
    /// A dispatcher over `tree` sending flushes to `flusher`; `on_groups_changed` gets the
    /// number of groups whenever it changes (for `alertmanager_dispatcher_aggregation_groups`).
    pub fn new(
        tree: Arc<RouteNode>,
        flusher: Arc<dyn Flusher>,
        clock: Clock,
        on_groups_changed: Box<dyn Fn(usize) + Send + Sync>,
    ) -> Self {
        Dispatcher {
            shared: Arc::new(Shared {
                groups: Mutex::new(HashMap::new()),
                tree: RwLock::new(tree),
                flusher: RwLock::new(flusher),
                clock,
                cancel: CancellationToken::new(),
                tasks: tokio_util::task::TaskTracker::new(),
                on_groups_changed,
            }),
        }
    }

    /// Routes alerts from `store` until `cancel` fires, then stops every group.
    pub async fn run(self, store: Arc<Store>, cancel: CancellationToken) {
        let mut sub = store.subscribe();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                b = sub.recv() => match b {
                    Some(batch) => self.process(&batch),
                    None => break,
                },
            }
        }
        self.shared.cancel.cancel();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
    }

    fn process(&self, batch: &[Arc<Alert>]) {
        let tree = self.shared.tree();
        let now = self.shared.clock.now();
        let mut groups = self.shared.groups();
        for a in batch {
            self.shared.route_alert(&tree, a, now, &mut groups);
        }
    }

    /// Applies a new tree and pipeline. Groups whose route kept its key and options keep
    /// running with their timers; the others stop. Alerts in `store` are routed again.
    pub fn reload(&self, tree: Arc<RouteNode>, flusher: Arc<dyn Flusher>, store: &Store) {
        let mut by_key = HashMap::new();
        tree.walk(&mut |n| {
            by_key.insert(n.id.clone(), n.clone());
        });
        *self
            .shared
            .flusher
            .write()
            .unwrap_or_else(|p| p.into_inner()) = flusher;
        *self.shared.tree.write().unwrap_or_else(|p| p.into_inner()) = tree;
        {
            let mut groups = self.shared.groups();
            groups.retain(|(key, _), g| match by_key.get(key) {
                Some(n) if n.opts == g.route().opts => {
                    *g.route.write().unwrap_or_else(|p| p.into_inner()) = n.clone();
                    true
                }
                _ => {
                    g.cancel.cancel();
                    false
                }
            });
            (self.shared.on_groups_changed)(groups.len());
        }
        self.process(&store.list());
    }

    /// The current route tree.
    pub fn tree(&self) -> Arc<RouteNode> {
        self.shared.tree()
    }

    /// Snapshots of all groups.
    pub fn groups(&self) -> Vec<GroupInfo> {
        let groups: Vec<Arc<AggrGroup>> = self.shared.groups().values().cloned().collect();
        groups
            .into_iter()
            .map(|g| {
                let route = g.route();
                GroupInfo {
                    labels: g.labels.clone(),
                    receiver: route.opts.receiver.clone(),
                    route_id: route.id.clone(),
                    group_key: g.key.clone(),
                    alerts: g.alerts(),
                }
            })
            .collect()
    }

    /// Number of aggregation groups.
    pub fn group_count(&self) -> usize {
        self.shared.groups().len()
    }
}

#[cfg(test)]
mod tests;
