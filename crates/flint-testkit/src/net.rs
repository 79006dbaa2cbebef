//! Loopback servers for client tests: a TLS server that records each handshake and request,
//! and an HTTP proxy that records what it was asked.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// What the TLS server saw of one connection.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The negotiated protocol version.
    pub version: Option<rustls::ProtocolVersion>,
    /// Whether the client presented a certificate.
    pub client_cert: bool,
    /// The request head (request line and headers).
    pub head: String,
}

/// Everything a server recorded, shared with the test.
pub type Log<T> = Arc<Mutex<Vec<T>>>;

/// Both versions rustls speaks.
pub const TLS12_AND_13: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS12, &rustls::version::TLS13];

/// Reads up to the end of an HTTP request head.
async fn read_head(r: &mut (impl AsyncRead + Unpin)) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

fn certs(path: &Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .expect("certificate file")
        .collect::<Result<_, _>>()
        .expect("certificates")
}

/// A TLS server on loopback with `cert`/`key` speaking `versions`, answering every request
/// `200 ok`; with `client_ca` it requires client certificates signed by it. Returns the
/// port and the log of connections.
pub async fn tls_server(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (u16, Log<Seen>) {
    let key = PrivateKeyDer::from_pem_file(key).expect("key file");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .expect("versions");
    let b = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certs(ca) {
                roots.add(c).expect("client CA");
            }
            let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("client verifier");
            b.with_client_cert_verifier(v)
        }
        None => b.with_no_client_auth(),
    };
    let cfg = b.with_single_cert(certs(cert), key).expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen: Log<Seen> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let (_, conn) = tls.get_ref();
                let version = conn.protocol_version();
                let client_cert = conn.peer_certificates().is_some_and(|c| !c.is_empty());
                let Some(head) = read_head(&mut tls).await else {
                    return;
                };
                log.lock().expect("log").push(Seen {
                    version,
                    client_cert,
                    head,
                });
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, seen)
}

/// An HTTP proxy on loopback that records each request head and answers `status` with the
/// body `proxied\n` (so a `CONNECT` answered 403 fails the tunnel). Returns its URL.
pub async fn recording_proxy(status: u16) -> (String, Log<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen: Log<String> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let head = read_head(&mut tcp).await.unwrap_or_default();
            log.lock().expect("log").push(head);
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: 8\r\nconnection: close\r\n\r\nproxied\n"
            );
            let _ = tcp.write_all(resp.as_bytes()).await;
        }
    });
    (format!("http://{addr}"), seen)
}
