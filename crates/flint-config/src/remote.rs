//! `remote_write` and `remote_read` (parsed and validated; used by the remote-storage issue).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use flint_model::NameValidation;

use crate::duration::Duration;
use crate::http_client::config_struct;
use crate::relabel::{self, RelabelList};

/// Headers that must not be set by hand.
const RESERVED_HEADERS: [&str; 17] = [
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "authorization",
];

/// Problems with custom `headers`; `tracing` selects the tracing wording for `Authorization`.
pub(crate) fn header_problems(headers: &BTreeMap<String, String>, tracing: bool) -> Vec<String> {
    let mut out = Vec::new();
    for h in headers.keys() {
        let lower = h.to_lowercase();
        if lower == "authorization" {
            out.push(if tracing {
                "custom authorization header configuration is not yet supported".into()
            } else {
                "authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter".into()
            });
        } else if RESERVED_HEADERS.contains(&lower.as_str()) {
            out.push(format!("{h} is a reserved header. It must not be changed"));
        }
    }
    out
}

/// `queue_config`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Samples buffered per shard.
    pub capacity: i64,
    /// Maximum shards.
    pub max_shards: i64,
    /// Minimum shards.
    pub min_shards: i64,
    /// Samples per request.
    pub max_samples_per_send: i64,
    /// Longest a sample waits in a shard.
    pub batch_send_deadline: Duration,
    /// Initial retry backoff.
    pub min_backoff: Duration,
    /// Maximum retry backoff.
    pub max_backoff: Duration,
    /// Retry on HTTP 429.
    #[serde(rename = "retry_on_http_429")]
    pub retry_on_rate_limit: bool,
    /// Samples older than this are dropped; 0 keeps all.
    pub sample_age_limit: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 10_000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2000,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_on_rate_limit: false,
            sample_age_limit: Duration::default(),
        }
    }
}

impl QueueConfig {
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (v, name) in [
            (self.max_samples_per_send, "max_samples_per_send"),
            (self.max_shards, "max_shards"),
            (self.min_shards, "min_shards"),
            (self.capacity, "capacity"),
        ] {
            if v <= 0 {
                out.push(format!("remote write queue {name} must be positive"));
            }
        }
        if self.min_shards > self.max_shards && self.max_shards > 0 {
            out.push("remote write queue min_shards must not be greater than max_shards".into());
        }
        if self.max_backoff < self.min_backoff {
            out.push("remote write queue max_backoff must not be less than min_backoff".into());
        }
        out
    }
}

/// `metadata_config`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetadataConfig {
    /// Send metric metadata.
    pub send: bool,
    /// How often.
    pub send_interval: Duration,
    /// Metadata entries per request.
    pub max_samples_per_send: i64,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig {
            send: true,
            send_interval: Duration::from_secs(60),
            max_samples_per_send: 2000,
        }
    }
}

fn default_write_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_protobuf_message() -> String {
    "prometheus.WriteRequest".into()
}

const PROTOBUF_MESSAGES: [&str; 2] = ["prometheus.WriteRequest", "io.prometheus.write.v2.Request"];

config_struct! {
    [http]
    /// One `remote_write` endpoint.
    #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct RemoteWriteConfig {
        /// The endpoint.
        pub url: Option<String>,
        /// Request timeout (default 30s).
        #[serde(default = "default_write_timeout")]
        pub remote_timeout: Duration,
        /// Extra headers.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub headers: BTreeMap<String, String>,
        /// Relabeling before sending.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub write_relabel_configs: RelabelList,
        /// Name (unique among remote writes).
        #[serde(skip_serializing_if = "String::is_empty")]
        pub name: String,
        /// Send exemplars.
        pub send_exemplars: bool,
        /// Send native histograms.
        pub send_native_histograms: bool,
        /// Spread requests over the endpoint's DNS records.
        pub round_robin_dns: bool,
        /// Remote-write protocol message.
        #[serde(default = "default_protobuf_message")]
        pub protobuf_message: String,
        /// Queue settings.
        pub queue_config: QueueConfig,
        /// Metadata settings.
        pub metadata_config: MetadataConfig,
        /// AWS SigV4 (parsed; not implemented).
        #[serde(skip_serializing)]
        pub sigv4: Option<crate::sd::Unsupported>,
        /// Azure AD (parsed; not implemented).
        #[serde(skip_serializing)]
        pub azuread: Option<crate::sd::Unsupported>,
        /// Google IAM (parsed; not implemented).
        #[serde(skip_serializing)]
        pub google_iam: Option<crate::sd::Unsupported>,
    }
}

impl RemoteWriteConfig {
    pub(crate) fn problems(&self, scheme: NameValidation) -> Vec<String> {
        let mut out = Vec::new();
        if self.url.as_deref().is_none_or(str::is_empty) {
            out.push("url for remote_write is empty".into());
        }
        out.extend(
            relabel::problems(
                &self.write_relabel_configs,
                "relabeling rule in remote write config",
                scheme,
            )
            .into_iter()
            .map(|p| p.2),
        );
        out.extend(header_problems(&self.headers, false));
        if !PROTOBUF_MESSAGES.contains(&self.protobuf_message.as_str()) {
            out.push(format!(
                "invalid protobuf_message value: unknown type for remote write protobuf message {}, supported: {}",
                self.protobuf_message,
                PROTOBUF_MESSAGES.join(", ")
            ));
        }
        out.extend(self.http_problems());
        let mut auth = Vec::new();
        for (set, name) in [
            (self.basic_auth.is_some(), "basic_auth"),
            (self.authorization.is_some(), "authorization"),
            (self.oauth2.is_some(), "oauth2"),
            (self.sigv4.is_some(), "sigv4"),
            (self.azuread.is_some(), "azuread"),
            (self.google_iam.is_some(), "google_iam"),
        ] {
            if set {
                auth.push(name);
            }
        }
        if auth.len() > 1 {
            out.push(format!(
                "at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [{}]",
                auth.join(" ")
            ));
        }
        out.extend(self.queue_config.problems());
        out
    }
}

fn default_read_timeout() -> Duration {
    Duration::from_secs(60)
}

fn default_chunked_read_limit() -> u64 {
    50_000_000
}

config_struct! {
    [http]
    /// One `remote_read` endpoint.
    #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct RemoteReadConfig {
        /// The endpoint.
        pub url: Option<String>,
        /// Request timeout (default 1m).
        #[serde(default = "default_read_timeout")]
        pub remote_timeout: Duration,
        /// Largest protobuf frame accepted.
        #[serde(default = "default_chunked_read_limit")]
        pub chunked_read_limit: u64,
        /// Extra headers.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub headers: BTreeMap<String, String>,
        /// Also read ranges the local storage has.
        pub read_recent: bool,
        /// Name (unique among remote reads).
        #[serde(skip_serializing_if = "String::is_empty")]
        pub name: String,
        /// Equality matchers a query must have to be sent.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub required_matchers: BTreeMap<String, String>,
        /// Add external labels as matchers (default true).
        #[serde(default = "crate::http_client::default_true")]
        pub filter_external_labels: bool,
    }
}

impl RemoteReadConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.url.as_deref().is_none_or(str::is_empty) {
            out.push("url for remote_read is empty".into());
        }
        out.extend(header_problems(&self.headers, false));
        out.extend(self.http_problems());
        out
    }
}
