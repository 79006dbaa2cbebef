//! Go's `regexp.Expand` template syntax for `replacement` and `target_label`.

/// Capture groups a template can refer to.
pub trait TemplateGroups {
    /// The text of group `index`, if it participated in the match.
    fn group(&self, index: usize) -> Option<&str>;
    /// The text of the group called `name`, if it exists and participated.
    fn named(&self, name: &str) -> Option<&str>;
}

impl TemplateGroups for regex::Captures<'_> {
    fn group(&self, index: usize) -> Option<&str> {
        self.get(index).map(|m| m.as_str())
    }

    fn named(&self, name: &str) -> Option<&str> {
        self.name(name).map(|m| m.as_str())
    }
}

/// The groups of the default relabel regex `(.*)` on an input: groups 0 and 1 are the whole
/// input. Lets the common `$1` copy skip the regex engine.
pub(crate) struct WholeMatch<'a>(pub(crate) &'a str);

impl TemplateGroups for WholeMatch<'_> {
    fn group(&self, index: usize) -> Option<&str> {
        (index <= 1).then_some(self.0)
    }

    fn named(&self, _: &str) -> Option<&str> {
        None
    }
}

/// Append `template` to `out`, replacing `$name`, `${name}` and `$$` as Go's
/// `Regexp.ExpandString` does, with groups taken from `caps`.
///
/// Go's rules, which differ from the `regex` crate's in edge cases:
/// - `$$` is a literal `$`;
/// - a name is the longest run of letters, digits and `_`, so `$1x` is the group named `1x`
///   (usually absent, thus empty) — write `${1}x`;
/// - a name made only of digits (without a leading zero) is a group number;
/// - an unknown or non-participating group expands to nothing;
/// - a `$` not followed by a valid name (or `${` without `}`) is copied literally.
pub fn expand_template<G: TemplateGroups + ?Sized>(template: &str, caps: &G, out: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let Some((name, after)) = extract(rest) else {
            out.push('$');
            continue;
        };
        rest = after;
        let group = match group_number(name) {
            Some(n) => caps.group(n),
            None => caps.named(name),
        };
        if let Some(g) = group {
            out.push_str(g);
        }
    }
    out.push_str(rest);
}

/// Split `s` (the text after a `$`) into a group name and the rest.
fn extract(s: &str) -> Option<(&str, &str)> {
    let (body, braced) = match s.strip_prefix('{') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphabetic() || c.is_numeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    if braced {
        let after = body[end..].strip_prefix('}')?;
        return Some((name, after));
    }
    Some((name, &body[end..]))
}

/// A group number as Go reads it: ASCII digits, no leading zero, below 10^8.
fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || name.len() > 8 {
        return None;
    }
    if name.len() > 1 && name.starts_with('0') {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(re: &str, input: &str, template: &str) -> String {
        let re = regex::Regex::new(re).expect("valid regex");
        let caps = re.captures(input).expect("matches");
        let mut out = String::new();
        expand_template(template, &caps, &mut out);
        out
    }

    #[test]
    fn go_expand_semantics() {
        let re = "^(?P<first>a+)(b+)?(c*)$";
        let cases = [
            ("$1", "aa"),
            ("${1}", "aa"),
            ("$1x", ""),
            ("${1}x", "aax"),
            ("$first-$3", "aa-cc"),
            ("${first}", "aa"),
            ("$2", ""),
            ("$9", ""),
            ("$$1", "$1"),
            ("$", "$"),
            ("a$-b", "a$-b"),
            ("${1", "${1"),
            ("${}", "${}"),
            ("$01", ""),
            ("${0}", "aacc"),
            ("no vars", "no vars"),
            ("$1$3$1", "aaccaa"),
        ];
        for (template, want) in cases {
            assert_eq!(expand(re, "aacc", template), want, "{template}");
        }
    }
}
