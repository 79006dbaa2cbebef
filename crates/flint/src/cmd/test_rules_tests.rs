//! `flint test rules` against every unit-test fixture of promtool, with upstream's expected
//! outcomes (`../shared/testdata/promtool/README.md`).
#![allow(clippy::unwrap_used)]

use clap::Parser;

use super::*;

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: TestRulesArgs,
}

fn test(flags: &[&str], file: &str) -> (u8, String, String) {
    let dir = flint_testkit::testdata::testdata_path("promtool");
    let mut argv = vec!["test".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    argv.push(dir.join(file).display().to_string());
    let args = Wrap::parse_from(argv).args;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, &mut out, &mut err).unwrap();
    let code = u8::from(code != ExitCode::SUCCESS);
    let dir = format!("{}/", dir.display());
    (
        code,
        String::from_utf8(out).unwrap().replace(&dir, ""),
        String::from_utf8(err).unwrap().replace(&dir, ""),
    )
}

/// Every fixture with the flags promtool's own tests use and the exit code they expect.
pub(crate) const FIXTURES: &[(&str, &[&str], u8)] = &[
    ("unittest.yml", &[], 0),
    ("long-period.yml", &[], 0),
    ("no-test-group-interval.yml", &[], 0),
    ("start-time-test.yml", &[], 0),
    ("at-modifier-test.yml", &[], 0),
    ("negative-offset-test.yml", &[], 0),
    ("bad-input-series.yml", &[], 1),
    ("bad-promql.yml", &[], 1),
    ("bad-rules-syntax-test.yml", &[], 1),
    ("bad-rules-error-test.yml", &[], 1),
    ("failing.yml", &[], 1),
    ("rules_run.yml", &[], 1),
    ("rules_run.yml", &["--run", "correct"], 0),
    ("rules_run.yml", &["--run", "wrong"], 1),
    ("rules_run_extrafields.yml", &[], 1),
    ("rules_run_extrafields.yml", &["--ignore-unknown-fields"], 0),
    ("rules_run_no_fuzzy.yml", &[], 1),
    ("rules_run_fuzzy.yml", &["--run", "correct"], 0),
    ("rules_run_fuzzy.yml", &["--run", "wrong"], 1),
];

#[test]
fn promtool_fixtures_agree() {
    let mut bad = Vec::new();
    for (file, flags, want) in FIXTURES {
        let (code, out, err) = test(flags, file);
        if code != *want {
            bad.push(format!(
                "{file} {flags:?}: exit {code}, want {want}\n{out}{err}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} disagree:\n{}",
        bad.len(),
        FIXTURES.len(),
        bad.join("\n")
    );
}

#[test]
fn failure_messages_match_promtool() {
    let (_, out, err) = test(&[], "failing.yml");
    assert!(out.starts_with("Unit Testing:  failing.yml\n"), "{out}");
    let want = "  FAILED:\n    name: Failing test,\n    alertname: Test, time: 0s, \n        exp:[\n            0:\n              Labels:{alertname=\"Test\"}\n              Annotations:{}\n            ], \n        got:[]\n    expr: \"test\", time: 0s,\n        exp: {__name__=\"test\"} 1E+00\n        got: {__name__=\"test\"} 0E+00\n    name: Failing alert test,\n    alertname: InstanceDown, time: 5m, \n        exp:[], \n        got:[\n            0:\n              Labels:{alertname=\"InstanceDown\", job=\"test\", severity=\"page\"}\n              Annotations:{description=\" of job test has been down for more than 5 minutes.\", summary=\"Instance  down\"}\n            ]\n    name: Failing alert test,\n    alertname: AlwaysFiring, time: 5m, \n        exp:[], \n        got:[\n            0:\n              Labels:{alertname=\"AlwaysFiring\"}\n              Annotations:{}\n            ]\n";
    assert_eq!(err, want);
    let (_, _, err) = test(&[], "bad-rules-error-test.yml");
    // The engine lists the duplicates in its own order (promtool: b="4" first).
    assert!(
        err.starts_with("  FAILED:\n    rule: joined, time: 0s, err: found duplicate series for the match group {a=\"1\"} on the right hand-side of the operation: ["),
        "{err}"
    );
    assert!(
        err.ends_with(
            "];many-to-many matching not allowed: matching labels must be unique on one side\n"
        ),
        "{err}"
    );
    let (_, _, err) = test(&[], "bad-rules-syntax-test.yml");
    assert_eq!(
        err,
        "  FAILED:\nbad-rules-syntax.yml: 7:15: group \"bad-syntax\", rule 1, \"x\": could not parse expression: 1:7: parse error: unexpected end of input\n"
    );
    let (_, _, err) = test(&[], "rules_run_no_fuzzy.yml");
    assert!(
        err.contains("exp: {__name__=\"test_low\"} 3E+00\n        got: {__name__=\"test_low\"} 2.9999999999999996E+00"),
        "{err}"
    );
    let (_, _, err) = test(&[], "bad-input-series.yml");
    assert!(err.contains("parse error"), "{err}");
}
