//! Go's `time.Time`, `time.Location` and `time.Duration` as template values: layout-based
//! formatting (`Format "2006-01-02T15:04:05Z07:00"`), `String()`, and the methods templates call.
//! Time zones come from jiff's bundled tz database.

mod layout;

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::FuncError;
use crate::func::{Param, Signature};
use crate::value::{Object, Value};

pub use layout::format;

/// A time zone with Go's name for it (`UTC`, `Local`, `Europe/Berlin`). Cheap to clone.
#[derive(Clone)]
pub struct Location(Arc<Zone>);

struct Zone {
    name: Box<str>,
    tz: TimeZone,
}

impl Location {
    fn new(name: &str, tz: TimeZone) -> Self {
        Location(Arc::new(Zone {
            name: name.into(),
            tz,
        }))
    }

    /// UTC.
    pub fn utc() -> Self {
        static UTC: std::sync::OnceLock<Location> = std::sync::OnceLock::new();
        UTC.get_or_init(|| Location::new("UTC", TimeZone::UTC))
            .clone()
    }

    /// The system's zone, named `Local` as Go names it.
    pub fn local() -> Self {
        static LOCAL: std::sync::OnceLock<Location> = std::sync::OnceLock::new();
        LOCAL
            .get_or_init(|| Location::new("Local", TimeZone::system()))
            .clone()
    }

    /// Go's `time.LoadLocation`: `""` and `UTC` are UTC, `Local` the system zone, anything else
    /// an IANA name.
    pub fn load(name: &str) -> Result<Self, FuncError> {
        match name {
            "" | "UTC" => Ok(Self::utc()),
            "Local" => Ok(Self::local()),
            _ => TimeZone::get(name)
                .map(|tz| Location::new(name, tz))
                .map_err(|_| FuncError(format!("unknown time zone {name}"))),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The jiff time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.0.tz
    }
}

/// An instant with a location, like Go's `time.Time`.
#[derive(Clone)]
pub struct Time {
    ts: Timestamp,
    loc: Location,
}

impl Time {
    /// An instant shown in UTC.
    pub fn from_timestamp(ts: Timestamp) -> Self {
        Time {
            ts,
            loc: Location::utc(),
        }
    }

    /// Nanoseconds since the Unix epoch, shown in UTC; `None` outside jiff's range.
    pub fn from_unix_nanos(nanos: i128) -> Option<Self> {
        Timestamp::from_nanosecond(nanos)
            .ok()
            .map(Self::from_timestamp)
    }

    /// Milliseconds since the Unix epoch, shown in UTC.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        Timestamp::from_millisecond(millis)
            .ok()
            .map(Self::from_timestamp)
    }

    /// Go's zero time, `0001-01-01 00:00:00 UTC`.
    pub fn zero() -> Self {
        // The year-1 instant is inside jiff's range; fall back to the minimum just in case.
        let ts = Timestamp::from_second(-62_135_596_800).unwrap_or(Timestamp::MIN);
        Self::from_timestamp(ts)
    }

    /// The current time, in the local zone (as Go's `time.Now`).
    pub fn now() -> Self {
        Time {
            ts: Timestamp::now(),
            loc: Location::local(),
        }
    }

    /// The same instant in another location.
    pub fn in_location(&self, loc: Location) -> Self {
        Time { ts: self.ts, loc }
    }

    /// The instant.
    pub fn timestamp(&self) -> Timestamp {
        self.ts
    }

    /// The location.
    pub fn location(&self) -> &Location {
        &self.loc
    }

    /// Whether this is Go's zero time.
    pub fn is_zero(&self) -> bool {
        self.ts.as_second() == -62_135_596_800 && self.ts.subsec_nanosecond() == 0
    }

    /// Go's `Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        format(self, layout)
    }

    /// The offset from UTC in seconds and the zone abbreviation at this instant.
    pub(crate) fn zone(&self) -> (i32, String) {
        let info = self.loc.time_zone().to_offset_info(self.ts);
        (info.offset().seconds(), info.abbreviation().to_string())
    }

    pub(crate) fn civil(&self) -> jiff::civil::DateTime {
        self.loc.time_zone().to_offset(self.ts).to_datetime(self.ts)
    }

    fn unix_nanos(&self) -> i128 {
        self.ts.as_nanosecond()
    }

    fn with_ts(&self, ts: Timestamp) -> Time {
        Time {
            ts,
            loc: self.loc.clone(),
        }
    }
}

impl std::fmt::Display for Time {
    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format(self, "2006-01-02 15:04:05.999999999 -0700 MST"))
    }
}

impl std::fmt::Debug for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A span of nanoseconds, like Go's `time.Duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub i64);

impl Duration {
    /// From seconds (saturating).
    pub fn from_secs_f64(s: f64) -> Self {
        Duration((s * 1e9) as i64)
    }

    /// The span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        let sec = self.0 / 1_000_000_000;
        let nsec = self.0 % 1_000_000_000;
        sec as f64 + nsec as f64 / 1e9
    }
}

impl std::fmt::Display for Duration {
    /// Go's `Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let neg = self.0 < 0;
        let mut u = self.0.unsigned_abs();
        let mut out = String::new();
        if u < 1_000_000_000 {
            let (prec, unit) = match u {
                0 => return f.write_str("0s"),
                1..1_000 => (0, "ns"),
                1_000..1_000_000 => (3, "µs"),
                _ => (6, "ms"),
            };
            let frac = frac_digits(&mut u, prec);
            out.push_str(&u.to_string());
            out.push_str(&frac);
            out.push_str(unit);
        } else {
            let frac = frac_digits(&mut u, 9);
            let secs = u % 60;
            u /= 60;
            let mut s = format!("{secs}{frac}s");
            if u > 0 {
                s = format!("{}m{s}", u % 60);
                u /= 60;
                if u > 0 {
                    s = format!("{u}h{s}");
                }
            }
            out = s;
        }
        if neg {
            f.write_str("-")?;
        }
        f.write_str(&out)
    }
}

/// Splits off `prec` fractional digits of `u` (as `.123`, trailing zeros dropped).
fn frac_digits(u: &mut u64, prec: u32) -> String {
    let mut digits = Vec::new();
    let mut printed = false;
    for _ in 0..prec {
        let d = *u % 10;
        printed = printed || d != 0;
        if printed {
            digits.push(b'0' + d as u8);
        }
        *u /= 10;
    }
    if digits.is_empty() {
        return String::new();
    }
    digits.push(b'.');
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// `time.Month` and `time.Weekday`: ints that print as English names.
pub(crate) struct NamedInt {
    pub value: i64,
    type_name: &'static str,
    names: &'static [&'static str],
    /// The value of `names[0]` (January is 1, Sunday 0).
    first: i64,
}

impl NamedInt {
    pub(crate) fn month(m: i64) -> Self {
        NamedInt {
            value: m,
            type_name: "time.Month",
            names: &MONTHS,
            first: 1,
        }
    }

    pub(crate) fn weekday(d: i64) -> Self {
        NamedInt {
            value: d,
            type_name: "time.Weekday",
            names: &DAYS,
            first: 0,
        }
    }
}

pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Object for NamedInt {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.type_name)
    }
    fn as_basic(&self) -> Option<Value> {
        Some(Value::Int(self.value))
    }
    fn to_go_string(&self) -> Option<String> {
        let name = usize::try_from(self.value - self.first)
            .ok()
            .and_then(|i| self.names.get(i));
        Some(match name {
            Some(n) => (*n).to_string(),
            None => format!(
                "%!{}({})",
                self.type_name.trim_start_matches("time."),
                self.value
            ),
        })
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "String").then_some(Signature::fixed(&[]))
    }
    fn call_method(&self, _: &str, _: Vec<Value>) -> Result<Value, FuncError> {
        Ok(Value::from(self.to_go_string().unwrap_or_default()))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `*time.Location`, as `Time.Location` returns it.
struct LocationValue(Location);

impl Object for LocationValue {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*time.Location")
    }
    fn to_go_string(&self) -> Option<String> {
        Some(self.0.name().to_string())
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "String").then_some(Signature::fixed(&[]))
    }
    fn call_method(&self, _: &str, _: Vec<Value>) -> Result<Value, FuncError> {
        Ok(Value::from(self.0.name()))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

const NONE: &[Param] = &[];
const ONE_STRING: &[Param] = &[Param::String];
const ONE_TIME: &[Param] = &[Param::Time];
const ONE_DURATION: &[Param] = &[Param::Duration];
const THREE_INTS: &[Param] = &[Param::Int, Param::Int, Param::Int];

/// The signature of a `time.Time` method.
pub(crate) fn time_method(name: &str) -> Option<Signature> {
    Some(Signature::fixed(match name {
        "Format" => ONE_STRING,
        "Before" | "After" | "Equal" | "Sub" => ONE_TIME,
        "Add" | "Truncate" | "Round" => ONE_DURATION,
        "AddDate" => THREE_INTS,
        "Unix" | "UnixMilli" | "UnixMicro" | "UnixNano" | "UTC" | "Local" | "Year" | "Month"
        | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday"
        | "IsZero" | "String" | "Location" => NONE,
        _ => return None,
    }))
}

fn duration_arg(v: &Value) -> Result<i64, FuncError> {
    match v.basic().as_ref() {
        Value::Int(i) => Ok(*i),
        _ => Err(FuncError(format!(
            "wrong type for value; expected time.Duration; got {}",
            v.type_name()
        ))),
    }
}

fn time_arg(v: &Value) -> Result<&Time, FuncError> {
    match v {
        Value::Time(t) => Ok(t),
        _ => Err(FuncError(format!(
            "wrong type for value; expected time.Time; got {}",
            v.type_name()
        ))),
    }
}

/// The calendar accessors (`Year`, `Month`, …, `Weekday`) and `IsZero`.
fn civil_method(t: &Time, name: &str) -> Option<Value> {
    let c = || t.civil();
    Some(match name {
        "Year" => Value::Int(i64::from(c().year())),
        "Month" => Value::object(NamedInt::month(i64::from(c().month()))),
        "Day" => Value::Int(i64::from(c().day())),
        "Hour" => Value::Int(i64::from(c().hour())),
        "Minute" => Value::Int(i64::from(c().minute())),
        "Second" => Value::Int(i64::from(c().second())),
        "Nanosecond" => Value::Int(i64::from(c().subsec_nanosecond())),
        "YearDay" => Value::Int(i64::from(c().day_of_year())),
        "Weekday" => Value::object(NamedInt::weekday(i64::from(
            c().weekday().to_sunday_zero_offset(),
        ))),
        "IsZero" => Value::Bool(t.is_zero()),
        _ => return None,
    })
}

/// Calls a `time.Time` method.
pub(crate) fn call_time_method(t: &Time, name: &str, args: &[Value]) -> Result<Value, FuncError> {
    if let Some(v) = civil_method(t, name) {
        return Ok(v);
    }
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    Ok(match name {
        "Format" => Value::from(t.format(arg(0).as_str().unwrap_or(""))),
        "String" => Value::from(t.to_string()),
        "Unix" => Value::Int(t.ts.as_second()),
        "UnixMilli" => Value::Int(t.ts.as_millisecond()),
        "UnixMicro" => Value::Int(t.ts.as_microsecond()),
        "UnixNano" => Value::Int(t.unix_nanos() as i64),
        "UTC" => Value::Time(t.in_location(Location::utc())),
        "Local" => Value::Time(t.in_location(Location::local())),
        "Location" => Value::object(LocationValue(t.loc.clone())),
        "Before" => Value::Bool(t.ts < time_arg(&arg(0))?.ts),
        "After" => Value::Bool(t.ts > time_arg(&arg(0))?.ts),
        "Equal" => Value::Bool(t.ts == time_arg(&arg(0))?.ts),
        "Sub" => {
            let d = t.unix_nanos() - time_arg(&arg(0))?.unix_nanos();
            Value::Duration(Duration(
                d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            ))
        }
        "Add" => {
            let d = duration_arg(&arg(0))?;
            let ts = Timestamp::from_nanosecond(t.unix_nanos() + i128::from(d))
                .map_err(|e| FuncError(e.to_string()))?;
            Value::Time(t.with_ts(ts))
        }
        "Truncate" | "Round" => {
            let d = i128::from(duration_arg(&arg(0))?);
            if d <= 0 {
                return Ok(Value::Time(t.clone()));
            }
            // Go rounds relative to the zero time; the year-1 epoch is a whole number of days
            // from the Unix epoch, so any duration dividing a day gives the same result.
            let zero = -62_135_596_800i128 * 1_000_000_000;
            let since = t.unix_nanos() - zero;
            let mut r = since - since.rem_euclid(d);
            if name == "Round" && since.rem_euclid(d) * 2 >= d {
                r += d;
            }
            let ts = Timestamp::from_nanosecond(zero + r).map_err(|e| FuncError(e.to_string()))?;
            Value::Time(t.with_ts(ts))
        }
        "AddDate" => {
            let n = |v: Value| match v {
                Value::Int(i) => i,
                _ => 0,
            };
            Value::Time(add_date(t, n(arg(0)), n(arg(1)), n(arg(2)))?)
        }
        _ => return Err(FuncError(format!("no method {name}"))),
    })
}

/// Go's `AddDate`: months overflow into years and days into months (January 31 plus one
/// month is March 2 or 3), unlike calendar arithmetic that clamps to the month's end.
fn add_date(t: &Time, years: i64, months: i64, days: i64) -> Result<Time, FuncError> {
    let err = |e: jiff::Error| FuncError(e.to_string());
    let c = t.civil();
    let total = (i64::from(c.year()) + years) * 12 + i64::from(c.month()) - 1 + months;
    let year =
        i16::try_from(total.div_euclid(12)).map_err(|_| FuncError::new("year out of range"))?;
    let month = (total.rem_euclid(12) + 1) as i8;
    let first = jiff::civil::Date::new(year, month, 1).map_err(err)?;
    let span = jiff::Span::new()
        .try_days(i64::from(c.day()) - 1 + days)
        .map_err(err)?;
    let date = first.checked_add(span).map_err(err)?;
    let dt = date.to_datetime(c.time());
    let ts = t
        .location()
        .time_zone()
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(err)?;
    Ok(t.with_ts(ts))
}

/// The signature of a `time.Duration` method.
pub(crate) fn duration_method(name: &str) -> Option<Signature> {
    Some(Signature::fixed(match name {
        "Hours" | "Minutes" | "Seconds" | "Milliseconds" | "Microseconds" | "Nanoseconds"
        | "String" | "Abs" => NONE,
        "Round" | "Truncate" => ONE_DURATION,
        _ => return None,
    }))
}

/// Calls a `time.Duration` method.
pub(crate) fn call_duration_method(
    d: Duration,
    name: &str,
    args: &[Value],
) -> Result<Value, FuncError> {
    let n = d.0;
    Ok(match name {
        "Hours" => {
            Value::Float((n / 3_600_000_000_000) as f64 + (n % 3_600_000_000_000) as f64 / 3.6e12)
        }
        "Minutes" => Value::Float((n / 60_000_000_000) as f64 + (n % 60_000_000_000) as f64 / 6e10),
        "Seconds" => Value::Float(d.as_secs_f64()),
        "Milliseconds" => Value::Int(n / 1_000_000),
        "Microseconds" => Value::Int(n / 1_000),
        "Nanoseconds" => Value::Int(n),
        "String" => Value::from(d.to_string()),
        "Abs" => Value::Duration(Duration(n.checked_abs().unwrap_or(i64::MAX))),
        "Round" | "Truncate" => {
            let m = duration_arg(args.first().unwrap_or(&Value::Nil))?;
            if m <= 0 {
                return Ok(Value::Duration(d));
            }
            let mut r = n - n % m;
            if name == "Round" {
                let rem = (n % m).abs();
                if rem + rem >= m {
                    r = if n < 0 { r - m } else { r + m };
                }
            }
            Value::Duration(Duration(r))
        }
        _ => return Err(FuncError(format!("no method {name}"))),
    })
}

#[cfg(test)]
mod tests;
