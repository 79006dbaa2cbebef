use super::*;

fn kv(pairs: &[(&str, &str)]) -> Kv {
    pairs.iter().copied().collect()
}

fn data() -> Value {
    let a = |inst: &str, status: &str| {
        alert(
            status,
            kv(&[("alertname", "Down"), ("job", "node"), ("instance", inst)]),
            kv(&[("summary", "down")]),
            Time::zero(),
            Time::zero(),
            "http://prom",
            "0000000000000001",
        )
    };
    Data::new(
        "team.x",
        kv(&[("alertname", "Down")]),
        vec![a("a", "firing"), a("b", "resolved")],
        "http://am",
    )
    .into_value()
}

#[test]
fn data_methods() {
    let t = Templates::defaults().unwrap_or_else(|e| panic!("{e}"));
    let r = |text: &str| {
        t.execute_text(text, &data())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    assert_eq!(r("{{ .Receiver }} {{ .Status }}"), "team\\.x firing");
    assert_eq!(
        r("{{ .CommonLabels.SortedPairs.Names }}"),
        "[alertname job]"
    );
    assert_eq!(
        r("{{ (index .Alerts 0).Labels.SortedPairs }}"),
        "alertname=Down, instance=a, job=node"
    );
    assert_eq!(
        r("{{ .CommonLabels.Remove (stringSlice \"job\") }}"),
        "map[alertname:Down]"
    );
    assert_eq!(
        r("{{ len .Alerts.Firing }}{{ len .Alerts.Resolved }}"),
        "11"
    );
    assert_eq!(
        r("{{ template \"__subject\" . }}"),
        "[FIRING:1] Down (node)"
    );
}

#[test]
fn accessors() {
    let d = Data::new("r", kv(&[("alertname", "Down")]), vec![], "http://am");
    assert_eq!(
        (d.status(), d.alerts().count(), d.external_url()),
        ("resolved", 0, "http://am")
    );
    assert_eq!(d.group_labels().get("alertname"), Some("Down"));
    assert!(d.common_labels().is_empty() && d.common_annotations().is_empty());
}

#[test]
fn functions() {
    let t = Templates::defaults().unwrap_or_else(|e| panic!("{e}"));
    let r = |text: &str| t.execute_text(text, &Value::Nil).map_err(|e| e.to_string());
    assert_eq!(
        r("{{ title \"hello WORLD\" }}").as_deref(),
        Ok("Hello World")
    );
    assert_eq!(r("{{ humanizeDuration 3725 }}").as_deref(), Ok("1h 2m 5s"));
    assert_eq!(
        r("{{ urlUnescape \"a%zz\" }}")
            .err()
            .as_deref()
            .map(|e| e.ends_with("invalid URL escape \"%zz\"")),
        Some(true)
    );
    assert_eq!(
        r("{{ toJson (stringSlice \"a\") }}").as_deref(),
        Ok("[\"a\"]")
    );
    assert_eq!(quote_meta("a.b*c"), "a\\.b\\*c");
}
