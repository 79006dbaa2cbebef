//! `flint check rules` against promtool's fixtures: exit codes and output.
#![allow(clippy::unwrap_used)]

use clap::Parser;

use super::*;

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: CheckRulesArgs,
}

fn check(flags: &[&str], files: &[&str]) -> (u8, String, String) {
    let dir = flint_testkit::testdata::testdata_path("promtool");
    let mut argv = vec!["check".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    argv.extend(files.iter().map(|f| dir.join(f).display().to_string()));
    let args = Wrap::parse_from(argv).args;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, &mut out, &mut err).unwrap();
    let code = if code == ExitCode::SUCCESS {
        0
    } else if code == ExitCode::FAILURE {
        1
    } else {
        LINT_EXIT
    };
    let dir = format!("{}/", dir.display());
    (
        code,
        String::from_utf8(out).unwrap().replace(&dir, ""),
        String::from_utf8(err).unwrap().replace(&dir, ""),
    )
}

#[test]
fn promtool_fixtures_exit_codes() {
    for (file, flags, want) in [
        ("rules.yml", &[][..], 0),
        ("rules-bad.yml", &[], 1),
        ("rules_duplicates.yml", &[], 0),
        ("rules_duplicates.yml", &["--lint-fatal"], 3),
        ("rules_duplicates.yml", &["--lint=none", "--lint-fatal"], 0),
        ("rules_extrafields.yml", &[], 1),
        ("rules_extrafields.yml", &["--ignore-unknown-fields"], 0),
        ("rules_large.yml", &[], 0),
        ("prometheus-rules.lint.yml", &[], 0),
        ("prometheus-rules.lint.yml", &["--lint-fatal"], 3),
        (
            "prometheus-rules.lint.yml",
            &["--lint=all", "--lint-fatal"],
            3,
        ),
        ("features.yml", &[], 0),
        ("bad-rules-syntax.yml", &[], 1),
        ("bad-rules-error.yml", &[], 0),
        ("does-not-exist.yml", &[], 1),
    ] {
        let (code, out, err) = check(flags, &[file]);
        assert_eq!(code, want, "{file} {flags:?}\nout: {out}\nerr: {err}");
    }
}

#[test]
fn output_matches_promtool() {
    let (_, out, err) = check(&[], &["rules.yml"]);
    assert_eq!(out, "Checking rules.yml\n  SUCCESS: 5 rules found\n\n");
    assert_eq!(err, "");
    let (_, out, err) = check(&[], &["rules-bad.yml"]);
    assert_eq!(out, "Checking rules-bad.yml\n\n");
    assert_eq!(
        err,
        "  FAILED:\nrules-bad.yml: group \"alerts\", rule 1, \"InstanceDown\": annotation \"summary\": template: __alert_InstanceDown:1: undefined variable \"$label\"\n"
    );
    let (_, _, err) = check(&[], &["prometheus-rules.lint.yml"]);
    assert_eq!(
        err,
        "  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: HighRequestLatency\nLabel(s):\n\tseverity: page\nMight cause inconsistency while recording expressions\n"
    );
    let (_, _, err) = check(&[], &["bad-rules-syntax.yml"]);
    assert_eq!(
        err,
        "  FAILED:\nbad-rules-syntax.yml: 7:15: group \"bad-syntax\", rule 1, \"x\": could not parse expression: 1:7: parse error: unexpected end of input\n"
    );
    let (_, _, err) = check(&[], &["rules_extrafields.yml"]);
    assert_eq!(
        err,
        "  FAILED:\nrules_extrafields.yml: yaml: unmarshal errors:\n  line 7: field namespace not found in type rulefmt.RuleGroup\n  line 21: field ownership not found in type rulefmt.RuleGroup\n"
    );
    // The large file has two duplicates, as promtool reports too.
    let (code, out, err) = check(&[], &["rules.yml", "rules_large.yml"]);
    assert_eq!(code, 0);
    assert!(out.contains("Checking rules_large.yml\n"), "{out}");
    assert!(
        err.contains("lint error 2 duplicate rule(s) found.\nMetric: job:http_inprogress_requests:sum:1\nLabel(s):\n\tjob: job1\n"),
        "{err}"
    );
}
