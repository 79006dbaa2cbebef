//! Streaming, strictly validating parser for OpenMetrics 1.0 text.

mod validate;

use std::borrow::Cow;

use flint_model::MetricType;

use crate::entry::{Entry, ExemplarEntry, Labels, Sample};
use crate::error::{ParseError, Result};
use crate::lex::{Cursor, parse_labels, unescape};
use crate::text::utf8_prefix;

use validate::Validator;

/// How much of OpenMetrics 1.0 a parser enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validation {
    /// Every rule of the specification (the conformance suite's verdicts): family grouping,
    /// metadata placement, suffixes per type, label and value constraints, bucket order.
    #[default]
    Strict,
    /// Syntax and `# EOF` only, as Prometheus's scrape parser is forgiving: real exporters
    /// (client_golang included) emit bodies the strict rules reject, e.g. a histogram with
    /// negative buckets and a `_sum`.
    Lenient,
}

/// An iterator over the entries of an OpenMetrics body, validating as it goes (syntax,
/// family grouping, per-type suffix and value rules, `# EOF`). Ends after the first error.
pub struct OpenMetricsParser<'a> {
    c: Cursor<'a>,
    utf8_error: Option<ParseError>,
    validation: Validation,
    validator: Validator,
    eof: bool,
    done: bool,
}

/// Parses an OpenMetrics number: decimal with optional exponent, or `Inf`/`Infinity`
/// (optional sign) or `NaN`, case-insensitively. No hex, no `_`.
pub(crate) fn parse_om_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let body = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let lower_is = |w: &str| body.eq_ignore_ascii_case(w.as_bytes());
    if lower_is("inf") || lower_is("infinity") {
        return Some(if b[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower_is("nan") && body.len() == b.len() {
        return Some(f64::NAN);
    }
    let mut i = 0;
    let digits = |i: &mut usize| {
        let s = *i;
        while body.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - s
    };
    let mut n = digits(&mut i);
    if body.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if matches!(body.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(body.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != body.len() {
        return None;
    }
    crate::float::fast_decimal(b).or_else(|| s.parse().ok())
}

/// Converts an OpenMetrics timestamp (seconds) to milliseconds.
fn seconds_to_ms(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

impl<'a> OpenMetricsParser<'a> {
    /// A strict parser over `input` ([`Validation::Strict`]).
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_validation(input, Validation::Strict)
    }

    /// A parser over `input` enforcing `validation`.
    pub fn with_validation(input: &'a [u8], validation: Validation) -> Self {
        let (src, utf8_error) = utf8_prefix(input);
        OpenMetricsParser {
            c: Cursor::new(src),
            utf8_error,
            validation,
            validator: Validator::default(),
            eof: false,
            done: false,
        }
    }

    fn expect_space(&mut self, what: &str) -> Result<()> {
        if self.c.eat(b' ') {
            Ok(())
        } else {
            Err(self.c.error(format!("expected a single space {what}")))
        }
    }

    fn metadata(&mut self) -> Result<Entry<'a>> {
        let rest = &self.c.src[self.c.pos..];
        if rest.starts_with("# EOF") && matches!(rest.as_bytes().get(5), None | Some(b'\n')) {
            self.c.pos += 5;
            self.c.eat(b'\n');
            if self.c.pos < self.c.src.len() {
                return Err(self.c.error("content after # EOF"));
            }
            self.eof = true;
            if self.validation == Validation::Strict {
                self.validator.finish(&self.c)?;
            }
            return Ok(Entry::Eof);
        }
        let kw = rest.get(2..6).unwrap_or("");
        if !rest.starts_with("# ") || !matches!(kw, "HELP" | "TYPE" | "UNIT") {
            return Err(self
                .c
                .error("invalid comment line (only HELP, TYPE, UNIT and EOF)"));
        }
        self.c.pos += 6;
        self.expect_space("after keyword")?;
        let name = self.c.meta_name()?;
        self.expect_space("after metric name")?;
        let at = self.c.pos;
        let text = self.c.rest_of_line();
        let entry = match kw {
            "HELP" => Entry::Help {
                name,
                help: unescape(text),
            },
            "TYPE" => {
                let t = om_type(text).ok_or_else(|| {
                    ParseError::at(self.c.bytes(), at, format!("invalid type {text:?}"))
                })?;
                Entry::Type {
                    name,
                    metric_type: t,
                }
            }
            _ => {
                if text.contains([' ', '\t']) {
                    return Err(ParseError::at(self.c.bytes(), at, "invalid unit"));
                }
                Entry::Unit {
                    name,
                    unit: Cow::Borrowed(text),
                }
            }
        };
        self.line_end()?;
        Ok(entry)
    }

    fn line_end(&mut self) -> Result<()> {
        if self.c.eat(b'\n') {
            Ok(())
        } else if self.c.peek().is_none() {
            Err(self.c.error("missing newline at end of line"))
        } else {
            Err(self.c.error("unexpected character, expected end of line"))
        }
    }

    fn number(&mut self, what: &str) -> Result<f64> {
        let at = self.c.pos;
        let tok = self.c.token();
        parse_om_float(tok)
            .ok_or_else(|| ParseError::at(self.c.bytes(), at, format!("invalid {what} {tok:?}")))
    }

    fn timestamp(&mut self) -> Result<i64> {
        let at = self.c.pos;
        let v = self.number("timestamp")?;
        if !v.is_finite() {
            return Err(ParseError::at(
                self.c.bytes(),
                at,
                "timestamp must be finite",
            ));
        }
        Ok(seconds_to_ms(v))
    }

    fn series(&mut self) -> Result<(Cow<'a, str>, Labels<'a>)> {
        if self.c.peek() == Some(b'{') {
            return match parse_labels(&mut self.c, true, true)? {
                (Some(n), l) => Ok((n, l)),
                (None, _) => Err(self.c.error("metric name missing")),
            };
        }
        let n = self.c.bare_name(true);
        if n.is_empty() {
            return Err(self.c.error("invalid metric name"));
        }
        let labels = if self.c.peek() == Some(b'{') {
            parse_labels(&mut self.c, true, false)?.1
        } else {
            Labels::default()
        };
        Ok((Cow::Borrowed(n), labels))
    }

    fn exemplar(&mut self) -> Result<ExemplarEntry<'a>> {
        // At "# ".
        if !self.c.eat(b'#') {
            return Err(self.c.error("expected timestamp or exemplar"));
        }
        self.expect_space("after '#'")?;
        if self.c.peek() != Some(b'{') {
            return Err(self.c.error("expected exemplar label set"));
        }
        let (_, labels) = parse_labels(&mut self.c, true, false)?;
        self.expect_space("before exemplar value")?;
        let value = self.number("exemplar value")?;
        let mut timestamp = None;
        if self.c.eat(b' ') {
            timestamp = Some(self.timestamp()?);
        }
        Ok(ExemplarEntry {
            labels,
            value,
            timestamp,
        })
    }

    fn sample(&mut self) -> Result<Entry<'a>> {
        let start = self.c.pos;
        let (name, labels) = self.series()?;
        self.expect_space("before value")?;
        let value = self.number("value")?;
        let mut timestamp = None;
        let mut exemplar = None;
        if self.c.eat(b' ') {
            if self.c.peek() == Some(b'#') {
                exemplar = Some(self.exemplar()?);
            } else {
                timestamp = Some(self.timestamp()?);
                if self.c.eat(b' ') {
                    exemplar = Some(self.exemplar()?);
                }
            }
        }
        self.line_end()?;
        let sample = Sample {
            name,
            labels,
            value,
            timestamp,
            exemplar,
        };
        if self.validation == Validation::Strict {
            self.validator.sample(&sample, self.c.bytes(), start)?;
        }
        Ok(Entry::Sample(sample))
    }

    fn step(&mut self) -> Result<Option<Entry<'a>>> {
        let start = self.c.pos;
        let entry = match self.c.peek() {
            None => return Err(self.c.error("missing # EOF")),
            Some(b'\n') => return Err(self.c.error("blank line")),
            Some(b'#') => self.metadata()?,
            Some(_) => self.sample()?,
        };
        match &entry {
            Entry::Help { name, .. } | Entry::Type { name, .. } | Entry::Unit { name, .. }
                if self.validation == Validation::Strict =>
            {
                self.validator
                    .metadata(&entry, name, self.c.bytes(), start)?;
            }
            _ => {}
        }
        Ok(Some(entry))
    }
}

/// Parses an OpenMetrics type name.
fn om_type(s: &str) -> Option<MetricType> {
    match s {
        "untyped" => None,
        other => other.parse().ok(),
    }
}

impl<'a> Iterator for OpenMetricsParser<'a> {
    type Item = Result<Entry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.eof {
            self.done = true;
            return self.utf8_error.take().map(Err);
        }
        if self.c.pos >= self.c.src.len()
            && let Some(e) = self.utf8_error.take()
        {
            self.done = true;
            return Some(Err(e));
        }
        let r = self.step();
        match r {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Entry<'_>>> {
        OpenMetricsParser::new(s.as_bytes()).collect()
    }

    #[test]
    fn parses_samples_exemplars_and_quoted_names() {
        let body = "# TYPE \"my.counter\" counter\n# HELP \"my.counter\" A \\\"quoted\\\" help.\n\
                    {\"my.counter_total\",a=\"b\"} 1.5 1.25 # {trace_id=\"x\"} 1.0 123.456\n\
                    # EOF\n";
        let e = parse(body).unwrap();
        assert_eq!(
            e[1],
            Entry::Help {
                name: "my.counter".into(),
                help: "A \"quoted\" help.".into()
            }
        );
        let Entry::Sample(s) = &e[2] else { panic!() };
        assert_eq!(s.name, "my.counter_total");
        assert_eq!(s.value, 1.5);
        assert_eq!(s.timestamp, Some(1250));
        let ex = s.exemplar.as_ref().unwrap();
        assert_eq!(ex.timestamp, Some(123_456));
        assert_eq!(ex.labels.get("trace_id").as_deref(), Some("x"));
        assert_eq!(e[3], Entry::Eof);
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse("a 1\nb{c=\"d\",} 2\n# EOF\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 9));
        let err = parse("a 1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("EOF"));
    }

    #[test]
    fn lenient_skips_semantic_rules() {
        let body = "# TYPE a counter\na_total -1\n# EOF\n";
        assert!(parse(body).is_err());
        let lenient: Result<Vec<_>> =
            OpenMetricsParser::with_validation(body.as_bytes(), Validation::Lenient).collect();
        assert!(lenient.is_ok());
        let no_eof = OpenMetricsParser::with_validation(b"a 1\n", Validation::Lenient);
        assert!(no_eof.collect::<Result<Vec<_>>>().is_err());
    }

    #[test]
    fn om_numbers() {
        for ok in [
            "1", "-1.5e3", "0.5", ".5", "5.", "+Inf", "-inf", "NaN", "Infinity", "00.1",
        ] {
            assert!(parse_om_float(ok).is_some(), "{ok}");
        }
        for bad in ["", "0x1", "1_0", "e3", "1e", "+NaN", "1.1.1", "--1", "inf1"] {
            assert!(parse_om_float(bad).is_none(), "{bad}");
        }
    }
}
