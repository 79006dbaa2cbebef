//! Streaming parser for the Prometheus text format 0.0.4 (with Prometheus 3 quoted UTF-8
//! names).

use std::borrow::Cow;

use crate::entry::{Entry, Labels, Sample};
use crate::error::{ParseError, Result};
use crate::float::parse_float;
use crate::lex::{Cursor, parse_labels, prometheus_type};

/// An iterator over the entries of a Prometheus text body. It allocates nothing per sample
/// (label values with escapes are unescaped on demand). After the first error it ends.
pub struct TextParser<'a> {
    c: Cursor<'a>,
    utf8_error: Option<ParseError>,
    done: bool,
}

/// Splits `input` into its valid UTF-8 prefix and the error for the rest, if any.
pub(crate) fn utf8_prefix(input: &[u8]) -> (&str, Option<ParseError>) {
    match std::str::from_utf8(input) {
        Ok(s) => (s, None),
        Err(e) => {
            let valid = e.valid_up_to();
            let err = ParseError::at(input, valid, "invalid UTF-8");
            // `valid` is a char boundary by construction.
            let prefix = std::str::from_utf8(&input[..valid]).unwrap_or_default();
            (prefix, Some(err))
        }
    }
}

impl<'a> TextParser<'a> {
    /// A parser over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        let (src, utf8_error) = utf8_prefix(input);
        TextParser {
            c: Cursor::new(src),
            utf8_error,
            done: false,
        }
    }

    fn comment(&mut self) -> Result<Entry<'a>> {
        let start = self.c.pos;
        self.c.pos += 1; // '#'
        self.c.skip_blanks();
        let word = self.c.token();
        let is_meta = (word == "HELP" || word == "TYPE") && self.c.skip_blanks() > 0;
        if !is_meta {
            self.c.pos = start + 1;
            let text = self.c.rest_of_line();
            self.c.end_of_line()?;
            return Ok(Entry::Comment(text));
        }
        let name = self.c.meta_name()?;
        let entry = if word == "HELP" {
            // Exactly one blank separates the name from the text, which keeps its spaces.
            if !self.c.eat(b' ') && !self.c.eat(b'\t') && self.c.peek().is_some_and(|b| b != b'\n')
            {
                return Err(self.c.error("expected blank after metric name"));
            }
            let text = self.c.rest_of_line();
            Entry::Help {
                name,
                help: unescape_help(text),
            }
        } else {
            if self.c.skip_blanks() == 0 {
                return Err(self.c.error("expected type after metric name"));
            }
            let t = self.c.token();
            let metric_type =
                prometheus_type(t).ok_or_else(|| self.c.error(format!("invalid type {t:?}")))?;
            self.c.skip_blanks();
            Entry::Type { name, metric_type }
        };
        self.c.end_of_line()?;
        Ok(entry)
    }

    fn sample(&mut self) -> Result<Entry<'a>> {
        let (name, labels) = if self.c.peek() == Some(b'{') {
            match parse_labels(&mut self.c, false, true)? {
                (Some(n), l) => (n, l),
                (None, _) => return Err(self.c.error("metric name missing in label set")),
            }
        } else {
            let n = self.c.bare_name(true);
            if n.is_empty() {
                return Err(self.c.error("invalid metric name"));
            }
            let blanks = self.c.skip_blanks();
            let labels = if self.c.peek() == Some(b'{') {
                parse_labels(&mut self.c, false, false)?.1
            } else if blanks == 0 {
                return Err(self.c.error("invalid character in metric name"));
            } else {
                Labels::default()
            };
            (Cow::Borrowed(n), labels)
        };
        self.c.skip_blanks();
        let at = self.c.pos;
        let v = self.c.token();
        let value = parse_float(v)
            .ok_or_else(|| ParseError::at(self.c.bytes(), at, format!("invalid value {v:?}")))?;
        self.c.skip_blanks();
        let mut timestamp = None;
        if self.c.peek().is_some_and(|b| b != b'\n') {
            let at = self.c.pos;
            let t = self.c.token();
            let ts = t.parse::<i64>().map_err(|_| {
                ParseError::at(self.c.bytes(), at, format!("invalid timestamp {t:?}"))
            })?;
            timestamp = Some(ts);
            self.c.skip_blanks();
        }
        self.c.end_of_line()?;
        Ok(Entry::Sample(Sample {
            name,
            labels,
            value,
            timestamp,
            exemplar: None,
        }))
    }
}

/// Unescapes a Prometheus text HELP string (`\\` and `\n` only).
fn unescape_help(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, false) => out.push(c),
            _ => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            },
        }
    }
    Cow::Owned(out)
}

impl<'a> Iterator for TextParser<'a> {
    type Item = Result<Entry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.c.skip_blanks();
            let r = match self.c.peek() {
                None => {
                    self.done = true;
                    return self.utf8_error.take().map(Err);
                }
                Some(b'\n') => {
                    self.c.pos += 1;
                    continue;
                }
                Some(b'#') => self.comment(),
                Some(_) => self.sample(),
            };
            if r.is_err() {
                self.done = true;
            }
            return Some(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flint_model::MetricType;

    fn entries(s: &str) -> Result<Vec<Entry<'_>>> {
        TextParser::new(s.as_bytes()).collect()
    }

    #[test]
    fn parses_basic_body() {
        let body = "# HELP a_total Some \\\\ help\\n.\n# TYPE a_total counter\n\
                    a_total{x=\"1\",y=\"a\\\"b\"} 3 1000\n\n  # just a comment\nb 1e3\n\
                    {\"my.metric\", \"la.bel\"=\"v\"} +Inf\n# EOF\n";
        let e = entries(body).unwrap();
        assert_eq!(
            e[0],
            Entry::Help {
                name: "a_total".into(),
                help: "Some \\ help\n.".into()
            }
        );
        assert_eq!(
            e[1],
            Entry::Type {
                name: "a_total".into(),
                metric_type: MetricType::Counter
            }
        );
        let Entry::Sample(s) = &e[2] else { panic!() };
        assert_eq!(s.value, 3.0);
        assert_eq!(s.timestamp, Some(1000));
        assert_eq!(s.labels.get("y").as_deref(), Some("a\"b"));
        assert!(matches!(e[3], Entry::Comment(_)));
        let Entry::Sample(s) = &e[5] else { panic!() };
        assert_eq!(s.name, "my.metric");
        assert_eq!(s.labels.to_vec(), vec![("la.bel".into(), "v".into())]);
        assert!(matches!(e[6], Entry::Comment(_)));
    }

    #[test]
    fn reports_positions() {
        let err = entries("a 1\nb{x=1} 2\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 5));
        let err = entries("a 1 2 3\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(entries("a\n").is_err());
        assert!(entries("# TYPE a foo\n").is_err());
        assert!(
            TextParser::new(b"a 1\n\xff")
                .collect::<Result<Vec<_>>>()
                .is_err()
        );
    }
}
