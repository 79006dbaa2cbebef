//! Upstream's protobuf messages for silences and the notification log, so snapshot files
//! are byte-compatible with Alertmanager's `silences` and `nflog` files (and messages can be
//! gossiped as they are later).
#![allow(missing_docs)]

use std::io::{Read, Write};

use prost::Message;

use crate::time::Millis;

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// From milliseconds since the epoch.
    pub fn from_millis(ms: Millis) -> Self {
        Timestamp {
            seconds: ms.div_euclid(1000),
            nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
        }
    }

    /// To milliseconds since the epoch.
    pub fn millis(&self) -> Millis {
        self.seconds * 1000 + i64::from(self.nanos) / 1_000_000
    }
}

/// Converts an optional timestamp (absent: the zero time).
pub fn ts_millis(t: &Option<Timestamp>) -> Millis {
    t.as_ref().map_or(crate::time::ZERO_TIME, Timestamp::millis)
}

/// `silencepb.Matcher`.
#[derive(Clone, PartialEq, Message)]
pub struct PbMatcher {
    /// 0 EQUAL, 1 REGEXP, 2 NOT_EQUAL, 3 NOT_REGEXP.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub pattern: String,
}

/// `silencepb.Silence`.
#[derive(Clone, PartialEq, Message)]
pub struct PbSilence {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(message, repeated, tag = "2")]
    pub matchers: Vec<PbMatcher>,
    #[prost(message, optional, tag = "3")]
    pub starts_at: Option<Timestamp>,
    #[prost(message, optional, tag = "4")]
    pub ends_at: Option<Timestamp>,
    #[prost(message, optional, tag = "5")]
    pub updated_at: Option<Timestamp>,
    #[prost(string, tag = "8")]
    pub created_by: String,
    #[prost(string, tag = "9")]
    pub comment: String,
}

/// `silencepb.MeshSilence`: a silence with the time it may be forgotten.
#[derive(Clone, PartialEq, Message)]
pub struct MeshSilence {
    #[prost(message, optional, tag = "1")]
    pub silence: Option<PbSilence>,
    #[prost(message, optional, tag = "2")]
    pub expires_at: Option<Timestamp>,
}

/// `nflogpb.Receiver`.
#[derive(Clone, PartialEq, Eq, Hash, Message)]
pub struct PbReceiver {
    #[prost(string, tag = "1")]
    pub group_name: String,
    #[prost(string, tag = "2")]
    pub integration: String,
    #[prost(uint32, tag = "3")]
    pub idx: u32,
}

/// `nflogpb.Entry`.
#[derive(Clone, PartialEq, Message)]
pub struct PbEntry {
    #[prost(bytes = "vec", tag = "1")]
    pub group_key: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub receiver: Option<PbReceiver>,
    #[prost(bytes = "vec", tag = "3")]
    pub group_hash: Vec<u8>,
    #[prost(bool, tag = "4")]
    pub resolved: bool,
    #[prost(message, optional, tag = "5")]
    pub timestamp: Option<Timestamp>,
    #[prost(uint64, repeated, tag = "6")]
    pub firing_alerts: Vec<u64>,
    #[prost(uint64, repeated, tag = "7")]
    pub resolved_alerts: Vec<u64>,
}

/// `nflogpb.MeshEntry`.
#[derive(Clone, PartialEq, Message)]
pub struct MeshEntry {
    #[prost(message, optional, tag = "1")]
    pub entry: Option<PbEntry>,
    #[prost(message, optional, tag = "2")]
    pub expires_at: Option<Timestamp>,
}

/// Writes messages length-delimited (varint length, then the message), as upstream's
/// snapshots are.
pub fn write_delimited<M: Message>(
    w: &mut impl Write,
    msgs: impl IntoIterator<Item = M>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    for m in msgs {
        buf.clear();
        m.encode_length_delimited(&mut buf)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Reads every length-delimited message of a snapshot.
pub fn read_delimited<M: Message + Default>(r: &mut impl Read) -> Result<Vec<M>, String> {
    let mut data = Vec::new();
    r.read_to_end(&mut data).map_err(|e| e.to_string())?;
    let mut buf = &data[..];
    let mut out = Vec::new();
    while !buf.is_empty() {
        out.push(M::decode_length_delimited(&mut buf).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_delimited() {
        let e = MeshEntry {
            entry: Some(PbEntry {
                group_key: b"{}:{a=\"b\"}".to_vec(),
                receiver: Some(PbReceiver {
                    group_name: "r".into(),
                    integration: "webhook".into(),
                    idx: 0,
                }),
                firing_alerts: vec![1, 2],
                timestamp: Some(Timestamp::from_millis(1500)),
                ..Default::default()
            }),
            expires_at: Some(Timestamp::from_millis(-1)),
        };
        let mut buf = Vec::new();
        write_delimited(&mut buf, [e.clone(), e.clone()]).expect("write");
        let back: Vec<MeshEntry> = read_delimited(&mut &buf[..]).expect("read");
        assert_eq!(back, vec![e.clone(), e]);
        assert_eq!(Timestamp::from_millis(-1).millis(), -1);
        assert!(read_delimited::<MeshEntry>(&mut &buf[..buf.len() - 1]).is_err());
    }
}
