//! Relabel rules inside `prometheus.yml`: `flint_model`'s [`RelabelConfig`] with positions,
//! null entries kept for validation, and rendering.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use flint_model::{NameValidation, RelabelConfig};

use crate::located::Located;

/// One rule as written: a `flint_model` relabel config that also serializes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Relabel(pub RelabelConfig);

/// A list of rules with positions; `None` entries are null rules, reported by validation.
pub type RelabelList = Vec<Located<Option<Relabel>>>;

impl Serialize for Relabel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = &self.0;
        let mut m = s.serialize_map(None)?;
        if !c.source_labels.is_empty() {
            m.serialize_entry("source_labels", &c.source_labels)?;
        }
        m.serialize_entry("separator", &c.separator)?;
        m.serialize_entry("regex", c.regex.as_str())?;
        if c.modulus != 0 {
            m.serialize_entry("modulus", &c.modulus)?;
        }
        if !c.target_label.is_empty() {
            m.serialize_entry("target_label", &c.target_label)?;
        }
        m.serialize_entry("replacement", &c.replacement)?;
        m.serialize_entry("action", c.action.as_str())?;
        m.end()
    }
}

/// The rules of a list (null entries left out).
pub fn rules(list: &RelabelList) -> Vec<RelabelConfig> {
    list.iter()
        .filter_map(|r| r.value.as_ref().map(|r| r.0.clone()))
        .collect()
}

/// Problems of a list: null entries (named `what`, in Prometheus's words) and rules invalid
/// under `scheme` (they were checked under UTF-8 while parsing).
pub(crate) fn problems(
    list: &RelabelList,
    what: &str,
    scheme: NameValidation,
) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for r in list {
        match &r.value {
            None => out.push((r.line, r.column, format!("empty or null {what}"))),
            Some(rule) if scheme == NameValidation::Legacy => {
                if let Err(e) = rule.0.validate(scheme) {
                    out.push((r.line, r.column, e.to_string()));
                }
            }
            Some(_) => {}
        }
    }
    out
}
