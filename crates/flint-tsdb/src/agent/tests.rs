use super::*;

fn labels(i: usize) -> Labels {
    Labels::from_pairs([("__name__", "m"), ("i", i.to_string().as_str())])
}

fn opts() -> AgentOptions {
    AgentOptions {
        no_lockfile: true,
        ..AgentOptions::default()
    }
}

/// Series and sample references of a WAL.
type Contents = (Vec<(u64, Labels)>, Vec<(u64, i64)>);

/// Every `(ref, labels)` and `(ref, t)` in the WAL (checkpoint included).
fn wal_contents(dir: &Path) -> Contents {
    let (mut r, _) = Reader::from_last_checkpoint(dir).unwrap();
    let mut dec = Decoder::new();
    let (mut series, mut samples) = (Vec::new(), Vec::new());
    while let Some(rec) = r.next_record().unwrap() {
        match dec.decode(rec).unwrap() {
            Record::Series(l) => series.extend(l.into_iter().map(|s| (s.r, s.labels))),
            Record::Samples(l) => samples.extend(l.into_iter().map(|s| (s.r, s.t))),
            _ => {}
        }
    }
    (series, samples)
}

#[test]
fn commits_go_to_the_wal_with_stable_references_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = AgentDb::open(dir.path(), opts()).unwrap();
    let mut app = db.appender();
    let a = app.append(None, &labels(1), 1000, 1.0).unwrap();
    let b = app.append(None, &labels(2), 1000, 2.0).unwrap();
    assert_eq!(app.append(Some(a), &labels(1), 2000, 3.0).unwrap(), a);
    assert!(matches!(
        app.append(Some(a), &labels(1), 1500, 3.0),
        Err(AppendError::OutOfOrder)
    ));
    app.commit().unwrap();
    // A rolled-back batch leaves nothing behind.
    let mut app = db.appender();
    app.append(None, &labels(3), 3000, 1.0).unwrap();
    app.rollback().unwrap();
    assert_eq!(db.num_series(), 2);
    let (series, samples) = wal_contents(db.wal_dir());
    assert_eq!(series, [(a.0, labels(1)), (b.0, labels(2))]);
    assert_eq!(samples, [(a.0, 1000), (b.0, 1000), (a.0, 2000)]);
    drop(db);

    let db = AgentDb::open(dir.path(), opts()).unwrap();
    let mut app = db.appender();
    assert_eq!(
        app.append(None, &labels(2), 3000, 1.0).unwrap(),
        b,
        "same reference"
    );
    assert!(
        matches!(
            app.append(None, &labels(1), 1000, 1.0),
            Err(AppendError::OutOfOrder)
        ),
        "the newest timestamp survives the restart"
    );
    let c = app.append(None, &labels(3), 3000, 1.0).unwrap();
    assert!(c.0 > b.0, "new references after the replayed ones");
    app.commit().unwrap();
}

#[test]
fn truncation_drops_old_series_and_segments_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = AgentDb::open(dir.path(), opts()).unwrap();
    let mut app = db.appender();
    let old = app.append(None, &labels(1), 1000, 1.0).unwrap();
    let live = app.append(None, &labels(2), 1000, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = db.appender();
    app.append(Some(live), &labels(2), 9000, 2.0).unwrap();
    app.commit().unwrap();
    db.truncate(5000).unwrap();
    assert_eq!(db.num_series(), 1);
    let (series, samples) = wal_contents(db.wal_dir());
    assert_eq!(series, [(live.0, labels(2))], "{old:?} is gone");
    assert_eq!(
        samples,
        [(live.0, 9000)],
        "samples before the cut-off are gone"
    );
    let segments = list_segments(db.wal_dir()).unwrap();
    assert_eq!(segments.len(), 1, "only the segment being written is left");
    // Appends go on, and a restart sees the checkpoint.
    let mut app = db.appender();
    app.append(None, &labels(2), 10_000, 3.0).unwrap();
    app.commit().unwrap();
    drop(db);
    let db = AgentDb::open(dir.path(), opts()).unwrap();
    assert_eq!(db.num_series(), 1);
}

#[test]
fn the_cut_off_keeps_between_min_and_max_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = AgentDb::open(dir.path(), opts()).unwrap();
    let now = 10 * 3600 * 1000;
    let (min, max) = (5 * 60 * 1000, 4 * 3600 * 1000);
    assert_eq!(db.cut_off(now, None), now - min, "no queues: keep min_time");
    assert_eq!(
        db.cut_off(now, Some(now - 1000)),
        now - min,
        "sent: still keep min_time"
    );
    assert_eq!(
        db.cut_off(now, Some(now - 3600 * 1000)),
        now - 3600 * 1000,
        "unsent data kept"
    );
    assert_eq!(
        db.cut_off(now, Some(0)),
        now - max,
        "never more than max_time"
    );
}
