//! Snapshots (`/api/v1/admin/tsdb/snapshot`): every block hard-linked into a directory, and
//! optionally the head written there as a block, as Prometheus's `DB.Snapshot`.

use std::path::Path;

use super::Db;
use super::compact::write_head_block;
use crate::error::{Error, Result};

/// Hard-links the files of `from` into `to`, recursively.
fn link_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(format!("create {}", to.display()), e))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| Error::io(format!("read {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("read {}", from.display()), e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let is_dir = entry
            .file_type()
            .map_err(|e| Error::io(format!("stat {}", src.display()), e))?
            .is_dir();
        if is_dir {
            link_dir(&src, &dst)?;
        } else {
            std::fs::hard_link(&src, &dst).map_err(|e| {
                Error::io(format!("link {} to {}", src.display(), dst.display()), e)
            })?;
        }
    }
    Ok(())
}

impl Db {
    /// Writes a snapshot into `dir`: hard links of every block, and with `with_head` the
    /// head's samples as one more block. The snapshot is a data directory of its own.
    pub fn snapshot(&self, dir: &Path, with_head: bool) -> Result<()> {
        // No compaction or retention removes a block while it is being linked.
        let _g = self
            .inner
            .compaction
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        for b in self.blocks().iter() {
            link_dir(b.dir(), &dir.join(b.meta().ulid.to_string()))?;
        }
        if with_head {
            let head = self.head();
            let (mint, maxt) = (head.min_time(), head.max_time());
            if mint <= maxt {
                write_head_block(dir, head, mint, maxt.saturating_add(1), &|| Ok(()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use flint_model::Labels;
    use flint_storage::{Appendable, Queryable};

    use crate::{Db, DbOptions};

    #[test]
    #[allow(clippy::unwrap_used)]
    fn snapshot_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("data"), DbOptions::default()).unwrap();
        let l = Labels::from_pairs([("__name__", "up")]);
        let mut app = db.appender();
        for t in 0..10 {
            app.append(None, &l, t * 1000, t as f64).unwrap();
        }
        app.commit().unwrap();
        let snap = dir.path().join("snap");
        db.snapshot(&snap, true).unwrap();
        db.close().unwrap();
        let s = Db::open_read_only(&snap).unwrap();
        let q = s.querier(0, 20_000).unwrap();
        let mut set = q.select(false, None, &[]);
        assert!(set.next_series().is_some());
        assert_eq!(s.blocks().len(), 1);
    }
}
