//! Tests of the head through the storage contract.

use std::sync::Mutex;

use flint_model::{Labels, Matcher};
use flint_storage::{AppendError, Appendable, Queryable, ValueType};

use super::{Head, HeadOptions, WalSink};
use crate::error::Result;
use crate::record::{RefSample, RefSeries};

fn head(dir: &std::path::Path) -> Head {
    Head::new(
        dir,
        HeadOptions {
            stripes: 4,
            ..HeadOptions::default()
        },
        None,
    )
    .unwrap()
}

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn select(h: &Head, mint: i64, maxt: i64, matchers: &[Matcher]) -> Vec<(String, Vec<(i64, f64)>)> {
    let q = h.querier(mint, maxt).unwrap();
    let mut set = q.select(true, None, matchers);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        let mut samples = Vec::new();
        while it.next() == ValueType::Float {
            samples.push(it.at());
        }
        assert!(it.err().is_none());
        out.push((s.labels().to_string(), samples));
    }
    out
}

#[test]
fn append_commit_query() {
    let dir = tempfile::tempdir().unwrap();
    let h = head(dir.path());
    let a = l(&[("__name__", "up"), ("job", "node"), ("instance", "a")]);
    let b = l(&[("__name__", "up"), ("job", "api")]);
    let mut app = h.appender();
    let ra = app.append(None, &a, 1000, 1.0).unwrap();
    app.append(None, &b, 1000, 0.0).unwrap();
    assert!(
        select(&h, 0, 10_000, &[]).is_empty(),
        "nothing visible before commit"
    );
    app.commit().unwrap();
    let mut app = h.appender();
    app.append(Some(ra), &Labels::empty(), 2000, 2.0).unwrap();
    app.commit().unwrap();
    let got = select(&h, 0, 10_000, &[Matcher::equal("job", "node")]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, vec![(1000, 1.0), (2000, 2.0)]);
    assert_eq!(
        select(&h, 1500, 10_000, &[]).len(),
        1,
        "b has no sample in range"
    );
    assert_eq!((h.min_time(), h.max_time()), (1000, 2000));
}

#[test]
fn matchers_follow_prometheus_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let h = head(dir.path());
    let mut app = h.appender();
    for (i, job) in ["a", "b", "c"].iter().enumerate() {
        app.append(None, &l(&[("__name__", "m"), ("job", job)]), 1, i as f64)
            .unwrap();
    }
    app.append(None, &l(&[("__name__", "m")]), 1, 9.0).unwrap();
    app.commit().unwrap();
    let count = |ms: &[Matcher]| select(&h, 0, 10, ms).len();
    assert_eq!(count(&[Matcher::equal("__name__", "m")]), 4);
    assert_eq!(
        count(&[Matcher::not_equal("job", "a")]),
        3,
        "includes the series without job"
    );
    assert_eq!(count(&[Matcher::regex_match("job", "a|b").unwrap()]), 2);
    assert_eq!(count(&[Matcher::regex_no_match("job", "a|b").unwrap()]), 2);
    assert_eq!(count(&[Matcher::equal("job", "")]), 1);
    assert_eq!(count(&[Matcher::regex_match("job", ".+").unwrap()]), 3);
    assert_eq!(count(&[Matcher::equal("job", "zzz")]), 0);
    let q = h.querier(0, 10).unwrap();
    assert_eq!(
        q.label_values("job", &[], 0).unwrap().0,
        vec!["a", "b", "c"]
    );
    assert_eq!(
        q.label_names(&[Matcher::equal("job", "a")], 0).unwrap().0,
        vec!["__name__", "job"]
    );
}

#[test]
fn rejects_and_counts_bad_samples() {
    let dir = tempfile::tempdir().unwrap();
    let h = head(dir.path());
    let s = l(&[("__name__", "x")]);
    let mut app = h.appender();
    app.append(None, &s, 10 * 3600 * 1000, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = h.appender();
    assert!(matches!(
        app.append(None, &s, 0, 1.0),
        Err(AppendError::OutOfBounds)
    ));
    assert!(matches!(
        app.append(None, &s, 10 * 3600 * 1000 - 1, 1.0),
        Err(AppendError::OutOfOrder)
    ));
    assert!(matches!(
        app.append(None, &s, 10 * 3600 * 1000, 2.0),
        Err(AppendError::DuplicateTimestamp)
    ));
    assert!(matches!(
        app.append(None, &Labels::empty(), 0, 1.0),
        Err(AppendError::OutOfBounds)
    ));
    app.rollback().unwrap();
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(h.stats.out_of_bounds.load(Relaxed), 2);
    assert_eq!(h.stats.out_of_order.load(Relaxed), 1);
    assert_eq!(h.stats.duplicates.load(Relaxed), 1);
}

#[test]
fn full_chunks_go_to_disk_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let h = head(dir.path());
    let s = l(&[("__name__", "x")]);
    let mut want = Vec::new();
    for i in 0..1000i64 {
        let mut app = h.appender();
        app.append(None, &s, i * 15_000, i as f64).unwrap();
        app.commit().unwrap();
        want.push((i * 15_000, i as f64));
    }
    let series = h.series(1).unwrap();
    assert!(series.lock().mmapped.len() >= 7, "full chunks are mmapped");
    assert_eq!(select(&h, i64::MIN, i64::MAX, &[])[0].1, want);
    // A window in the middle.
    let got = &select(&h, 150_000, 300_000, &[])[0].1;
    assert_eq!(got.first(), Some(&(150_000, 10.0)));
    assert_eq!(got.last(), Some(&(300_000, 20.0)));
    h.truncate(7_200_000).unwrap();
    let got = &select(&h, i64::MIN, i64::MAX, &[])[0].1;
    assert!(
        got.first()
            .is_some_and(|s| s.0 >= 7_200_000 - 2 * 3_600_000)
    );
}

#[test]
fn truncation_removes_empty_series() {
    let dir = tempfile::tempdir().unwrap();
    let h = head(dir.path());
    let mut app = h.appender();
    app.append(None, &l(&[("a", "old")]), 1, 1.0).unwrap();
    app.append(None, &l(&[("a", "new")]), 100, 1.0).unwrap();
    app.commit().unwrap();
    h.truncate(50).unwrap();
    assert_eq!(h.num_series(), 1);
    let q = h.querier(0, 1000).unwrap();
    assert_eq!(q.label_values("a", &[], 0).unwrap().0, vec!["new"]);
    assert_eq!(h.min_time(), 100);
}

#[derive(Default)]
struct RecordingWal(Mutex<Vec<(usize, usize)>>);

impl WalSink for &'static RecordingWal {
    fn log(&self, series: &[RefSeries], samples: &[RefSample]) -> Result<()> {
        self.0.lock().unwrap().push((series.len(), samples.len()));
        Ok(())
    }
}

#[test]
fn commits_are_logged_before_visible() {
    let dir = tempfile::tempdir().unwrap();
    let wal: &'static RecordingWal = Box::leak(Box::default());
    let h = Head::new(dir.path(), HeadOptions::default(), Some(Box::new(wal))).unwrap();
    let mut app = h.appender();
    app.append(None, &l(&[("a", "1")]), 1, 1.0).unwrap();
    app.append(None, &l(&[("a", "2")]), 1, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = h.appender();
    app.append(None, &l(&[("a", "1")]), 2, 1.0).unwrap();
    app.commit().unwrap();
    assert_eq!(*wal.0.lock().unwrap(), vec![(2, 2), (0, 1)]);
}
