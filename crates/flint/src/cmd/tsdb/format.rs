//! Go's ways of printing durations, times, byte sizes and tables, as promtool prints them.

use std::time::Duration;

/// A millisecond duration as Go's `time.Duration.String()` prints it (`1h46m30.001s`, `0s`,
/// `500ms`).
pub fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, frac) = (rest / 1000, rest % 1000);
    let mut secs = s.to_string();
    if frac > 0 {
        let f = format!("{frac:03}");
        secs.push('.');
        secs.push_str(f.trim_end_matches('0'));
    }
    match (h, m) {
        (0, 0) => format!("{sign}{secs}s"),
        (0, m) => format!("{sign}{m}m{secs}s"),
        (h, m) => format!("{sign}{h}h{m}m{secs}s"),
    }
}

/// A millisecond timestamp: the number, or Go's `time.Time.String()` of the second in UTC.
pub fn time(ms: i64, human: bool) -> String {
    if !human {
        return ms.to_string();
    }
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Bytes, or as the `units.Base2Bytes` promtool uses prints them (`2KiB829B`).
pub fn bytes(n: u64, human: bool) -> String {
    if !human {
        return n.to_string();
    }
    if n == 0 {
        return "0B".to_owned();
    }
    let mut parts = Vec::new();
    let mut n = n;
    for prefix in ["", "K", "M", "G", "T", "P", "E"] {
        if !n.is_multiple_of(1024) {
            let suffix = if prefix.is_empty() { "B" } else { "iB" };
            parts.push(format!("{}{prefix}{suffix}", n % 1024));
        }
        n /= 1024;
        if n == 0 {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

/// Lines of cells aligned like Go's `tabwriter.NewWriter(w, 13, 0, 2, ' ', 0)`: every cell
/// but the last of a line padded to its column's widest cell plus two, at least 13.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + 2).max(13));
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// A Prometheus duration (`2h`, `1d12h`, `90m`, `500ms`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a valid duration string: {s:?}");
    let mut rest = s;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
        let ms = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(Duration::from_millis(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_go() {
        assert_eq!(go_duration(6_390_001), "1h46m30.001s");
        assert_eq!(go_duration(5_580_001), "1h33m0.001s");
        assert_eq!(go_duration(7_200_000), "2h0m0s");
        assert_eq!(go_duration(61_500), "1m1.5s");
        assert_eq!(go_duration(999), "999ms");
        assert_eq!(go_duration(0), "0s");
        assert_eq!(
            time(1_700_000_000_000, true),
            "2023-11-14 22:13:20 +0000 UTC"
        );
        assert_eq!(time(5, false), "5");
        assert_eq!(bytes(2877, true), "2KiB829B");
        assert_eq!(bytes(1 << 20, true), "1MiB");
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            Duration::from_secs(36 * 3600)
        );
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn aligns_like_tabwriter() {
        let rows = vec![
            vec!["BLOCK ULID".into(), "MIN TIME".into(), "SIZE".into()],
            vec![
                "01M8VNG8NGB4TZF09G7BZZBNRA".into(),
                "1700000000000".into(),
                "2877".into(),
            ],
        ];
        assert_eq!(
            table(&rows),
            "BLOCK ULID                  MIN TIME       SIZE\n\
             01M8VNG8NGB4TZF09G7BZZBNRA  1700000000000  2877\n"
        );
    }
}
