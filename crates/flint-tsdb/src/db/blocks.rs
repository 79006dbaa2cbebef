//! The block directories of a data directory: listing, opening, quarantining broken blocks
//! and deleting obsolete ones.

use std::path::{Path, PathBuf};

use tracing::{error, info, warn};

use crate::block::{Block, TMP_SUFFIX, Ulid};
use crate::error::{Error, Result};

/// Suffix of a block directory being deleted.
pub const DELETION_SUFFIX: &str = ".tmp-for-deletion";
/// Where broken blocks are moved (ignored by Prometheus, which only loads ULID-named dirs).
pub const QUARANTINE_DIR: &str = "corrupted";

/// Block directories of `dir`: sub-directories named by a ULID, sorted by name.
pub(crate) fn block_dirs(dir: &Path) -> Result<Vec<(Ulid, PathBuf)>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.parse::<Ulid>().ok()) else {
            continue;
        };
        if entry.path().is_dir() {
            out.push((id, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Removes what interrupted block writes and deletions left behind.
pub(crate) fn remove_tmp_dirs(dir: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(TMP_SUFFIX) || name.ends_with(DELETION_SUFFIX) {
            info!(dir = %entry.path().display(), "Removing leftover temporary block directory.");
            std::fs::remove_dir_all(entry.path())
                .map_err(|e| Error::io(format!("removing {}", entry.path().display()), e))?;
        }
    }
    Ok(())
}

/// Opens every block of `dir`, reusing already open ones; blocks that fail to open are
/// quarantined (with `read_only`, only skipped). Returns the blocks sorted by minimum time
/// and how many were quarantined.
pub(crate) fn open_blocks(
    dir: &Path,
    open: &[Block],
    read_only: bool,
) -> Result<(Vec<Block>, usize)> {
    let mut blocks = Vec::new();
    let mut quarantined = 0;
    for (id, path) in block_dirs(dir)? {
        if let Some(b) = open.iter().find(|b| b.meta().ulid == id) {
            blocks.push(b.clone());
            continue;
        }
        match Block::open(&path) {
            Ok(b) => blocks.push(b),
            Err(e) if read_only => {
                warn!(block = %path.display(), error = %e, "Skipping a block that does not open.");
            }
            Err(e) => {
                quarantine(dir, &path, &e)?;
                quarantined += 1;
            }
        }
    }
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().ulid));
    Ok((blocks, quarantined))
}

/// Moves a broken block out of the way, to `<dir>/corrupted/<ULID>`, logging why.
pub(crate) fn quarantine(dir: &Path, block: &Path, reason: &Error) -> Result<PathBuf> {
    let target_dir = dir.join(QUARANTINE_DIR);
    std::fs::create_dir_all(&target_dir)
        .map_err(|e| Error::io(format!("creating {}", target_dir.display()), e))?;
    let name = block
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let target = target_dir.join(name);
    if target.exists() {
        std::fs::remove_dir_all(&target)
            .map_err(|e| Error::io(format!("removing {}", target.display()), e))?;
    }
    std::fs::rename(block, &target)
        .map_err(|e| Error::io(format!("moving {} to quarantine", block.display()), e))?;
    error!(
        block = %block.display(),
        moved_to = %target.display(),
        error = %reason,
        "Corrupted block quarantined: it is no longer queried; the other blocks keep serving."
    );
    Ok(target)
}

/// Deletes a block directory: renamed first so a crash never leaves a half-deleted block that
/// looks loadable.
pub(crate) fn delete_block(path: &Path) -> Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(DELETION_SUFFIX);
    let tmp = PathBuf::from(tmp);
    if let Err(e) = std::fs::rename(path, &tmp) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Ok(());
        }
        return Err(Error::io(format!("renaming {}", path.display()), e));
    }
    if let Err(e) = std::fs::remove_dir_all(&tmp) {
        warn!(dir = %tmp.display(), error = %e, "Deleting a block failed; it is removed at the next start.");
    }
    Ok(())
}
