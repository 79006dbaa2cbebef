//! The semantic rules of OpenMetrics 1.0: family grouping, metadata placement, per-type
//! suffixes, label and value constraints, histogram bucket consistency.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use flint_model::MetricType;
use flint_model::exemplar::EXEMPLAR_MAX_LABEL_RUNES;

use super::parse_om_float;
use crate::entry::{Entry, Labels, Sample};
use crate::error::{ParseError, Result};
use crate::lex::Cursor;

/// Running state of one classic histogram group (one label set and timestamp).
#[derive(Debug, Default)]
struct HistGroup {
    active: bool,
    last_le: Option<f64>,
    last_value: f64,
    count: Option<f64>,
    negative_buckets: bool,
    has_sum: bool,
    has_gsum: bool,
    negative_gsum: bool,
}

impl HistGroup {
    fn check(&self) -> std::result::Result<(), &'static str> {
        if !self.active {
            return Ok(());
        }
        if self.last_le != Some(f64::INFINITY) {
            return Err("histogram is missing the +Inf bucket");
        }
        if self.count.is_some_and(|c| c != self.last_value) {
            return Err("histogram count does not match the +Inf bucket");
        }
        if (self.has_sum || self.has_gsum) && self.count.is_none() {
            return Err("histogram has a sum but no count");
        }
        if !(self.has_sum || self.has_gsum) && self.count.is_some() {
            return Err("histogram has a count but no sum");
        }
        if self.negative_buckets && self.has_sum {
            return Err("histogram with negative buckets cannot have _sum");
        }
        if !self.negative_buckets && self.negative_gsum {
            return Err("negative _gsum without negative buckets");
        }
        Ok(())
    }
}

/// The family being read.
#[derive(Debug, Default)]
struct Family {
    name: String,
    metric_type: Option<MetricType>,
    help: bool,
    unit: Option<String>,
    has_samples: bool,
    seen_groups: HashSet<u64, BuildHasherDefault<IdHasher>>,
    group: Option<(u64, Option<i64>)>,
    hist: HistGroup,
}

/// Validates the entry stream of an OpenMetrics body.
#[derive(Debug, Default)]
pub(crate) struct Validator {
    seen_names: HashSet<String>,
    family: Option<Family>,
    /// Scratch: hashes of the current sample's label names.
    name_hashes: Vec<u64>,
    /// The group set of the last finished family, cleared, for reuse.
    spare_groups: HashSet<u64, BuildHasherDefault<IdHasher>>,
}

/// A hasher for keys that already are hashes.
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// FNV-1a, enough to tell label names and values apart within one body.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Combines a name and a value hash into a pair hash.
fn mix(name: u64, value: u64) -> u64 {
    let x = name ^ value.rotate_left(29);
    x.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (x >> 31)
}

/// What one pass over a sample's labels finds.
#[derive(Debug, Default)]
struct LabelScan<'a> {
    /// Order-insensitive hash of the labels, leaving out the structural one.
    group: u64,
    le: Option<Cow<'a, str>>,
    quantile: Option<Cow<'a, str>>,
    /// Whether the structural label (a state set's state) is present.
    has_skip: bool,
}

/// Scans labels once: duplicate names, `le`/`quantile`, and the group key without `skip`.
fn scan_labels<'a>(
    labels: &Labels<'a>,
    skip: Option<&str>,
    names: &mut Vec<u64>,
) -> std::result::Result<LabelScan<'a>, String> {
    names.clear();
    let mut scan = LabelScan::default();
    for (n, v) in labels.iter() {
        let hn = fnv(&n);
        if names.contains(&hn) && labels.iter().filter(|(m, _)| *m == n).count() > 1 {
            return Err(format!("duplicate label name {n:?}"));
        }
        names.push(hn);
        if Some(n.as_ref()) == skip {
            scan.has_skip = true;
        } else {
            scan.group = scan.group.wrapping_add(mix(hn, fnv(&v)));
        }
        match n.as_ref() {
            "le" => scan.le = Some(v),
            "quantile" => scan.quantile = Some(v),
            _ => {}
        }
    }
    Ok(scan)
}

fn suffixes(t: Option<MetricType>) -> &'static [&'static str] {
    match t {
        Some(MetricType::Counter) => &["_total", "_created"],
        Some(MetricType::Summary) => &["", "_count", "_sum", "_created"],
        Some(MetricType::Histogram) => &["_count", "_sum", "_bucket", "_created"],
        Some(MetricType::GaugeHistogram) => &["_gcount", "_gsum", "_bucket"],
        Some(MetricType::Info) => &["_info"],
        _ => &[""],
    }
}

fn err(input: &[u8], at: usize, msg: impl Into<String>) -> ParseError {
    ParseError::at(input, at, msg)
}

impl Validator {
    fn start_family(&mut self, name: &str, metric_type: Option<MetricType>) {
        let mut seen_groups = std::mem::take(&mut self.spare_groups);
        seen_groups.clear();
        self.family = Some(Family {
            name: name.to_owned(),
            metric_type,
            seen_groups,
            ..Family::default()
        });
    }

    fn finish_family(&mut self, input: &[u8], at: usize) -> Result<()> {
        let Some(mut f) = self.family.take() else {
            return Ok(());
        };
        self.spare_groups = std::mem::take(&mut f.seen_groups);
        f.hist.check().map_err(|m| err(input, at, m))?;
        let mut names: Vec<&str> = suffixes(f.metric_type).to_vec();
        names.push("");
        names.sort_unstable();
        names.dedup();
        for s in names {
            let full = format!("{}{s}", f.name);
            if !self.seen_names.insert(full.clone()) {
                return Err(err(input, at, format!("clashing name {full:?}")));
            }
        }
        if let Some(unit) = f.unit.as_deref().filter(|u| !u.is_empty()) {
            if !f.name.ends_with(&format!("_{unit}")) {
                return Err(err(input, at, "unit must be a suffix of the metric name"));
            }
            if matches!(f.metric_type, Some(MetricType::Info | MetricType::StateSet)) {
                return Err(err(
                    input,
                    at,
                    "info and stateset metrics cannot have a unit",
                ));
            }
        }
        Ok(())
    }

    /// At `# EOF`.
    pub(crate) fn finish(&mut self, c: &Cursor<'_>) -> Result<()> {
        self.finish_family(c.bytes(), c.pos)
    }

    /// A HELP, TYPE or UNIT line for `name`, starting at byte `at`.
    pub(crate) fn metadata(
        &mut self,
        entry: &Entry<'_>,
        name: &str,
        input: &[u8],
        at: usize,
    ) -> Result<()> {
        if self.family.as_ref().is_none_or(|f| f.name != name) {
            self.finish_family(input, at)?;
            self.start_family(name, None);
        }
        let Some(f) = self.family.as_mut() else {
            return Ok(());
        };
        if f.has_samples {
            return Err(err(input, at, "metadata after samples"));
        }
        let repeated = match entry {
            Entry::Help { .. } => std::mem::replace(&mut f.help, true),
            Entry::Type { metric_type, .. } => f.metric_type.replace(*metric_type).is_some(),
            Entry::Unit { unit, .. } => f.unit.replace(unit.to_string()).is_some(),
            _ => false,
        };
        if repeated {
            return Err(err(input, at, "repeated metadata"));
        }
        Ok(())
    }

    /// A sample starting at byte `at`.
    pub(crate) fn sample(&mut self, s: &Sample<'_>, input: &[u8], at: usize) -> Result<()> {
        let suffix = self.family.as_ref().and_then(|f| {
            let rest = s.name.strip_prefix(f.name.as_str())?;
            suffixes(f.metric_type)
                .iter()
                .find(|&&x| x == rest)
                .copied()
        });
        let suffix = match suffix {
            Some(x) => x,
            None => {
                self.finish_family(input, at)?;
                self.start_family(&s.name, Some(MetricType::Unknown));
                ""
            }
        };
        let Some(f) = self.family.as_mut() else {
            return Ok(());
        };
        f.has_samples = true;
        let t = f.metric_type.unwrap_or(MetricType::Unknown);
        check_sample(f, t, suffix, s, &mut self.name_hashes).map_err(|m| err(input, at, m))
    }
}

/// Rejects duplicate label names.
fn check_labels(labels: &Labels<'_>) -> std::result::Result<(), String> {
    for (i, (n, _)) in labels.iter().enumerate() {
        if labels.iter().skip(i + 1).any(|(m, _)| m == n) {
            return Err(format!("duplicate label name {n:?}"));
        }
    }
    Ok(())
}

fn check_sample(
    f: &mut Family,
    t: MetricType,
    suffix: &str,
    s: &Sample<'_>,
    names: &mut Vec<u64>,
) -> std::result::Result<(), String> {
    let is_hist = matches!(t, MetricType::Histogram | MetricType::GaugeHistogram);
    let skip = match t {
        _ if is_hist && suffix == "_bucket" => Some("le"),
        MetricType::Summary if suffix.is_empty() => Some("quantile"),
        MetricType::StateSet => Some(f.name.as_str()),
        _ => None,
    };
    let scan = scan_labels(&s.labels, skip, names)?;
    let key = if t == MetricType::Info { 0 } else { scan.group };
    let le = if is_hist && suffix == "_bucket" {
        Some(canonical_bound(scan.le.as_deref(), "le")?)
    } else {
        None
    };
    check_type_rules(t, suffix, s, &scan)?;
    check_group(f, t, key, s.timestamp)?;
    if is_hist {
        hist_sample(f, suffix, s, le)?;
    }
    check_values(t, suffix, s)?;
    check_exemplar(t, suffix, s)
}

fn check_group(
    f: &mut Family,
    t: MetricType,
    key: u64,
    ts: Option<i64>,
) -> std::result::Result<(), String> {
    if let Some((g, gts)) = f.group {
        if g != key && f.seen_groups.contains(&key) {
            return Err("invalid metric grouping (interleaved label sets)".into());
        }
        if g == key {
            if ts.is_some() != gts.is_some() {
                return Err("mix of timestamp presence within a group".into());
            }
            if gts > ts && t != MetricType::Info {
                return Err("timestamps went backwards within a group".into());
            }
        }
        if g != key || gts != ts {
            f.hist.check()?;
            f.hist = HistGroup::default();
        }
    }
    f.group = Some((key, ts));
    f.seen_groups.insert(key);
    Ok(())
}

fn canonical_bound(v: Option<&str>, name: &str) -> std::result::Result<f64, String> {
    let v = v.ok_or_else(|| format!("missing {name:?} label"))?;
    let x = parse_om_float(v).ok_or_else(|| format!("invalid {name:?} label {v:?}"))?;
    if x.is_nan() || (x.is_infinite() && v != "+Inf") {
        return Err(format!("invalid {name:?} label {v:?}"));
    }
    Ok(x)
}

fn check_type_rules(
    t: MetricType,
    suffix: &str,
    s: &Sample<'_>,
    scan: &LabelScan<'_>,
) -> std::result::Result<(), String> {
    let is_hist = matches!(t, MetricType::Histogram | MetricType::GaugeHistogram);
    if is_hist && suffix == "_bucket" && s.value.fract() != 0.0 {
        return Err("bucket value must be an integer".into());
    }
    if (suffix == "_count" || suffix == "_gcount") && s.value.fract() != 0.0 {
        return Err("count value must be an integer".into());
    }
    if t == MetricType::Summary && suffix.is_empty() {
        let q = canonical_bound(scan.quantile.as_deref(), "quantile")?;
        if !(0.0..=1.0).contains(&q) {
            return Err("quantile must be between 0 and 1".into());
        }
        if s.value < 0.0 {
            return Err("quantile values cannot be negative".into());
        }
    }
    match t {
        MetricType::StateSet if !scan.has_skip => {
            Err("stateset sample missing the state label".into())
        }
        MetricType::StateSet if s.value != 0.0 && s.value != 1.0 => {
            Err("stateset values must be 0 or 1".into())
        }
        MetricType::Info if s.value != 1.0 => Err("info values must be 1".into()),
        _ => Ok(()),
    }
}

fn hist_sample(
    f: &mut Family,
    suffix: &str,
    s: &Sample<'_>,
    le: Option<f64>,
) -> std::result::Result<(), String> {
    let h = &mut f.hist;
    h.active = true;
    match suffix {
        "_bucket" => {
            let le = le.unwrap_or(f64::NAN);
            if le < 0.0 {
                h.negative_buckets = true;
            }
            if h.last_le.is_some_and(|prev| le <= prev) {
                return Err("histogram buckets out of order".into());
            }
            if s.value < h.last_value {
                return Err("histogram bucket counts decrease".into());
            }
            h.last_le = Some(le);
            h.last_value = s.value;
        }
        "_count" | "_gcount" => h.count = Some(s.value),
        "_sum" => h.has_sum = true,
        "_gsum" => {
            h.has_gsum = true;
            h.negative_gsum |= s.value < 0.0;
        }
        _ => {}
    }
    Ok(())
}

fn check_values(t: MetricType, suffix: &str, s: &Sample<'_>) -> std::result::Result<(), String> {
    let counter_like = matches!(
        suffix,
        "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"
    ) && t != MetricType::Unknown
        && t != MetricType::Gauge;
    if counter_like && s.value.is_nan() {
        return Err("counter-like samples cannot be NaN".into());
    }
    if counter_like && suffix != "_gsum" && s.value < 0.0 {
        return Err("counter-like samples cannot be negative".into());
    }
    Ok(())
}

fn check_exemplar(t: MetricType, suffix: &str, s: &Sample<'_>) -> std::result::Result<(), String> {
    let Some(ex) = &s.exemplar else {
        return Ok(());
    };
    let allowed = (matches!(t, MetricType::Histogram | MetricType::GaugeHistogram)
        && suffix == "_bucket")
        || (t == MetricType::Counter && suffix == "_total");
    if !allowed {
        return Err("exemplars are only allowed on counter _total and histogram _bucket".into());
    }
    let runes: usize = ex
        .labels
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count())
        .sum();
    if runes > EXEMPLAR_MAX_LABEL_RUNES {
        return Err("exemplar labels exceed 128 characters".into());
    }
    check_labels(&ex.labels)
}
