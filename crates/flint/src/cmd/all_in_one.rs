//! `flint` with no subcommand: the whole stack in one process, on embedded defaults.
//!
//! The server scrapes itself and the Alertmanager, evaluates a small set of self-monitoring
//! rules and sends their alerts to the embedded Alertmanager, whose default receiver writes
//! every notification to the log. The Alertmanager keeps its own port (`:9093`, as
//! upstream), so amtool and Grafana's Alertmanager data source find it where they expect.
//!
//! The embedded configuration files are written to `<storage.path>/all-in-one/` at every
//! start (so they follow the binary's version); to change them, copy them and run
//! `flint server` and `flint alertmanager` with `--config.file`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser};

use super::alertmanager::AlertmanagerArgs;
use super::server::ServerArgs;

/// Options of the all-in-one stack (used only without a subcommand).
#[derive(Debug, Args)]
pub struct AllInOneArgs {
    /// Address of the server's UI and API.
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9090")]
    pub listen_address: String,
    /// Address of the embedded Alertmanager's UI and API.
    #[arg(long = "alertmanager.listen-address", default_value = "0.0.0.0:9093")]
    pub alertmanager_listen_address: String,
    /// Where the TSDB (and, under `alertmanager/`, silences and the notification log) live.
    #[arg(long = "storage.path", default_value = "data")]
    pub storage_path: PathBuf,
}

const RULES: &str = include_str!("all_in_one/rules.yml");

/// Parses `argv` as the flags of a role, so every default is the role's own.
#[derive(Debug, Parser)]
struct Role<A: Args> {
    #[command(flatten)]
    args: A,
}

fn role_args<A: Args>(argv: &[String]) -> anyhow::Result<A> {
    let all = std::iter::once("flint".to_string()).chain(argv.iter().cloned());
    Ok(Role::<A>::try_parse_from(all)?.args)
}

/// The address peers on this machine use to reach a listener (`0.0.0.0` becomes loopback).
fn local_target(listen: &str, flag: &str) -> anyhow::Result<SocketAddr> {
    let mut addr = super::alertmanager::resolve_addr(listen, flag)?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok(addr)
}

fn server_config(server: SocketAddr, am: SocketAddr, rules: &Path) -> String {
    format!(
        "# Written by `flint` (all-in-one) at every start: edits are lost. For your own\n\
         # configuration, copy this file and run `flint server --config.file=...`.\n\
         global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n\
         rule_files:\n  - {rules:?}\n\
         alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n\
         scrape_configs:\n\
         \x20 - job_name: flint\n    static_configs:\n      - targets: ['{server}']\n\
         \x20 - job_name: alertmanager\n    static_configs:\n      - targets: ['{am}']\n",
        rules = rules.display().to_string(),
    )
}

fn alertmanager_config(log_receiver: SocketAddr) -> String {
    format!(
        "# Written by `flint` (all-in-one) at every start: edits are lost. For your own\n\
         # configuration, copy this file and run `flint alertmanager --config.file=...`.\n\
         route:\n  receiver: log\n  group_by: [alertname]\n  group_wait: 10s\n\
         \x20 group_interval: 1m\n  repeat_interval: 4h\n\
         receivers:\n  - name: log\n    webhook_configs:\n\
         \x20     - url: http://{log_receiver}/notify\n        send_resolved: true\n"
    )
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Runs server, Alertmanager and the log receiver until SIGINT/SIGTERM.
pub fn run(args: &AllInOneArgs) -> anyhow::Result<ExitCode> {
    let server_addr = local_target(&args.listen_address, "--web.listen-address")?;
    let am_addr = local_target(
        &args.alertmanager_listen_address,
        "--alertmanager.listen-address",
    )?;
    let conf = args.storage_path.join("all-in-one");
    std::fs::create_dir_all(&conf).with_context(|| format!("creating {}", conf.display()))?;
    let conf = conf
        .canonicalize()
        .with_context(|| format!("resolving {}", conf.display()))?;
    let rules = conf.join("rules.yml");
    let prom_yml = conf.join("prometheus.yml");
    let am_yml = conf.join("alertmanager.yml");
    write(&rules, RULES)?;
    write(&prom_yml, &server_config(server_addr, am_addr, &rules))?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the log receiver")?;
        write(&am_yml, &alertmanager_config(receiver.local_addr()?))?;
        let server: ServerArgs = role_args(&[
            format!("--config.file={}", prom_yml.display()),
            format!("--web.listen-address={}", args.listen_address),
            format!("--storage.tsdb.path={}", args.storage_path.display()),
        ])?;
        let am: AlertmanagerArgs = role_args(&[
            format!("--config.file={}", am_yml.display()),
            format!("--web.listen-address={}", args.alertmanager_listen_address),
            format!(
                "--storage.path={}",
                args.storage_path.join("alertmanager").display()
            ),
            // One Alertmanager: no gossip port, no settling before the first notification.
            "--cluster.listen-address=".into(),
        ])?;
        let am_opts = super::alertmanager::options(&am)?;
        eprintln!(
            "Flint is starting: open http://{server_addr}/ (the UI: query, alerts, targets, status) and \
             http://{am_addr}/ (the Alertmanager: alerts and silences); data in {}. Ctrl-C stops it.",
            args.storage_path.display()
        );
        let log = tokio::spawn(log_notifications(receiver));
        // Both roles stop on the same SIGINT/SIGTERM.
        let (s, a) = tokio::join!(
            super::server::serve(server),
            super::alertmanager::serve(am_opts)
        );
        log.abort();
        let (s, a) = (s?, a?);
        Ok(if s == ExitCode::SUCCESS { a } else { s })
    })
}

/// The default receiver: every webhook notification as one log line per alert.
async fn log_notifications(listener: tokio::net::TcpListener) {
    async fn notify(axum::Json(body): axum::Json<serde_json::Value>) -> axum::http::StatusCode {
        let receiver = body["receiver"].as_str().unwrap_or_default();
        let alerts = body["alerts"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        for a in alerts {
            let labels = a["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            tracing::info!(
                receiver,
                status = a["status"].as_str().unwrap_or_default(),
                labels = %labels,
                summary = a["annotations"]["summary"].as_str().unwrap_or_default(),
                "Notification."
            );
        }
        axum::http::StatusCode::OK
    }
    let app = axum::Router::new().route("/notify", axum::routing::post(notify));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(err = %e, "The log receiver stopped.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_configs_and_rules_are_valid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, RULES).expect("write");
        let server: SocketAddr = "127.0.0.1:9090".parse().expect("addr");
        let am: SocketAddr = "127.0.0.1:9093".parse().expect("addr");
        let prom = dir.path().join("prometheus.yml");
        std::fs::write(&prom, server_config(server, am, &rules)).expect("write");
        let cfg = flint_config::load_file(&prom, flint_config::LoadOptions::default())
            .expect("embedded prometheus.yml loads");
        assert_eq!(cfg.scrape_configs.len(), 2);
        let file =
            flint_rules::rulefmt::parse(RULES, &Default::default()).expect("embedded rules load");
        assert_eq!(file.groups[0].rules.len(), 6);
        flint_alertmanager::config::Config::load(&alertmanager_config(server))
            .expect("embedded alertmanager.yml loads");
    }

    #[test]
    fn unspecified_hosts_become_loopback() {
        assert_eq!(
            local_target(":9093", "f").expect("addr").to_string(),
            "127.0.0.1:9093"
        );
        assert_eq!(
            local_target("0.0.0.0:9090", "f").expect("addr").to_string(),
            "127.0.0.1:9090"
        );
    }
}
