use super::*;

fn t(secs: i64, nanos: i32, zone: &str) -> Time {
    let ts = Timestamp::new(secs, nanos).unwrap_or(Timestamp::UNIX_EPOCH);
    Time::from_timestamp(ts).in_location(Location::load(zone).unwrap_or_else(|_| Location::utc()))
}

#[test]
fn string_form() {
    assert_eq!(t(0, 0, "UTC").to_string(), "1970-01-01 00:00:00 +0000 UTC");
    assert_eq!(
        t(1_435_065_584, 128_000_000, "UTC").to_string(),
        "2015-06-23 13:19:44.128 +0000 UTC"
    );
    assert_eq!(Time::zero().to_string(), "0001-01-01 00:00:00 +0000 UTC");
    assert!(Time::zero().is_zero());
}

#[test]
fn layouts() {
    let x = t(1_136_239_445, 123_456_789, "UTC"); // 2006-01-02T22:04:05Z
    assert_eq!(
        x.format("2006-01-02T15:04:05Z07:00"),
        "2006-01-02T22:04:05Z"
    );
    assert_eq!(
        x.format("2006-01-02T15:04:05.999999999Z07:00"),
        "2006-01-02T22:04:05.123456789Z"
    );
    assert_eq!(
        x.format("Mon Jan _2 15:04:05 2006"),
        "Mon Jan  2 22:04:05 2006"
    );
    assert_eq!(x.format("3:04PM"), "10:04PM");
    assert_eq!(
        x.format("Monday, 02-Jan-06 15:04:05 MST"),
        "Monday, 02-Jan-06 22:04:05 UTC"
    );
    assert_eq!(x.format(".000 ,00 .9"), ".123 ,12 .1");
    assert_eq!(x.format("002 __2"), "002   2");
    assert_eq!(x.format("-0700 -07:00 -07 Z07"), "+0000 +00:00 +00 Z");
    let b = t(1_136_239_445, 0, "Europe/Berlin");
    assert_eq!(
        b.format("2006-01-02 15:04:05 -0700 MST"),
        "2006-01-02 23:04:05 +0100 CET"
    );
    assert_eq!(b.format(time_rfc1123z()), "Mon, 02 Jan 2006 23:04:05 +0100");
    let ny = t(1_720_000_000, 0, "America/New_York");
    assert_eq!(ny.to_string(), "2024-07-03 05:46:40 -0400 EDT");
}

fn time_rfc1123z() -> &'static str {
    "Mon, 02 Jan 2006 15:04:05 -0700"
}

#[test]
fn durations() {
    let d = |n: i64| Duration(n).to_string();
    assert_eq!(d(0), "0s");
    assert_eq!(d(1), "1ns");
    assert_eq!(d(1_500), "1.5µs");
    assert_eq!(d(1_500_000), "1.5ms");
    assert_eq!(d(1_500_000_000), "1.5s");
    assert_eq!(d(3_723_000_000_000), "1h2m3s");
    assert_eq!(d(-90_000_000_000), "-1m30s");
    assert_eq!(d(3_600_000_000_000), "1h0m0s");
}

#[test]
fn methods() {
    let x = t(1_136_239_445, 0, "UTC");
    let call =
        |n: &str, a: &[Value]| call_time_method(&x, n, a).map(|v| crate::gofmt::sprint(&[v]));
    assert_eq!(call("Year", &[]), Ok("2006".into()));
    assert_eq!(call("Month", &[]), Ok("January".into()));
    assert_eq!(call("Weekday", &[]), Ok("Monday".into()));
    assert_eq!(call("Unix", &[]), Ok("1136239445".into()));
    assert_eq!(
        call("Add", &[Value::Duration(Duration(3_600_000_000_000))]),
        Ok("2006-01-02 23:04:05 +0000 UTC".into())
    );
    assert_eq!(
        call("Truncate", &[Value::Duration(Duration(3_600_000_000_000))]),
        Ok("2006-01-02 22:00:00 +0000 UTC".into())
    );
    assert!(Location::load("Nowhere/Special").is_err());
}
