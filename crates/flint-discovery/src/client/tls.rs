//! `tls_config` as rustls: CA (inline, file or the system bundle), client certificate,
//! `server_name` (the name the certificate must carry), `insecure_skip_verify`, and
//! `min_version`/`max_version` within what rustls speaks (TLS 1.2 and 1.3).
//!
//! Differences from Go, by rustls's design: TLS 1.0 and 1.1 are not available (a
//! `min_version` below 1.2 means 1.2, a `max_version` below 1.2 is an error), and SNI
//! carries the URL's host while `server_name` only changes the verified name.

use std::sync::Arc;

use flint_config::tls::TlsConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::error::{Error, Result};

/// The CA bundle used when a config names no CA.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::ClientFile {
        path: path.to_string(),
        source,
    })
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Client(format!("{what}: {e}")))
}

/// The protocol versions between `min_version` and `max_version`.
fn versions(t: &TlsConfig) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let rank = |v: &str| match v {
        "TLS10" => 10,
        "TLS11" => 11,
        "TLS12" => 12,
        "TLS13" => 13,
        _ => 0,
    };
    let min = if t.min_version.is_empty() {
        12
    } else {
        rank(&t.min_version)
    };
    let max = if t.max_version.is_empty() {
        13
    } else {
        rank(&t.max_version)
    };
    if max < min && !t.min_version.is_empty() && !t.max_version.is_empty() {
        return Err(Error::Client(format!(
            "tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified. Current values: min_version={}, max_version={}",
            t.min_version, t.max_version
        )));
    }
    let out: Vec<_> = [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
        .into_iter()
        .filter(|(v, _)| (min..=max).contains(v))
        .map(|(_, p)| p)
        .collect();
    if out.is_empty() {
        return Err(Error::Client(format!(
            "TLS versions below TLS12 are not supported (max_version {})",
            t.max_version
        )));
    }
    Ok(out)
}

fn roots(t: &TlsConfig) -> Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    let (pem, system) = if !t.ca.is_empty() {
        (t.ca.as_bytes().to_vec(), false)
    } else if !t.ca_file.is_empty() {
        (read(&t.ca_file)?, false)
    } else {
        (std::fs::read(SYSTEM_CA_BUNDLE).unwrap_or_default(), true)
    };
    for c in certs(&pem, "ca")? {
        match roots.add(c) {
            Ok(()) => {}
            // A bad certificate in the system bundle should not make every client fail.
            Err(_) if system => {}
            Err(e) => return Err(Error::Client(format!("ca: {e}"))),
        }
    }
    if !system && roots.is_empty() {
        return Err(Error::Client("ca: no certificate found".into()));
    }
    Ok(roots)
}

/// The rustls configuration of one `tls_config`.
pub fn client_config(t: &TlsConfig) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(t)?)
        .map_err(|e| Error::Client(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if t.insecure_skip_verify {
        Arc::new(NoVerify(provider))
    } else {
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(t)?),
            provider,
        )
        .build()
        .map_err(|e| Error::Client(format!("ca: {e}")))?;
        if t.server_name.is_empty() {
            webpki
        } else {
            let name = ServerName::try_from(t.server_name.clone())
                .map_err(|e| Error::Client(format!("server_name {:?}: {e}", t.server_name)))?;
            Arc::new(Named {
                inner: webpki,
                name,
            })
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let cert_pem = if !t.cert.is_empty() {
        Some(t.cert.as_bytes().to_vec())
    } else if !t.cert_file.is_empty() {
        Some(read(&t.cert_file)?)
    } else {
        None
    };
    let mut cfg = match cert_pem {
        None => builder.with_no_client_auth(),
        Some(cert_pem) => {
            let key_pem = if !t.key.is_empty() {
                t.key.expose().as_bytes().to_vec()
            } else {
                read(&t.key_file)?
            };
            let key = PrivateKeyDer::from_pem_slice(&key_pem)
                .map_err(|e| Error::Client(format!("key: {e}")))?;
            builder
                .with_client_auth_cert(certs(&cert_pem, "cert")?, key)
                .map_err(|e| Error::Client(e.to_string()))?
        }
    };
    // Flint's HTTP client speaks HTTP/1.1; `enable_http2` cannot add more.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// `server_name`: verifies the certificate against the configured name instead of the
/// URL's host.
#[derive(Debug)]
struct Named {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for Named {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure_skip_verify: true`: any certificate, signatures still checked.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges() {
        let t = |min: &str, max: &str| TlsConfig {
            min_version: min.into(),
            max_version: max.into(),
            ..TlsConfig::default()
        };
        let v = |min, max| versions(&t(min, max)).map(|v| v.len());
        assert_eq!(v("", "").unwrap(), 2);
        assert_eq!(v("TLS13", "").unwrap(), 1);
        assert_eq!(v("TLS10", "TLS12").unwrap(), 1);
        assert!(v("TLS13", "TLS12").is_err());
        assert!(v("TLS10", "TLS11").is_err());
    }
}
