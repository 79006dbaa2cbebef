//! Prometheus's template functions against the expectations of Prometheus's own template tests
//! (`template/template_test.go`), plus alert templates as the rules crate uses them.

use std::collections::BTreeMap;
use std::sync::Arc;

use flint_template::prometheus::{self, AlertData, AlertTemplate, Env, QueryEngine, Sample};
use flint_template::{Mode, Value};

struct Fixed(Vec<Sample>);

impl QueryEngine for Fixed {
    fn query(&self, _expr: &str, _time_ms: i64) -> Result<Vec<Sample>, String> {
        Ok(self.0.clone())
    }
}

fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value,
    }
}

fn env(samples: Vec<Sample>) -> Env {
    Env {
        query: Some(Arc::new(Fixed(samples))),
        time_ms: 0,
        external_url: "http://testhost:9090/path/prefix".to_string(),
    }
}

/// Expands `text` as Prometheus's tests do (template named "test").
fn expand(text: &str, data: &Value, samples: Vec<Sample>, html: bool) -> Result<String, String> {
    let mut set = prometheus::template_set(if html { Mode::Html } else { Mode::Text });
    set.parse("test", text).map_err(|e| e.to_string())?;
    let mut out = String::new();
    set.execute_with("test", data, &env(samples), &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn ok(text: &str, data: Value, want: &str) {
    assert_eq!(
        expand(text, &data, vec![], false),
        Ok(want.to_string()),
        "{text}"
    );
}

fn err(text: &str, data: Value, want: &str) {
    assert_eq!(
        expand(text, &data, vec![], false),
        Err(want.to_string()),
        "{text}"
    );
}

fn floats(v: &[f64]) -> Value {
    Value::list(v.iter().map(|f| Value::Float(*f)))
}

fn strs(v: &[&str]) -> Value {
    Value::strings(v.iter().copied())
}

fn ints(v: &[i64]) -> Value {
    Value::list(v.iter().map(|i| Value::Int(*i)))
}

fn uints(v: &[u64]) -> Value {
    Value::list(v.iter().map(|u| Value::Uint(*u)))
}

const N: Value = Value::Nil;

#[test]
fn basics_and_escaping() {
    ok("plain text", N, "plain text");
    ok("{{ 1 }}", N, "1");
    assert_eq!(
        expand("{{\u{a0}}}", &N, vec![], false),
        Err("template: test:1: unrecognized character in action: U+00A0".to_string())
    );
    assert_eq!(
        expand("{{ \"<b>\" }}", &N, vec![], true),
        Ok("&lt;b&gt;".to_string())
    );
    assert_eq!(
        expand("{{ \"<b>\" | safeHtml }}", &N, vec![], true),
        Ok("<b>".to_string())
    );
    ok("{{ \"<b>\" }}", N, "<b>");
    ok(
        "{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}",
        N,
        "1 2",
    );
    ok("{{ .Foo }}", N, "<no value>");
    assert_eq!(expand("{{ .Foo }}", &N, vec![], true), Ok(String::new()));
    err("{{", N, "template: test:1: unclosed action");
}

#[test]
fn queries() {
    let m = |inst: &str, v: f64| sample(&[("__name__", "metric"), ("instance", inst)], v);
    let q = |text: &str, s: Vec<Sample>| expand(text, &N, s, false);
    assert_eq!(
        q(
            "{{ query \"1.5\" | first | value }}",
            vec![sample(&[], 1.5)]
        ),
        Ok("1.5".into())
    );
    assert_eq!(
        q(
            "{{ query \"metric{instance='a'}\" | first | value }}",
            vec![m("a", 11.0)]
        ),
        Ok("11".into())
    );
    assert_eq!(
        q(
            "{{ query \"metric{instance='a'}\" | first | label \"instance\" }}",
            vec![m("a", 11.0)]
        ),
        Ok("a".into())
    );
    assert_eq!(
        q(
            "{{ query \"metric{__value__='a'}\" | first | strvalue }}",
            vec![sample(&[("__name__", "metric"), ("__value__", "a")], 11.0)]
        ),
        Ok("a".into())
    );
    assert_eq!(
        q(
            "{{ query \"metric{instance='a'}\" | first | label \"foo\" }}",
            vec![m("a", 11.0)]
        ),
        Ok("".into())
    );
    assert_eq!(
        q(
            "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}",
            vec![m("a", 11.0)]
        ),
        Ok("".into())
    );
    assert_eq!(
        expand(
            "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}",
            &N,
            vec![m("a", 11.0)],
            true
        ),
        Ok("".into())
    );
    assert_eq!(
        q(
            "{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}",
            vec![m("b", 21.0), m("a", 11.0)]
        ),
        Ok("a:11: b:21: ".into())
    );
    assert_eq!(
        q("{{ query \"missing\" | first }}", vec![]),
        Err("template: test:1:21: executing \"test\" at <first>: error calling first: first() called on vector with no elements".into())
    );
    assert_eq!(
        q("{{ (query \"missing\").banana }}", vec![]),
        Err("template: test:1:10: executing \"test\" at <\"missing\">: can't evaluate field banana in type template.queryResult".into())
    );
}

#[test]
fn missing_key_error() {
    let mut set =
        prometheus::template_set(Mode::Text).with_missing_key(flint_template::MissingKey::Error);
    set.parse("test", "{{ .Foo }}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        set.render("test", &N).err().map(|e| e.to_string()),
        Some(
            "template: test:1:3: executing \"test\" at <.Foo>: nil data; no entry for key \"Foo\""
                .into()
        )
    );
}

#[test]
fn host_and_strings() {
    for (input, port, domain) in [
        ("foo.example.com", "foo.example.com", "foo"),
        ("foo.example.com:12345", "foo.example.com", "foo:12345"),
        ("192.0.2.1", "192.0.2.1", "192.0.2.1"),
        ("192.0.2.1:12345", "192.0.2.1", "192.0.2.1:12345"),
        ("2001:0DB8::1", "2001:0DB8::1", "2001:0DB8::1"),
        (
            "[2001:0DB8::1]:12345",
            "2001:0DB8::1",
            "[2001:0DB8::1]:12345",
        ),
        (
            "[2001:0DB8::1]::12345",
            "[2001:0DB8::1]::12345",
            "[2001:0DB8::1]::12345",
        ),
    ] {
        ok(&format!("{{{{ \"{input}\" | stripPort }}}}"), N, port);
        ok(&format!("{{{{ \"{input}\" | stripDomain }}}}"), N, domain);
    }
    ok("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}", N, "xa");
    ok("{{ \"aa bb CC\" | title }}", N, "Aa Bb CC");
    ok("{{ \"aa bb CC\" | toUpper }}", N, "AA BB CC");
    ok("{{ \"aA bB CC\" | toLower }}", N, "aa bb cc");
    ok(
        "{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}",
        N,
        "true false",
    );
    ok("{{ graphLink \"up\" }}", N, "/graph?g0.expr=up&g0.tab=0");
    ok("{{ tableLink \"up\" }}", N, "/graph?g0.expr=up&g0.tab=1");
    ok(
        "{{ graphLink \"rate(x[5m]) > 0\" }}",
        N,
        "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=0",
    );
    ok("{{ urlQueryEscape \"a b&c\" }}", N, "a+b%26c");
    ok("{{ pathPrefix }}", N, "/path/prefix");
    ok("{{ externalURL }}", N, "http://testhost:9090/path/prefix");
    ok(
        "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}",
        N,
        "3720.01",
    );
    assert_eq!(
        expand(
            "{{ define \"a\" }}x{{ end }}{{ $name := \"a\"}}{{ tmpl $name . }}",
            &N,
            vec![],
            true
        ),
        Ok("x".into())
    );
}

#[test]
fn humanize_family() {
    let r = |f: &str| format!("{{{{ range . }}}}{{{{ {f} . }}}}:{{{{ end }}}}");
    ok(
        &r("humanize"),
        floats(&[0.0, 1.0, 1234567.0, 0.12]),
        "0:1:1.235M:120m:",
    );
    ok(
        &r("humanize"),
        strs(&["0.0", "1.0", "1234567.0", ".12"]),
        "0:1:1.235M:120m:",
    );
    err(
        "{{ humanize \"one\" }}",
        N,
        "template: test:1:3: executing \"test\" at <humanize \"one\">: error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax",
    );
    ok(
        &r("humanize"),
        ints(&[0, -1, 1, 1234567, i64::MAX]),
        "0:-1:1:1.235M:9.223E:",
    );
    ok(
        &r("humanize"),
        uints(&[0, 1, 1234567, u64::MAX]),
        "0:1:1.235M:18.45E:",
    );
    ok(
        &r("humanize1024"),
        floats(&[0.0, 1.0, 1048576.0, 0.12]),
        "0:1:1Mi:0.12:",
    );
    ok(
        &r("humanize1024"),
        strs(&["0.0", "1.0", "1048576.0", ".12"]),
        "0:1:1Mi:0.12:",
    );
    ok(
        &r("humanize1024"),
        ints(&[0, -1, 1, 1234567, i64::MAX]),
        "0:-1:1:1.177Mi:8Ei:",
    );
    ok(
        &r("humanize1024"),
        uints(&[0, 1, 1234567, u64::MAX]),
        "0:1:1.177Mi:16Ei:",
    );
    ok(
        &r("humanizeDuration"),
        floats(&[
            0.0,
            1.0,
            60.0,
            3600.0,
            86400.0,
            86400.0 + 3600.0,
            -(86400.0 * 2.0 + 3600.0 * 3.0 + 60.0 * 4.0 + 5.0),
            899.99,
        ]),
        "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:",
    );
    ok(
        &r("humanizeDuration"),
        strs(&["0", "1", "60", "3600", "86400"]),
        "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:",
    );
    ok(
        &r("humanizeDuration"),
        floats(&[0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345]),
        "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:",
    );
    ok(
        &r("humanizeDuration"),
        ints(&[0, -1, 1, 1234567]),
        "0s:-1s:1s:14d 6h 56m 7s:",
    );
    ok(
        "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
        floats(&[f64::INFINITY, f64::NEG_INFINITY, f64::NAN]),
        "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:",
    );
    ok(
        "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
        strs(&["+Inf", "-Inf", "NaN"]),
        "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:",
    );
    ok(
        "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
        N,
        "-22.22%:0%:12.35%:123.5%",
    );
    ok(
        &r("humanizePercentage"),
        ints(&[0, -1, 1, 1234567, i64::MAX]),
        "0%:-100%:100%:1.235e+08%:9.223e+20%:",
    );
    ok(
        &r("humanizePercentage"),
        uints(&[0, 1, 1234567, u64::MAX]),
        "0%:100%:1.235e+08%:1.845e+21%:",
    );
    err(
        "{{ \"one\" | humanizePercentage }}",
        N,
        "template: test:1:11: executing \"test\" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax",
    );
}

#[test]
fn timestamps() {
    let r = "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}";
    ok(
        r,
        ints(&[0, -1, 1, 1234567, 9223372036]),
        "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
    );
    ok(
        r,
        uints(&[0, 1, 1234567, 9223372036]),
        "1970-01-01 00:00:00 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
    );
    err(
        r,
        ints(&[i64::MIN, i64::MAX]),
        "template: test:1:16: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64",
    );
    err(
        r,
        uints(&[u64::MAX]),
        "template: test:1:16: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: 1.8446744073709552e+19 cannot be represented as a nanoseconds timestamp since it overflows int64",
    );
    ok(
        "{{ 1435065584.128 | humanizeTimestamp }}",
        N,
        "2015-06-23 13:19:44.128 +0000 UTC",
    );
    ok(
        "{{ \"1435065584.128\" | humanizeTimestamp }}",
        N,
        "2015-06-23 13:19:44.128 +0000 UTC",
    );
    ok("{{ (1435065584.128 | toTime).Format \"2006\" }}", N, "2015");
    ok(
        "{{ (\"1435065584.128\" | toTime).Format \"2006\" }}",
        N,
        "2015",
    );
    ok(
        "{{ (1657155181 | toTime) }}",
        N,
        "2022-07-07 00:53:01 +0000 UTC",
    );
    ok(
        "{{ 90 | toDuration }} {{ (toDuration 1.5).Seconds }}",
        N,
        "1m30s 1.5",
    );
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn alert_templates() {
    let data = AlertData {
        labels: labels(&[
            ("alertname", "HighLatency"),
            ("instance", "web-1:9090"),
            ("job", "api"),
        ]),
        external_labels: labels(&[("cluster", "eu1")]),
        external_url: "http://prom.example.com".to_string(),
        value: 0.4567,
    };
    let t = AlertTemplate::parse(
        "HighLatency",
        "{{ $labels.instance | stripPort }} in {{ $externalLabels.cluster }}: {{ $value | humanizePercentage }} [{{ $labels.missing }}] {{ $externalURL }} {{ .Value }}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.expand(&data, &Env::default()).ok().as_deref(),
        Some("web-1 in eu1: 45.67% [] http://prom.example.com 0.4567")
    );
    let e = AlertTemplate::parse("X", "{{ humanise $value }}")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("template: __alert_X:1: function \"humanise\" not defined")
    );
    let t = AlertTemplate::parse("Q", "{{ with query \"up\" }}{{ . | len }}{{ end }}")
        .unwrap_or_else(|e| panic!("{e}"));
    let env = env(vec![
        sample(&[("job", "a")], 1.0),
        sample(&[("job", "b")], 0.0),
    ]);
    assert_eq!(t.expand(&data, &env).ok().as_deref(), Some("2"));
    let e = t
        .expand(&data, &Env::default())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some(
            "template: __alert_Q:1:120: executing \"__alert_Q\" at <query \"up\">: error calling query: query is not available here"
        )
    );
}
