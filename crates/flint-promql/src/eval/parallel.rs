//! Spreading per-series work over a few threads.

use crate::error::Result;

/// Below this many items the work runs on the calling thread.
const MIN_PER_THREAD: usize = 256;

/// Maps `f` over `items` with up to `threads` threads, keeping the order. Stops at the first
/// error (the other threads finish their chunk).
pub(crate) fn par_map<T, R, F>(items: &[T], threads: usize, f: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R> + Sync,
{
    let threads = threads
        .clamp(1, 64)
        .min(items.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let results: Vec<Result<Vec<R>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                s.spawn(move || part.iter().map(f).collect::<Result<Vec<R>>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::error::Error::exec(
                        "unexpected error: evaluation worker panicked",
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_threads() {
        let items: Vec<u32> = (0..10_000).collect();
        let out = par_map(&items, 4, |x| Ok(x * 2)).expect("no errors");
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }
}
