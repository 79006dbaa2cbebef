//! `--cluster.tls-config`: mutual TLS between peers, in upstream's file format
//! (`tls_server_config` as the exporter toolkit's, `tls_client_config` as a scrape's
//! `tls_config`), on rustls. With TLS, every packet travels over TLS streams, as upstream's
//! TLS transport does; nothing goes over UDP.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Deserialize;

use crate::config::http::TlsConfig as ClientTls;
use crate::error::{Error, Result};

/// `tls_server_config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    /// `cert_file`.
    #[serde(default)]
    pub cert_file: String,
    /// `key_file`.
    #[serde(default)]
    pub key_file: String,
    /// `client_auth_type`: `NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`,
    /// `VerifyClientCertIfGiven`, `RequireAndVerifyClientCert`.
    #[serde(default)]
    pub client_auth_type: String,
    /// `client_ca_file`.
    #[serde(default)]
    pub client_ca_file: String,
    /// `min_version`.
    #[serde(default)]
    pub min_version: String,
    /// `max_version`.
    #[serde(default)]
    pub max_version: String,
    /// Accepted for compatibility; rustls picks its own suites.
    #[serde(default)]
    pub cipher_suites: Vec<String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub curve_preferences: Vec<String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub prefer_server_cipher_suites: Option<bool>,
}

/// The `--cluster.tls-config` file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// How peers authenticate to us.
    #[serde(default)]
    pub tls_server_config: ServerTls,
    /// How we connect to peers.
    #[serde(default)]
    pub tls_client_config: ClientTls,
}

/// Built TLS configs for both directions.
#[derive(Clone)]
pub struct Tls {
    /// For accepted streams.
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// For dialed streams.
    pub connector: tokio_rustls::TlsConnector,
    /// The name checked in peers' certificates; empty: the peer's IP address.
    pub server_name: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Cluster(format!("{}: {msg}", path.display()))
}

fn certs(path: &str, file: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let certs = CertificateDer::pem_slice_iter(&data)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| err(file, format!("{path}: {e}")))?;
    if certs.is_empty() {
        return Err(err(file, format!("{path}: no certificate found")));
    }
    Ok(certs)
}

fn key(path: &str, file: &Path) -> Result<PrivateKeyDer<'static>> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    PrivateKeyDer::from_pem_slice(&data).map_err(|e| err(file, format!("{path}: {e}")))
}

fn roots(path: &str, file: &Path) -> Result<rustls::RootCertStore> {
    let mut store = rustls::RootCertStore::empty();
    for c in certs(path, file)? {
        store
            .add(c)
            .map_err(|e| err(file, format!("{path}: {e}")))?;
    }
    Ok(store)
}

/// rustls offers TLS 1.2 and 1.3 only.
fn versions(
    min: &str,
    max: &str,
    file: &Path,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let rank = |v: &str| match v {
        "" => Ok(None),
        "TLS10" | "TLS11" | "TLS12" => Ok(Some(12)),
        "TLS13" => Ok(Some(13)),
        other => Err(err(file, format!("unknown TLS version: {other}"))),
    };
    let (lo, hi) = (rank(min)?.unwrap_or(12), rank(max)?.unwrap_or(13));
    let mut out = Vec::new();
    if lo <= 12 && hi >= 12 {
        out.push(&rustls::version::TLS12);
    }
    if hi >= 13 {
        out.push(&rustls::version::TLS13);
    }
    if out.is_empty() {
        return Err(err(file, "min_version is above max_version"));
    }
    Ok(out)
}

impl TlsFile {
    /// Reads and builds the file's configs.
    pub fn load(path: &Path) -> Result<Tls> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let f: TlsFile = serde_saphyr::from_str(&text).map_err(|e| err(path, e))?;
        f.build(path)
    }

    fn build(&self, file: &Path) -> Result<Tls> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s = &self.tls_server_config;
        if s.cert_file.is_empty() || s.key_file.is_empty() {
            return Err(err(file, "tls_server_config needs cert_file and key_file"));
        }
        let builder = rustls::ServerConfig::builder_with_protocol_versions(&versions(
            &s.min_version,
            &s.max_version,
            file,
        )?);
        let builder = match s.client_auth_type.as_str() {
            "" | "NoClientCert" | "RequestClientCert" => builder.with_no_client_auth(),
            "RequireAnyClientCert" | "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert" => {
                if s.client_ca_file.is_empty() {
                    return Err(err(
                        file,
                        format!("client_ca_file is needed for {}", s.client_auth_type),
                    ));
                }
                let v = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots(
                    &s.client_ca_file,
                    file,
                )?));
                let v = if s.client_auth_type == "VerifyClientCertIfGiven" {
                    v.allow_unauthenticated()
                } else {
                    v
                };
                builder.with_client_cert_verifier(v.build().map_err(|e| err(file, e))?)
            }
            other => return Err(err(file, format!("invalid client_auth_type: {other}"))),
        };
        let server = builder
            .with_single_cert(certs(&s.cert_file, file)?, key(&s.key_file, file)?)
            .map_err(|e| err(file, e))?;
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
            connector: tokio_rustls::TlsConnector::from(Arc::new(self.client(file)?)),
            server_name: self.tls_client_config.server_name.clone(),
        })
    }

    fn client(&self, file: &Path) -> Result<rustls::ClientConfig> {
        let c = &self.tls_client_config;
        c.validate().map_err(|e| err(file, e))?;
        if c.insecure_skip_verify {
            return Err(err(
                file,
                "insecure_skip_verify is not supported for the cluster; give ca_file",
            ));
        }
        if c.ca_file.is_empty() {
            return Err(err(file, "tls_client_config needs ca_file"));
        }
        let builder = rustls::ClientConfig::builder_with_protocol_versions(&versions(
            &c.min_version,
            &c.max_version,
            file,
        )?)
        .with_root_certificates(roots(&c.ca_file, file)?);
        if c.cert_file.is_empty() {
            Ok(builder.with_no_client_auth())
        } else {
            builder
                .with_client_auth_cert(certs(&c.cert_file, file)?, key(&c.key_file, file)?)
                .map_err(|e| err(file, e))
        }
    }
}

impl Tls {
    /// The name to verify for a peer at `ip`.
    pub fn name_for(&self, ip: std::net::IpAddr) -> Result<ServerName<'static>> {
        if self.server_name.is_empty() {
            Ok(ServerName::IpAddress(ip.into()))
        } else {
            ServerName::try_from(self.server_name.clone())
                .map_err(|e| Error::Cluster(format!("invalid server_name: {e}")))
        }
    }
}
