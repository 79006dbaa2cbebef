//! The web UIs in a real browser (Debian's chromium through chromium-driver's WebDriver)
//! against the all-in-one stack: every page loads, a graph query draws one path per series,
//! a silence made in the Alertmanager's form silences the Watchdog alert and is expired
//! again. Screenshots of the pages go to `target/ui-screenshots/`.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use super::support::{Proc, free_port, http_get, spawn, wait_for};

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Saves a screenshot of the current page as `<name>.png`.
async fn shot(c: &Client, name: &str) {
    match c.screenshot().await {
        Ok(png) => {
            let _ = std::fs::write(screenshots_dir().join(format!("{name}.png")), png);
        }
        Err(e) => eprintln!("screenshot {name}: {e}"),
    }
}

/// Opens `url` and checks the page rendered (a `<main>` and the expected heading text).
async fn visit(c: &Client, url: &str, expect: &str, name: &str) -> String {
    c.goto(url)
        .await
        .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    let body = c
        .find(Locator::Css("body"))
        .await
        .unwrap_or_else(|e| panic!("{url}: no body: {e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        body.contains(expect),
        "{url}: {expect:?} not on the page:\n{body}"
    );
    shot(c, name).await;
    body
}

async fn connect(driver_port: u16) -> Client {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,900"]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("an object literal"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = String::new();
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no WebDriver session: {last}");
}

/// Polls `f` every 250 ms for up to `secs`.
async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 4 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out: {what}");
}

#[test]
fn pages_graph_and_silence_in_a_browser() {
    let (Some(_), Some(driver)) = (
        flint_testkit::program::find_program("chromium"),
        flint_testkit::program::find_program("chromedriver"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("flint.log");
    let (web, am, wd) = (free_port(), free_port(), free_port());
    let _flint = spawn(
        env!("CARGO_BIN_EXE_flint").as_ref(),
        &[
            format!("--web.listen-address=127.0.0.1:{web}"),
            format!("--alertmanager.listen-address=127.0.0.1:{am}"),
            format!("--storage.path={}", dir.path().join("data").display()),
        ],
        &log,
    );
    let driver_log = dir.path().join("chromedriver.log");
    let _driver: Proc = spawn(&driver, &[format!("--port={wd}")], &driver_log);
    let logs = [log.as_path(), driver_log.as_path()];
    // Data to look at: both targets scraped a few times, the Watchdog alert at the Alertmanager.
    wait_for(60, "the Watchdog alert in the Alertmanager", &logs, || {
        http_get(am, "/api/v2/alerts")?
            .contains("\"Watchdog\"")
            .then_some(())
    });
    let up_series = wait_for(30, "two up series", &logs, || {
        let v: serde_json::Value =
            serde_json::from_str(&http_get(web, "/api/v1/query?query=up")?).ok()?;
        let n = v["data"]["result"].as_array()?.len();
        (n == 2).then_some(n)
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let c = connect(wd).await;
        let s = format!("http://127.0.0.1:{web}");
        let a = format!("http://127.0.0.1:{am}");

        // Every server page loads.
        for (path, expect, name) in [
            ("/targets", "Targets", "targets"),
            ("/service-discovery", "Service discovery", "service-discovery"),
            ("/rules", "Watchdog", "rules"),
            ("/alerts", "Watchdog", "alerts"),
            ("/status", "Runtime information", "status"),
            ("/tsdb-status", "Top metrics by series count", "tsdb-status"),
            ("/config", "scrape_configs", "config"),
            ("/flags", "storage.tsdb.path", "flags"),
        ] {
            visit(&c, &format!("{s}{path}"), expect, name).await;
        }
        let body = visit(&c, &format!("{s}/targets"), "up", "targets").await;
        assert!(!body.contains("down"), "{body}");

        // A query typed into the form, shown as a graph: one path per series.
        visit(&c, &format!("{s}/"), "Expression", "query-empty").await;
        let expr = c.find(Locator::Id("expr")).await.expect("expression box");
        expr.send_keys("up").await.expect("type");
        c.find(Locator::Css("input[name=tab][value=graph]"))
            .await
            .expect("graph tab")
            .click()
            .await
            .expect("click graph");
        c.find(Locator::Id("execute"))
            .await
            .expect("execute")
            .click()
            .await
            .expect("click execute");
        c.wait()
            .for_element(Locator::Css("svg#graph"))
            .await
            .expect("the graph");
        let paths = c
            .find_all(Locator::Css("svg#graph path.series"))
            .await
            .expect("paths");
        assert_eq!(paths.len(), up_series, "one path per series");
        let legend = c.find_all(Locator::Css("#legend li")).await.expect("legend");
        assert_eq!(legend.len(), up_series);
        shot(&c, "query-graph").await;
        // The hover read-out shows values under the pointer.
        let svg = c.find(Locator::Css("svg#graph")).await.expect("svg");
        let _ = c
            .execute(
                "var s=document.getElementById('graph');var b=s.getBoundingClientRect();\
                 s.dispatchEvent(new MouseEvent('mousemove',{clientX:b.right-20,clientY:b.top+50,bubbles:true}));",
                vec![],
            )
            .await;
        let hover = c.find(Locator::Id("hover")).await.expect("hover");
        let text = hover.text().await.unwrap_or_default();
        assert!(text.contains("up{"), "hover read-out: {text:?}");
        drop(svg);
        // A bad expression shows the parser's position.
        c.goto(&format!("{s}/query?expr=sum(up")).await.expect("goto");
        let err = c
            .find(Locator::Id("parse-error"))
            .await
            .expect("parse error")
            .text()
            .await
            .unwrap_or_default();
        assert!(err.contains("parse error at 1:"), "{err}");
        shot(&c, "query-parse-error").await;
        // The table view.
        c.goto(&format!("{s}/query?expr=up")).await.expect("goto");
        let rows = c
            .find_all(Locator::Css("#result-table tbody tr"))
            .await
            .expect("rows");
        assert_eq!(rows.len(), up_series);
        shot(&c, "query-table").await;

        // The Alertmanager: the Watchdog alert is listed; silence it from its own link.
        visit(&c, &format!("{a}/"), "Watchdog", "am-alerts").await;
        c.find(Locator::XPath(
            "//*[contains(concat(' ', @class, ' '), ' alert ')][contains(., 'Watchdog')]\
             //a[contains(., 'Silence')]",
        ))
        .await
        .expect("the alert's Silence link")
        .click()
        .await
        .expect("click Silence");
        c.wait()
            .for_element(Locator::Id("silence-form"))
            .await
            .expect("the silence form");
        // The matcher editor's button adds a row (the script's one job on this form).
        let rows = c.find_all(Locator::Css("[name=matcher_name]")).await.expect("rows");
        c.find(Locator::Id("add-matcher"))
            .await
            .expect("add-matcher button")
            .click()
            .await
            .expect("click add-matcher");
        let more = c.find_all(Locator::Css("[name=matcher_name]")).await.expect("rows");
        assert_eq!(more.len(), rows.len() + 1, "one more matcher row");
        c.find(Locator::Css("[name=created_by]"))
            .await
            .expect("creator field")
            .send_keys("browser-test")
            .await
            .expect("type creator");
        c.find(Locator::Css("[name=comment]"))
            .await
            .expect("comment field")
            .send_keys("silenced from the UI test")
            .await
            .expect("type comment");
        c.find(Locator::Css("button[name=action][value=preview]"))
            .await
            .expect("preview button")
            .click()
            .await
            .expect("click preview");
        // Clicks start a navigation: wait for the new page's element before reading it.
        let preview = c
            .wait()
            .for_element(Locator::Id("preview-alerts"))
            .await
            .expect("the preview")
            .text()
            .await
            .unwrap_or_default();
        assert!(preview.contains("Watchdog"), "the preview lists the alert:\n{preview}");
        shot(&c, "am-silence-preview").await;
        c.find(Locator::Css("button[name=action][value=create]"))
            .await
            .expect("create button")
            .click()
            .await
            .expect("click create");
        c.wait()
            .for_element(Locator::Id("silence"))
            .await
            .expect("the new silence's page");
        let url = c.current_url().await.expect("url").to_string();
        let id = url
            .rsplit('/')
            .next()
            .filter(|id| id.len() >= 32)
            .unwrap_or_else(|| panic!("not on a silence page: {url}"))
            .to_string();
        shot(&c, "am-silence").await;
        // The alert is now suppressed by that silence, in the API and on the page.
        let state = || {
            let body = http_get(am, "/api/v2/alerts?filter=alertname%3DWatchdog").unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            v[0]["status"]["state"].as_str().unwrap_or("").to_string()
        };
        eventually(10, "the Watchdog alert suppressed", || {
            let s = state();
            async move { s == "suppressed" }
        })
        .await;
        let body = visit(&c, &format!("{a}/?silenced=1"), "Watchdog", "am-alerts-silenced").await;
        assert!(body.contains(&id) || body.to_lowercase().contains("silenced"), "{body}");
        // Expire it from its page.
        c.goto(&format!("{a}/silences/{id}")).await.expect("goto silence");
        c.find(Locator::Css("form[action$='/expire'] button"))
            .await
            .expect("expire button")
            .click()
            .await
            .expect("click expire");
        eventually(10, "the Watchdog alert active again", || {
            let s = state();
            async move { s == "active" }
        })
        .await;
        let silence: serde_json::Value =
            serde_json::from_str(&http_get(am, &format!("/api/v2/silence/{id}")).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(silence["status"]["state"], "expired", "{silence}");
        visit(&c, &format!("{a}/silences"), "Expired", "am-silences").await;
        visit(&c, &format!("{a}/status"), "Status", "am-status").await;
        let _ = c.close().await;
    });
}
