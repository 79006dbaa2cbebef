//! `storage`, `tracing`, `otlp` and `runtime` blocks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::tls::TlsConfig;

/// `storage`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// TSDB settings that can be reloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsdb: Option<TsdbConfig>,
    /// Exemplar storage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemplars: Option<ExemplarsConfig>,
}

/// `storage.tsdb`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TsdbConfig {
    /// How far back out-of-order samples are accepted.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub out_of_order_time_window: Duration,
    /// Share of stale series in the head that triggers an early compaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_series_compaction_threshold: Option<f64>,
    /// Retention (overrides the flags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionConfig>,
    /// Chunk encodings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_encoding: Option<ChunkEncodingConfig>,
}

/// `storage.tsdb.retention`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Keep samples this long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Duration>,
    /// Keep at most this many bytes of blocks (`-1GB` is rejected at validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Keep at most this share of the disk, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
}

/// `storage.tsdb.chunk_encoding`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChunkEncodingConfig {
    /// `xor` or `xor2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floats: Option<String>,
}

/// `storage.exemplars`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExemplarsConfig {
    /// Size of the exemplar ring buffer; 0 or less disables it.
    pub max_exemplars: i64,
}

impl Default for ExemplarsConfig {
    fn default() -> Self {
        ExemplarsConfig {
            max_exemplars: 100_000,
        }
    }
}

impl StorageConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(tsdb) = &self.tsdb else {
            return out;
        };
        if let Some(r) = &tsdb.retention {
            if let Some(size) = &r.size {
                let negative = size.starts_with('-');
                match size
                    .trim_start_matches('-')
                    .parse::<crate::size::ByteSize>()
                {
                    Ok(_) if negative => out.push(
                        "'storage.tsdb.retention.size' must be greater than or equal to 0".into(),
                    ),
                    Ok(_) => {}
                    Err(e) => out.push(e.0),
                }
            }
            if let Some(p) = r.percentage
                && !(0.0..=100.0).contains(&p)
            {
                out.push(
                    "'storage.tsdb.retention.percentage' must be in the range [0, 100]".into(),
                );
            }
        }
        if let Some(f) = tsdb
            .chunk_encoding
            .as_ref()
            .and_then(|c| c.floats.as_deref())
            && f != "xor"
            && f != "xor2"
        {
            out.push(format!(
                "'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got {f:?}"
            ));
        }
        out
    }
}

/// `tracing`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// `grpc` (default) or `http`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_type: String,
    /// Collector endpoint.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// Share of traces sampled.
    pub sampling_fraction: f64,
    /// Plain-text connection.
    pub insecure: bool,
    /// TLS settings.
    pub tls_config: TlsConfig,
    /// Extra headers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `gzip` or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub compression: String,
    /// Export timeout.
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub timeout: Duration,
}

impl TracingConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = crate::remote::header_problems(&self.headers, true);
        if !matches!(self.client_type.as_str(), "" | "grpc" | "http") {
            out.push(format!(
                "expected tracing client type to be to be http or grpc, but got {}",
                self.client_type
            ));
        }
        if self.endpoint.is_empty() {
            out.push("tracing endpoint must be set".into());
        }
        if !self.compression.is_empty() && self.compression != "gzip" {
            out.push(format!(
                "invalid compression type {} provided, valid options: gzip",
                self.compression
            ));
        }
        out.extend(self.tls_config.problems());
        out
    }
}

/// `otlp` (OTLP ingestion settings; parsed and validated, used by a later issue).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpConfig {
    /// Promote every resource attribute to a label.
    pub promote_all_resource_attributes: bool,
    /// Resource attributes promoted to labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promote_resource_attributes: Vec<String>,
    /// Attributes not promoted when all are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_resource_attributes: Vec<String>,
    /// Metric and label name translation.
    pub translation_strategy: String,
    /// Keep `service.name`, `service.instance.id`, … on `target_info`.
    pub keep_identifying_resource_attributes: bool,
    /// Convert histograms to native histograms with custom buckets.
    pub convert_histograms_to_nhcb: bool,
    /// Promote scope metadata to labels.
    pub promote_scope_metadata: bool,
    /// Prefix labels starting with `_` with `key`.
    pub label_name_underscore_sanitization: bool,
    /// Keep runs of underscores in label names.
    pub label_name_preserve_multiple_underscores: bool,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig {
            promote_all_resource_attributes: false,
            promote_resource_attributes: Vec::new(),
            ignore_resource_attributes: Vec::new(),
            translation_strategy: "UnderscoreEscapingWithSuffixes".into(),
            keep_identifying_resource_attributes: false,
            convert_histograms_to_nhcb: false,
            promote_scope_metadata: false,
            label_name_underscore_sanitization: true,
            label_name_preserve_multiple_underscores: true,
        }
    }
}

const TRANSLATION: [&str; 5] = [
    "UnderscoreEscapingWithSuffixes",
    "UnderscoreEscapingWithoutSuffixes",
    "NoUTF8EscapingWithSuffixes",
    "NoTranslation",
    "",
];

impl OtlpConfig {
    pub(crate) fn problems(&self, legacy_names: bool) -> Vec<String> {
        let mut out = Vec::new();
        let sanitize = |attrs: &[String], adj: &str, field: &str, out: &mut Vec<String>| {
            for a in attrs {
                if a.trim().is_empty() {
                    out.push(format!(
                        "invalid '{field}': empty {adj} OTel resource attribute"
                    ));
                }
            }
            let mut seen = std::collections::BTreeSet::new();
            for a in attrs {
                if !seen.insert(a.trim()) {
                    out.push(format!(
                        "invalid '{field}': duplicated {adj} OTel resource attribute {:?}",
                        a.trim()
                    ));
                }
            }
        };
        if self.promote_all_resource_attributes {
            if !self.promote_resource_attributes.is_empty() {
                out.push("'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously".into());
            }
            sanitize(
                &self.ignore_resource_attributes,
                "ignored",
                "ignore_resource_attributes",
                &mut out,
            );
        } else {
            if !self.ignore_resource_attributes.is_empty() {
                out.push("'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true".into());
            }
            sanitize(
                &self.promote_resource_attributes,
                "promoted",
                "promote_resource_attributes",
                &mut out,
            );
        }
        let t = self.translation_strategy.as_str();
        if !TRANSLATION.contains(&t) {
            out.push(format!("unsupported OTLP translation strategy {t:?}"));
        } else if legacy_names && matches!(t, "NoTranslation" | "NoUTF8EscapingWithSuffixes") {
            out.push(format!(
                "OTLP translation strategy {t:?} is not allowed when UTF8 is disabled"
            ));
        }
        out
    }
}

/// `runtime`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// Go's GC target percentage (accepted for compatibility; Flint has no GC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gogc: Option<i64>,
}
