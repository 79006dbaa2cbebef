use super::*;

fn h(schema: i32, pos: &[(i32, f64)]) -> Hist {
    let count = pos.iter().map(|b| b.1).sum();
    Hist {
        schema,
        count,
        sum: count,
        positive: pos.to_vec(),
        ..Default::default()
    }
}

#[test]
fn model_round_trip() {
    let a = h(1, &[(-1, 1.0), (0, 2.0), (3, 4.0)]);
    let m = a.to_model();
    assert_eq!(m.positive_spans.len(), 2);
    assert_eq!(Hist::from_model(&m), a);
}

#[test]
fn add_reduces_to_the_coarser_schema() {
    let mut a = h(1, &[(1, 1.0), (2, 1.0)]);
    let b = h(0, &[(1, 3.0)]);
    a.add(&b).expect("compatible");
    assert_eq!(a.schema, 0);
    assert_eq!(a.positive, vec![(1, 5.0)]);
    assert_eq!(a.count, 5.0);
}

#[test]
fn custom_and_exponential_do_not_mix() {
    let mut a = h(0, &[(0, 1.0)]);
    let mut b = h(CUSTOM_BUCKETS_SCHEMA, &[(0, 1.0)]);
    b.custom_values = Arc::from(vec![1.0]);
    assert_eq!(a.add(&b), Err(ArithError::IncompatibleSchema));
}

#[test]
fn mismatched_custom_bounds_are_reconciled() {
    let mut a = h(CUSTOM_BUCKETS_SCHEMA, &[(0, 1.0), (1, 2.0), (2, 3.0)]);
    a.custom_values = Arc::from(vec![1.0, 2.0]);
    let mut b = h(CUSTOM_BUCKETS_SCHEMA, &[(0, 1.0), (1, 1.0)]);
    b.custom_values = Arc::from(vec![2.0]);
    let out = a.add(&b).expect("compatible");
    assert!(out.nhcb_reconciled);
    assert_eq!(&*a.custom_values, &[2.0]);
    assert_eq!(a.positive, vec![(0, 4.0), (1, 4.0)]);
}

#[test]
fn resets() {
    let prev = h(0, &[(0, 2.0), (1, 2.0)]);
    assert!(!h(0, &[(0, 2.0), (1, 3.0)]).detect_reset(&prev));
    assert!(h(0, &[(0, 1.0), (1, 4.0)]).detect_reset(&prev));
    assert!(h(0, &[(0, 5.0)]).detect_reset(&prev));
    assert!(!h(-1, &[(0, 2.0), (1, 2.0)]).detect_reset(&prev));
}

#[test]
fn bounds() {
    let a = h(0, &[(0, 1.0), (1, 1.0)]);
    let b: Vec<_> = a.positive_buckets().map(|b| (b.lower, b.upper)).collect();
    assert_eq!(b, vec![(0.5, 1.0), (1.0, 2.0)]);
    assert_eq!(bounds::exponential_bound(1, 1), std::f64::consts::SQRT_2);
}
