//! Postings: sorted lists of series IDs and their lazy combinations.
//!
//! A [`Postings`] is a cursor over strictly increasing IDs. [`intersect`], [`merge`] and
//! [`without`] combine cursors without materialising them; [`Postings::seek`] lets an
//! intersection skip over long lists.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A cursor over strictly increasing series IDs. Once exhausted it stays exhausted.
pub trait Postings: Send {
    /// Moves to the next ID and returns it.
    fn next(&mut self) -> Option<u64>;

    /// Moves to the first ID `>= target` and returns it. Never moves backwards: if the current
    /// ID is already `>= target`, returns it again.
    fn seek(&mut self, target: u64) -> Option<u64>;
}

/// Collects the remaining IDs.
pub fn collect(p: &mut dyn Postings) -> Vec<u64> {
    let mut out = Vec::new();
    while let Some(id) = p.next() {
        out.push(id);
    }
    out
}

/// The empty list.
pub fn empty<'a>() -> Box<dyn Postings + 'a> {
    Box::new(ListPostings::new(Vec::new()))
}

/// Postings over IDs held in memory (must be sorted and unique).
#[derive(Debug, Clone)]
pub struct ListPostings {
    ids: Vec<u64>,
    /// Index of the current ID plus one; 0 before the first.
    pos: usize,
}

impl ListPostings {
    /// A cursor over `ids`, which must be strictly increasing.
    pub fn new(ids: Vec<u64>) -> Self {
        ListPostings { ids, pos: 0 }
    }
}

impl Postings for ListPostings {
    fn next(&mut self) -> Option<u64> {
        if self.pos <= self.ids.len() {
            self.pos += 1;
        }
        self.ids.get(self.pos - 1).copied()
    }

    fn seek(&mut self, target: u64) -> Option<u64> {
        if let Some(cur) = self.pos.checked_sub(1).and_then(|i| self.ids.get(i))
            && *cur >= target
        {
            return Some(*cur);
        }
        let from = self.pos.min(self.ids.len());
        self.pos = from + self.ids[from..].partition_point(|id| *id < target) + 1;
        self.ids.get(self.pos - 1).copied()
    }
}

/// Postings read straight from an index file: big-endian 32-bit IDs.
#[derive(Debug, Clone)]
pub struct BigEndianPostings<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BigEndianPostings<'a> {
    /// A cursor over `data`, whose length is a multiple of 4.
    pub fn new(data: &'a [u8]) -> Self {
        BigEndianPostings { data, pos: 0 }
    }

    fn len(&self) -> usize {
        self.data.len() / 4
    }

    fn get(&self, i: usize) -> Option<u64> {
        let b = self.data.get(i * 4..i * 4 + 4)?;
        Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    }
}

impl Postings for BigEndianPostings<'_> {
    fn next(&mut self) -> Option<u64> {
        if self.pos <= self.len() {
            self.pos += 1;
        }
        self.get(self.pos - 1)
    }

    fn seek(&mut self, target: u64) -> Option<u64> {
        if let Some(cur) = self.pos.checked_sub(1).and_then(|i| self.get(i))
            && cur >= target
        {
            return Some(cur);
        }
        // Binary search over the rest.
        let (mut lo, mut hi) = (self.pos.min(self.len()), self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(|v| v < target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.pos = lo + 1;
        self.get(lo)
    }
}

/// IDs present in every list. An empty `lists` gives the empty list.
pub fn intersect<'a>(mut lists: Vec<Box<dyn Postings + 'a>>) -> Box<dyn Postings + 'a> {
    match lists.len() {
        0 => empty(),
        1 => lists.swap_remove(0),
        _ => Box::new(Intersect { lists, cur: None }),
    }
}

struct Intersect<'a> {
    lists: Vec<Box<dyn Postings + 'a>>,
    cur: Option<u64>,
}

impl Intersect<'_> {
    /// Seeks every list to a common ID `>= target`.
    fn align(&mut self, mut target: u64) -> Option<u64> {
        'outer: loop {
            for p in &mut self.lists {
                let v = p.seek(target)?;
                if v > target {
                    target = v;
                    continue 'outer;
                }
            }
            return Some(target);
        }
    }
}

impl Postings for Intersect<'_> {
    fn next(&mut self) -> Option<u64> {
        let first = self.lists.first_mut()?.next();
        self.cur = first.and_then(|t| self.align(t));
        self.cur
    }

    fn seek(&mut self, target: u64) -> Option<u64> {
        if let Some(cur) = self.cur
            && cur >= target
        {
            return Some(cur);
        }
        self.cur = self.align(target);
        self.cur
    }
}

/// IDs present in any list, each once.
pub fn merge<'a>(mut lists: Vec<Box<dyn Postings + 'a>>) -> Box<dyn Postings + 'a> {
    match lists.len() {
        0 => empty(),
        1 => lists.swap_remove(0),
        _ => Box::new(Merge {
            lists,
            heap: BinaryHeap::new(),
            started: false,
            cur: None,
        }),
    }
}

struct Merge<'a> {
    lists: Vec<Box<dyn Postings + 'a>>,
    /// The pending (not yet returned) head of each non-exhausted list.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    started: bool,
    cur: Option<u64>,
}

impl Merge<'_> {
    fn start(&mut self) {
        if !self.started {
            self.started = true;
            for (i, p) in self.lists.iter_mut().enumerate() {
                if let Some(v) = p.next() {
                    self.heap.push(Reverse((v, i)));
                }
            }
        }
    }
}

impl Postings for Merge<'_> {
    fn next(&mut self) -> Option<u64> {
        self.start();
        let Reverse((min, _)) = *self.heap.peek()?;
        while let Some(Reverse((v, i))) = self.heap.peek().copied() {
            if v != min {
                break;
            }
            self.heap.pop();
            if let Some(next) = self.lists[i].next() {
                self.heap.push(Reverse((next, i)));
            }
        }
        self.cur = Some(min);
        self.cur
    }

    fn seek(&mut self, target: u64) -> Option<u64> {
        if let Some(cur) = self.cur
            && cur >= target
        {
            return Some(cur);
        }
        self.start();
        let pending = std::mem::take(&mut self.heap).into_vec();
        for Reverse((v, i)) in pending {
            let v = if v < target {
                self.lists[i].seek(target)
            } else {
                Some(v)
            };
            if let Some(v) = v {
                self.heap.push(Reverse((v, i)));
            }
        }
        self.next()
    }
}

/// IDs of `base` that are not in `drop`.
pub fn without<'a>(
    base: Box<dyn Postings + 'a>,
    drop: Box<dyn Postings + 'a>,
) -> Box<dyn Postings + 'a> {
    Box::new(Without {
        base,
        drop,
        cur: None,
    })
}

struct Without<'a> {
    base: Box<dyn Postings + 'a>,
    drop: Box<dyn Postings + 'a>,
    cur: Option<u64>,
}

impl Without<'_> {
    /// Moves past dropped IDs starting from `candidate`.
    fn skip_dropped(&mut self, mut candidate: Option<u64>) -> Option<u64> {
        while let Some(c) = candidate {
            if self.drop.seek(c) != Some(c) {
                break;
            }
            candidate = self.base.next();
        }
        self.cur = candidate;
        candidate
    }
}

impl Postings for Without<'_> {
    fn next(&mut self) -> Option<u64> {
        let c = self.base.next();
        self.skip_dropped(c)
    }

    fn seek(&mut self, target: u64) -> Option<u64> {
        if let Some(cur) = self.cur
            && cur >= target
        {
            return Some(cur);
        }
        let c = self.base.seek(target);
        self.skip_dropped(c)
    }
}

#[cfg(test)]
mod tests;
