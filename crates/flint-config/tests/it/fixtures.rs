//! Every fixture of upstream's `config/testdata` and promtool's config fixtures.

use std::path::{Path, PathBuf};

use flint_config::{Error, LoadOptions, load_file};
use flint_testkit::testdata::{list_dir, testdata_path};

fn load(path: &Path, reject_unsupported: bool, agent: bool) -> Result<flint_config::Config, Error> {
    load_file(
        path,
        LoadOptions {
            reject_unsupported_sd: reject_unsupported,
            agent_mode: agent,
        },
    )
}

fn ymls() -> Vec<PathBuf> {
    list_dir("prometheus-config")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect()
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// The `*.good.yml` files load; with unsupported SDs rejected they fail only for those.
#[test]
fn good_files_load() {
    let mut failures = Vec::new();
    let mut unsupported = 0;
    for p in ymls().iter().filter(|p| name(p).ends_with(".good.yml")) {
        let agent = name(p).starts_with("agent_mode");
        if let Err(e) = load(p, false, agent) {
            failures.push(format!("{}: {e}", name(p)));
            continue;
        }
        if let Err(e) = load(p, true, agent) {
            assert!(e.only_unsupported(), "{}: {e}", name(p));
            unsupported += 1;
        }
    }
    println!("good files needing unimplemented SD mechanisms: {unsupported}");
    assert!(
        failures.is_empty(),
        "good files rejected:\n{}",
        failures.join("\n")
    );
}

/// Other top-level files with a documented outcome.
#[test]
fn special_files() {
    let dir = testdata_path("prometheus-config");
    for f in [
        "agent_mode.with_alert_manager.yml",
        "agent_mode.with_alert_relabels.yml",
        "agent_mode.with_rule_files.yml",
        "agent_mode.with_remote_reads.yml",
    ] {
        assert!(
            load(&dir.join(f), false, true).is_err(),
            "{f} accepted in agent mode"
        );
        assert!(
            load(&dir.join(f), false, false).is_ok(),
            "{f} rejected in server mode"
        );
    }
    for f in [
        "agent_mode.without_remote_writes.yml",
        "otlp_empty.yml",
        "scrape_config_default_validation_mode.yml",
        "scrape_config_global_validation_mode.yml",
        "scrape_config_local_global_validation_mode.yml",
        "scrape_config_local_validation_mode.yml",
        "scrape_config_local_infer_escaping.yml",
    ] {
        let agent = f.starts_with("agent_mode");
        if let Err(e) = load(&dir.join(f), false, agent) {
            panic!("{f}: {e}");
        }
    }
    for f in [
        "otlp_allow_utf8.incompatible.yml",
        "otlp_no_translation.incompatible.yml",
        "config_with_deprecated_am_api_config.yml",
    ] {
        assert!(load(&dir.join(f), false, false).is_err(), "{f} accepted");
    }
    let escaping = |f: &str| {
        let c = load(&dir.join(f), false, false).unwrap();
        let j = &c.scrape_configs[0];
        (
            j.metric_name_validation_scheme.clone().unwrap(),
            j.metric_name_escaping_scheme.clone().unwrap(),
        )
    };
    assert_eq!(
        escaping("scrape_config_default_validation_mode.yml"),
        ("utf8".into(), "allow-utf-8".into())
    );
    assert_eq!(
        escaping("scrape_config_global_validation_mode.yml"),
        ("legacy".into(), "dots".into())
    );
    assert_eq!(
        escaping("scrape_config_local_validation_mode.yml"),
        ("legacy".into(), "values".into())
    );
    assert_eq!(
        escaping("scrape_config_local_global_validation_mode.yml").0,
        "utf8"
    );
    assert_eq!(
        escaping("scrape_config_local_infer_escaping.yml"),
        ("legacy".into(), "underscores".into())
    );
}

/// Words of `expected` that carry its meaning.
fn key_words(expected: &str) -> Vec<String> {
    const STOP: [&str; 14] = [
        "the", "and", "for", "with", "must", "type", "config", "value", "only", "one", "of", "be",
        "in", "is",
    ];
    expected
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.').to_lowercase())
        .filter(|w| w.len() > 1 && !STOP.contains(&w.as_str()))
        .collect()
}

/// Whether `got` says what `expected` says: the substring itself, or at least 80 % of its
/// key words.
fn same_meaning(got: &str, expected: &str) -> bool {
    let got_l = got.to_lowercase();
    if got_l.contains(&expected.to_lowercase()) {
        return true;
    }
    let words = key_words(expected);
    let hits = words.iter().filter(|w| got_l.contains(w.as_str())).count();
    !words.is_empty() && hits * 5 >= words.len() * 4
}

/// Every `*.bad.yml` is rejected; count how many errors match upstream's in meaning.
#[test]
fn bad_files_rejected() {
    let expected: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(testdata_path("prometheus-config/expected-errors.json")).unwrap(),
    )
    .unwrap();
    let expected: std::collections::BTreeMap<String, String> = expected
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["error_contains"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (mut total, mut exact, mut meaning, mut listed) = (0, 0, 0, 0);
    let mut accepted = Vec::new();
    let mut mismatched = Vec::new();
    for p in ymls().iter().filter(|p| name(p).ends_with(".bad.yml")) {
        total += 1;
        let err = match load(p, true, false) {
            Ok(_) => {
                accepted.push(name(p));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let Some(want) = expected.get(&name(p)) else {
            continue;
        };
        listed += 1;
        // Upstream's texts name the file as `testdata/<file>`; ours name the real path.
        let want_local = want.replace("testdata/", "");
        if err.contains(want.as_str()) || err.contains(&want_local) {
            exact += 1;
        }
        if same_meaning(&err, &want_local) {
            meaning += 1;
        } else {
            mismatched.push(format!("{}\n    want: {want}\n    got:  {err}", name(p)));
        }
    }
    println!(
        "bad files: {total} rejected: {} listed with expected text: {listed}",
        total - accepted.len()
    );
    println!("expected texts matched: exactly {exact}, in meaning {meaning} of {listed}");
    println!("not matching in meaning:\n{}", mismatched.join("\n"));
    assert!(accepted.is_empty(), "bad files accepted: {accepted:?}");
}

/// promtool's config fixtures that need no rule checking or file checks.
#[test]
fn promtool_config_fixtures() {
    let dir = testdata_path("promtool");
    for f in [
        "prometheus-config.good.yml",
        "prometheus-config.lint.yml",
        "prometheus-config.lint.too_long_scrape_interval.yml",
        "prometheus-aws-sd-empty-region.good.yml",
        "config_with_rule_files.yml",
        "config_with_service_discovery_files.yml",
        "config_with_tls_files.yml",
        "authorization_credentials_file.good.yml",
        "authorization_credentials_file.bad.yml",
        "url_in_scrape_targetgroup_with_relabel_config.good.yml",
        "url_in_alert_targetgroup_with_relabel_config.good.yml",
        // Rejected by `check config`, which relabels static targets; loading accepts them.
        "url_in_scrape_targetgroup_with_relabel_config.bad.yml",
        "url_in_alert_targetgroup_with_relabel_config.bad.yml",
    ] {
        if let Err(e) = load(&dir.join(f), false, false) {
            panic!("{f}: {e}");
        }
    }
    let bad = dir.join("prometheus-config.bad.yml");
    assert!(
        load(&bad, false, false).is_err(),
        "prometheus-config.bad.yml accepted"
    );
    for f in ["good-sd-file.yml", "good-sd-file.yaml", "good-sd-file.json"] {
        let p = dir.join(f);
        flint_config::targets::parse_target_groups(&p, &std::fs::read_to_string(&p).unwrap())
            .unwrap();
    }
    let p = dir.join("bad-sd-file-format.yml");
    assert!(
        flint_config::targets::parse_target_groups(&p, &std::fs::read_to_string(&p).unwrap())
            .is_err()
    );
}

/// Problems carry file, line and column, and all of them are reported.
#[test]
fn collects_positioned_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yml");
    std::fs::write(
        &p,
        "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n  - job_name: a\n  - job_name: b\n    kubernetes_sd_configs: [{role: pod}]\n",
    )
    .unwrap();
    let e = load(&p, true, false).unwrap_err();
    let probs = e.problems();
    assert_eq!(probs.len(), 3, "{e}");
    assert!(
        probs[0]
            .message
            .contains("scrape timeout greater than scrape interval")
    );
    assert_eq!((probs[0].line, probs[0].column), (2, 5));
    assert!(probs[1].message.contains("found multiple scrape configs"));
    assert_eq!(probs[2].message, "not supported yet: kubernetes_sd_configs");
    assert_eq!(probs[2].line, 7);
    assert!(
        e.to_string().starts_with(&format!("{}:2:5: ", p.display())),
        "{e}"
    );
    let e = load_file(&dir.path().join("missing.yml"), LoadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Read { .. }));
}
