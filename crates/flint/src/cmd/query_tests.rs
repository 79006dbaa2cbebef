//! `flint query` against Flint's own API, side by side with `promtool query` when installed.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use clap::Parser;
use flint_model::Labels;
use flint_storage::Appendable;
use flint_storage::memory::MemStorage;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    q: QueryArgs,
}

/// Where the data starts (ms): recent, as promtool's series and labels look ±9999 h
/// around now.
const BASE: i64 = 1_780_000_000_000;

/// Serves the query API over a little data on its own runtime thread; returns the URL.
fn server() -> String {
    let storage = MemStorage::new();
    let mut app = storage.appender();
    for (job, v) in [("api", 1.0), ("db<&>", 0.5)] {
        let l = Labels::from_pairs([("__name__", "up"), ("job", job), ("instance", "h:1")]);
        for t in 0..20 {
            app.append(None, &l, BASE + t * 15_000, v).unwrap();
        }
    }
    app.commit().unwrap();
    let engine = flint_promql::Engine::new(flint_promql::EngineOptions::default());
    let opts = flint_web::query_api::QueryApiOptions::new(engine, Arc::new(storage));
    let api = flint_web::query_api::QueryApi::new(opts);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", l.local_addr().unwrap()))
                .unwrap();
            let app = flint_web::query_api::routes::<()>(api);
            let _ = flint_web::serve(l, app, tokio_util::sync::CancellationToken::new()).await;
        });
    });
    rx.recv().unwrap()
}

fn flint(args: &[&str]) -> (String, String, bool) {
    let mut argv = vec!["query"];
    argv.extend_from_slice(args);
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => return (String::new(), e.to_string(), false),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&cli.q, &mut out, &mut err).unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        code == ExitCode::SUCCESS,
    )
}

#[test]
fn queries_print_like_promtool() {
    let url = server();
    let u = url.as_str();
    let cases: Vec<Vec<&str>> = vec![
        vec!["instant", "--time=1780000200", u, "up"],
        vec!["instant", "--time=1780000200.5", u, "sum(up)"],
        vec!["instant", "--time=1780000200", u, "scalar(sum(up))"],
        vec!["instant", "--time=1780000200", u, "up[30s]"],
        vec![
            "range",
            "--start=1780000100",
            "--end=1780000200",
            "--step=30s",
            u,
            "up",
        ],
        vec!["series", "--match=up", "--match={job=\"api\"}", u],
        vec!["labels", u, "job"],
        vec!["-o", "json", "instant", "--time=1780000200", u, "up"],
        vec!["instant", u, "up("],
    ];
    let promtool = flint_testkit::find_program("promtool");
    for c in &cases {
        let (out, err, ok) = flint(c);
        assert!(ok || c.last() == Some(&"up("), "{c:?}: {err}");
        if let Some(p) = &promtool {
            let o = std::process::Command::new(p)
                .arg("query")
                .args(c)
                .output()
                .unwrap();
            assert_eq!(out, String::from_utf8_lossy(&o.stdout), "{c:?}");
            assert_eq!(err, String::from_utf8_lossy(&o.stderr), "{c:?}");
            assert_eq!(ok, o.status.success(), "{c:?}");
        }
    }
    let (out, _, _) = flint(&["instant", "--time=1780000200", u, "up"]);
    assert_eq!(
        out,
        "up{instance=\"h:1\", job=\"api\"} => 1 @[1780000200]\nup{instance=\"h:1\", job=\"db<&>\"} => 0.5 @[1780000200]\n"
    );
    let (_, err, ok) = flint(&["instant", u, "up("]);
    assert!(!ok);
    assert_eq!(
        err,
        "query error: bad_data: invalid parameter \"query\": 1:4: parse error: unclosed left parenthesis\n"
    );
    let (_, err, ok) = flint(&["instant", "--time=yesterday", u, "up"]);
    assert!(
        !ok && err.starts_with("error: error parsing eval time"),
        "{err}"
    );
}
