use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn list(ids: &BTreeSet<u64>) -> Box<dyn Postings + 'static> {
    Box::new(ListPostings::new(ids.iter().copied().collect()))
}

fn be_bytes(ids: &BTreeSet<u64>) -> Vec<u8> {
    ids.iter()
        .flat_map(|id| (*id as u32).to_be_bytes())
        .collect()
}

#[test]
fn basic_operations() {
    let a: BTreeSet<u64> = [1, 3, 5, 7, 9].into();
    let b: BTreeSet<u64> = [3, 4, 5, 9, 10].into();
    assert_eq!(
        collect(&mut *intersect(vec![list(&a), list(&b)])),
        [3, 5, 9]
    );
    assert_eq!(
        collect(&mut *merge(vec![list(&a), list(&b)])),
        [1, 3, 4, 5, 7, 9, 10]
    );
    assert_eq!(collect(&mut *without(list(&a), list(&b))), [1, 7]);
    assert!(collect(&mut *intersect(Vec::new())).is_empty());
    assert!(collect(&mut *merge(Vec::new())).is_empty());
}

#[test]
fn seek_does_not_move_back() {
    let bytes = be_bytes(&[2, 4, 6, 8].into());
    let mut p = BigEndianPostings::new(&bytes);
    assert_eq!(p.seek(5), Some(6));
    assert_eq!(p.seek(1), Some(6));
    assert_eq!(p.next(), Some(8));
    assert_eq!(p.next(), None);
    assert_eq!(p.seek(0), None);
    assert_eq!(p.next(), None);
}

fn sets() -> impl Strategy<Value = Vec<BTreeSet<u64>>> {
    prop::collection::vec(prop::collection::btree_set(0u64..200, 0..60), 1..5)
}

/// Reads `p` with a mix of `next` and `seek` calls driven by `steps`, against the model.
fn check_against(mut p: Box<dyn Postings + '_>, model: &BTreeSet<u64>, steps: &[u64]) {
    let mut cur: Option<u64> = None;
    for step in steps {
        if step % 3 == 0 {
            let want = match cur {
                Some(c) if c >= *step => Some(c),
                _ => model.range(*step..).next().copied(),
            };
            let got = p.seek(*step);
            assert_eq!(got, want, "seek({step}) after {cur:?}");
            cur = got;
            if got.is_none() {
                return;
            }
        } else {
            let want = match cur {
                None => model.iter().next().copied(),
                Some(c) => model.range(c + 1..).next().copied(),
            };
            let got = p.next();
            assert_eq!(got, want, "next() after {cur:?}");
            cur = got;
            if got.is_none() {
                return;
            }
        }
    }
}

proptest! {
    #[test]
    fn operations_match_set_model(sets in sets(), steps in prop::collection::vec(0u64..210, 0..80)) {
        let union: BTreeSet<u64> = sets.iter().flatten().copied().collect();
        let inter: BTreeSet<u64> = union.iter().copied().filter(|id| sets.iter().all(|s| s.contains(id))).collect();
        let diff: BTreeSet<u64> = sets[0].iter().copied().filter(|id| !sets[1..].iter().any(|s| s.contains(id))).collect();

        prop_assert_eq!(collect(&mut *merge(sets.iter().map(list).collect())), union.iter().copied().collect::<Vec<_>>());
        prop_assert_eq!(collect(&mut *intersect(sets.iter().map(list).collect())), inter.iter().copied().collect::<Vec<_>>());
        let rest = merge(sets[1..].iter().map(list).collect());
        prop_assert_eq!(collect(&mut *without(list(&sets[0]), rest)), diff.iter().copied().collect::<Vec<_>>());

        check_against(merge(sets.iter().map(list).collect()), &union, &steps);
        check_against(intersect(sets.iter().map(list).collect()), &inter, &steps);
        check_against(without(list(&sets[0]), merge(sets[1..].iter().map(list).collect())), &diff, &steps);
        let bytes: Vec<Vec<u8>> = sets.iter().map(be_bytes).collect();
        let be = || -> Vec<Box<dyn Postings + '_>> {
            bytes.iter().map(|b| Box::new(BigEndianPostings::new(b)) as Box<dyn Postings>).collect()
        };
        check_against(intersect(be()), &inter, &steps);
        check_against(merge(be()), &union, &steps);
    }
}
