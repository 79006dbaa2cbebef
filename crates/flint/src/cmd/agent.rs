//! `flint server --agent`: discovery, scraping and remote write over a WAL-only storage
//! ([`flint_tsdb::agent::AgentDb`]), as Prometheus's agent mode. There is no local
//! querying, no rules and no alerting; the WAL is truncated as the remote-write queues
//! deliver. The web side serves health, readiness, reload, targets, status and `/metrics`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use flint_client::Registry;
use flint_config::Config;
use flint_tsdb::agent::{AgentDb, AgentOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::server::{
    Reloader, ServerArgs, collection, listen_addr, load_config, reload_gauges, step, wait_for_stop,
};

/// The fields agent mode refuses, as upstream: they need local queries.
fn refuse_unsupported(cfg: &Config) -> Result<(), String> {
    let mut found = Vec::new();
    if !cfg.rule_files.is_empty() {
        found.push("rule_files");
    }
    if !cfg.alerting.alertmanagers.is_empty() {
        found.push("alerting.alertmanagers");
    }
    if !cfg.remote_read.is_empty() {
        found.push("remote_read");
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the following configuration fields are not supported in agent mode: {}",
            found.join(", ")
        ))
    }
}

/// Serves agent mode until SIGTERM/SIGINT or `/-/quit`.
pub(crate) async fn serve(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let Some(cfg) = load_config(&args, refuse_unsupported) else {
        return Ok(ExitCode::FAILURE);
    };
    let addr = listen_addr(&args.listen_address)?;
    let registry = Registry::new();
    registry.register_collector(flint_client::process::ProcessCollector::new());
    let web = super::server_web::WebUrls::new(
        args.external_url.as_deref(),
        args.route_prefix.as_deref(),
        addr.port(),
    )?;
    let opts = AgentOptions {
        wal_compression: args.agent_wal_compression,
        min_time: args.agent_min_time,
        max_time: args.agent_max_time,
        truncate_every: args.agent_truncate_every,
        no_lockfile: args.agent_no_lockfile,
    };
    let db = tokio::task::block_in_place(|| AgentDb::open(&args.agent_path, opts))
        .with_context(|| format!("opening agent storage at {}", args.agent_path.display()))?;

    let (discovery, targets_rx, scrape) = collection(&args, &registry, Arc::new(db.clone()), &cfg);
    let remote_write =
        flint_remote::write::RemoteWrite::new(flint_remote::write::RemoteWriteOptions {
            wal_dir: db.wal_dir().to_path_buf(),
            state_dir: Some(args.agent_path.join("remote")),
            registry: registry.clone(),
            metadata: Some(Arc::new(super::server_remote::ScrapeMetadata(
                scrape.clone(),
            ))),
        });
    let (success, success_time, ready_gauge) = reload_gauges(&registry);
    let reloader = Reloader {
        path: args.config_file.clone(),
        config: Arc::new(RwLock::new(Arc::new(Config::default()))),
        scrape: scrape.clone(),
        discovery: discovery.clone(),
        alerting: None,
        remote_write: remote_write.clone(),
        remote_read: None,
        success,
        success_time,
    };
    if let Err(e) = reloader.apply(cfg).await {
        anyhow::bail!("applying the configuration: {e}");
    }

    let (sd_cancel, scrape_cancel, db_cancel, web_cancel, quit, rw_cancel) = (
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
        CancellationToken::new(),
    );
    let sd_task = tokio::spawn(discovery.clone().run(sd_cancel.clone()));
    let scrape_task = tokio::spawn(scrape.clone().run(scrape_cancel.clone(), targets_rx));
    let rw_task = tokio::spawn(remote_write.clone().run(rw_cancel.clone()));
    let rw = remote_write.clone();
    let db_task = tokio::spawn(db.clone().run(db_cancel.clone(), move || {
        let rw = rw.clone();
        async move { rw.lowest_sent_ms().await }
    }));

    let ready = Arc::new(AtomicBool::new(false));
    let (reload_tx, mut reload_rx) = mpsc::channel(4);
    let mut flags: BTreeMap<String, String> = args.flags();
    flags.insert("agent".into(), "true".into());
    flags.insert(
        "storage.agent.path".into(),
        args.agent_path.display().to_string(),
    );
    let state = flint_web::AppState {
        registry: registry.clone(),
        scrape: scrape.clone(),
        config: Arc::clone(&reloader.config),
        flags: Arc::new(flags),
        ready: Arc::clone(&ready),
        lifecycle: args.enable_lifecycle,
        reload: reload_tx,
        quit: quit.clone(),
        external_url: web.external.clone(),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!(address = %listener.local_addr().map_or(addr, |a| a), "Listening (agent mode)");
    let web_task = tokio::spawn(flint_web::serve(
        listener,
        flint_web::prefix::under(flint_web::router(state), &web.prefix),
        web_cancel.clone(),
    ));
    ready.store(true, Ordering::SeqCst);
    ready_gauge.set(1.0);
    tracing::info!("Agent is ready.");

    wait_for_stop(&reloader, &mut reload_rx, &quit).await?;

    tracing::info!("Stopping");
    ready.store(false, Ordering::SeqCst);
    ready_gauge.set(0.0);
    let t = args.shutdown_timeout;
    sd_cancel.cancel();
    scrape_cancel.cancel();
    step("scrape", t, scrape_task).await;
    step("discovery", t, sd_task).await;
    rw_cancel.cancel();
    step("remote write", t, rw_task).await;
    db_cancel.cancel();
    step("storage", t, db_task).await;
    web_cancel.cancel();
    step("web", t, web_task).await;
    tracing::info!("See you next time!");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_mode_refuses_what_needs_local_queries() {
        let cfg = flint_config::load_str(
            "rule_files: [a.yml]\nremote_read: [{url: 'http://x/read'}]\n",
            flint_config::LoadOptions::default(),
        )
        .expect("config");
        assert_eq!(
            refuse_unsupported(&cfg).unwrap_err(),
            "the following configuration fields are not supported in agent mode: rule_files, remote_read"
        );
        assert!(refuse_unsupported(&Config::default()).is_ok());
    }
}
