//! `flint_tsdb::Db` in a temporary directory, removed when dropped.

use flint_storage::{Appendable, Appender, Querier, Queryable};

/// A TSDB in its own temporary directory.
pub struct TsdbStore {
    // Dropped before the directory.
    db: flint_tsdb::Db,
    _dir: tempfile::TempDir,
}

impl TsdbStore {
    /// Opens an empty TSDB.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let opts = flint_tsdb::DbOptions {
            // Test scripts put samples at times up to years apart.
            min_block_duration: std::time::Duration::from_secs(3600 * 24 * 365 * 100),
            ..flint_tsdb::DbOptions::default()
        };
        let db = flint_tsdb::Db::open(dir.path(), opts).unwrap_or_else(|e| panic!("open: {e}"));
        TsdbStore { db, _dir: dir }
    }
}

impl Appendable for TsdbStore {
    fn appender(&self) -> Box<dyn Appender + '_> {
        self.db.appender()
    }
}

impl Queryable for TsdbStore {
    fn querier(&self, mint: i64, maxt: i64) -> flint_storage::Result<Box<dyn Querier + '_>> {
        self.db.querier(mint, maxt)
    }
}
