//! High availability: several `flint alertmanager` processes gossip their silences and
//! notification log so that users get one notification, not one per peer.
//!
//! # How it works
//!
//! - **Membership and failure detection** come from [`foca`] (SWIM with suspicion and
//!   infection-style dissemination) over UDP: [`node`] drives it on tokio time.
//! - **Changes** to silences and nflog entries (and Flint's notification intents) are
//!   gossiped as foca custom broadcasts, piggybacked on its probes and periodic gossip every
//!   `--cluster.gossip-interval`; items too large for a packet go over TCP to every member,
//!   as upstream does with oversized messages. Receivers merge them ([`state`]): the later
//!   update wins, ties broken by the encoded message, so merging is idempotent and
//!   commutative; only items that changed something are disseminated further.
//! - **Push-pull** ([`join`]): on joining, every `--cluster.pushpull-interval` with one random
//!   member, and on reconnecting, peers exchange their full state over TCP, so a peer that
//!   was down or partitioned converges, and a late joiner has the full state before it settles.
//! - **Settle** ([`settle`]): notifications wait until the member count has been stable for
//!   three checks (every ten gossip intervals) or `--cluster.settle-timeout` passed.
//! - **Peer position**: members ordered by name (ULIDs made at start, so the oldest peer comes
//!   first); the wait stage delays each integration by position × `--cluster.peer-timeout`.
//! - **Intents** (beyond upstream, see [`crate::nflog::Intent`]): before sending, a peer
//!   gossips that it is notifying; a later peer seeing a live intent of a live member waits
//!   for its outcome instead of sending too, so a failing-then-recovering receiver is not
//!   paged by every peer. Trade-off: while the first peer is alive and retrying, later peers
//!   do not try the receiver themselves (a receiver reachable only from a later peer is
//!   reached when the first peer's attempt ends, not in parallel).
//! - **Reconnect and refresh**: failed peers are retried every `--cluster.reconnect-interval`
//!   until `--cluster.reconnect-timeout`; `--cluster.peer` names are re-resolved in DNS
//!   every 15 s and new addresses joined.
//! - `--cluster.label` prefixes every packet and stream; others are dropped.
//!   `--cluster.tls-config` ([`tls`]) moves all traffic to mutual TLS over TCP streams.
//!
//! # Why foca
//!
//! - `foca` 2: a small, runtime-free SWIM core (no I/O of its own, so it runs on our tokio
//!   time and sockets), custom broadcasts with invalidation (what gossiping versioned items
//!   needs), renewable identities for fast rejoin, periodic gossip and announce extensions;
//!   stable API and production use. Chosen.
//! - `chitchat`: scuttlebutt anti-entropy of per-node key-value maps with a phi-accrual
//!   detector. Its state is owned per node, so a silence created on A lives in A's map and
//!   disappears from the cluster when A is gone; replicated, mergeable records (what
//!   silences and nflog are) would have to be rebuilt on top, and it brings its own UDP
//!   transport and tokio tasks.
//! - `memberlist` (the Rust port): aims at HashiCorp memberlist semantics, but is young,
//!   heavy (many crates, its own runtime abstraction) and, as of its current release, not
//!   wire-compatible with Go memberlist either, so it would not buy mixed clusters.
//!
//! # Joining a cluster of real Alertmanagers
//!
//! Not possible: upstream peers speak HashiCorp memberlist's wire protocol (msgpack-encoded
//! ping/ack/indirect-ping/suspect/alive/dead messages with compound and label headers,
//! optional AES-GCM encryption, and a TCP push-pull of member state plus the delegate's
//! `LocalState`) and Alertmanager's delegate framing (`clusterpb.Part`/`FullState` with the
//! `sil`/`nfl` channel keys). Flint speaks foca's postcard-encoded SWIM. The replicated
//! payloads are already compatible (silences and nflog entries are upstream's
//! `MeshSilence`/`MeshEntry` messages), so what it would take is a second membership
//! implementation of memberlist's protocol (about its 8 message types, the push-pull
//! exchange, Lifeguard awareness and suspicion, and the `clusterpb` delegate messages),
//! checked against Debian's `prometheus-alertmanager` in a differential test. Intents
//! would be invisible to upstream peers (unknown channel), which is safe.

mod identity;
pub mod join;
pub mod metrics;
mod node;
pub mod settle;
pub mod state;
pub mod tls;
pub mod transport;
pub mod wire;

pub use identity::PeerId;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::dispatch::BoxFuture;
use crate::error::{Error, Result};
use crate::notify::Peer;
use metrics::ClusterMetrics;
use state::Replicated;
use transport::Transport;

/// The cluster flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--cluster.listen-address` (port 0 picks a free one).
    pub listen: SocketAddr,
    /// `--cluster.advertise-address`.
    pub advertise: Option<SocketAddr>,
    /// `--cluster.peer`: `host:port`, names resolved and re-resolved.
    pub peers: Vec<String>,
    /// `--cluster.peer-timeout`.
    pub peer_timeout: Duration,
    /// `--cluster.gossip-interval`.
    pub gossip_interval: Duration,
    /// `--cluster.pushpull-interval`.
    pub pushpull_interval: Duration,
    /// `--cluster.probe-interval`.
    pub probe_interval: Duration,
    /// `--cluster.probe-timeout`.
    pub probe_timeout: Duration,
    /// `--cluster.tcp-timeout`.
    pub tcp_timeout: Duration,
    /// `--cluster.settle-timeout`.
    pub settle_timeout: Duration,
    /// `--cluster.reconnect-interval`.
    pub reconnect_interval: Duration,
    /// `--cluster.reconnect-timeout`.
    pub reconnect_timeout: Duration,
    /// How often `--cluster.peer` names are re-resolved (upstream: 15 s).
    pub refresh_interval: Duration,
    /// `--cluster.label`.
    pub label: String,
    /// `--cluster.tls-config`.
    pub tls_config: Option<PathBuf>,
}

impl Options {
    /// Upstream's defaults on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Options {
            listen,
            advertise: None,
            peers: Vec::new(),
            peer_timeout: Duration::from_secs(15),
            gossip_interval: Duration::from_millis(200),
            pushpull_interval: Duration::from_secs(60),
            probe_interval: Duration::from_secs(1),
            probe_timeout: Duration::from_millis(500),
            tcp_timeout: Duration::from_secs(10),
            settle_timeout: Duration::from_secs(60),
            reconnect_interval: Duration::from_secs(10),
            reconnect_timeout: Duration::from_secs(6 * 3600),
            refresh_interval: Duration::from_secs(15),
            label: String::new(),
            tls_config: None,
        }
    }
}

/// A peer in `/api/v2/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// Its name.
    pub name: String,
    /// Its advertised address.
    pub address: String,
}

/// The cluster as `/api/v2/status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterStatus {
    /// This peer's name (absent when disabled).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `ready`, `settling` or `disabled`.
    pub status: &'static str,
    /// Every member, this peer included.
    pub peers: Vec<PeerStatus>,
}

impl ClusterStatus {
    /// Clustering off.
    pub fn disabled() -> Self {
        ClusterStatus {
            name: String::new(),
            status: "disabled",
            peers: Vec::new(),
        }
    }
}

/// A member that went down, retried until the reconnect timeout.
#[derive(Debug, Clone)]
struct Failed {
    since: Instant,
}

#[derive(Debug, Default)]
struct View {
    /// Active members besides us.
    members: Vec<PeerId>,
    failed: HashMap<SocketAddr, Failed>,
    health: u32,
}

/// Inputs of the foca loop from the rest of the cluster.
#[derive(Debug)]
enum Input {
    /// A local change to gossip.
    Broadcast(Vec<u8>),
    /// Announce ourselves to a peer known by address.
    Announce(SocketAddr),
}

struct Inner {
    opts: Options,
    me: RwLock<PeerId>,
    name: String,
    view: RwLock<View>,
    settled: watch::Sender<bool>,
    metrics: ClusterMetrics,
    state: Replicated,
    transport: Arc<Transport>,
    inputs: mpsc::UnboundedSender<Input>,
}

/// The cheap handle: position, settle, status; what the pipeline and the API use.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// A bound, not yet running cluster peer.
pub struct ClusterNode {
    cluster: Cluster,
    listener: TcpListener,
    inputs: mpsc::UnboundedReceiver<Input>,
}

impl std::fmt::Debug for ClusterNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cluster.fmt(f)
    }
}

/// The address to advertise: the explicit one, else the listen address when it is
/// specific, else the host's address toward the network (upstream uses a private IP).
fn advertise_addr(opts: &Options, bound: SocketAddr) -> Result<SocketAddr> {
    if let Some(a) = opts.advertise {
        return Ok(a);
    }
    if !bound.ip().is_unspecified() {
        return Ok(bound);
    }
    // Connecting a UDP socket sends nothing; it only picks the route's source address.
    let probe = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("10.254.254.254:9").map(|_| s))
        .and_then(|s| s.local_addr());
    match probe {
        Ok(a) if !a.ip().is_unspecified() => Ok(SocketAddr::new(a.ip(), bound.port())),
        _ => Err(Error::Cluster(
            "no private IP found, explicit advertise addr not provided".into(),
        )),
    }
}

impl ClusterNode {
    /// Binds the sockets and hooks silences and nflog to the gossip.
    pub fn new(
        opts: Options,
        state: Replicated,
        registry: &flint_client::Registry,
    ) -> Result<Self> {
        if opts.label.len() > 255 {
            return Err(Error::Cluster(format!(
                "label is {} bytes long; at most 255 are allowed",
                opts.label.len()
            )));
        }
        let tls = match &opts.tls_config {
            Some(p) => Some(tls::TlsFile::load(p)?),
            None => None,
        };
        let (listener, udp) = transport::bind(opts.listen, tls.is_none())?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Cluster(format!("listening: {e}")))?;
        let me = PeerId::new(advertise_addr(&opts, bound)?);
        let metrics = ClusterMetrics::new(registry);
        metrics.enabled.set(1.0);
        metrics.members.set(1.0);
        let transport = Arc::new(Transport::new(
            udp,
            tls,
            opts.label.clone(),
            opts.tcp_timeout,
            metrics.clone(),
        ));
        let (tx, inputs) = mpsc::unbounded_channel();
        let s = tx.clone();
        state.silences.set_broadcast(Arc::new(move |pb| {
            let _ = s.send(Input::Broadcast(state::silence_item(pb)));
        }));
        let n = tx.clone();
        state.nflog.set_broadcast(Arc::new(move |item| {
            let _ = n.send(Input::Broadcast(state::nflog_item(item)));
        }));
        tracing::info!(name = %me.name, address = %me.addr, "Cluster peer created.");
        let cluster = Cluster {
            inner: Arc::new(Inner {
                name: me.name.clone(),
                me: RwLock::new(me),
                view: RwLock::new(View::default()),
                settled: watch::channel(false).0,
                metrics,
                state,
                transport,
                inputs: tx,
                opts,
            }),
        };
        Ok(ClusterNode {
            cluster,
            listener,
            inputs,
        })
    }

    /// The handle.
    pub fn handle(&self) -> Cluster {
        self.cluster.clone()
    }

    /// Joins the initial peers, then gossips, settles, pushes and pulls, reconnects and
    /// refreshes until `cancel`; leaves the cluster on the way out.
    pub async fn run(self, cancel: CancellationToken) {
        let c = self.cluster;
        let t = c.inner.transport.clone();
        let (net_tx, net_rx) = mpsc::channel(1024);
        let tasks = tokio_util::task::TaskTracker::new();
        tasks.spawn(t.clone().serve_udp(net_tx.clone(), cancel.clone()));
        tasks.spawn(t.serve_tcp(self.listener, net_tx, Arc::new(c.clone()), cancel.clone()));
        tasks.spawn(node::run(c.clone(), self.inputs, net_rx, cancel.clone()));
        join::initial_join(&c).await;
        tasks.spawn(settle::run(c.clone(), cancel.clone()));
        tasks.spawn(join::push_pull_loop(c.clone(), cancel.clone()));
        tasks.spawn(join::reconnect_loop(c.clone(), cancel.clone()));
        tasks.spawn(join::refresh_loop(c.clone(), cancel.clone()));
        tasks.close();
        tasks.wait().await;
    }
}

impl Cluster {
    /// This peer's identity now.
    pub fn me(&self) -> PeerId {
        self.inner
            .me
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Active members besides this one.
    pub fn members(&self) -> Vec<PeerId> {
        self.view().members.clone()
    }

    fn view(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.inner.view.read().unwrap_or_else(|p| p.into_inner())
    }

    fn view_mut(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.inner.view.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether notifications may go out.
    pub fn is_settled(&self) -> bool {
        *self.inner.settled.borrow()
    }

    /// The metrics.
    pub fn metrics(&self) -> &ClusterMetrics {
        &self.inner.metrics
    }

    fn position_of(&self, name: &str) -> u32 {
        let view = self.view();
        view.members
            .iter()
            .filter(|m| m.name.as_str() < name)
            .count() as u32
    }
}

impl transport::PushPullServer for Cluster {
    fn exchange(&self, theirs: wire::FullState) -> wire::FullState {
        if let Err(e) = self.inner.state.merge_full(&theirs) {
            tracing::warn!(peer = %theirs.name, err = %e, "Merging a peer's state failed.");
        }
        if let Ok(addr) = theirs.addr.parse::<SocketAddr>() {
            let _ = self.inner.inputs.send(Input::Announce(addr));
        }
        self.inner.state.full_state(&self.me())
    }
}

impl Peer for Cluster {
    fn position(&self) -> u32 {
        self.position_of(&self.inner.name)
    }

    fn name(&self) -> &str {
        &self.inner.name
    }

    fn is_member(&self, name: &str) -> bool {
        name == self.inner.name || self.view().members.iter().any(|m| m.name == name)
    }

    fn wait_settled(&self) -> BoxFuture<'_, ()> {
        let mut rx = self.inner.settled.subscribe();
        Box::pin(async move {
            let _ = rx.wait_for(|s| *s).await;
        })
    }

    fn status(&self) -> ClusterStatus {
        let me = self.me();
        let mut peers: Vec<PeerStatus> = std::iter::once(&me)
            .chain(self.view().members.iter())
            .map(|m| PeerStatus {
                name: m.name.clone(),
                address: m.addr.to_string(),
            })
            .collect();
        peers.sort_by(|a, b| a.name.cmp(&b.name));
        ClusterStatus {
            name: self.inner.name.clone(),
            status: if self.is_settled() {
                "ready"
            } else {
                "settling"
            },
            peers,
        }
    }
}

/// Whether `ip` is this host's (for not joining ourselves).
fn is_self(c: &Cluster, addr: SocketAddr) -> bool {
    let me = c.me().addr;
    addr == me
        || (addr.port() == me.port()
            && addr.ip() == IpAddr::from([127, 0, 0, 1])
            && me.ip().is_loopback())
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
