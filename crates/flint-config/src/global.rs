//! The `global` block.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::size::ByteSize;

/// `global`: defaults for every job plus server-wide settings.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalConfig {
    /// Default scrape interval (1m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_interval: Option<Duration>,
    /// Default scrape timeout (10s, at most the interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<Duration>,
    /// Protocols to negotiate, most wanted first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_protocols: Option<Vec<String>>,
    /// Default rule evaluation interval (1m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation_interval: Option<Duration>,
    /// Offset of rule evaluation timestamps into the past.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_query_offset: Option<Duration>,
    /// File PromQL queries are logged to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query_log_file: String,
    /// File scrape failures are logged to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scrape_failure_log_file: String,
    /// Labels added to series and alerts leaving this server (`${VAR}` expanded at load).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub external_labels: BTreeMap<String, String>,
    /// Uncompressed body size limit per scrape; 0 is none.
    #[serde(skip_serializing_if = "ByteSize::is_zero")]
    pub body_size_limit: ByteSize,
    /// Samples per scrape after metric relabeling; 0 is none.
    #[serde(skip_serializing_if = "is_zero")]
    pub sample_limit: u64,
    /// Targets per job after relabeling; 0 is none.
    #[serde(skip_serializing_if = "is_zero")]
    pub target_limit: u64,
    /// Labels per series; 0 is none.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_limit: u64,
    /// Label name length; 0 is none.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_name_length_limit: u64,
    /// Label value length; 0 is none.
    #[serde(skip_serializing_if = "is_zero")]
    pub label_value_length_limit: u64,
    /// Dropped targets kept per job for the API; 0 is all.
    #[serde(skip_serializing_if = "is_zero")]
    pub keep_dropped_targets: u64,
    /// `utf8` (default) or `legacy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name_validation_scheme: Option<String>,
    /// Escaping requested in negotiation (`allow-utf-8`, `underscores`, `dots`, `values`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name_escaping_scheme: Option<String>,
    /// Whether to scrape native histograms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_native_histograms: Option<bool>,
    /// Convert classic histograms to native histograms with custom buckets.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub convert_classic_histograms_to_nhcb: bool,
    /// Keep classic histograms also exposed as native ones.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub always_scrape_classic_histograms: bool,
    /// Write `scrape_timeout_seconds`, `scrape_sample_limit`, `scrape_body_size_bytes`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extra_scrape_metrics: bool,
}

pub(crate) fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Default `scrape_interval`.
pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(60);
/// Default `scrape_timeout`.
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `evaluation_interval`.
pub const DEFAULT_EVALUATION_INTERVAL: Duration = Duration::from_secs(60);

impl GlobalConfig {
    /// `external_labels` as a label set.
    pub fn external_label_set(&self) -> flint_model::Labels {
        flint_model::Labels::from_pairs(
            self.external_labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }

    /// The effective scrape interval.
    pub fn scrape_interval(&self) -> Duration {
        self.scrape_interval
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_SCRAPE_INTERVAL)
    }

    /// The effective scrape timeout.
    pub fn scrape_timeout(&self) -> Duration {
        self.scrape_timeout
            .filter(|d| !d.is_zero())
            .unwrap_or_else(|| DEFAULT_SCRAPE_TIMEOUT.min(self.scrape_interval()))
    }

    /// The effective evaluation interval.
    pub fn evaluation_interval(&self) -> Duration {
        self.evaluation_interval
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_EVALUATION_INTERVAL)
    }

    /// Fill in defaults as Prometheus does at load, so the rendered config shows them.
    pub(crate) fn apply_defaults(&mut self) {
        self.scrape_interval = Some(self.scrape_interval());
        self.scrape_timeout = Some(self.scrape_timeout());
        self.evaluation_interval = Some(self.evaluation_interval());
        self.rule_query_offset.get_or_insert_with(Duration::default);
        self.scrape_native_histograms.get_or_insert(false);
        if self.metric_name_validation_scheme.is_none() {
            self.metric_name_validation_scheme = Some("utf8".into());
        }
        if self.metric_name_escaping_scheme.is_none() {
            let legacy = self.metric_name_validation_scheme.as_deref() == Some("legacy");
            self.metric_name_escaping_scheme =
                Some(if legacy { "underscores" } else { "allow-utf-8" }.into());
        }
    }
}
