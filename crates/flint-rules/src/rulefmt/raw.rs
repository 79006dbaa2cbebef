//! Rule files as written: serde structs with positions, and a scan of every mapping key so
//! unknown fields are all reported (as go-yaml's strict mode does), not only the first.

use std::collections::BTreeMap;
use std::fmt;

use flint_config::Duration;
use flint_config::located::Located;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// The file: `groups`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawFile {
    pub groups: Option<Vec<Located<RawGroup>>>,
}

/// One group as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawGroup {
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub query_offset: Option<Duration>,
    pub limit: Option<i64>,
    pub rules: Option<Vec<Located<RawRule>>>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// One rule as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRule {
    pub record: Option<Located<String>>,
    pub alert: Option<Located<String>>,
    pub expr: Option<Located<String>>,
    #[serde(rename = "for")]
    pub for_: Option<Duration>,
    pub keep_firing_for: Option<Duration>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
}

const FILE_FIELDS: &[&str] = &["groups"];
const GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
];
const RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// A key that is not a field of its mapping: line, name and the Go type upstream names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownField {
    pub line: usize,
    pub name: String,
    pub type_name: &'static str,
}

/// Which mapping a [`KeyScan`] is reading.
#[derive(Debug, Clone, Copy)]
enum Level {
    File,
    Group,
    Rule,
}

impl Level {
    fn fields(self) -> &'static [&'static str] {
        match self {
            Level::File => FILE_FIELDS,
            Level::Group => GROUP_FIELDS,
            Level::Rule => RULE_FIELDS,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Level::File => "rulefmt.RuleGroups",
            Level::Group => "rulefmt.RuleGroup",
            Level::Rule => "rulefmt.Rule",
        }
    }

    /// The key whose value is a list of the next level's mappings.
    fn child(self) -> Option<(&'static str, Level)> {
        match self {
            Level::File => Some(("groups", Level::Group)),
            Level::Group => Some(("rules", Level::Rule)),
            Level::Rule => None,
        }
    }
}

/// The unknown keys of one mapping and of the mappings nested below it.
#[derive(Debug, Default)]
struct Scanned(Vec<UnknownField>);

struct MapScan(Level);

impl<'de> Visitor<'de> for MapScan {
    type Value = Scanned;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Scanned, E> {
        Ok(Scanned::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            match self.0.child() {
                Some((name, level)) if key.value == name => {
                    let list: Option<ListScan> = map.next_value_seed(ListSeed(level))?;
                    out.extend(list.into_iter().flat_map(|l| l.0));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if !self.0.fields().contains(&key.value.as_str()) {
                        out.push(UnknownField {
                            line: key.referenced.line() as usize,
                            name: key.value,
                            type_name: self.0.type_name(),
                        });
                    }
                }
            }
        }
        Ok(Scanned(out))
    }
}

struct ListScan(Vec<UnknownField>);

#[derive(Clone, Copy)]
struct ListSeed(Level);

impl<'de> serde::de::DeserializeSeed<'de> for ListSeed {
    type Value = Option<ListScan>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Option<ListScan>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(MapSeed(self.0))? {
            out.extend(s.0);
        }
        Ok(Some(ListScan(out)))
    }
}

struct MapSeed(Level);

impl<'de> serde::de::DeserializeSeed<'de> for MapSeed {
    type Value = Scanned;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Scanned, D::Error> {
        d.deserialize_any(MapScan(self.0))
    }
}

/// The whole file's unknown keys.
struct FileScan(Vec<UnknownField>);

impl<'de> Deserialize<'de> for FileScan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapScan(Level::File))
            .map(|s| FileScan(s.0))
    }
}

fn yaml_options() -> serde_saphyr::options::Options {
    let mut o = serde_saphyr::options::Options::default();
    o.with_snippet = false;
    o
}

/// Parses the file; a YAML or type error becomes go-yaml-like text with its line.
pub(crate) fn parse(text: &str) -> Result<RawFile, String> {
    serde_saphyr::from_str_with_options::<RawFile>(text, yaml_options()).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        let msg = e.to_string();
        let rest = msg.strip_prefix("error: ").unwrap_or(&msg);
        let msg = match rest.split_once(": ") {
            Some((pos, m)) if pos.starts_with("line ") && pos.contains(" column ") => m,
            _ => rest,
        };
        let msg = msg.split(" at line ").next().unwrap_or(msg);
        format!("yaml: unmarshal errors:\n  line {line}: {msg}")
    })
}

/// Every key that is not a field of its mapping, in file order (a file that fails to parse
/// reports nothing here: [`parse`] reports it).
pub(crate) fn unknown_fields(text: &str) -> Vec<UnknownField> {
    serde_saphyr::from_str_with_options::<Option<FileScan>>(text, yaml_options())
        .ok()
        .flatten()
        .map(|f| f.0)
        .unwrap_or_default()
}

/// go-yaml's rendering of unknown fields.
pub(crate) fn unknown_fields_message(fields: &[UnknownField]) -> String {
    let mut s = String::from("yaml: unmarshal errors:");
    for f in fields {
        s.push_str(&format!(
            "\n  line {}: field {} not found in type {}",
            f.line, f.name, f.type_name
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unknown_field_is_found() {
        let text = "groups:\n  - name: a\n    namespace: x\n    rules:\n      - record: r\n        expr: 1\n        owner: me\n  - name: b\n    ownership: y\nextra: 1\n";
        let got = unknown_fields(text);
        let names: Vec<_> = got
            .iter()
            .map(|f| (f.line, f.name.as_str(), f.type_name))
            .collect();
        assert_eq!(
            names,
            [
                (3, "namespace", "rulefmt.RuleGroup"),
                (7, "owner", "rulefmt.Rule"),
                (9, "ownership", "rulefmt.RuleGroup"),
                (10, "extra", "rulefmt.RuleGroups"),
            ]
        );
        assert!(unknown_fields("groups:\n").is_empty());
        assert!(unknown_fields("").is_empty());
        assert!(unknown_fields("groups: [").is_empty());
    }

    #[test]
    fn parse_errors_carry_a_line() {
        let e = parse("groups: 5\n").err().unwrap_or_default();
        assert!(e.starts_with("yaml: unmarshal errors:\n  line 1: "), "{e}");
        let e = parse("groups:\n  - name: x\n    name: y\n")
            .err()
            .unwrap_or_default();
        assert!(e.contains("line 3: duplicate mapping key"), "{e}");
    }
}
