//! The group's evaluation loop: wait for the aligned slot, then tick every interval, counting
//! missed iterations; restore alert state after the second evaluation on startup.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{Group, State};
use crate::rule::lock;

impl Group {
    /// Evaluates on the group's ticker until `cancel` fires; an evaluation in progress
    /// finishes first. With `restore`, alert `for` state is restored from
    /// `ALERTS_FOR_STATE` after the second evaluation (the first may lack data).
    pub async fn run(self: Arc<Self>, cancel: CancellationToken, restore: bool) {
        let interval_ms = self.spec.interval_ms.max(1);
        let interval = Duration::from_millis(interval_ms as u64);
        let clock = self.deps.opts.clock;
        let mut eval_ts = self.eval_timestamp(clock.now_ms()) + interval_ms;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep_until(clock.instant_at(eval_ts)) => {}
        }
        let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        self.iterate(eval_ts).await;
        let mut restore = restore;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let missed = (clock.now_ms() - eval_ts) / interval_ms - 1;
            if missed > 0 {
                self.metrics.iterations_missed.inc_by(missed as u64);
                self.metrics.iterations.inc_by(missed as u64);
            }
            eval_ts += (missed.max(0) + 1) * interval_ms;
            self.iterate(eval_ts).await;
            if restore {
                self.restore_for_state(clock.now_ms());
                restore = false;
            }
        }
    }

    /// One scheduled evaluation, on a blocking thread (queries are CPU-bound).
    async fn iterate(self: &Arc<Self>, ts: i64) {
        self.metrics.iterations.inc();
        let started = std::time::SystemTime::now();
        let clock = std::time::Instant::now();
        let g = Arc::clone(self);
        if let Err(e) = tokio::task::spawn_blocking(move || g.eval(ts)).await {
            tracing::error!(group = %self.name(), error = %e, "Rule group evaluation panicked");
        }
        let took = clock.elapsed();
        self.metrics.group_duration.observe(took.as_secs_f64());
        self.metrics.last_duration.set(took.as_secs_f64());
        self.metrics.last_eval_timestamp.set(ts as f64 / 1000.0);
        let mut st: std::sync::MutexGuard<'_, State> = lock(&self.state);
        st.last_evaluation = Some(started);
        st.evaluation_time = took;
        st.last_eval_ts = Some(ts);
    }
}
