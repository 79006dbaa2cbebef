//! What goes over the wire besides foca's own packets: the label header of UDP packets,
//! the frames of TCP streams, the full-state message of push-pull and the gossiped items.
//!
//! A UDP packet is `[label length: u8][label][foca packet]`. A TCP stream starts with a
//! `Hello` frame carrying the label; every frame is `[kind: u8][length: u32 BE][payload]`.
//! A gossiped item is `[kind: u8][protobuf]`, kind 1 a `silencepb.MeshSilence`, kind 2 an
//! `nflogpb.MeshEntry`, kind 3 a notification intent (Flint only).

use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{Error, Result};

/// Largest frame accepted on a stream (a full state of many silences fits).
pub const MAX_FRAME: usize = 256 << 20;

/// Item kinds.
pub const ITEM_SILENCE: u8 = 1;
/// An nflog entry.
pub const ITEM_NFLOG: u8 = 2;
/// A notification intent.
pub const ITEM_INTENT: u8 = 3;

/// Kinds of stream frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// First frame: the cluster label.
    Hello = 0,
    /// A foca packet (TLS mode sends packets over streams).
    Packet = 1,
    /// Push-pull request: the sender's full state.
    PushPull = 2,
    /// Push-pull answer: the receiver's full state.
    PushPullReply = 3,
    /// One gossiped item too large for a UDP packet.
    Item = 4,
}

impl FrameKind {
    fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0 => FrameKind::Hello,
            1 => FrameKind::Packet,
            2 => FrameKind::PushPull,
            3 => FrameKind::PushPullReply,
            4 => FrameKind::Item,
            _ => return None,
        })
    }
}

fn proto(msg: impl Into<String>) -> Error {
    Error::Cluster(msg.into())
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    w: &mut W,
    kind: FrameKind,
    payload: &[u8],
) -> std::io::Result<()> {
    let mut head = [0u8; 5];
    head[0] = kind as u8;
    head[1..].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    w.write_all(&head).await?;
    w.write_all(payload).await?;
    w.flush().await
}

/// Reads one frame; `None` at a clean end of stream.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<(FrameKind, Vec<u8>)>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(proto(format!("reading frame: {e}"))),
    }
    let kind = FrameKind::from_u8(head[0]).ok_or_else(|| proto("unknown frame kind"))?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(proto(format!("frame of {len} bytes is too large")));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)
        .await
        .map_err(|e| proto(format!("reading frame: {e}")))?;
    Ok(Some((kind, buf)))
}

/// Prefixes a foca packet with the label.
pub fn label_packet(label: &str, packet: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + label.len() + packet.len());
    out.push(label.len() as u8);
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(packet);
    out
}

/// Strips and checks the label of a packet; `None` when it is not ours.
pub fn unlabel_packet<'a>(label: &str, data: &'a [u8]) -> Option<&'a [u8]> {
    let (&n, rest) = data.split_first()?;
    let n = usize::from(n);
    if rest.len() < n || &rest[..n] != label.as_bytes() {
        return None;
    }
    Some(&rest[n..])
}

/// A peer's full state, exchanged by push-pull.
#[derive(Clone, PartialEq, Message)]
pub struct FullState {
    /// The sender's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The sender's advertised address.
    #[prost(string, tag = "2")]
    pub addr: String,
    /// Length-delimited `MeshSilence` messages.
    #[prost(bytes = "vec", tag = "3")]
    pub silences: Vec<u8>,
    /// Length-delimited `MeshEntry` messages.
    #[prost(bytes = "vec", tag = "4")]
    pub nflog: Vec<u8>,
    /// Length-delimited [`PbIntent`] messages.
    #[prost(bytes = "vec", tag = "5")]
    pub intents: Vec<u8>,
}

/// A notification intent: `peer` is sending (group, receiver), claimed the lease at
/// `claimed_ms` and holds it until `until_ms`; `released` says the attempt ended without success.
#[derive(Clone, PartialEq, Message)]
pub struct PbIntent {
    /// The group key.
    #[prost(bytes = "vec", tag = "1")]
    pub group_key: Vec<u8>,
    /// The receiver integration.
    #[prost(message, optional, tag = "2")]
    pub receiver: Option<crate::pb::PbReceiver>,
    /// The sending peer's name.
    #[prost(string, tag = "3")]
    pub peer: String,
    /// When the flush started (the nflog entry it leads to has this timestamp).
    #[prost(int64, tag = "4")]
    pub started_ms: i64,
    /// End of the lease.
    #[prost(int64, tag = "5")]
    pub until_ms: i64,
    /// The attempt ended without success.
    #[prost(bool, tag = "6")]
    pub released: bool,
    /// When the lease was taken.
    #[prost(int64, tag = "7")]
    pub claimed_ms: i64,
}

/// Encodes a gossiped item.
pub fn item(kind: u8, msg: &impl Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + msg.encoded_len());
    out.push(kind);
    msg.encode(&mut out)
        .unwrap_or_else(|_| unreachable!("a Vec grows"));
    out
}

/// Decodes a full state.
pub fn decode_full(data: &[u8]) -> Result<FullState> {
    FullState::decode(data).map_err(|e| proto(format!("bad full state: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, FrameKind::Hello, b"lbl")
            .await
            .expect("write");
        write_frame(&mut buf, FrameKind::Item, &[1, 2, 3])
            .await
            .expect("write");
        let mut r = &buf[..];
        assert_eq!(
            read_frame(&mut r).await.expect("read"),
            Some((FrameKind::Hello, b"lbl".to_vec()))
        );
        assert_eq!(
            read_frame(&mut r).await.expect("read"),
            Some((FrameKind::Item, vec![1, 2, 3]))
        );
        assert_eq!(read_frame(&mut r).await.expect("eof"), None);
        // Unknown kinds and truncated frames are errors.
        assert!(read_frame(&mut &[9u8, 0, 0, 0, 0][..]).await.is_err());
        assert!(read_frame(&mut &[1u8, 0, 0, 0, 4, 1][..]).await.is_err());
    }

    #[test]
    fn labels() {
        let p = label_packet("prod", b"xyz");
        assert_eq!(unlabel_packet("prod", &p), Some(&b"xyz"[..]));
        assert_eq!(unlabel_packet("dev", &p), None);
        assert_eq!(unlabel_packet("", &label_packet("", b"a")), Some(&b"a"[..]));
        assert_eq!(unlabel_packet("", &[]), None);
        assert_eq!(unlabel_packet("abc", &[3, b'a']), None);
    }
}
