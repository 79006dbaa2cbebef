//! Backfilling: blocks from an OpenMetrics file, as `promtool tsdb create-blocks-from
//! openmetrics` makes them.
//!
//! The input's time range is cut into aligned windows of the block duration (2 h unless a
//! larger maximum is asked for); for each window the input is read again and the samples in
//! it are appended to a fresh head, which is then written as one block spanning its first
//! to its last sample, the way promtool's block writer does (so chunks are cut the same way).
//! Every sample needs a timestamp; within a series samples must not go back in time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flint_expfmt::{Entry, OpenMetricsParser, Validation};
use flint_model::Labels;
use flint_model::names::METRIC_NAME_LABEL;
use flint_storage::{AppendError, Appender, SeriesRef};

use crate::block::BlockMeta;
use crate::db::compact::write_head_block;
use crate::db::options::{DEFAULT_BLOCK_DURATION, duration_ms};
use crate::error::{Error, Result};
use crate::head::{Head, HeadOptions};

/// Samples per commit (promtool's batch size).
const BATCH: usize = 5000;

/// The block duration promtool uses for a requested maximum: 2 h, or the largest of 2 h × 3ⁿ
/// not above `max`.
pub fn block_duration(max: Option<Duration>) -> i64 {
    let base = duration_ms(DEFAULT_BLOCK_DURATION);
    let Some(max) = max.map(duration_ms).filter(|m| *m > base) else {
        return base;
    };
    let mut d = base;
    for _ in 0..9 {
        match d.checked_mul(3) {
            Some(next) if next <= max => d = next,
            _ => break,
        }
    }
    d
}

/// What one written block holds, with the time it took.
#[derive(Debug, Clone)]
pub struct WrittenBlock {
    /// The block's meta.
    pub meta: BlockMeta,
    /// Its directory.
    pub dir: PathBuf,
    /// Time spent reading the input and writing the block.
    pub took: Duration,
}

/// Writes blocks under `out` from the OpenMetrics text `input`; calls `progress` after each
/// block. Returns the blocks in time order.
pub fn create_blocks_from_openmetrics(
    input: &[u8],
    out: &Path,
    max_block_duration: Option<Duration>,
    mut progress: impl FnMut(&WrittenBlock),
) -> Result<Vec<WrittenBlock>> {
    let Some((mint, maxt)) = time_range(input)? else {
        return Ok(Vec::new());
    };
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
    let d = block_duration(max_block_duration);
    let mut written = Vec::new();
    let mut t = mint.div_euclid(d) * d;
    while t <= maxt {
        let start = Instant::now();
        if let Some(meta) = window_block(input, out, t, t.saturating_add(d), d)? {
            let w = WrittenBlock {
                dir: out.join(meta.ulid.to_string()),
                meta,
                took: start.elapsed(),
            };
            progress(&w);
            written.push(w);
        }
        t = t.saturating_add(d);
    }
    Ok(written)
}

/// Every sample in the input, with its full label set.
fn samples<'a>(input: &'a [u8]) -> impl Iterator<Item = Result<RawSample<'a>>> + 'a {
    OpenMetricsParser::with_validation(input, Validation::Lenient).filter_map(|e| match e {
        Ok(Entry::Sample(s)) => Some(Ok(RawSample {
            timestamp: s.timestamp,
            value: s.value,
            raw: s.labels.as_raw(),
            sample: s,
        })),
        Ok(_) => None,
        Err(e) => Some(Err(Error::Parse(e))),
    })
}

struct RawSample<'a> {
    timestamp: Option<i64>,
    value: f64,
    raw: &'a str,
    sample: flint_expfmt::Sample<'a>,
}

impl RawSample<'_> {
    fn labels(&self) -> Labels {
        let mut pairs: Vec<(String, String)> = self.sample.labels.to_vec();
        pairs.push((METRIC_NAME_LABEL.to_owned(), self.sample.name.to_string()));
        Labels::from_pairs(pairs)
    }

    fn time(&self) -> Result<i64> {
        self.timestamp.ok_or_else(|| {
            Error::corrupt(
                "backfill input",
                format!("expected timestamp for series {}, got none", self.labels()),
            )
        })
    }
}

/// First and last sample time.
fn time_range(input: &[u8]) -> Result<Option<(i64, i64)>> {
    let mut range: Option<(i64, i64)> = None;
    for s in samples(input) {
        let t = s?.time()?;
        range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
    }
    Ok(range)
}

/// Appends the samples in `[from, to)` to a fresh head and writes it as a block.
fn window_block(input: &[u8], out: &Path, from: i64, to: i64, d: i64) -> Result<Option<BlockMeta>> {
    let tmp = out.join(format!(".flint-backfill-{}", std::process::id()));
    let head = Head::new(
        &tmp,
        HeadOptions {
            chunk_range: d,
            stripes: 256,
        },
        None,
    )?;
    let res = fill(&head, input, from, to).and_then(|()| {
        if head.num_series() == 0 || head.min_time() > head.max_time() {
            return Ok(None);
        }
        let (mint, maxt) = (head.min_time(), head.max_time().saturating_add(1));
        write_head_block(out, &head, mint, maxt, &|| Ok(()))
    });
    drop(head);
    let _ = std::fs::remove_dir_all(&tmp);
    res
}

fn fill(head: &Head, input: &[u8], from: i64, to: i64) -> Result<()> {
    // Series reference and last timestamp of each series seen.
    let mut refs: HashMap<(&str, &str), (SeriesRef, i64)> = HashMap::new();
    let mut app = head.head_appender();
    for s in samples(input) {
        let s = s?;
        let t = s.time()?;
        if t < from || t >= to {
            continue;
        }
        let value = go_nan(s.value);
        let key = (s.sample.name.as_ref(), s.raw);
        let res = match refs.get(&key) {
            // Samples of one batch are only checked against each other here.
            Some((_, last)) if t < *last => Err(AppendError::OutOfOrder),
            Some((r, _)) => app.append(Some(*r), &Labels::empty(), t, value),
            None => app.append(None, &s.labels(), t, value),
        };
        match res {
            Ok(r) => {
                if let std::borrow::Cow::Borrowed(name) = s.sample.name {
                    refs.insert((name, s.raw), (r, t));
                }
            }
            Err(e) => return Err(append_error(&s, t, e)),
        }
        if app.len() >= BATCH {
            Box::new(std::mem::replace(&mut app, head.head_appender())).commit()?;
        }
    }
    Box::new(app).commit()?;
    Ok(())
}

/// Go's `NaN` (what Prometheus's parser returns for `NaN`), so chunks come out bit for bit
/// as promtool writes them; other values, the staleness marker included, pass unchanged.
fn go_nan(v: f64) -> f64 {
    const GO_NAN: u64 = 0x7FF8_0000_0000_0001;
    if v.is_nan() && v.to_bits() == f64::NAN.to_bits() {
        f64::from_bits(GO_NAN)
    } else {
        v
    }
}

fn append_error(s: &RawSample<'_>, t: i64, e: AppendError) -> Error {
    Error::corrupt(
        "backfill input",
        format!("add sample for series {} at {t}: {e}", s.labels()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Block;
    use flint_storage::{Queryable, ValueType};

    #[test]
    fn durations_follow_promtool() {
        let h = 3_600_000;
        assert_eq!(block_duration(None), 2 * h);
        assert_eq!(block_duration(Some(Duration::from_secs(3600))), 2 * h);
        assert_eq!(block_duration(Some(Duration::from_secs(24 * 3600))), 18 * h);
    }

    #[test]
    fn cuts_aligned_blocks_spanning_their_samples() {
        let mut text = String::from("# TYPE m gauge\n");
        for k in 0..600 {
            let t = 1_700_000_000 + k * 15;
            text.push_str(&format!("m{{a=\"x\"}} {k} {t}\nm{{a=\"y\"}} 1.5 {t}.5\n"));
        }
        text.push_str("# EOF\n");
        let dir = tempfile::tempdir().unwrap();
        let blocks =
            create_blocks_from_openmetrics(text.as_bytes(), dir.path(), None, |_| {}).unwrap();
        assert_eq!(blocks.len(), 2);
        let m = &blocks[0].meta;
        assert_eq!(m.min_time, 1_700_000_000_000);
        assert_eq!(m.max_time % 1000, 501, "last sample + 1 ms");
        assert_eq!(
            blocks[1].meta.min_time, 1_700_006_405_000,
            "first sample after 2h"
        );
        let total: u64 = blocks.iter().map(|b| b.meta.stats.num_samples).sum();
        assert_eq!(total, 1200);
        let b = Block::open(&blocks[0].dir).unwrap();
        let q = b.querier(i64::MIN, i64::MAX).unwrap();
        let mut set = q.select(true, None, &[]);
        let s = set.next_series().unwrap().unwrap();
        assert_eq!(s.labels().to_string(), r#"{__name__="m", a="x"}"#);
        let mut it = s.iterator();
        assert_eq!(it.next(), ValueType::Float);
        assert_eq!(it.at(), (1_700_000_000_000, 0.0));
        assert!(
            !dir.path()
                .join(format!(".flint-backfill-{}", std::process::id()))
                .exists()
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let no_ts = b"m 1\n# EOF\n";
        assert!(create_blocks_from_openmetrics(no_ts, dir.path(), None, |_| {}).is_err());
        let backwards = b"m 1 20\nm 1 10\n# EOF\n";
        assert!(create_blocks_from_openmetrics(backwards, dir.path(), None, |_| {}).is_err());
        let garbage = b"m{ 1 20\n# EOF\n";
        assert!(create_blocks_from_openmetrics(garbage, dir.path(), None, |_| {}).is_err());
        let empty = b"# EOF\n";
        assert!(
            create_blocks_from_openmetrics(empty, dir.path(), None, |_| {})
                .unwrap()
                .is_empty()
        );
    }
}
