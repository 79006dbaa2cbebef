//! Classification of anchored regexes into shapes that need no regex engine.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Largest set of alternatives turned into a set lookup (Prometheus's `maxSetMatches`).
const MAX_SET: usize = 256;

/// How an anchored regex can be matched without running the regex engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FastPath {
    /// `.*`: every string matches.
    MatchAll,
    /// `.+`: every non-empty string matches.
    NonEmpty,
    /// A finite set of literals (`foo`, `a|b|c`); a single literal is a set of one.
    Set(Vec<String>),
    /// `prefix.*`.
    Prefix(String),
    /// `.*suffix`.
    Suffix(String),
    /// `.*needle.*`.
    Contains(String),
    /// `(?i)literal` where the literal is ASCII; stored with letters lowercased. ASCII inputs
    /// are compared directly; others (which may hold `ſ` or the Kelvin sign) use the regex.
    CaseInsensitive(String),
    /// No fast path: run the regex.
    None,
}

/// Classify the HIR of `(?s:PATTERN)`.
pub(super) fn classify(hir: &Hir) -> FastPath {
    let hir = strip(hir);
    match any_repeat(hir) {
        Some(0) => return FastPath::MatchAll,
        Some(1) => return FastPath::NonEmpty,
        _ => {}
    }
    if let Some(lit) = ascii_fold_literal(hir) {
        return FastPath::CaseInsensitive(lit);
    }
    if let Some(set) = literal_set(hir) {
        return FastPath::Set(set);
    }
    if let HirKind::Concat(parts) = hir.kind()
        && let Some(fp) = affix(parts)
    {
        return fp;
    }
    FastPath::None
}

/// Remove capture groups, which do not affect whether a string matches.
fn strip(mut hir: &Hir) -> &Hir {
    while let HirKind::Capture(c) = hir.kind() {
        hir = &c.sub;
    }
    hir
}

/// `Some(min)` if `hir` is `.{min,}` with `.` matching every character.
fn any_repeat(hir: &Hir) -> Option<u32> {
    match hir.kind() {
        HirKind::Repetition(r) if r.max.is_none() && r.min <= 1 && is_any(strip(&r.sub)) => {
            Some(r.min)
        }
        _ => None,
    }
}

fn is_any(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let r = c.ranges();
            r.len() == 1 && r[0].start() == '\0' && r[0].end() == char::MAX
        }
        _ => false,
    }
}

/// `lit.*`, `.*lit`, `.*lit.*`.
fn affix(parts: &[Hir]) -> Option<FastPath> {
    let star = |h: &Hir| any_repeat(strip(h)) == Some(0);
    let (first, last) = (parts.first()?, parts.last()?);
    let (lead, trail) = (star(first), star(last));
    let middle = match (lead, trail) {
        (true, true) if parts.len() >= 2 => &parts[1..parts.len() - 1],
        (true, false) => &parts[1..],
        (false, true) => &parts[..parts.len() - 1],
        _ => return None,
    };
    let mut set = concat_set(middle)?;
    if set.len() != 1 {
        return None;
    }
    let lit = set.pop()?;
    Some(match (lead, trail) {
        (true, true) => FastPath::Contains(lit),
        (true, false) => FastPath::Suffix(lit),
        _ => FastPath::Prefix(lit),
    })
}

/// The finite set of strings `hir` matches, if small.
fn literal_set(hir: &Hir) -> Option<Vec<String>> {
    let mut out = match hir.kind() {
        HirKind::Empty => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8(l.0.to_vec()).ok()?],
        HirKind::Class(Class::Unicode(c)) => {
            let count: u32 = c
                .ranges()
                .iter()
                .map(|r| r.end() as u32 - r.start() as u32 + 1)
                .sum();
            if count as usize > MAX_SET {
                return None;
            }
            let chars = c.ranges().iter().flat_map(|r| r.start()..=r.end());
            chars.map(String::from).collect()
        }
        HirKind::Capture(c) => literal_set(&c.sub)?,
        HirKind::Concat(parts) => concat_set(parts)?,
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(literal_set(a)?);
                if all.len() > MAX_SET {
                    return None;
                }
            }
            all
        }
        _ => return None,
    };
    dedup_in_order(&mut out);
    Some(out)
}

fn concat_set(parts: &[Hir]) -> Option<Vec<String>> {
    let mut acc = vec![String::new()];
    for p in parts {
        let next = literal_set(p)?;
        if acc.len().saturating_mul(next.len()) > MAX_SET {
            return None;
        }
        acc = acc
            .iter()
            .flat_map(|a| next.iter().map(move |n| format!("{a}{n}")))
            .collect();
    }
    Some(acc)
}

fn dedup_in_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

/// `(?i)literal` over ASCII: every piece is a non-letter ASCII literal or the class `[Xx]`.
fn ascii_fold_literal(hir: &Hir) -> Option<String> {
    let parts = match hir.kind() {
        HirKind::Concat(parts) => parts.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let mut out = String::new();
    let mut folded = false;
    for p in parts {
        match strip(p).kind() {
            HirKind::Literal(l) if l.0.iter().all(|b| b.is_ascii() && !b.is_ascii_alphabetic()) => {
                out.push_str(std::str::from_utf8(&l.0).ok()?);
            }
            HirKind::Class(Class::Unicode(c)) => {
                out.push(folded_ascii_letter(c)?);
                folded = true;
            }
            _ => return None,
        }
    }
    folded.then_some(out)
}

/// The lowercase letter `x` if `class` is `[Xx]` plus, possibly, non-ASCII characters that
/// fold to it (`ſ` for `s`, the Kelvin sign for `k`).
fn folded_ascii_letter(class: &regex_syntax::hir::ClassUnicode) -> Option<char> {
    let chars: Vec<char> = class
        .iter()
        .flat_map(|r| r.start()..=r.end())
        .take(5)
        .collect();
    let ascii: Vec<char> = chars.iter().copied().filter(char::is_ascii).collect();
    match ascii[..] {
        [u, l] if chars.len() <= 4 && u.is_ascii_uppercase() && l == u.to_ascii_lowercase() => {
            Some(l)
        }
        _ => None,
    }
}
