//! Parsing label matchers as Alertmanager writes them: `severity="critical"`,
//! `{alertname=~"Disk.*", env!="dev"}`, or unquoted `team=ops`.
//!
//! Accepts both upstream's UTF-8 matcher syntax and the classic one (unquoted values,
//! optional braces), which is what `amtool` and config files use.

use std::fmt;

use flint_model::{MatchType, Matcher};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Parses one expression holding one or more comma-separated matchers.
pub fn parse_matchers(input: &str) -> Result<Vec<Matcher>> {
    let mut s = input.trim();
    if let Some(inner) = s.strip_prefix('{') {
        s = inner
            .strip_suffix('}')
            .ok_or_else(|| Error::Matcher(format!("{input}: missing closing '}}'")))?
            .trim();
    } else if s.ends_with('}') {
        return Err(Error::Matcher(format!("{input}: missing opening '{{'")));
    }
    let mut out = Vec::new();
    for piece in split_top_level(s) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        out.push(parse_one(piece)?);
    }
    Ok(out)
}

/// Parses exactly one matcher (`name op value`).
pub fn parse_matcher(input: &str) -> Result<Matcher> {
    let mut ms = parse_matchers(input)?;
    match (ms.pop(), ms.is_empty()) {
        (Some(m), true) => Ok(m),
        _ => Err(Error::Matcher(format!(
            "{input}: expected exactly one matcher"
        ))),
    }
}

/// Splits on commas outside double quotes.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_one(piece: &str) -> Result<Matcher> {
    let bad = |why: &str| Error::Matcher(format!("{piece}: {why}"));
    let (name, rest) = if piece.starts_with('"') {
        let (n, used) = unquote_prefix(piece).ok_or_else(|| bad("unterminated quoted name"))?;
        (n, piece[used..].trim_start())
    } else {
        let end = piece
            .find(['=', '!', '~'])
            .ok_or_else(|| bad("no operator"))?;
        (piece[..end].trim().to_string(), &piece[end..])
    };
    if name.is_empty() {
        return Err(bad("missing label name"));
    }
    let (op, value) = [
        ("=~", MatchType::RegexMatch),
        ("!~", MatchType::RegexNoMatch),
        ("!=", MatchType::NotEqual),
        ("=", MatchType::Equal),
    ]
    .into_iter()
    .find_map(|(tok, t)| rest.strip_prefix(tok).map(|v| (t, v.trim())))
    .ok_or_else(|| bad("unknown operator"))?;
    let value = if value.starts_with('"') {
        let (v, used) = unquote_prefix(value).ok_or_else(|| bad("unterminated quoted value"))?;
        if !value[used..].trim().is_empty() {
            return Err(bad("unexpected text after quoted value"));
        }
        v
    } else {
        value.to_string()
    };
    Ok(Matcher::new(op, name, value)?)
}

/// Decodes a Go-quoted string at the start of `s`; returns it and the bytes consumed.
fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// A sorted list of matchers as written in config files (a list of matcher strings).
#[derive(Clone, Default)]
pub struct Matchers(pub Vec<Matcher>);

impl Matchers {
    /// Whether every matcher matches `labels`.
    pub fn matches(&self, labels: &flint_model::Labels) -> bool {
        matches_all(&self.0, labels)
    }

    /// Whether there are no matchers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether all `matchers` match `labels` (a missing label has the value `""`).
pub fn matches_all(matchers: &[Matcher], labels: &flint_model::Labels) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

impl fmt::Debug for Matchers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|m| m.to_string()))
            .finish()
    }
}

impl PartialEq for Matchers {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.to_string() == b.to_string())
    }
}

/// Orders like upstream's `labels.Matchers` sort: by name, then type, then value.
pub fn sort_matchers(ms: &mut [Matcher]) {
    fn rank(t: MatchType) -> u8 {
        match t {
            MatchType::Equal => 0,
            MatchType::NotEqual => 1,
            MatchType::RegexMatch => 2,
            MatchType::RegexNoMatch => 3,
        }
    }
    ms.sort_by(|a, b| {
        (a.name(), rank(a.match_type()), a.value()).cmp(&(
            b.name(),
            rank(b.match_type()),
            b.value(),
        ))
    });
}

impl<'de> Deserialize<'de> for Matchers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let lines = Vec::<String>::deserialize(d)?;
        let mut out = Vec::new();
        for line in lines {
            out.extend(parse_matchers(&line).map_err(serde::de::Error::custom)?);
        }
        sort_matchers(&mut out);
        Ok(Matchers(out))
    }
}

impl Serialize for Matchers {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|m| m.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        match parse_matchers(s) {
            Ok(ms) => ms
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn parses_both_syntaxes() {
        assert_eq!(show(r#"severity="critical""#), r#"severity="critical""#);
        assert_eq!(show("team=ops"), r#"team="ops""#);
        assert_eq!(show(r#"{a=~"x.*", b!="y,z"}"#), r#"a=~"x.*",b!="y,z""#);
        assert_eq!(show("a!~b"), r#"a!~"b""#);
        assert_eq!(show(r#""my.label"="v""#), r#""my.label"="v""#);
        assert_eq!(show(r#"a="q\"uote""#), r#"a="q\"uote""#);
        assert_eq!(show("a="), r#"a="""#);
    }

    #[test]
    fn rejects_bad() {
        assert!(show("{a=b").starts_with("error"));
        assert!(show("novalue").starts_with("error"));
        assert!(show(r#"a="open"#).starts_with("error"));
        assert!(show("a=~(").starts_with("error"));
    }
}
