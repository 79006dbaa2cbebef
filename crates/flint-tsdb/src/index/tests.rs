use std::collections::{BTreeMap, BTreeSet};

use flint_model::{Labels, Matcher};
use proptest::prelude::*;

use super::postings::collect;
use super::*;
use crate::chunks::{ChunkMeta, ChunkRef};

type Model = BTreeMap<Labels, Vec<ChunkMeta>>;

fn write_index(path: &std::path::Path, series: &Model) {
    let mut symbols = BTreeSet::new();
    for l in series.keys().flat_map(|l| l.iter()) {
        symbols.insert(l.name.to_string());
        symbols.insert(l.value.to_string());
    }
    let mut w = IndexWriter::create(path).unwrap();
    for s in &symbols {
        w.add_symbol(s).unwrap();
    }
    for (labels, chunks) in series {
        w.add_series(labels, chunks).unwrap();
    }
    w.finish().unwrap();
}

fn metas(seed: u64, n: usize) -> Vec<ChunkMeta> {
    let mut t = seed as i64 * 7 - 1000;
    let mut r = seed * 100;
    (0..n)
        .map(|i| {
            let mint = t + 1 + (i as i64 % 3);
            let maxt = mint + (seed as i64 % 50);
            t = maxt;
            r += 10 + i as u64;
            ChunkMeta {
                min_time: mint,
                max_time: maxt,
                chunk_ref: ChunkRef(r),
            }
        })
        .collect()
}

fn series_ids(ir: &IndexReader) -> BTreeMap<Labels, u64> {
    collect(&mut *ir.all_postings().unwrap())
        .into_iter()
        .map(|id| (ir.series_labels(id).unwrap(), id))
        .collect()
}

fn check_round_trip(model: &Model) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path, model);
    let ir = IndexReader::open(&path).unwrap();
    let ids = series_ids(&ir);
    assert_eq!(ids.len(), model.len());
    for (labels, id) in &ids {
        let (got, chunks) = ir.series(*id).unwrap();
        assert_eq!(&got, labels);
        assert_eq!(&chunks, &model[labels]);
    }
    let mut pairs: BTreeMap<(String, String), BTreeSet<u64>> = BTreeMap::new();
    for (labels, id) in &ids {
        for l in labels {
            pairs
                .entry((l.name.to_string(), l.value.to_string()))
                .or_default()
                .insert(*id);
        }
    }
    let names: BTreeSet<&str> = pairs.keys().map(|(n, _)| n.as_str()).collect();
    assert_eq!(ir.label_names(), names.into_iter().collect::<Vec<_>>());
    for ((name, value), want) in &pairs {
        let got = collect(&mut *ir.postings(name, value).unwrap());
        assert_eq!(
            got,
            want.iter().copied().collect::<Vec<_>>(),
            "{name}={value}"
        );
        assert!(ir.label_values(name).contains(&value.as_str()));
    }
}

#[test]
fn small_index_round_trip() {
    let mut model = Model::new();
    for i in 0..30u64 {
        let l = Labels::from_pairs([
            ("__name__", format!("m{}", i % 3)),
            ("job", format!("j{}", i % 4)),
            ("i", i.to_string()),
        ]);
        model.insert(l, metas(i, (i % 4) as usize));
    }
    check_round_trip(&model);
}

#[test]
fn empty_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path, &Model::new());
    let ir = IndexReader::open(&path).unwrap();
    assert!(collect(&mut *ir.all_postings().unwrap()).is_empty());
    assert!(ir.label_names().is_empty());
}

#[test]
fn writer_rejects_misuse() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = IndexWriter::create(&dir.path().join("index")).unwrap();
    w.add_symbol("b").unwrap();
    assert!(w.add_symbol("a").is_err());
    w.add_symbol("c").unwrap();
    let l = Labels::from_pairs([("b", "c")]);
    w.add_series(&l, &[]).unwrap();
    assert!(w.add_series(&l, &[]).is_err(), "duplicate series");
    assert!(
        w.add_series(&Labels::from_pairs([("b", "x")]), &[])
            .is_err(),
        "unknown symbol"
    );
}

#[test]
fn matchers_select_like_prometheus() {
    let mut model = Model::new();
    for i in 0..40u64 {
        let mut pairs = vec![("__name__", "up".to_owned()), ("i", i.to_string())];
        if i % 2 == 0 {
            pairs.push(("even", "yes".to_owned()));
        }
        pairs.push(("job", format!("j{}", i % 5)));
        model.insert(Labels::from_pairs(pairs), Vec::new());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path, &model);
    let ir = IndexReader::open(&path).unwrap();
    let ids = series_ids(&ir);
    let cases = [
        vec![Matcher::equal("job", "j1")],
        vec![Matcher::not_equal("job", "j1")],
        vec![Matcher::equal("even", "")],
        vec![Matcher::not_equal("even", "")],
        vec![Matcher::regex_match("job", "j1|j3|nope").unwrap()],
        vec![Matcher::regex_no_match("job", "j1|j3").unwrap()],
        vec![
            Matcher::regex_match("i", "1.*").unwrap(),
            Matcher::equal("even", "yes"),
        ],
        vec![
            Matcher::regex_match("even", "|yes").unwrap(),
            Matcher::not_equal("job", "j0"),
        ],
        vec![Matcher::regex_no_match("i", ".*3").unwrap()],
        vec![Matcher::regex_match("", ".*").unwrap()],
        vec![Matcher::equal("missing", "x")],
        vec![Matcher::equal("missing", "")],
    ];
    for ms in cases {
        let got: Vec<u64> = collect(&mut *postings_for_matchers(&ir, &ms).unwrap());
        let want: Vec<u64> = ids
            .iter()
            .filter(|(l, _)| flint_storage::querier::matches_all(l, &ms))
            .map(|(_, id)| *id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(got, want, "{ms:?}");
    }
}

#[test]
fn corrupt_bytes_give_errors_not_panics() {
    let mut model = Model::new();
    for i in 0..20u64 {
        let l = Labels::from_pairs([("a", format!("v{i}")), ("b", (i % 3).to_string())]);
        model.insert(l, metas(i, 2));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path, &model);
    let good = std::fs::read(&path).unwrap();
    for pos in 0..good.len() {
        let mut bad = good.clone();
        bad[pos] ^= 0x5a;
        std::fs::write(&path, &bad).unwrap();
        // Any outcome but a panic is fine; reading everything must not panic.
        if let Ok(ir) = IndexReader::open(&path) {
            for name in ir.label_names() {
                for v in ir.label_values(name) {
                    if let Ok(mut p) = ir.postings(name, v) {
                        for id in collect(&mut *p) {
                            let _ = ir.series(id);
                        }
                    }
                }
            }
        }
    }
}

fn model_strategy() -> impl Strategy<Value = Model> {
    let labels = prop::collection::btree_map("[a-d]{1,2}", "[a-z0-9]{1,3}", 1..4)
        .prop_map(Labels::from_pairs);
    prop::collection::btree_map(labels, (0u64..1000, 0usize..4), 0..40).prop_map(|m| {
        m.into_iter()
            .map(|(l, (seed, n))| (l, metas(seed, n)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn index_round_trips(model in model_strategy()) {
        check_round_trip(&model);
    }
}
