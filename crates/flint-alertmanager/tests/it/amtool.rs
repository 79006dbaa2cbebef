//! Debian's `amtool` (0.25) against Flint's Alertmanager.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{Recorder, Server, receiver};

fn amtool(url: &str, args: &[&str]) -> (bool, String) {
    let Some(bin) = flint_testkit::find_program("amtool") else {
        return (false, "SKIPPED".into());
    };
    let out = Command::new(bin)
        .arg(format!("--alertmanager.url={url}"))
        .args(args)
        .output()
        .expect("run amtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn have_amtool() -> bool {
    flint_testkit::find_program("amtool").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_silences_and_routes() {
    if !have_amtool() {
        return;
    }
    let rec = Recorder::start().await;
    let config = format!(
        "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 100ms\n  routes:\n    - receiver: pager\n      matchers: [severity=\"critical\"]\nreceivers:\n{}{}",
        receiver("default", &rec, ""),
        receiver("pager", &rec, "")
    );
    let s = Server::start(&config).await;
    let u = s.url.clone();
    let run = move |args: Vec<&'static str>| {
        let u = u.clone();
        async move {
            tokio::task::spawn_blocking(move || amtool(&u, &args))
                .await
                .expect("join")
        }
    };
    let (ok, out) = run(vec![
        "alert",
        "add",
        "alertname=DiskFull",
        "severity=critical",
        "instance=a",
        "--annotation=summary=disk is full",
    ])
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run(vec!["alert", "add", "alertname=Slow", "severity=warning"]).await;
    assert!(ok, "{out}");
    rec.wait_for(2, Duration::from_secs(3)).await;
    let (ok, out) = run(vec!["alert", "query"]).await;
    assert!(
        ok && out.contains("DiskFull") && out.contains("Slow") && out.contains("disk is full"),
        "{out}"
    );
    let (ok, out) = run(vec!["alert", "query", "severity=critical"]).await;
    assert!(
        ok && out.contains("DiskFull") && !out.contains("Slow"),
        "{out}"
    );
    let (ok, out) = run(vec!["alert", "query", "alertname=~Sl.*"]).await;
    assert!(
        ok && out.contains("Slow") && !out.contains("DiskFull"),
        "{out}"
    );
    // Silences: add, query, expire, import.
    let (ok, id) = run(vec![
        "silence",
        "add",
        "alertname=Slow",
        "--comment=maintenance",
        "--author=ops",
    ])
    .await;
    assert!(ok, "{id}");
    let id = id
        .lines()
        .find(|l| l.len() == 36)
        .unwrap_or_default()
        .to_string();
    assert_eq!(id.len(), 36, "silence id: {id}");
    let (ok, out) = run(vec!["silence", "query"]).await;
    assert!(
        ok && out.contains(&id) && out.contains("maintenance"),
        "{out}"
    );
    let (ok, out) = run(vec!["alert", "query", "--silenced"]).await;
    assert!(ok && out.contains("Slow"), "{out}");
    let (_, json) = run(vec!["silence", "query", "-o", "json"]).await;
    let u = s.url.clone();
    let id2 = id.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || amtool(&u, &["silence", "expire", &id2]))
        .await
        .expect("join");
    assert!(ok, "{out}");
    let (ok, out) = run(vec!["silence", "query", "--expired"]).await;
    assert!(ok && out.contains(&id), "{out}");
    // Import what `silence query -o json` printed: a new silence with the same matchers.
    let bin = flint_testkit::find_program("amtool").expect("amtool");
    let u = s.url.clone();
    let imported = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(bin)
            .args([
                format!("--alertmanager.url={u}"),
                "silence".into(),
                "import".into(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write;
        let json = json
            .lines()
            .filter(|l| l.starts_with('['))
            .collect::<String>();
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(json.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join");
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let (ok, out) = run(vec!["silence", "query", "-q"]).await;
    assert!(ok && out.lines().any(|l| l.len() == 36 && l != id), "{out}");
    // Routing tree from the served config.
    let (ok, out) = run(vec!["config", "routes", "test", "severity=critical"]).await;
    assert!(ok && out.lines().next() == Some("pager"), "{out}");
    let (ok, out) = run(vec!["config", "routes", "test", "severity=info"]).await;
    assert!(ok && out.lines().next() == Some("default"), "{out}");
    let (ok, out) = run(vec!["config", "routes"]).await;
    assert!(ok && out.contains("pager"), "{out}");
    s.stop().await;
}

#[test]
fn check_config_agrees_on_every_fixture() {
    let Some(bin) = flint_testkit::find_program("amtool") else {
        return;
    };
    let dir = flint_testkit::testdata_dir().join("alertmanager/config");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("fixtures").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "yml") {
            continue;
        }
        // Global Telegram bot tokens arrived after Alertmanager 0.25.
        if p.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .starts_with("conf.telegram-default-bot-token")
        }) {
            continue;
        }
        let ours = flint_alertmanager::config::Config::load_file(&p).is_ok();
        let out = Command::new(&bin)
            .arg("check-config")
            .arg(&p)
            .output()
            .expect("amtool");
        let theirs = out.status.success();
        // Debian's amtool (0.25) predates some fields these fixtures use; only compare files
        // it understands.
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("not found in type") {
            continue;
        }
        assert_eq!(ours, theirs, "{}: amtool says {text}", p.display());
        n += 1;
    }
    assert!(n >= 10, "only {n} fixtures compared");
}
