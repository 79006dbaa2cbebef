//! Service-discovery configuration: the mechanisms Flint implements (`static_configs`,
//! `file_sd_configs`, `http_sd_configs`, `dns_sd_configs`) and the ones it parses and rejects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::duration::Duration;
use crate::http_client::config_struct;

/// The words every rejection of an unimplemented SD mechanism contains.
pub const NOT_SUPPORTED: &str = "not supported yet";

/// A target group as written in `static_configs` and in file-SD files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaticConfig {
    /// `host:port` addresses.
    pub targets: Vec<String>,
    /// Labels for every target of the group.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `file_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSdConfig {
    /// File names or globs (`*.json`, `*.yml`, `*.yaml`).
    pub files: Vec<String>,
    /// Re-read interval on top of file notifications; default 5m.
    pub refresh_interval: Duration,
}

impl Default for FileSdConfig {
    fn default() -> Self {
        FileSdConfig {
            files: Vec::new(),
            refresh_interval: Duration::from_secs(300),
        }
    }
}

fn default_http_refresh() -> Duration {
    Duration::from_secs(60)
}

config_struct! {
    [http]
    /// `http_sd_configs` entry.
    #[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct HttpSdConfig {
        /// The URL returning target groups as JSON.
        pub url: String,
        /// Refresh interval; default 60s.
        #[serde(default = "default_http_refresh")]
        pub refresh_interval: Duration,
    }
}

/// `dns_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsSdConfig {
    /// Names to query.
    pub names: Vec<String>,
    /// Refresh interval; default 30s.
    pub refresh_interval: Duration,
    /// Record type: `SRV` (default), `A`, `AAAA`, `MX` or `NS`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// Port for record types that carry none.
    #[serde(skip_serializing_if = "is_zero")]
    pub port: u16,
}

fn is_zero(p: &u16) -> bool {
    *p == 0
}

impl Default for DnsSdConfig {
    fn default() -> Self {
        DnsSdConfig {
            names: Vec::new(),
            refresh_interval: Duration::from_secs(30),
            record_type: "SRV".into(),
            port: 0,
        }
    }
}

/// The configuration of an SD mechanism Flint does not implement yet: its presence is
/// recorded, its content skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Unsupported;

impl<'de> Deserialize<'de> for Unsupported {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Unsupported)
    }
}

/// One discovery provider's configuration, as the discovery manager receives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SdConfig {
    /// All `static_configs` groups of one block.
    Static(Vec<StaticConfig>),
    /// One `file_sd_configs` entry.
    File(FileSdConfig),
    /// One `http_sd_configs` entry.
    Http(Box<HttpSdConfig>),
    /// One `dns_sd_configs` entry.
    Dns(DnsSdConfig),
}

impl SdConfig {
    /// The mechanism's name as used in metrics (`static`, `file`, `http`, `dns`).
    pub fn mechanism(&self) -> &'static str {
        match self {
            SdConfig::Static(_) => "static",
            SdConfig::File(_) => "file",
            SdConfig::Http(_) => "http",
            SdConfig::Dns(_) => "dns",
        }
    }
}

fn is_valid_sd_file(p: &str) -> bool {
    let lower = p.to_ascii_lowercase();
    let ext_ok = [".json", ".yml", ".yaml"]
        .iter()
        .any(|e| lower.ends_with(e));
    // One `*` at most, in the last path element (Prometheus's `patFileSDName`).
    let star_ok = match p.find('*') {
        None => true,
        Some(i) => !p[i + 1..].contains('*') && !p[i..].contains('/'),
    };
    ext_ok && star_ok
}

impl FileSdConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        if self.files.is_empty() {
            return vec![
                "file service discovery config must contain at least one path name".into(),
            ];
        }
        self.files
            .iter()
            .filter(|f| !is_valid_sd_file(f))
            .map(|f| format!("path name {f:?} is not valid for file discovery"))
            .collect()
    }
}

impl HttpSdConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.url.is_empty() {
            out.push("URL is missing".into());
        } else {
            match url::Url::parse(&self.url) {
                Ok(u) if u.scheme() != "http" && u.scheme() != "https" => {
                    out.push("URL scheme must be 'http' or 'https'".into())
                }
                Ok(u) if u.host_str().is_none_or(str::is_empty) => {
                    out.push("host is missing in URL".into())
                }
                Ok(_) => {}
                Err(url::ParseError::RelativeUrlWithoutBase) => {
                    out.push("URL scheme must be 'http' or 'https'".into())
                }
                Err(url::ParseError::EmptyHost) => out.push("host is missing in URL".into()),
                Err(e) => out.push(format!("invalid URL {:?}: {e}", self.url)),
            }
        }
        out.extend(self.http_problems());
        out
    }
}

impl DnsSdConfig {
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.names.is_empty() {
            out.push("DNS-SD config must contain at least one SRV record name".into());
        }
        match self.record_type.to_ascii_uppercase().as_str() {
            "SRV" => {}
            "A" | "AAAA" | "MX" | "NS" => {
                if self.port == 0 {
                    out.push(
                        "a port is required in DNS-SD configs for all record types except SRV"
                            .into(),
                    );
                }
            }
            other => out.push(format!("invalid DNS-SD records type {other}")),
        }
        out
    }
}

/// Implements `sd_configs()`, `sd_problems()` and `sd_set_directory()` for a struct declared
/// with the `sd` field group of `config_struct!`.
macro_rules! sd_impls {
    ($name:ident) => {
        impl $name {
            /// One [`SdConfig`](crate::sd::SdConfig) per provider this block configures.
            pub fn sd_configs(&self) -> Vec<$crate::sd::SdConfig> {
                use $crate::sd::SdConfig;
                let mut out = Vec::new();
                let statics: Vec<_> = self
                    .static_configs
                    .iter()
                    .filter_map(|s| s.value.clone())
                    .collect();
                if !statics.is_empty() {
                    out.push(SdConfig::Static(statics));
                }
                out.extend(
                    self.file_sd_configs
                        .iter()
                        .filter_map(|c| c.value.clone())
                        .map(SdConfig::File),
                );
                out.extend(
                    self.http_sd_configs
                        .iter()
                        .filter_map(|c| c.value.clone())
                        .map(|c| SdConfig::Http(Box::new(c))),
                );
                out.extend(
                    self.dns_sd_configs
                        .iter()
                        .filter_map(|c| c.value.clone())
                        .map(SdConfig::Dns),
                );
                out
            }

            /// Problems of the SD blocks as (line, column, message); `reject_unsupported`
            /// turns each unimplemented mechanism into a problem.
            pub(crate) fn sd_problems(
                &self,
                reject_unsupported: bool,
            ) -> Vec<(usize, usize, String)> {
                let mut out = Vec::new();
                for s in &self.static_configs {
                    if s.value.is_none() {
                        out.push((
                            s.line,
                            s.column,
                            "empty or null section in static_configs".to_string(),
                        ));
                    }
                }
                let mut each = |line: usize, column: usize, ps: Vec<String>| {
                    out.extend(ps.into_iter().map(|p| (line, column, p)));
                };
                for c in &self.file_sd_configs {
                    each(
                        c.line,
                        c.column,
                        c.value.as_ref().map_or_else(
                            || vec!["empty or null section in file_sd_configs".into()],
                            |v| v.problems(),
                        ),
                    );
                }
                for c in &self.http_sd_configs {
                    each(
                        c.line,
                        c.column,
                        c.value.as_ref().map_or_else(
                            || vec!["empty or null section in http_sd_configs".into()],
                            |v| v.problems(),
                        ),
                    );
                }
                for c in &self.dns_sd_configs {
                    each(
                        c.line,
                        c.column,
                        c.value.as_ref().map_or_else(
                            || vec!["empty or null section in dns_sd_configs".into()],
                            |v| v.problems(),
                        ),
                    );
                }
                if reject_unsupported {
                    for (mech, line, column) in self.unsupported_sd() {
                        out.push((
                            line,
                            column,
                            format!("{}: {mech}", $crate::sd::NOT_SUPPORTED),
                        ));
                    }
                }
                out
            }

            /// Resolves relative file names of the SD blocks against `dir`.
            pub(crate) fn sd_set_directory(&mut self, dir: &std::path::Path) {
                for c in self
                    .file_sd_configs
                    .iter_mut()
                    .filter_map(|c| c.value.as_mut())
                {
                    for f in &mut c.files {
                        $crate::load::join_dir(dir, f);
                    }
                }
                for c in self
                    .http_sd_configs
                    .iter_mut()
                    .filter_map(|c| c.value.as_mut())
                {
                    c.http_set_directory(dir);
                }
            }

            /// Every static target address, with the position of its group.
            pub(crate) fn static_targets(&self) -> impl Iterator<Item = (usize, usize, &str)> {
                self.static_configs
                    .iter()
                    .filter_map(|s| s.value.as_ref().map(|v| (s.line, s.column, v)))
                    .flat_map(|(l, c, v)| v.targets.iter().map(move |t| (l, c, t.as_str())))
            }
        }
    };
}
pub(crate) use sd_impls;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sd_file_names() {
        for ok in ["a.json", "dir/*.yml", "x/y/foo*.YAML", "/abs/file.yaml"] {
            assert!(is_valid_sd_file(ok), "{ok}");
        }
        for bad in ["a.txt", "*/x.json", "a**.json", "a*b*.yml"] {
            assert!(!is_valid_sd_file(bad), "{bad}");
        }
    }
}
