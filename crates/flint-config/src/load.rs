//! Loading `prometheus.yml`: YAML parsing with positions, defaults, validation collecting
//! every problem, `scrape_config_files`, environment expansion and path resolution.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flint_model::NameValidation;
use serde::Deserialize;

use crate::config::{Config, RawConfig, RawScrapeConfigs};
use crate::error::{Error, Problem, Result};
use crate::located::Located;
use crate::scrape::ScrapeConfig;

/// How to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Reject SD mechanisms Flint does not implement (what the server does). `false` parses
    /// them and moves on, for tools that only look at the file.
    pub reject_unsupported_sd: bool,
    /// Agent mode: `alerting`, `rule_files` and `remote_read` are not allowed.
    pub agent_mode: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            reject_unsupported_sd: true,
            agent_mode: false,
        }
    }
}

/// Loads and validates a configuration file (relative paths resolve against its directory).
pub fn load_file(path: &Path, opts: LoadOptions) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    load_inner(&text, Some(path), dir, opts)
}

/// Loads and validates configuration text; relative paths stay relative.
pub fn load_str(text: &str, opts: LoadOptions) -> Result<Config> {
    load_inner(text, None, Path::new(""), opts)
}

/// Collects problems with positions.
pub(crate) struct Problems {
    file: Option<PathBuf>,
    pub(crate) list: Vec<Problem>,
}

impl Problems {
    pub(crate) fn new(file: Option<&Path>) -> Self {
        Problems {
            file: file.map(Path::to_path_buf),
            list: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, line: usize, column: usize, message: impl Into<String>) {
        self.list
            .push(Problem::at(self.file.clone(), line, column, message));
    }
}

fn yaml_options() -> serde_saphyr::options::Options {
    let mut o = serde_saphyr::options::Options::default();
    o.with_snippet = false;
    o
}

/// Parses YAML into `T`, turning a parse error into one positioned problem worded as
/// Prometheus's loader words it where that differs.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: Option<&Path>,
) -> std::result::Result<T, Problem> {
    serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        Problem::at(
            file.map(Path::to_path_buf),
            line,
            column,
            reword(&e.to_string()),
        )
    })
}

/// Drops the position suffix (kept separately) and uses Prometheus's wording for unknown
/// and duplicate keys.
fn reword(msg: &str) -> String {
    let msg = match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(", column ") => &msg[..i],
        _ => msg,
    };
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some((field, tail)) = rest.split_once('`')
    {
        return format!("field {field} not found in type{tail}");
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest);
        return format!("field {key} already set in type");
    }
    msg.to_string()
}

fn load_inner(text: &str, file: Option<&Path>, dir: &Path, opts: LoadOptions) -> Result<Config> {
    let raw: RawConfig =
        parse_yaml(text, file).map_err(|p| Error::Invalid { problems: vec![p] })?;
    let mut probs = Problems::new(file);
    let mut cfg = build(raw, &mut probs, opts);
    if probs.list.is_empty() {
        set_directory(&mut cfg, dir);
        load_included(&mut cfg, &mut probs, opts);
    }
    if probs.list.is_empty() {
        Ok(cfg)
    } else {
        Err(Error::Invalid {
            problems: probs.list,
        })
    }
}

/// Whether a rule-file or scrape-config-file pattern is allowed (a `*` only in the last
/// path element, Prometheus's `patRulePath`).
fn is_valid_pattern(p: &str) -> bool {
    match p.find('*') {
        None => true,
        Some(i) => !p[i..].contains('/'),
    }
}

fn build(raw: RawConfig, probs: &mut Problems, opts: LoadOptions) -> Config {
    let mut global = raw.global.unwrap_or_default();
    validate_global(&mut global, probs);
    let scheme = match global.metric_name_validation_scheme.as_deref() {
        Some("legacy") => NameValidation::Legacy,
        _ => NameValidation::Utf8,
    };
    let mut cfg = Config {
        runtime: raw.runtime.unwrap_or_default(),
        alerting: raw.alerting.unwrap_or_default(),
        storage: raw.storage.unwrap_or_default(),
        otlp: raw.otlp.unwrap_or_default(),
        ..Default::default()
    };
    for (list, what, out) in [
        (raw.rule_files, "rule file", &mut cfg.rule_files),
        (
            raw.scrape_config_files,
            "scrape config file",
            &mut cfg.scrape_config_files,
        ),
    ] {
        for f in list.unwrap_or_default() {
            if !is_valid_pattern(&f) {
                probs.add(
                    f.line,
                    f.column,
                    format!("invalid {what} path {:?}", f.value),
                );
            }
            out.push(f.value);
        }
    }
    cfg.scrape_configs = resolve_jobs(
        raw.scrape_configs.unwrap_or_default(),
        &global,
        probs,
        opts,
        &mut BTreeMap::new(),
    );
    for (l, c, m) in cfg.alerting.problems(scheme, opts.reject_unsupported_sd) {
        probs.add(l, c, m);
    }
    let mut names = BTreeMap::new();
    for rw in raw.remote_write.unwrap_or_default() {
        let Some(c) = rw.value else {
            probs.add(
                rw.line,
                rw.column,
                "empty or null remote write config section",
            );
            continue;
        };
        if !c.name.is_empty() && names.insert(c.name.clone(), ()).is_some() {
            probs.add(
                rw.line,
                rw.column,
                format!(
                    "found multiple remote write configs with job name {:?}",
                    c.name
                ),
            );
        }
        for m in c.problems(scheme) {
            probs.add(rw.line, rw.column, m);
        }
        cfg.remote_write.push(c);
    }
    names.clear();
    for rr in raw.remote_read.unwrap_or_default() {
        let Some(c) = rr.value else {
            probs.add(
                rr.line,
                rr.column,
                "empty or null remote read config section",
            );
            continue;
        };
        if !c.name.is_empty() && names.insert(c.name.clone(), ()).is_some() {
            probs.add(
                rr.line,
                rr.column,
                format!(
                    "found multiple remote read configs with job name {:?}",
                    c.name
                ),
            );
        }
        for m in c.problems() {
            probs.add(rr.line, rr.column, m);
        }
        cfg.remote_read.push(c);
    }
    if let Some(t) = raw.tracing
        && let Some(tc) = t.value
    {
        for m in tc.problems() {
            probs.add(t.line, t.column, m);
        }
        cfg.tracing = Some(tc);
    }
    for m in cfg.storage.problems() {
        probs.add(0, 0, m);
    }
    for m in cfg.otlp.problems(scheme == NameValidation::Legacy) {
        probs.add(0, 0, m);
    }
    if opts.agent_mode {
        agent_checks(&cfg, probs);
    }
    global.apply_defaults();
    cfg.global = global;
    cfg
}

fn agent_checks(cfg: &Config, probs: &mut Problems) {
    if !cfg.alerting.is_empty() {
        probs.add(0, 0, "field alerting is not allowed in agent mode");
    }
    if !cfg.rule_files.is_empty() {
        probs.add(0, 0, "field rule_files is not allowed in agent mode");
    }
    if !cfg.remote_read.is_empty() {
        probs.add(0, 0, "field remote_read is not allowed in agent mode");
    }
}

fn validate_global(g: &mut crate::global::GlobalConfig, probs: &mut Problems) {
    match g.metric_name_validation_scheme.as_deref() {
        None | Some("utf8" | "legacy") => {}
        Some("") => g.metric_name_validation_scheme = None,
        Some(other) => probs.add(0, 0, format!("unrecognized ValidationScheme: {other:?}")),
    }
    let legacy = g.metric_name_validation_scheme.as_deref() == Some("legacy");
    for (name, value) in std::mem::take(&mut g.external_labels) {
        let valid = if legacy {
            flint_model::names::is_legacy_label_name(&name)
        } else {
            !name.is_empty()
        };
        if !valid {
            probs.add(0, 0, format!("{name:?} is not a valid label name"));
        }
        g.external_labels.insert(name, expand_env(&value));
    }
    if let (Some(t), Some(i)) = (g.scrape_timeout, g.scrape_interval)
        && !i.is_zero()
        && t > i
    {
        probs.add(0, 0, "global scrape timeout greater than scrape interval");
    } else if g.scrape_interval.is_none_or(|i| i.is_zero())
        && g.scrape_timeout
            .is_some_and(|t| t > crate::global::DEFAULT_SCRAPE_INTERVAL)
    {
        probs.add(0, 0, "global scrape timeout greater than scrape interval");
    }
    if let Some(e) = g
        .scrape_protocols
        .as_deref()
        .and_then(crate::scrape::validate_protocols)
    {
        probs.add(0, 0, format!("{e} for global config"));
    }
}

/// Validates jobs, fills their defaults, and checks job names against `seen` (job name →
/// where it was first defined).
fn resolve_jobs(
    list: Vec<Located<Option<ScrapeConfig>>>,
    global: &crate::global::GlobalConfig,
    probs: &mut Problems,
    opts: LoadOptions,
    seen: &mut BTreeMap<String, String>,
) -> Vec<ScrapeConfig> {
    let mut out = Vec::new();
    for job in list {
        let Some(mut sc) = job.value else {
            probs.add(job.line, job.column, "empty or null scrape config section");
            continue;
        };
        for (l, c, m) in sc.resolve(global, opts.reject_unsupported_sd) {
            let (l, c) = if l == 0 {
                (job.line, job.column)
            } else {
                (l, c)
            };
            probs.add(l, c, m);
        }
        let here = probs.file.as_ref().map_or_else(
            || "main config file".to_string(),
            |f| format!("{:?}", f.display().to_string()),
        );
        if let Some(first) = seen.get(&sc.job_name) {
            let msg = if first == &here || probs.file.is_none() {
                format!(
                    "found multiple scrape configs with job name {:?}",
                    sc.job_name
                )
            } else {
                format!(
                    "found multiple scrape configs with job name {:?}, first found in {first}",
                    sc.job_name
                )
            };
            probs.add(job.line, job.column, msg);
        } else {
            seen.insert(sc.job_name.clone(), here);
        }
        out.push(sc);
    }
    out
}

/// Loads the jobs of `scrape_config_files`.
fn load_included(cfg: &mut Config, probs: &mut Problems, opts: LoadOptions) {
    let mut seen: BTreeMap<String, String> = cfg
        .scrape_configs
        .iter()
        .map(|s| (s.job_name.clone(), "main config file".to_string()))
        .collect();
    for pattern in cfg.scrape_config_files.clone() {
        let paths = match glob::glob(&pattern) {
            Ok(p) => p,
            Err(e) => {
                probs.add(
                    0,
                    0,
                    format!("error retrieving scrape config files for {pattern:?}: {e}"),
                );
                continue;
            }
        };
        for path in paths.filter_map(std::result::Result::ok) {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    probs.add(0, 0, format!("{:?}: {e}", path.display().to_string()));
                    continue;
                }
            };
            let mut file_probs = Problems::new(Some(&path));
            let raw: RawScrapeConfigs = match parse_yaml(&text, Some(&path)) {
                Ok(r) => r,
                Err(p) => {
                    probs.list.push(p);
                    continue;
                }
            };
            let mut jobs = resolve_jobs(
                raw.scrape_configs.unwrap_or_default(),
                &cfg.global,
                &mut file_probs,
                opts,
                &mut seen,
            );
            let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            for j in &mut jobs {
                j.set_directory(&dir);
            }
            probs.list.append(&mut file_probs.list);
            cfg.included_scrape_configs.extend(jobs);
        }
    }
}

/// Deserializes a null as the type's default (Go's YAML leaves the field empty).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Joins a relative, non-empty `path` with `dir` in place (Prometheus's `JoinDir`).
pub(crate) fn join_dir(dir: &Path, path: &mut String) {
    if path.is_empty() || Path::new(path.as_str()).is_absolute() || dir.as_os_str().is_empty() {
        return;
    }
    *path = dir.join(path.as_str()).display().to_string();
}

fn set_directory(cfg: &mut Config, dir: &Path) {
    join_dir(dir, &mut cfg.global.query_log_file);
    join_dir(dir, &mut cfg.global.scrape_failure_log_file);
    cfg.alerting.set_directory(dir);
    if let Some(t) = &mut cfg.tracing {
        for f in t.tls_config.files_mut() {
            join_dir(dir, f);
        }
    }
    for f in cfg
        .rule_files
        .iter_mut()
        .chain(cfg.scrape_config_files.iter_mut())
    {
        join_dir(dir, f);
    }
    for s in &mut cfg.scrape_configs {
        s.set_directory(dir);
    }
    for r in &mut cfg.remote_write {
        r.http_set_directory(dir);
    }
    for r in &mut cfg.remote_read {
        r.http_set_directory(dir);
    }
}

/// Expands `$VAR` and `${VAR}` from the environment (unset is empty); `$$` is a `$`.
pub fn expand_env(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('{') {
            match r.find('}') {
                Some(end) => {
                    out.push_str(&std::env::var(&r[..end]).unwrap_or_default());
                    rest = &r[end + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = r;
                }
            }
        } else {
            let n = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            if n == 0 {
                out.push('$');
            } else {
                out.push_str(&std::env::var(&rest[..n]).unwrap_or_default());
            }
            rest = &rest[n..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_expansion() {
        // SAFETY-free: the variable name is unique to this test.
        assert_eq!(expand_env("foo$${TEST}"), "foo${TEST}");
        assert_eq!(expand_env("a${FLINT_SURELY_UNSET_VAR}b"), "ab");
        assert_eq!(expand_env("plain"), "plain");
        assert_eq!(expand_env("x$"), "x$");
    }

    #[test]
    fn rewords_serde_errors() {
        assert_eq!(
            reword("unknown field `foo`, expected one of a, b at line 2, column 1"),
            "field foo not found in type, expected one of a, b"
        );
        assert_eq!(
            reword(
                "duplicate mapping key: scrape_configs, set DuplicateKeyPolicy in Options if acceptable at line 4, column 1"
            ),
            "field scrape_configs already set in type"
        );
    }

    #[test]
    fn patterns() {
        assert!(is_valid_pattern("rules/*.yml"));
        assert!(!is_valid_pattern("rules/*/x.yml"));
    }
}
