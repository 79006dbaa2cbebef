//! Go's reference-time layouts (`Mon Jan 2 15:04:05 MST 2006`) for formatting.

use super::{DAYS, MONTHS, Time};

/// One element of a layout.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Tz,
    /// Numeric zone: `Z` variant, colon, seconds, short (hours only).
    NumTz {
        iso: bool,
        colon: bool,
        seconds: bool,
        short: bool,
    },
    /// Fractional seconds: separator, digit count, trim trailing zeros (`.999`).
    Frac {
        sep: u8,
        digits: usize,
        trim: bool,
    },
}

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// Finds the next layout element: (literal prefix length, element, bytes consumed by it).
fn next_chunk(l: &[u8]) -> Option<(usize, Std, usize)> {
    let has = |i: usize, s: &str| l[i..].starts_with(s.as_bytes());
    for i in 0..l.len() {
        let hit = match l[i] {
            b'J' if has(i, "Jan") => {
                if has(i, "January") {
                    Some((Std::LongMonth, 7))
                } else if !starts_lower(&l[i + 3..]) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if has(i, "Mon") => {
                if has(i, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !starts_lower(&l[i + 3..]) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if has(i, "MST") => Some((Std::Tz, 3)),
            b'0' if l.len() > i + 1 && (b'1'..=b'6').contains(&l[i + 1]) => {
                let s = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(l[i + 1] - b'1')];
                Some((s, 2))
            }
            b'0' if has(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if has(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if has(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if has(i, "_2") => {
                if has(i + 1, "2006") {
                    // A literal underscore followed by the year.
                    return Some((i + 1, Std::LongYear, 4));
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if has(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if has(i, "PM") => Some((Std::Pm, 2)),
            b'p' if has(i, "pm") => Some((Std::PmLower, 2)),
            b'-' | b'Z' => zone_chunk(&l[i..]),
            b'.' | b',' if l.len() > i + 1 && (l[i + 1] == b'0' || l[i + 1] == b'9') => {
                let ch = l[i + 1];
                let mut j = i + 1;
                while j < l.len() && l[j] == ch {
                    j += 1;
                }
                if j < l.len() && l[j].is_ascii_digit() {
                    None
                } else {
                    Some((
                        Std::Frac {
                            sep: l[i],
                            digits: j - (i + 1),
                            trim: ch == b'9',
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = hit {
            return Some((i, std, len));
        }
    }
    None
}

fn zone_chunk(l: &[u8]) -> Option<(Std, usize)> {
    let iso = l[0] == b'Z';
    let rest = &l[1..];
    let forms: [(&str, bool, bool, bool); 5] = [
        ("070000", false, true, false),
        ("07:00:00", true, true, false),
        ("0700", false, false, false),
        ("07:00", true, false, false),
        ("07", false, false, true),
    ];
    for (s, colon, seconds, short) in forms {
        if rest.starts_with(s.as_bytes()) {
            return Some((
                Std::NumTz {
                    iso,
                    colon,
                    seconds,
                    short,
                },
                1 + s.len(),
            ));
        }
    }
    None
}

fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
        pad(out, -v, width);
        return;
    }
    let s = v.to_string();
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

/// Formats `t` with a Go layout string.
pub fn format(t: &Time, layout: &str) -> String {
    let c = t.civil();
    let (offset, abbrev) = t.zone();
    let year = i64::from(c.year());
    let month = i64::from(c.month());
    let day = i64::from(c.day());
    let hour = i64::from(c.hour());
    let min = i64::from(c.minute());
    let sec = i64::from(c.second());
    let nanos = i64::from(c.subsec_nanosecond());
    let yday = i64::from(c.day_of_year());
    let wday = c.weekday().to_sunday_zero_offset() as usize;

    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout.as_bytes();
    while let Some((prefix, std, len)) = next_chunk(rest) {
        out.push_str(&String::from_utf8_lossy(&rest[..prefix]));
        rest = &rest[prefix + len..];
        match std {
            Std::Year => pad(&mut out, year.rem_euclid(100), 2),
            Std::LongYear => pad(&mut out, year, 4),
            Std::Month => out.push_str(&MONTHS[(month - 1) as usize][..3]),
            Std::LongMonth => out.push_str(MONTHS[(month - 1) as usize]),
            Std::NumMonth => pad(&mut out, month, 0),
            Std::ZeroMonth => pad(&mut out, month, 2),
            Std::WeekDay => out.push_str(&DAYS[wday][..3]),
            Std::LongWeekDay => out.push_str(DAYS[wday]),
            Std::Day => pad(&mut out, day, 0),
            Std::UnderDay => {
                if day < 10 {
                    out.push(' ');
                }
                pad(&mut out, day, 0);
            }
            Std::ZeroDay => pad(&mut out, day, 2),
            Std::UnderYearDay => {
                if yday < 100 {
                    out.push(' ');
                    if yday < 10 {
                        out.push(' ');
                    }
                }
                pad(&mut out, yday, 0);
            }
            Std::ZeroYearDay => pad(&mut out, yday, 3),
            Std::Hour => pad(&mut out, hour, 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let h = if hour % 12 == 0 { 12 } else { hour % 12 };
                pad(&mut out, h, if std == Std::Hour12 { 0 } else { 2 });
            }
            Std::Minute => pad(&mut out, min, 0),
            Std::ZeroMinute => pad(&mut out, min, 2),
            Std::Second => pad(&mut out, sec, 0),
            Std::ZeroSecond => pad(&mut out, sec, 2),
            Std::Pm => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Std::PmLower => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Std::NumTz {
                iso,
                colon,
                seconds,
                short,
            } => {
                if iso && offset == 0 {
                    out.push('Z');
                    continue;
                }
                let zone = i64::from(offset) / 60;
                let abs = i64::from(offset).abs();
                out.push(if zone < 0 { '-' } else { '+' });
                let zone = zone.abs();
                pad(&mut out, zone / 60, 2);
                if colon {
                    out.push(':');
                }
                if !short {
                    pad(&mut out, zone % 60, 2);
                }
                if seconds {
                    if colon {
                        out.push(':');
                    }
                    pad(&mut out, abs % 60, 2);
                }
            }
            Std::Tz => {
                if !abbrev.is_empty() {
                    out.push_str(&abbrev);
                } else {
                    let zone = i64::from(offset) / 60;
                    out.push(if zone < 0 { '-' } else { '+' });
                    pad(&mut out, zone.abs() / 60, 2);
                    pad(&mut out, zone.abs() % 60, 2);
                }
            }
            Std::Frac { sep, digits, trim } => {
                if trim && (digits == 0 || nanos == 0) {
                    continue;
                }
                let mut s = format!("{nanos:09}");
                s.truncate(digits.min(9));
                if trim {
                    while s.ends_with('0') {
                        s.pop();
                    }
                    if s.is_empty() {
                        continue;
                    }
                }
                out.push(char::from(sep));
                out.push_str(&s);
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(rest));
    out
}
