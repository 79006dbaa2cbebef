//! Group evaluation against the in-memory storage and the real engine.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use flint_model::Matcher;
use flint_storage::memory::MemStorage;
use flint_storage::{Appendable, Queryable, ValueType};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::alerting::AlertState;
use crate::clock::Clock;
use crate::manager::{Manager, ManagerOptions, RulesConfig};
use crate::query::EngineQuery;
use crate::rule::Health;
use crate::sink::RecordingSink;

pub(crate) const MIN: i64 = 60_000;

/// A manager over a fresh in-memory storage, with its sink.
pub(crate) fn manager(storage: &MemStorage, clock: Clock) -> (Manager, RecordingSink) {
    let sink = RecordingSink::default();
    let query = EngineQuery::new(
        flint_promql::Engine::new(flint_promql::EngineOptions::default()),
        Arc::new(storage.clone()),
        CancellationToken::new(),
    );
    let mut opts = ManagerOptions::new(
        Arc::new(query),
        Arc::new(storage.clone()),
        Arc::new(storage.clone()),
        Arc::new(sink.clone()),
    );
    opts.clock = clock;
    (Manager::new(opts), sink)
}

/// Writes `text` as a rule file in `dir` and returns a config naming it.
pub(crate) fn config(dir: &tempfile::TempDir, name: &str, text: &str) -> RulesConfig {
    let path = dir.path().join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    RulesConfig {
        files: vec![path.display().to_string()],
        evaluation_interval: Duration::from_secs(60),
        external_url: "http://prom:9090".into(),
        ..RulesConfig::default()
    }
}

pub(crate) fn append(storage: &MemStorage, series: &str, points: &[(i64, f64)]) {
    let (labels, _) = flint_promql::promqltest::parse_series(series)
        .map(|d| (d.labels, ()))
        .unwrap();
    let mut app = storage.appender();
    for (t, v) in points {
        app.append(None, &labels, *t, *v).unwrap();
    }
    app.commit().unwrap();
}

/// Every sample of the series named `name`: (labels, [(t, v)]).
pub(crate) fn read(storage: &MemStorage, name: &str) -> Vec<(String, Vec<(i64, f64)>)> {
    let q = storage.querier(i64::MIN / 2, i64::MAX / 2).unwrap();
    let mut set = q.select(true, None, &[Matcher::equal("__name__", name)]);
    let mut out = Vec::new();
    while let Some(s) = set.next_series() {
        let s = s.unwrap();
        let mut it = s.iterator();
        let mut pts = Vec::new();
        while it.next() == ValueType::Float {
            pts.push(it.at());
        }
        out.push((s.labels().to_string(), pts));
    }
    out
}

fn load(m: &Manager, cfg: &RulesConfig) -> Vec<Arc<Group>> {
    m.load_groups(cfg, true).unwrap()
}

#[test]
fn eval_timestamps_are_aligned_and_stable() {
    let storage = MemStorage::new();
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = manager(&storage, Clock::starting_at(0));
    let cfg = config(
        &dir,
        "r.yml",
        "groups:\n- name: a\n  rules:\n  - record: x\n    expr: 1\n- name: b\n  rules:\n  - record: y\n    expr: 1\n",
    );
    let groups = load(&m, &cfg);
    let (a, b) = (&groups[0], &groups[1]);
    let now = 1_700_000_012_345;
    let ta = a.eval_timestamp(now);
    assert!(ta <= now && now - ta < MIN);
    assert_eq!(a.eval_timestamp(now + MIN), ta + MIN);
    assert_eq!(a.eval_timestamp(ta), ta);
    assert_ne!(ta, b.eval_timestamp(now), "groups get their own slots");
    assert_eq!(
        load(&m, &cfg)[0].eval_timestamp(now),
        ta,
        "stable across loads"
    );
}

#[test]
fn recording_rules_append_and_mark_stale() {
    let storage = MemStorage::new();
    append(&storage, r#"up{job="a"}"#, &[(0, 1.0), (MIN, 0.0)]);
    append(&storage, r#"up{job="b"}"#, &[(0, 1.0)]);
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = manager(&storage, Clock::starting_at(0));
    let cfg = config(
        &dir,
        "r.yml",
        "groups:\n- name: g\n  query_offset: 10s\n  rules:\n  - record: job:up:max\n    expr: max by (job) (up == 1)\n    labels: {team: core}\n  - record: bad\n    expr: up + on() up\n  - record: after\n    expr: vector(2)\n",
    );
    let g = &load(&m, &cfg)[0];
    g.eval(MIN / 2);
    g.eval(MIN + 20_000);
    let got = read(&storage, "job:up:max");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, r#"{__name__="job:up:max", job="a", team="core"}"#);
    let a = &got[0].1;
    assert_eq!(a[0], (20_000, 1.0));
    assert!(
        a[1].0 == 70_000 && flint_model::is_stale_nan(a[1].1),
        "{a:?}"
    );
    assert_eq!(got[1].1, [(20_000, 1.0), (70_000, 1.0)]);
    let st = g.rules()[1].status();
    assert_eq!(st.health, Health::Bad);
    assert!(st.last_error.unwrap().contains("many-to-many"));
    assert_eq!(
        g.rules()[2].status().health,
        Health::Good,
        "failures never stop the group"
    );
    assert_eq!(read(&storage, "after")[0].1, [(20_000, 2.0), (70_000, 2.0)]);
}

#[test]
fn alerting_rules_write_alerts_and_notify() {
    let storage = MemStorage::new();
    append(
        &storage,
        r#"up{job="a"}"#,
        &[(0, 0.0), (MIN, 0.0), (2 * MIN, 0.0)],
    );
    let dir = tempfile::tempdir().unwrap();
    let (m, sink) = manager(&storage, Clock::starting_at(0));
    let cfg = config(
        &dir,
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 1m\n    annotations: {summary: '{{ $labels.job }} down'}\n",
    );
    let g = &load(&m, &cfg)[0];
    g.eval(0);
    assert!(sink.take().is_empty());
    g.eval(MIN);
    let sent = sink.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].labels.to_string(), r#"{alertname="Down", job="a"}"#);
    assert_eq!(sent[0].annotations.get("summary"), Some("a down"));
    assert_eq!(sent[0].starts_at, MIN);
    let alerts = read(&storage, "ALERTS");
    assert_eq!(
        alerts[0].0,
        r#"{__name__="ALERTS", alertname="Down", alertstate="firing", job="a"}"#
    );
    assert_eq!(alerts[0].1, [(MIN, 1.0)]);
    assert_eq!(
        alerts[1].0,
        r#"{__name__="ALERTS", alertname="Down", alertstate="pending", job="a"}"#
    );
    assert!(
        flint_model::is_stale_nan(alerts[1].1[1].1),
        "pending series goes stale when firing"
    );
    assert_eq!(
        read(&storage, "ALERTS_FOR_STATE")[0].1,
        [(0, 0.0), (MIN, 0.0)]
    );
    let Rule::Alerting(a) = &g.rules()[0] else {
        panic!()
    };
    assert_eq!(a.state(), AlertState::Firing);
}

#[test]
fn restore_shifts_pending_alerts_by_the_outage() {
    let storage = MemStorage::new();
    // Before the restart: pending since t=10m, last written at t=14m (for: 10m).
    append(
        &storage,
        r#"ALERTS_FOR_STATE{alertname="Slow",job="a",severity="page"}"#,
        &[(14 * MIN, 600.0)],
    );
    append(
        &storage,
        r#"ALERTS_FOR_STATE{alertname="Fast",job="a"}"#,
        &[(14 * MIN, 600.0)],
    );
    append(
        &storage,
        r#"ALERTS_FOR_STATE{alertname="Nearly",job="a"}"#,
        &[(14 * MIN, 240.0)],
    );
    append(&storage, r#"up{job="a"}"#, &[(20 * MIN, 0.0)]);
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = manager(&storage, Clock::starting_at(0));
    let cfg = config(
        &dir,
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - alert: Slow\n    expr: up == 0\n    for: 1h\n    labels: {severity: page}\n  - alert: Fast\n    expr: up == 0\n    for: 5m\n  - alert: Nearly\n    expr: up == 0\n    for: 15m\n",
    );
    let g = &m.load_groups(&cfg, false).unwrap()[0];
    g.eval(20 * MIN);
    g.eval(21 * MIN);
    assert!(
        read(&storage, "ALERTS").is_empty(),
        "nothing written before the restore"
    );
    g.restore_for_state(21 * MIN);
    let active = |i: usize| match &g.rules()[i] {
        Rule::Alerting(a) => a.alerts()[0].active_at,
        Rule::Recording(_) => unreachable!(),
    };
    // Slow: 4m spent of 1h, down 7m: active 10m + 7m.
    assert_eq!(active(0), 17 * MIN);
    // Fast: for < grace period: not restored, keeps its own activation.
    assert_eq!(active(1), 20 * MIN);
    // Nearly: 10m spent of 15m, 5m left is less than the 10m grace: fires 10m after now.
    assert_eq!(active(2), 21 * MIN + 10 * MIN - 15 * MIN);
    g.eval(22 * MIN);
    assert!(!read(&storage, "ALERTS").is_empty());
}
