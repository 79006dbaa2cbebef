//! `file_sd_configs`: target groups from JSON/YAML files, re-read on file notifications and
//! every `refresh_interval`. A file that fails to parse keeps its last good groups.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use flint_config::FileSdConfig;
use notify::Watcher;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::discoverer::{Discoverer, RunFuture};
use crate::metrics::FileMetrics;
use crate::targetgroup::TargetGroup;

/// The label naming the file a target came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// Watches the files of one `file_sd_configs` entry.
#[derive(Debug)]
pub struct FileDiscoverer {
    cfg: FileSdConfig,
    metrics: FileMetrics,
    /// Groups last sent per file.
    last: BTreeMap<PathBuf, Vec<TargetGroup>>,
}

impl FileDiscoverer {
    /// A discoverer for `cfg`.
    pub fn new(cfg: FileSdConfig, metrics: FileMetrics) -> Self {
        FileDiscoverer {
            cfg,
            metrics,
            last: BTreeMap::new(),
        }
    }

    fn list_files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .cfg
            .files
            .iter()
            .filter_map(|p| glob::glob(p).ok())
            .flat_map(|paths| paths.filter_map(std::result::Result::ok))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn read_file(&self, path: &Path) -> Result<Vec<TargetGroup>, String> {
        let content = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let groups = flint_config::targets::parse_target_groups(path, &content)
            .map_err(|e| e.to_string())?;
        let name = path.display().to_string();
        Ok(groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                TargetGroup::from_static(format!("{name}:{i}"), g, &[(FILEPATH_LABEL, &name)])
            })
            .collect())
    }

    /// Re-reads every file; returns the groups to send (changed files' groups and emptied
    /// groups of vanished ones).
    fn refresh(&mut self) -> Vec<TargetGroup> {
        let start = Instant::now();
        let files = self.list_files();
        let mut out = Vec::new();
        let mut next = BTreeMap::new();
        for f in &files {
            match self.read_file(f) {
                Ok(groups) => {
                    let old = self.last.get(f).map_or(0, Vec::len);
                    let name = f.display().to_string();
                    out.extend(groups.iter().cloned());
                    out.extend(
                        (groups.len()..old).map(|i| TargetGroup::empty(format!("{name}:{i}"))),
                    );
                    next.insert(f.clone(), groups);
                }
                Err(e) => {
                    self.metrics.read_errors.inc();
                    tracing::error!(file = %f.display(), error = %e, "Error reading file");
                    if let Some(old) = self.last.get(f) {
                        next.insert(f.clone(), old.clone());
                    }
                }
            }
        }
        for (f, groups) in &self.last {
            if !next.contains_key(f) {
                out.extend(groups.iter().map(|g| TargetGroup::empty(g.source.clone())));
            }
        }
        self.last = next;
        self.metrics
            .scan_duration
            .observe(start.elapsed().as_secs_f64());
        out
    }

    fn watch(&self, tx: mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if res.is_ok() {
                let _ = tx.try_send(());
            }
        })
        .map_err(|e| {
            self.metrics.watcher_errors.inc();
            tracing::error!(error = %e, "Error creating file watcher");
        })
        .ok()?;
        let mut dirs: Vec<PathBuf> = self
            .cfg
            .files
            .iter()
            .map(|p| {
                Path::new(p)
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            })
            .map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d
                }
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            if let Err(e) = watcher.watch(&d, notify::RecursiveMode::NonRecursive) {
                self.metrics.watcher_errors.inc();
                tracing::error!(dir = %d.display(), error = %e, "Error adding file watch");
            }
        }
        Some(watcher)
    }
}

impl Discoverer for FileDiscoverer {
    fn run(
        mut self: Box<Self>,
        cancel: CancellationToken,
        tx: mpsc::Sender<Vec<TargetGroup>>,
    ) -> RunFuture {
        Box::pin(async move {
            let (wtx, mut wrx) = mpsc::channel(1);
            let _watcher = self.watch(wtx);
            let mut ticker = tokio::time::interval(
                self.cfg
                    .refresh_interval
                    .std()
                    .max(std::time::Duration::from_millis(10)),
            );
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut first = true;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = ticker.tick() => {}
                    Some(()) = wrx.recv() => {}
                }
                let groups = self.refresh();
                if groups.is_empty() && !first {
                    continue;
                }
                first = false;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = tx.send(groups) => if r.is_err() { return },
                }
            }
        })
    }
}
