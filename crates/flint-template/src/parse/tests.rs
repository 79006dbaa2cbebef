use super::*;

fn trees(text: &str) -> Result<Vec<Tree>, ParseError> {
    let has = |f: &str| matches!(f, "printf" | "len" | "f");
    let opts = ParseOptions {
        left_delim: "",
        right_delim: "",
        keep_comments: false,
        has_function: &has,
    };
    parse("t", text, &opts)
}

fn err(text: &str) -> String {
    trees(text).err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn prints_back_as_source() {
    let t = trees("{{ $x := .A.B | printf \"%d\" 1 }}{{ if (len .L) }}{{ template \"n\" . }}{{ else }}e{{ end }}")
        .unwrap_or_else(|e| panic!("{e}"));
    let printed: String = t[0].root.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        printed,
        "{{$x := .A.B | printf \"%d\" 1}}{{if (len .L)}}{{template \"n\" .}}{{else}}e{{end}}"
    );
}

#[test]
fn defines_and_blocks() {
    let t = trees("a{{ define \"x\" }}X{{ end }}{{ block \"b\" . }}B{{ end }}")
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["t", "x", "b"]);
    // An empty definition never replaces a full one.
    let t = trees("{{ define \"x\" }}X{{ end }}{{ define \"x\" }} {{ end }}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.len(), 2);
}

#[test]
fn errors_have_lines_and_columns() {
    let e = trees("a\nb {{ .x | }")
        .err()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.line, 2);
    assert_eq!(e.to_string(), "template: t:2: unexpected \"}\" in command");
    let e = trees("x\n  {{ f ( }}")
        .err()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(
        e.with_column(),
        format!("template: t:2:{}: {}", e.column, e.message)
    );
    assert_eq!(
        err("{{ nope }}"),
        "template: t:1: function \"nope\" not defined"
    );
    assert_eq!(err("{{ $x }}"), "template: t:1: undefined variable \"$x\"");
    assert_eq!(err("{{ if 1 }}"), "template: t:1: unexpected EOF");
    assert_eq!(err("{{ end }}"), "template: t:1: unexpected {{end}}");
    assert_eq!(
        err("{{ continue }}"),
        "template: t:1: {{continue}} outside {{range}}"
    );
    assert_eq!(
        err("{{ range $a, $b, $c := . }}{{ end }}"),
        "template: t:1: too many declarations in range"
    );
    assert_eq!(
        err("{{ .x | 3 }}"),
        "template: t:1: non executable command in pipeline stage 2"
    );
}

#[test]
fn variables_are_scoped() {
    assert!(trees("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}").is_err());
    assert!(trees("{{ $x := 1 }}{{ if 1 }}{{ $x }}{{ end }}{{ $x }}").is_ok());
    assert!(trees("{{ range $i, $e := . }}{{ $i }}{{ $e }}{{ end }}").is_ok());
    assert!(trees("{{ define \"d\" }}{{ $y }}{{ end }}").is_err());
}
