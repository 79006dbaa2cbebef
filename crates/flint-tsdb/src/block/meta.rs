//! `meta.json`: a block's identity, time range, statistics and compaction history, with the
//! field names Prometheus uses (`tsdb/block.go` upstream).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ulid::Ulid;
use crate::error::{Error, Result};

/// File name of the meta file inside a block directory.
pub const META_FILENAME: &str = "meta.json";
/// The only meta format version.
pub const META_VERSION: u32 = 1;

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// Contents of `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// The block's ID (and directory name).
    pub ulid: Ulid,
    /// Start of the block's time range, inclusive (milliseconds).
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// End of the block's time range, exclusive (milliseconds).
    #[serde(rename = "maxTime")]
    pub max_time: i64,
    /// Counts of what the block holds.
    #[serde(default)]
    pub stats: BlockStats,
    /// How the block came to be.
    #[serde(default)]
    pub compaction: BlockMetaCompaction,
    /// Format version of the meta file (1).
    pub version: u32,
}

/// Counts of what a block holds (zero counts are omitted, as upstream).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockStats {
    /// Samples in the block.
    #[serde(rename = "numSamples", default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Series in the block.
    #[serde(rename = "numSeries", default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks in the block.
    #[serde(rename = "numChunks", default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Deletion intervals in the tombstones file.
    #[serde(rename = "numTombstones", default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
}

/// Compaction history of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMetaCompaction {
    /// Compaction level: 1 for blocks cut from the head.
    pub level: u32,
    /// ULIDs of all head blocks that went into this block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Ulid>,
    /// The compaction produced no samples; the block should be deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deletable: bool,
    /// The blocks this one was directly compacted from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    /// A compaction of this block failed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Extra information about the compaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Default for BlockMetaCompaction {
    fn default() -> Self {
        BlockMetaCompaction {
            level: 1,
            sources: Vec::new(),
            deletable: false,
            parents: Vec::new(),
            failed: false,
            hints: Vec::new(),
        }
    }
}

/// A parent block: its ID and time range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDesc {
    /// The parent's ID.
    pub ulid: Ulid,
    /// Its minimum time.
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// Its maximum time.
    #[serde(rename = "maxTime")]
    pub max_time: i64,
}

impl BlockMeta {
    /// Reads and checks `<dir>/meta.json`.
    pub fn read(dir: &Path) -> Result<BlockMeta> {
        let path = dir.join(META_FILENAME);
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let meta: BlockMeta = serde_json::from_slice(&bytes)
            .map_err(|e| Error::corrupt(&path, format!("invalid JSON: {e}")))?;
        if meta.version != META_VERSION {
            return Err(Error::corrupt(
                &path,
                format!("unexpected meta version {}", meta.version),
            ));
        }
        Ok(meta)
    }

    /// Writes `<dir>/meta.json` through a temporary file, fsynced and renamed into place.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(META_FILENAME);
        let tmp = dir.join(format!("{META_FILENAME}.tmp"));
        let io = |what: &str, e| Error::io(format!("{what} {}", tmp.display()), e);
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.serialize(&mut ser)
            .map_err(|e| Error::corrupt(&path, format!("encoding meta: {e}")))?;
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("creating", e))?;
        f.write_all(&out).map_err(|e| io("writing", e))?;
        f.sync_all().map_err(|e| io("syncing", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("renaming", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prometheus_meta() {
        let json = r#"{
	"ulid": "01BKGV7JBM69T2G1BGBGM6KB12",
	"minTime": 1602237600000,
	"maxTime": 1602244800000,
	"stats": {"numSamples": 553673232, "numSeries": 1346066, "numChunks": 4440437},
	"compaction": {"level": 1, "sources": ["01BKGV7JBM69T2G1BGBGM6KB12"]},
	"version": 1
}"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(META_FILENAME), json).unwrap();
        let m = BlockMeta::read(dir.path()).unwrap();
        assert_eq!(m.stats.num_series, 1_346_066);
        assert_eq!(m.compaction.sources.len(), 1);
        m.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(META_FILENAME)).unwrap();
        assert!(text.contains("\"numChunks\": 4440437"), "{text}");
        assert!(!text.contains("numTombstones"), "{text}");
        assert_eq!(BlockMeta::read(dir.path()).unwrap(), m);
    }

    #[test]
    fn rejects_other_versions() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"ulid":"01BKGV7JBM69T2G1BGBGM6KB12","minTime":0,"maxTime":1,"version":2}"#;
        std::fs::write(dir.path().join(META_FILENAME), json).unwrap();
        assert!(BlockMeta::read(dir.path()).is_err());
    }
}
