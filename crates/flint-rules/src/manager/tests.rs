//! The manager's loop and reloads, under tokio's paused clock.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use flint_storage::memory::MemStorage;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::alerting::AlertState;
use crate::group::tests::{MIN, append, config, manager, read};

const GROUP: &str = "groups:\n- name: g\n  rules:\n  - record: two\n    expr: vector(2)\n  - alert: Always\n    expr: vector(1)\n    for: 2m\n";

fn start(m: &Manager) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let cancel = CancellationToken::new();
    let task = tokio::spawn(m.clone().run(cancel.clone()));
    (cancel, task)
}

#[tokio::test(start_paused = true)]
async fn groups_evaluate_on_their_aligned_ticker() {
    let storage = MemStorage::new();
    let dir = tempfile::tempdir().unwrap();
    let (m, sink) = manager(&storage, Clock::starting_at(0));
    let cfg = config(&dir, "r.yml", GROUP);
    m.update(&cfg).await.unwrap();
    assert!(
        read(&storage, "two").is_empty(),
        "nothing runs before run()"
    );
    let (cancel, task) = start(&m);
    tokio::time::sleep(Duration::from_secs(5 * 60 + 1)).await;
    let g = &m.groups()[0];
    let slot = g.eval_timestamp(0) + MIN;
    let times: Vec<i64> = read(&storage, "two")[0].1.iter().map(|p| p.0).collect();
    assert!(times.len() >= 4, "{times:?}");
    assert_eq!(times[0], slot);
    assert!(times.windows(2).all(|w| w[1] - w[0] == MIN), "{times:?}");
    assert_eq!(g.last_eval_timestamp(), times.last().copied());
    // On startup the alert writes no ALERTS until restored after the second evaluation,
    // but it still fires (and is sent) once its `for` has passed.
    let alerts = read(&storage, "ALERTS");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].0.contains("firing"));
    assert_eq!(
        alerts[0].1[0].0,
        slot + 2 * MIN,
        "written from the third evaluation"
    );
    let sent = sink.take();
    assert!(!sent.is_empty());
    assert_eq!(sent[0].starts_at, slot + 2 * MIN);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn reloads_keep_unchanged_groups_and_carry_state() {
    let storage = MemStorage::new();
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = manager(&storage, Clock::starting_at(0));
    let two = format!("{GROUP}- name: other\n  rules:\n  - record: three\n    expr: vector(3)\n");
    let cfg = config(&dir, "r.yml", &two);
    m.update(&cfg).await.unwrap();
    let (cancel, task) = start(&m);
    tokio::time::sleep(Duration::from_secs(4 * 60)).await;
    let before = m.groups();
    let Rule::Alerting(a) = &before[0].rules()[1] else {
        panic!()
    };
    assert_eq!(a.state(), AlertState::Firing);

    // Same file: nothing restarts.
    m.update(&cfg).await.unwrap();
    assert!(Arc::ptr_eq(&before[0], &m.groups()[0]));

    // Change `g` (a new rule), drop `other`: `g` is rebuilt with its alert, `other` goes.
    let changed = GROUP.replace(
        "  - alert: Always",
        "  - record: four\n    expr: vector(4)\n  - alert: Always",
    );
    let cfg2 = config(&dir, "r.yml", &changed);
    m.update(&cfg2).await.unwrap();
    let after = m.groups();
    assert_eq!(after.len(), 1);
    assert!(!Arc::ptr_eq(&before[0], &after[0]));
    let Rule::Alerting(a) = &after[0].rules()[2] else {
        panic!()
    };
    assert_eq!(
        a.state(),
        AlertState::Firing,
        "alert state survives the change"
    );
    assert!(a.restored());
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    let three = read(&storage, "three");
    let last = three[0].1.last().copied().unwrap();
    assert!(
        flint_model::is_stale_nan(last.1),
        "removed group marked stale: {three:?}"
    );

    // A broken file changes nothing.
    let bad = config(
        &dir,
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - record: x\n    expr: 'up +'\n",
    );
    let e = m.update(&bad).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("error loading rules, previous rule set restored"),
        "{e}"
    );
    assert!(Arc::ptr_eq(&after[0], &m.groups()[0]));
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn startup_restores_for_state() {
    let storage = MemStorage::new();
    let dir = tempfile::tempdir().unwrap();
    let t0 = 100 * MIN;
    let (m, _) = manager(&storage, Clock::starting_at(t0));
    // The alert had been pending for 20m of its 30m when the server stopped 5m ago.
    append(
        &storage,
        r#"ALERTS_FOR_STATE{alertname="Long"}"#,
        &[(t0 - 5 * MIN, ((t0 - 25 * MIN) / 1000) as f64)],
    );
    let cfg = config(
        &dir,
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - alert: Long\n    expr: vector(1)\n    for: 30m\n",
    );
    m.update(&cfg).await.unwrap();
    let (cancel, task) = start(&m);
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    let groups = m.groups();
    let Rule::Alerting(a) = &groups[0].rules()[0] else {
        panic!()
    };
    let alert = &a.alerts()[0];
    assert!(a.restored());
    // Shifted by the ~5m outage plus the time to the restore: 10m left from restart.
    let restored_at = alert.active_at;
    assert!(
        restored_at > t0 - 25 * MIN && restored_at <= t0 - 18 * MIN,
        "{}",
        restored_at - t0
    );
    assert_eq!(alert.state, AlertState::Pending);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn globs_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let storage = MemStorage::new();
    let (m, _) = manager(&storage, Clock::system());
    let mut cfg = config(&dir, "a.yml", GROUP);
    config(&dir, "b.yml", "groups:\n- name: h\n  rules: []\n");
    cfg.files = vec![
        format!("{}/*.yml", dir.path().display()),
        "/nonexistent/*.yml".into(),
    ];
    let groups = m.load_groups(&cfg, true).unwrap();
    assert_eq!(
        groups.iter().map(|g| g.name()).collect::<Vec<_>>(),
        ["g", "h"]
    );
    cfg.files = vec!["/nonexistent/x.yml".into()];
    assert!(
        m.load_groups(&cfg, true).unwrap().is_empty(),
        "a missing literal path globs to nothing"
    );
    cfg.files = vec!["[".into()];
    assert!(m.load_groups(&cfg, true).is_err());
}
