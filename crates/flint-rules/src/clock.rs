//! Wall-clock time for rule evaluation, driven by tokio's clock so tests run under
//! `tokio::time::pause` without sleeping.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// Wall-clock milliseconds derived from tokio's monotonic clock: the wall time at creation
/// plus the tokio time elapsed since. Under a paused runtime it advances with the virtual
/// clock; otherwise it follows real time (immune to wall-clock steps, like Go's monotonic
/// readings upstream uses between ticks).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: i64,
    origin: Instant,
}

impl Clock {
    /// A clock reading the system time now.
    pub fn system() -> Self {
        let wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Self::starting_at(wall)
    }

    /// A clock that reads `wall_ms` now (tests pin the epoch).
    pub fn starting_at(wall_ms: i64) -> Self {
        Clock {
            wall: wall_ms,
            origin: Instant::now(),
        }
    }

    /// Milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.wall + self.origin.elapsed().as_millis() as i64
    }

    /// The tokio instant at which this clock reads `ms` (now if that has passed).
    pub fn instant_at(&self, ms: i64) -> Instant {
        let ahead = (ms - self.now_ms()).max(0) as u64;
        Instant::now() + Duration::from_millis(ahead)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_the_paused_clock() {
        let c = Clock::starting_at(1_000);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(c.now_ms(), 6_000);
        assert_eq!(
            c.instant_at(6_500) - Instant::now(),
            Duration::from_millis(500)
        );
        assert_eq!(c.instant_at(0), Instant::now());
    }
}
