//! Errors of the TSDB.

/// Everything that can go wrong in the TSDB.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chunk's bytes end before its declared samples do, or hold an impossible value.
    #[error("corrupt {encoding} chunk: {reason}")]
    CorruptChunk {
        /// The chunk's encoding.
        encoding: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A chunk cannot take another sample.
    #[error("chunk is full ({samples} samples)")]
    ChunkFull {
        /// Samples already in the chunk.
        samples: usize,
    },
}

/// Result with the TSDB's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
