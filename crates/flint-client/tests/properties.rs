//! Property tests: native bucket indices, and label vectors against a model map.

#![allow(clippy::unwrap_used)] // setup in tests may panic

use std::collections::BTreeMap;

use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::LabelVec;
use flint_client::metrics::native_histogram::bucket_index;
use flint_model::histogram::exponential_bucket_upper_bound;
use proptest::prelude::*;

proptest! {
    #[test]
    fn value_lies_in_its_bucket(v in 1e-300f64..1e300, schema in -4i32..=8) {
        let i = bucket_index(v, schema);
        let upper = exponential_bucket_upper_bound(schema, i);
        let lower = exponential_bucket_upper_bound(schema, i - 1);
        let tol = 1e-12;
        prop_assert!(v <= upper * (1.0 + tol), "v={v} schema={schema} i={i} upper={upper}");
        prop_assert!(v > lower * (1.0 - tol), "v={v} schema={schema} i={i} lower={lower}");
    }

    #[test]
    fn label_vec_matches_a_model(ops in proptest::collection::vec((0u8..4, 0u8..6, 0u8..3), 1..200)) {
        let vec = LabelVec::<Counter>::new(["a", "b"]).unwrap();
        let mut model: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (op, a, b) in ops {
            let key = (a.to_string(), b.to_string());
            match op {
                0 | 1 => {
                    vec.with_label_values(&[key.0.as_str(), key.1.as_str()]).unwrap().inc();
                    *model.entry(key).or_default() += 1;
                }
                2 => {
                    let removed = vec.remove_label_values(&[key.0.as_str(), key.1.as_str()]).unwrap();
                    prop_assert_eq!(removed, model.remove(&key).is_some());
                }
                _ => {
                    let n = vec.remove_matching(&[("a", key.0.as_str())]);
                    let before = model.len();
                    model.retain(|k, _| k.0 != key.0);
                    prop_assert_eq!(n, before - model.len());
                }
            }
            prop_assert_eq!(vec.len(), model.len());
        }
        for ((a, b), count) in &model {
            let got = vec.with_label_values(&[a.as_str(), b.as_str()]).unwrap().get();
            prop_assert_eq!(got, *count);
        }
    }
}
