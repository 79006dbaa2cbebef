//! Every implemented integration against a recording server on loopback: payload shapes and
//! upstream's default texts; email through a real SMTP server (aiosmtpd), plain and over STARTTLS
//! with AUTH and a private CA.

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

/// A python3 SMTP server on loopback whose standard output is collected; killed on drop.
struct Smtp {
    child: std::process::Child,
    port: u16,
    out: Arc<Mutex<String>>,
}

impl Smtp {
    /// Runs `python3 -u <args>` with `{port}` in them replaced by a free port.
    fn start(args: &[&str]) -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let mut child = Command::new("python3")
            .arg("-u")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 SMTP server");
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
        Smtp { child, port, out }
    }

    /// What the server printed once `n` messages ended (or after `secs`).
    async fn messages(&self, n: usize, secs: u64) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.out.lock().expect("lock").clone();
            if t.matches("END MESSAGE").count() >= n || Instant::now() > end {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_through_a_real_smtp_server() {
    if aiosmtpd().is_none() {
        return;
    }
    let smtp = Smtp::start(&[
        "-m",
        "aiosmtpd",
        "-n",
        "-c",
        "aiosmtpd.handlers.Debugging",
        "-l",
        "127.0.0.1:{port}",
    ]);
    let port = smtp.port;
    let config = format!(
        "global:\n  smtp_smarthost: '127.0.0.1:{port}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mail\n  group_wait: 100ms\n  group_by: [alertname]\nreceivers:\n  - name: mail\n    email_configs:\n      - to: 'oncall@example.org'\n        text: 'text body {{{{ .CommonLabels.alertname }}}}'\n        headers: {{X-Team: ops}}\n"
    );
    let s = Server::start(&config).await;
    s.post_alerts(&json!([alert(
        &[("alertname", "MailMe"), ("severity", "page")],
        None
    )]))
    .await;
    let text = smtp.messages(1, 8).await;
    drop(smtp);
    s.stop().await;
    assert!(text.contains("Subject: [FIRING:1] MailMe (page)"), "{text}");
    assert!(text.contains("To: oncall@example.org"), "{text}");
    assert!(text.contains("X-Team: ops"), "{text}");
    assert!(text.contains("text body MailMe"), "{text}");
    assert!(text.contains("text/html"), "{text}");
}

/// aiosmtpd offering STARTTLS with the test CA's certificate and requiring it, with AUTH
/// (user `am`, password `secret`) allowed only after TLS; prints each message it accepts.
const STARTTLS_SERVER: &str = r#"
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=(data.login, data.password) == (b"am", b"secret"))
class Print:
    async def handle_DATA(self, server, session, envelope):
        print("TLS:", session.ssl is not None, "AUTH:", session.authenticated)
        print(envelope.content.decode("utf8", "replace"))
        print("END MESSAGE")
        return "250 OK"
c = Controller(Print(), hostname="127.0.0.1", port=int(sys.argv[3]), tls_context=ctx,
               require_starttls=True, authenticator=auth, auth_require_tls=True)
c.start()
while True:
    time.sleep(3600)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_starttls_with_auth_and_a_private_ca() {
    if aiosmtpd().is_none() {
        return;
    }
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/tls");
    let (cert, key) = (format!("{tls}/peer.crt"), format!("{tls}/peer.key"));
    let smtp = Smtp::start(&["-c", STARTTLS_SERVER, &cert, &key, "{port}"]);
    let port = smtp.port;
    // `good` trusts the CA and logs in; `badpass` has a wrong password; `badca` trusts
    // another CA. Only `good` may get through.
    let receiver = |name: &str, password: &str, ca: &str| {
        format!(
            "  - name: {name}\n    email_configs:\n      - to: '{name}@example.org'\n        \
             auth_username: am\n        auth_password: {password}\n        \
             tls_config: {{ca_file: '{tls}/{ca}', server_name: localhost}}\n"
        )
    };
    let config = format!(
        "global:\n  smtp_smarthost: 'localhost:{port}'\n  smtp_from: 'am@example.org'\n\
         route:\n  receiver: good\n  group_wait: 100ms\n  group_by: [alertname]\n  routes:\n\
         \x20   - {{receiver: badpass, matchers: [r=badpass]}}\n\
         \x20   - {{receiver: badca, matchers: [r=badca]}}\n\
         receivers:\n{}{}{}",
        receiver("good", "secret", "ca.crt"),
        receiver("badpass", "wrong", "ca.crt"),
        receiver("badca", "secret", "other-ca.crt"),
    );
    let s = Server::start(&config).await;
    s.post_alerts(&json!([
        alert(&[("alertname", "Secure"), ("r", "good")], None),
        alert(&[("alertname", "Secure"), ("r", "badpass")], None),
        alert(&[("alertname", "Secure"), ("r", "badca")], None),
    ]))
    .await;
    let text = smtp.messages(1, 10).await;
    let failures = s.wait_failed("email", 2.0, 10).await;
    // Give a wrongly delivered message time to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = smtp.messages(2, 0).await.max(text);
    s.stop().await;
    assert_eq!(text.matches("END MESSAGE").count(), 1, "{text}");
    assert!(text.contains("TLS: True AUTH: True"), "{text}");
    assert!(text.contains("To: good@example.org"), "{text}");
    assert!(
        failures >= 2.0,
        "both bad receivers fail: {failures}\n{text}"
    );
}
