use flint_model::{Labels, Matcher};
use flint_storage::{Queryable, ValueType};

use super::*;

type Data = Vec<(Labels, Vec<(i64, f64)>)>;

fn data() -> Data {
    (0..12)
        .map(|i| {
            let labels = Labels::from_pairs([
                ("__name__", "m".to_owned()),
                ("i", format!("{i:02}")),
                ("job", format!("j{}", i % 3)),
            ]);
            let samples = (0..300).map(|k| (k * 10 + i, (k * i) as f64)).collect();
            (labels, samples)
        })
        .collect()
}

fn write(dir: &Path, data: &Data) -> Block {
    let mut w = BlockWriter::new();
    for (l, s) in data {
        w.add_samples(l.clone(), s).unwrap();
    }
    let meta = w.write(dir).unwrap();
    Block::open(&dir.join(meta.ulid.to_string())).unwrap()
}

fn select(b: &Block, mint: i64, maxt: i64, ms: &[Matcher]) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let q = b.querier(mint, maxt).unwrap();
    let mut set = q.select(true, None, ms);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        let mut samples = Vec::new();
        while it.next() == ValueType::Float {
            samples.push(it.at());
        }
        assert!(it.err().is_none());
        out.push((s.labels().clone(), samples));
    }
    out
}

#[test]
fn write_open_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let b = write(dir.path(), &d);
    assert_eq!(b.meta().stats.num_series, 12);
    assert_eq!(b.meta().stats.num_samples, 12 * 300);
    assert_eq!(b.meta().stats.num_chunks, 12 * 3);
    assert_eq!(b.meta().min_time, 0);
    assert_eq!(b.meta().max_time, 2990 + 11 + 1);
    assert!(
        dir.path()
            .join(b.meta().ulid.to_string())
            .join("tombstones")
            .exists()
    );
    let all = select(&b, i64::MIN, i64::MAX, &[Matcher::equal("__name__", "m")]);
    assert_eq!(all, d);
    // A trimmed range touching one chunk boundary.
    let got = select(&b, 1195, 1210, &[Matcher::equal("job", "j1")]);
    assert_eq!(got.len(), 4);
    for (l, s) in &got {
        let want: Vec<_> = d
            .iter()
            .find(|(dl, _)| dl == l)
            .unwrap()
            .1
            .iter()
            .copied()
            .filter(|(t, _)| (1195..=1210).contains(t))
            .collect();
        assert_eq!(s, &want);
    }
    assert!(select(&b, 5000, 6000, &[]).is_empty());
}

#[test]
fn seek_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let b = write(dir.path(), &d);
    let q = b.querier(0, i64::MAX).unwrap();
    let mut set = q.select(true, None, &[Matcher::equal("i", "05")]);
    let s = set.next_series().unwrap().unwrap();
    let mut it = s.iterator();
    assert_eq!(it.seek(2000), ValueType::Float);
    assert_eq!(it.at_t(), 2005);
    assert_eq!(it.seek(10), ValueType::Float);
    assert_eq!(it.at_t(), 2005);
    assert_eq!(it.next(), ValueType::Float);
    assert_eq!(it.at_t(), 2015);
    assert_eq!(it.seek(10_000), ValueType::None);
}

#[test]
fn tombstones_hide_samples() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let b = write(dir.path(), &d);
    let id = crate::index::postings::collect(&mut *b.index().postings("i", "00").unwrap())[0];
    let mut t = Tombstones::new();
    t.add(
        id,
        Interval {
            mint: 0,
            maxt: 1500,
        },
    );
    t.write(b.dir()).unwrap();
    let b = Block::open(b.dir()).unwrap();
    let got = select(&b, i64::MIN, i64::MAX, &[Matcher::equal("i", "00")]);
    assert_eq!(got.len(), 1);
    assert!(got[0].1.iter().all(|(t, _)| *t > 1500));
    assert_eq!(got[0].1.len(), 149);
}

#[test]
fn label_names_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), &data());
    let q = b.querier(0, 100).unwrap();
    let (names, _) = q.label_names(&[], 0).unwrap();
    assert_eq!(names, ["__name__", "i", "job"]);
    let (values, _) = q.label_values("job", &[], 0).unwrap();
    assert_eq!(values, ["j0", "j1", "j2"]);
    let (values, _) = q
        .label_values("i", &[Matcher::equal("job", "j2")], 2)
        .unwrap();
    assert_eq!(values, ["02", "05"]);
    let (names, _) = q.label_names(&[Matcher::equal("job", "nope")], 0).unwrap();
    assert!(names.is_empty());
}

#[test]
fn corrupt_chunk_is_an_iterator_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = write(dir.path(), &data());
    let seg = b.dir().join("chunks").join("000001");
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[20] ^= 0xff;
    let bdir = b.dir().to_owned();
    drop(b);
    std::fs::write(&seg, bytes).unwrap();
    let b = Block::open(&bdir).unwrap();
    let q = b.querier(i64::MIN, i64::MAX).unwrap();
    let mut set = q.select(true, None, &[Matcher::equal("i", "00")]);
    let s = set.next_series().unwrap().unwrap();
    let mut it = s.iterator();
    while it.next() != ValueType::None {}
    assert!(it.err().is_some());
}
