//! The block index, format v2 (`tsdb/docs/format/index.md` upstream).
//!
//! Layout: header (magic `0xBAAAD700`, version 2), symbol table, series (16-byte aligned; a
//! series' ID is its offset / 16), label indices, postings lists, label offset table, postings
//! offset table and the table of contents. Every section carries a CRC32-Castagnoli.
//!
//! - [`IndexWriter`] writes an index: symbols first (sorted), then series in label order; the
//!   label indices and postings are derived from the series.
//! - [`IndexReader`] reads one from a memory map: symbols, label names and values, postings
//!   and series.
//! - [`postings`] combines sorted series-ID lists lazily (intersect, merge, without);
//!   [`postings_for_matchers`] answers label matchers with them.

pub(crate) mod buf;
pub mod postings;
mod reader;
mod select;
mod writer;

pub use postings::{Postings, intersect, merge, without};
pub use reader::IndexReader;
pub use select::postings_for_matchers;
pub use writer::IndexWriter;

use buf::{Decbuf, Encbuf};

/// Magic number at the start of an index file.
pub const MAGIC_INDEX: u32 = 0xBAAA_D700;
/// Index format version written and read.
pub const FORMAT_V2: u8 = 2;
/// Bytes of the header: magic and version.
pub const HEADER_LEN: usize = 5;
/// Alignment of series entries; a series' ID is its offset divided by this.
pub const SERIES_ALIGN: u64 = 16;
/// Bytes of the table of contents: six offsets and a CRC.
pub const TOC_LEN: usize = 6 * 8 + 4;

/// Label name and value of the postings list that holds every series.
pub const ALL_POSTINGS_KEY: (&str, &str) = ("", "");

/// Where each section of the index starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Toc {
    /// The symbol table.
    pub symbols: u64,
    /// The first series.
    pub series: u64,
    /// The first label index.
    pub label_indices: u64,
    /// The label offset table.
    pub label_indices_table: u64,
    /// The first postings list.
    pub postings: u64,
    /// The postings offset table.
    pub postings_table: u64,
}

impl Toc {
    fn encode(&self) -> Vec<u8> {
        let mut e = Encbuf::default();
        for v in [
            self.symbols,
            self.series,
            self.label_indices,
            self.label_indices_table,
            self.postings,
            self.postings_table,
        ] {
            e.put_be64(v);
        }
        e.put_crc_from(0);
        e.b
    }

    /// Parses the TOC at the end of `index`; `None` if it is missing or its CRC is wrong.
    fn decode(index: &[u8]) -> Option<Toc> {
        let start = index.len().checked_sub(TOC_LEN)?;
        let b = &index[start..];
        let mut d = Decbuf::new(b);
        let body = d.bytes(TOC_LEN - 4)?;
        if buf::crc32(body) != d.be32()? {
            return None;
        }
        let mut d = Decbuf::new(body);
        Some(Toc {
            symbols: d.be64()?,
            series: d.be64()?,
            label_indices: d.be64()?,
            label_indices_table: d.be64()?,
            postings: d.be64()?,
            postings_table: d.be64()?,
        })
    }
}

#[cfg(test)]
mod tests;
