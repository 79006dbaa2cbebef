use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn ls(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

#[test]
fn from_pairs_sorts_dedups_and_drops_empty() {
    let l = ls(&[("b", "2"), ("a", "1"), ("c", ""), ("b", "3")]);
    let names: Vec<&str> = l.iter().map(|l| &*l.name).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(l.get("b"), Some("3"), "last pair wins");
    assert_eq!(l.get("c"), None);
    assert_eq!(l.len(), 2);
    assert!(Labels::empty().is_empty());
}

#[test]
fn accessors() {
    let l = ls(&[("__name__", "up"), ("job", "api")]);
    assert_eq!(l.metric_name(), Some("up"));
    assert_eq!(l.get("job"), Some("api"));
    assert_eq!(l.get("nope"), None);
    assert!(l.contains("job"));
    assert_eq!(ls(&[("a", "b")]).metric_name(), None);
}

#[test]
fn display_like_prometheus() {
    let l = ls(&[("__name__", "up"), ("job", "a\"b\n"), ("my.label", "x")]);
    assert_eq!(
        l.to_string(),
        r#"{__name__="up", job="a\"b\n", "my.label"="x"}"#
    );
    assert_eq!(Labels::empty().to_string(), "{}");
    assert_eq!(format!("{:?}", ls(&[("a", "b")])), r#"{a="b"}"#);
}

#[test]
fn ordering_is_label_by_label() {
    let a = ls(&[("a", "1")]);
    let ab = ls(&[("a", "1"), ("b", "1")]);
    let a2 = ls(&[("a", "2")]);
    let b = ls(&[("b", "0")]);
    assert!(a < ab && ab < a2 && a2 < b);
}

#[test]
fn hash_separates_names_and_values() {
    assert_ne!(
        ls(&[("a", "bc")]).stable_hash(),
        ls(&[("ab", "c")]).stable_hash()
    );
    assert_ne!(
        ls(&[("a", "b"), ("c", "d")]).stable_hash(),
        ls(&[("a", "bc"), ("d", "")]).stable_hash()
    );
    // Pinned: the hash must never change between runs or releases.
    assert_eq!(
        Labels::empty().stable_hash(),
        xxhash_rust::xxh3::xxh3_64(b"")
    );
    assert_eq!(
        ls(&[("a", "b")]).stable_hash(),
        xxhash_rust::xxh3::xxh3_64(b"a\xffb\xff")
    );
}

#[test]
fn hash_for_and_without_labels() {
    let l = ls(&[("__name__", "m"), ("a", "1"), ("b", "2"), ("c", "3")]);
    let only_ab = ls(&[("a", "1"), ("b", "2")]);
    assert_eq!(l.hash_for_labels(&["b", "a", "zz"]), only_ab.stable_hash());
    assert_eq!(
        l.hash_without_labels(&["c"]),
        only_ab.stable_hash(),
        "__name__ is always dropped"
    );
    assert_eq!(
        l.hash_without_labels(&[]),
        ls(&[("a", "1"), ("b", "2"), ("c", "3")]).stable_hash()
    );
}

#[test]
fn validation() {
    assert!(
        ls(&[("__name__", "a.b"), ("c.d", "x")])
            .validate(NameValidation::Utf8)
            .is_ok()
    );
    let err = ls(&[("__name__", "a.b")])
        .validate(NameValidation::Legacy)
        .expect_err("invalid");
    assert!(matches!(err, Error::InvalidMetricName { ref name, .. } if name == "a.b"));
    let err = ls(&[("c.d", "x")])
        .validate(NameValidation::Legacy)
        .expect_err("invalid");
    assert!(matches!(err, Error::InvalidLabelName { ref name, .. } if name == "c.d"));
}

#[test]
fn builder_set_del_keep() {
    let base = ls(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let mut b = base.builder();
    b.set("d", "4").set("a", "9").del("b");
    assert_eq!(b.get("a"), Some("9"));
    assert_eq!(b.get("b"), None);
    assert_eq!(b.build(), ls(&[("a", "9"), ("c", "3"), ("d", "4")]));

    let mut b = base.builder();
    b.set("b", "");
    assert_eq!(
        b.build(),
        ls(&[("a", "1"), ("c", "3")]),
        "empty value deletes"
    );

    let mut b = base.builder();
    b.set("z", "1").keep(&["a", "z"]);
    assert_eq!(b.build(), ls(&[("a", "1"), ("z", "1")]));

    let mut b = base.builder();
    b.del("b").set("b", "5");
    assert_eq!(
        b.build(),
        ls(&[("a", "1"), ("b", "5"), ("c", "3")]),
        "set after del"
    );
}

#[test]
fn builder_without_changes_shares_the_base() {
    let base = ls(&[("a", "1"), ("b", "2")]);
    let mut b = base.builder();
    b.set("a", "1").del("zz");
    assert!(b.build().ptr_eq(&base));
    b.reset(base.clone());
    b.set("a", "2");
    assert!(!b.build().ptr_eq(&base));
}

fn arb_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-d]{1,2}", "[xy]{0,2}"), 0..8)
}

proptest! {
    #[test]
    fn builder_output_sorted_and_deduplicated(base in arb_pairs(), edits in arb_pairs(), dels in prop::collection::vec("[a-d]{1,2}", 0..4)) {
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for (n, v) in &base {
            model.insert(n.clone(), v.clone());
        }
        model.retain(|_, v| !v.is_empty());
        let mut b = Labels::from_pairs(base.clone()).builder();
        for (n, v) in &edits {
            b.set(n.as_str(), v.as_str());
            if v.is_empty() { model.remove(n); } else { model.insert(n.clone(), v.clone()); }
        }
        for d in &dels {
            b.del(d.as_str());
            model.remove(d);
        }
        let out = b.build();
        prop_assert!(out.as_slice().windows(2).all(|w| w[0].name < w[1].name));
        prop_assert!(out.iter().all(|l| !l.value.is_empty()));
        let got: Vec<(String, String)> = out.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
        let want: Vec<(String, String)> = model.into_iter().collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn hash_equal_iff_labels_equal(a in arb_pairs(), b in arb_pairs()) {
        let (a, b) = (Labels::from_pairs(a), Labels::from_pairs(b));
        prop_assert_eq!(a == b, a.stable_hash() == b.stable_hash());
    }
}
