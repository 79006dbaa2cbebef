//! Applying relabel rules to label sets.

use md5::{Digest, Md5};

use super::config::{Action, RelabelConfig};
use super::template::{TemplateGroups, WholeMatch, expand_template};
use crate::labels::{Label, Labels, LabelsBuilder};
use crate::names::NameValidation;

/// Apply `configs` in order to `labels` under Prometheus 3's default UTF-8 name validation.
/// Returns `None` when a rule drops the series.
///
/// For hot paths use a long-lived [`Relabeler`], which reuses its buffers.
pub fn relabel(labels: &Labels, configs: &[RelabelConfig]) -> Option<Labels> {
    Relabeler::new(NameValidation::Utf8).process(labels, configs)
}

/// A reusable relabeling engine. It keeps a [`LabelsBuilder`] and scratch buffers between
/// calls, and returns the input set itself (no allocation) when no rule changes it.
#[derive(Debug, Default)]
pub struct Relabeler {
    scheme: NameValidation,
    builder: LabelsBuilder,
    scratch: Scratch,
}

/// Buffers reused across rules and calls.
#[derive(Debug, Default)]
struct Scratch {
    /// The joined source values.
    val: String,
    /// Expanded target label and replacement.
    target: String,
    result: String,
    /// Snapshot of the current labels for label-name actions.
    labels: Vec<Label>,
}

impl Relabeler {
    /// An engine checking expanded `replace` target names under `scheme`.
    pub fn new(scheme: NameValidation) -> Self {
        Relabeler {
            scheme,
            ..Default::default()
        }
    }

    /// Apply `configs` in order; `None` when the series is dropped.
    pub fn process(&mut self, labels: &Labels, configs: &[RelabelConfig]) -> Option<Labels> {
        if configs.is_empty() {
            return Some(labels.clone());
        }
        self.builder.reset(labels.clone());
        for cfg in configs {
            if !apply(cfg, &mut self.builder, &mut self.scratch, self.scheme) {
                return None;
            }
        }
        Some(self.builder.build())
    }

    /// Apply `configs` to a caller-owned builder (Prometheus's `ProcessBuilder`); `false` when
    /// the series is dropped.
    pub fn process_builder(&mut self, lb: &mut LabelsBuilder, configs: &[RelabelConfig]) -> bool {
        configs
            .iter()
            .all(|cfg| apply(cfg, lb, &mut self.scratch, self.scheme))
    }
}

/// Apply one rule; `false` drops the series.
fn apply(
    cfg: &RelabelConfig,
    lb: &mut LabelsBuilder,
    s: &mut Scratch,
    scheme: NameValidation,
) -> bool {
    s.val.clear();
    for (i, name) in cfg.source_labels.iter().enumerate() {
        if i > 0 {
            s.val.push_str(&cfg.separator);
        }
        s.val.push_str(lb.get(name).unwrap_or(""));
    }
    let current_target = || lb.get(&cfg.target_label).unwrap_or("");
    match cfg.action {
        Action::Drop => return !cfg.regex.is_match(&s.val),
        Action::Keep => return cfg.regex.is_match(&s.val),
        Action::DropEqual => return current_target() != s.val,
        Action::KeepEqual => return current_target() == s.val,
        Action::Replace => replace(cfg, lb, s, scheme),
        Action::Lowercase => {
            let v = map_case(&s.val, true);
            set_if_changed(lb, &cfg.target_label, &v);
        }
        Action::Uppercase => {
            let v = map_case(&s.val, false);
            set_if_changed(lb, &cfg.target_label, &v);
        }
        Action::HashMod => {
            let v = hashmod(&s.val, cfg.modulus).to_string();
            set_if_changed(lb, &cfg.target_label, &v);
        }
        Action::LabelMap | Action::LabelDrop | Action::LabelKeep => label_names(cfg, lb, s),
    }
    true
}

fn replace(cfg: &RelabelConfig, lb: &mut LabelsBuilder, s: &mut Scratch, scheme: NameValidation) {
    // Fast path as upstream: add or delete a constant label.
    if s.val.is_empty()
        && cfg.has_default_regex()
        && !cfg.target_label.contains('$')
        && !cfg.replacement.contains('$')
    {
        set_if_changed(lb, &cfg.target_label, &cfg.replacement);
        return;
    }
    if !cfg.regex.is_match(&s.val) {
        return;
    }
    let val = std::mem::take(&mut s.val);
    let constant = !cfg.target_label.contains('$') && !cfg.replacement.contains('$');
    // Without group references (or with `(.*)`, whose groups are the input) no captures needed.
    if constant || cfg.has_default_regex() {
        expand_and_set(cfg, lb, s, scheme, &WholeMatch(&val));
    } else if let Some(caps) = cfg.regex.captures(&val) {
        expand_and_set(cfg, lb, s, scheme, &caps);
    }
    s.val = val;
}

/// Expand `target_label` and `replacement`, then write (or delete) the target.
fn expand_and_set<G: TemplateGroups>(
    cfg: &RelabelConfig,
    lb: &mut LabelsBuilder,
    s: &mut Scratch,
    scheme: NameValidation,
    groups: &G,
) {
    s.target.clear();
    expand_template(&cfg.target_label, groups, &mut s.target);
    if !scheme.is_valid_label_name(&s.target) {
        return;
    }
    s.result.clear();
    expand_template(&cfg.replacement, groups, &mut s.result);
    set_if_changed(lb, &s.target, &s.result);
}

/// `labelmap`, `labeldrop`, `labelkeep`: match `regex` against each current label name.
fn label_names(cfg: &RelabelConfig, lb: &mut LabelsBuilder, s: &mut Scratch) {
    lb.current_into(&mut s.labels);
    for l in &s.labels {
        let matched = cfg.regex.is_match(&l.name);
        match cfg.action {
            Action::LabelDrop if matched => {
                lb.del(l.name.clone());
            }
            Action::LabelKeep if !matched => {
                lb.del(l.name.clone());
            }
            Action::LabelMap if matched => {
                let Some(caps) = cfg.regex.captures(&l.name) else {
                    continue;
                };
                s.target.clear();
                expand_template(&cfg.replacement, &caps, &mut s.target);
                // Upstream would create a label with an empty name; a label set cannot hold one.
                if !s.target.is_empty() && lb.get(&s.target) != Some(&*l.value) {
                    lb.set(s.target.as_str(), l.value.clone());
                }
            }
            _ => {}
        }
    }
}

/// Set `name` to `value` (deleting on empty) unless it already has that value, so unchanged
/// label sets cost no allocation.
fn set_if_changed(lb: &mut LabelsBuilder, name: &str, value: &str) {
    if lb.get(name).unwrap_or("") != value {
        lb.set(name, value);
    }
}

/// Prometheus's hashmod: the last 8 bytes of md5(`val`) as a big-endian `u64`, modulo `modulus`.
pub(crate) fn hashmod(val: &str, modulus: u64) -> u64 {
    let digest = Md5::digest(val.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&digest[8..16]);
    u64::from_be_bytes(tail).checked_rem(modulus).unwrap_or(0)
}

/// Go's `strings.ToLower`/`ToUpper` map each character by the simple (one-to-one) Unicode case
/// mapping. Rust's mappings may expand to several characters; then we keep the first one when
/// lower-casing (`İ` → `i`, as Go) and the character itself when upper-casing (`ß` stays `ß`).
fn map_case(s: &str, lower: bool) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        let unchanged = if lower {
            !s.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            !s.bytes().any(|b| b.is_ascii_lowercase())
        };
        if unchanged {
            return s.into();
        }
        return if lower {
            s.to_ascii_lowercase().into()
        } else {
            s.to_ascii_uppercase().into()
        };
    }
    let one = |c: char| -> char {
        if lower {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        }
    };
    s.chars().map(one).collect::<String>().into()
}
