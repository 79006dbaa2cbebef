//! Packets and streams between peers: foca's packets over UDP (or over TLS streams with
//! `--cluster.tls-config`), push-pull and oversized items over TCP streams (TLS when
//! configured). Both listen on the same port, as memberlist does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::metrics::{ClusterMetrics, FULL_STATE};
use super::tls::Tls;
use super::wire::{self, FrameKind, FullState};
use crate::error::{Error, Result};

/// A byte stream, plain or TLS.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What the listener hands to the cluster.
#[derive(Debug)]
pub enum Incoming {
    /// A foca packet.
    Packet(Vec<u8>),
    /// An oversized item.
    Item(Vec<u8>),
}

/// Answers push-pull requests: merges the peer's state and returns ours.
pub trait PushPullServer: Send + Sync + 'static {
    /// Handles one request.
    fn exchange(&self, theirs: FullState) -> FullState;
}

/// The sockets and how to use them.
pub struct Transport {
    udp: Option<Arc<UdpSocket>>,
    tls: Option<Tls>,
    label: String,
    timeout: Duration,
    pool: Mutex<HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>>,
    metrics: ClusterMetrics,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("label", &self.label)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

fn io_err(what: &str, addr: SocketAddr, e: impl std::fmt::Display) -> Error {
    Error::Cluster(format!("{what} {addr}: {e}"))
}

/// Binds TCP and (without TLS) UDP on `addr`; port 0 picks one free for both.
pub fn bind(addr: SocketAddr, udp: bool) -> Result<(TcpListener, Option<UdpSocket>)> {
    for _ in 0..20 {
        let tcp = std::net::TcpListener::bind(addr).map_err(|e| io_err("listening on", addr, e))?;
        let local = tcp
            .local_addr()
            .map_err(|e| io_err("listening on", addr, e))?;
        let sock = if udp {
            match std::net::UdpSocket::bind(local) {
                Ok(s) => Some(s),
                // Port 0: the port TCP got may be taken for UDP; try another.
                Err(_) if addr.port() == 0 => continue,
                Err(e) => return Err(io_err("listening on UDP", local, e)),
            }
        } else {
            None
        };
        let conv = |e: std::io::Error| io_err("listening on", local, e);
        tcp.set_nonblocking(true).map_err(conv)?;
        let tcp = TcpListener::from_std(tcp).map_err(conv)?;
        let sock = match sock {
            Some(s) => {
                s.set_nonblocking(true).map_err(conv)?;
                Some(UdpSocket::from_std(s).map_err(conv)?)
            }
            None => None,
        };
        return Ok((tcp, sock));
    }
    Err(Error::Cluster(format!(
        "no free port for TCP and UDP on {addr}"
    )))
}

impl Transport {
    /// A transport over bound sockets.
    pub fn new(
        udp: Option<UdpSocket>,
        tls: Option<Tls>,
        label: String,
        timeout: Duration,
        metrics: ClusterMetrics,
    ) -> Self {
        Transport {
            udp: udp.map(Arc::new),
            tls,
            label,
            timeout,
            pool: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// Sends a foca packet; best effort, like UDP.
    pub fn send_packet(&self, to: SocketAddr, packet: &[u8]) {
        if let Some(udp) = &self.udp {
            let _ = udp.try_send_to(&wire::label_packet(&self.label, packet), to);
            return;
        }
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let tx = pool
            .entry(to)
            .or_insert_with(|| self.spawn_packet_stream(to));
        if tx.try_send(packet.to_vec()).is_err() && tx.is_closed() {
            pool.remove(&to);
        }
    }

    /// A task keeping one TLS stream to `to` for packets, redialing after errors.
    fn spawn_packet_stream(&self, to: SocketAddr) -> mpsc::Sender<Vec<u8>> {
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(256);
        let dialer = self.dialer();
        tokio::spawn(async move {
            let mut conn: Option<Box<dyn Stream>> = None;
            let idle = Duration::from_secs(60);
            while let Ok(Some(p)) = tokio::time::timeout(idle, rx.recv()).await {
                if conn.is_none() {
                    conn = dialer.connect(to).await.ok();
                }
                if let Some(c) = conn.as_mut()
                    && wire::write_frame(c, FrameKind::Packet, &p).await.is_err()
                {
                    conn = None;
                }
            }
        });
        tx
    }

    fn dialer(&self) -> Dialer {
        Dialer {
            tls: self.tls.clone(),
            label: self.label.clone(),
            timeout: self.timeout,
        }
    }

    /// Sends our full state to `to` and merges its answer (through `merge`).
    pub async fn push_pull(&self, to: SocketAddr, ours: &FullState) -> Result<FullState> {
        let d = self.dialer();
        let fut = async {
            let mut c = d.connect(to).await?;
            let data = ours.encode_to_vec();
            wire::write_frame(&mut c, FrameKind::PushPull, &data)
                .await
                .map_err(|e| io_err("push-pull to", to, e))?;
            self.metrics.on_sent(FULL_STATE, data.len());
            match wire::read_frame(&mut c).await? {
                Some((FrameKind::PushPullReply, body)) => {
                    self.metrics.on_received(FULL_STATE, body.len());
                    wire::decode_full(&body)
                }
                _ => Err(io_err("push-pull to", to, "no answer")),
            }
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| io_err("push-pull to", to, "timeout"))?
    }

    /// Sends one item over a stream (items too large for a packet).
    pub async fn send_item(&self, to: SocketAddr, item: &[u8]) -> Result<()> {
        let d = self.dialer();
        let fut = async {
            let mut c = d.connect(to).await?;
            wire::write_frame(&mut c, FrameKind::Item, item)
                .await
                .map_err(|e| io_err("sending to", to, e))
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| io_err("sending to", to, "timeout"))?
    }

    /// Receives UDP packets until `cancel`.
    pub async fn serve_udp(self: Arc<Self>, tx: mpsc::Sender<Incoming>, cancel: CancellationToken) {
        let Some(udp) = self.udp.clone() else {
            return;
        };
        let mut buf = vec![0u8; 65536];
        loop {
            let r = tokio::select! {
                _ = cancel.cancelled() => return,
                r = udp.recv_from(&mut buf) => r,
            };
            let Ok((n, _from)) = r else { continue };
            match wire::unlabel_packet(&self.label, &buf[..n]) {
                Some(p) => {
                    if tx.send(Incoming::Packet(p.to_vec())).await.is_err() {
                        return;
                    }
                }
                None => tracing::debug!("Dropped a cluster packet with another label."),
            }
        }
    }

    /// Accepts streams until `cancel`.
    pub async fn serve_tcp(
        self: Arc<Self>,
        listener: TcpListener,
        tx: mpsc::Sender<Incoming>,
        server: Arc<dyn PushPullServer>,
        cancel: CancellationToken,
    ) {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => return,
                a = listener.accept() => a,
            };
            let Ok((tcp, from)) = accepted else { continue };
            let (me, tx, server, cancel) =
                (self.clone(), tx.clone(), server.clone(), cancel.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    r = me.handle_stream(tcp, tx, server) => if let Err(e) = r {
                        tracing::debug!(peer = %from, err = %e, "Cluster stream failed.");
                    }
                }
            });
        }
    }

    async fn handle_stream(
        &self,
        tcp: TcpStream,
        tx: mpsc::Sender<Incoming>,
        server: Arc<dyn PushPullServer>,
    ) -> Result<()> {
        let _ = tcp.set_nodelay(true);
        let mut s: Box<dyn Stream> = match &self.tls {
            Some(t) => Box::new(
                tokio::time::timeout(self.timeout, t.acceptor.accept(tcp))
                    .await
                    .map_err(|_| Error::Cluster("TLS handshake timeout".into()))?
                    .map_err(|e| Error::Cluster(format!("TLS handshake: {e}")))?,
            ),
            None => Box::new(tcp),
        };
        match tokio::time::timeout(self.timeout, wire::read_frame(&mut s)).await {
            Ok(Ok(Some((FrameKind::Hello, label)))) if label == self.label.as_bytes() => {}
            _ => return Err(Error::Cluster("stream without our label".into())),
        }
        while let Some((kind, body)) = wire::read_frame(&mut s).await? {
            match kind {
                FrameKind::Packet => {
                    let _ = tx.send(Incoming::Packet(body)).await;
                }
                FrameKind::Item => {
                    let _ = tx.send(Incoming::Item(body)).await;
                }
                FrameKind::PushPull => {
                    self.metrics.on_received(FULL_STATE, body.len());
                    let theirs = wire::decode_full(&body)?;
                    let ours = server.exchange(theirs).encode_to_vec();
                    wire::write_frame(&mut s, FrameKind::PushPullReply, &ours)
                        .await
                        .map_err(|e| Error::Cluster(format!("push-pull reply: {e}")))?;
                    self.metrics.on_sent(FULL_STATE, ours.len());
                }
                FrameKind::Hello | FrameKind::PushPullReply => {
                    return Err(Error::Cluster("unexpected frame".into()));
                }
            }
        }
        Ok(())
    }
}

/// Opens labelled streams to peers.
#[derive(Clone)]
struct Dialer {
    tls: Option<Tls>,
    label: String,
    timeout: Duration,
}

impl Dialer {
    async fn connect(&self, to: SocketAddr) -> Result<Box<dyn Stream>> {
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(to))
            .await
            .map_err(|_| io_err("connecting to", to, "timeout"))?
            .map_err(|e| io_err("connecting to", to, e))?;
        let _ = tcp.set_nodelay(true);
        let mut s: Box<dyn Stream> = match &self.tls {
            Some(t) => {
                let name = t.name_for(to.ip())?;
                Box::new(
                    tokio::time::timeout(self.timeout, t.connector.connect(name, tcp))
                        .await
                        .map_err(|_| io_err("TLS handshake with", to, "timeout"))?
                        .map_err(|e| io_err("TLS handshake with", to, e))?,
                )
            }
            None => Box::new(tcp),
        };
        wire::write_frame(&mut s, FrameKind::Hello, self.label.as_bytes())
            .await
            .map_err(|e| io_err("connecting to", to, e))?;
        Ok(s)
    }
}
