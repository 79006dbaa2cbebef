//! Every implemented integration against a recording server on loopback: payload shapes and
//! upstream's default texts; email through a real SMTP server (aiosmtpd).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Received, Recorder, Server, alert};

fn by_path<'a>(got: &'a [Received], prefix: &str) -> &'a Received {
    got.iter()
        .find(|r| r.path.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "nothing received at {prefix}: {:?}",
                got.iter().map(|r| &r.path).collect::<Vec<_>>()
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_integrations_send_upstream_payloads() {
    let rec = Recorder::start().await;
    let u = &rec.url;
    let config = format!(
        r#"
route:
  receiver: all
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
receivers:
  - name: all
    slack_configs:
      - api_url: '{u}/hook/slack'
        channel: '#ops'
    pagerduty_configs:
      - routing_key: rk
        url: '{u}/hook/pd'
    opsgenie_configs:
      - api_key: gk
        api_url: '{u}/hook/og/'
        tags: 'a, b'
    discord_configs:
      - webhook_url: '{u}/hook/discord'
    msteams_configs:
      - webhook_url: '{u}/hook/teams'
    msteamsv2_configs:
      - webhook_url: '{u}/hook/teams2'
    telegram_configs:
      - api_url: '{u}/hook/tg'
        bot_token: tok
        chat_id: 42
"#
    );
    let s = Server::start(&config).await;
    s.post_alerts(&json!([alert(
        &[
            ("alertname", "DiskFull"),
            ("severity", "critical"),
            ("instance", "a")
        ],
        None
    )]))
    .await;
    let got = rec.wait_for(7, Duration::from_secs(5)).await;
    assert_eq!(
        got.len(),
        7,
        "{:?}",
        got.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let subject = "[FIRING:1] DiskFull (a critical)";

    let slack = by_path(&got, "slack");
    assert_eq!(slack.body["channel"], "#ops");
    let att = &slack.body["attachments"][0];
    assert_eq!(att["title"], subject);
    assert_eq!(att["color"], "danger");
    assert_eq!(att["mrkdwn_in"], json!(["fallback", "pretext", "text"]));
    assert!(
        att["title_link"]
            .as_str()
            .is_some_and(|l| l.starts_with(&s.url)),
        "{att}"
    );

    let pd = by_path(&got, "pd");
    assert_eq!(pd.body["routing_key"], "rk");
    assert_eq!(pd.body["event_action"], "trigger");
    assert_eq!(pd.body["dedup_key"].as_str().map(str::len), Some(64));
    assert_eq!(pd.body["payload"]["summary"], subject);
    assert_eq!(pd.body["payload"]["severity"], "error");
    assert_eq!(pd.body["payload"]["custom_details"]["num_firing"], "1");
    assert_eq!(pd.body["client"], "Alertmanager");

    let og = by_path(&got, "og/v2/alerts");
    assert_eq!(og.header("authorization"), Some("GenieKey gk"));
    assert_eq!(og.body["message"], subject);
    assert_eq!(og.body["tags"], json!(["a", "b"]));
    assert_eq!(og.body["alias"], pd.body["dedup_key"]);

    let dc = by_path(&got, "discord");
    assert_eq!(dc.body["embeds"][0]["title"], subject);
    assert_eq!(dc.body["embeds"][0]["color"], 0x992D22);

    let exact = |p: &str| {
        got.iter()
            .find(|r| r.path == p)
            .unwrap_or_else(|| panic!("nothing at {p}"))
    };
    let (t1, t2) = (exact("teams"), exact("teams2"));
    assert_eq!(t1.body["type"], "MessageCard");
    assert_eq!(t1.body["title"], subject);
    assert_eq!(t1.body["themeColor"], "8C1A1A");
    assert_eq!(t2.body["attachments"][0]["content"]["type"], "AdaptiveCard");

    let tg = by_path(&got, "tg/bottok/sendMessage");
    assert_eq!(tg.body["chat_id"], 42);
    assert_eq!(tg.body["parse_mode"], "HTML");
    assert!(
        tg.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("DiskFull")),
        "{}",
        tg.body
    );

    // Resolving closes the OpsGenie alert and resolves the PagerDuty incident.
    let now = flint_alertmanager::time::format_rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    );
    s.post_alerts(&json!([alert(
        &[
            ("alertname", "DiskFull"),
            ("severity", "critical"),
            ("instance", "a")
        ],
        Some(&now)
    )]))
    .await;
    let got = rec.wait_for(13, Duration::from_secs(4)).await;
    assert!(
        got.iter()
            .any(|r| r.path.contains("/close") && r.path.starts_with("og/v2/alerts/")),
        "{:?}",
        got.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(
        got.iter()
            .any(|r| r.path == "pd" && r.body["event_action"] == "resolve")
    );
    s.stop().await;
}

fn aiosmtpd() -> Option<()> {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(());
    }
    assert!(
        !flint_testkit::program::in_ci(),
        "aiosmtpd is required in CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED: python3 -m aiosmtpd is not available");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_through_a_real_smtp_server() {
    if aiosmtpd().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Debugging",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd");
    let out = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().expect("stdout");
    let sink = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().expect("lock").push_str(&(line + "\n"));
        }
    });
    let end = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let config = format!(
        "global:\n  smtp_smarthost: '127.0.0.1:{port}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mail\n  group_wait: 100ms\n  group_by: [alertname]\nreceivers:\n  - name: mail\n    email_configs:\n      - to: 'oncall@example.org'\n        text: 'text body {{{{ .CommonLabels.alertname }}}}'\n        headers: {{X-Team: ops}}\n"
    );
    let s = Server::start(&config).await;
    s.post_alerts(&json!([alert(
        &[("alertname", "MailMe"), ("severity", "page")],
        None
    )]))
    .await;
    let end = Instant::now() + Duration::from_secs(8);
    let text = loop {
        let t = out.lock().expect("lock").clone();
        if t.contains("END MESSAGE") || Instant::now() > end {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    s.stop().await;
    assert!(text.contains("Subject: [FIRING:1] MailMe (page)"), "{text}");
    assert!(text.contains("To: oncall@example.org"), "{text}");
    assert!(text.contains("X-Team: ops"), "{text}");
    assert!(text.contains("text body MailMe"), "{text}");
    assert!(text.contains("text/html"), "{text}");
}
