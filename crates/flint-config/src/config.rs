//! The whole `prometheus.yml`.

use serde::{Deserialize, Serialize};

use crate::alerting::AlertingConfig;
use crate::global::GlobalConfig;
use crate::located::Located;
use crate::remote::{RemoteReadConfig, RemoteWriteConfig};
use crate::scrape::ScrapeConfig;
use crate::storage::{OtlpConfig, RuntimeConfig, StorageConfig, TracingConfig};

/// A loaded, validated `prometheus.yml` with defaults filled in and relative paths
/// resolved against the file's directory. Serializing it renders secrets as `<secret>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Config {
    /// `global`.
    pub global: GlobalConfig,
    /// `runtime`.
    #[serde(skip_serializing_if = "is_default_runtime")]
    pub runtime: RuntimeConfig,
    /// `alerting`.
    #[serde(skip_serializing_if = "AlertingConfig::is_empty")]
    pub alerting: AlertingConfig,
    /// `rule_files` (paths or globs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_files: Vec<String>,
    /// `scrape_config_files` (paths or globs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scrape_config_files: Vec<String>,
    /// `scrape_configs` of the main file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scrape_configs: Vec<ScrapeConfig>,
    /// Jobs from `scrape_config_files`, in file order.
    #[serde(skip)]
    pub included_scrape_configs: Vec<ScrapeConfig>,
    /// `storage`.
    #[serde(skip_serializing_if = "is_default_storage")]
    pub storage: StorageConfig,
    /// `tracing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing: Option<TracingConfig>,
    /// `remote_write`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_write: Vec<RemoteWriteConfig>,
    /// `remote_read`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_read: Vec<RemoteReadConfig>,
    /// `otlp`.
    pub otlp: OtlpConfig,
}

fn is_default_runtime(r: &RuntimeConfig) -> bool {
    *r == RuntimeConfig::default()
}

fn is_default_storage(s: &StorageConfig) -> bool {
    *s == StorageConfig::default()
}

impl Config {
    /// Every scrape job: the main file's, then those of `scrape_config_files`.
    pub fn all_scrape_configs(&self) -> impl Iterator<Item = &ScrapeConfig> {
        self.scrape_configs
            .iter()
            .chain(&self.included_scrape_configs)
    }

    /// The configuration as YAML, secrets masked (what `/api/v1/status/config` shows).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self)
            .unwrap_or_else(|e| format!("<error creating config string: {e}>"))
    }
}

/// The file as parsed, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    pub global: Option<GlobalConfig>,
    pub runtime: Option<RuntimeConfig>,
    pub alerting: Option<AlertingConfig>,
    pub rule_files: Option<Vec<Located<String>>>,
    pub scrape_config_files: Option<Vec<Located<String>>>,
    pub scrape_configs: Option<Vec<Located<Option<ScrapeConfig>>>>,
    pub storage: Option<StorageConfig>,
    pub tracing: Option<Located<Option<TracingConfig>>>,
    pub remote_write: Option<Vec<Located<Option<RemoteWriteConfig>>>>,
    pub remote_read: Option<Vec<Located<Option<RemoteReadConfig>>>>,
    pub otlp: Option<OtlpConfig>,
}

/// A file listed in `scrape_config_files`: only `scrape_configs` is allowed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawScrapeConfigs {
    pub scrape_configs: Option<Vec<Located<Option<ScrapeConfig>>>>,
}
