//! Wall-clock time as the Alertmanager sees it: milliseconds since the Unix epoch, read from a
//! [`Clock`] that advances with tokio's clock so tests under `tokio::time::pause` control it.

use std::sync::Arc;

use tokio::time::Instant;

/// Milliseconds since the Unix epoch (UTC). Alertmanager's API has millisecond precision.
pub type Millis = i64;

/// The zero time (Go's `time.Time{}`): `0001-01-01T00:00:00Z`.
pub const ZERO_TIME: Millis = -62_135_596_800_000;

/// A wall clock anchored to tokio's monotonic clock.
///
/// `now()` is the anchor's wall time plus the tokio time elapsed since. In production the anchor
/// is the system time at start; tests pick any anchor and move time with `tokio::time::advance`.
#[derive(Debug, Clone)]
pub struct Clock(Arc<(Millis, Instant)>);

impl Clock {
    /// A clock that starts at the system's current time.
    pub fn system() -> Self {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        Clock::starting_at(wall)
    }

    /// A clock whose `now()` is `wall` at this tokio instant.
    pub fn starting_at(wall: Millis) -> Self {
        Clock(Arc::new((wall, Instant::now())))
    }

    /// The current wall time.
    pub fn now(&self) -> Millis {
        let (wall, at) = *self.0;
        wall + Instant::now().saturating_duration_since(at).as_millis() as Millis
    }

    /// The tokio instant at which wall time `t` is (or was) reached.
    pub fn instant_at(&self, t: Millis) -> Instant {
        let now = self.now();
        let now_i = Instant::now();
        if t >= now {
            now_i + std::time::Duration::from_millis((t - now) as u64)
        } else {
            now_i
                .checked_sub(std::time::Duration::from_millis((now - t) as u64))
                .unwrap_or(now_i)
        }
    }
}

/// Formats as RFC 3339 with milliseconds in UTC, as the API does: `2024-01-02T03:04:05.678Z`.
pub fn format_rfc3339(t: Millis) -> String {
    match jiff::Timestamp::from_millisecond(t) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "0001-01-01T00:00:00.000Z".into(),
    }
}

/// Parses an RFC 3339 timestamp (any offset) to milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20.123+01:00"),
            Some(1_700_000_000_123)
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(ZERO_TIME));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time() {
        let c = Clock::starting_at(1000);
        tokio::time::advance(std::time::Duration::from_millis(1500)).await;
        assert_eq!(c.now(), 2500);
    }
}
