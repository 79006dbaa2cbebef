//! `flint query instant|range|series|labels`: `promtool query` against any server with the
//! Prometheus HTTP API (Flint's or Prometheus's), with promtool's flags, output
//! (`-o promql` or `-o json`) and exit codes.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use super::query_format;

/// Output formats of `flint query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// PromQL-style text (`metric{…} => value @[time]`).
    Promql,
    /// The JSON of the result.
    Json,
}

/// `flint query …`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Output format of the query.
    #[arg(
        short = 'o',
        long = "format",
        value_enum,
        default_value = "promql",
        global = true
    )]
    pub format: OutputFormat,
    /// Extra headers to send to server (`Name: value`).
    #[arg(long = "header", global = true)]
    pub headers: Vec<String>,
    /// What to ask.
    #[command(subcommand)]
    pub command: QueryCommand,
}

/// The query subcommands.
#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Run instant query.
    Instant {
        /// Prometheus server to query.
        server: String,
        /// PromQL query expression.
        expr: String,
        /// Query evaluation time (RFC3339 or Unix timestamp).
        #[arg(long)]
        time: Option<String>,
    },
    /// Run range query.
    Range {
        /// Prometheus server to query.
        server: String,
        /// PromQL query expression.
        expr: String,
        /// Query range start time (RFC3339 or Unix timestamp).
        #[arg(long)]
        start: Option<String>,
        /// Query range end time (RFC3339 or Unix timestamp).
        #[arg(long)]
        end: Option<String>,
        /// Query step size (duration).
        #[arg(long)]
        step: Option<String>,
    },
    /// Run series query.
    Series {
        /// Prometheus server to query.
        server: String,
        /// Series selector. Can be specified multiple times.
        #[arg(long = "match", required = true)]
        matches: Vec<String>,
        /// Start time (RFC3339 or Unix timestamp).
        #[arg(long)]
        start: Option<String>,
        /// End time (RFC3339 or Unix timestamp).
        #[arg(long)]
        end: Option<String>,
    },
    /// Run labels query.
    Labels {
        /// Prometheus server to query.
        server: String,
        /// Label name to provide label values for.
        name: String,
        /// Start time (RFC3339 or Unix timestamp).
        #[arg(long)]
        start: Option<String>,
        /// End time (RFC3339 or Unix timestamp).
        #[arg(long)]
        end: Option<String>,
        /// Series selector. Can be specified multiple times.
        #[arg(long = "match")]
        matches: Vec<String>,
    },
}

/// One API call: endpoint, form parameters, and whether to POST them.
struct Call {
    server: String,
    path: String,
    params: Vec<(String, String)>,
    post: bool,
}

/// Runs the subcommand, printing the result to `out` and problems to `err`.
pub fn run(
    args: &QueryArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let call = match plan(&args.command) {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match rt.block_on(send(&call, &args.headers)) {
        Ok(v) => {
            for w in v["warnings"].as_array().into_iter().flatten() {
                writeln!(err, "query warning: {}", w.as_str().unwrap_or_default())?;
            }
            let text = match args.format {
                OutputFormat::Json => query_format::json(&v["data"]),
                OutputFormat::Promql => query_format::promql(&args.command, &v["data"]),
            };
            writeln!(out, "{text}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            writeln!(err, "query error: {e}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Checks a time flag and returns it in seconds (for defaults that depend on it).
fn time_flag(name: &str, v: Option<&str>, default: f64) -> anyhow::Result<(String, f64)> {
    match v {
        None => Ok((format_secs(default), default)),
        Some(s) => {
            let ms = flint_web::query_api::parse_time(s)
                .map_err(|e| anyhow::anyhow!("error parsing {name} time: {e}"))?;
            Ok((s.to_owned(), ms as f64 / 1000.0))
        }
    }
}

fn format_secs(s: f64) -> String {
    format!("{:.3}", s)
}

fn plan(cmd: &QueryCommand) -> anyhow::Result<Call> {
    Ok(match cmd {
        QueryCommand::Instant { server, expr, time } => {
            let mut params = vec![("query".to_owned(), expr.clone())];
            if let Some(t) = time {
                params.push(("time".into(), time_flag("eval", Some(t), 0.0)?.0));
            }
            Call {
                server: server.clone(),
                path: "query".into(),
                params,
                post: true,
            }
        }
        QueryCommand::Range {
            server,
            expr,
            start,
            end,
            step,
        } => {
            let (end_s, end_v) = time_flag("end", end.as_deref(), now())?;
            let (start_s, start_v) = time_flag("start", start.as_deref(), end_v - 300.0)?;
            anyhow::ensure!(start_v <= end_v, "start time is not before end time");
            let step = match step {
                Some(s) => {
                    flint_web::query_api::parse_duration(s)
                        .map_err(|e| anyhow::anyhow!("error parsing step: {e}"))?;
                    s.clone()
                }
                // promtool's default: the range in 250 steps, at least one second.
                None => format!("{}", ((end_v - start_v) / 250.0).floor().max(1.0)),
            };
            let params = vec![
                ("query".into(), expr.clone()),
                ("start".into(), start_s),
                ("end".into(), end_s),
                ("step".into(), step),
            ];
            Call {
                server: server.clone(),
                path: "query_range".into(),
                params,
                post: true,
            }
        }
        QueryCommand::Series {
            server,
            matches,
            start,
            end,
        } => {
            let mut params: Vec<(String, String)> = matches
                .iter()
                .map(|m| ("match[]".to_owned(), m.clone()))
                .collect();
            times(&mut params, start, end)?;
            Call {
                server: server.clone(),
                path: "series".into(),
                params,
                post: true,
            }
        }
        QueryCommand::Labels {
            server,
            name,
            start,
            end,
            matches,
        } => {
            let mut params: Vec<(String, String)> = matches
                .iter()
                .map(|m| ("match[]".to_owned(), m.clone()))
                .collect();
            times(&mut params, start, end)?;
            let path = format!(
                "label/{}/values",
                url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
            );
            Call {
                server: server.clone(),
                path,
                params,
                post: false,
            }
        }
    })
}

/// `start` and `end` of series and label queries: promtool's defaults are 9999 hours
/// either side of now.
fn times(
    params: &mut Vec<(String, String)>,
    start: &Option<String>,
    end: &Option<String>,
) -> anyhow::Result<()> {
    const SPAN: f64 = 9999.0 * 3600.0;
    let now = now();
    params.push((
        "start".into(),
        time_flag("start", start.as_deref(), now - SPAN)?.0,
    ));
    params.push((
        "end".into(),
        time_flag("end", end.as_deref(), now + SPAN)?.0,
    ));
    Ok(())
}

/// Sends the call; an API error becomes `<errorType>: <error>`.
async fn send(call: &Call, headers: &[String]) -> anyhow::Result<Value> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let base = call.server.trim_end_matches('/');
    let url = format!("{base}/api/v1/{}", call.path);
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&call.params)
        .finish();
    let mut req = if call.post {
        client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded)
    } else if encoded.is_empty() {
        client.get(&url)
    } else {
        client.get(format!("{url}?{encoded}"))
    };
    for h in headers {
        let (k, v) = h
            .split_once(':')
            .with_context(|| format!("invalid header {h:?}: want \"Name: value\""))?;
        req = req.header(k.trim(), v.trim());
    }
    let method = if call.post { "Post" } else { "Get" };
    let resp = req
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{method} {url:?}: {}", root_cause(&e)))?;
    let status = resp.status();
    let body = resp.text().await?;
    let v: Value = serde_json::from_str(&body)
        .map_err(|_| anyhow::anyhow!("server returned HTTP status {status}: {}", body.trim()))?;
    if v["status"] == "error" {
        anyhow::bail!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("unknown"),
            v["error"].as_str().unwrap_or("")
        );
    }
    Ok(v)
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
