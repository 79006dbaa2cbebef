//! Answering label matchers from postings, with Prometheus's semantics: a missing label
//! matches as the empty string.

use flint_model::{MatchType, Matcher};

use super::postings::{Postings, empty, intersect, merge, without};
use super::reader::IndexReader;
use crate::error::Result;

/// IDs of the series matching every matcher.
///
/// A matcher that does not match `""` selects the postings of the values it matches; one that
/// matches `""` (`a=""`, `a!="x"`, `a!~"x|y"`) selects every series except those whose value
/// it rejects. When no matcher of the first kind is given, the result is taken from all
/// postings. Equality and regexes that are a set of literals are answered without scanning the
/// label's values; other regexes scan the sorted values.
pub fn postings_for_matchers<'a>(
    ir: &'a IndexReader,
    matchers: &[Matcher],
) -> Result<Box<dyn Postings + 'a>> {
    let mut its = Vec::new();
    let mut not_its = Vec::new();
    for m in matchers {
        if m.matches_empty() {
            let rejected = matching_values(ir, m, false);
            if !rejected.is_empty() {
                not_its.push(ir.postings_for_values(m.name(), &rejected)?);
            }
        } else {
            let accepted = matching_values(ir, m, true);
            if accepted.is_empty() {
                return Ok(empty());
            }
            its.push(ir.postings_for_values(m.name(), &accepted)?);
        }
    }
    if its.is_empty() {
        its.push(ir.all_postings()?);
    }
    let base = intersect(its);
    Ok(if not_its.is_empty() {
        base
    } else {
        without(base, merge(not_its))
    })
}

/// Values of the matcher's label for which `m.matches(value) == want`. May name values that do
/// not occur (their postings are empty).
fn matching_values<'a>(ir: &'a IndexReader, m: &'a Matcher, want: bool) -> Vec<&'a str> {
    if let Some((set, positive)) = literal_set(m) {
        if positive == want {
            return set.into_iter().filter(|v| !v.is_empty()).collect();
        }
        return ir
            .label_values(m.name())
            .into_iter()
            .filter(|v| !set.contains(v))
            .collect();
    }
    ir.label_values(m.name())
        .into_iter()
        .filter(|v| m.matches(v) == want)
        .collect()
}

/// `(S, true)` when the matcher matches exactly the strings of `S`, `(S, false)` when it
/// matches exactly those outside `S`.
fn literal_set(m: &Matcher) -> Option<(Vec<&str>, bool)> {
    match m.match_type() {
        MatchType::Equal => Some((vec![m.value()], true)),
        MatchType::NotEqual => Some((vec![m.value()], false)),
        MatchType::RegexMatch => regex_set(m).map(|s| (s, true)),
        MatchType::RegexNoMatch => regex_set(m).map(|s| (s, false)),
    }
}

fn regex_set(m: &Matcher) -> Option<Vec<&str>> {
    Some(
        m.regex()?
            .set_matches()?
            .iter()
            .map(String::as_str)
            .collect(),
    )
}
