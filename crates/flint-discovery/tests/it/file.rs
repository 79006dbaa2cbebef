//! File SD: JSON and YAML, `__meta_filepath`, a bad file keeps the last good groups.

use std::collections::BTreeMap;
use std::time::Duration;

use flint_config::{FileSdConfig, SdConfig};
use flint_discovery::{DiscovererDeps, Manager, ManagerOptions, TargetSets};

async fn wait_for(
    rx: &mut tokio::sync::mpsc::Receiver<TargetSets>,
    f: impl Fn(&TargetSets) -> bool,
) -> TargetSets {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let s = rx.recv().await.unwrap();
            if f(&s) {
                return s;
            }
        }
    })
    .await
    .expect("expected target sets in time")
}

fn count(s: &TargetSets) -> usize {
    s["files"].iter().map(|g| g.targets.len()).sum()
}

#[tokio::test]
async fn reads_watches_and_keeps_last_good() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("a.json");
    std::fs::write(
        &json,
        r#"[{"targets": ["x:1", "x:2"], "labels": {"env": "prod"}}]"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("b.yml"), "- targets: ['y:1']\n").unwrap();
    let mut o = ManagerOptions::new("scrape", DiscovererDeps::default());
    o.sync_period = Duration::from_millis(50);
    let metrics = o.metrics.clone();
    let (m, mut rx) = Manager::new(o);
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::spawn(m.clone().run(cancel.clone()));
    let cfg = SdConfig::File(FileSdConfig {
        files: vec![
            format!("{}/*.json", dir.path().display()),
            format!("{}/*.yml", dir.path().display()),
        ],
        refresh_interval: flint_config::Duration::from_secs(3600),
    });
    m.apply_config(&BTreeMap::from([("files".to_string(), vec![cfg])]));
    let s = wait_for(&mut rx, |s| count(s) == 3).await;
    let g = s["files"]
        .iter()
        .find(|g| g.source.contains("a.json"))
        .unwrap();
    assert_eq!(g.labels.get("env"), Some("prod"));
    assert_eq!(
        g.labels.get("__meta_filepath"),
        Some(json.display().to_string().as_str())
    );
    // A broken file keeps its targets and counts an error.
    std::fs::write(&json, "[{not json").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(metrics.file.read_errors.get() >= 1);
    assert_eq!(count(&m.all_groups()), 3);
    // A fixed file is picked up by the watch.
    std::fs::write(&json, r#"[{"targets": ["x:9"]}]"#).unwrap();
    wait_for(&mut rx, |s| count(s) == 2).await;
    // A removed file's targets go away.
    std::fs::remove_file(dir.path().join("b.yml")).unwrap();
    wait_for(&mut rx, |s| count(s) == 1).await;
    cancel.cancel();
}
