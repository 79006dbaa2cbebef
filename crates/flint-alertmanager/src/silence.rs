//! Silences: matchers that mute alerts during a time range, with upstream's validation,
//! update semantics, limits, retention and snapshots (upstream's `silences` file format).

mod snapshot;

pub(crate) use snapshot::write_atomic;

/// Called with the encoded `MeshSilence` of every local change, for the cluster to gossip.
pub type Broadcast = std::sync::Arc<dyn Fn(Vec<u8>) + Send + Sync>;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use flint_model::{Labels, Matcher};

use crate::alert::Fingerprint;
use crate::error::{Error, Result};
use crate::matchers::matches_all;
use crate::time::{Clock, Millis, ZERO_TIME};

/// A silence.
#[derive(Debug, Clone)]
pub struct Silence {
    /// UUID; empty when creating.
    pub id: String,
    /// Alerts matching all of these are muted.
    pub matchers: Vec<Matcher>,
    /// Start of the muting range.
    pub starts_at: Millis,
    /// End of the muting range.
    pub ends_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Author.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// Where a silence stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SilenceState {
    /// In force.
    Active,
    /// Starts later.
    Pending,
    /// Over.
    Expired,
}

impl SilenceState {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

impl Silence {
    /// The state at `now`.
    pub fn state(&self, now: Millis) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }

    fn matchers_equal(&self, other: &Silence) -> bool {
        self.matchers.len() == other.matchers.len()
            && self.matchers.iter().zip(&other.matchers).all(|(a, b)| {
                a.name() == b.name() && a.match_type() == b.match_type() && a.value() == b.value()
            })
    }

    /// Approximate encoded size, for the size limit.
    fn size(&self) -> usize {
        self.id.len()
            + self.created_by.len()
            + self.comment.len()
            + 40
            + self
                .matchers
                .iter()
                .map(|m| m.name().len() + m.value().len() + 4)
                .sum::<usize>()
    }
}

/// Upstream's `validateSilence`.
pub fn validate(s: &Silence) -> Result<()> {
    let bad = |m: &str| Err(Error::InvalidSilence(format!("invalid silence: {m}")));
    if s.matchers.is_empty() {
        return bad("at least one matcher required");
    }
    for (i, m) in s.matchers.iter().enumerate() {
        if m.name().is_empty() {
            return bad(&format!(
                "invalid label matcher {i}: invalid label name \"\""
            ));
        }
    }
    if s.matchers.iter().all(|m| m.matches_empty()) {
        return bad("at least one matcher must not match the empty string");
    }
    if s.starts_at == ZERO_TIME {
        return bad("invalid zero start timestamp");
    }
    if s.ends_at == ZERO_TIME {
        return bad("invalid zero end timestamp");
    }
    if s.ends_at < s.starts_at {
        return bad("end time must not be before start time");
    }
    Ok(())
}

/// Limits on silences (`--silences.max-silences`, `--silences.max-silence-size-bytes`; 0 = none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Maximum number of active and pending silences.
    pub max_silences: usize,
    /// Maximum size of one silence in bytes.
    pub max_silence_size_bytes: usize,
}

struct Entry {
    silence: Silence,
    expires_at: Millis,
}

type MatchCache = HashMap<Fingerprint, (u64, Vec<String>)>;

/// Silences by one of their `name="value"` matchers (an alert can only match a silence if it
/// has that label value), plus those without such a matcher, which every alert must check.
#[derive(Debug, Default)]
struct Index {
    version: u64,
    by_label: HashMap<String, HashMap<String, Vec<String>>>,
    scan: Vec<String>,
}

impl Index {
    fn build(entries: &HashMap<String, Entry>, version: u64, now: Millis) -> Index {
        let mut idx = Index {
            version,
            ..Index::default()
        };
        for e in entries.values() {
            if e.silence.state(now) == SilenceState::Expired {
                continue;
            }
            let key =
                e.silence.matchers.iter().find(|m| {
                    m.match_type() == flint_model::MatchType::Equal && !m.value().is_empty()
                });
            match key {
                Some(m) => idx
                    .by_label
                    .entry(m.name().to_string())
                    .or_default()
                    .entry(m.value().to_string())
                    .or_default()
                    .push(e.silence.id.clone()),
                None => idx.scan.push(e.silence.id.clone()),
            }
        }
        idx
    }

    fn candidates<'a>(&'a self, labels: &'a Labels) -> impl Iterator<Item = &'a String> + 'a {
        labels
            .iter()
            .filter_map(|l| self.by_label.get(&*l.name).and_then(|v| v.get(&*l.value)))
            .flatten()
            .chain(self.scan.iter())
    }
}

/// The silence store.
pub struct Silences {
    entries: RwLock<HashMap<String, Entry>>,
    version: AtomicU64,
    cache: Mutex<MatchCache>,
    index: RwLock<Index>,
    clock: Clock,
    retention: Millis,
    limits: Limits,
    snapshot: Option<PathBuf>,
    broadcast: RwLock<Option<Broadcast>>,
}

impl std::fmt::Debug for Silences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Silences")
            .field("version", &self.version)
            .finish()
    }
}

fn new_id() -> String {
    let v = fastrand::u128(..);
    // A version-4, variant-1 UUID.
    let v = (v & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl Silences {
    /// A store keeping expired silences for `retention` ms and snapshotting to `snapshot`.
    pub fn new(clock: Clock, retention: Millis, limits: Limits, snapshot: Option<PathBuf>) -> Self {
        Silences {
            entries: RwLock::new(HashMap::new()),
            version: AtomicU64::new(0),
            cache: Mutex::new(HashMap::new()),
            index: RwLock::new(Index {
                version: u64::MAX,
                ..Index::default()
            }),
            clock,
            retention,
            limits,
            snapshot,
            broadcast: RwLock::new(None),
        }
    }

    /// Sets the hook that gossips local changes.
    pub fn set_broadcast(&self, b: Broadcast) {
        *self.broadcast.write().unwrap_or_else(|p| p.into_inner()) = Some(b);
    }

    /// Gossips the current state of the silences `ids`.
    fn broadcast(&self, ids: &[&str]) {
        let Some(b) = self
            .broadcast
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return;
        };
        let msgs: Vec<Vec<u8>> = {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            ids.iter()
                .filter_map(|id| entries.get(*id))
                .map(snapshot::encode)
                .collect()
        };
        for m in msgs {
            b(m);
        }
    }

    /// Bumped on every change.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    fn changed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Creates or updates a silence and returns its ID, as upstream's `Silences.Set`:
    /// an update that keeps matchers and respects the silence's state edits it in place;
    /// anything else creates a new silence and expires the old one.
    pub fn set(&self, mut sil: Silence) -> Result<String> {
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let prev = if sil.id.is_empty() {
            None
        } else {
            Some(
                entries
                    .get(&sil.id)
                    .map(|e| e.silence.clone())
                    .ok_or_else(|| Error::SilenceNotFound(sil.id.clone()))?,
            )
        };
        // Each change of a silence is strictly later than the last (even within one
        // millisecond), so peers merging by update time keep the latest.
        sil.updated_at = prev.as_ref().map_or(now, |p| now.max(p.updated_at + 1));
        if let Some(prev) = &prev
            && can_update(prev, &sil, now)
        {
            validate(&sil)?;
            self.check_size(&sil)?;
            let expires_at = sil.ends_at + self.retention;
            entries.insert(
                sil.id.clone(),
                Entry {
                    silence: sil.clone(),
                    expires_at,
                },
            );
            drop(entries);
            self.changed();
            self.broadcast(&[&sil.id]);
            return Ok(sil.id);
        }
        validate(&sil)?;
        self.check_size(&sil)?;
        if self.limits.max_silences > 0 {
            let live = entries
                .values()
                .filter(|e| e.silence.state(now) != SilenceState::Expired)
                .count();
            if live >= self.limits.max_silences {
                return Err(Error::SilenceLimit(format!(
                    "exceeded maximum number of silences: {live} (limit: {})",
                    self.limits.max_silences
                )));
            }
        }
        sil.id = new_id();
        if sil.starts_at < now {
            sil.starts_at = now;
        }
        let expires_at = sil.ends_at + self.retention;
        entries.insert(
            sil.id.clone(),
            Entry {
                silence: sil.clone(),
                expires_at,
            },
        );
        // Replacing an expired silence (upstream's "recreate") leaves the old one as it is.
        if let Some(prev) = &prev
            && prev.state(now) != SilenceState::Expired
        {
            expire_entry(&mut entries, &prev.id, now, self.retention)?;
        }
        drop(entries);
        self.changed();
        match &prev {
            Some(prev) => self.broadcast(&[&sil.id, &prev.id]),
            None => self.broadcast(&[&sil.id]),
        }
        Ok(sil.id)
    }

    fn check_size(&self, sil: &Silence) -> Result<()> {
        let max = self.limits.max_silence_size_bytes;
        let n = sil.size();
        if max > 0 && n > max {
            return Err(Error::SilenceLimit(format!(
                "silence exceeded maximum size: {n} bytes (limit: {max} bytes)"
            )));
        }
        Ok(())
    }

    /// Expires a silence now.
    pub fn expire(&self, id: &str) -> Result<()> {
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        expire_entry(&mut entries, id, now, self.retention)?;
        drop(entries);
        self.changed();
        self.broadcast(&[id]);
        Ok(())
    }

    /// One silence by ID.
    pub fn get(&self, id: &str) -> Option<Silence> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|e| e.silence.clone())
    }

    /// All silences.
    pub fn list(&self) -> Vec<Silence> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|e| e.silence.clone())
            .collect()
    }

    /// IDs of the silences active at `now` that mute an alert with `labels`.
    ///
    /// Which silences *match* an alert is cached per fingerprint until a silence changes;
    /// only their state is evaluated at `now`.
    pub fn mutes(&self, fp: Fingerprint, labels: &Labels, now: Millis) -> Vec<String> {
        if self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
        {
            return Vec::new();
        }
        let version = self.version();
        let matching = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .get(&fp)
                .filter(|(v, _)| *v == version)
                .map(|(_, ids)| ids.clone())
        };
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let matching = match matching {
            Some(m) => m,
            None => {
                let ids = self.matching_ids(&entries, labels, version, now);
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                cache.insert(fp, (version, ids.clone()));
                ids
            }
        };
        let mut active: Vec<String> = matching
            .into_iter()
            .filter(|id| {
                entries
                    .get(id)
                    .is_some_and(|e| e.silence.state(now) == SilenceState::Active)
            })
            .collect();
        active.sort();
        active
    }

    /// IDs of the unexpired silences whose matchers all match `labels`, found through the
    /// index (rebuilt when the silences changed).
    fn matching_ids(
        &self,
        entries: &HashMap<String, Entry>,
        labels: &Labels,
        version: u64,
        now: Millis,
    ) -> Vec<String> {
        let stale = self.index.read().unwrap_or_else(|p| p.into_inner()).version != version;
        if stale {
            *self.index.write().unwrap_or_else(|p| p.into_inner()) =
                Index::build(entries, version, now);
        }
        let idx = self.index.read().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<String> = idx
            .candidates(labels)
            .filter(|id| {
                entries.get(*id).is_some_and(|e| {
                    e.silence.state(now) != SilenceState::Expired
                        && matches_all(&e.silence.matchers, labels)
                })
            })
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Forgets the cached matches of alerts that are gone.
    pub fn forget(&self, fps: &[Fingerprint]) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        for fp in fps {
            cache.remove(fp);
        }
    }

    /// Counts of silences by state, in the order active, pending, expired.
    pub fn count_by_state(&self) -> [usize; 3] {
        let now = self.clock.now();
        let mut c = [0; 3];
        for e in self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            c[e.silence.state(now) as usize] += 1;
        }
        c
    }

    /// Merges a silence from a peer or a snapshot: the later update wins, ties broken by
    /// the encoded message, so merging is idempotent and commutative (as gossip needs).
    /// Silences already past their retention are ignored. Returns whether it changed state.
    pub fn merge(&self, sil: Silence, expires_at: Millis) -> bool {
        if expires_at <= self.clock.now() {
            return false;
        }
        let new = Entry {
            silence: sil,
            expires_at,
        };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = entries.get(&new.silence.id)
            && !snapshot::wins(&new, old)
        {
            return false;
        }
        entries.insert(new.silence.id.clone(), new);
        drop(entries);
        self.changed();
        true
    }

    /// Drops silences past their retention; returns how many.
    pub fn gc(&self) -> usize {
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|_, e| e.expires_at > now);
        let n = before - entries.len();
        drop(entries);
        if n > 0 {
            self.changed();
        }
        n
    }
}

fn expire_entry(
    entries: &mut HashMap<String, Entry>,
    id: &str,
    now: Millis,
    retention: Millis,
) -> Result<()> {
    let e = entries
        .get_mut(id)
        .ok_or_else(|| Error::SilenceNotFound(id.to_string()))?;
    match e.silence.state(now) {
        SilenceState::Expired => {
            return Err(Error::InvalidSilence(format!(
                "silence {id} already expired"
            )));
        }
        SilenceState::Pending => {
            e.silence.starts_at = now;
            e.silence.ends_at = now;
        }
        SilenceState::Active => e.silence.ends_at = now,
    }
    e.silence.updated_at = now.max(e.silence.updated_at + 1);
    e.expires_at = now + retention;
    Ok(())
}

/// Upstream's `canUpdate`: whether `b` may replace `a` in place at `now`.
fn can_update(a: &Silence, b: &Silence, now: Millis) -> bool {
    if !a.matchers_equal(b) {
        return false;
    }
    match a.state(now) {
        SilenceState::Active => b.starts_at == a.starts_at && b.ends_at >= now,
        SilenceState::Pending => b.starts_at >= now,
        SilenceState::Expired => false,
    }
}

#[cfg(test)]
mod tests;
