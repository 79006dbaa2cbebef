//! Read-only memory maps of immutable files (block chunks and index, full head-chunk files).
//!
//! This is the only module allowed `unsafe`: mapping a file is unsafe because another process
//! could truncate or modify it while mapped. Flint maps only files it treats as immutable
//! (finished blocks, full head-chunk segments) inside a data directory guarded by a lock file,
//! which is the same contract Prometheus relies on.
#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use crate::error::{Error, Result};

/// A read-only mapping of a whole file.
#[derive(Debug)]
pub struct Mmap {
    map: Option<memmap2::Mmap>,
}

impl Mmap {
    /// Maps `path` read-only. Empty files map to an empty slice.
    pub fn open(path: &Path) -> Result<Self> {
        let file =
            File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading metadata of {}", path.display()), e))?
            .len();
        if len == 0 {
            return Ok(Mmap { map: None });
        }
        // SAFETY: the file is opened read-only and is immutable by Flint's contract for the
        // directories it maps (see the module documentation).
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::io(format!("mapping {}", path.display()), e))?;
        Ok(Mmap { map: Some(map) })
    }
}

impl Deref for Mmap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }
}
