//! WAL interop with the real Prometheus: promtool replays a WAL Flint wrote, and Flint reads a
//! WAL the real `prometheus` wrote (snappy-compressed, killed with SIGKILL).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flint_model::Labels;
use flint_testkit::find_program;
use flint_tsdb::record::{self, Decoder, Record, RefSample, RefSeries};
use flint_tsdb::wlog::{PAGE_SIZE, Reader, Writer, WriterOptions, checkpoint, segment_path};

fn test_series() -> Vec<RefSeries> {
    (1..=3u64)
        .map(|r| RefSeries {
            r,
            labels: Labels::from_pairs([
                ("__name__", "flint_wal_test"),
                ("job", "interop"),
                ("series", r.to_string().as_str()),
            ]),
        })
        .collect()
}

/// Logs 3 series and `steps` scrapes of them from `first_step`; returns promtool's dump lines.
fn log_samples(w: &mut Writer, first_step: i64, steps: i64) -> BTreeSet<String> {
    let start = 1_700_000_000_000i64;
    let mut want = BTreeSet::new();
    let mut buf = Vec::new();
    for step in first_step..first_step + steps {
        let samples: Vec<RefSample> = (1..=3u64)
            .map(|r| RefSample {
                r,
                t: start + step * 15_000,
                v: step as f64 * r as f64 + 0.5,
            })
            .collect();
        for s in &samples {
            want.insert(format!(
                "{{__name__=\"flint_wal_test\", job=\"interop\", series=\"{}\"}} {} {}",
                s.r, s.v, s.t
            ));
        }
        buf.clear();
        record::samples(&samples, &mut buf);
        w.log(&[&buf]).unwrap();
    }
    want
}

fn promtool_dump(promtool: &Path, dir: &Path) -> BTreeSet<String> {
    let out = Command::new(promtool)
        .args(["tsdb", "dump"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn promtool_dumps_the_samples_of_a_flint_wal() {
    let Some(promtool) = find_program("promtool") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("chunks_head")).unwrap();
    let (mut w, _) = Writer::open(&tmp.path().join("wal"), WriterOptions::default()).unwrap();
    let mut buf = Vec::new();
    record::series(&test_series(), &mut buf);
    w.log(&[&buf]).unwrap();
    let want = log_samples(&mut w, 0, 200);
    w.close().unwrap();
    let got = promtool_dump(&promtool, tmp.path());
    assert_eq!(got.len(), 600);
    assert_eq!(got, want);
}

#[test]
fn promtool_replays_a_flint_checkpoint_then_the_segments_after_it() {
    let Some(promtool) = find_program("promtool") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("chunks_head")).unwrap();
    let wal = tmp.path().join("wal");
    let (mut w, _) = Writer::open(&wal, WriterOptions::default()).unwrap();
    let mut buf = Vec::new();
    record::series(&test_series(), &mut buf);
    w.log(&[&buf]).unwrap();
    let mut want = log_samples(&mut w, 0, 100);
    w.next_segment().unwrap();
    want.extend(log_samples(&mut w, 100, 100));
    w.close().unwrap();
    let stats = checkpoint(&wal, 0, 0, |_| true, i64::MIN, true).unwrap();
    assert_eq!((stats.total_series, stats.total_samples), (3, 300));
    let (mut w, _) = Writer::open(&wal, WriterOptions::default()).unwrap();
    w.truncate(1).unwrap();
    w.close().unwrap();
    assert!(!segment_path(&wal, 0).exists());
    assert_eq!(promtool_dump(&promtool, tmp.path()), want);
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Series and samples Flint decodes from the WAL in `wal`, or the first error.
fn read_wal(wal: &Path) -> flint_tsdb::Result<(usize, usize)> {
    let (mut reader, _) = Reader::from_last_checkpoint(wal)?;
    let mut dec = Decoder::new();
    let (mut series, mut samples) = (0, 0);
    while let Some(rec) = reader.next_record()? {
        match dec.decode(rec)? {
            Record::Series(s) => series += s.len(),
            Record::Samples(s) => samples += s.len(),
            _ => {}
        }
    }
    Ok((series, samples))
}

/// Whether any fragment header of the segment has the snappy flag.
fn has_snappy_fragment(seg: &[u8]) -> bool {
    let mut pos = 0;
    while pos + 7 <= seg.len() {
        let h = seg[pos];
        if h == 0 {
            pos = (pos / PAGE_SIZE + 1) * PAGE_SIZE;
            continue;
        }
        if h & 8 != 0 {
            return true;
        }
        pos += 7 + usize::from(u16::from_be_bytes([seg[pos + 1], seg[pos + 2]]));
    }
    false
}

#[test]
fn flint_reads_the_wal_of_a_killed_prometheus() {
    let Some(prometheus) = find_program("prometheus") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = tmp.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    \
             static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let data = tmp.path().join("data");
    let mut child = Command::new(prometheus)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few scrapes are in the WAL (the live tail may be mid-write: ignore errors).
    let wal = data.join("wal");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if matches!(read_wal(&wal), Ok((series, samples)) if series > 0 && samples > 3 * series) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    child.kill().unwrap(); // SIGKILL.
    child.wait().unwrap();

    let (series, samples) = read_wal(&wal).unwrap();
    assert!(series > 10, "only {series} series");
    assert!(
        samples > 3 * series,
        "only {samples} samples for {series} series"
    );
    let seg = std::fs::read(segment_path(&wal, 0)).unwrap();
    assert!(
        has_snappy_fragment(&seg),
        "expected snappy-compressed records"
    );
    // And Flint opens it for writing: nothing to repair, a new segment after Prometheus's.
    let (w, repaired) = Writer::open(&wal, WriterOptions::default()).unwrap();
    assert!(repaired.is_none(), "{repaired:?}");
    assert!(w.current_segment() >= 1);
}
