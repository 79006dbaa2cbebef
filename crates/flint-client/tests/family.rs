//! Label vectors: removal, idle expiry, the cardinality cap and replacement, with
//! concurrent writers.

#![allow(clippy::unwrap_used)] // setup in tests and benches may panic

use std::sync::Arc;
use std::time::Duration;

use flint_client::clock::ManualClock;
use flint_client::metrics::counter::Counter;
use flint_client::metrics::family::{Family, LabelVec, OVERFLOW_LABEL_VALUE};
use flint_client::metrics::gauge::Gauge;
use flint_client::{Error, LabelSet, Registry};
use flint_expfmt::family::MetricValue;

#[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
struct Job {
    name: String,
    shard: u32,
}

fn job(name: &str, shard: u32) -> Job {
    Job {
        name: name.to_owned(),
        shard,
    }
}

/// Label values of every series of family `name`.
fn series(registry: &Registry, name: &str) -> Vec<Vec<(String, String)>> {
    let families = registry.gather();
    let family = families.iter().find(|f| f.name == name);
    let mut out: Vec<_> = family
        .map(|f| f.metrics.iter().map(|m| m.labels.clone()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn registered<M: flint_client::metrics::Metric>(name: &str, metric: M) -> Registry {
    let registry = Registry::new();
    registry.register(name, "Test.", metric).unwrap();
    registry
}

#[test]
fn remove_remove_matching_and_clear() {
    let f = Family::<Job, Counter>::default();
    for (n, s) in [("a", 1), ("a", 2), ("b", 1)] {
        f.get_or_create(&job(n, s)).inc();
    }
    assert!(f.remove(&job("b", 1)));
    assert!(!f.remove(&job("b", 1)));
    assert_eq!(f.remove_matching(&[("name", "a"), ("shard", "2")]), 1);
    assert_eq!(f.len(), 1);
    assert_eq!(f.remove_matching(&[("name", "zzz")]), 0);
    f.clear();
    assert!(f.is_empty());
}

#[test]
fn string_vectors_check_arity_and_names() {
    let v = LabelVec::<Counter>::new(["a", "b"]).unwrap();
    assert_eq!(
        v.with_label_values(&["x"]).err(),
        Some(Error::LabelCardinality {
            expected: 2,
            got: 1
        })
    );
    assert!(v.with_label_values(&["x", "y", "z"]).is_err());
    v.with_label_values(&["x", "y"]).unwrap().inc();
    v.with_label_values(&[String::from("x"), String::from("y")])
        .unwrap()
        .inc();
    assert_eq!(v.len(), 1);
    assert_eq!(v.with_label_values(&["x", "y"]).map(|c| c.get()), Ok(2));
    assert_eq!(v.remove_label_values(&["x", "y"]), Ok(true));
    assert!(matches!(
        LabelVec::<Counter>::new(["ok", "__bad"]),
        Err(Error::InvalidLabelName(_))
    ));
    assert!(matches!(
        LabelVec::<Counter>::new(["1x"]),
        Err(Error::InvalidLabelName(_))
    ));
}

#[test]
fn idle_children_expire_after_ttl() {
    let clock = ManualClock::new();
    let f = Family::<Job, Gauge>::default()
        .expire_after(Duration::from_secs(60))
        .with_clock(Arc::new(clock.clone()));
    let registry = registered("jobs", f.clone());
    f.get_or_create(&job("idle", 1)).set(1.0);
    f.get_or_create(&job("busy", 1)).set(1.0);
    assert_eq!(series(&registry, "jobs").len(), 2);
    for _ in 0..5 {
        clock.advance(Duration::from_secs(20));
        f.get_or_create(&job("busy", 1)).set(1.0); // same value: still a write
        registry.gather();
    }
    let left = series(&registry, "jobs");
    assert_eq!(
        left,
        vec![vec![
            ("name".into(), "busy".into()),
            ("shard".into(), "1".into())
        ]]
    );
    // A later write re-creates the expired child.
    f.get_or_create(&job("idle", 1)).set(2.0);
    assert_eq!(f.len(), 2);
}

#[test]
fn counters_expire_only_when_not_incremented() {
    let clock = ManualClock::new();
    let f = LabelVec::<Counter>::new(["path"])
        .unwrap()
        .expire_after(Duration::from_secs(10))
        .with_clock(Arc::new(clock.clone()));
    f.with_label_values(&["/a"]).unwrap().inc();
    f.with_label_values(&["/b"]).unwrap().inc();
    assert_eq!(f.sweep(), 0);
    clock.advance(Duration::from_secs(6));
    f.with_label_values(&["/a"]).unwrap().inc();
    assert_eq!(f.sweep(), 0);
    clock.advance(Duration::from_secs(6));
    assert_eq!(f.sweep(), 1, "/b idle for 12 s");
    assert!(f.with_label_values(&["/a"]).is_ok_and(|c| c.get() == 2));
    assert_eq!(f.len(), 1);
}

#[test]
fn ttl_with_concurrent_writers_keeps_active_children() {
    let clock = ManualClock::new();
    let f = Family::<Job, Counter>::default()
        .expire_after(Duration::from_secs(5))
        .with_clock(Arc::new(clock.clone()));
    std::thread::scope(|s| {
        for t in 0..2u32 {
            let f = f.clone();
            s.spawn(move || {
                for i in 0..20_000u32 {
                    f.get_or_create(&job("w", t)).inc();
                    if i % 100 == 0 {
                        f.get_or_create(&job("once", i)).inc();
                    }
                }
            });
        }
        for _ in 0..50 {
            f.sweep();
            std::thread::yield_now();
        }
    });
    f.sweep(); // a scrape right after the writers finished sees their last writes
    clock.advance(Duration::from_secs(6));
    f.get_or_create(&job("w", 0)).inc();
    f.get_or_create(&job("w", 1)).inc();
    f.sweep();
    assert_eq!(f.len(), 2, "only the two written children survive");
    assert_eq!(f.get(&job("w", 0)).map(|c| c.get()), Some(20_001));
}

#[test]
fn cardinality_cap_folds_into_overflow_child() {
    let f = Family::<Job, Counter>::default().max_children(3);
    let registry = registered("requests", f.clone());
    for i in 0..10 {
        f.get_or_create(&job("j", i)).inc();
    }
    f.get_or_create(&job("j", 0)).inc(); // existing children still resolve
    assert_eq!(f.len(), 3);
    assert_eq!(f.overflow_count(), 7);
    let rows = series(&registry, "requests");
    assert_eq!(rows.len(), 4);
    let overflow = vec![
        ("name".to_owned(), OVERFLOW_LABEL_VALUE.to_owned()),
        ("shard".to_owned(), OVERFLOW_LABEL_VALUE.to_owned()),
    ];
    assert!(rows.contains(&overflow));
    let families = registry.gather();
    let counter = families
        .iter()
        .find(|f| f.name == "requests_cardinality_overflow")
        .map(|f| &f.metrics[0].value);
    assert!(matches!(counter, Some(MetricValue::Counter { value, .. }) if *value == 7.0));
    let text = registry.encode_text();
    assert!(
        text.contains("requests_total{name=\"__overflow__\",shard=\"__overflow__\"} 7\n"),
        "{text}"
    );
}

#[test]
fn cardinality_cap_holds_under_concurrent_writers() {
    let f = LabelVec::<Counter>::new(["id"]).unwrap().max_children(50);
    std::thread::scope(|s| {
        for t in 0..4 {
            let f = f.clone();
            s.spawn(move || {
                for i in 0..1000 {
                    let id = format!("{t}-{i}");
                    f.with_label_values(&[id.as_str()]).unwrap().inc();
                }
            });
        }
    });
    assert_eq!(f.len(), 50);
    assert_eq!(f.overflow_count(), 4000 - 50);
}

#[test]
fn replace_all_swaps_the_whole_set() {
    let f = Family::<Job, Gauge>::default();
    let registry = registered("mirror", f.clone());
    f.get_or_create(&job("old", 1)).set(1.0);
    f.replace_all([
        (job("new", 1), Gauge::with_value(5.0)),
        (job("new", 2), Gauge::with_value(6.0)),
    ]);
    let rows = series(&registry, "mirror");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r[0].1 == "new"));
    let v = LabelVec::<Gauge>::new(["a"]).unwrap();
    assert!(v.replace_all([(vec!["x", "y"], Gauge::default())]).is_err());
    assert_eq!(v.replace_all([(vec!["x"], Gauge::with_value(1.0))]), Ok(()));
    assert_eq!(
        v.with_label_values(&["x"]).map(|g| g.get()),
        Ok(1.0),
        "same hash both ways"
    );
    assert_eq!(v.len(), 1);
}

#[test]
fn replace_all_is_atomic_for_concurrent_readers() {
    let f = LabelVec::<Gauge>::new(["generation", "i"]).unwrap();
    let registry = registered("state", f.clone());
    let set = |g: usize| {
        (0..20).map(move |i| {
            (
                vec![g.to_string(), i.to_string()],
                Gauge::with_value(g as f64),
            )
        })
    };
    f.replace_all(set(0)).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for g in 1..200 {
                f.replace_all(set(g)).unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..200 {
                let rows = series(&registry, "state");
                assert_eq!(rows.len(), 20, "a scrape saw a partial set");
                let gens: std::collections::HashSet<_> =
                    rows.iter().map(|r| r[0].1.clone()).collect();
                assert_eq!(gens.len(), 1, "a scrape mixed two generations");
            }
        });
    });
}

#[test]
fn lookups_do_not_block_on_each_other_or_deadlock_holding_two_children() {
    let f = Family::<Job, Counter>::default();
    let a = f.get_or_create(&job("a", 1));
    let b = f.get_or_create(&job("b", 1)); // holding `a` while creating `b` is fine
    a.inc();
    b.inc();
    let registry = registered("held", f.clone());
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..200 {
                registry.encode_text();
            }
        });
        for i in 0..2000 {
            f.get_or_create(&job("a", 1)).inc();
            f.get_or_create(&job("c", i % 7)).inc();
        }
    });
    assert_eq!(a.get(), 2001);
}

#[test]
fn cached_lookups_never_serve_removed_children() {
    let f = Family::<Job, Counter>::default();
    let other = Family::<Job, Counter>::default();
    for _ in 0..3 {
        f.get_or_create(&job("a", 1)).inc(); // second and third hit the per-thread cache
    }
    other.get_or_create(&job("a", 1)).inc();
    assert_eq!(f.get_or_create(&job("a", 1)).get(), 3);
    assert!(f.remove(&job("a", 1)));
    assert_eq!(
        f.get_or_create(&job("a", 1)).get(),
        0,
        "a fresh child after removal"
    );
    f.get_or_create(&job("a", 1)).inc();
    f.replace_all([(job("a", 1), Counter::default())]);
    assert_eq!(
        f.get_or_create(&job("a", 1)).get(),
        0,
        "the replacement child"
    );
    f.clear();
    assert_eq!(f.get_or_create(&job("a", 1)).get(), 0);
    assert_eq!(
        other.get_or_create(&job("a", 1)).get(),
        1,
        "families do not share cache entries"
    );
    let v = LabelVec::<Counter>::new(["x"]).unwrap();
    v.with_label_values(&["1"]).unwrap().inc();
    v.with_label_values(&[String::from("1")]).unwrap().inc();
    assert_eq!(v.remove_matching(&[("x", "1")]), 1);
    assert_eq!(v.with_label_values(&["1"]).map(|c| c.get()), Ok(0));
}
