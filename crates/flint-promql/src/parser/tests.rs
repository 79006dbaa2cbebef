use super::*;

fn ok(q: &str) -> Expr {
    parse(q).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn err(q: &str) -> String {
    match parse(q) {
        Ok(e) => panic!("{q} parsed as {e:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trips() {
    let cases = [
        ("foo", "foo"),
        ("foo{a=\"b\", c!~\"d\"}", "foo{a=\"b\",c!~\"d\"}"),
        ("{__name__=\"foo\"}", "{__name__=\"foo\"}"),
        ("{\"metric.name\"}", "{\"metric.name\"}"),
        ("rate(foo[5m])", "rate(foo[5m])"),
        ("foo[1h30m] offset -5m", "foo[1h30m] offset -5m"),
        ("foo @ 100 offset 50s", "foo @ 100.000 offset 50s"),
        ("foo offset 50s @ start()", "foo @ start() offset 50s"),
        ("sum by (job) (x)", "sum by (job) (x)"),
        ("sum(x) without (a, b)", "sum without (a, b) (x)"),
        ("topk(5, x)", "topk(5, x)"),
        ("a + on(x) group_left(y) b", "a + on (x) group_left (y) b"),
        ("a > bool ignoring(z) b", "a > bool ignoring (z) b"),
        ("a + ignoring() b", "a + b"),
        ("x[5m:1m]", "x[5m:1m]"),
        ("x[5m:]", "x[5m:]"),
        ("rate(x[5m])[30m:] @ end()", "rate(x[5m])[30m:] @ end()"),
        ("x[26m+4m]", "x[26m + 4m]"),
        ("-foo", "-foo"),
        ("-1", "-1"),
        ("+Inf", "+Inf"),
        ("\"a\\nb\"", "\"a\\nb\""),
        ("increase(x[1m] anchored)", "increase(x[1m] anchored)"),
        ("a + fill(0) b", "a + fill (0) b"),
    ];
    for (q, want) in cases {
        assert_eq!(ok(q).to_string(), want, "{q}");
    }
}

#[test]
fn precedence() {
    let cases = [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("-2 ^ 2", "-2 ^ 2"),
        ("a or b and c", "a or b and c"),
        ("2 ^ 3 ^ 2", "2 ^ 3 ^ 2"),
    ];
    for (q, want) in cases {
        assert_eq!(ok(q).to_string(), want, "{q}");
    }
    // 2 ^ (3 ^ 2): right associative.
    let Expr::Binary(b) = ok("2 ^ 3 ^ 2") else {
        panic!()
    };
    assert!(matches!(*b.rhs, Expr::Binary(_)));
    // -(2 ^ 2): unary binds looser than ^.
    assert!(matches!(ok("-2 ^ 2"), Expr::Unary(_)));
    // (metric offset 100) + 2.
    let Expr::Binary(b) = ok("metric offset 100 + 2") else {
        panic!()
    };
    assert!(matches!(*b.lhs, Expr::Vector(_)));
    assert_eq!(ok("- - - 1").to_string(), "-1");
}

#[test]
fn numbers_and_types() {
    let Expr::Number(n) = ok("0x1f") else {
        panic!()
    };
    assert_eq!(n.value, 31.0);
    assert_eq!(ok("5m").value_type(), ValueType::Scalar);
    assert_eq!(ok("x[5m]").value_type(), ValueType::Matrix);
    assert_eq!(ok("scalar(x)").value_type(), ValueType::Scalar);
    assert_eq!(ok("1 + x").value_type(), ValueType::Vector);
}

#[test]
fn error_messages() {
    let cases = [
        ("", "1:1: parse error: no expression found in input"),
        ("1 +", "1:4: parse error: unexpected end of input"),
        (
            "foo{",
            "1:5: parse error: unexpected end of input inside braces",
        ),
        (
            "rate(foo)",
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector",
        ),
        (
            "nope(foo)",
            "1:1: parse error: unknown function with name \"nope\"",
        ),
        ("nope(", "1:6: parse error: unclosed left parenthesis"),
        (
            "sum(a, b)",
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2",
        ),
        (
            "1 > 2",
            "1:2: parse error: comparisons between scalars must use BOOL modifier",
        ),
        (
            "{}",
            "1:1: parse error: vector selector must contain at least one non-empty matcher",
        ),
        (
            "foo offset 1m offset 2m",
            "1:15: parse error: offset may not be set multiple times",
        ),
        (
            "(foo)[5m]",
            "1:6: parse error: ranges only allowed for vector selectors",
        ),
        (
            "foo and 1",
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression",
        ),
        (
            "x{a=~\"(\"}",
            "1:3: parse error: error parsing regexp: missing closing ): `(`",
        ),
        (
            "foo[5m",
            "1:7: parse error: unexpected end of input in duration expression",
        ),
        (
            "a +  on(b) group_left(b) c",
            "1:2: parse error: label \"b\" must not occur in ON and GROUP clause at once",
        ),
        (
            "1 + \"x\"",
            "1:5: parse error: binary expression must contain only scalar and instant vector types",
        ),
    ];
    for (q, want) in cases {
        assert_eq!(err(q), want, "{q}");
    }
}

#[test]
fn at_and_duration_exprs() {
    let Expr::Vector(vs) = ok("metric_ms @ 1.234") else {
        panic!()
    };
    assert_eq!(vs.at, Some(AtModifier::Timestamp(1234)));
    let Expr::Matrix(ms) = ok("x[1+(STep()-5)*2]") else {
        panic!()
    };
    assert_eq!(ms.range.millis(10_000, 0), Ok(11_000));
    let Expr::Vector(vs) = ok("x offset -min_of(step(), 1s)") else {
        panic!()
    };
    assert_eq!(vs.offset.and_then(|o| o.millis(5_000, 0).ok()), Some(-1000));
}
