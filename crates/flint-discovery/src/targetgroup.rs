//! Target groups: what providers discover.

use flint_config::StaticConfig;
use flint_model::Labels;

/// The label holding a target's address.
pub const ADDRESS_LABEL: &str = "__address__";

/// A group of targets sharing labels, identified within its provider by `source`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetGroup {
    /// Identifies the group within its provider (a file name and index, a URL, a DNS name).
    pub source: String,
    /// One label set per target; each has `__address__`.
    pub targets: Vec<Labels>,
    /// Labels common to every target of the group.
    pub labels: Labels,
}

impl TargetGroup {
    /// A group from a `static_configs`/file-SD entry, adding `extra` common labels.
    pub fn from_static(source: String, cfg: &StaticConfig, extra: &[(&str, &str)]) -> Self {
        let targets = cfg
            .targets
            .iter()
            .map(|t| Labels::from_pairs([(ADDRESS_LABEL, t.as_str())]))
            .collect();
        let labels = Labels::from_pairs(
            cfg.labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(extra.iter().copied()),
        );
        TargetGroup {
            source,
            targets,
            labels,
        }
    }

    /// An empty group: sent to say that the group `source` has no targets any more.
    pub fn empty(source: String) -> Self {
        TargetGroup {
            source,
            ..Default::default()
        }
    }
}
