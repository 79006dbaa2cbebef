//! `scrape_configs` entries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use flint_expfmt::ScrapeProtocol;
use flint_model::NameValidation;

use crate::duration::Duration;
use crate::global::{GlobalConfig, is_zero};
use crate::http_client::{config_struct, default_true};
use crate::relabel::{self, RelabelList};
use crate::size::ByteSize;

config_struct! {
    [http, sd]
    /// One scrape job. Fields left out default to the `global` block's values once loaded
    /// (the loader fills them in, as Prometheus does).
    #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct ScrapeConfig {
        /// The job name (the `job` label by default); unique.
        #[serde(deserialize_with = "crate::load::null_as_default")]
        pub job_name: String,
        /// Keep the target's labels on conflict with target labels.
        pub honor_labels: bool,
        /// Use the target's timestamps (default true).
        #[serde(default = "default_true")]
        pub honor_timestamps: bool,
        /// Write staleness markers for series with explicit timestamps too.
        pub track_timestamps_staleness: bool,
        /// URL query parameters.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub params: BTreeMap<String, Vec<String>>,
        /// Scrape interval.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub scrape_interval: Option<Duration>,
        /// Scrape timeout.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub scrape_timeout: Option<Duration>,
        /// Protocols to negotiate, most wanted first.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub scrape_protocols: Option<Vec<String>>,
        /// Protocol for responses with a missing or unknown content type.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub fallback_scrape_protocol: Option<String>,
        /// Whether to scrape native histograms.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub scrape_native_histograms: Option<bool>,
        /// Keep classic histograms also exposed as native ones.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub always_scrape_classic_histograms: Option<bool>,
        /// Convert classic histograms to native histograms with custom buckets.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub convert_classic_histograms_to_nhcb: Option<bool>,
        /// File scrape failures are logged to.
        #[serde(skip_serializing_if = "String::is_empty")]
        pub scrape_failure_log_file: String,
        /// Path of the metrics endpoint (default `/metrics`).
        #[serde(default = "default_metrics_path")]
        pub metrics_path: String,
        /// `http` (default) or `https`.
        #[serde(default = "default_scheme")]
        pub scheme: String,
        /// Ask for gzip (default true).
        #[serde(default = "default_true")]
        pub enable_compression: bool,
        /// Uncompressed body size limit; 0 is none.
        #[serde(skip_serializing_if = "ByteSize::is_zero")]
        pub body_size_limit: ByteSize,
        /// Samples per scrape after metric relabeling; 0 is none.
        #[serde(skip_serializing_if = "is_zero")]
        pub sample_limit: u64,
        /// Targets after relabeling; 0 is none.
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
        /// Buckets per native histogram before merging; 0 is none.
        #[serde(skip_serializing_if = "is_zero")]
        pub native_histogram_bucket_limit: u64,
        /// Minimal growth factor between native histogram buckets.
        #[serde(skip_serializing_if = "is_zero_f64")]
        pub native_histogram_min_bucket_factor: f64,
        /// Dropped targets kept for the API; 0 is all.
        #[serde(skip_serializing_if = "is_zero")]
        pub keep_dropped_targets: u64,
        /// `utf8` or `legacy`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub metric_name_validation_scheme: Option<String>,
        /// Escaping requested in negotiation.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub metric_name_escaping_scheme: Option<String>,
        /// Write the extra scrape report series.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub extra_scrape_metrics: Option<bool>,
        /// Target relabeling, before scraping.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub relabel_configs: RelabelList,
        /// Metric relabeling, after parsing.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub metric_relabel_configs: RelabelList,
    }
}

fn default_metrics_path() -> String {
    "/metrics".into()
}

fn default_scheme() -> String {
    "http".into()
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

/// `scrape_protocols` when neither the job nor `global` sets it.
pub const DEFAULT_SCRAPE_PROTOCOLS: [ScrapeProtocol; 4] = [
    ScrapeProtocol::OpenMetricsText1_0_0,
    ScrapeProtocol::OpenMetricsText0_0_1,
    ScrapeProtocol::PrometheusText1_0_0,
    ScrapeProtocol::PrometheusText0_0_4,
];

/// The escaping schemes Prometheus knows.
const ESCAPING: [&str; 4] = ["allow-utf-8", "underscores", "dots", "values"];

fn protocol_list() -> String {
    let mut names: Vec<&str> = ScrapeProtocol::ALL.iter().map(|p| p.as_str()).collect();
    names.sort_unstable();
    format!("[{}]", names.join(" "))
}

fn check_protocol(p: &str) -> Result<ScrapeProtocol, String> {
    p.parse().map_err(|_| {
        format!(
            "unknown scrape protocol {p}, supported: {}",
            protocol_list()
        )
    })
}

impl ScrapeConfig {
    /// The scrape interval (defaults applied at load).
    pub fn interval(&self) -> Duration {
        self.scrape_interval
            .unwrap_or(crate::global::DEFAULT_SCRAPE_INTERVAL)
    }

    /// The scrape timeout (defaults applied at load).
    pub fn timeout(&self) -> Duration {
        self.scrape_timeout
            .unwrap_or_else(|| crate::global::DEFAULT_SCRAPE_TIMEOUT.min(self.interval()))
    }

    /// The protocols to negotiate, in order.
    pub fn protocols(&self) -> Vec<ScrapeProtocol> {
        match &self.scrape_protocols {
            Some(ps) => ps.iter().filter_map(|p| p.parse().ok()).collect(),
            None => DEFAULT_SCRAPE_PROTOCOLS.to_vec(),
        }
    }

    /// The fallback protocol, if set and valid.
    pub fn fallback_protocol(&self) -> Option<ScrapeProtocol> {
        self.fallback_scrape_protocol
            .as_deref()
            .and_then(|p| p.parse().ok())
    }

    /// The name validation scheme of this job.
    pub fn name_validation(&self) -> NameValidation {
        match self.metric_name_validation_scheme.as_deref() {
            Some("legacy") => NameValidation::Legacy,
            _ => NameValidation::Utf8,
        }
    }

    /// Whether the extra scrape report series are written.
    pub fn extra_metrics(&self) -> bool {
        self.extra_scrape_metrics.unwrap_or(false)
    }

    /// Target relabel rules.
    pub fn target_relabel(&self) -> Vec<flint_model::RelabelConfig> {
        relabel::rules(&self.relabel_configs)
    }

    /// Metric relabel rules.
    pub fn metric_relabel(&self) -> Vec<flint_model::RelabelConfig> {
        relabel::rules(&self.metric_relabel_configs)
    }

    /// Fills unset fields from `global` and checks the job, as Prometheus's
    /// `ScrapeConfig.Validate`; returns every problem found.
    pub(crate) fn resolve(
        &mut self,
        g: &GlobalConfig,
        reject_unsupported: bool,
    ) -> Vec<(usize, usize, String)> {
        let mut out: Vec<(usize, usize, String)> = Vec::new();
        let mut here = |m: String| out.push((0, 0, m));
        if self.job_name.is_empty() {
            here("job_name is empty".into());
        }
        let job = format!("for scrape config with job name {:?}", self.job_name);
        let interval = self
            .scrape_interval
            .filter(|d| !d.is_zero())
            .unwrap_or(g.scrape_interval());
        self.scrape_interval = Some(interval);
        match self.scrape_timeout.filter(|d| !d.is_zero()) {
            Some(t) if t > interval => {
                here(format!("scrape timeout greater than scrape interval {job}"))
            }
            Some(_) => {}
            None => self.scrape_timeout = Some(g.scrape_timeout().min(interval)),
        }
        self.inherit_limits(g);
        if self.scrape_native_histograms.is_none() {
            self.scrape_native_histograms = g.scrape_native_histograms;
        }
        self.extra_scrape_metrics
            .get_or_insert(g.extra_scrape_metrics);
        self.convert_classic_histograms_to_nhcb
            .get_or_insert(g.convert_classic_histograms_to_nhcb);
        self.always_scrape_classic_histograms
            .get_or_insert(g.always_scrape_classic_histograms);
        if self.scrape_protocols.is_none() {
            self.scrape_protocols =
                Some(match (&g.scrape_protocols, self.scrape_native_histograms) {
                    (Some(ps), _) => ps.clone(),
                    (None, Some(true)) => ScrapeProtocol::ALL
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                    (None, _) => DEFAULT_SCRAPE_PROTOCOLS
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                });
        }
        if let Some(e) = self
            .scrape_protocols
            .as_deref()
            .and_then(validate_protocols)
        {
            here(format!("{e} {job}"));
        }
        if let Some(p) = &self.fallback_scrape_protocol
            && let Err(e) = check_protocol(p)
        {
            here(format!("invalid fallback_scrape_protocol {job}: {e}"));
        }
        self.resolve_names(g, &mut here);
        for p in self.http_problems() {
            here(p);
        }
        if self.relabel_configs.is_empty() {
            for (l, c, t) in self.static_targets() {
                if t.contains('/') {
                    out.push((l, c, format!("{t:?} is not a valid hostname")));
                }
            }
        }
        let scheme = self.name_validation();
        out.extend(relabel::problems(
            &self.relabel_configs,
            "target relabeling rule",
            scheme,
        ));
        out.extend(relabel::problems(
            &self.metric_relabel_configs,
            "metric relabeling rule",
            scheme,
        ));
        out.extend(self.sd_problems(reject_unsupported));
        out
    }

    fn inherit_limits(&mut self, g: &GlobalConfig) {
        if self.body_size_limit.is_zero() {
            self.body_size_limit = g.body_size_limit;
        }
        for (mine, global) in [
            (&mut self.sample_limit, g.sample_limit),
            (&mut self.target_limit, g.target_limit),
            (&mut self.label_limit, g.label_limit),
            (&mut self.label_name_length_limit, g.label_name_length_limit),
            (
                &mut self.label_value_length_limit,
                g.label_value_length_limit,
            ),
            (&mut self.keep_dropped_targets, g.keep_dropped_targets),
        ] {
            if *mine == 0 {
                *mine = global;
            }
        }
        if self.scrape_failure_log_file.is_empty() {
            self.scrape_failure_log_file = g.scrape_failure_log_file.clone();
        }
    }

    /// Validation and escaping schemes, inherited as upstream does.
    fn resolve_names(&mut self, g: &GlobalConfig, here: &mut impl FnMut(String)) {
        let global_validation = g
            .metric_name_validation_scheme
            .clone()
            .unwrap_or_else(|| "utf8".into());
        let local_unset = self.metric_name_validation_scheme.is_none();
        match self.metric_name_validation_scheme.as_deref() {
            None => self.metric_name_validation_scheme = Some(global_validation.clone()),
            Some("legacy" | "utf8") => {}
            Some(other) => here(format!(
                "unknown scrape config name validation method specified, must be either '', 'legacy' or 'utf8', got {other}"
            )),
        }
        let global_escaping = g.metric_name_escaping_scheme.clone().unwrap_or_else(|| {
            if global_validation == "legacy" {
                "underscores"
            } else {
                "allow-utf-8"
            }
            .into()
        });
        if self.metric_name_escaping_scheme.is_none() {
            let legacy = self.metric_name_validation_scheme.as_deref() == Some("legacy");
            self.metric_name_escaping_scheme = Some(if local_unset {
                global_escaping
            } else if legacy {
                "underscores".into()
            } else {
                "allow-utf-8".into()
            });
        }
        let esc = self.metric_name_escaping_scheme.clone().unwrap_or_default();
        if !ESCAPING.contains(&esc.as_str()) {
            here(format!(
                "unknown scrape config name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {esc:?}"
            ));
        } else if esc == "allow-utf-8"
            && self.metric_name_validation_scheme.as_deref() != Some("utf8")
        {
            here("utf8 metric names requested but validation scheme is not set to UTF8".into());
        }
    }

    /// Resolves relative file names against `dir`.
    pub(crate) fn set_directory(&mut self, dir: &std::path::Path) {
        self.http_set_directory(dir);
        self.sd_set_directory(dir);
        crate::load::join_dir(dir, &mut self.scrape_failure_log_file);
    }
}

/// Checks a `scrape_protocols` list: not empty, no duplicates, all known.
pub(crate) fn validate_protocols(ps: &[String]) -> Option<String> {
    if ps.is_empty() {
        return Some("scrape_protocols cannot be empty".into());
    }
    let mut seen = Vec::new();
    for p in ps {
        let lower = p.to_lowercase();
        if seen.contains(&lower) {
            return Some(format!(
                "duplicated protocol in scrape_protocols, got [{}]",
                ps.join(" ")
            ));
        }
        if let Err(e) = check_protocol(p) {
            return Some(format!("scrape_protocols: {e}"));
        }
        seen.push(lower);
    }
    None
}
