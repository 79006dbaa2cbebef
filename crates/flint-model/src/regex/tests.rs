use proptest::prelude::*;

use super::*;

fn anchored(p: &str) -> Regex {
    Regex::new_anchored(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn syntax_error(p: &str) -> String {
    match Regex::new(p) {
        Ok(_) => panic!("{p:?} should be rejected"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn perl_classes_are_ascii() {
    let d = anchored(r"\d+");
    assert!(d.is_match("0123456789"));
    assert!(!d.is_match("٣"), "Arabic-Indic digit");
    assert!(!anchored(r"\w").is_match("é"));
    assert!(anchored(r"\W").is_match("é"));
    assert!(!anchored(r"\s").is_match("\u{a0}"));
    assert!(!anchored(r"\s").is_match("\x0b"), "RE2 \\s excludes \\v");
    assert!(anchored(r"\s").is_match("\x0c"));
    assert!(anchored(r"[\d]").is_match("7"));
    assert!(!anchored(r"[\d]").is_match("٣"));
    assert!(anchored(r"[^\d]").is_match("٣"));
    assert!(anchored(r"[a\D]").is_match("a"));
    assert!(anchored(r"[a\D]").is_match("x"));
    assert!(!anchored(r"[a\D]").is_match("1"));
    // \b is an ASCII word boundary: é is not a word character.
    assert!(!Regex::new(r"\bé").expect("valid").is_match("é"));
    assert!(!Regex::new(r"a\Bé").expect("valid").is_match("aé"));
    assert!(Regex::new(r"a\bé").expect("valid").is_match("aé"));
}

#[test]
fn anchored_dot_matches_newline() {
    assert!(anchored("a.b").is_match("a\nb"));
    assert!(anchored(".*").is_match("x\ny"));
    assert!(!anchored("(?-s:a.b)").is_match("a\nb"));
    assert!(!anchored("abc").is_match("xabc"));
    assert!(!anchored("abc").is_match("abcx"));
    assert!(
        anchored("a|b").is_match("b"),
        "alternation is inside the anchors"
    );
    assert!(!anchored("a|b").is_match("ab"));
    assert!(
        !Regex::new("a.b").expect("valid").is_match("a\nb"),
        "unanchored: Go default"
    );
}

/// Patterns Go accepts: (pattern, input, whether the anchored pattern matches).
const ACCEPTED: &[(&str, &str, bool)] = &[
    (r"\Qa.b\E", "a.b", true),
    (r"\Qa.b\E", "axb", false),
    (r"\Qa.b", "a.b", true),
    (r"a{", "a{", true),
    (r"a{,3}", "a{,3}", true),
    (r"a{01}", "a{01}", true),
    (r"x{2}", "xx", true),
    (r"x{2,}", "xxx", true),
    (r"x{1,2}?", "x", true),
    (r"\<a\>", "<a>", true),
    (r"a\b{start}", "a{start}", true),
    (r"[a&&b]", "&", true),
    (r"[+--b]", ",", true),
    (r"[a~~b]", "~", true),
    (r"[[a-z]]", "[]", true),
    (r"[[a-z]]", "b]", true),
    (r"[[a-z]]", "b", false),
    (r"[]a]", "]", true),
    (r"[^]a]", "b", true),
    (r"[a-]", "-", true),
    (r"[[:alpha:]]+", "abc", true),
    (r"[[:^digit:]]", "a", true),
    (r"\101\x41\x{41}", "AAA", true),
    (r"\0", "\0", true),
    (r"\pL+", "héllo", true),
    (r"\p{Greek}+", "αβγ", true),
    (r"\P{Greek}", "a", true),
    (r"\p{^Greek}", "α", false),
    (r"(?i)abc", "AbC", true),
    (r"(?i:a)b", "Ab", true),
    (r"(?i:a)b", "AB", false),
    (r"(?U)a+", "aa", true),
    (r"(?m)^a$", "a", true),
    (r"(?P<x>a)(?<y>b)", "ab", true),
    (r"(?)a", "a", true),
    (r"(?i-s:a.)", "A\n", false),
    (r"\a\f\t\n\r\v", "\x07\x0c\t\n\r\x0b", true),
    (r"\z", "", true),
    (r"^$", "", true),
    (r"", "", true),
    (r"a|", "", true),
    (r"#", "#", true),
    (r" x", " x", true),
];

#[test]
fn go_syntax_accepted() {
    for &(p, input, want) in ACCEPTED {
        assert_eq!(anchored(p).is_match(input), want, "{p:?} on {input:?}");
    }
}

/// Patterns Go rejects, with Go's error text.
const REJECTED: &[(&str, &str)] = &[
    ("(abc", "error parsing regexp: missing closing ): `(abc`"),
    ("abc)", "error parsing regexp: unexpected ): `abc)`"),
    ("[abc", "error parsing regexp: missing closing ]: `[abc`"),
    (
        "a**",
        "error parsing regexp: invalid nested repetition operator: `**`",
    ),
    (
        "a*+",
        "error parsing regexp: invalid nested repetition operator: `*+`",
    ),
    (
        "*a",
        "error parsing regexp: missing argument to repetition operator: `*`",
    ),
    (
        "a|*",
        "error parsing regexp: missing argument to repetition operator: `*`",
    ),
    (
        "a{1001}",
        "error parsing regexp: invalid repeat count: `{1001}`",
    ),
    (
        "a{2,1}",
        "error parsing regexp: invalid repeat count: `{2,1}`",
    ),
    (
        r"\e",
        "error parsing regexp: invalid escape sequence: `\\e`",
    ),
    (
        r"\u0041",
        "error parsing regexp: invalid escape sequence: `\\u`",
    ),
    (
        r"\1",
        "error parsing regexp: invalid escape sequence: `\\1`",
    ),
    (
        r"\C",
        "error parsing regexp: invalid escape sequence: `\\C`",
    ),
    (
        r"\Z",
        "error parsing regexp: invalid escape sequence: `\\Z`",
    ),
    (
        "a\\",
        "error parsing regexp: trailing backslash at end of expression: ``",
    ),
    (
        "(?x)a",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
    ),
    (
        "(?u)a",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?u`",
    ),
    (
        "(?R)a",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?R`",
    ),
    (
        "(?i-)a",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`",
    ),
    (
        "(?=a)",
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    ),
    (
        "(?P<>a)",
        "error parsing regexp: invalid named capture: `(?P<>`",
    ),
    (
        "(?P<a-b>x)",
        "error parsing regexp: invalid named capture: `(?P<a-b>`",
    ),
    (
        "(?P<n>a)(?P<n>b)",
        "error parsing regexp: duplicate capture group name: `(?P<n>`",
    ),
    (
        "[a--b]",
        "error parsing regexp: invalid character class range: `a--`",
    ),
    (
        "[z-a]",
        "error parsing regexp: invalid character class range: `z-a`",
    ),
    (
        "[[:foo:]]",
        "error parsing regexp: invalid character class range: `[:foo:]`",
    ),
    (
        r"\p{Foo}",
        "error parsing regexp: invalid character class range: `\\p{Foo}`",
    ),
    (
        r"\p{greek}",
        "error parsing regexp: invalid character class range: `\\p{greek}`",
    ),
    (
        r"\p{Letter}",
        "error parsing regexp: invalid character class range: `\\p{Letter}`",
    ),
    (
        r"\pX",
        "error parsing regexp: invalid character class range: `\\pX`",
    ),
];

#[test]
fn go_syntax_rejected() {
    for &(p, want) in REJECTED {
        assert_eq!(syntax_error(p), want, "{p:?}");
    }
}

#[test]
fn captures_keep_numbers_and_names() {
    let re = anchored("(?P<a>x+)(y)?(?:z)");
    let caps = re.captures("xxz").expect("matches");
    assert_eq!(caps.name("a").map(|m| m.as_str()), Some("xx"));
    assert_eq!(caps.get(1).map(|m| m.as_str()), Some("xx"));
    assert!(caps.get(2).is_none());
    assert_eq!(caps.len(), 3);
}

#[test]
fn fast_path_classification() {
    let set = |v: &[&str]| FastPath::Set(v.iter().map(|s| s.to_string()).collect());
    let cases: Vec<(&str, FastPath)> = vec![
        (".*", FastPath::MatchAll),
        ("(.*)", FastPath::MatchAll),
        (".+", FastPath::NonEmpty),
        ("foo", set(&["foo"])),
        ("", set(&[""])),
        ("a|b|c", set(&["a", "b", "c"])),
        ("foo|foobar|bar", set(&["foo", "foobar", "bar"])),
        (
            "(api|web)-(1|2)",
            set(&["api-1", "api-2", "web-1", "web-2"]),
        ),
        ("foo.*", FastPath::Prefix("foo".into())),
        ("(foo).*", FastPath::Prefix("foo".into())),
        (".*foo", FastPath::Suffix("foo".into())),
        (".*foo.*", FastPath::Contains("foo".into())),
        (
            "(?i)prometheus",
            FastPath::CaseInsensitive("prometheus".into()),
        ),
        ("(?i)pro_me", FastPath::CaseInsensitive("pro_me".into())),
        ("(?i)ks", FastPath::CaseInsensitive("ks".into())),
        ("(?i)é", set(&["É", "é"])),
        ("(?i)a+", FastPath::None),
        ("a+", FastPath::None),
        ("(?-s:.*)", FastPath::None),
        ("[0-9]+", FastPath::None),
    ];
    for (p, want) in cases {
        assert_eq!(anchored(p).fast_path(), &want, "{p:?}");
    }
    let re = anchored("foo.*");
    assert_eq!(re.prefix(), Some("foo"));
    assert_eq!(anchored("x|y").set_matches().map(<[String]>::len), Some(2));
    assert_eq!(anchored("x").literal(), Some("x"));
    assert!(Regex::new(".*").expect("valid").fast_path() == &FastPath::None);
}

#[test]
fn large_set_uses_lookup() {
    let alts: Vec<String> = (0..100).map(|i| format!("value{i}")).collect();
    let re = anchored(&alts.join("|"));
    assert_eq!(re.set_matches().map(<[String]>::len), Some(100));
    assert!(re.is_match("value42"));
    assert!(!re.is_match("value100"));
}

const PATTERNS: &[&str] = &[
    ".*",
    ".+",
    "foo",
    "",
    "a|b|c",
    "ab|abc|b",
    "(a|b)c",
    "a.*",
    "ab.*",
    ".*b",
    ".*ab",
    ".*a.*",
    "(?i)ab",
    "(?i)a_b",
    "(?i)kA",
    "(?i)prometheus_sk",
    "[ab]",
    "[a-c]x",
    "a?b",
    "(a.*)",
    "\\d+",
    "a|.*",
    "(.+)b",
    "ä.*",
    ".*é",
    "(?s:.)",
    "(?-s:.*)",
];

proptest! {
    #[test]
    fn fast_path_agrees_with_regex(idx in 0..PATTERNS.len(), s in "[abcABKksS_é\u{17f}\u{212a}\\n]{0,6}") {
        let re = anchored(PATTERNS[idx]);
        prop_assert_eq!(re.is_match(&s), re.inner().is_match(&s), "{:?} on {:?}", PATTERNS[idx], s);
    }
}

#[test]
fn odd_but_valid_go_patterns_compile() {
    for p in [
        "^*", "$+", "(?:)*", "(|a)+", "x{0}", "a{1000}", "(a|b|)*c", "[\\[\\]]", "\\pN", "\\p{Yi}",
        "\\p{Any}",
    ] {
        assert!(Regex::new(p).is_ok(), "{p}: {:?}", Regex::new(p).err());
    }
    let too_big = Regex::new("((a{1000}){1000}){1000}");
    assert!(
        matches!(too_big, Err(Error::RegexCompile { .. })),
        "{too_big:?}"
    );
}
