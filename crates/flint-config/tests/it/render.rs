//! Rendering for `/api/v1/status/config` and the round trip.

use flint_config::{LoadOptions, load_file, load_str};
use flint_testkit::testdata::testdata_path;

#[test]
fn secrets_are_masked() {
    let cfg = load_file(
        &testdata_path("prometheus-config/conf.good.yml"),
        LoadOptions {
            reject_unsupported_sd: false,
            agent_mode: false,
        },
    )
    .unwrap();
    let yaml = cfg.to_yaml();
    for secret in ["mysecret", "multiline", "456"] {
        assert!(!yaml.contains(secret), "{secret} shown:\n{yaml}");
    }
    assert!(yaml.contains("<secret>"));
    assert!(yaml.contains("job_name: service-x"));
}

#[test]
fn roundtrip_loads_again() {
    let opts = LoadOptions {
        reject_unsupported_sd: false,
        agent_mode: false,
    };
    let cfg = load_file(&testdata_path("prometheus-config/roundtrip.good.yml"), opts).unwrap();
    let again = load_str(&cfg.to_yaml(), opts).unwrap();
    assert_eq!(again.scrape_configs.len(), cfg.scrape_configs.len());
    assert_eq!(again.global, cfg.global);
}

#[test]
fn defaults_as_upstream() {
    let cfg = load_str("scrape_configs:\n  - job_name: x\n", LoadOptions::default()).unwrap();
    assert_eq!(cfg.global.scrape_interval().to_string(), "1m");
    assert_eq!(cfg.global.evaluation_interval().to_string(), "1m");
    let j = &cfg.scrape_configs[0];
    assert_eq!(j.interval().to_string(), "1m");
    assert_eq!(j.timeout().to_string(), "10s");
    assert_eq!(j.metrics_path, "/metrics");
    assert_eq!(j.scheme, "http");
    assert!(j.honor_timestamps && j.enable_compression && j.follow_redirects);
    assert_eq!(j.protocols().len(), 4);
    let cfg = load_str(
        "global: {scrape_interval: 5s}\nscrape_configs: [{job_name: y}]\n",
        LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(cfg.scrape_configs[0].timeout().to_string(), "5s");
}
