//! TLS settings (`tls_config`), as in Prometheus's common HTTP client configuration.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// `tls_config`: how to verify the server and which client certificate to present.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// CA certificate(s), PEM text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca: String,
    /// CA certificate file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    /// CA certificate from a secret manager (not supported by Flint; parsed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca_ref: String,
    /// Client certificate, PEM text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// Client certificate file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    /// Client certificate from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert_ref: String,
    /// Client key, PEM text.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub key: Secret,
    /// Client key file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    /// Client key from a secret manager.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_ref: String,
    /// Server name for SNI and verification.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    /// Skip verification of the server certificate.
    pub insecure_skip_verify: bool,
    /// Minimum TLS version (`TLS10` … `TLS13`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    /// Maximum TLS version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub max_version: String,
}

const VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

impl TlsConfig {
    /// Problems with this block, in Prometheus's words.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let count = |xs: &[bool]| xs.iter().filter(|b| **b).count();
        if count(&[
            !self.ca.is_empty(),
            !self.ca_file.is_empty(),
            !self.ca_ref.is_empty(),
        ]) > 1
        {
            out.push("at most one of ca, ca_file & ca_ref must be configured".into());
        }
        let certs = count(&[
            !self.cert.is_empty(),
            !self.cert_file.is_empty(),
            !self.cert_ref.is_empty(),
        ]);
        let keys = count(&[
            !self.key.is_empty(),
            !self.key_file.is_empty(),
            !self.key_ref.is_empty(),
        ]);
        if certs > 1 {
            out.push("at most one of cert, cert_file & cert_ref must be configured".into());
        }
        if keys > 1 {
            out.push("at most one of key and key_file must be configured".into());
        }
        if certs > 0 && keys == 0 {
            out.push(
                "exactly one of key or key_file must be configured when a client certificate is configured".into(),
            );
        }
        if keys > 0 && certs == 0 {
            out.push(
                "exactly one of cert or cert_file must be configured when a client key is configured".into(),
            );
        }
        out.extend(self.version_problems());
        out
    }

    /// Problems with `min_version`/`max_version` alone: unknown names, a minimum above the
    /// maximum. Shared with the Alertmanager's receivers.
    pub fn version_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in [&self.min_version, &self.max_version] {
            if !v.is_empty() && !VERSIONS.contains(&v.as_str()) {
                out.push(format!("unknown TLS version: {v}"));
            }
        }
        let rank = |v: &str| VERSIONS.iter().position(|x| *x == v);
        if let (Some(min), Some(max)) = (rank(&self.min_version), rank(&self.max_version))
            && min > max
        {
            out.push(format!(
                "tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified. Current values: min_version={}, max_version={}",
                self.min_version, self.max_version
            ));
        }
        out
    }

    /// Files named by this block, for `check config` and directory resolution.
    pub fn files_mut(&mut self) -> [&mut String; 3] {
        [&mut self.ca_file, &mut self.cert_file, &mut self.key_file]
    }

    /// Whether nothing is set.
    pub fn is_default(&self) -> bool {
        *self == TlsConfig::default()
    }
}
