//! Silences in upstream's protobuf format: snapshots (length-delimited
//! `silencepb.MeshSilence`) and the messages the cluster gossips.

use std::path::Path;

use flint_model::{MatchType, Matcher};
use prost::Message;

use super::{Entry, Silence, Silences};
use crate::error::{Error, Result};
use crate::pb::{
    MeshSilence, PbMatcher, PbSilence, Timestamp, read_delimited, ts_millis, write_delimited,
};

fn to_pb(e: &Entry) -> MeshSilence {
    let s = &e.silence;
    MeshSilence {
        silence: Some(PbSilence {
            id: s.id.clone(),
            matchers: s
                .matchers
                .iter()
                .map(|m| PbMatcher {
                    r#type: match m.match_type() {
                        MatchType::Equal => 0,
                        MatchType::RegexMatch => 1,
                        MatchType::NotEqual => 2,
                        MatchType::RegexNoMatch => 3,
                    },
                    name: m.name().to_string(),
                    pattern: m.value().to_string(),
                })
                .collect(),
            starts_at: Some(Timestamp::from_millis(s.starts_at)),
            ends_at: Some(Timestamp::from_millis(s.ends_at)),
            updated_at: Some(Timestamp::from_millis(s.updated_at)),
            created_by: s.created_by.clone(),
            comment: s.comment.clone(),
        }),
        expires_at: Some(Timestamp::from_millis(e.expires_at)),
    }
}

fn from_pb(m: MeshSilence) -> std::result::Result<Entry, String> {
    let s = m.silence.ok_or("mesh silence without silence")?;
    let matchers = s
        .matchers
        .into_iter()
        .map(|m| {
            let t = match m.r#type {
                0 => MatchType::Equal,
                1 => MatchType::RegexMatch,
                2 => MatchType::NotEqual,
                3 => MatchType::RegexNoMatch,
                other => return Err(format!("unknown matcher type {other}")),
            };
            Matcher::new(t, m.name, m.pattern).map_err(|e| e.to_string())
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Entry {
        silence: Silence {
            id: s.id,
            matchers,
            starts_at: ts_millis(&s.starts_at),
            ends_at: ts_millis(&s.ends_at),
            updated_at: ts_millis(&s.updated_at),
            created_by: s.created_by,
            comment: s.comment,
        },
        expires_at: ts_millis(&m.expires_at),
    })
}

/// One entry as an encoded `MeshSilence`.
pub(super) fn encode(e: &Entry) -> Vec<u8> {
    to_pb(e).encode_to_vec()
}

/// Whether `new` replaces `old` in a merge: the later update, ties broken by the encoding
/// (a total order, so every peer keeps the same one whatever the order of arrival).
pub(super) fn wins(new: &Entry, old: &Entry) -> bool {
    match new.silence.updated_at.cmp(&old.silence.updated_at) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => encode(new) > encode(old),
    }
}

impl Silences {
    /// Merges one encoded `MeshSilence` (from a peer); returns whether it changed state.
    pub fn merge_encoded(&self, data: &[u8]) -> Result<bool> {
        let m =
            MeshSilence::decode(data).map_err(|e| Error::Cluster(format!("bad silence: {e}")))?;
        let e = from_pb(m).map_err(|e| Error::Cluster(format!("bad silence: {e}")))?;
        Ok(self.merge(e.silence, e.expires_at))
    }

    /// Every silence, length-delimited (the full state a peer pulls).
    pub fn encode_all(&self) -> Vec<u8> {
        let msgs: Vec<MeshSilence> = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(to_pb)
            .collect();
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = write_delimited(&mut buf, msgs);
        buf
    }

    /// Merges a full state from [`Silences::encode_all`]; returns how many changed.
    pub fn merge_all(&self, data: &[u8]) -> Result<usize> {
        let msgs: Vec<MeshSilence> = read_delimited(&mut &data[..])
            .map_err(|e| Error::Cluster(format!("bad silences state: {e}")))?;
        let mut n = 0;
        for m in msgs {
            let e = from_pb(m).map_err(|e| Error::Cluster(format!("bad silence: {e}")))?;
            n += usize::from(self.merge(e.silence, e.expires_at));
        }
        Ok(n)
    }

    /// Writes all silences to the snapshot file (atomically: temp file, then rename).
    /// Returns the number of bytes written.
    pub fn snapshot(&self) -> Result<usize> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let buf = self.encode_all();
        write_atomic(path, &buf)?;
        Ok(buf.len())
    }

    /// Loads the snapshot file, if there is one; entries already past retention are dropped.
    pub fn load_snapshot(&self) -> Result<usize> {
        let Some(path) = &self.snapshot else {
            return Ok(0);
        };
        let mut f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io(path, e)),
        };
        let msgs: Vec<MeshSilence> = read_delimited(&mut f).map_err(|reason| Error::Snapshot {
            path: path.clone(),
            reason,
        })?;
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        for m in msgs {
            let e = from_pb(m).map_err(|reason| Error::Snapshot {
                path: path.clone(),
                reason,
            })?;
            if e.expires_at > now {
                entries.insert(e.silence.id.clone(), e);
            }
        }
        let n = entries.len();
        drop(entries);
        self.changed();
        Ok(n)
    }
}

/// Writes `data` to `path` through a temporary file in the same directory.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
