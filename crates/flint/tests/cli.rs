//! Black-box tests of the `flint` binary, with Debian's promtool as the reference where present.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use flint_testkit::testdata::testdata_path;

#[path = "cli/alerting.rs"]
mod alerting;
#[path = "cli/all_in_one.rs"]
mod all_in_one;
#[path = "cli/remote_write.rs"]
mod remote_write;
#[path = "cli/support.rs"]
mod support;
#[path = "cli/tsdb.rs"]
mod tsdb;
#[path = "cli/ui_browser.rs"]
mod ui_browser;
#[path = "cli/walreplay.rs"]
mod walreplay;

fn flint(args: &[&str], stdin: &[u8]) -> Output {
    run(env!("CARGO_BIN_EXE_flint").as_ref(), args, stdin)
}

fn run(program: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_names_revision_and_build_date() {
    let out = flint(&["--version"], b"");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("flint 0."), "{text}");
    assert!(text.contains("revision: "), "{text}");
    assert!(text.contains("build date:"), "{text}");
}

#[test]
fn unbuilt_subcommands_say_so_and_fail() {
    for args in [&["alert", "query"][..], &["silence", "query"]] {
        let out = flint(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("not built yet"), "{args:?}");
    }
}

#[test]
fn check_metrics_accepts_valid_text_and_prints_lint() {
    let out = flint(
        &["check", "metrics"],
        b"# TYPE foo counter\nfoo 1\n# HELP bar_seconds ok\n# TYPE bar_seconds gauge\nbar_seconds 2\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "foo counter metrics should have \"_total\" suffix\nfoo no help text\n"
    );
}

#[test]
fn lint_fatal_exits_3() {
    let out = flint(
        &["check", "metrics", "--lint-fatal"],
        b"# TYPE foo counter\nfoo 1\n",
    );
    assert_eq!(out.status.code(), Some(3));
    let clean = b"# HELP foo_total h\n# TYPE foo_total counter\nfoo_total 1\n";
    let out = flint(&["check", "metrics", "--lint-fatal"], clean);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn parse_errors_name_line_and_column() {
    let out = flint(&["check", "metrics"], b"# HELP a h\na 1\nfoo{ 1\n");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error while linting: 3:"), "{err}");
}

#[test]
fn openmetrics_is_detected_by_eof_and_checked_strictly() {
    let good = b"# TYPE a counter\n# HELP a h\na_total 1\n# EOF\n";
    let out = flint(&["check", "metrics"], good);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A counter sample without `_total` is invalid OpenMetrics but valid Prometheus text.
    let bad = b"# TYPE a counter\na 1\n# EOF\n";
    assert_eq!(flint(&["check", "metrics"], bad).status.code(), Some(1));
    let out = flint(&["check", "metrics", "--format=text", "--no-lint"], bad);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn extended_prints_cardinality_like_promtool() {
    let input = std::fs::read(testdata_path("promtool/metrics-test.prom")).expect("fixture");
    let out = flint(&["check", "metrics", "--extended"], &input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().map(str::trim_end).collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["Metric", "Cardinality", "Percentage"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        [
            "prometheus_tsdb_compaction_chunk_size_bytes",
            "15",
            "55.56%"
        ]
    );
    assert_eq!(
        lines
            .last()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["Total", "27", "100%"])
    );
}

/// The same inputs through promtool and flint: the same verdict and the same lint lines.
#[test]
fn agrees_with_promtool() {
    let Some(promtool) = flint_testkit::find_program("promtool") else {
        return;
    };
    let fixture = std::fs::read(testdata_path("promtool/metrics-test.prom")).expect("fixture");
    let cases: Vec<Vec<u8>> = vec![
        fixture,
        b"# TYPE foo counter\nfoo 1\n".to_vec(),
        b"# HELP x_milliseconds h\n# TYPE x_milliseconds gauge\nx_milliseconds{le=\"1\"} 1\n".to_vec(),
        b"# HELP rpc_durationSeconds h\n# TYPE rpc_durationSeconds summary\nrpc_durationSeconds{quantile=\"0.5\"} 1\nrpc_durationSeconds_sum 1\nrpc_durationSeconds_count 1\n".to_vec(),
        b"# HELP a:b h\n# TYPE a:b gauge\na:b{someLabel=\"x\"} 1\n".to_vec(),
        b"foo{ 1\n".to_vec(),
        b"a 1\na 2\n".to_vec(),
    ];
    for case in &cases {
        let theirs = run(&promtool, &["check", "metrics"], case);
        let ours = flint(&["check", "metrics", "--lint-fatal"], case);
        let shown = String::from_utf8_lossy(case);
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "exit status for:\n{shown}\nours: {}\ntheirs: {}",
            stderr(&ours),
            stderr(&theirs)
        );
        if theirs.status.code() == Some(3) {
            assert_eq!(stderr(&ours), stderr(&theirs), "lint lines for:\n{shown}");
        }
    }
}
