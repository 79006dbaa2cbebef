//! Byte-level lexing shared by the text and OpenMetrics parsers.

use std::borrow::Cow;

use flint_model::MetricType;

use crate::entry::Labels;
use crate::error::{ParseError, Result};

/// A position in a UTF-8 input.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Byte classes: bit 0 = label-name start, bit 1 = label-name char, bit 2 = metric-name
/// start, bit 3 = metric-name char.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        let digit = b.is_ascii_digit();
        let mut c = 0;
        if alpha {
            c |= 0b1111;
        }
        if digit {
            c |= 0b1010;
        }
        if b == b':' {
            c |= 0b1100;
        }
        t[i] = c;
        i += 1;
    }
    t
};

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Cursor { src, pos: 0 }
    }

    #[inline]
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn error(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.bytes(), self.pos, msg)
    }

    /// Skips spaces and tabs; returns how many.
    #[inline]
    pub(crate) fn skip_blanks(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A legacy metric (`metric`) or label name; empty when none starts here.
    #[inline]
    pub(crate) fn bare_name(&mut self, metric: bool) -> &'a str {
        if metric {
            self.bare_name_masked::<0b0100, 0b1000>()
        } else {
            self.bare_name_masked::<0b0001, 0b0010>()
        }
    }

    #[inline(always)]
    fn bare_name_masked<const START: u8, const CHAR: u8>(&mut self) -> &'a str {
        let start = self.pos;
        let b = self.bytes();
        let mut i = start;
        if i < b.len() && CLASS[b[i] as usize] & START != 0 {
            i += 1;
            while i < b.len() && CLASS[b[i] as usize] & CHAR != 0 {
                i += 1;
            }
        }
        self.pos = i;
        &self.src[start..i]
    }

    /// A quoted string starting at `"`, unescaped.
    #[inline]
    pub(crate) fn quoted(&mut self) -> Result<Cow<'a, str>> {
        match scan_quoted(self.bytes(), self.pos) {
            Some((end, escaped)) => {
                let body = &self.src[self.pos + 1..end];
                self.pos = end + 1;
                Ok(if escaped {
                    unescape(body)
                } else {
                    Cow::Borrowed(body)
                })
            }
            None => Err(self.error("unterminated quoted string")),
        }
    }

    /// Skips a quoted string starting at `"` without decoding it.
    #[inline]
    pub(crate) fn skip_quoted(&mut self) -> Result<()> {
        match scan_quoted(self.bytes(), self.pos) {
            Some((end, _)) => {
                self.pos = end + 1;
                Ok(())
            }
            None => Err(self.error("unterminated quoted string")),
        }
    }

    /// A metric name, bare or quoted (`# HELP "my.metric" ...`).
    pub(crate) fn meta_name(&mut self) -> Result<Cow<'a, str>> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        let n = self.bare_name(true);
        if n.is_empty() {
            return Err(self.error("expected metric name"));
        }
        Ok(Cow::Borrowed(n))
    }

    /// Everything up to (not including) a blank, newline or the end.
    #[inline]
    pub(crate) fn token(&mut self) -> &'a str {
        let start = self.pos;
        let n = self.bytes()[start..]
            .iter()
            .position(|&b| is_blank(b) || b == b'\n')
            .unwrap_or(self.src.len() - start);
        self.pos += n;
        &self.src[start..self.pos]
    }

    /// Everything up to (not including) the newline or the end.
    pub(crate) fn rest_of_line(&mut self) -> &'a str {
        let start = self.pos;
        let len = self.bytes()[start..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(self.src.len() - start);
        self.pos = start + len;
        &self.src[start..self.pos]
    }

    /// Consumes a newline, or accepts the end of input.
    pub(crate) fn end_of_line(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error("unexpected character, expected end of line")),
        }
    }
}

/// Finds the closing quote of a string whose opening quote is at `start`; returns its index
/// and whether the string contains escapes. Raw newlines end the search unsuccessfully.
#[inline]
fn scan_quoted(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        let off = b
            .get(i..)?
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c == b'\n')?;
        i += off;
        match b[i] {
            b'"' => return Some((i, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => return None,
        }
    }
}

/// Unescapes `\\`, `\"` and `\n`; other escapes are kept as written.
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// One item of a label set: a quoted metric name or a `name="value"` pair.
enum Item<'a> {
    /// A quoted string not followed by `=`: the metric name.
    MetricName(Cow<'a, str>),
    /// A validated label pair.
    Pair,
}

/// Parses one label set item; `strict` (OpenMetrics) forbids blanks around tokens.
fn label_item<'a>(c: &mut Cursor<'a>, strict: bool) -> Result<Item<'a>> {
    if c.peek() == Some(b'"') {
        let q = c.quoted()?;
        if !strict {
            c.skip_blanks();
        }
        if c.peek() != Some(b'=') {
            return Ok(Item::MetricName(q));
        }
        if q.is_empty() {
            return Err(c.error("empty label name"));
        }
    } else if c.bare_name(false).is_empty() {
        return Err(c.error("invalid label name"));
    }
    if !strict {
        c.skip_blanks();
    }
    if !c.eat(b'=') {
        return Err(c.error("expected '=' after label name"));
    }
    if !strict {
        c.skip_blanks();
    }
    if c.peek() != Some(b'"') {
        return Err(c.error("expected '\"' to start label value"));
    }
    c.skip_quoted()?;
    Ok(Item::Pair)
}

/// Parses a label set at `{`. Returns the quoted metric name found inside the braces (when
/// `allow_name`) and the labels. `strict` (OpenMetrics) forbids blanks and a trailing comma.
pub(crate) fn parse_labels<'a>(
    c: &mut Cursor<'a>,
    strict: bool,
    allow_name: bool,
) -> Result<(Option<Cow<'a, str>>, Labels<'a>)> {
    let open = c.pos;
    if !c.eat(b'{') {
        return Err(c.error("expected '{'"));
    }
    let mut name = None;
    let mut first = true;
    loop {
        if !strict {
            c.skip_blanks();
        }
        if c.eat(b'}') {
            break;
        }
        if !first {
            if !c.eat(b',') {
                return Err(c.error("expected ',' or '}' in label set"));
            }
            if !strict {
                c.skip_blanks();
                if c.eat(b'}') {
                    break;
                }
            } else if c.peek() == Some(b'}') {
                return Err(c.error("trailing comma in label set"));
            }
        }
        first = false;
        if let Item::MetricName(q) = label_item(c, strict)? {
            if !allow_name || name.is_some() {
                return Err(c.error("unexpected quoted string in label set"));
            }
            name = Some(q);
        }
    }
    let raw = &c.src[open + 1..c.pos - 1];
    Ok((name, Labels::from_raw(raw)))
}

/// Lazily decodes a validated label set; see [`Labels`].
#[derive(Debug, Clone)]
pub struct LabelIter<'a> {
    rest: &'a str,
}

impl<'a> LabelIter<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        LabelIter { rest: raw }
    }

    #[inline]
    fn take_quoted(&mut self) -> Cow<'a, str> {
        match scan_quoted(self.rest.as_bytes(), 0) {
            Some((end, escaped)) => {
                let body = &self.rest[1..end];
                self.rest = &self.rest[end + 1..];
                if escaped {
                    unescape(body)
                } else {
                    Cow::Borrowed(body)
                }
            }
            None => {
                self.rest = "";
                Cow::Borrowed("")
            }
        }
    }
}

fn skip_while(s: &str, f: impl Fn(u8) -> bool) -> &str {
    let n = s.bytes().take_while(|&b| f(b)).count();
    &s[n..]
}

impl<'a> LabelIter<'a> {
    /// The common shape `[,]name="value"` with no blanks; `None` defers to the general path.
    #[inline]
    fn next_simple(&mut self) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
        let b = self.rest.as_bytes();
        let start = usize::from(b.first() == Some(&b','));
        let mut i = start;
        while i < b.len() && CLASS[b[i] as usize] & 0b0010 != 0 {
            i += 1;
        }
        if i == start || b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
            return None;
        }
        let (end, escaped) = scan_quoted(b, i + 1)?;
        let name = &self.rest[start..i];
        let value = &self.rest[i + 2..end];
        self.rest = &self.rest[end + 1..];
        let value = if escaped {
            unescape(value)
        } else {
            Cow::Borrowed(value)
        };
        Some((Cow::Borrowed(name), value))
    }
}

impl<'a> Iterator for LabelIter<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(pair) = self.next_simple() {
            return Some(pair);
        }
        loop {
            self.rest = skip_while(self.rest, |b| is_blank(b) || b == b',');
            let first = *self.rest.as_bytes().first()?;
            let name = if first == b'"' {
                let q = self.take_quoted();
                self.rest = skip_while(self.rest, is_blank);
                if !self.rest.starts_with('=') {
                    continue; // the metric name
                }
                q
            } else {
                // Validated: a bare name is followed by blanks or '='.
                let b = self.rest.as_bytes();
                let mut end = 0;
                while end < b.len() && CLASS[b[end] as usize] & 0b0010 != 0 {
                    end += 1;
                }
                let n = &self.rest[..end];
                self.rest = &self.rest[end..];
                Cow::Borrowed(n)
            };
            let b = self.rest.as_bytes();
            let skip = b.iter().take_while(|&&c| c != b'"').count();
            self.rest = &self.rest[skip..];
            let value = self.take_quoted();
            return Some((name, value));
        }
    }
}

/// Parses a type name as the Prometheus text format accepts it.
pub(crate) fn prometheus_type(s: &str) -> Option<MetricType> {
    Some(match s {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "summary" => MetricType::Summary,
        "untyped" => MetricType::Unknown,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(s: &str, strict: bool) -> Result<Vec<(String, String)>> {
        let mut c = Cursor::new(s);
        let (_, l) = parse_labels(&mut c, strict, true)?;
        Ok(l.to_vec())
    }

    #[test]
    fn parses_label_sets() {
        let got = labels(r#"{a="1",b="x\"y\\z\n",c=""}"#, true).unwrap();
        assert_eq!(got[1], ("b".into(), "x\"y\\z\n".into()));
        assert_eq!(got.len(), 3);
        assert_eq!(labels("{ a = \"1\" , }", false).unwrap().len(), 1);
        assert!(labels("{a=\"1\",}", true).is_err());
        assert!(labels("{a=1}", true).is_err());
        assert!(labels("{a=\"1}", true).is_err());
        assert!(labels("{1=\"1\"}", true).is_err());
        let mut c = Cursor::new(r#"{"my.metric", "la.bel"="v"}"#);
        let (name, l) = parse_labels(&mut c, false, true).unwrap();
        assert_eq!(name.as_deref(), Some("my.metric"));
        assert_eq!(l.to_vec(), vec![("la.bel".into(), "v".into())]);
    }
}
