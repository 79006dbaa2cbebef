//! Relabel configuration: YAML shape, defaults and validation.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::names::NameValidation;
use crate::regex::Regex;

/// Default `separator`.
pub const DEFAULT_SEPARATOR: &str = ";";
/// Default `regex`.
pub const DEFAULT_REGEX: &str = "(.*)";
/// Default `replacement`.
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// What a relabel rule does. Parsed case-insensitively, as Prometheus does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Action {
    /// Write the expanded `replacement` to the expanded `target_label` if `regex` matches.
    #[default]
    Replace,
    /// Drop the series unless `regex` matches the joined source values.
    Keep,
    /// Drop the series if `regex` matches the joined source values.
    Drop,
    /// Drop the series unless the joined source values equal `target_label`'s value.
    KeepEqual,
    /// Drop the series if the joined source values equal `target_label`'s value.
    DropEqual,
    /// Set `target_label` to md5(joined source values) modulo `modulus`.
    HashMod,
    /// Copy every label whose name matches `regex` to the name given by `replacement`.
    LabelMap,
    /// Delete every label whose name matches `regex`.
    LabelDrop,
    /// Delete every label whose name does not match `regex`.
    LabelKeep,
    /// Set `target_label` to the lower-cased joined source values.
    Lowercase,
    /// Set `target_label` to the upper-cased joined source values.
    Uppercase,
}

impl Action {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        const ALL: [Action; 11] = [
            Action::Replace,
            Action::Keep,
            Action::Drop,
            Action::KeepEqual,
            Action::DropEqual,
            Action::HashMod,
            Action::LabelMap,
            Action::LabelDrop,
            Action::LabelKeep,
            Action::Lowercase,
            Action::Uppercase,
        ];
        let lower = s.to_lowercase();
        ALL.into_iter()
            .find(|a| a.as_str() == lower)
            .ok_or_else(|| Error::UnknownRelabelAction {
                action: s.to_string(),
            })
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One relabel rule, as written in `relabel_configs`.
///
/// Deserializing applies Prometheus's defaults, compiles `regex` anchored (`^(?s:…)$`, Go RE2
/// semantics) and validates the rule under UTF-8 name validation, like Prometheus 3's
/// `UnmarshalYAML`. Call [`RelabelConfig::validate`] with [`NameValidation::Legacy`] when the
/// legacy scheme is configured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawRelabelConfig")]
pub struct RelabelConfig {
    /// Labels whose values are joined with `separator` to form the input.
    pub source_labels: Vec<String>,
    /// Joins the source values; default `;`.
    pub separator: String,
    /// Anchored regex matched against the input (or label names for `labelmap`, `labeldrop`,
    /// `labelkeep`); default `(.*)`.
    pub regex: Regex,
    /// Modulus for `hashmod`.
    pub modulus: u64,
    /// Label to write (a template for `replace`).
    pub target_label: String,
    /// Replacement template; default `$1`.
    pub replacement: String,
    /// The action; default `replace`.
    pub action: Action,
}

/// The YAML shape before defaults are checked and the regex compiled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelabelConfig {
    #[serde(default)]
    source_labels: Vec<String>,
    #[serde(default = "default_separator")]
    separator: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    modulus: u64,
    #[serde(default)]
    target_label: String,
    #[serde(default = "default_replacement")]
    replacement: String,
    #[serde(default)]
    action: Action,
}

fn default_separator() -> String {
    DEFAULT_SEPARATOR.to_string()
}

fn default_replacement() -> String {
    DEFAULT_REPLACEMENT.to_string()
}

impl TryFrom<RawRelabelConfig> for RelabelConfig {
    type Error = Error;

    fn try_from(raw: RawRelabelConfig) -> Result<Self> {
        let regex = Regex::new_anchored(raw.regex.as_deref().unwrap_or(DEFAULT_REGEX))?;
        let cfg = RelabelConfig {
            source_labels: raw.source_labels,
            separator: raw.separator,
            regex,
            modulus: raw.modulus,
            target_label: raw.target_label,
            replacement: raw.replacement,
            action: raw.action,
        };
        cfg.validate(NameValidation::Utf8)?;
        Ok(cfg)
    }
}

impl Default for RelabelConfig {
    /// `action: replace`, `separator: ";"`, `regex: "(.*)"`, `replacement: "$1"`.
    fn default() -> Self {
        RelabelConfig {
            source_labels: Vec::new(),
            separator: default_separator(),
            regex: default_regex(),
            modulus: 0,
            target_label: String::new(),
            replacement: default_replacement(),
            action: Action::Replace,
        }
    }
}

fn default_regex() -> Regex {
    // A constant pattern: failing to compile it is a bug in the translator, not bad input.
    Regex::new_anchored(DEFAULT_REGEX).expect("the default relabel regex compiles")
}

impl RelabelConfig {
    /// A default rule (see [`Default`]) with `action` and the regex `regex` compiled anchored.
    pub fn with_regex(action: Action, regex: &str) -> Result<Self> {
        Ok(RelabelConfig {
            action,
            regex: Regex::new_anchored(regex)?,
            ..Default::default()
        })
    }

    /// Whether `regex` is the default `(.*)`.
    pub fn has_default_regex(&self) -> bool {
        self.regex.as_str() == DEFAULT_REGEX
    }
}
