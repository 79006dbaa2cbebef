//! State shared by the handlers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use flint_config::Config;
use tokio::sync::{mpsc, oneshot};

/// A reload asked for over HTTP; the answer says whether the new config was applied.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// What the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Self-metrics for `/metrics`.
    pub registry: flint_client::Registry,
    /// The scrape manager (targets, metadata).
    pub scrape: flint_scrape::Manager,
    /// The running config.
    pub config: Arc<RwLock<Arc<Config>>>,
    /// Command-line flags, for `/api/v1/status/flags`.
    pub flags: Arc<BTreeMap<String, String>>,
    /// Whether startup finished and shutdown has not begun.
    pub ready: Arc<AtomicBool>,
    /// `--web.enable-lifecycle`.
    pub lifecycle: bool,
    /// Where reload requests go (the supervisor).
    pub reload: mpsc::Sender<ReloadRequest>,
    /// Where quit requests go.
    pub quit: tokio_util::sync::CancellationToken,
    /// The external URL (for `globalUrl`).
    pub external_url: String,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("lifecycle", &self.lifecycle)
            .finish()
    }
}

impl AppState {
    /// Whether the server is ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// The running config.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_default()
    }
}
