//! The stages of the pipeline.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Integration, NotifyCtx, Pipeline, intent, receiver_key};
use crate::alert::Alert;
use crate::dispatch::FlushCtx;
use crate::nflog::Entry;
use crate::timeinterval::any_contains;

/// Inhibition, time intervals and silences. `None` when the whole group is muted.
pub(super) fn mute(
    p: &Pipeline,
    ctx: &FlushCtx,
    alerts: Vec<Arc<Alert>>,
) -> Option<Vec<Arc<Alert>>> {
    let d = &p.deps;
    let now = ctx.now;
    let alerts: Vec<Arc<Alert>> = alerts
        .into_iter()
        .filter(|a| {
            let by = d.inhibitor.mutes(&a.labels, a.fingerprint, now);
            d.marker.set_inhibited(
                a.fingerprint,
                by.map(|f| vec![f.to_hex()]).unwrap_or_default(),
            );
            by.is_none()
        })
        .collect();
    let opts = &ctx.route.opts;
    let mut muted_by = Vec::new();
    if !opts.active_time_intervals.is_empty() {
        let active = opts
            .active_time_intervals
            .iter()
            .any(|n| p.intervals.get(n).is_some_and(|i| any_contains(i, now)));
        if !active {
            muted_by.extend(opts.active_time_intervals.iter().cloned());
        }
    }
    for n in &opts.mute_time_intervals {
        if p.intervals.get(n).is_some_and(|i| any_contains(i, now)) {
            muted_by.push(n.clone());
        }
    }
    let muted = !muted_by.is_empty();
    d.marker
        .set_group_muted(&ctx.route.id, &ctx.group_key, muted_by);
    if muted {
        return None;
    }
    let alerts: Vec<Arc<Alert>> = alerts
        .into_iter()
        .filter(|a| {
            let ids = d.silences.mutes(a.fingerprint, &a.labels, now);
            let keep = ids.is_empty();
            d.marker.set_silenced(a.fingerprint, ids);
            keep
        })
        .collect();
    if alerts.is_empty() {
        None
    } else {
        Some(alerts)
    }
}

/// Upstream's `DedupStage.needsUpdate`.
pub fn needs_update(
    entry: Option<&Entry>,
    firing: &[u64],
    resolved: &[u64],
    send_resolved: bool,
    repeat: Duration,
    now: i64,
) -> bool {
    let Some(e) = entry else {
        return !firing.is_empty();
    };
    if !e.is_firing_subset(firing) {
        return true;
    }
    if firing.is_empty() {
        return !e.firing.is_empty();
    }
    if send_resolved && !e.is_resolved_subset(resolved) {
        return true;
    }
    e.timestamp < now - repeat.as_millis() as i64
}

/// wait → dedup → retry → record, for one integration. Returns success.
pub(super) async fn integration(
    p: &Pipeline,
    ctx: &NotifyCtx<'_>,
    i: &Integration,
    alerts: &[Arc<Alert>],
) -> bool {
    let d = &p.deps;
    let f = ctx.flush;
    let key = receiver_key(ctx.receiver, i);
    // Wait: later peers give the first one time to send and gossip its nflog entry, and
    // wait for the outcome of a notification another peer has in flight.
    let pos = d.peer.position();
    if pos > 0 {
        tokio::time::sleep(d.peer_timeout * pos).await;
    }
    if !intent::wait_for_others(d, &f.group_key, &key, f.deadline).await {
        return false;
    }
    // Dedup.
    let now = f.now;
    let (mut firing, mut resolved) = (Vec::new(), Vec::new());
    for a in alerts {
        if a.resolved_at(now) {
            resolved.push(a.nflog_hash());
        } else {
            firing.push(a.nflog_hash());
        }
    }
    firing.sort_unstable();
    resolved.sort_unstable();
    d.metrics.nflog_queries.inc();
    let entry = d.nflog.query(&f.group_key, &key);
    if !needs_update(
        entry.as_ref(),
        &firing,
        &resolved,
        i.send_resolved,
        f.route.opts.repeat_interval,
        now,
    ) {
        return true;
    }
    // Retry.
    let to_send: Vec<Arc<Alert>> = if i.send_resolved {
        alerts.to_vec()
    } else {
        alerts
            .iter()
            .filter(|a| !a.resolved_at(now))
            .cloned()
            .collect()
    };
    if !to_send.is_empty() {
        let mut lease = intent::Lease::take(d, &f.group_key, &key, now);
        if !retry(p, ctx, i, &to_send, f.deadline, &mut lease).await {
            if let Some(l) = lease {
                l.release();
            }
            return false;
        }
    }
    // Record.
    d.nflog.log(&key, &f.group_key, firing, resolved, now);
    true
}

async fn retry(
    p: &Pipeline,
    ctx: &NotifyCtx<'_>,
    i: &Integration,
    alerts: &[Arc<Alert>],
    deadline: Instant,
    lease: &mut Option<intent::Lease<'_>>,
) -> bool {
    let m = &p.deps.metrics;
    let label = [i.name];
    if let Ok(c) = m.notifications.with_label_values(&label) {
        c.inc();
    }
    let mut backoff = Duration::from_millis(500);
    loop {
        let start = Instant::now();
        if let Ok(c) = m.notification_requests.with_label_values(&label) {
            c.inc();
        }
        if let Some(l) = lease.as_mut() {
            l.renew();
        }
        let res = i.notifier.notify(ctx, alerts).await;
        if let Ok(h) = m.notification_latency.with_label_values(&label) {
            h.observe(start.elapsed().as_secs_f64());
        }
        let err = match res {
            Ok(()) => return true,
            Err(e) => e,
        };
        if let Ok(c) = m.notification_requests_failed.with_label_values(&label) {
            c.inc();
        }
        let retryable = err.is_retryable();
        tracing::warn!(integration = %format!("{}[{}]", i.name, i.idx), receiver = ctx.receiver, err = %err, retryable, "Notify attempt failed.");
        // Jitter of ±50% as upstream's exponential backoff.
        let wait = backoff.mul_f64(0.5 + fastrand::f64());
        if !retryable || Instant::now() + wait >= deadline {
            let reason = if retryable { "other" } else { "clientError" };
            if let Ok(c) = m.notifications_failed.with_label_values(&[i.name, reason]) {
                c.inc();
            }
            return false;
        }
        match lease.as_mut() {
            Some(l) => l.sleep(wait).await,
            None => tokio::time::sleep(wait).await,
        }
        backoff = (backoff.mul_f64(1.5)).min(Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nflog::ReceiverKey;

    fn entry(firing: &[u64], resolved: &[u64], ts: i64) -> Entry {
        Entry {
            group_key: "g".into(),
            receiver: ReceiverKey {
                group_name: "r".into(),
                integration: "webhook".into(),
                idx: 0,
            },
            timestamp: ts,
            firing: firing.to_vec(),
            resolved: resolved.to_vec(),
            expires_at: i64::MAX,
        }
    }

    #[test]
    fn dedup_rules() {
        let h = Duration::from_secs(3600);
        let now = 10_000_000;
        assert!(needs_update(None, &[1], &[], true, h, now));
        assert!(!needs_update(None, &[], &[1], true, h, now));
        let e = entry(&[1, 2], &[], now - 1000);
        assert!(!needs_update(Some(&e), &[1, 2], &[], true, h, now));
        assert!(needs_update(Some(&e), &[1, 3], &[], true, h, now));
        // A resolved alert is news only with send_resolved.
        assert!(needs_update(Some(&e), &[1], &[2], true, h, now));
        assert!(!needs_update(Some(&e), &[1], &[2], false, h, now));
        // Everything resolved: always clear the log.
        assert!(needs_update(Some(&e), &[], &[1, 2], false, h, now));
        assert!(!needs_update(
            Some(&entry(&[], &[1], 0)),
            &[],
            &[1],
            true,
            h,
            now
        ));
        // Repeat interval.
        assert!(needs_update(
            Some(&entry(&[1], &[], now - 3_600_001)),
            &[1],
            &[],
            true,
            h,
            now
        ));
    }
}
