mod yaml;

use proptest::prelude::*;

use super::*;
use crate::labels::Labels;
use crate::names::NameValidation;

type Pairs<'a> = &'a [(&'a str, &'a str)];
type Cases = &'static [(&'static str, Pairs<'static>, Option<Pairs<'static>>)];

fn ls(pairs: Pairs<'_>) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn parse(yaml: &str) -> Vec<RelabelConfig> {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn parse_err(yaml: &str) -> String {
    match serde_saphyr::from_str::<Vec<RelabelConfig>>(yaml) {
        Ok(c) => panic!("{yaml} should fail, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// (rules as YAML, input labels, expected output or None when dropped).
fn check(cases: &[(&str, Pairs<'_>, Option<Pairs<'_>>)]) {
    for &(yaml, input, want) in cases {
        let got = relabel(&ls(input), &parse(yaml));
        assert_eq!(got, want.map(ls), "rules:\n{yaml}\ninput: {input:?}");
    }
}

/// `replace` cases: (rules, input, output).
const REPLACE: Cases = &[
    (
        "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
        &[("a", "foo"), ("b", "bar")],
        Some(&[("a", "foo"), ("b", "bar"), ("d", "choo-choo")]),
    ),
    // Joined sources with the default separator; $2 from the second group.
    (
        "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}",
        &[("a", "foo"), ("b", "bar")],
        Some(&[("a", "boobam"), ("b", "bar")]),
    ),
    // No match: nothing happens. The regex is anchored.
    (
        "- {source_labels: [a], regex: 'o', target_label: a, replacement: x}",
        &[("a", "foo")],
        Some(&[("a", "foo")]),
    ),
    // Empty result deletes the target.
    (
        "- {source_labels: [a], regex: '(f).*', target_label: b, replacement: '$2'}",
        &[("a", "foo"), ("b", "x")],
        Some(&[("a", "foo")]),
    ),
    // Target label from the template; invalid expansion (empty name) is skipped.
    (
        "- {source_labels: [a], regex: '(f).*', target_label: '$1', replacement: '$1'}",
        &[("a", "foo")],
        Some(&[("a", "foo"), ("f", "f")]),
    ),
    (
        "- {source_labels: [a], regex: '(f).*', target_label: '$2', replacement: 'x'}",
        &[("a", "foo")],
        Some(&[("a", "foo")]),
    ),
    // Default regex and replacement: copy a label.
    (
        "- {source_labels: [a], target_label: b}",
        &[("a", "v")],
        Some(&[("a", "v"), ("b", "v")]),
    ),
    // Fast path: empty source, constant replacement adds a label...
    (
        "- {target_label: env, replacement: prod}",
        &[("a", "1")],
        Some(&[("a", "1"), ("env", "prod")]),
    ),
    // ...and an empty replacement removes one.
    (
        "- {target_label: a, replacement: ''}",
        &[("a", "1"), ("b", "2")],
        Some(&[("b", "2")]),
    ),
    // Missing source labels count as empty strings.
    (
        "- {source_labels: [x, y], regex: ';', target_label: both_missing, replacement: yes}",
        &[("a", "1")],
        Some(&[("a", "1"), ("both_missing", "yes")]),
    ),
    // Go template semantics: $1x is the (absent) group "1x".
    (
        "- {source_labels: [a], regex: '(.*)', target_label: b, replacement: '$1x'}",
        &[("a", "v"), ("b", "old")],
        Some(&[("a", "v")]),
    ),
    // '.' matches newlines in relabel regexes.
    (
        "- {source_labels: [a], regex: 'foo.bar', target_label: b, replacement: ok}",
        &[("a", "foo\nbar")],
        Some(&[("a", "foo\nbar"), ("b", "ok")]),
    ),
    // Named groups.
    (
        "- {source_labels: [a], regex: '(?P<host>[^:]+):(?P<port>\\d+)', target_label: port, replacement: '${port}'}",
        &[("a", "h:9090")],
        Some(&[("a", "h:9090"), ("port", "9090")]),
    ),
];

#[test]
fn replace() {
    check(REPLACE);
}

#[test]
fn keep_and_drop() {
    check(&[
        (
            "- {source_labels: [a], regex: 'f.*', action: drop}",
            &[("a", "foo")],
            None,
        ),
        (
            "- {source_labels: [a], regex: 'f.*', action: drop}",
            &[("a", "boo")],
            Some(&[("a", "boo")]),
        ),
        (
            "- {source_labels: [a], regex: 'f.*', action: keep}",
            &[("a", "foo")],
            Some(&[("a", "foo")]),
        ),
        (
            "- {source_labels: [a], regex: 'f.*', action: keep}",
            &[("a", "boo")],
            None,
        ),
        (
            "- {source_labels: [a], regex: 'f', action: keep}",
            &[("a", "foo")],
            None,
        ),
        // Missing label is "", which `.*` matches and `.+` does not.
        (
            "- {source_labels: [x], regex: '.+', action: keep}",
            &[("a", "1")],
            None,
        ),
        (
            "- {source_labels: [x], regex: '', action: drop}",
            &[("a", "1")],
            None,
        ),
        (
            "- {source_labels: [a, b], separator: '|', regex: '1\\|2', action: Keep}",
            &[("a", "1"), ("b", "2")],
            Some(&[("a", "1"), ("b", "2")]),
        ),
    ]);
}

#[test]
fn keepequal_and_dropequal() {
    check(&[
        (
            "- {source_labels: [a], target_label: b, action: keepequal}",
            &[("a", "x"), ("b", "x")],
            Some(&[("a", "x"), ("b", "x")]),
        ),
        (
            "- {source_labels: [a], target_label: b, action: keepequal}",
            &[("a", "x"), ("b", "y")],
            None,
        ),
        (
            "- {source_labels: [a], target_label: b, action: dropequal}",
            &[("a", "x"), ("b", "x")],
            None,
        ),
        (
            "- {source_labels: [a], target_label: b, action: dropequal}",
            &[("a", "x"), ("b", "y")],
            Some(&[("a", "x"), ("b", "y")]),
        ),
        // Both missing are equal ("" == "").
        (
            "- {source_labels: [x], target_label: y, action: keepequal}",
            &[("a", "1")],
            Some(&[("a", "1")]),
        ),
    ]);
}

#[test]
fn hashmod_matches_prometheus() {
    check(&[
        (
            "- {source_labels: [c], target_label: d, modulus: 1000, action: hashmod}",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
            Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "976")]),
        ),
        (
            "- {source_labels: [a], target_label: b, modulus: 1000, action: hashmod}",
            &[("a", "foo\nbar")],
            Some(&[("a", "foo\nbar"), ("b", "734")]),
        ),
    ]);
    assert_eq!(super::engine::hashmod("baz", 1000), 976);
    assert_eq!(super::engine::hashmod("anything", 1), 0);
}

#[test]
fn labelmap() {
    check(&[
        (
            "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
            &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
            Some(&[
                ("a", "foo"),
                ("b1", "bar"),
                ("b2", "baz"),
                ("bar_b1", "bar"),
                ("bar_b2", "baz"),
            ]),
        ),
        (
            "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}",
            &[
                ("a", "foo"),
                ("__meta_my_bar", "aaa"),
                ("__meta_my_baz", "bbb"),
                ("__meta_other", "ccc"),
            ],
            Some(&[
                ("a", "foo"),
                ("__meta_my_bar", "aaa"),
                ("__meta_my_baz", "bbb"),
                ("__meta_other", "ccc"),
                ("my_bar", "aaa"),
                ("my_baz", "bbb"),
            ]),
        ),
        // Mapping onto an existing label overwrites it.
        (
            "- {regex: 'x_(.*)', action: labelmap}",
            &[("a", "old"), ("x_a", "new")],
            Some(&[("a", "new"), ("x_a", "new")]),
        ),
    ]);
}

#[test]
fn labeldrop_and_labelkeep() {
    check(&[
        (
            "- {regex: '(b.*)', action: labeldrop}",
            &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
            Some(&[("a", "foo")]),
        ),
        (
            "- {regex: '(b.*)', action: labelkeep}",
            &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
            Some(&[("b1", "bar"), ("b2", "baz")]),
        ),
        (
            "- {regex: 'b', action: labeldrop}",
            &[("a", "foo"), ("b1", "bar")],
            Some(&[("a", "foo"), ("b1", "bar")]),
        ),
        (
            "- {regex: '.*', action: labelkeep}",
            &[("a", "1")],
            Some(&[("a", "1")]),
        ),
    ]);
}

#[test]
fn lowercase_and_uppercase() {
    check(&[
        (
            "- {source_labels: [foo], target_label: foo_lower, action: lowercase}",
            &[("foo", "bAr123Foo")],
            Some(&[("foo", "bAr123Foo"), ("foo_lower", "bar123foo")]),
        ),
        (
            "- {source_labels: [foo], target_label: foo_upper, action: uppercase}",
            &[("foo", "bAr123Foo")],
            Some(&[("foo", "bAr123Foo"), ("foo_upper", "BAR123FOO")]),
        ),
        (
            "- {source_labels: [a, b], target_label: a, action: uppercase}",
            &[("a", "émile"), ("b", "straße")],
            Some(&[("a", "ÉMILE;STRAßE"), ("b", "straße")]),
        ),
        (
            "- {source_labels: [a], target_label: a, action: lowercase}",
            &[("a", "İSTANBUL")],
            Some(&[("a", "istanbul")]),
        ),
    ]);
}

#[test]
fn rules_apply_in_order() {
    let yaml = "
- {source_labels: [a], target_label: b}
- {source_labels: [b], regex: 'x', action: drop}
- {target_label: c, replacement: done}
";
    check(&[
        (yaml, &[("a", "x")], None),
        (
            yaml,
            &[("a", "y")],
            Some(&[("a", "y"), ("b", "y"), ("c", "done")]),
        ),
    ]);
}

#[test]
fn unchanged_labels_are_not_copied() {
    let input = ls(&[("a", "1"), ("b", "2")]);
    let rules = parse(
        "
- {source_labels: [a], regex: '1', action: keep}
- {source_labels: [a], target_label: a}
- {regex: 'zz', action: labeldrop}
",
    );
    let mut r = Relabeler::new(NameValidation::Utf8);
    let out = r.process(&input, &rules).expect("kept");
    assert!(out.ptr_eq(&input));
}

#[test]
fn expanded_target_checked_against_scheme() {
    let rules = parse("- {source_labels: [a], regex: '(.*)', target_label: '$1', replacement: v}");
    let input = ls(&[("a", "my.name")]);
    let utf8 = Relabeler::new(NameValidation::Utf8).process(&input, &rules);
    assert_eq!(
        utf8.and_then(|l| l.get("my.name").map(str::to_string)),
        Some("v".to_string())
    );
    let legacy = Relabeler::new(NameValidation::Legacy).process(&input, &rules);
    assert_eq!(legacy, Some(input));
}

fn arb_labels() -> impl Strategy<Value = Labels> {
    prop::collection::vec(("[a-c_]{1,3}", "[a-c0-2]{0,3}"), 0..6).prop_map(Labels::from_pairs)
}

proptest! {
    #[test]
    fn empty_config_is_identity(l in arb_labels()) {
        let out = relabel(&l, &[]).expect("kept");
        prop_assert!(out.ptr_eq(&l));
    }

    #[test]
    fn keep_then_drop_same_regex_drops_all(l in arb_labels(), re in "[a-c0-2.*|]{0,4}", src in "[a-c_]{1,3}") {
        let Ok(keep) = RelabelConfig::with_regex(Action::Keep, &re) else { return Ok(()) };
        let Ok(drop) = RelabelConfig::with_regex(Action::Drop, &re) else { return Ok(()) };
        let keep = RelabelConfig { source_labels: vec![src.clone()], ..keep };
        let drop = RelabelConfig { source_labels: vec![src], ..drop };
        prop_assert_eq!(relabel(&l, &[keep, drop]), None);
    }

    #[test]
    fn output_is_always_a_valid_set(l in arb_labels(), re in "[a-c_.*]{1,3}") {
        let Ok(map) = RelabelConfig::with_regex(Action::LabelMap, &format!("({re})")) else { return Ok(()) };
        let map = RelabelConfig { replacement: "x_$1".into(), ..map };
        let out = relabel(&l, &[map]).expect("labelmap never drops");
        prop_assert!(out.as_slice().windows(2).all(|w| w[0].name < w[1].name));
        prop_assert!(out.iter().all(|x| !x.value.is_empty()));
    }
}
