//! The crash harness: a child process (this test binary, re-run with `FLINT_CRASH_DIR` set)
//! appends to a database and acknowledges every commit on stdout; the parent kills it with
//! SIGKILL after a random number of acknowledgements, reopens the database and checks that
//! every acknowledged commit is there, nothing twice, and at most the one commit in flight
//! besides. The rounds accumulate in one data directory, so restarts replay m-mapped chunks,
//! checkpoints and blocks cut (and interrupted) by earlier rounds.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use flint_model::Labels;
use flint_storage::{Appendable, Queryable, SeriesRef, ValueType};
use flint_tsdb::{Db, DbOptions};

const SERIES: usize = 8;
const STEP: i64 = 30_000;
const ROUNDS: usize = 24;
const CHILD_ENV: &str = "FLINT_CRASH_DIR";

fn opts() -> DbOptions {
    DbOptions {
        wal_segment_size: 2 * 32 * 1024,
        stripe_size: 16,
        replay_workers: 2,
        ..DbOptions::default()
    }
}

fn labels(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", "crash_test"),
        ("series", &i.to_string()),
        ("pad", "some-longer-label-value-to-fill-pages"),
    ])
}

fn value(i: usize, t: i64) -> f64 {
    (t / STEP) as f64 * 0.5 + i as f64
}

/// Timestamps of every series; asserts the values and that all series agree.
fn read_back(db: &Db) -> Vec<i64> {
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let mut set = q.select(true, None, &[]);
    let mut all: Option<Vec<i64>> = None;
    let mut n = 0;
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let i: usize = s.labels().get("series").unwrap().parse().unwrap();
        let mut it = s.iterator();
        let mut ts = Vec::new();
        while it.next() == ValueType::Float {
            let (t, v) = it.at();
            assert_eq!(v, value(i, t), "series {i} at {t}");
            assert!(
                ts.last().is_none_or(|l| *l < t),
                "series {i}: {t} twice or out of order"
            );
            ts.push(t);
        }
        assert!(it.err().is_none(), "{:?}", it.err());
        match &all {
            None => all = Some(ts),
            Some(first) => assert_eq!(first, &ts, "series {i} differs from series 0"),
        }
        n += 1;
    }
    assert!(n == 0 || n == SERIES, "{n} series");
    all.unwrap_or_default()
}

/// The child: appends commit after commit until killed.
#[test]
fn crash_child_process() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only runs as the harness's child.
    };
    let db = Db::open(Path::new(&dir), opts()).unwrap();
    let last = read_back(&db).last().copied();
    let mut t = last.map_or(0, |l| l + STEP);
    println!("start {t}");
    let mut refs: Vec<Option<SeriesRef>> = vec![None; SERIES];
    let empty = Labels::empty();
    for n in 1.. {
        let mut app = db.appender();
        for (i, r) in refs.iter_mut().enumerate() {
            let got = match *r {
                Some(r) => app.append(Some(r), &empty, t, value(i, t)),
                None => app.append(None, &labels(i), t, value(i, t)),
            };
            *r = Some(got.unwrap());
        }
        app.commit().unwrap();
        println!("ack {t}");
        if n % 97 == 0 {
            db.compact().unwrap();
        }
        t += STEP;
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_commit() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("crash harness seed {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked_total = 0usize;
    let mut in_flight_total = 0usize;
    let mut expected_start = 0;
    for round in 0..ROUNDS {
        let kill_after = 1 + rng.below(if round % 4 == 0 { 600 } else { 150 }) as usize;
        let mut child = Command::new(&exe)
            .args(["crash::crash_child_process", "--exact", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut start = None;
        let mut acks = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            // The harness prints "test … ... " before the child's first line.
            if let Some((_, t)) = line.rsplit_once("start ") {
                start = Some(t.parse::<i64>().unwrap());
            } else if let Some(t) = line.strip_prefix("ack ") {
                acks.push(t.parse::<i64>().unwrap());
                if acks.len() == kill_after {
                    child.kill().unwrap(); // SIGKILL
                    break;
                }
            }
        }
        child.wait().unwrap();
        // Acknowledgements written before the kill are still in the pipe.
        for line in lines {
            let Ok(line) = line else { break };
            if let Some(t) = line.strip_prefix("ack ") {
                acks.push(t.parse().unwrap());
            }
        }
        let start = start.unwrap_or_else(|| panic!("round {round}: the child did not start"));
        assert_eq!(
            start, expected_start,
            "round {round}: child resumed elsewhere"
        );
        acked_total += acks.len();

        let db = Db::open(dir.path(), opts()).unwrap();
        let got = read_back(&db);
        let last_acked = acks.last().copied().unwrap_or(start - STEP);
        let want_len = (last_acked / STEP + 1) as usize;
        let in_flight = got.len() == want_len + 1;
        assert!(
            got.len() == want_len || in_flight,
            "round {round}: {} timestamps, {want_len} acknowledged (seed {seed})",
            got.len()
        );
        assert!(
            got.iter().enumerate().all(|(k, t)| *t == k as i64 * STEP),
            "round {round}: gaps (seed {seed})"
        );
        in_flight_total += usize::from(in_flight);
        expected_start = got.last().map_or(0, |l| l + STEP);
        db.close().unwrap();
    }
    let db = Db::open(dir.path(), opts()).unwrap();
    let blocks = db.blocks().len();
    assert!(blocks > 0, "the rounds cut blocks too");
    eprintln!(
        "{ROUNDS} kills, {acked_total} acknowledged commits, all present exactly once; \
         {in_flight_total} commits in flight survived; {blocks} blocks"
    );
}
