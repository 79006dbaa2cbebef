//! `scrape_failure_log_file`: every failed scrape (the fetch failing: connection, status,
//! timeout, body limit) as one JSON line, the way Prometheus's JSON file logger writes it:
//! `{"time":…,"level":"ERROR","source":…,"msg":<error>,"target":<scrape URL>}`.
//! Files are opened once (appending) and shared by every job that names them.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// One open failure log.
#[derive(Debug)]
pub struct FailureLog {
    path: String,
    file: Mutex<std::fs::File>,
}

impl FailureLog {
    /// Writes one line for a failed scrape of `target`.
    pub fn log(&self, target: &str, error: &str) {
        // Keys in slog's order (a JSON map would sort them).
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let line = format!(
            "{{\"time\":{},\"level\":\"ERROR\",\"source\":\"scrape_loop.rs\",\"msg\":{},\"target\":{}}}",
            q(&timestamp(SystemTime::now())),
            q(error),
            q(target)
        );
        let Ok(mut f) = self.file.lock() else {
            return;
        };
        if let Err(e) = writeln!(f, "{line}") {
            tracing::warn!(file = %self.path, error = %e, "Writing the scrape failure log failed");
        }
    }
}

/// The open failure logs by file name.
#[derive(Debug, Clone, Default)]
pub struct FailureLogs(Arc<Mutex<HashMap<String, Arc<FailureLog>>>>);

impl FailureLogs {
    /// The log for `path` (`None` when empty or the file cannot be opened, which is logged).
    pub fn get(&self, path: &str) -> Option<Arc<FailureLog>> {
        if path.is_empty() {
            return None;
        }
        let mut map = self.0.lock().ok()?;
        if let Some(l) = map.get(path) {
            return Some(Arc::clone(l));
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        match file {
            Ok(f) => {
                let l = Arc::new(FailureLog {
                    path: path.to_string(),
                    file: Mutex::new(f),
                });
                map.insert(path.to_string(), Arc::clone(&l));
                Some(l)
            }
            Err(e) => {
                tracing::error!(file = path, error = %e, "Opening the scrape failure log failed");
                None
            }
        }
    }
}

/// `2006-01-02T15:04:05.000Z` in UTC, as Prometheus's loggers write times.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_lines() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123Z");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fail.log").display().to_string();
        let logs = FailureLogs::default();
        let l = logs.get(&path).unwrap();
        assert!(Arc::ptr_eq(&l, &logs.get(&path).unwrap()), "shared");
        l.log("http://x/metrics", "server returned HTTP status 500");
        l.log("http://x/metrics", "context deadline exceeded");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["level"], "ERROR");
        assert_eq!(lines[0]["msg"], "server returned HTTP status 500");
        assert_eq!(lines[1]["target"], "http://x/metrics");
        assert!(logs.get("").is_none());
        assert!(logs.get("/nonexistent/dir/x.log").is_none());
    }
}
