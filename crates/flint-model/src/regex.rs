//! Regular expressions with Go RE2 semantics, plus the fast paths label matchers need.
//!
//! Prometheus compiles every regex with Go's `regexp` package (RE2 syntax). [`Regex`] accepts
//! the same syntax, rejects what Go rejects and matches what Go matches: the pattern is
//! translated (see `translate`), parsed by `regex-syntax`, and compiled by the `regex` crate.
//! Anchored regexes (`^(?s:PATTERN)$`, as Prometheus 3 uses for matchers and relabeling) are
//! also classified into a [`FastPath`] so that common shapes skip the regex engine.

mod fast;
mod translate;

use std::collections::HashSet;
use std::fmt;

use regex_syntax::hir::Hir;

use crate::error::{Error, Result};

pub use fast::FastPath;

/// Sets larger than this are looked up through a hash set instead of a linear scan.
const LINEAR_SET_MAX: usize = 8;

/// A compiled regular expression with Go RE2 semantics.
#[derive(Clone)]
pub struct Regex {
    source: String,
    anchored: bool,
    re: regex::Regex,
    fast: FastPath,
    lookup: Option<HashSet<Box<str>>>,
}

impl Regex {
    /// Compile `pattern` unanchored, like Go's `regexp.Compile`.
    pub fn new(pattern: &str) -> Result<Self> {
        let translated = translate::translate(pattern)?;
        let hir = parse_hir(pattern, &translated)?;
        let re = compile(pattern, &hir)?;
        Ok(Regex {
            source: pattern.to_string(),
            anchored: false,
            re,
            fast: FastPath::None,
            lookup: None,
        })
    }

    /// Compile `pattern` fully anchored with `.` matching newlines: `^(?s:PATTERN)$`, as
    /// Prometheus 3 does for label matchers and relabel rules.
    pub fn new_anchored(pattern: &str) -> Result<Self> {
        let translated = translate::translate(pattern)?;
        let inner = parse_hir(pattern, &format!("(?s:{translated})"))?;
        let fast = fast::classify(&inner);
        let hir = Hir::concat(vec![
            Hir::look(regex_syntax::hir::Look::Start),
            inner,
            Hir::look(regex_syntax::hir::Look::End),
        ]);
        let re = compile(pattern, &hir)?;
        let lookup = match &fast {
            FastPath::Set(v) if v.len() > LINEAR_SET_MAX => {
                Some(v.iter().map(|s| s.as_str().into()).collect())
            }
            _ => None,
        };
        Ok(Regex {
            source: pattern.to_string(),
            anchored: true,
            re,
            fast,
            lookup,
        })
    }

    /// The pattern as given (without the anchors added by [`Regex::new_anchored`]).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether this regex was compiled by [`Regex::new_anchored`].
    pub fn is_anchored(&self) -> bool {
        self.anchored
    }

    /// Whether `s` matches (the whole of `s` when anchored). Uses the fast path if there is one.
    pub fn is_match(&self, s: &str) -> bool {
        match &self.fast {
            FastPath::MatchAll => true,
            FastPath::NonEmpty => !s.is_empty(),
            FastPath::Set(v) => match &self.lookup {
                Some(set) => set.contains(s),
                None => v.iter().any(|x| x == s),
            },
            FastPath::Prefix(p) => s.starts_with(p.as_str()),
            FastPath::Suffix(p) => s.ends_with(p.as_str()),
            FastPath::Contains(p) => s.contains(p.as_str()),
            FastPath::CaseInsensitive(p) if s.is_ascii() => s.eq_ignore_ascii_case(p),
            FastPath::CaseInsensitive(_) | FastPath::None => self.re.is_match(s),
        }
    }

    /// Capture groups of the leftmost-first match, numbered and named as in the pattern.
    pub fn captures<'h>(&self, s: &'h str) -> Option<regex::Captures<'h>> {
        self.re.captures(s)
    }

    /// The underlying compiled regex (always correct, never takes the fast path).
    pub fn inner(&self) -> &regex::Regex {
        &self.re
    }

    /// How an anchored regex is matched; always [`FastPath::None`] when unanchored.
    pub fn fast_path(&self) -> &FastPath {
        &self.fast
    }

    /// The exact strings this regex matches, when it matches only a small finite set
    /// (`foo`, `a|b|c`, `(x|y)z`). A single literal is a set of one.
    pub fn set_matches(&self) -> Option<&[String]> {
        match &self.fast {
            FastPath::Set(v) => Some(v),
            _ => None,
        }
    }

    /// The literal, when the regex matches exactly one string.
    pub fn literal(&self) -> Option<&str> {
        match self.set_matches() {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// `p` when the regex is `p.*`.
    pub fn prefix(&self) -> Option<&str> {
        match &self.fast {
            FastPath::Prefix(p) => Some(p),
            _ => None,
        }
    }

    /// `s` when the regex is `.*s`.
    pub fn suffix(&self) -> Option<&str> {
        match &self.fast {
            FastPath::Suffix(s) => Some(s),
            _ => None,
        }
    }

    /// `s` when the regex is `.*s.*`.
    pub fn contains_literal(&self) -> Option<&str> {
        match &self.fast {
            FastPath::Contains(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the regex matches every string (`.*`).
    pub fn is_match_all(&self) -> bool {
        matches!(self.fast, FastPath::MatchAll)
    }

    /// Whether the regex matches exactly the non-empty strings (`.+`).
    pub fn is_match_non_empty(&self) -> bool {
        matches!(self.fast, FastPath::NonEmpty)
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Regex")
            .field("source", &self.source)
            .field("anchored", &self.anchored)
            .field("fast", &self.fast)
            .finish()
    }
}

/// Prints the pattern as given.
impl fmt::Display for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Two regexes are equal when compiled from the same pattern the same way.
impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.anchored == other.anchored
    }
}

impl Eq for Regex {}

fn parse_hir(pattern: &str, translated: &str) -> Result<Hir> {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(translated)
        .map_err(|e| Error::RegexCompile {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })
}

/// Compile from the HIR's printed form, which spells Unicode classes out as ranges, so the
/// `regex` crate needs none of its optional Unicode tables.
fn compile(pattern: &str, hir: &Hir) -> Result<regex::Regex> {
    regex::Regex::new(&hir.to_string()).map_err(|e| Error::RegexCompile {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
