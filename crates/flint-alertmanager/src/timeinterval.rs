//! Time intervals (`time_intervals` in the config): times of day, weekdays, days of the
//! month, months and years, in a time zone, as used by `mute_time_intervals` and
//! `active_time_intervals`.

use std::fmt;

use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::Millis;

/// One interval: every given field must match (an absent field matches everything).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimeInterval {
    /// `times`: ranges of the day, `start_time` inclusive, `end_time` exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<TimeRange>>,
    /// `weekdays`: `monday`, `monday:friday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<WeekdayRange>>,
    /// `days_of_month`: `1`, `1:5`, `-3:-1` (negative counts from the month's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_month: Option<Vec<DayOfMonthRange>>,
    /// `months`: `january:march`, `1:3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<MonthRange>>,
    /// `years`: `2024`, `2024:2026`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<Vec<YearRange>>,
    /// `location`: an IANA time zone name or `Local`; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl TimeInterval {
    /// Whether wall time `t` falls inside this interval.
    pub fn contains(&self, t: Millis) -> bool {
        let Ok(ts) = jiff::Timestamp::from_millisecond(t) else {
            return false;
        };
        let tz = self
            .location
            .as_ref()
            .map_or(TimeZone::UTC, |l| l.tz.clone());
        let z = ts.to_zoned(tz);
        let minute = i32::from(z.hour()) * 60 + i32::from(z.minute());
        if let Some(times) = &self.times
            && !times.iter().any(|r| minute >= r.start && minute < r.end)
        {
            return false;
        }
        if let Some(days) = &self.days_of_month {
            let dim = i32::from(z.days_in_month());
            let day = i32::from(z.day());
            let hit = days.iter().any(|r| {
                let begin = if r.0.begin < 0 {
                    dim + r.0.begin + 1
                } else {
                    r.0.begin
                };
                let end = if r.0.end < 0 {
                    dim + r.0.end + 1
                } else {
                    r.0.end
                };
                begin <= dim && day >= begin.clamp(-dim, dim) && day <= end.clamp(-dim, dim)
            });
            if !hit {
                return false;
            }
        }
        in_ranges(&self.months, i32::from(z.month()))
            && in_ranges(
                &self.weekdays,
                i32::from(z.weekday().to_sunday_zero_offset()),
            )
            && in_ranges(&self.years, i32::from(z.year()))
    }
}

fn in_ranges(rs: &Option<Vec<impl AsRange>>, v: i32) -> bool {
    rs.as_ref()
        .is_none_or(|rs| rs.iter().any(|r| r.range().contains(v)))
}

/// Whether any of `intervals` contains `t`.
pub fn any_contains(intervals: &[TimeInterval], t: Millis) -> bool {
    intervals.iter().any(|i| i.contains(t))
}

/// An inclusive integer range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InclusiveRange {
    /// First value.
    pub begin: i32,
    /// Last value.
    pub end: i32,
}

impl InclusiveRange {
    fn contains(self, v: i32) -> bool {
        v >= self.begin && v <= self.end
    }
}

trait AsRange {
    fn range(&self) -> InclusiveRange;
}

/// A time-of-day range in minutes since midnight, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Start minute (inclusive).
    pub start: i32,
    /// End minute (exclusive; 1440 for `24:00`).
    pub end: i32,
}

fn parse_time_of_day(s: &str) -> Result<i32, String> {
    let bad = || format!("couldn't parse timestamp {s}, invalid format");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(format!("timestamp {s} out of range"));
    }
    Ok(h * 60 + m)
}

impl<'de> Deserialize<'de> for TimeRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start_time: String,
            end_time: String,
        }
        let raw = Raw::deserialize(d)?;
        let start = parse_time_of_day(&raw.start_time).map_err(serde::de::Error::custom)?;
        let end = parse_time_of_day(&raw.end_time).map_err(serde::de::Error::custom)?;
        if start >= end {
            return Err(serde::de::Error::custom(
                "start time cannot be equal or greater than end time",
            ));
        }
        Ok(TimeRange { start, end })
    }
}

impl Serialize for TimeRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        let f = |v: i32| format!("{:02}:{:02}", v / 60, v % 60);
        m.serialize_entry("start_time", &f(self.start))?;
        m.serialize_entry("end_time", &f(self.end))?;
        m.end()
    }
}

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Splits `a:b` (or `a`) into two parts.
fn split_range(s: &str) -> (&str, &str) {
    s.split_once(':').unwrap_or((s, s))
}

macro_rules! range_type {
    ($name:ident, $doc:literal, $parse:expr, $fmt:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub InclusiveRange);

        impl AsRange for $name {
            fn range(&self) -> InclusiveRange {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                let parse: fn(&str) -> Result<InclusiveRange, String> = $parse;
                parse(&s).map($name).map_err(serde::de::Error::custom)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let f: fn(i32) -> String = $fmt;
                let r = self.0;
                if r.begin == r.end {
                    s.serialize_str(&f(r.begin))
                } else {
                    s.serialize_str(&format!("{}:{}", f(r.begin), f(r.end)))
                }
            }
        }
    };
}

fn parse_named(s: &str, names: &[&str], what: &str, base: i32) -> Result<InclusiveRange, String> {
    let (a, b) = split_range(s);
    let one = |x: &str| {
        let lx = x.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lx) {
            return Ok(i as i32 + base);
        }
        if base == 1
            && let Ok(n) = x.parse::<i32>()
            && (1..=12).contains(&n)
        {
            return Ok(n);
        }
        Err(format!("{x} is not a valid {what}"))
    };
    let (begin, end) = (one(a)?, one(b)?);
    if begin > end {
        return Err(format!("start {what} cannot be after end {what}"));
    }
    Ok(InclusiveRange { begin, end })
}

range_type!(
    WeekdayRange,
    "A range of weekdays, Sunday = 0.",
    |s| parse_named(s, &WEEKDAYS, "weekday", 0),
    |v| WEEKDAYS.get(v as usize).copied().unwrap_or("?").to_string()
);
range_type!(
    MonthRange,
    "A range of months, January = 1.",
    |s| parse_named(s, &MONTHS, "month", 1),
    |v| MONTHS
        .get((v - 1) as usize)
        .copied()
        .unwrap_or("?")
        .to_string()
);
range_type!(
    DayOfMonthRange,
    "A range of days of the month; negative values count back from the last day (-1).",
    |s| {
        let (a, b) = split_range(s);
        let p = |x: &str| {
            let n: i32 = x
                .parse()
                .map_err(|_| format!("invalid day of month {x:?}"))?;
            if n == 0 || !(-31..=31).contains(&n) {
                return Err(format!("{n} is not a valid day of the month: out of range"));
            }
            Ok(n)
        };
        let (begin, end) = (p(a)?, p(b)?);
        if (begin > 0 && end > 0 || begin < 0 && end < 0) && begin > end {
            return Err("end day must be greater than start day".into());
        }
        if begin > 0 && end < 0 && begin > 31 + end + 1 {
            return Err("end day must be greater than start day".into());
        }
        Ok(InclusiveRange { begin, end })
    },
    |v| v.to_string()
);
range_type!(
    YearRange,
    "A range of years.",
    |s| {
        let (a, b) = split_range(s);
        let p = |x: &str| {
            x.parse::<i32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{x} is not a valid year"))
        };
        let (begin, end) = (p(a)?, p(b)?);
        if begin > end {
            return Err("end year must be greater than start year".into());
        }
        Ok(InclusiveRange { begin, end })
    },
    |v| v.to_string()
);

/// A time zone by name (`Europe/Berlin`, `UTC`, `Local`).
#[derive(Clone)]
pub struct Location {
    name: String,
    tz: TimeZone,
}

impl Location {
    /// Looks a zone up in the bundled IANA database (`Local` is the system's zone).
    pub fn new(name: &str) -> Result<Self, String> {
        let tz = match name {
            "Local" => TimeZone::system(),
            "UTC" | "" => TimeZone::UTC,
            n => TimeZone::get(n).map_err(|e| format!("unknown time zone {n}: {e}"))?,
        };
        Ok(Location {
            name: name.to_string(),
            tz,
        })
    }
}

impl PartialEq for Location {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Location::new(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        crate::time::parse_rfc3339(s).unwrap_or_default()
    }

    fn ti(yaml: &str) -> TimeInterval {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    #[test]
    fn business_hours_in_a_zone() {
        let t = ti(
            "times: [{start_time: '09:00', end_time: '17:00'}]\nweekdays: ['monday:friday']\nlocation: Europe/Berlin\n",
        );
        // Tuesday 2024-01-02 08:30 UTC is 09:30 in Berlin.
        assert!(t.contains(ms("2024-01-02T08:30:00Z")));
        assert!(!t.contains(ms("2024-01-02T07:30:00Z")));
        assert!(!t.contains(ms("2024-01-02T16:00:00Z")));
        // Saturday.
        assert!(!t.contains(ms("2024-01-06T10:00:00Z")));
    }

    #[test]
    fn days_months_years() {
        let t = ti("days_of_month: ['-1']\nmonths: ['february']\nyears: ['2024']\n");
        assert!(t.contains(ms("2024-02-29T12:00:00Z")));
        assert!(!t.contains(ms("2024-02-28T12:00:00Z")));
        assert!(!t.contains(ms("2023-02-28T12:00:00Z")));
        let t = ti("months: ['1:3']\n");
        assert!(t.contains(ms("2024-03-31T23:59:00Z")));
        assert!(!t.contains(ms("2024-04-01T00:00:00Z")));
    }

    #[test]
    fn bad_intervals() {
        for yaml in [
            "times: [{start_time: '10:00', end_time: '09:00'}]",
            "times: [{start_time: '25:00', end_time: '26:00'}]",
            "weekdays: ['funday']",
            "days_of_month: ['0']",
            "days_of_month: ['5:2']",
            "months: ['march:january']",
            "years: ['2025:2024']",
            "location: Mars/Olympus",
            "bogus: 1",
        ] {
            assert!(
                serde_saphyr::from_str::<TimeInterval>(yaml).is_err(),
                "{yaml}"
            );
        }
    }

    #[test]
    fn round_trips() {
        let t = ti(
            "times: [{start_time: '09:00', end_time: '24:00'}]\nweekdays: ['monday:friday', sunday]\n",
        );
        let back = serde_json::to_string(&t).unwrap_or_default();
        assert_eq!(
            back,
            r#"{"times":[{"start_time":"09:00","end_time":"24:00"}],"weekdays":["monday:friday","sunday"]}"#
        );
    }
}
