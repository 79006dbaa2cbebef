//! A small parser for label-matcher selectors (`{job="a", instance=~"b.*"}`), as the
//! metadata endpoints take in `match_target`.

use flint_model::{MatchType, Matcher};

/// Parses `{name op "value", …}`; the braces are required, the list may be empty.
pub fn parse_matchers(s: &str) -> Result<Vec<Matcher>, String> {
    let inner = s
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| format!("invalid selector {s:?}: expected {{...}}"))?;
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        rest = rest[name_len..].trim_start();
        let (mt, op_len) = if rest.starts_with("=~") {
            (MatchType::RegexMatch, 2)
        } else if rest.starts_with("!~") {
            (MatchType::RegexNoMatch, 2)
        } else if rest.starts_with("!=") {
            (MatchType::NotEqual, 2)
        } else if rest.starts_with('=') {
            (MatchType::Equal, 1)
        } else {
            return Err(format!(
                "invalid selector {s:?}: expected a matcher operator"
            ));
        };
        rest = rest[op_len..].trim_start();
        let (value, after) = quoted(rest)
            .ok_or_else(|| format!("invalid selector {s:?}: expected a quoted value"))?;
        if name.is_empty() {
            return Err(format!("invalid selector {s:?}: empty label name"));
        }
        out.push(Matcher::new(mt, name, value).map_err(|e| e.to_string())?);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(out)
}

fn quoted(s: &str) -> Option<(String, &str)> {
    let q = s
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'' || *c == '`')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if q != '`' => match chars.next()? {
                (_, 'n') => out.push('\n'),
                (_, 't') => out.push('\t'),
                (_, o) => out.push(o),
            },
            c if c == q => return Some((out, &s[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let m = parse_matchers(r#"{job="a", instance=~"b.*",x!="c\"d"}"#).unwrap();
        assert_eq!(m.len(), 3);
        assert!(m[1].matches("bcd"));
        assert!(parse_matchers("{}").unwrap().is_empty());
        assert!(parse_matchers("job=a").is_err());
        assert!(parse_matchers(r#"{job=a}"#).is_err());
    }
}
