//! The manager: pools per job, reload by diff, vanished targets and shutdown go stale.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flint_discovery::TargetGroup;
use flint_model::{Labels, is_stale_nan};
use flint_scrape::{Manager, ManagerOptions};

use crate::harness::{Recorder, job, serve};

fn group(addrs: &[&str]) -> TargetGroup {
    TargetGroup {
        source: "0".into(),
        targets: addrs
            .iter()
            .map(|a| Labels::from_pairs([("__address__", *a)]))
            .collect(),
        labels: Labels::empty(),
    }
}

async fn wait_up(m: &Manager, job: &str, n: usize) {
    for _ in 0..100 {
        let ts = m.targets().await;
        let up = ts
            .iter()
            .filter(|t| t.job == job)
            .flat_map(|t| t.active.iter())
            .filter(|t| t.health().health.as_str() != "unknown")
            .count();
        if up >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("targets of {job} not scraped in time");
}

fn stale_names(rec: &Recorder) -> Vec<String> {
    rec.take()
        .into_iter()
        .filter(|(_, _, v)| is_stale_nan(*v))
        .filter_map(|(l, _, _)| l.metric_name().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn reload_by_diff_and_staleness() {
    let addr = serve(Arc::new(Mutex::new("a 1\n".into())))
        .await
        .to_string();
    let rec = Recorder::default();
    let m = Manager::new(ManagerOptions {
        storage: Arc::new(rec.clone()),
        registry: flint_client::Registry::new(),
        offset_seed: 0,
    });
    let j = job("job_name: j\nscrape_interval: 200ms\nscrape_timeout: 100ms");
    m.apply_config(vec![j.clone()]).await.unwrap();
    m.sync(BTreeMap::from([("j".to_string(), vec![group(&[&addr])])]))
        .await;
    wait_up(&m, "j", 1).await;
    let first = m.targets().await[0].active[0].clone();
    // The same config keeps the loop (same target object).
    m.apply_config(vec![j.clone()]).await.unwrap();
    assert!(Arc::ptr_eq(&first, &m.targets().await[0].active[0]));
    // A changed config restarts it.
    let j2 = job("job_name: j\nscrape_interval: 300ms\nscrape_timeout: 100ms");
    m.apply_config(vec![j2]).await.unwrap();
    let second = m.targets().await[0].active[0].clone();
    assert!(!Arc::ptr_eq(&first, &second));
    wait_up(&m, "j", 1).await;
    // A vanished target writes staleness markers for its series and report series.
    rec.take();
    m.sync(BTreeMap::from([("j".to_string(), vec![])])).await;
    let mut stale = Vec::new();
    for _ in 0..100 {
        stale.extend(stale_names(&rec));
        if stale.contains(&"a".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        stale.contains(&"a".to_string()) && stale.contains(&"up".to_string()),
        "{stale:?}"
    );
    assert!(m.targets().await[0].active.is_empty());
}

#[tokio::test]
async fn target_limit_and_shutdown() {
    let addr = serve(Arc::new(Mutex::new("a 1\n".into())))
        .await
        .to_string();
    let rec = Recorder::default();
    let m = Manager::new(ManagerOptions {
        storage: Arc::new(rec.clone()),
        registry: flint_client::Registry::new(),
        offset_seed: 0,
    });
    let j = job(
        "job_name: lim\nscrape_interval: 200ms\nscrape_timeout: 100ms\ntarget_limit: 1\nrelabel_configs: [{source_labels: [__address__], regex: 'drop.*', action: drop}]",
    );
    m.apply_config(vec![j]).await.unwrap();
    let other = addr.replace("127.0.0.1", "localhost");
    m.sync(BTreeMap::from([(
        "lim".to_string(),
        vec![group(&[&addr, &other, "drop:1"])],
    )]))
    .await;
    wait_up(&m, "lim", 2).await;
    let ts = m.targets().await;
    assert_eq!(ts[0].dropped_total, 1);
    for t in &ts[0].active {
        assert!(
            t.health().last_error.starts_with("target_limit exceeded"),
            "{:?} {}",
            t.health(),
            ts[0].cfg.target_limit
        );
    }
    // Shutdown stops every loop and marks its series stale.
    let j = job("job_name: ok\nscrape_interval: 200ms\nscrape_timeout: 100ms");
    m.apply_config(vec![j]).await.unwrap();
    m.sync(BTreeMap::from([("ok".to_string(), vec![group(&[&addr])])]))
        .await;
    wait_up(&m, "ok", 1).await;
    rec.take();
    m.stop().await;
    assert!(stale_names(&rec).contains(&"a".to_string()));
    assert!(m.targets().await.is_empty());
}
