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
    for i in 0..l.len() {
        let hit = match l[i] {
            b'J' | b'M' | b'P' | b'p' => word_chunk(&l[i..]),
            b'0'..=b'5' | b'_' => {
                if l[i..].starts_with(b"_2006") {
                    // A literal underscore followed by the year.
                    return Some((i + 1, Std::LongYear, 4));
                }
                digit_chunk(&l[i..])
            }
            b'-' | b'Z' => zone_chunk(&l[i..]),
            b'.' | b',' => frac_chunk(&l[i..]),
            _ => None,
        };
        if let Some((std, len)) = hit {
            return Some((i, std, len));
        }
    }
    None
}

/// Month and weekday names, `MST`, `PM`/`pm`.
fn word_chunk(l: &[u8]) -> Option<(Std, usize)> {
    let has = |s: &str| l.starts_with(s.as_bytes());
    if has("January") {
        Some((Std::LongMonth, 7))
    } else if has("Jan") && !starts_lower(&l[3..]) {
        Some((Std::Month, 3))
    } else if has("Monday") {
        Some((Std::LongWeekDay, 6))
    } else if has("Mon") && !starts_lower(&l[3..]) {
        Some((Std::WeekDay, 3))
    } else if has("MST") {
        Some((Std::Tz, 3))
    } else if has("PM") {
        Some((Std::Pm, 2))
    } else if has("pm") {
        Some((Std::PmLower, 2))
    } else {
        None
    }
}

/// The numeric elements: `01`–`06`, `002`, `15`, `1`, `2006`, `2`, `_2`, `__2`, `3`, `4`, `5`.
fn digit_chunk(l: &[u8]) -> Option<(Std, usize)> {
    let has = |s: &str| l.starts_with(s.as_bytes());
    Some(match l[0] {
        b'0' if l.len() > 1 && (b'1'..=b'6').contains(&l[1]) => {
            let s = [
                Std::ZeroMonth,
                Std::ZeroDay,
                Std::ZeroHour12,
                Std::ZeroMinute,
                Std::ZeroSecond,
                Std::Year,
            ][usize::from(l[1] - b'1')];
            (s, 2)
        }
        b'0' if has("002") => (Std::ZeroYearDay, 3),
        b'1' if has("15") => (Std::Hour, 2),
        b'1' => (Std::NumMonth, 1),
        b'2' if has("2006") => (Std::LongYear, 4),
        b'2' => (Std::Day, 1),
        b'_' if has("_2") => (Std::UnderDay, 2),
        b'_' if has("__2") => (Std::UnderYearDay, 3),
        b'3' => (Std::Hour12, 1),
        b'4' => (Std::Minute, 1),
        b'5' => (Std::Second, 1),
        _ => return None,
    })
}

/// `.000`, `,000`, `.999`, `,999`: fractional seconds, only when no digit follows.
fn frac_chunk(l: &[u8]) -> Option<(Std, usize)> {
    let ch = *l.get(1).filter(|c| **c == b'0' || **c == b'9')?;
    let mut j = 1;
    while j < l.len() && l[j] == ch {
        j += 1;
    }
    if j < l.len() && l[j].is_ascii_digit() {
        return None;
    }
    Some((
        Std::Frac {
            sep: l[0],
            digits: j - 1,
            trim: ch == b'9',
        },
        j,
    ))
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

/// The calendar fields of a time, as the layout elements print them.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: i64,
    yday: i64,
    wday: usize,
    offset: i32,
    abbrev: String,
}

/// Formats `t` with a Go layout string.
pub fn format(t: &Time, layout: &str) -> String {
    let c = t.civil();
    let (offset, abbrev) = t.zone();
    let p = Parts {
        year: i64::from(c.year()),
        month: i64::from(c.month()),
        day: i64::from(c.day()),
        hour: i64::from(c.hour()),
        min: i64::from(c.minute()),
        sec: i64::from(c.second()),
        nanos: i64::from(c.subsec_nanosecond()),
        yday: i64::from(c.day_of_year()),
        wday: c.weekday().to_sunday_zero_offset() as usize,
        offset,
        abbrev,
    };
    let mut out = String::with_capacity(layout.len() + 10);
    let mut rest = layout.as_bytes();
    while let Some((prefix, std, len)) = next_chunk(rest) {
        out.push_str(&String::from_utf8_lossy(&rest[..prefix]));
        rest = &rest[prefix + len..];
        put(&mut out, std, &p);
    }
    out.push_str(&String::from_utf8_lossy(rest));
    out
}

fn put(out: &mut String, std: Std, p: &Parts) {
    match std {
        Std::Year => pad(out, p.year.rem_euclid(100), 2),
        Std::LongYear => pad(out, p.year, 4),
        Std::Month => out.push_str(&MONTHS[(p.month - 1) as usize][..3]),
        Std::LongMonth => out.push_str(MONTHS[(p.month - 1) as usize]),
        Std::NumMonth => pad(out, p.month, 0),
        Std::ZeroMonth => pad(out, p.month, 2),
        Std::WeekDay => out.push_str(&DAYS[p.wday][..3]),
        Std::LongWeekDay => out.push_str(DAYS[p.wday]),
        Std::Day => pad(out, p.day, 0),
        Std::UnderDay => {
            if p.day < 10 {
                out.push(' ');
            }
            pad(out, p.day, 0);
        }
        Std::ZeroDay => pad(out, p.day, 2),
        Std::UnderYearDay => {
            let width = if p.yday < 10 {
                2
            } else {
                usize::from(p.yday < 100)
            };
            out.extend(std::iter::repeat_n(' ', width));
            pad(out, p.yday, 0);
        }
        Std::ZeroYearDay => pad(out, p.yday, 3),
        Std::Hour => pad(out, p.hour, 2),
        Std::Hour12 | Std::ZeroHour12 => {
            let h = if p.hour % 12 == 0 { 12 } else { p.hour % 12 };
            pad(out, h, if std == Std::Hour12 { 0 } else { 2 });
        }
        Std::Minute => pad(out, p.min, 0),
        Std::ZeroMinute => pad(out, p.min, 2),
        Std::Second => pad(out, p.sec, 0),
        Std::ZeroSecond => pad(out, p.sec, 2),
        Std::Pm => out.push_str(if p.hour >= 12 { "PM" } else { "AM" }),
        Std::PmLower => out.push_str(if p.hour >= 12 { "pm" } else { "am" }),
        Std::NumTz { .. } => put_zone(out, std, p.offset),
        Std::Tz if !p.abbrev.is_empty() => out.push_str(&p.abbrev),
        Std::Tz => put_zone(
            out,
            Std::NumTz {
                iso: false,
                colon: false,
                seconds: false,
                short: false,
            },
            p.offset,
        ),
        Std::Frac { sep, digits, trim } => put_frac(out, p.nanos, sep, digits, trim),
    }
}

fn put_zone(out: &mut String, std: Std, offset: i32) {
    let Std::NumTz {
        iso,
        colon,
        seconds,
        short,
    } = std
    else {
        return;
    };
    if iso && offset == 0 {
        out.push('Z');
        return;
    }
    let zone = i64::from(offset) / 60;
    let abs = i64::from(offset).abs();
    out.push(if zone < 0 { '-' } else { '+' });
    let zone = zone.abs();
    pad(out, zone / 60, 2);
    if colon {
        out.push(':');
    }
    if !short {
        pad(out, zone % 60, 2);
    }
    if seconds {
        if colon {
            out.push(':');
        }
        pad(out, abs % 60, 2);
    }
}

fn put_frac(out: &mut String, nanos: i64, sep: u8, digits: usize, trim: bool) {
    if trim && (digits == 0 || nanos == 0) {
        return;
    }
    let mut s = format!("{nanos:09}");
    s.truncate(digits.min(9));
    if trim {
        while s.ends_with('0') {
            s.pop();
        }
        if s.is_empty() {
            return;
        }
    }
    out.push(char::from(sep));
    out.push_str(&s);
}
