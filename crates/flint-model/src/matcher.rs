//! Label matchers: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.
//!
//! ```
//! use flint_model::{MatchType, Matcher};
//!
//! let m = Matcher::new(MatchType::RegexMatch, "job", "api|web")?;
//! assert!(m.matches("web") && !m.matches("webx"));
//! assert_eq!(m.regex().and_then(|r| r.set_matches()).map(|s| s.len()), Some(2));
//! assert_eq!(m.to_string(), r#"job=~"api|web""#);
//! # Ok::<(), flint_model::Error>(())
//! ```

use std::fmt;

use crate::error::Result;
use crate::names::is_legacy_label_name;
use crate::quote::write_go_quoted;
use crate::regex::Regex;

/// The comparison a [`Matcher`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    RegexMatch,
    /// `!~`
    RegexNoMatch,
}

impl MatchType {
    /// The PromQL operator.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::RegexMatch => "=~",
            MatchType::RegexNoMatch => "!~",
        }
    }

    /// Whether this is `=~` or `!~`.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchType::RegexMatch | MatchType::RegexNoMatch)
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Matches the value of one label. A missing label has the value `""`.
///
/// Regex matchers are anchored, `^(?s:VALUE)$`, with Go RE2 semantics; see [`Regex`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    name: String,
    match_type: MatchType,
    value: String,
    re: Option<Regex>,
}

impl Matcher {
    /// A matcher of any type; fails when a regex matcher's value does not compile.
    pub fn new(
        match_type: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self> {
        let value = value.into();
        let re = if match_type.is_regex() {
            Some(Regex::new_anchored(&value)?)
        } else {
            None
        };
        Ok(Matcher {
            name: name.into(),
            match_type,
            value,
            re,
        })
    }

    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            match_type: MatchType::Equal,
            value: value.into(),
            re: None,
        }
    }

    /// `name!="value"`.
    pub fn not_equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            match_type: MatchType::NotEqual,
            value: value.into(),
            re: None,
        }
    }

    /// `name=~"regex"`.
    pub fn regex_match(name: impl Into<String>, regex: impl Into<String>) -> Result<Self> {
        Matcher::new(MatchType::RegexMatch, name, regex)
    }

    /// `name!~"regex"`.
    pub fn regex_no_match(name: impl Into<String>, regex: impl Into<String>) -> Result<Self> {
        Matcher::new(MatchType::RegexNoMatch, name, regex)
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The comparison.
    pub fn match_type(&self) -> MatchType {
        self.match_type
    }

    /// The value or regex source as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The compiled regex of a regex matcher.
    pub fn regex(&self) -> Option<&Regex> {
        self.re.as_ref()
    }

    /// Whether a label value `v` satisfies the matcher.
    pub fn matches(&self, v: &str) -> bool {
        match (&self.match_type, &self.re) {
            (MatchType::Equal, _) => v == self.value,
            (MatchType::NotEqual, _) => v != self.value,
            (MatchType::RegexMatch, Some(re)) => re.is_match(v),
            (MatchType::RegexNoMatch, Some(re)) => !re.is_match(v),
            // Regex matchers are only built with a compiled regex.
            (MatchType::RegexMatch | MatchType::RegexNoMatch, None) => false,
        }
    }

    /// Whether the matcher selects series that lack the label (it matches `""`).
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

/// Prints as PromQL does: `job=~"api|web"`; names outside the legacy charset are quoted.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_legacy_label_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            write_go_quoted(f, &self.name)?;
        }
        f.write_str(self.match_type.as_str())?;
        write_go_quoted(f, &self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_each_type() {
        let cases: &[(MatchType, &str, &str, bool)] = &[
            (MatchType::Equal, "a", "a", true),
            (MatchType::Equal, "a", "b", false),
            (MatchType::Equal, "", "", true),
            (MatchType::NotEqual, "a", "b", true),
            (MatchType::NotEqual, "a", "a", false),
            (MatchType::RegexMatch, "a.*", "abc", true),
            (MatchType::RegexMatch, "a.*", "xabc", false),
            (MatchType::RegexMatch, "a|b", "b", true),
            (MatchType::RegexMatch, ".*", "line\nbreak", true),
            (MatchType::RegexMatch, "foo", "foobar", false),
            (MatchType::RegexNoMatch, "a.*", "abc", false),
            (MatchType::RegexNoMatch, "a.*", "b", true),
            (MatchType::RegexNoMatch, "", "", false),
        ];
        for &(t, value, input, want) in cases {
            let m = Matcher::new(t, "l", value).expect("valid");
            assert_eq!(m.matches(input), want, "{m} on {input:?}");
        }
    }

    #[test]
    fn matches_empty() {
        assert!(Matcher::equal("a", "").matches_empty());
        assert!(!Matcher::equal("a", "x").matches_empty());
        assert!(
            Matcher::regex_match("a", "x|")
                .expect("valid")
                .matches_empty()
        );
        assert!(
            !Matcher::regex_match("a", ".+")
                .expect("valid")
                .matches_empty()
        );
        assert!(
            Matcher::regex_no_match("a", ".+")
                .expect("valid")
                .matches_empty()
        );
    }

    #[test]
    fn display_like_promql() {
        let m = Matcher::regex_match("job", "api|\"web\"").expect("valid");
        assert_eq!(m.to_string(), r#"job=~"api|\"web\"""#);
        assert_eq!(Matcher::not_equal("a", "b\n").to_string(), r#"a!="b\n""#);
        assert_eq!(
            Matcher::equal("my.label", "x").to_string(),
            r#""my.label"="x""#
        );
    }

    #[test]
    fn bad_regex_is_an_error() {
        let err = Matcher::regex_match("a", "(abc").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "error parsing regexp: missing closing ): `(abc`"
        );
    }
}
