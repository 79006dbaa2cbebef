//! `flint tsdb …` against Debian's promtool: promtool reads what `flint tsdb
//! create-blocks-from openmetrics` writes (and `dump` shows exactly the samples that went in),
//! and `flint tsdb list/analyze/dump` print what promtool prints for the same directory.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use flint_testkit::find_program;

use super::flint;

const START: i64 = 1_700_000_000_000;

/// An OpenMetrics file spanning about 5 h (three 2 h blocks) and the dump lines it implies.
fn input() -> (String, BTreeSet<String>) {
    let mut text = String::new();
    let mut want = BTreeSet::new();
    let values = [
        0.0,
        -1.5,
        1e6,
        123456.0,
        0.001,
        1e-7,
        2.5e21,
        f64::NAN,
        42.0,
    ];
    for (family, n) in [("flint_bf_gauge", 12), ("flint_bf_other", 5)] {
        writeln!(text, "# HELP {family} Backfill test.").unwrap();
        writeln!(text, "# TYPE {family} gauge").unwrap();
        for i in 0..n {
            let labels = format!("job=\"j{}\",instance=\"host-{i}:9100\"", i % 3);
            let shown = format!(
                "{{__name__=\"{family}\", instance=\"host-{i}:9100\", job=\"j{}\"}}",
                i % 3
            );
            let steps = if i == 0 { 1200 } else { 300 + i * 20 };
            for k in 0..steps {
                let t = START + k * 15_000 + i * 7;
                let v = values[(k as usize + i as usize) % values.len()]
                    * if k % 2 == 0 { 1.0 } else { k as f64 };
                writeln!(
                    text,
                    "{family}{{{labels}}} {v} {}.{:03}",
                    t / 1000,
                    t % 1000
                )
                .unwrap();
                let mut shown_v = Vec::new();
                flint_expfmt::float::write_float(&mut shown_v, v);
                want.insert(format!("{shown} {} {t}", String::from_utf8_lossy(&shown_v)));
            }
        }
    }
    text.push_str("# EOF\n");
    (text, want)
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn prom(p: &Path, args: &[&str]) -> String {
    ok(
        &Command::new(p).args(args).output().unwrap(),
        &format!("promtool {args:?}"),
    )
}

fn lines(s: &str) -> BTreeSet<String> {
    s.lines().map(str::to_owned).collect()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn promtool_reads_flint_backfill_and_dumps_exactly_the_input() {
    let Some(promtool) = find_program("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (text, want) = input();
    let file = dir.path().join("in.om");
    std::fs::write(&file, &text).unwrap();
    let out = dir.path().join("flint");
    let o = flint(
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            path(&file),
            path(&out),
        ],
        b"",
    );
    let table = ok(&o, "flint backfill");
    assert!(table.starts_with("BLOCK ULID  "), "{table}");
    assert_eq!(
        table.lines().count(),
        4,
        "header and three blocks:\n{table}"
    );
    let progress = String::from_utf8_lossy(&o.stderr);
    assert!(progress.contains("samples/s"), "{progress}");

    let analyze = prom(&promtool, &["tsdb", "analyze", path(&out)]);
    assert!(analyze.contains("Label names: 3"), "{analyze}");
    std::fs::create_dir(out.join("wal")).unwrap();
    let dump = lines(&prom(&promtool, &["tsdb", "dump", path(&out)]));
    assert_eq!(dump.len(), want.len());
    assert!(dump == want, "promtool's dump differs from the input");
    let ours = lines(&ok(
        &flint(&["tsdb", "dump", path(&out)], b""),
        "flint dump",
    ));
    assert!(ours == want, "flint's dump differs from the input");
}

#[test]
fn flint_tools_print_what_promtool_prints() {
    let Some(promtool) = find_program("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = input();
    let file = dir.path().join("in.om");
    std::fs::write(&file, &text).unwrap();
    let theirs = dir.path().join("promtool");
    let ours = dir.path().join("flint");
    prom(
        &promtool,
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            path(&file),
            path(&theirs),
        ],
    );
    ok(
        &flint(
            &[
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "-q",
                path(&file),
                path(&ours),
            ],
            b"",
        ),
        "backfill",
    );
    std::fs::create_dir(theirs.join("wal")).unwrap();

    // The same blocks, byte for byte in size (ULIDs aside).
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.get(26..).unwrap_or("").to_owned())
            .collect()
    };
    let p_list = prom(&promtool, &["tsdb", "list", path(&theirs)]);
    let f_list = ok(&flint(&["tsdb", "list", path(&theirs)], b""), "list");
    assert_eq!(f_list, p_list, "list of promtool's blocks");
    let f_own = ok(&flint(&["tsdb", "list", path(&ours)], b""), "list");
    assert_eq!(
        strip(&f_own),
        strip(&p_list),
        "flint's blocks equal promtool's"
    );
    let human = ok(
        &flint(&["tsdb", "list", "-r", path(&theirs)], b""),
        "list -r",
    );
    assert_eq!(
        human,
        prom(&promtool, &["tsdb", "list", "-r", path(&theirs)])
    );

    let p_dump = lines(&prom(&promtool, &["tsdb", "dump", path(&theirs)]));
    let f_dump = lines(&ok(&flint(&["tsdb", "dump", path(&theirs)], b""), "dump"));
    assert!(p_dump == f_dump, "dumps differ");
    let sel = [
        "--match",
        "flint_bf_other{job=~\"j1|j2\"}",
        "--min-time",
        &(START + 3_600_000).to_string(),
    ];
    let mut p_args = vec!["tsdb", "dump"];
    p_args.extend(sel);
    p_args.push(path(&theirs));
    let f_args = p_args.clone();
    let p_sel = lines(&prom(&promtool, &p_args));
    let f_sel = lines(&ok(&flint(&f_args, b""), "dump --match"));
    assert!(!p_sel.is_empty() && p_sel == f_sel, "selected dumps differ");

    // Analyze: same headline, same lists (ties may come in another order).
    let p_an = prom(
        &promtool,
        &["tsdb", "analyze", "--limit", "1000", path(&theirs)],
    );
    let f_an = ok(
        &flint(&["tsdb", "analyze", "--limit", "1000", path(&theirs)], b""),
        "analyze",
    );
    let sections = |s: &str| -> Vec<BTreeSet<String>> { s.split("\n\n").map(lines).collect() };
    assert_eq!(
        sections(&f_an),
        sections(&p_an),
        "flint:\n{f_an}\npromtool:\n{p_an}"
    );
    let f_ext = ok(
        &flint(&["tsdb", "analyze", "--extended", path(&theirs)], b""),
        "analyze --extended",
    );
    let p_ext = prom(&promtool, &["tsdb", "analyze", "--extended", path(&theirs)]);
    let tail = |s: &str| s.split("Compaction analysis:").nth(1).map(str::to_owned);
    assert_eq!(tail(&f_ext), tail(&p_ext));
}

#[test]
fn tsdb_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let o = flint(&["tsdb", "analyze", path(dir.path())], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no blocks found"));
    let file = dir.path().join("bad.om");
    std::fs::write(&file, "m 1\n# EOF\n").unwrap();
    let o = flint(
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            path(&file),
            path(dir.path()),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected timestamp"));
    let o = flint(&["tsdb", "dump", "--match", "up{", path(dir.path())], b"");
    assert_eq!(o.status.code(), Some(1));
}
