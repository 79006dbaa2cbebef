//! The HTTP client against local servers: TLS (CA, `server_name`, client certificates,
//! versions, `insecure_skip_verify`), OAuth2 client credentials (caching, refresh, secret
//! rotation, auth styles), proxies and redirects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use flint_config::http_client::HttpClientConfig;
use flint_config::{LoadOptions, load_str};
use flint_discovery::client::{ClientOptions, HttpClient};
use flint_testkit::net::{self, Log, Seen};

fn tls_dir() -> String {
    format!("{}/testdata/tls", env!("CARGO_MANIFEST_DIR"))
}

/// The HTTP settings of a scrape job written in YAML (`{tls}` is the certificate folder).
fn http(yaml: &str) -> HttpClientConfig {
    let yaml = yaml.replace("{tls}", &tls_dir());
    let cfg = load_str(
        &format!(
            "scrape_configs:\n  - job_name: j\n    {}\n",
            yaml.replace('\n', "\n    ")
        ),
        LoadOptions::default(),
    )
    .unwrap();
    cfg.scrape_configs[0].http_client()
}

fn client(yaml: &str) -> HttpClient {
    HttpClient::new(&http(yaml), &ClientOptions::default()).unwrap()
}

async fn get(c: &HttpClient, url: &str) -> Result<reqwest::Response, String> {
    let rb = c.get_async(url).await.map_err(|e| e.to_string())?;
    rb.send().await.map_err(|e| format!("{e:?}"))
}

/// The TLS test server with certificate `name` from the test folder; `verify_clients`
/// requires client certificates from the test CA.
async fn tls_server(
    name: &str,
    verify_clients: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (String, Log<Seen>) {
    let dir = tls_dir();
    let ca = PathBuf::from(format!("{dir}/ca.crt"));
    let (port, seen) = net::tls_server(
        Path::new(&format!("{dir}/{name}.crt")),
        Path::new(&format!("{dir}/{name}.key")),
        verify_clients.then_some(ca.as_path()),
        versions,
    )
    .await;
    (format!("https://127.0.0.1:{port}/metrics"), seen)
}

const BOTH: &[&rustls::SupportedProtocolVersion] = net::TLS12_AND_13;

#[tokio::test]
async fn tls_ca_and_server_name() {
    let (url, _) = tls_server("server", false, BOTH).await;
    let ok = get(&client("tls_config: {ca_file: '{tls}/ca.crt'}"), &url).await;
    assert_eq!(ok.unwrap().status(), 200);
    let err = get(&client("honor_labels: false"), &url).await.unwrap_err();
    assert!(err.contains("UnknownIssuer"), "{err}");
    // A certificate only for scrape.flint.test: the name has to be given.
    let (url, _) = tls_server("named", false, BOTH).await;
    let err = get(&client("tls_config: {ca_file: '{tls}/ca.crt'}"), &url)
        .await
        .unwrap_err();
    assert!(err.contains("NotValidForName"), "{err}");
    let c = client("tls_config: {ca_file: '{tls}/ca.crt', server_name: scrape.flint.test}");
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    let c = client("tls_config: {insecure_skip_verify: true}");
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    // An inline CA works like the file.
    let ca = std::fs::read_to_string(format!("{}/ca.crt", tls_dir())).unwrap();
    let mut cfg = http("honor_labels: false");
    cfg.tls_config.ca = ca;
    cfg.tls_config.server_name = "scrape.flint.test".into();
    let c = HttpClient::new(&cfg, &ClientOptions::default()).unwrap();
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    // A CA file that is not there fails at build time with its name.
    let e = HttpClient::new(
        &http("tls_config: {ca_file: /nonexistent/ca.crt}"),
        &ClientOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.crt"), "{e}");
}

#[tokio::test]
async fn tls_client_certificates() {
    let (url, seen) = tls_server("server", true, BOTH).await;
    let without = get(&client("tls_config: {ca_file: '{tls}/ca.crt'}"), &url).await;
    assert!(without.is_err(), "the server wants a certificate");
    let c = client(
        "tls_config: {ca_file: '{tls}/ca.crt', cert_file: '{tls}/client.crt', key_file: '{tls}/client.key'}",
    );
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    assert!(seen.lock().unwrap().iter().any(|s| s.client_cert));
}

#[tokio::test]
async fn tls_versions() {
    let (url, seen) = tls_server("server", false, &[&rustls::version::TLS12]).await;
    let c = client("tls_config: {ca_file: '{tls}/ca.crt', min_version: TLS13}");
    assert!(get(&c, &url).await.is_err(), "server speaks 1.2 only");
    let c = client("tls_config: {ca_file: '{tls}/ca.crt', min_version: TLS10}");
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    let (url, seen13) = tls_server("server", false, BOTH).await;
    let c = client("tls_config: {ca_file: '{tls}/ca.crt', max_version: TLS12}");
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    let c = client("tls_config: {ca_file: '{tls}/ca.crt'}");
    assert_eq!(get(&c, &url).await.unwrap().status(), 200);
    let v13: Vec<_> = seen13.lock().unwrap().iter().map(|s| s.version).collect();
    assert_eq!(
        v13,
        vec![
            Some(rustls::ProtocolVersion::TLSv1_2),
            Some(rustls::ProtocolVersion::TLSv1_3)
        ]
    );
    assert!(!seen.lock().unwrap().is_empty());
    let e = HttpClient::new(
        &http("tls_config: {max_version: TLS11}"),
        &ClientOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("below TLS12"), "{e}");
}

/// What the token endpoint received.
#[derive(Debug, Default)]
struct TokenLog {
    forms: Vec<BTreeMap<String, String>>,
    auth: Vec<Option<String>>,
}

/// A token endpoint (`/token`, `/strict-token` refusing basic auth) and `/metrics`
/// accepting the latest token. Tokens expire after `expires_in` seconds.
async fn oauth_server(expires_in: u64) -> (String, Arc<Mutex<TokenLog>>) {
    use axum::routing::{get, post};
    let log = Arc::new(Mutex::new(TokenLog::default()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let issue = move |log: Arc<Mutex<TokenLog>>, strict: bool, h: HeaderMap, body: String| {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let auth = h
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        let mut l = log.lock().unwrap();
        l.forms.push(form.clone());
        l.auth.push(auth.clone());
        if strict && auth.is_some() {
            return (
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid_client"}"#.to_string(),
            )
                .into_response();
        }
        let n = l.forms.len();
        (
            [("content-type", "application/json")],
            format!(
                r#"{{"access_token":"tok-{n}","token_type":"bearer","expires_in":{expires_in}}}"#
            ),
        )
            .into_response()
    };
    let i2 = issue;
    let app = axum::Router::new()
        .route(
            "/token",
            post(move |h: HeaderMap, body: String| async move { issue(l1, false, h, body) }),
        )
        .route(
            "/strict-token",
            post(move |h: HeaderMap, body: String| async move { i2(l2, true, h, body) }),
        )
        .route(
            "/metrics",
            get(move |h: HeaderMap| async move {
                let n = l3.lock().unwrap().forms.len();
                let want = format!("Bearer tok-{n}");
                if h.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str()) {
                    (StatusCode::OK, "ok").into_response()
                } else {
                    (StatusCode::UNAUTHORIZED, "no").into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), log)
}

#[tokio::test]
async fn oauth2_tokens_are_cached_and_refreshed() {
    let (base, log) = oauth_server(3600).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s1\n").unwrap();
    let c = client(&format!(
        "oauth2: {{client_id: 'my id', client_secret_file: '{}', token_url: '{base}/token', scopes: [a, b], endpoint_params: {{audience: x}}}}",
        secret.display()
    ));
    for _ in 0..3 {
        assert_eq!(
            get(&c, &format!("{base}/metrics")).await.unwrap().status(),
            200
        );
    }
    {
        let l = log.lock().unwrap();
        assert_eq!(l.forms.len(), 1, "one token for three requests");
        let f = &l.forms[0];
        assert_eq!(f["grant_type"], "client_credentials");
        assert_eq!(f["scope"], "a b");
        assert_eq!(f["audience"], "x");
        assert!(!f.contains_key("client_secret"));
        // Basic auth with the query-escaped id and secret: "my+id:s1".
        assert_eq!(l.auth[0].as_deref(), Some("Basic bXkraWQ6czE="));
    }
    // The synchronous request builder attaches the cached token.
    let r = c
        .get(&format!("{base}/metrics"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A rotated secret: a new token with it.
    std::fs::write(&secret, "s2").unwrap();
    assert_eq!(
        get(&c, &format!("{base}/metrics")).await.unwrap().status(),
        200
    );
    let l = log.lock().unwrap();
    assert_eq!(l.forms.len(), 2);
    assert_eq!(l.auth[1].as_deref(), Some("Basic bXkraWQ6czI="));
}

#[tokio::test]
async fn oauth2_short_tokens_and_auth_in_params() {
    // Tokens living less than the expiry margin are fetched for every request.
    let (base, log) = oauth_server(5).await;
    let c = client(&format!(
        "oauth2: {{client_id: id, client_secret: pw, token_url: '{base}/strict-token'}}"
    ));
    for _ in 0..2 {
        assert_eq!(
            get(&c, &format!("{base}/metrics")).await.unwrap().status(),
            200
        );
    }
    {
        let l = log.lock().unwrap();
        // First request: basic auth refused, then form parameters; after that, straight
        // to the form.
        assert_eq!(l.forms.len(), 3, "{:?}", l.forms);
        assert!(l.auth[0].is_some() && l.auth[1].is_none() && l.auth[2].is_none());
        assert_eq!(l.forms[1]["client_id"], "id");
        assert_eq!(l.forms[1]["client_secret"], "pw");
    }
    // A refusing endpoint: the error names OAuth2 and the status.
    let c = client(&format!(
        "oauth2: {{client_id: id, client_secret: pw, token_url: '{base}/nope'}}"
    ));
    let e = get(&c, &format!("{base}/metrics")).await.unwrap_err();
    assert!(e.contains("oauth2") && e.contains("404"), "{e}");
}

#[tokio::test]
async fn proxies_and_connect_headers() {
    let (purl, seen) = net::recording_proxy(200).await;
    let c = client(&format!("proxy_url: '{purl}'"));
    let r = get(&c, "http://target.invalid:9100/metrics").await.unwrap();
    assert_eq!(r.text().await.unwrap(), "proxied\n");
    assert!(
        seen.lock().unwrap()[0].starts_with("GET http://target.invalid:9100/metrics HTTP/1.1"),
        "{:?}",
        seen.lock().unwrap()
    );
    // no_proxy bypasses it (the direct connection then fails: nothing listens there).
    let c = client(&format!("proxy_url: '{purl}'\nno_proxy: target.invalid"));
    assert!(get(&c, "http://target.invalid:9100/metrics").await.is_err());
    assert_eq!(seen.lock().unwrap().len(), 1);
    // HTTPS goes through CONNECT, carrying proxy_connect_header.
    let (purl, seen) = net::recording_proxy(403).await;
    let c = client(&format!(
        "proxy_url: '{purl}'\nproxy_connect_header: {{X-Proxy-Token: [secret1]}}"
    ));
    assert!(
        get(&c, "https://target.invalid:9100/metrics")
            .await
            .is_err()
    );
    let req = seen.lock().unwrap()[0].to_ascii_lowercase();
    assert!(req.starts_with("connect target.invalid:9100"), "{req}");
    assert!(req.contains("x-proxy-token: secret1"), "{req}");
}

#[tokio::test]
async fn redirects_follow_the_setting() {
    use axum::routing::get as route_get;
    let app = axum::Router::new()
        .route(
            "/old",
            route_get(|| async { axum::response::Redirect::temporary("/new") }),
        )
        .route("/new", route_get(|| async { "new" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://{addr}/old");
    let r = get(&client("honor_labels: false"), &url).await.unwrap();
    assert_eq!(r.text().await.unwrap(), "new");
    let r = get(&client("follow_redirects: false"), &url).await.unwrap();
    assert_eq!(r.status(), 307);
}
