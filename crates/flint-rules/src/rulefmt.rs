//! Rule files: `groups` of recording and alerting rules, parsed and validated as Prometheus's
//! `rulefmt` does, every problem with its position and in upstream's words.
//!
//! ```
//! use flint_rules::rulefmt::{parse, ParseOptions};
//!
//! let file = parse("groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n", &ParseOptions::default())?;
//! assert_eq!(file.groups[0].rules[0].name, "job:up:sum");
//!
//! let errs = parse("groups:\n- name: g\n  rules:\n  - record: x\n    expr: 'up +'\n", &ParseOptions::default()).unwrap_err();
//! assert_eq!(errs, ["5:11: group \"g\", rule 1, \"x\": could not parse expression: 1:5: parse error: unexpected end of input"]);
//! # Ok::<(), Vec<String>>(())
//! ```

mod raw;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use flint_config::Duration;
use flint_config::located::Located;
use flint_model::NameValidation;
use flint_model::names::METRIC_NAME_LABEL;
use flint_template::prometheus::AlertTemplate;

use crate::error::{Error, Result};
use raw::{RawGroup, RawRule};

/// How to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept keys that are not rule-file fields (`--ignore-unknown-fields`).
    pub ignore_unknown_fields: bool,
    /// Which metric and label names are valid (UTF-8 by default, as in Prometheus 3).
    pub name_validation: NameValidation,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            ignore_unknown_fields: false,
            name_validation: NameValidation::Utf8,
        }
    }
}

/// A validated rule file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleFile {
    /// The groups, in file order.
    pub groups: Vec<GroupDef>,
}

/// A validated rule group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupDef {
    /// `name`, unique within the file.
    pub name: String,
    /// `interval`; the global evaluation interval when absent.
    pub interval: Option<Duration>,
    /// `query_offset`; the global `rule_query_offset` when absent.
    pub query_offset: Option<Duration>,
    /// `limit`: most series (recording) or alerts (alerting) a rule may produce; 0 is none.
    pub limit: i64,
    /// `labels` added to every rule of the group (the rule's own labels win).
    pub labels: BTreeMap<String, String>,
    /// The rules, in evaluation order.
    pub rules: Vec<RuleDef>,
}

/// Whether a rule records or alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RuleKind {
    /// `record:`.
    #[default]
    Recording,
    /// `alert:`.
    Alerting,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleDef {
    /// Recording or alerting.
    pub kind: RuleKind,
    /// The `record` metric name or the `alert` name.
    pub name: String,
    /// `expr`, as written.
    pub expr: String,
    /// `for` (alerting rules).
    pub for_: Duration,
    /// `keep_firing_for` (alerting rules).
    pub keep_firing_for: Duration,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `annotations` (alerting rules).
    pub annotations: BTreeMap<String, String>,
}

impl RuleFile {
    /// Number of rules in every group.
    pub fn num_rules(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

/// Parses and validates rule-file text. Problems come back as Prometheus words them, without
/// the file name.
pub fn parse(text: &str, opts: &ParseOptions) -> std::result::Result<RuleFile, Vec<String>> {
    let raw = raw::parse(text).map_err(|e| vec![e])?;
    if !opts.ignore_unknown_fields {
        let unknown = raw::unknown_fields(text);
        if !unknown.is_empty() {
            return Err(vec![raw::unknown_fields_message(&unknown)]);
        }
    }
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    let mut groups = Vec::new();
    for g in raw.groups.unwrap_or_default() {
        groups.push(validate_group(g, opts, &mut names, &mut problems));
    }
    if problems.is_empty() {
        Ok(RuleFile { groups })
    } else {
        Err(problems)
    }
}

/// Reads, parses and validates a rule file; problems are prefixed with the file name.
pub fn parse_file(path: &Path, opts: &ParseOptions) -> Result<RuleFile> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, opts).map_err(|problems| Error::Invalid {
        file: path.display().to_string(),
        problems,
    })
}

fn validate_group(
    g: Located<RawGroup>,
    opts: &ParseOptions,
    names: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) -> GroupDef {
    let (line, column) = (g.line, g.column);
    let raw = g.value;
    let name = raw.name.unwrap_or_default();
    if name.is_empty() {
        problems.push(format!("{line}:{column}: Groupname must not be empty"));
    }
    if !names.insert(name.clone()) {
        problems.push(format!(
            "{line}:{column}: groupname: \"{name}\" is repeated in the same file"
        ));
    }
    let labels = raw.labels.unwrap_or_default();
    for k in labels.keys() {
        if !valid_label_name(opts, k) {
            problems.push(format!("invalid label name: {k}"));
        }
    }
    let mut rules = Vec::new();
    for (i, r) in raw.rules.unwrap_or_default().into_iter().enumerate() {
        let (rule, errs) = validate_rule(r.value, opts);
        for e in errs {
            problems.push(format!(
                "{}group {:?}, rule {}, {:?}: {}",
                e.at,
                name,
                i + 1,
                rule.name,
                e.message
            ));
        }
        rules.push(rule);
    }
    GroupDef {
        name,
        interval: raw.interval,
        query_offset: raw.query_offset,
        limit: raw.limit.unwrap_or(0),
        labels,
        rules,
    }
}

fn valid_label_name(opts: &ParseOptions, name: &str) -> bool {
    opts.name_validation.is_valid_label_name(name) && name != METRIC_NAME_LABEL
}

/// One problem of a rule: the position prefix (`l:c: `, `l:c: l:c: ` or none) and the text.
struct RuleProblem {
    at: String,
    message: String,
}

fn pos<T>(n: &Option<Located<T>>) -> String {
    let (l, c) = n.as_ref().map_or((0, 0), |n| (n.line, n.column));
    format!("{l}:{c}: ")
}

fn text(n: &Option<Located<String>>) -> &str {
    n.as_ref().map_or("", |n| n.value.as_str())
}

fn validate_rule(r: RawRule, opts: &ParseOptions) -> (RuleDef, Vec<RuleProblem>) {
    let mut out = Vec::new();
    let mut push = |at: String, message: String| out.push(RuleProblem { at, message });
    let (record, alert, expr) = (text(&r.record), text(&r.alert), text(&r.expr));
    let both = format!("{}{}", pos(&r.record), pos(&r.alert));
    if !record.is_empty() && !alert.is_empty() {
        push(
            both.clone(),
            "only one of 'record' and 'alert' must be set".into(),
        );
    }
    if record.is_empty() && alert.is_empty() {
        push(both, "one of 'record' or 'alert' must be set".into());
    }
    if expr.is_empty() {
        push(pos(&r.expr), "field 'expr' must be set in rule".into());
    } else if let Err(e) = flint_promql::parser::parse(expr) {
        push(pos(&r.expr), format!("could not parse expression: {e}"));
    }
    let (for_, keep) = (
        r.for_.unwrap_or_default(),
        r.keep_firing_for.unwrap_or_default(),
    );
    let (labels, annotations) = (
        r.labels.unwrap_or_default(),
        r.annotations.unwrap_or_default(),
    );
    if !record.is_empty() {
        let at = pos(&r.record);
        if !annotations.is_empty() {
            push(
                at.clone(),
                "invalid field 'annotations' in recording rule".into(),
            );
        }
        if !for_.is_zero() {
            push(at.clone(), "invalid field 'for' in recording rule".into());
        }
        if !keep.is_zero() {
            push(
                at.clone(),
                "invalid field 'keep_firing_for' in recording rule".into(),
            );
        }
        if !opts.name_validation.is_valid_metric_name(record) {
            push(at.clone(), format!("invalid recording rule name: {record}"));
        }
        if record.contains(['{', '}']) {
            push(
                at,
                format!(
                    "braces present in the recording rule name; should it be in expr?: {record}"
                ),
            );
        }
    }
    for k in labels.keys() {
        if !valid_label_name(opts, k) {
            push(String::new(), format!("invalid label name: {k}"));
        }
    }
    for k in annotations.keys() {
        if !opts.name_validation.is_valid_label_name(k) {
            push(String::new(), format!("invalid annotation name: {k}"));
        }
    }
    if !alert.is_empty() {
        for (what, map) in [("label", &labels), ("annotation", &annotations)] {
            for (k, v) in map {
                if let Err(e) = AlertTemplate::parse(alert, v) {
                    push(String::new(), format!("{what} {k:?}: {e}"));
                }
            }
        }
    }
    let (kind, name) = if alert.is_empty() {
        (RuleKind::Recording, record.to_string())
    } else {
        (RuleKind::Alerting, alert.to_string())
    };
    let def = RuleDef {
        kind,
        name,
        expr: expr.to_string(),
        for_,
        keep_firing_for: keep,
        labels,
        annotations,
    };
    (def, out)
}

#[cfg(test)]
mod tests;
