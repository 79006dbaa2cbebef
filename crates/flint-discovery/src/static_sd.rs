//! `static_configs`: the groups are the config.

use flint_config::StaticConfig;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::discoverer::{Discoverer, RunFuture};
use crate::targetgroup::TargetGroup;

/// Sends its groups once (sources `"0"`, `"1"`, …) and waits for cancellation.
#[derive(Debug)]
pub struct StaticDiscoverer {
    groups: Vec<TargetGroup>,
}

impl StaticDiscoverer {
    /// A discoverer for the `static_configs` groups of one block.
    pub fn new(cfgs: &[StaticConfig]) -> Self {
        let groups = cfgs
            .iter()
            .enumerate()
            .map(|(i, c)| TargetGroup::from_static(i.to_string(), c, &[]))
            .collect();
        StaticDiscoverer { groups }
    }
}

impl Discoverer for StaticDiscoverer {
    fn run(
        self: Box<Self>,
        cancel: CancellationToken,
        tx: mpsc::Sender<Vec<TargetGroup>>,
    ) -> RunFuture {
        Box::pin(async move {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tx.send(self.groups) => {}
            }
            cancel.cancelled().await;
        })
    }
}
