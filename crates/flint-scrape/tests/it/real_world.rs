//! Scraping real exporters: Debian's node exporter and the shared target farm.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{Recorder, job, scrape_loop, value};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_listening(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listening on {port}");
}

#[tokio::test]
async fn node_exporter() {
    let Some(bin) = flint_testkit::find_program("prometheus-node-exporter") else {
        return;
    };
    let port = free_port();
    let _p = Proc(
        Command::new(bin)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port).await;
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(job("job_name: node"), &format!("127.0.0.1:{port}"), &rec);
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "up"), Some(1.0), "{}", t.health().last_error);
    assert!(value(&s, "scrape_samples_scraped").unwrap() > 100.0);
    assert!(
        s.iter()
            .any(|(l, _, _)| l.metric_name() == Some("node_cpu_seconds_total"))
    );
}

#[tokio::test]
async fn target_farm() {
    let farm = flint_testkit::testdata::workspace_root().join("../shared/tools/targetfarm.py");
    if !farm.exists() {
        eprintln!("SKIPPED: {} not found", farm.display());
        return;
    }
    let port = free_port();
    let _p = Proc(
        Command::new("python3")
            .arg(&farm)
            .args([
                "--targets",
                "1",
                "--series",
                "500",
                "--port",
                &port.to_string(),
                "--duration",
                "60",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port).await;
    let rec = Recorder::default();
    let (mut l, t) = scrape_loop(job("job_name: farm"), &format!("127.0.0.1:{port}"), &rec);
    l.scrape_once().await;
    l.scrape_once().await;
    let s = rec.take();
    assert_eq!(value(&s, "up"), Some(1.0), "{}", t.health().last_error);
    assert!(value(&s, "scrape_samples_scraped").unwrap() >= 500.0);
}
