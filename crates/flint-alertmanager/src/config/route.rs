//! The routing tree (`route`) and inhibition rules (`inhibit_rules`) as written in YAML.

use std::collections::BTreeMap;

use flint_model::Matcher;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
use crate::matchers::{Matchers, sort_matchers};

/// A node of the routing tree.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The receiver; inherited from the parent when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub receiver: String,
    /// `group_by`; `['...']` groups by every label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    /// Deprecated `match`: label equals value.
    #[serde(default, rename = "match", skip_serializing_if = "BTreeMap::is_empty")]
    pub match_: BTreeMap<String, String>,
    /// Deprecated `match_re`: label matches regex.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_re: BTreeMap<String, Option<String>>,
    /// `matchers`.
    #[serde(default, skip_serializing_if = "Matchers::is_empty")]
    pub matchers: Matchers,
    /// `mute_time_intervals`: names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<String>,
    /// `active_time_intervals`: names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active_time_intervals: Vec<String>,
    /// `continue`: keep matching siblings after this one matched.
    #[serde(default, rename = "continue")]
    pub continue_: bool,
    /// Child routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// `group_wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_wait: Option<Duration>,
    /// `group_interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_interval: Option<Duration>,
    /// `repeat_interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<Duration>,
}

/// Legacy `match`/`match_re` maps and `matchers` combined into one sorted list.
pub fn combined_matchers(
    eq: &BTreeMap<String, String>,
    re: &BTreeMap<String, Option<String>>,
    matchers: &Matchers,
) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    for (k, v) in eq {
        out.push(Matcher::equal(k.as_str(), v.as_str()));
    }
    for (k, v) in re {
        let v = v
            .as_deref()
            .ok_or_else(|| format!("invalid regexp value for {k:?}"))?;
        out.push(Matcher::regex_match(k.as_str(), v).map_err(|e| e.to_string())?);
    }
    out.extend(matchers.0.iter().cloned());
    sort_matchers(&mut out);
    Ok(out)
}

fn check_label_names<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<(), String> {
    for k in names {
        if !flint_model::names::is_legacy_label_name(k) {
            return Err(format!("invalid label name {k:?}"));
        }
    }
    Ok(())
}

impl Route {
    /// Upstream's per-node checks (`Route.UnmarshalYAML`), applied recursively.
    pub fn validate(&self) -> Result<(), String> {
        check_label_names(self.match_.keys())?;
        check_label_names(self.match_re.keys())?;
        combined_matchers(&self.match_, &self.match_re, &self.matchers)?;
        if let Some(gb) = &self.group_by {
            let all = gb.iter().any(|l| l == "...");
            let mut seen = std::collections::HashSet::new();
            for l in gb.iter().filter(|l| *l != "...") {
                if l.is_empty() || !flint_model::NameValidation::Utf8.is_valid_label_name(l) {
                    return Err(format!("invalid label name {l:?} in group_by list"));
                }
                if !seen.insert(l) {
                    return Err(format!("duplicated label {l:?} in group_by"));
                }
            }
            if all && !seen.is_empty() {
                return Err(
                    "cannot have wildcard group_by (`...`) and other labels at the same time"
                        .into(),
                );
            }
        }
        if self.group_interval.is_some_and(|d| d.0.is_zero()) {
            return Err("group_interval cannot be zero".into());
        }
        if self.repeat_interval.is_some_and(|d| d.0.is_zero()) {
            return Err("repeat_interval cannot be zero".into());
        }
        self.routes.iter().try_for_each(Route::validate)
    }

    /// Visits this node and all descendants.
    pub fn walk<'a>(
        &'a self,
        f: &mut impl FnMut(&'a Route) -> Result<(), String>,
    ) -> Result<(), String> {
        f(self)?;
        self.routes.iter().try_for_each(|r| r.walk(f))
    }
}

/// An inhibition rule: firing source alerts mute matching target alerts that share `equal`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    /// Optional name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Deprecated `source_match`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub source_match: BTreeMap<String, String>,
    /// Deprecated `source_match_re`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub source_match_re: BTreeMap<String, Option<String>>,
    /// `source_matchers`.
    #[serde(default, skip_serializing_if = "Matchers::is_empty")]
    pub source_matchers: Matchers,
    /// Deprecated `target_match`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_match: BTreeMap<String, String>,
    /// Deprecated `target_match_re`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_match_re: BTreeMap<String, Option<String>>,
    /// `target_matchers`.
    #[serde(default, skip_serializing_if = "Matchers::is_empty")]
    pub target_matchers: Matchers,
    /// Labels that must be equal in source and target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// Upstream's checks.
    pub fn validate(&self) -> Result<(), String> {
        check_label_names(self.source_match.keys())?;
        check_label_names(self.source_match_re.keys())?;
        check_label_names(self.target_match.keys())?;
        check_label_names(self.target_match_re.keys())?;
        self.source()?;
        self.target()?;
        for l in &self.equal {
            if l.is_empty() || !flint_model::NameValidation::Utf8.is_valid_label_name(l) {
                return Err(format!("invalid label name {l:?} in equal list"));
            }
        }
        Ok(())
    }

    /// All source matchers.
    pub fn source(&self) -> Result<Vec<Matcher>, String> {
        combined_matchers(
            &self.source_match,
            &self.source_match_re,
            &self.source_matchers,
        )
    }

    /// All target matchers.
    pub fn target(&self) -> Result<Vec<Matcher>, String> {
        combined_matchers(
            &self.target_match,
            &self.target_match_re,
            &self.target_matchers,
        )
    }
}
