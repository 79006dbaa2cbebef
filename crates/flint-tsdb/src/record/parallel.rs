//! Parallel decoding for replay: one thread reads records, workers decode them, and the caller
//! receives them in log order.
//!
//! Records travel in batches (one channel message per batch, not per record: the handoffs,
//! not the decoding, were what cost). Batch `i` goes to worker `i % n` and its result is
//! collected from worker `i % n`, so the sink sees records exactly in the order of the log
//! (which keeps every series' samples in order and series records before the samples that use
//! them) without a reorder buffer.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::{Decoder, Record, RefSample};
use crate::error::{Error, Result};
use crate::wlog::reader::snappy_decompress;
use crate::wlog::{RecordPosition, Records};

/// Batches in flight per worker.
const QUEUE: usize = 4;
/// A batch holds at most this many records …
const BATCH_RECORDS: usize = 256;
/// … or this many bytes of them.
const BATCH_BYTES: usize = 1 << 20;

type Job = Result<(RecordPosition, Vec<u8>, bool)>;
type Decoded = Result<(RecordPosition, Record), (Option<RecordPosition>, Error)>;

/// Decides which float samples are kept (replay drops those already in m-mapped chunks on
/// the decoding threads); returns how many of `samples` it dropped.
pub type SampleFilter<'a> = &'a (dyn Fn(&mut Vec<RefSample>) -> usize + Sync);

/// Reads `records` on one thread, decodes them on `workers` threads (at least 1) and calls
/// `sink` with each record, in log order, on the calling thread.
///
/// Stops at the first error (reading, decoding or from the sink) and returns it. When reading
/// or decoding failed because of a corruption, [`Records::corruption`] then says where, for
/// [`Writer::repair`](crate::wlog::Writer::repair): a record that reads whole but does not
/// decode is a corruption at its start, as upstream treats it.
pub fn decode_parallel<F>(records: &mut Records, workers: usize, mut sink: F) -> Result<()>
where
    F: FnMut(Record) -> Result<()>,
{
    decode_parallel_at(records, workers, |_, rec| sink(rec))
}

/// Like [`decode_parallel`], also handing the sink where each record lies (replay uses it to
/// report progress by segment).
pub fn decode_parallel_at<F>(records: &mut Records, workers: usize, sink: F) -> Result<()>
where
    F: FnMut(&RecordPosition, Record) -> Result<()>,
{
    decode_filtered(records, workers, None, sink)
}

/// Like [`decode_parallel_at`], passing every samples record through `filter` on the
/// decoding threads first.
pub fn decode_filtered<F>(
    records: &mut Records,
    workers: usize,
    filter: Option<SampleFilter<'_>>,
    mut sink: F,
) -> Result<()>
where
    F: FnMut(&RecordPosition, Record) -> Result<()>,
{
    let workers = workers.max(1);
    let res = thread::scope(|scope| {
        let mut job_txs = Vec::with_capacity(workers);
        let mut result_rxs = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (job_tx, job_rx) = sync_channel::<Vec<Job>>(QUEUE);
            let (result_tx, result_rx) = sync_channel::<Vec<Decoded>>(QUEUE);
            scope.spawn(move || decode_worker(job_rx, result_tx, filter));
            job_txs.push(job_tx);
            result_rxs.push(result_rx);
        }
        let reader = &mut *records;
        scope.spawn(move || dispatch(reader, job_txs));
        collect(&result_rxs, &mut sink)
    });
    res.map_err(|(pos, e)| {
        if let Some(pos) = pos {
            records.set_decode_corruption(pos.corruption(e.to_string()));
        }
        e
    })
}

fn decode_worker(
    jobs: Receiver<Vec<Job>>,
    results: SyncSender<Vec<Decoded>>,
    filter: Option<SampleFilter<'_>>,
) {
    let mut decoder = Decoder::new();
    let mut snappy = snap::raw::Decoder::new();
    let mut plain = Vec::new();
    for batch in jobs {
        let mut out = Vec::with_capacity(batch.len());
        for job in batch {
            let decoded = decode_one(&mut decoder, &mut snappy, &mut plain, job);
            let failed = decoded.is_err();
            out.push(decoded.map(|(pos, mut rec)| {
                if let (Some(f), Record::Samples(samples)) = (filter, &mut rec) {
                    f(samples);
                }
                (pos, rec)
            }));
            if failed {
                break;
            }
        }
        if results.send(out).is_err() {
            return; // The collector stopped.
        }
    }
}

fn decode_one(
    decoder: &mut Decoder,
    snappy: &mut snap::raw::Decoder,
    plain: &mut Vec<u8>,
    job: Job,
) -> Decoded {
    match job {
        Ok((pos, rec, false)) => match decoder.decode(&rec) {
            Ok(r) => Ok((pos, r)),
            Err(e) => Err((Some(pos), e)),
        },
        Ok((pos, rec, true)) => match snappy_decompress(snappy, &rec, plain) {
            Ok(()) => match decoder.decode(plain) {
                Ok(r) => Ok((pos, r)),
                Err(e) => Err((Some(pos), e)),
            },
            Err(reason) => Err((Some(pos), Error::corrupt("WAL record", reason))),
        },
        Err(e) => Err((None, e)),
    }
}

fn dispatch(records: &mut Records, job_txs: Vec<SyncSender<Vec<Job>>>) {
    let mut i = 0;
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    let mut bytes = 0;
    loop {
        let next = records.next_raw();
        let done = next.is_none();
        if let Some(rec) = next {
            let failed = rec.is_err();
            bytes += rec.as_ref().map_or(0, |(_, r, _)| r.len());
            batch.push(rec);
            if failed {
                let _ = job_txs[i % job_txs.len()].send(std::mem::take(&mut batch));
                return;
            }
        }
        let full = batch.len() >= BATCH_RECORDS || bytes >= BATCH_BYTES;
        if (full || done) && !batch.is_empty() {
            let b = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
            if job_txs[i % job_txs.len()].send(b).is_err() {
                return;
            }
            i += 1;
            bytes = 0;
        }
        if done {
            return;
        }
    }
}

fn collect<F>(
    result_rxs: &[Receiver<Vec<Decoded>>],
    sink: &mut F,
) -> Result<(), (Option<RecordPosition>, Error)>
where
    F: FnMut(&RecordPosition, Record) -> Result<()>,
{
    for i in 0.. {
        // A closed channel means the reader finished (or stopped after an error it forwarded).
        let Ok(batch) = result_rxs[i % result_rxs.len()].recv() else {
            return Ok(());
        };
        for decoded in batch {
            let (pos, rec) = decoded?;
            sink(&pos, rec).map_err(|e| (None, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RefSample, samples};
    use crate::wlog::{Reader, Writer, WriterOptions};

    #[test]
    fn keeps_order_and_locates_undecodable_records() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut w, _) = Writer::open(tmp.path(), WriterOptions::default()).unwrap();
        let mut b = Vec::new();
        for i in 0..100u64 {
            b.clear();
            samples(
                &[RefSample {
                    r: i,
                    t: i as i64,
                    v: 1.0,
                }],
                &mut b,
            );
            w.log(&[&b]).unwrap();
        }
        assert!(std::fs::read(tmp.path().join("00000000")).unwrap()[0] & 8 != 0);
        let mut seen = Vec::new();
        let mut records = Reader::open_dir(tmp.path()).unwrap().records();
        decode_parallel(&mut records, 3, |r| {
            if let Record::Samples(s) = r {
                seen.push(s[0].r);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert!(records.corruption().is_none());

        w.log(&[&[2, 1, 2]]).unwrap(); // A samples record cut short.
        w.log(&[&b]).unwrap();
        let mut records = Reader::open_dir(tmp.path()).unwrap().records();
        let mut n = 0;
        let res = decode_parallel(&mut records, 4, |_| {
            n += 1;
            Ok(())
        });
        assert!(res.is_err());
        assert_eq!(n, 100);
        let c = records.corruption().unwrap().clone();
        assert_eq!(c.segment, 0);
        w.repair(&c).unwrap();
        let mut records = Reader::open_dir(tmp.path()).unwrap().records();
        assert_eq!(records.by_ref().count(), 100);
        assert!(records.corruption().is_none());
    }
}
