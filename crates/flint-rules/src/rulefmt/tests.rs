//! The rule-file parser against upstream's `rulefmt` fixtures and hand-written cases.
#![allow(clippy::unwrap_used)]

use super::*;

fn fixture(name: &str) -> String {
    let p = flint_testkit::testdata::testdata_path("promtool")
        .join("rulefmt")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn legacy() -> ParseOptions {
    ParseOptions {
        name_validation: NameValidation::Legacy,
        ..ParseOptions::default()
    }
}

#[test]
fn good_fixtures_parse() {
    for (name, opts) in [
        ("test.yaml", ParseOptions::default()),
        ("test_aliases.yaml", ParseOptions::default()),
        ("utf-8_lname.good.yaml", ParseOptions::default()),
        ("utf-8_annotation.good.yaml", ParseOptions::default()),
        (
            "legacy_validation_annotation.good.yaml",
            ParseOptions::default(),
        ),
        ("legacy_validation_annotation.good.yaml", legacy()),
    ] {
        let f = parse(&fixture(name), &opts).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(f.num_rules() > 0, "{name}");
    }
}

#[test]
fn aliases_resolve_to_the_same_expression() {
    let f = parse(&fixture("test_aliases.yaml"), &ParseOptions::default()).unwrap();
    let want = "sum without(instance) (rate(errors_total[5m]))\n/\nsum without(instance) (rate(requests_total[5m]))\n";
    for g in &f.groups {
        for r in &g.rules {
            assert_eq!(r.expr, want, "{}", r.name);
        }
    }
    let merged = &f.groups[0].rules[3];
    assert_eq!(merged.name, "HighAlert2");
    assert_eq!(merged.labels["severity"], "critical");
    assert_eq!(merged.for_.to_string(), "5m");
}

#[test]
fn bad_fixtures_are_rejected_with_upstream_messages() {
    for (name, opts, want) in [
        (
            "duplicate_grp.bad.yaml",
            ParseOptions::default(),
            "3:5: groupname: \"yolo\" is repeated in the same file",
        ),
        (
            "bad_expr.bad.yaml",
            ParseOptions::default(),
            "5:15: group \"yolo\", rule 1, \"yolo\": could not parse expression: 1:6: parse error: expected type range vector in call to function \"rate\", got instant vector",
        ),
        (
            "record_and_alert.bad.yaml",
            ParseOptions::default(),
            "4:17: 5:16: group \"yolo\", rule 1, \"Hello\": only one of 'record' and 'alert' must be set",
        ),
        (
            "no_rec_alert.bad.yaml",
            ParseOptions::default(),
            "0:0: 0:0: group \"yolo\", rule 1, \"\": one of 'record' or 'alert' must be set",
        ),
        (
            "noexpr.bad.yaml",
            ParseOptions::default(),
            "0:0: group \"yolo\", rule 1, \"ylo\": field 'expr' must be set in rule",
        ),
        (
            "invalid_record_name.bad.yaml",
            ParseOptions::default(),
            "4:17: group \"yolo\", rule 1, \"strawberry{flavor=\\\"sweet\\\"}\": braces present in the recording rule name; should it be in expr?: strawberry{flavor=\"sweet\"}",
        ),
        (
            "bad_field.bad.yaml",
            ParseOptions::default(),
            "yaml: unmarshal errors:\n  line 8: field annotation not found in type rulefmt.Rule",
        ),
        (
            "invalid_label_name.bad.yaml",
            ParseOptions::default(),
            "group \"yolo\", rule 1, \"hola\": invalid label name: __name__",
        ),
        (
            "record_and_for.bad.yaml",
            ParseOptions::default(),
            "4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'for' in recording rule",
        ),
        (
            "record_and_keep_firing_for.bad.yaml",
            ParseOptions::default(),
            "4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'keep_firing_for' in recording rule",
        ),
        (
            "legacy_validation_annotation.bad.yaml",
            legacy(),
            "group \"yolo\", rule 1, \"hola\": invalid annotation name: ins-tance",
        ),
    ] {
        let errs = parse(&fixture(name), &opts).unwrap_err();
        assert!(
            errs.iter().any(|e| e == want),
            "{name}: want {want:?}, got {errs:#?}"
        );
    }
}

#[test]
fn unknown_fields_can_be_ignored() {
    let text = "groups:\n- name: g\n  owner: me\n  rules:\n  - record: r\n    expr: 1\n";
    let e = parse(text, &ParseOptions::default()).unwrap_err();
    assert_eq!(
        e,
        ["yaml: unmarshal errors:\n  line 3: field owner not found in type rulefmt.RuleGroup"]
    );
    let opts = ParseOptions {
        ignore_unknown_fields: true,
        ..ParseOptions::default()
    };
    assert_eq!(parse(text, &opts).unwrap().num_rules(), 1);
}

#[test]
fn templates_and_labels_are_checked() {
    let text = "groups:\n- name: g\n  labels: {team: a}\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    keep_firing_for: 1m\n    labels: {sev: '{{ $value'}\n    annotations:\n      summary: '{{ $label.x }}'\n";
    let errs = parse(text, &ParseOptions::default()).unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].starts_with("group \"g\", rule 1, \"A\": label \"sev\": template: __alert_A:1: "),
        "{}",
        errs[0]
    );
    assert_eq!(
        errs[1],
        "group \"g\", rule 1, \"A\": annotation \"summary\": template: __alert_A:1: undefined variable \"$label\""
    );
    let ok = parse(
        "groups:\n- name: g\n  interval: 30s\n  query_offset: 1m\n  limit: 10\n  labels: {team: a}\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    keep_firing_for: 1m\n    labels: {sev: '{{ $value }}'}\n",
        &ParseOptions::default(),
    )
    .unwrap();
    let g = &ok.groups[0];
    assert_eq!((g.limit, g.labels["team"].as_str()), (10, "a"));
    assert_eq!(g.interval.map(|d| d.to_string()).as_deref(), Some("30s"));
    assert_eq!(g.query_offset.map(|d| d.to_string()).as_deref(), Some("1m"));
    assert_eq!(g.rules[0].kind, RuleKind::Alerting);
    assert_eq!(g.rules[0].keep_firing_for.to_string(), "1m");
}

#[test]
fn empty_and_broken_files() {
    assert_eq!(parse("", &ParseOptions::default()).unwrap().num_rules(), 0);
    assert_eq!(
        parse("groups:\n", &ParseOptions::default())
            .unwrap()
            .num_rules(),
        0
    );
    let e = parse("groups:\n- name: ''\n", &ParseOptions::default()).unwrap_err();
    assert_eq!(e, ["2:3: Groupname must not be empty"]);
    let e = parse("groups: [\n", &ParseOptions::default()).unwrap_err();
    assert!(e[0].starts_with("yaml: "), "{e:?}");
    let e = parse(
        "groups:\n- name: g\n  interval: soon\n",
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        e[0].contains("not a valid duration string: \"soon\""),
        "{e:?}"
    );
}
