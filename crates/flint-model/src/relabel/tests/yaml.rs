//! Parsing relabel rules from Prometheus YAML: defaults, validation and error texts.

use super::{ls, parse, parse_err};
use crate::error::Error;
use crate::names::NameValidation;
use crate::relabel::{Action, RelabelConfig, relabel};

#[test]
fn yaml_defaults() {
    let c = &parse("- {target_label: x}")[0];
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.separator, ";");
    assert_eq!(c.regex.as_str(), "(.*)");
    assert_eq!(c.replacement, "$1");
    assert_eq!(c.modulus, 0);
    assert!(c.source_labels.is_empty());
    assert_eq!(
        c,
        &RelabelConfig {
            target_label: "x".into(),
            ..Default::default()
        }
    );
}

#[test]
fn yaml_block_style() {
    let rules = parse(
        r#"
- source_labels: [__meta_kubernetes_pod_name, __meta_kubernetes_pod_container_port_number]
  separator: ":"
  regex: '(.+):(\d+)'
  target_label: instance
  replacement: "${1}:${2}"
- action: HashMod
  source_labels: [instance]
  modulus: 4
  target_label: __tmp_hash
- action: keep
  source_labels: [__tmp_hash]
  regex: "0|1|2|3"
- action: labeldrop
  regex: __tmp_.*
"#,
    );
    assert_eq!(rules.len(), 4);
    assert_eq!(rules[0].separator, ":");
    assert_eq!(rules[1].action, Action::HashMod);
    assert_eq!(rules[2].regex.set_matches().map(<[String]>::len), Some(4));
    let input = ls(&[
        ("__meta_kubernetes_pod_name", "p"),
        ("__meta_kubernetes_pod_container_port_number", "80"),
    ]);
    let out = relabel(&input, &rules).expect("kept");
    assert_eq!(out.get("instance"), Some("p:80"));
    assert_eq!(out.get("__tmp_hash"), None);
}

#[test]
fn yaml_errors() {
    let cases: &[(&str, &str)] = &[
        ("- {action: foo}", "unknown relabel action \"foo\""),
        (
            "- {action: hashmod, target_label: a}",
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "- {action: replace}",
            "relabel configuration for replace action requires 'target_label' value",
        ),
        (
            "- {action: lowercase, source_labels: [a]}",
            "relabel configuration for lowercase action requires 'target_label' value",
        ),
        (
            "- {action: uppercase, target_label: a, replacement: x}",
            "'replacement' can not be set for uppercase action",
        ),
        (
            "- {action: keepequal, target_label: a, regex: x}",
            "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            "- {action: dropequal, target_label: a, separator: x}",
            "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            "- {action: labeldrop, regex: x, source_labels: [a]}",
            "labeldrop action requires only 'regex', and no other fields",
        ),
        (
            "- {action: labelkeep, target_label: a}",
            "labelkeep action requires only 'regex', and no other fields",
        ),
        (
            "- {regex: '(x', target_label: a}",
            "error parsing regexp: missing closing ): `(x`",
        ),
        (
            "- {source_labels: [''], target_label: a}",
            "\"\" is not a valid label name",
        ),
        ("- {target_label: a, unknown: 1}", "unknown"),
    ];
    for &(yaml, want) in cases {
        let got = parse_err(yaml);
        assert!(got.contains(want), "{yaml}: got {got:?}, want {want:?}");
    }
}

#[test]
fn legacy_validation() {
    let ok = |yaml: &str| parse(yaml)[0].validate(NameValidation::Legacy);
    assert!(ok("- {target_label: 'foo_${1}'}").is_ok());
    assert!(ok("- {target_label: '$1'}").is_ok());
    assert_eq!(
        ok("- {target_label: 'a.b'}"),
        Err(Error::InvalidTargetLabel {
            target_label: "a.b".into(),
            action: "replace"
        })
    );
    assert_eq!(
        ok("- {target_label: '${1}.x'}"),
        Err(Error::InvalidTargetLabel {
            target_label: "${1}.x".into(),
            action: "replace"
        })
    );
    assert_eq!(
        ok("- {action: labelmap, replacement: 'a-$1'}"),
        Err(Error::InvalidReplacement {
            replacement: "a-$1".into(),
            action: "labelmap"
        })
    );
    assert_eq!(
        ok("- {action: hashmod, modulus: 2, target_label: 'a b'}"),
        Err(Error::InvalidTargetLabel {
            target_label: "a b".into(),
            action: "hashmod"
        })
    );
    // UTF-8 (the default) accepts them.
    assert!(ok("- {target_label: 'a.b'}").is_err());
    assert!(
        parse("- {target_label: 'a.b'}")[0]
            .validate(NameValidation::Utf8)
            .is_ok()
    );
}
