//! Go's `strconv.Quote`, which Prometheus uses to print label values and matcher values.

use std::fmt::{self, Write};

/// Quote `s` the way Go's `strconv.Quote` does: double quotes, `\"` and `\\`, the C escapes
/// `\a \b \f \n \r \t \v`, `\xNN` for other ASCII control bytes and `\uNNNN`/`\UNNNNNNNN` for
/// non-printable characters (controls, format characters and separators other than space).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing to a String cannot fail.
    let _ = write_go_quoted(&mut out, s);
    out
}

/// Write `s` quoted as [`go_quote`] does, without an intermediate allocation.
pub fn write_go_quoted<W: Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\x07' => out.write_str("\\a")?,
            '\x08' => out.write_str("\\b")?,
            '\x0c' => out.write_str("\\f")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\x0b' => out.write_str("\\v")?,
            c if c.is_ascii() && (c < ' ' || c == '\x7f') => write!(out, "\\x{:02x}", c as u32)?,
            c if is_go_printable(c) => out.write_char(c)?,
            c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "\\U{:08x}", c as u32)?,
        }
    }
    out.write_char('"')
}

/// An approximation of Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and ASCII space are printable; controls, format characters, non-ASCII separators and
/// private-use characters are not.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0x00ad | 0x0600..=0x0605 | 0x061c | 0x06dd | 0x070f | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
        | 0xe000..=0xf8ff | 0xfeff | 0xfff9..=0xfffb | 0xf0000..=0x10ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        let cases = [
            ("", r#""""#),
            ("abc", r#""abc""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("l1\nl2\t\r", r#""l1\nl2\t\r""#),
            ("\x01\x7f", r#""\x01\x7f""#),
            ("héllo 世界", "\"héllo 世界\""),
            ("\u{00a0}\u{200b}", r#""\u00a0\u200b""#),
            ("\u{f0000}", r#""\U000f0000""#),
        ];
        for (input, want) in cases {
            assert_eq!(go_quote(input), want, "{input:?}");
        }
    }
}
