//! The `alerting` block: Alertmanagers to send to and alert relabeling.

use serde::{Deserialize, Serialize};

use flint_model::NameValidation;

use crate::duration::Duration;
use crate::http_client::config_struct;
use crate::located::Located;
use crate::relabel::{self, RelabelList};

/// `alerting`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertingConfig {
    /// Relabeling of every alert before sending.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alert_relabel_configs: RelabelList,
    /// The Alertmanagers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alertmanagers: Vec<Located<Option<AlertmanagerConfig>>>,
}

fn default_scheme() -> String {
    "http".into()
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_api_version() -> String {
    "v2".into()
}

config_struct! {
    [http, sd]
    /// One `alertmanagers` entry: how to discover and reach a set of Alertmanagers.
    #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct AlertmanagerConfig {
        /// `http` (default) or `https`.
        #[serde(default = "default_scheme")]
        pub scheme: String,
        /// Prefix of the push path.
        #[serde(skip_serializing_if = "String::is_empty")]
        pub path_prefix: String,
        /// Send timeout (default 10s).
        #[serde(default = "default_timeout")]
        pub timeout: Duration,
        /// API version; only `v2` is supported.
        #[serde(default = "default_api_version")]
        pub api_version: String,
        /// AWS SigV4 signing (parsed; not implemented).
        #[serde(skip_serializing)]
        pub sigv4: Option<crate::sd::Unsupported>,
        /// Relabeling of discovered Alertmanager targets.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub relabel_configs: RelabelList,
        /// Relabeling of alerts sent to these Alertmanagers.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub alert_relabel_configs: RelabelList,
    }
}

impl AlertingConfig {
    pub(crate) fn problems(
        &self,
        scheme: NameValidation,
        reject_unsupported: bool,
    ) -> Vec<(usize, usize, String)> {
        let mut out =
            relabel::problems(&self.alert_relabel_configs, "alert relabeling rule", scheme);
        for am in &self.alertmanagers {
            let Some(c) = &am.value else {
                out.push((
                    am.line,
                    am.column,
                    "empty or null Alertmanager config section".into(),
                ));
                continue;
            };
            let at = |m: String| (am.line, am.column, m);
            if c.api_version != "v2" {
                out.push(at(format!(
                    "expected Alertmanager api version to be one of [v2] but got {}",
                    c.api_version
                )));
            }
            out.extend(c.http_problems().into_iter().map(at));
            let auth = c.basic_auth.is_some() || c.authorization.is_some() || c.oauth2.is_some();
            if auth && c.sigv4.is_some() {
                out.push(at(
                    "at most one of basic_auth, authorization, oauth2, & sigv4 must be configured"
                        .into(),
                ));
            }
            if c.relabel_configs.is_empty() {
                for (l, col, t) in c.static_targets() {
                    if t.contains('/') {
                        out.push((l, col, format!("{t:?} is not a valid hostname")));
                    }
                }
            }
            out.extend(relabel::problems(
                &c.relabel_configs,
                "Alertmanager target relabeling rule",
                scheme,
            ));
            out.extend(relabel::problems(
                &c.alert_relabel_configs,
                "Alertmanager alert relabeling rule",
                scheme,
            ));
            out.extend(c.sd_problems(reject_unsupported));
        }
        out
    }

    pub(crate) fn set_directory(&mut self, dir: &std::path::Path) {
        for am in self
            .alertmanagers
            .iter_mut()
            .filter_map(|a| a.value.as_mut())
        {
            am.http_set_directory(dir);
            am.sd_set_directory(dir);
        }
    }

    /// Whether anything is configured (agent mode forbids it).
    pub fn is_empty(&self) -> bool {
        self.alert_relabel_configs.is_empty() && self.alertmanagers.is_empty()
    }
}
