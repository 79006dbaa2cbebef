use super::*;

#[test]
fn humanizers() {
    assert_eq!(humanize(1234567.0), "1.235M");
    assert_eq!(humanize(0.12), "120m");
    assert_eq!(humanize(-1.5e-9), "-1.5n");
    assert_eq!(humanize_1024(1048576.0), "1Mi");
    assert_eq!(humanize_percentage(0.1234567), "12.35%");
    assert_eq!(parse_duration("1w").ok(), Some(604800.0));
}

#[test]
fn alert_data_value() {
    let d = AlertData {
        value: 2.0,
        ..AlertData::default()
    };
    let t = AlertTemplate::parse("A", "{{ $value }} {{ printf \"%T\" $labels }}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.expand(&d, &Env::default()).ok().as_deref(),
        Some("2 map[string]string")
    );
}
