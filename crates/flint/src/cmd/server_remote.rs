//! What the remote-write sender reads from the rest of the server: the metadata of the
//! families the scrape targets expose, for `metadata_config`.

use flint_remote::write::{FamilyMetadata, MetadataFuture, MetadataSource};

/// The scrape manager's targets as the source of remote-write metadata.
#[derive(Debug, Clone)]
pub struct ScrapeMetadata(pub flint_scrape::Manager);

impl MetadataSource for ScrapeMetadata {
    fn metadata(&self) -> MetadataFuture<'_> {
        Box::pin(async move {
            let mut out = Vec::new();
            for job in self.0.targets().await {
                for t in &job.active {
                    out.extend(t.metadata().iter().map(|m| FamilyMetadata {
                        family: m.metric.clone(),
                        metric_type: m.metric_type.parse().unwrap_or_default(),
                        help: m.help.clone(),
                        unit: m.unit.clone(),
                    }));
                }
            }
            out
        })
    }
}
