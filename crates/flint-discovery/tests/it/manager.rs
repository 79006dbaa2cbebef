//! The manager: shared providers, throttling, no lost updates, removal.

use std::collections::BTreeMap;
use std::time::Duration;

use flint_config::{SdConfig, StaticConfig};
use flint_discovery::{DiscovererDeps, Manager, ManagerOptions};

fn static_cfg(targets: &[&str]) -> SdConfig {
    SdConfig::Static(vec![StaticConfig {
        targets: targets.iter().map(|s| s.to_string()).collect(),
        labels: Default::default(),
    }])
}

fn opts() -> ManagerOptions {
    let mut o = ManagerOptions::new("scrape", DiscovererDeps::default());
    o.sync_period = Duration::from_secs(5);
    o
}

#[tokio::test(start_paused = true)]
async fn shares_providers_and_throttles() {
    let (m, mut rx) = Manager::new(opts());
    let cancel = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(m.clone().run(cancel.clone()));
    let a = static_cfg(&["a:1"]);
    let cfgs = BTreeMap::from([
        ("j1".to_string(), vec![a.clone()]),
        ("j2".to_string(), vec![a.clone()]),
    ]);
    assert_eq!(m.apply_config(&cfgs), 0);
    // The first delivery may come before the provider reported; wait for targets.
    let mut sets = rx.recv().await.unwrap();
    while sets.values().any(|g| g.is_empty()) {
        sets = rx.recv().await.unwrap();
    }
    assert_eq!(sets["j1"][0].targets.len(), 1);
    assert_eq!(sets["j1"], sets["j2"]);
    // A change right after a delivery waits for the sync period.
    let t0 = tokio::time::Instant::now();
    let b = static_cfg(&["b:1", "b:2"]);
    m.apply_config(&BTreeMap::from([
        ("j1".to_string(), vec![a.clone()]),
        ("j3".to_string(), vec![b]),
    ]));
    let mut sets = rx.recv().await.unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(4), "{:?}", t0.elapsed());
    while sets.get("j3").is_none_or(|g| g.is_empty()) {
        sets = rx.recv().await.unwrap();
    }
    assert!(!sets.contains_key("j2"), "removed job still delivered");
    assert_eq!(sets["j3"][0].targets.len(), 2);
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn busy_receiver_loses_nothing() {
    let (m, mut rx) = Manager::new(opts());
    let cancel = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn(m.clone().run(cancel.clone()));
    m.apply_config(&BTreeMap::from([(
        "j".to_string(),
        vec![static_cfg(&["a:1"])],
    )]));
    tokio::time::sleep(Duration::from_secs(6)).await;
    // The channel now holds one delivery; further changes cannot be sent yet.
    for i in 0..3 {
        let t = format!("c:{i}");
        m.apply_config(&BTreeMap::from([(
            "j".to_string(),
            vec![static_cfg(&[&t])],
        )]));
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    let _stale = rx.recv().await.unwrap();
    let mut last = rx.recv().await.unwrap();
    while last["j"].is_empty() || last["j"][0].targets[0].get("__address__") != Some("c:2") {
        last = rx.recv().await.unwrap();
    }
    cancel.cancel();
    run.await.unwrap();
}
