//! The standard `process_*` metrics of the running process (Linux; elsewhere it emits nothing).
//!
//! Exported, as client_golang does: `process_cpu_seconds_total`, `process_open_fds`,
//! `process_max_fds`, `process_virtual_memory_bytes`, `process_resident_memory_bytes` and
//! `process_start_time_seconds`. Values come from `/proc/self/{stat,status,limits,fd}` and
//! `/proc/stat`; CPU and start times assume the kernel's `USER_HZ` of 100, which holds on
//! every mainstream Linux architecture. A value that cannot be read is left out.

use std::path::PathBuf;

use crate::collector::{Collector, CollectorEncoder};

/// Collector of the standard process metrics.
///
/// Register it on the root registry so the names stay `process_*`:
///
/// ```
/// use flint_client::{Registry, process::ProcessCollector};
/// let registry = Registry::new();
/// registry.register_collector(ProcessCollector::new());
/// let names: Vec<String> = registry.gather().into_iter().map(|f| f.name).collect();
/// if cfg!(target_os = "linux") {
///     assert!(names.contains(&"process_resident_memory_bytes".to_owned()));
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessCollector {
    proc_root: PathBuf,
}

impl Default for ProcessCollector {
    fn default() -> Self {
        Self::new()
    }
}

/// Clock ticks per second of `/proc` CPU times.
const USER_HZ: f64 = 100.0;

/// One reading of the process state.
#[derive(Debug, Default, Clone, PartialEq)]
struct Reading {
    cpu_seconds: Option<f64>,
    start_time: Option<f64>,
    virtual_bytes: Option<f64>,
    resident_bytes: Option<f64>,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
}

impl ProcessCollector {
    /// Reads `/proc/self`.
    pub fn new() -> Self {
        ProcessCollector {
            proc_root: PathBuf::from("/proc"),
        }
    }

    fn read(&self) -> Reading {
        let mut r = Reading::default();
        if !cfg!(target_os = "linux") {
            return r;
        }
        let me = self.proc_root.join("self");
        let read = |p: PathBuf| std::fs::read_to_string(p).ok();
        if let Some(stat) = read(me.join("stat")) {
            let boot = read(self.proc_root.join("stat")).and_then(|s| parse_btime(&s));
            parse_stat(&stat, boot, &mut r);
        }
        r.resident_bytes = read(me.join("status")).and_then(|s| parse_vm_rss(&s));
        r.max_fds = read(me.join("limits")).and_then(|s| parse_max_fds(&s));
        r.open_fds = std::fs::read_dir(me.join("fd"))
            .ok()
            .map(|d| d.count() as f64);
        r
    }
}

fn parse_stat(stat: &str, boot: Option<f64>, r: &mut Reading) {
    // The command name (field 2) may contain spaces and parentheses; fields resume after
    // the last ')'. Index 0 there is field 3 (state).
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    if let (Some(utime), Some(stime)) = (num(11), num(12)) {
        r.cpu_seconds = Some((utime + stime) / USER_HZ);
    }
    if let (Some(start), Some(boot)) = (num(19), boot) {
        r.start_time = Some(boot + start / USER_HZ);
    }
    r.virtual_bytes = num(20);
}

fn parse_btime(stat: &str) -> Option<f64> {
    let line = stat.lines().find(|l| l.starts_with("btime "))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn parse_vm_rss(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

fn parse_max_fds(limits: &str) -> Option<f64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Collector for ProcessCollector {
    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let r = self.read();
        if let Some(v) = r.cpu_seconds {
            out.counter(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                v,
            );
        }
        let gauges = [
            (
                "process_open_fds",
                "Number of open file descriptors.",
                r.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                r.max_fds,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                r.virtual_bytes,
            ),
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                r.resident_bytes,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                r.start_time,
            ),
        ];
        for (name, help, value) in gauges {
            if let Some(v) = value {
                out.gauge(name, help, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let mut r = Reading::default();
        let stat = "1234 (my (weird) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 \
                    4 0 5000 123456789 300 18446744073709551615";
        parse_stat(stat, Some(1_700_000_000.0), &mut r);
        assert_eq!(r.cpu_seconds, Some(3.0));
        assert_eq!(r.start_time, Some(1_700_000_050.0));
        assert_eq!(r.virtual_bytes, Some(123_456_789.0));
        assert_eq!(
            parse_btime("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000.0)
        );
        assert_eq!(
            parse_vm_rss("Name: x\nVmRSS:\t  2048 kB\n"),
            Some(2_097_152.0)
        );
        let limits = "Limit Soft Hard Units\nMax open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(limits), Some(1024.0));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn reads_this_process() {
        let r = ProcessCollector::new().read();
        assert!(r.resident_bytes.is_some_and(|v| v > 0.0));
        assert!(r.open_fds.is_some_and(|v| v >= 3.0));
        assert!(r.start_time.is_some_and(|v| v > 1e9));
    }
}
