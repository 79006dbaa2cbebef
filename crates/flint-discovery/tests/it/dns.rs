//! DNS SD against a real DNS server (dnsmasq) on loopback: SRV, A and AAAA.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use flint_config::{DnsSdConfig, SdConfig};
use flint_discovery::{DiscovererDeps, Manager, ManagerOptions};

struct Dnsmasq(Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_dnsmasq(port: u16) -> Option<Dnsmasq> {
    let bin = flint_testkit::find_program("dnsmasq")?;
    let child = Command::new(bin)
        .args([
            "--no-daemon",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--user=root",
            &format!("--port={port}"),
            "--host-record=node1.flint.test,127.0.0.11",
            "--host-record=node2.flint.test,127.0.0.12,::12",
            "--srv-host=_metrics._tcp.flint.test,node1.flint.test,9100",
            "--srv-host=_metrics._tcp.flint.test,node2.flint.test,9200",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    Some(Dnsmasq(child))
}

#[tokio::test]
async fn srv_a_aaaa() {
    let port = free_port();
    let Some(_server) = start_dnsmasq(port) else {
        return;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deps = DiscovererDeps {
        dns_servers: Some(vec![SocketAddr::from(([127, 0, 0, 1], port))]),
        ..Default::default()
    };
    let mut o = ManagerOptions::new("scrape", deps);
    o.sync_period = Duration::from_millis(20);
    let (m, mut rx) = Manager::new(o);
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::spawn(m.clone().run(cancel.clone()));
    let dns = |names: &[&str], t: &str, port: u16| {
        SdConfig::Dns(DnsSdConfig {
            names: names.iter().map(|s| s.to_string()).collect(),
            refresh_interval: flint_config::Duration::from_secs(30),
            record_type: t.into(),
            port,
        })
    };
    m.apply_config(&BTreeMap::from([
        (
            "srv".to_string(),
            vec![dns(&["_metrics._tcp.flint.test"], "SRV", 0)],
        ),
        ("a".to_string(), vec![dns(&["node2.flint.test"], "A", 80)]),
        (
            "aaaa".to_string(),
            vec![dns(&["node2.flint.test"], "AAAA", 80)],
        ),
    ]));
    let sets = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let s = rx.recv().await.unwrap();
            if s.values().all(|g| g.iter().any(|g| !g.targets.is_empty())) {
                return s;
            }
        }
    })
    .await
    .expect("DNS targets in time");
    let mut srv: Vec<String> = sets["srv"][0]
        .targets
        .iter()
        .map(|t| t.get("__address__").unwrap().to_string())
        .collect();
    srv.sort();
    assert_eq!(srv, ["node1.flint.test:9100", "node2.flint.test:9200"]);
    let t = &sets["srv"][0].targets[0];
    assert_eq!(t.get("__meta_dns_name"), Some("_metrics._tcp.flint.test"));
    assert!(t.get("__meta_dns_srv_record_port").is_some());
    assert_eq!(
        sets["a"][0].targets[0].get("__address__"),
        Some("127.0.0.12:80")
    );
    assert_eq!(
        sets["aaaa"][0].targets[0].get("__address__"),
        Some("[::12]:80")
    );
    cancel.cancel();
}
