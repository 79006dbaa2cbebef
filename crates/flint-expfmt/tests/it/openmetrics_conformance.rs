//! The OpenMetrics 1.0 parser conformance suite (`testdata/openmetrics/parsers`).

use flint_expfmt::openmetrics::OpenMetricsParser;
use flint_testkit::testdata::list_dir;

#[test]
fn openmetrics_conformance() {
    let (mut good, mut good_ok, mut bad, mut bad_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for case in list_dir("openmetrics/parsers") {
        let meta = std::fs::read_to_string(case.join("test.json")).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        let should_parse = meta["shouldParse"].as_bool().unwrap();
        let input = std::fs::read(case.join("metrics")).unwrap();
        let result: Result<Vec<_>, _> = OpenMetricsParser::new(&input).collect();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if should_parse {
            good += 1;
            match &result {
                Ok(_) => good_ok += 1,
                Err(e) => failures.push(format!("{name}: should parse, got {e}")),
            }
        } else {
            bad += 1;
            match &result {
                Err(e) => {
                    assert!(e.line >= 1 && e.column >= 1, "{name}: {e}");
                    bad_ok += 1;
                }
                Ok(_) => failures.push(format!("{name}: should be rejected")),
            }
        }
    }
    println!("openmetrics conformance: {good_ok}/{good} good parsed, {bad_ok}/{bad} bad rejected");
    assert_eq!((good, bad), (44, 167));
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
