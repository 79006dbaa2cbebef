//! Native histogram bucket layout: compaction of spans, as Prometheus compacts scraped
//! histograms before storing them (empty buckets dropped, spans merged across gaps of at
//! most `max_empty` empty buckets and cut at longer runs).

use flint_model::{FloatHistogram, Histogram, Span};

/// Rebuilds `spans` over absolute `counts` without empty buckets, merging spans separated
/// by at most `max_empty` empty buckets (which are then stored as zeros).
pub fn compact<T: Copy + PartialEq + Default>(
    spans: &[Span],
    counts: &[T],
    max_empty: u32,
) -> (Vec<Span>, Vec<T>) {
    let zero = T::default();
    let mut filled: Vec<(i64, T)> = Vec::with_capacity(counts.len());
    let mut index = 0i64;
    let mut pos = 0usize;
    // The first offset is the start index, later ones gaps after the previous span.
    for s in spans {
        index += i64::from(s.offset);
        for _ in 0..s.length {
            let Some(c) = counts.get(pos) else {
                break;
            };
            if *c != zero {
                filled.push((index, *c));
            }
            pos += 1;
            index += 1;
        }
    }
    let mut out_spans: Vec<Span> = Vec::new();
    let mut out_counts = Vec::with_capacity(filled.len());
    let mut end = 0i64; // index after the last bucket written
    for (idx, c) in filled {
        let gap = idx - end;
        match out_spans.last_mut() {
            Some(last) if gap <= i64::from(max_empty) => {
                for _ in 0..gap {
                    out_counts.push(zero);
                }
                last.length += gap as u32 + 1;
            }
            _ => out_spans.push(Span {
                offset: if out_spans.is_empty() {
                    idx as i32
                } else {
                    gap as i32
                },
                length: 1,
            }),
        }
        out_counts.push(c);
        end = idx + 1;
    }
    (out_spans, out_counts)
}

fn absolute(deltas: &[i64]) -> Vec<i64> {
    let mut cur = 0i64;
    deltas
        .iter()
        .map(|d| {
            cur = cur.wrapping_add(*d);
            cur
        })
        .collect()
}

fn deltas(abs: &[i64]) -> Vec<i64> {
    let mut prev = 0i64;
    abs.iter()
        .map(|a| {
            let d = a.wrapping_sub(prev);
            prev = *a;
            d
        })
        .collect()
}

/// Compacts an integer histogram in place.
pub fn compact_histogram(h: &mut Histogram, max_empty: u32) {
    let (ps, pc) = compact(&h.positive_spans, &absolute(&h.positive_deltas), max_empty);
    h.positive_spans = ps;
    h.positive_deltas = deltas(&pc);
    let (ns, nc) = compact(&h.negative_spans, &absolute(&h.negative_deltas), max_empty);
    h.negative_spans = ns;
    h.negative_deltas = deltas(&nc);
}

/// Compacts a float histogram in place.
pub fn compact_float_histogram(h: &mut FloatHistogram, max_empty: u32) {
    let (ps, pc) = compact(&h.positive_spans, &h.positive_buckets, max_empty);
    h.positive_spans = ps;
    h.positive_buckets = pc;
    let (ns, nc) = compact(&h.negative_spans, &h.negative_buckets, max_empty);
    h.negative_spans = ns;
    h.negative_buckets = nc;
}

/// Bucket indices with their absolute counts.
fn indexed<T: Copy>(spans: &[Span], counts: &[T]) -> Vec<(i64, T)> {
    let mut out = Vec::with_capacity(counts.len());
    let mut index = 0i64;
    let mut pos = 0usize;
    for s in spans {
        index += i64::from(s.offset);
        for _ in 0..s.length {
            let Some(c) = counts.get(pos) else {
                return out;
            };
            out.push((index, *c));
            pos += 1;
            index += 1;
        }
    }
    out
}

/// Merges buckets down to the coarser `schema` (each step halves the resolution: bucket
/// `i` goes into `ceil(i / 2)`), then compacts.
fn reduce<T: Copy + PartialEq + Default + std::ops::Add<Output = T>>(
    spans: &[Span],
    counts: &[T],
    delta: u32,
) -> (Vec<Span>, Vec<T>) {
    let mut merged: Vec<(i64, T)> = Vec::new();
    for (i, c) in indexed(spans, counts) {
        let j = (i + (1i64 << delta) - 1) >> delta;
        match merged.last_mut() {
            Some((k, sum)) if *k == j => *sum = *sum + c,
            _ => merged.push((j, c)),
        }
    }
    let (idx, vals): (Vec<i64>, Vec<T>) = merged.into_iter().unzip();
    let spans: Vec<Span> = {
        let mut out: Vec<Span> = Vec::new();
        let mut end = 0i64;
        for &i in &idx {
            match out.last_mut() {
                Some(last) if i == end => last.length += 1,
                _ => out.push(Span {
                    offset: if out.is_empty() {
                        i as i32
                    } else {
                        (i - end) as i32
                    },
                    length: 1,
                }),
            }
            end = i + 1;
        }
        out
    };
    compact(&spans, &vals, 0)
}

/// Lowers an exponential integer histogram to `schema` (no-op when not finer).
pub fn reduce_histogram(h: &mut Histogram, schema: i32) {
    if h.schema <= schema || h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA {
        return;
    }
    let delta = (h.schema - schema) as u32;
    let (ps, pc) = reduce(&h.positive_spans, &absolute(&h.positive_deltas), delta);
    h.positive_spans = ps;
    h.positive_deltas = deltas(&pc);
    let (ns, nc) = reduce(&h.negative_spans, &absolute(&h.negative_deltas), delta);
    h.negative_spans = ns;
    h.negative_deltas = deltas(&nc);
    h.schema = schema;
}

/// Lowers an exponential float histogram to `schema` (no-op when not finer).
pub fn reduce_float_histogram(h: &mut FloatHistogram, schema: i32) {
    if h.schema <= schema || h.schema == flint_model::histogram::CUSTOM_BUCKETS_SCHEMA {
        return;
    }
    let delta = (h.schema - schema) as u32;
    let (ps, pc) = reduce(&h.positive_spans, &h.positive_buckets, delta);
    h.positive_spans = ps;
    h.positive_buckets = pc;
    let (ns, nc) = reduce(&h.negative_spans, &h.negative_buckets, delta);
    h.negative_spans = ns;
    h.negative_buckets = nc;
    h.schema = schema;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(offset: i32, length: u32) -> Span {
        Span { offset, length }
    }

    #[test]
    fn drops_empty_buckets_and_cuts_long_runs() {
        // Buckets 0..8: 0 1 0 0 0 2 0 3
        let (s, c) = compact(&[sp(0, 8)], &[0, 1, 0, 0, 0, 2, 0, 3], 2);
        assert_eq!(s, vec![sp(1, 1), sp(3, 3)]);
        assert_eq!(c, vec![1, 2, 0, 3]);
        let (s, c) = compact(&[sp(0, 8)], &[0, 1, 0, 0, 0, 2, 0, 3], 0);
        assert_eq!(s, vec![sp(1, 1), sp(3, 1), sp(1, 1)]);
        assert_eq!(c, vec![1, 2, 3]);
    }

    #[test]
    fn merges_spans_across_short_gaps() {
        // Buckets 2,3 and 5: gap of one.
        let (s, c) = compact(&[sp(2, 2), sp(1, 1)], &[1.0, 2.0, 3.0], 2);
        assert_eq!(s, vec![sp(2, 4)]);
        assert_eq!(c, vec![1.0, 2.0, 0.0, 3.0]);
        let (s, _) = compact(&[sp(-3, 1), sp(0, 1)], &[1.0, 2.0], 0);
        assert_eq!(s, vec![sp(-3, 2)]);
        let (s, c) = compact::<f64>(&[sp(0, 2)], &[0.0, 0.0], 0);
        assert!(s.is_empty() && c.is_empty());
    }

    #[test]
    fn reducing_resolution_merges_bucket_pairs() {
        // Schema 1, buckets -1..=2 with counts 1 2 3 4: at schema 0 bucket j holds old
        // 2j-1 and 2j: j=0 <- {-1, 0}, j=1 <- {1, 2}.
        let mut h = FloatHistogram {
            schema: 1,
            positive_spans: vec![sp(-1, 4)],
            positive_buckets: vec![1.0, 2.0, 3.0, 4.0],
            ..FloatHistogram::default()
        };
        reduce_float_histogram(&mut h, 0);
        assert_eq!(h.schema, 0);
        assert_eq!(h.positive_spans, vec![sp(0, 2)]);
        assert_eq!(h.positive_buckets, vec![3.0, 7.0]);
        let mut i = Histogram {
            schema: 2,
            positive_spans: vec![sp(1, 1), sp(2, 1)], // buckets 1 and 4
            positive_deltas: vec![5, -3],             // 5, 2
            ..Histogram::default()
        };
        reduce_histogram(&mut i, 0);
        assert_eq!(i.positive_spans, vec![sp(1, 1)]);
        assert_eq!(i.positive_deltas, vec![7]);
    }

    #[test]
    fn integer_histograms_keep_their_counts() {
        let mut h = Histogram {
            positive_spans: vec![sp(0, 4)],
            positive_deltas: vec![0, 2, -2, 3], // 0 2 0 3
            ..Histogram::default()
        };
        compact_histogram(&mut h, 0);
        assert_eq!(h.positive_spans, vec![sp(1, 1), sp(1, 1)]);
        assert_eq!(h.positive_deltas, vec![2, 1]);
    }
}
