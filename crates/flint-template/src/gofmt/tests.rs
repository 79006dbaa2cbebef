use super::*;
use crate::value::Value;

fn p(f: &str, args: &[Value]) -> String {
    sprintf(f, args)
}

#[test]
fn verbs() {
    assert_eq!(
        p(
            "%d|%5d|%-5d|%05d|%x|%X|%o|%b|%#x",
            &[
                Value::Int(42),
                Value::Int(42),
                Value::Int(42),
                Value::Int(-42),
                Value::Int(255),
                Value::Int(255),
                Value::Int(8),
                Value::Int(5),
                Value::Int(255)
            ]
        ),
        "42|   42|42   |-0042|ff|FF|10|101|0xff"
    );
    assert_eq!(
        p(
            "%s|%q|%v|%10s|%-4s|%.2s|%x",
            &[
                Value::from("a"),
                Value::from("b\n"),
                Value::from("c"),
                Value::from("d"),
                Value::from("e"),
                Value::from("xyz"),
                Value::from("hi")
            ]
        ),
        "a|\"b\\n\"|c|         d|e   |xy|6869"
    );
    assert_eq!(
        p(
            "%f|%.2f|%5.2f|%e|%g|%.3g|%v",
            &[
                Value::Float(1.5),
                Value::Float(3.14158),
                Value::Float(2.5),
                Value::Float(1234.5),
                Value::Float(1e-7),
                Value::Float(1234.0),
                Value::Float(0.1)
            ]
        ),
        "1.500000|3.14| 2.50|1.234500e+03|1e-07|1.23e+03|0.1"
    );
    assert_eq!(
        p("%t|%v", &[Value::Bool(true), Value::Bool(false)]),
        "true|false"
    );
    assert_eq!(
        p(
            "%c|%q|%U|%#U",
            &[
                Value::Int(65),
                Value::Int(66),
                Value::Int(0x1F600),
                Value::Int(67)
            ]
        ),
        "A|'B'|U+1F600|U+0043 'C'"
    );
    assert_eq!(
        p(
            "%+d|% d|%+.1f",
            &[Value::Int(5), Value::Int(5), Value::Float(2.0)]
        ),
        "+5| 5|+2.0"
    );
    assert_eq!(
        p(
            "%08.3f|%-8.2f|",
            &[Value::Float(-3.14158), Value::Float(2.5)]
        ),
        "-003.142|2.50    |"
    );
    assert_eq!(p("100%%", &[]), "100%");
    assert_eq!(
        p(
            "%*d|%.*f",
            &[
                Value::Int(4),
                Value::Int(7),
                Value::Int(1),
                Value::Float(2.25)
            ]
        ),
        "   7|2.2"
    );
    assert_eq!(p("%[2]d %[1]d", &[Value::Int(1), Value::Int(2)]), "2 1");
}

#[test]
fn errors() {
    assert_eq!(p("%d", &[Value::from("x")]), "%!d(string=x)");
    assert_eq!(p("%s", &[Value::Int(3)]), "%!s(int=3)");
    assert_eq!(p("%d %d", &[Value::Int(1)]), "1 %!d(MISSING)");
    assert_eq!(
        p("%d", &[Value::Int(1), Value::from("a")]),
        "1%!(EXTRA string=a)"
    );
    assert_eq!(p("%", &[]), "%!(NOVERB)");
    assert_eq!(p("%s", &[Value::Nil]), "%!s(<nil>)");
    assert_eq!(p("%v", &[Value::Nil]), "<nil>");
    assert_eq!(p("%z", &[Value::Int(1)]), "%!z(int=1)");
}

#[test]
fn composites() {
    let l = Value::strings(["a", "b"]);
    assert_eq!(
        p("%v|%s|%q", &[l.clone(), l.clone(), l]),
        "[a b]|[a b]|[\"a\" \"b\"]"
    );
    let m = Value::string_map([("b", "2"), ("a", "1")]);
    assert_eq!(p("%v", &[m]), "map[a:1 b:2]");
    assert_eq!(
        sprint(&[Value::list([Value::Int(1), Value::Nil])]),
        "[1 <nil>]"
    );
    assert_eq!(
        p("%5d", &[Value::list([Value::Int(1), Value::Int(2)])]),
        "[    1     2]"
    );
}

#[test]
fn sprint_spacing() {
    assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
    assert_eq!(
        sprint(&[Value::from("a"), Value::Int(1), Value::from("b")]),
        "a1b"
    );
    assert_eq!(sprint(&[Value::from("a"), Value::from("b")]), "ab");
    assert_eq!(sprintln(&[Value::from("a"), Value::Int(1)]), "a 1\n");
}

#[test]
fn quoting() {
    assert_eq!(
        quote("a\"b\\c\n\t\u{7f}é\u{a0}"),
        "\"a\\\"b\\\\c\\n\\t\\x7fé\\u00a0\""
    );
    assert_eq!(
        unquote("\"a\\n\\x41\\u00e9\\101\""),
        Some("a\nAéA".to_string())
    );
    assert_eq!(unquote("`a\\n`"), Some("a\\n".to_string()));
    assert_eq!(unquote("'x'"), Some("x".to_string()));
    assert_eq!(unquote("\"a"), None);
    assert_eq!(unquote("\"\\q\""), None);
}
