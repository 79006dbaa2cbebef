//! HTTP clients from `prometheus.yml` HTTP settings: TLS (rustls with ring), basic auth,
//! `authorization`, custom headers, proxies, redirects. Shared by HTTP SD and scraping.

use std::sync::Arc;
use std::time::Duration;

use flint_config::http_client::HttpClientConfig;
use reqwest::header::{HeaderName, HeaderValue};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// The CA bundle used when a config names no CA.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A client plus the per-request settings (auth, headers) of one config.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    cfg: Arc<HttpClientConfig>,
}

/// Options that are not part of the HTTP settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Whole-request timeout, if any (scrapes set their own per request).
    pub timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            user_agent: format!("Flint/{}", env!("CARGO_PKG_VERSION")),
            timeout: None,
        }
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::ClientFile {
        path: path.to_string(),
        source,
    })
}

fn read_trimmed(path: &str) -> Result<String> {
    Ok(String::from_utf8_lossy(&read(path)?).trim().to_string())
}

impl HttpClient {
    /// Builds a client for `cfg`.
    pub fn new(cfg: &HttpClientConfig, opts: &ClientOptions) -> Result<Self> {
        if cfg.oauth2.is_some() {
            return Err(Error::Client("oauth2 is not supported yet".into()));
        }
        let tls = tls_config(cfg)?;
        let mut b = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(opts.user_agent.clone())
            .redirect(if cfg.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            })
            .pool_max_idle_per_host(4);
        if let Some(t) = opts.timeout {
            b = b.timeout(t);
        }
        if !cfg.proxy_url.is_empty() {
            let mut proxy = reqwest::Proxy::all(&cfg.proxy_url)
                .map_err(|e| Error::Client(format!("proxy_url: {e}")))?;
            if !cfg.no_proxy.is_empty() {
                proxy = proxy.no_proxy(reqwest::NoProxy::from_string(&cfg.no_proxy));
            }
            b = b.proxy(proxy);
        } else if !cfg.proxy_from_environment {
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| Error::Client(e.to_string()))?;
        Ok(HttpClient {
            client,
            cfg: Arc::new(cfg.clone()),
        })
    }

    /// A GET request with the config's credentials and headers (files read now, so rotated
    /// secrets are picked up).
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST request with the config's credentials and headers (the notifier's pushes).
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.request(reqwest::Method::POST, url)
    }

    /// A request with the config's credentials and headers.
    pub fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder> {
        let mut rb = self.client.request(method, url);
        let cfg = &self.cfg;
        if let Some(b) = &cfg.basic_auth {
            let user = if b.username_file.is_empty() {
                b.username.clone()
            } else {
                read_trimmed(&b.username_file)?
            };
            let pass = if b.password_file.is_empty() {
                b.password.expose().to_string()
            } else {
                read_trimmed(&b.password_file)?
            };
            rb = rb.basic_auth(user, Some(pass));
        }
        if let Some(a) = &cfg.authorization {
            let cred = if a.credentials_file.is_empty() {
                a.credentials.expose().to_string()
            } else {
                read_trimmed(&a.credentials_file)?
            };
            rb = rb.header(reqwest::header::AUTHORIZATION, format!("{} {cred}", a.kind));
        }
        for (name, h) in &cfg.http_headers {
            let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                continue;
            };
            let mut values: Vec<String> = h.values.clone();
            values.extend(h.secrets.iter().map(|s| s.expose().to_string()));
            for f in &h.files {
                values.push(read_trimmed(f)?);
            }
            for v in values {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    rb = rb.header(name.clone(), v);
                }
            }
        }
        Ok(rb)
    }
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Client(format!("{what}: {e}")))
}

fn tls_config(cfg: &HttpClientConfig) -> Result<rustls::ClientConfig> {
    let t = &cfg.tls_config;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = match t.min_version.as_str() {
        "TLS13" => vec![&rustls::version::TLS13],
        _ => vec![&rustls::version::TLS12, &rustls::version::TLS13],
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| Error::Client(e.to_string()))?;
    let builder = if t.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let pem = if !t.ca.is_empty() {
            t.ca.as_bytes().to_vec()
        } else if !t.ca_file.is_empty() {
            read(&t.ca_file)?
        } else {
            std::fs::read(SYSTEM_CA_BUNDLE).unwrap_or_default()
        };
        for c in certs(&pem, "ca")? {
            // A bad certificate in the system bundle should not make every client fail.
            let _ = roots.add(c);
        }
        builder.with_root_certificates(roots)
    };
    let cert_pem = if !t.cert.is_empty() {
        Some(t.cert.as_bytes().to_vec())
    } else if !t.cert_file.is_empty() {
        Some(read(&t.cert_file)?)
    } else {
        None
    };
    let Some(cert_pem) = cert_pem else {
        return Ok(builder.with_no_client_auth());
    };
    let key_pem = if !t.key.is_empty() {
        t.key.expose().as_bytes().to_vec()
    } else {
        read(&t.key_file)?
    };
    let key =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| Error::Client(format!("key: {e}")))?;
    builder
        .with_client_auth_cert(certs(&cert_pem, "cert")?, key)
        .map_err(|e| Error::Client(e.to_string()))
}

/// `insecure_skip_verify: true`.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
