//! Handing freed heap memory back to the operating system.
//!
//! The Alertmanager's work comes in bursts: every group flushes at once after `group_wait`,
//! and each notification builds its payload and body. glibc's allocator keeps what those
//! bursts freed in its per-thread arenas, so resident memory stays at the burst's peak
//! (about 10 MiB for 10k alerts in 100 groups) although the live data is far smaller.
//! `malloc_trim(0)` releases every free page of every arena; on a heap of the
//! Alertmanager's size it takes well under a millisecond, so running it periodically is
//! cheap. The server does not use it: on a heap of gigabytes the walk would hold the arena
//! locks long enough to stall appends. (In the all-in-one process the trim covers the
//! server's heap as well, which stays small there: it scrapes two targets.)
#![allow(unsafe_code)]

use std::time::Duration;

/// How often [`periodically`] trims: soon after a flush burst, so resident memory follows
/// the live data within a second.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Trims every `every` until the task is dropped.
pub async fn periodically(every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        trim();
    }
}

/// Releases free heap pages to the OS (glibc only; a no-op elsewhere).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists under its locks; it takes
    // no pointers from us and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trimming_is_safe_to_call_any_time() {
        let v: Vec<Vec<u8>> = (0..1000).map(|i| vec![0u8; 1000 + i]).collect();
        drop(v);
        super::trim();
        super::trim();
    }
}
