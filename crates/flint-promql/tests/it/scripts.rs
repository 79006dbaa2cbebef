//! Prometheus's PromQL test scripts (`../shared/testdata/promql`), one test per file.
//!
//! Evaluations listed in `tests/skip.txt` (`file:line reason`, or `file:* reason`) may fail;
//! one that passes anyway is reported so the entry can go.

use std::collections::HashMap;
use std::path::Path;

use flint_promql::promqltest::run_script;

/// Skipped evaluations: file -> (line or 0 for the whole file) -> reason.
pub(crate) fn skips() -> HashMap<String, HashMap<usize, String>> {
    let text = include_str!("../skip.txt");
    let mut out: HashMap<String, HashMap<usize, String>> = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (loc, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let (file, at) = loc.split_once(':').unwrap_or((loc, "*"));
        let at = if at == "*" {
            0
        } else {
            at.parse().unwrap_or(usize::MAX)
        };
        out.entry(file.to_owned())
            .or_default()
            .insert(at, reason.trim().to_owned());
    }
    out
}

/// Counts of one file: passed, skipped, failed (with diffs).
pub(crate) struct Counts {
    pub(crate) passed: usize,
    pub(crate) skipped: usize,
    pub(crate) failures: Vec<String>,
}

pub(crate) fn run_file(name: &str) -> Counts {
    let path = flint_testkit::testdata::testdata_path("promql").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let skips = skips();
    let file_skips = skips.get(name);
    let outcomes = run_script(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut c = Counts {
        passed: 0,
        skipped: 0,
        failures: Vec::new(),
    };
    for o in outcomes {
        let line_skip = file_skips.and_then(|s| s.get(&o.line));
        let skip = line_skip.or_else(|| file_skips.and_then(|s| s.get(&0)));
        match (&o.result, skip) {
            (Ok(()), None) => c.passed += 1,
            (Ok(()), Some(_)) => {
                c.passed += 1;
                if line_skip.is_some() {
                    eprintln!(
                        "note: {name}:{} passes now; remove it from skip.txt",
                        o.line
                    );
                }
            }
            (Err(_), Some(_)) => c.skipped += 1,
            (Err(e), None) => c
                .failures
                .push(format!("{name}:{}: {}\n      {e}", o.line, o.expr)),
        }
    }
    c
}

fn check_file(name: &str) {
    let c = run_file(name);
    let total = c.passed + c.skipped + c.failures.len();
    eprintln!(
        "{name}: {}/{total} evals passed, {} skipped, {} failed",
        c.passed,
        c.skipped,
        c.failures.len()
    );
    assert!(
        c.failures.is_empty(),
        "{name}: {} failures:\n  {}",
        c.failures.len(),
        c.failures.join("\n  ")
    );
}

macro_rules! scripts {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_file($file);
            }
        )*

        pub(crate) const FILES: &[&str] = &[$($file),*];
    };
}

scripts! {
    aggregators => "aggregators.test",
    at_modifier => "at_modifier.test",
    collision => "collision.test",
    duration_expression => "duration_expression.test",
    extended_vectors => "extended_vectors.test",
    fill_modifier => "fill-modifier.test",
    functions => "functions.test",
    histograms => "histograms.test",
    info => "info.test",
    limit => "limit.test",
    literals => "literals.test",
    name_label_dropping => "name_label_dropping.test",
    native_histograms => "native_histograms.test",
    operators => "operators.test",
    range_queries => "range_queries.test",
    selectors => "selectors.test",
    staleness => "staleness.test",
    start_timestamps => "start_timestamps.test",
    subquery => "subquery.test",
    trig_functions => "trig_functions.test",
    type_and_unit => "type_and_unit.test",
}

/// Every file of the suite is covered by a test above.
#[test]
fn all_files_are_listed() {
    let dir = flint_testkit::testdata::testdata_path("promql");
    for e in std::fs::read_dir(&dir).expect("readable") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) == Some("test") {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            assert!(FILES.contains(&name.as_str()), "{name} has no test");
        }
    }
    let _ = Path::new(".");
}

/// The totals over all files (run with `--nocapture` to see them).
#[test]
fn summary() {
    let (mut passed, mut skipped, mut failed) = (0, 0, 0);
    for f in FILES {
        let c = run_file(f);
        passed += c.passed;
        skipped += c.skipped;
        failed += c.failures.len();
    }
    eprintln!(
        "PromQL test scripts: {passed}/{} evals passed, {skipped} skipped, {failed} failed",
        passed + skipped + failed
    );
}
