//! A network partition in namespaces: three peers, each in its own network namespace, meet
//! on a bridge in a hub namespace; each also has its own link to the test's namespace for
//! the API and the webhook. Taking one peer's bridge link down partitions it from the others
//! but not from the receiver: both sides keep notifying (at-least-once); after healing, the
//! state merges and duplicates stop. Needs root and `ip`; skips loudly otherwise (`.ci/run`
//! runs as root).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use super::peer::{PeerProc, Spec, wait_cluster};
use crate::harness::{Recorder, alert};

/// The namespaces and links of one test run, removed on drop.
struct Net {
    tag: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn can_run() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let has_ip = Command::new("ip").arg("-V").output().is_ok();
    if root && has_ip {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the partition test needs root and `ip` in CI"
    );
    eprintln!();
    eprintln!("################################################################");
    eprintln!("## SKIPPED: the partition test needs root and `ip` (iproute2).");
    eprintln!("################################################################");
    false
}

impl Net {
    fn ns(&self, i: usize) -> String {
        format!("flam{}p{i}", self.tag)
    }

    fn hub(&self) -> String {
        format!("flam{}h", self.tag)
    }

    /// Peer `i`: cluster IP 10.77.0.(i+2) on the bridge, API IP 10.78.i.2 facing us at
    /// 10.78.i.1.
    fn setup(n: usize) -> Result<Net, String> {
        let net = Net {
            tag: format!("{}", std::process::id() % 100_000),
        };
        let (t, hub) = (net.tag.clone(), net.hub());
        ip(&["netns", "add", &hub])?;
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &hub, "link", "set", "br0", "up"])?;
        for i in 0..n {
            let ns = net.ns(i);
            let (c, b) = (format!("c{i}{t}"), format!("b{i}{t}"));
            let (w, r) = (format!("w{i}{t}"), format!("r{i}{t}"));
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&[
                "link", "add", &c, "netns", &ns, "type", "veth", "peer", "name", &b, "netns", &hub,
            ])?;
            ip(&["-n", &hub, "link", "set", &b, "master", "br0", "up"])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.77.0.{}/24", i + 2),
                "dev",
                &c,
            ])?;
            ip(&["-n", &ns, "link", "set", &c, "up"])?;
            ip(&[
                "link", "add", &r, "type", "veth", "peer", "name", &w, "netns", &ns,
            ])?;
            ip(&["addr", "add", &format!("10.78.{i}.1/24"), "dev", &r])?;
            ip(&["link", "set", &r, "up"])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.78.{i}.2/24"),
                "dev",
                &w,
            ])?;
            ip(&["-n", &ns, "link", "set", &w, "up"])?;
        }
        Ok(net)
    }

    /// Takes peer `i`'s bridge link down (`up: false`) or up again.
    fn link(&self, i: usize, up: bool) {
        let b = format!("b{i}{}", self.tag);
        let state = if up { "up" } else { "down" };
        ip(&["-n", &self.hub(), "link", "set", &b, state]).expect("link");
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for i in 0..3 {
            let _ = ip(&["link", "del", &format!("r{i}{}", self.tag)]);
            let _ = ip(&["netns", "del", &self.ns(i)]);
        }
        let _ = ip(&["netns", "del", &self.hub()]);
    }
}

fn config(port: u16, i: usize) -> String {
    format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 200ms\n  group_interval: 1500ms\n  repeat_interval: 1h\nreceivers:\n  - name: r\n    webhook_configs:\n      - url: 'http://10.78.{i}.1:{port}/hook/r'\n"
    )
}

/// Waits until `f` holds for the cluster views of `peers`; returns the time it took.
async fn until_members(peers: &[&PeerProc], n: usize, timeout: Duration) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < timeout {
        let mut ok = true;
        for p in peers {
            ok &= p.cluster().await["peers"].as_array().map(Vec::len) == Some(n);
        }
        if ok {
            return Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_peer_keeps_notifying_and_converges_after_healing() {
    if !can_run() {
        return;
    }
    let net = Net::setup(3).expect("network namespaces");
    let rec = Recorder::start_on("0.0.0.0:0").await;
    let port: u16 = rec
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let tmp = tempfile::tempdir().expect("tmp");
    let mut peers: Vec<PeerProc> = Vec::new();
    for i in 0..3 {
        let spec = Spec {
            dir: tmp.path().join(format!("p{i}")),
            ip: format!("10.77.0.{}", i + 2),
            web_ip: format!("10.78.{i}.2"),
            peers: peers
                .first()
                .map(|p| vec![p.cluster_addr.clone()])
                .unwrap_or_default(),
            netns: Some(net.ns(i)),
        };
        peers.push(PeerProc::start(spec, &config(port, i), json!({})).await);
    }
    let all: Vec<&PeerProc> = peers.iter().collect();
    assert!(
        wait_cluster(&all, 3, Duration::from_secs(15)).await,
        "no cluster"
    );
    let post = |labels: Vec<(&'static str, &'static str)>| {
        let alerts = json!([alert(&labels, None)]);
        let peers = &peers;
        async move {
            for p in peers {
                p.post_alerts(&alerts).await;
            }
        }
    };
    post(vec![("alertname", "P"), ("i", "1")]).await;
    assert_eq!(rec.wait_for(1, Duration::from_secs(3)).await.len(), 1);
    // Partition the last peer.
    net.link(2, false);
    let detect = until_members(&all[2..], 1, Duration::from_secs(10)).await;
    let detect_others = until_members(&all[..2], 2, Duration::from_secs(10)).await;
    assert!(
        detect.is_some() && detect_others.is_some(),
        "partition not detected"
    );
    // Both sides notify about a new alert: at least once, here twice.
    post(vec![("alertname", "P"), ("i", "2")]).await;
    let got = rec.wait_for(3, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 3, "both sides notify during the partition");
    // Heal: the cluster re-forms and the state merges.
    net.link(2, true);
    let converge = until_members(&all, 3, Duration::from_secs(15)).await;
    assert!(converge.is_some(), "cluster did not re-form after healing");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rec.got().len();
    post(vec![("alertname", "P"), ("i", "3")]).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let after = rec.got().len() - before;
    let ms = |d: Option<Duration>| d.unwrap_or_default().as_millis();
    eprintln!(
        "cluster figures: partition_detect_isolated_ms={} partition_detect_others_ms={} heal_reform_ms={} heal_notifications={after}",
        ms(detect),
        ms(detect_others),
        ms(converge)
    );
    assert_eq!(after, 1, "duplicates after healing");
    drop(peers);
}
