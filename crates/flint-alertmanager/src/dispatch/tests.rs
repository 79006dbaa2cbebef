use std::time::Duration;

use super::*;
use crate::config::Config;
use crate::time::ZERO_TIME;

#[derive(Default)]
struct Recorder {
    flushes: Mutex<Vec<(u64, String, usize)>>,
    start: Mutex<Option<Instant>>,
}

impl Flusher for Recorder {
    fn flush<'a>(&'a self, ctx: &'a FlushCtx, alerts: Vec<Arc<Alert>>) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let start = self
                .start
                .lock()
                .expect("lock")
                .unwrap_or_else(Instant::now);
            let at = Instant::now().duration_since(start).as_millis() as u64;
            self.flushes
                .lock()
                .expect("lock")
                .push((at, ctx.group_key.to_string(), alerts.len()));
            true
        })
    }
}

fn alert(pairs: &[(&str, &str)], starts_at: Millis) -> Alert {
    let labels = Labels::from_pairs(pairs.iter().copied());
    Alert {
        fingerprint: Fingerprint::of(&labels),
        labels,
        annotations: Arc::from(Vec::new()),
        starts_at,
        ends_at: ZERO_TIME,
        generator_url: Arc::from(""),
        updated_at: starts_at,
        timeout: false,
    }
}

const CFG: &str = "route: {receiver: r, group_by: [alertname], group_wait: 1s, group_interval: 5s}\nreceivers: [{name: r}]\n";

async fn setup(cfg: &str) -> (Arc<Store>, Dispatcher, Arc<Recorder>, CancellationToken) {
    let clock = Clock::starting_at(1_000_000);
    let store = Arc::new(Store::new(clock.clone()));
    let rec = Arc::new(Recorder::default());
    *rec.start.lock().expect("lock") = Some(Instant::now());
    let tree = RouteNode::build(&Config::load(cfg).expect("cfg").route);
    let d = Dispatcher::new(tree, rec.clone(), clock, Box::new(|_| {}));
    let cancel = CancellationToken::new();
    tokio::spawn(d.clone().run(store.clone(), cancel.clone()));
    tokio::task::yield_now().await;
    (store, d, rec, cancel)
}

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn flushes(r: &Recorder) -> Vec<(u64, String, usize)> {
    r.flushes.lock().expect("lock").clone()
}

#[tokio::test(start_paused = true)]
async fn group_wait_then_group_interval() {
    let (store, d, rec, cancel) = setup(CFG).await;
    store.put(vec![alert(&[("alertname", "A"), ("i", "1")], 1_000_000)]);
    sleep_ms(500).await;
    // A second alert of the same group joins before the first flush.
    store.put(vec![alert(&[("alertname", "A"), ("i", "2")], 1_000_500)]);
    store.put(vec![alert(&[("alertname", "B")], 1_000_500)]);
    sleep_ms(11_200).await;
    let f = flushes(&rec);
    let a: Vec<_> = f.iter().filter(|x| x.1.contains("\"A\"")).collect();
    assert_eq!(a[0].0, 1000);
    assert_eq!(a[0].2, 2);
    assert_eq!(a[1].0, 6000);
    assert_eq!(a[2].0, 11000);
    let b: Vec<_> = f.iter().filter(|x| x.1.contains("\"B\"")).collect();
    assert_eq!(b[0].0, 1500);
    assert_eq!(a[0].1, r#"{}:{alertname="A"}"#);
    assert_eq!(d.group_count(), 2);
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn old_alerts_flush_at_once_and_resolved_groups_go_away() {
    let (store, d, rec, cancel) = setup(CFG).await;
    // Started long ago: group_wait is already over.
    let mut a = alert(&[("alertname", "A")], 0);
    store.put(vec![a.clone()]);
    sleep_ms(10).await;
    assert_eq!(flushes(&rec).first().map(|f| f.0), Some(0));
    a.ends_at = 1_000_100;
    a.updated_at = 1_000_100;
    store.put(vec![a]);
    sleep_ms(5_100).await;
    assert_eq!(d.group_count(), 0);
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_unchanged_groups_timing() {
    let (store, d, rec, cancel) = setup(CFG).await;
    store.put(vec![alert(&[("alertname", "A")], 1_000_000)]);
    sleep_ms(2_000).await;
    let tree = RouteNode::build(&Config::load(CFG).expect("cfg").route);
    d.reload(tree, rec.clone(), &store);
    sleep_ms(4_100).await;
    let times: Vec<u64> = flushes(&rec).iter().map(|f| f.0).collect();
    // No extra flush at reload: still 1s, then 6s.
    assert_eq!(times, vec![1000, 6000]);
    cancel.cancel();
}

#[test]
fn alerts_sort_by_job_then_instance_then_labels() {
    let mk = |pairs: &[(&str, &str)]| Arc::new(alert(pairs, 0));
    let mut v = vec![
        mk(&[("alertname", "z")]),
        mk(&[("alertname", "b"), ("job", "a")]),
        mk(&[("alertname", "a"), ("instance", "i2"), ("job", "a")]),
        mk(&[("alertname", "b"), ("instance", "i1"), ("job", "a")]),
        mk(&[("alertname", "a"), ("instance", "i1"), ("job", "a")]),
        mk(&[("alertname", "a"), ("job", "0")]),
        mk(&[("alertname", "a")]),
    ];
    group::sort_alerts(&mut v);
    let got: Vec<String> = v.iter().map(|a| a.labels.to_string()).collect();
    assert_eq!(
        got,
        [
            r#"{alertname="a", job="0"}"#,
            r#"{alertname="a", instance="i1", job="a"}"#,
            r#"{alertname="b", instance="i1", job="a"}"#,
            r#"{alertname="a", instance="i2", job="a"}"#,
            r#"{alertname="b", job="a"}"#,
            r#"{alertname="a"}"#,
            r#"{alertname="z"}"#,
        ]
    );
}
