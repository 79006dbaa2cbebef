//! Arbitrary template text never panics the lexer, parser, escaper or evaluator.

use flint_template::{Mode, TemplateSet, Value, alertmanager, prometheus};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    ".",
    ".a",
    ".b.c",
    "$",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2.5",
    "0x1F",
    "nil",
    "true",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "printf",
    "\"%d %s %v\"",
    "len",
    "index",
    "slice",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "html",
    "urlquery",
    "js",
    "print",
    "/*",
    "*/",
    "<a href=\"",
    "\">",
    "<script>",
    "</script>",
    "<title>",
    "é",
    "日本",
    "\u{a0}",
    ",",
    "toUpper",
    "humanize",
    "call",
];

fn data() -> Value {
    Value::map([
        ("a", Value::strings(["x", "y"])),
        ("b", Value::map([("c", Value::Int(3))])),
        ("n", Value::Float(1.5)),
    ])
}

fn run(text: &str, mode: Mode) {
    let mut set = TemplateSet::new()
        .with_mode(mode)
        .with_funcs(&alertmanager::funcs())
        .with_funcs(&prometheus::funcs());
    if set.parse("t", text).is_ok() {
        let _ = set.render("t", &data());
        let _ = set.render("t", &Value::Nil);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(idx in proptest::collection::vec(0..PIECES.len(), 0..24)) {
        let text: String = idx.iter().map(|&i| PIECES[i]).collect();
        run(&text, Mode::Text);
        run(&text, Mode::Html);
    }

    #[test]
    fn never_panics_on_bytes(text in "\\PC{0,40}") {
        run(&text, Mode::Text);
        run(&format!("{{{{{text}}}}}"), Mode::Html);
    }
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let mut set = TemplateSet::new_html();
    set.parse("t", "{{ define \"r\" }}<b>{{ if . }}{{ range . }}{{ template \"r\" . }}{{ end }}{{ end }}</b>{{ end }}{{ template \"r\" . }}")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut v = Value::Nil;
    for _ in 0..5000 {
        v = Value::list([v]);
    }
    let e = set
        .render("t", &v)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("exceeded maximum template depth ("), "{e}");
    let mut text = TemplateSet::new();
    text.parse(
        "t",
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(text.render("t", &Value::Nil).is_err());
}

#[test]
fn recursive_tmpl_is_an_error_not_a_crash() {
    let mut set = prometheus::template_set(Mode::Html);
    set.parse(
        "t",
        "{{ define \"r\" }}{{ tmpl \"r\" . }}{{ end }}{{ tmpl \"r\" . }}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = set
        .render("t", &Value::Nil)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("exceeded maximum template depth"),
        "{}",
        &e[..e.len().min(300)]
    );
}
