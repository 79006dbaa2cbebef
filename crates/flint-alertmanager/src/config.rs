//! `alertmanager.yml`: parsing, defaults and validation with upstream's rules and messages.
//!
//! ```
//! let cfg = flint_alertmanager::config::Config::load(r#"
//! route: {receiver: team, group_by: [alertname]}
//! receivers: [{name: team, webhook_configs: [{url: "http://127.0.0.1:5001/"}]}]
//! "#)?;
//! assert_eq!(cfg.route.receiver, "team");
//! assert_eq!(cfg.global.resolve_timeout.to_string(), "5m");
//! # Ok::<(), flint_alertmanager::Error>(())
//! ```

pub mod duration;
pub mod global;
pub mod http;
pub mod receiver;
pub mod route;
pub mod secret;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::timeinterval::TimeInterval;
pub use global::GlobalConfig;
pub use receiver::Receiver;
pub use route::{InhibitRule, Route};

/// A named list of time intervals.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTimeInterval {
    /// The name routes refer to.
    #[serde(default)]
    pub name: String,
    /// The intervals; the named interval matches when any of them does.
    #[serde(default)]
    pub time_intervals: Vec<TimeInterval>,
}

/// The whole configuration file, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `global`.
    #[serde(default)]
    pub global: GlobalConfig,
    /// The root of the routing tree.
    #[serde(default)]
    pub route: Route,
    /// `inhibit_rules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibit_rules: Vec<InhibitRule>,
    /// `receivers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<Receiver>,
    /// Template file globs, relative to the config file.
    #[serde(default)]
    pub templates: Vec<String>,
    /// Deprecated `mute_time_intervals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<NamedTimeInterval>,
    /// `time_intervals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_intervals: Vec<NamedTimeInterval>,
}

/// Integrations Flint can send to today; receivers using any other are rejected at startup.
pub const IMPLEMENTED_INTEGRATIONS: &[&str] = &[
    "webhook",
    "email",
    "slack",
    "pagerduty",
    "opsgenie",
    "discord",
    "msteams",
    "msteamsv2",
    "telegram",
];

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    route: Option<serde_json::Value>,
}

impl Config {
    /// Parses and validates YAML text.
    pub fn load(text: &str) -> Result<Config> {
        let blank = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if blank {
            return Err(Error::Config("no route provided in config".into()));
        }
        let probe: Probe = serde_saphyr::from_str(text).map_err(|e| Error::Yaml(e.to_string()))?;
        if probe.route.is_none() {
            return Err(Error::Config("no route provided in config".into()));
        }
        let mut cfg: Config =
            serde_saphyr::from_str(text).map_err(|e| Error::Yaml(e.to_string()))?;
        cfg.resolve().map_err(Error::Config)?;
        Ok(cfg)
    }

    /// Reads, parses and validates a file; relative template paths become relative to it.
    pub fn load_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut cfg = Config::load(&text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for t in &mut cfg.templates {
            if !t.is_empty() && !Path::new(t.as_str()).is_absolute() {
                *t = base.join(&*t).to_string_lossy().into_owned();
            }
        }
        Ok(cfg)
    }

    fn resolve(&mut self) -> Result<(), String> {
        if self.route.continue_ {
            return Err("cannot have continue in root route".into());
        }
        self.global.validate()?;
        let mut names = HashSet::new();
        for r in &mut self.receivers {
            r.resolve(&self.global)?;
            if !names.insert(r.name.clone()) {
                return Err(format!(
                    "notification config name {:?} is not unique",
                    r.name
                ));
            }
        }
        self.route.validate()?;
        let root = &self.route;
        if root.receiver.is_empty() {
            return Err("root route must specify a default receiver".into());
        }
        if !root.match_.is_empty() || !root.match_re.is_empty() || !root.matchers.is_empty() {
            return Err("root route must not have any matchers".into());
        }
        if !root.mute_time_intervals.is_empty() {
            return Err("root route must not have any mute time intervals".into());
        }
        if !root.active_time_intervals.is_empty() {
            return Err("root route must not have any active time intervals".into());
        }
        root.walk(&mut |r| {
            if !r.receiver.is_empty() && !names.contains(&r.receiver) {
                return Err(format!("undefined receiver {:?} used in route", r.receiver));
            }
            Ok(())
        })?;
        let mut ti = HashSet::new();
        for (list, what) in [
            (&self.mute_time_intervals, "mute time interval"),
            (&self.time_intervals, "time interval"),
        ] {
            for t in list {
                if t.name.is_empty() {
                    return Err(format!("missing name in {what}"));
                }
                if !ti.insert(t.name.clone()) {
                    return Err(format!("{what} {:?} is not unique", t.name));
                }
            }
        }
        root.walk(&mut |r| {
            for n in r.active_time_intervals.iter().chain(&r.mute_time_intervals) {
                if !ti.contains(n) {
                    return Err(format!("undefined time interval {n:?} used in route"));
                }
            }
            Ok(())
        })?;
        self.inhibit_rules
            .iter()
            .try_for_each(InhibitRule::validate)
    }

    /// Rejects receivers using integrations Flint does not send to yet.
    pub fn check_supported(&self) -> Result<()> {
        for r in &self.receivers {
            for (name, _) in r.integrations() {
                if !IMPLEMENTED_INTEGRATIONS.contains(&name) {
                    return Err(Error::NotSupported {
                        receiver: r.name.clone(),
                        integration: name,
                    });
                }
            }
        }
        Ok(())
    }

    /// The named time intervals (both the old and the new list).
    pub fn named_intervals(&self) -> impl Iterator<Item = &NamedTimeInterval> {
        self.mute_time_intervals.iter().chain(&self.time_intervals)
    }

    /// The template files the `templates` globs select, sorted.
    pub fn template_files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for pattern in &self.templates {
            let paths = glob::glob(pattern)
                .map_err(|e| Error::Config(format!("invalid template glob {pattern:?}: {e}")))?;
            for p in paths.flatten() {
                out.push(p);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The config as YAML with secrets masked (what `/api/v2/status` serves).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self)
            .unwrap_or_else(|e| format!("<error creating config string: {e}>"))
    }
}

#[cfg(test)]
mod tests;
