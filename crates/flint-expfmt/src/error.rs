//! Error types of this crate.

use std::fmt;

/// A parse failure, located in the input (1-based line and column).
///
/// Column counts bytes from the start of the line. For the protobuf format, `line` is the
/// 1-based index of the delimited message and `column` the byte offset inside the body + 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line (or message index for protobuf).
    pub line: usize,
    /// 1-based column (byte) in the line.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl ParseError {
    /// Builds an error at a byte offset of `input`, computing line and column.
    pub fn at(input: &[u8], offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(input.len());
        let before = &input[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        ParseError {
            line,
            column: offset - line_start + 1,
            message: message.into(),
        }
    }
}

/// A `scrape_protocols` entry that names no known protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scrape protocol {0:?}")]
pub struct UnknownScrapeProtocol(pub String);

/// Result type of this crate's parsers.
pub type Result<T, E = ParseError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_offsets() {
        let input = b"ab\ncd\nef";
        let e = ParseError::at(input, 4, "boom");
        assert_eq!((e.line, e.column), (2, 2));
        assert_eq!(e.to_string(), "2:2: boom");
        assert_eq!(ParseError::at(input, 0, "x").to_string(), "1:1: x");
        assert_eq!(ParseError::at(input, 99, "x").line, 3);
    }
}
