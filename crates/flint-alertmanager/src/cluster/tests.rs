//! In-process peers over loopback: membership, gossip of changes, push-pull, position,
//! labels and TLS.

use std::time::Duration;

use flint_model::Matcher;

use super::*;
use crate::nflog::{Nflog, ReceiverKey};
use crate::silence::{Limits, Silence, Silences};
use crate::time::Clock;

struct TestPeer {
    cluster: Cluster,
    silences: Arc<Silences>,
    nflog: Arc<Nflog>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

fn fast(peers: Vec<String>) -> Options {
    Options {
        peers,
        peer_timeout: Duration::from_millis(300),
        gossip_interval: Duration::from_millis(50),
        pushpull_interval: Duration::from_millis(500),
        probe_interval: Duration::from_millis(100),
        probe_timeout: Duration::from_millis(50),
        tcp_timeout: Duration::from_secs(2),
        settle_timeout: Duration::from_secs(5),
        reconnect_interval: Duration::from_millis(200),
        ..Options::new("127.0.0.1:0".parse().expect("addr"))
    }
}

async fn start(opts: Options) -> TestPeer {
    let clock = Clock::system();
    let silences = Arc::new(Silences::new(
        clock.clone(),
        3_600_000,
        Limits::default(),
        None,
    ));
    let nflog = Arc::new(Nflog::new(clock, 3_600_000, None));
    let node = ClusterNode::new(
        opts,
        Replicated {
            silences: silences.clone(),
            nflog: nflog.clone(),
        },
        &flint_client::Registry::new(),
    )
    .expect("bind");
    let cluster = node.handle();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(node.run(cancel.clone()));
    TestPeer {
        cluster,
        silences,
        nflog,
        cancel,
        task,
    }
}

impl TestPeer {
    fn addr(&self) -> String {
        self.cluster.me().addr.to_string()
    }

    async fn stop(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

/// Polls `f` until it holds or `secs` pass; returns whether it held.
async fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

fn silence(comment: &str) -> Silence {
    let now = Clock::system().now();
    Silence {
        id: String::new(),
        matchers: vec![Matcher::equal("alertname", "A")],
        starts_at: now,
        ends_at: now + 3_600_000,
        updated_at: 0,
        created_by: "t".into(),
        comment: comment.into(),
    }
}

fn rk() -> ReceiverKey {
    ReceiverKey {
        group_name: "r".into(),
        integration: "webhook".into(),
        idx: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_meet_gossip_changes_and_order_by_name() {
    let a = start(fast(vec![])).await;
    let b = start(fast(vec![a.addr()])).await;
    let c = start(fast(vec![a.addr()])).await;
    let all = [&a, &b, &c];
    assert!(
        eventually(10, || all.iter().all(|p| p.cluster.members().len() == 2)).await,
        "members: {:?}",
        all.map(|p| p.cluster.members())
    );
    // Ordered by name (ULIDs: the oldest first).
    let mut names: Vec<String> = all.iter().map(|p| p.cluster.me().name).collect();
    names.sort();
    for p in all {
        let rank = names.iter().position(|n| *n == p.cluster.me().name);
        assert_eq!(Some(p.cluster.position() as usize), rank);
    }
    assert!(eventually(10, || all.iter().all(|p| p.cluster.is_settled())).await);
    assert_eq!(a.cluster.status().peers.len(), 3);
    assert_eq!(a.cluster.status().status, "ready");
    // A silence set on B reaches A and C; expiring it too.
    let t = std::time::Instant::now();
    let id = b.silences.set(silence("small")).expect("set");
    assert!(
        eventually(5, || a.silences.get(&id).is_some()
            && c.silences.get(&id).is_some())
        .await
    );
    eprintln!("silence gossiped to all in {:?}", t.elapsed());
    b.silences.expire(&id).expect("expire");
    let now = || Clock::system().now();
    assert!(
        eventually(5, || {
            [&a, &c].iter().all(|p| {
                p.silences
                    .get(&id)
                    .is_some_and(|s| s.state(now()) == crate::silence::SilenceState::Expired)
            })
        })
        .await
    );
    // An oversized silence travels over TCP.
    let big = c.silences.set(silence(&"x".repeat(4000))).expect("set");
    assert!(
        eventually(5, || a.silences.get(&big).is_some()
            && b.silences.get(&big).is_some())
        .await
    );
    // nflog entries and intents.
    c.nflog.log(&rk(), "g", vec![1], vec![], now());
    assert!(
        eventually(5, || a.nflog.query("g", &rk()).is_some()
            && b.nflog.query("g", &rk()).is_some())
        .await
    );
    for p in [a, b, c] {
        p.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiner_gets_full_state_and_failures_are_detected() {
    let a = start(fast(vec![])).await;
    let id = a.silences.set(silence("before")).expect("set");
    a.nflog
        .log(&rk(), "g", vec![7], vec![], Clock::system().now());
    let b = start(fast(vec![a.addr()])).await;
    // The initial push-pull brings everything before settling.
    assert!(
        eventually(5, || b.silences.get(&id).is_some()
            && b.nflog.query("g", &rk()).is_some())
        .await
    );
    assert!(
        eventually(10, || a.cluster.members().len() == 1
            && b.cluster.is_settled())
        .await
    );
    // B leaves: A notices and retries it as a failed peer (a crash is tested with processes).
    b.stop().await;
    assert!(eventually(10, || a.cluster.members().is_empty()).await);
    assert_eq!(a.cluster.metrics().failed_peers.get(), 1.0);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_with_another_label_do_not_meet() {
    let a = start(Options {
        label: "prod".into(),
        ..fast(vec![])
    })
    .await;
    let b = start(Options {
        label: "dev".into(),
        ..fast(vec![a.addr()])
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(a.cluster.members().is_empty() && b.cluster.members().is_empty());
    a.stop().await;
    b.stop().await;
    let long = Options {
        label: "x".repeat(256),
        ..fast(vec![])
    };
    let state = Replicated {
        silences: Arc::new(Silences::new(Clock::system(), 1, Limits::default(), None)),
        nflog: Arc::new(Nflog::new(Clock::system(), 1, None)),
    };
    assert!(ClusterNode::new(long, state, &flint_client::Registry::new()).is_err());
}

fn tls_file(dir: &std::path::Path, name: &str, cert: &str) -> PathBuf {
    let fx = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/tls");
    let yaml = format!(
        "tls_server_config:\n  cert_file: {fx}/{cert}.crt\n  key_file: {fx}/{cert}.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {fx}/ca.crt\ntls_client_config:\n  cert_file: {fx}/{cert}.crt\n  key_file: {fx}/{cert}.key\n  ca_file: {fx}/ca.crt\n"
    );
    let p = dir.join(name);
    std::fs::write(&p, yaml).expect("write tls config");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_peers_meet_and_strangers_do_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = tls_file(dir.path(), "good.yml", "peer");
    let a = start(Options {
        tls_config: Some(good.clone()),
        ..fast(vec![])
    })
    .await;
    let b = start(Options {
        tls_config: Some(good),
        ..fast(vec![a.addr()])
    })
    .await;
    assert!(
        eventually(10, || a.cluster.members().len() == 1
            && b.cluster.members().len() == 1)
        .await
    );
    let id = a.silences.set(silence("over tls")).expect("set");
    assert!(eventually(5, || b.silences.get(&id).is_some()).await);
    // A certificate from another CA is refused both ways.
    let s = start(Options {
        tls_config: Some(tls_file(dir.path(), "bad.yml", "stranger")),
        ..fast(vec![a.addr()])
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(s.cluster.members().is_empty());
    assert_eq!(a.cluster.members().len(), 1);
    assert!(s.silences.get(&id).is_none());
    for p in [a, b, s] {
        p.stop().await;
    }
    // Bad files are startup errors.
    std::fs::write(dir.path().join("x.yml"), "tls_server_config: {}\n").expect("write");
    let state = Replicated {
        silences: Arc::new(Silences::new(Clock::system(), 1, Limits::default(), None)),
        nflog: Arc::new(Nflog::new(Clock::system(), 1, None)),
    };
    let bad = Options {
        tls_config: Some(dir.path().join("x.yml")),
        ..fast(vec![])
    };
    let e = ClusterNode::new(bad, state, &flint_client::Registry::new()).map(|_| ());
    assert!(e.is_err_and(|e| e.to_string().contains("cert_file")));
}
