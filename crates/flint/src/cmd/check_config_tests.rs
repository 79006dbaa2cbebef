//! `flint check config` against promtool's fixtures: exit codes and output lines.
#![allow(clippy::unwrap_used)]

use clap::Parser;

use super::*;

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    args: CheckConfigArgs,
}

fn check(flags: &[&str], file: &str) -> (u8, String, String) {
    let path = flint_testkit::testdata::testdata_path("promtool").join(file);
    let mut argv = vec!["check".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    argv.push(path.display().to_string());
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
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn promtool_fixtures() {
    for (file, flags, want) in [
        ("prometheus-config.good.yml", &[][..], 0),
        ("prometheus-config.bad.yml", &[], 1),
        ("config_with_rule_files.yml", &[], 1),
        ("config_with_rule_files.yml", &["--syntax-only"], 0),
        ("config_with_service_discovery_files.yml", &[], 0),
        (
            "config_with_service_discovery_files.yml",
            &["--syntax-only"],
            0,
        ),
        ("config_with_tls_files.yml", &[], 1),
        ("config_with_tls_files.yml", &["--syntax-only"], 0),
        ("authorization_credentials_file.good.yml", &[], 0),
        ("authorization_credentials_file.bad.yml", &[], 1),
        (
            "authorization_credentials_file.bad.yml",
            &["--syntax-only"],
            0,
        ),
        (
            "url_in_scrape_targetgroup_with_relabel_config.good.yml",
            &[],
            0,
        ),
        (
            "url_in_scrape_targetgroup_with_relabel_config.bad.yml",
            &[],
            1,
        ),
        (
            "url_in_alert_targetgroup_with_relabel_config.good.yml",
            &[],
            0,
        ),
        (
            "url_in_alert_targetgroup_with_relabel_config.bad.yml",
            &[],
            1,
        ),
        ("prometheus-aws-sd-empty-region.good.yml", &[], 0),
        ("prometheus-config.lint.yml", &[], 0),
        ("prometheus-config.lint.yml", &["--lint-fatal"], 3),
        (
            "prometheus-config.lint.yml",
            &["--lint=none", "--lint-fatal"],
            0,
        ),
        (
            "prometheus-config.lint.too_long_scrape_interval.yml",
            &["--lint=all", "--lint-fatal"],
            3,
        ),
        (
            "prometheus-config.lint.too_long_scrape_interval.yml",
            &["--lint=all", "--lint-fatal", "--query.lookback-delta=11m"],
            0,
        ),
        (
            "prometheus-config.lint.too_long_scrape_interval.yml",
            &["--lint=none", "--lint-fatal"],
            0,
        ),
        (
            "prometheus-config.lint.too_long_scrape_interval.yml",
            &["--lint=all"],
            0,
        ),
    ] {
        let (code, out, err) = check(flags, file);
        assert_eq!(code, want, "{file} {flags:?}\nout: {out}\nerr: {err}");
    }
    let (_, out, err) = check(&[], "prometheus-config.lint.yml");
    assert!(
        err.contains("lint error 1 duplicate rule(s) found."),
        "{err}"
    );
    assert!(out.contains("  SUCCESS: 1 rule files found"), "{out}");
    assert!(
        out.contains("is valid prometheus config file syntax"),
        "{out}"
    );
    assert!(
        out.contains("Checking ") && out.contains("prometheus-rules.lint.yml"),
        "{out}"
    );
    let (_, _, err) = check(&[], "prometheus-config.bad.yml");
    assert!(err.starts_with("  FAILED: "), "{err}");
}
