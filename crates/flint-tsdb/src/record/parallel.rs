//! Parallel decoding for replay: one thread reads records, workers decode them, and the caller
//! receives them in log order.
//!
//! Record `i` goes to worker `i % n` and its result is collected from worker `i % n`, so the
//! sink sees records exactly in the order of the log (which keeps every series' samples in
//! order and series records before the samples that use them) without a reorder buffer.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::{Decoder, Record};
use crate::error::{Error, Result};
use crate::wlog::reader::snappy_decompress;
use crate::wlog::{RecordPosition, Records};

/// Records in flight per worker.
const QUEUE: usize = 16;

type Job = Result<(RecordPosition, Vec<u8>, bool)>;
type Decoded = Result<(RecordPosition, Record), (Option<RecordPosition>, Error)>;

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
pub fn decode_parallel_at<F>(records: &mut Records, workers: usize, mut sink: F) -> Result<()>
where
    F: FnMut(&RecordPosition, Record) -> Result<()>,
{
    let workers = workers.max(1);
    let res = thread::scope(|scope| {
        let mut job_txs = Vec::with_capacity(workers);
        let mut result_rxs = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (job_tx, job_rx) = sync_channel::<Job>(QUEUE);
            let (result_tx, result_rx) = sync_channel::<Decoded>(QUEUE);
            scope.spawn(move || decode_worker(job_rx, result_tx));
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

fn decode_worker(jobs: Receiver<Job>, results: SyncSender<Decoded>) {
    let mut decoder = Decoder::new();
    let mut snappy = snap::raw::Decoder::new();
    let mut plain = Vec::new();
    for job in jobs {
        let decoded = match job {
            Ok((pos, rec, false)) => match decoder.decode(&rec) {
                Ok(r) => Ok((pos, r)),
                Err(e) => Err((Some(pos), e)),
            },
            Ok((pos, rec, true)) => match snappy_decompress(&mut snappy, &rec, &mut plain) {
                Ok(()) => match decoder.decode(&plain) {
                    Ok(r) => Ok((pos, r)),
                    Err(e) => Err((Some(pos), e)),
                },
                Err(reason) => Err((Some(pos), Error::corrupt("WAL record", reason))),
            },
            Err(e) => Err((None, e)),
        };
        if results.send(decoded).is_err() {
            return; // The collector stopped.
        }
    }
}

fn dispatch(records: &mut Records, job_txs: Vec<SyncSender<Job>>) {
    let mut i = 0;
    while let Some(rec) = records.next_raw() {
        let failed = rec.is_err();
        if job_txs[i % job_txs.len()].send(rec).is_err() || failed {
            return;
        }
        i += 1;
    }
}

fn collect<F>(
    result_rxs: &[Receiver<Decoded>],
    sink: &mut F,
) -> Result<(), (Option<RecordPosition>, Error)>
where
    F: FnMut(&RecordPosition, Record) -> Result<()>,
{
    for i in 0.. {
        // A closed channel means the reader finished (or stopped after an error it forwarded).
        let Ok(decoded) = result_rxs[i % result_rxs.len()].recv() else {
            return Ok(());
        };
        let (pos, rec) = decoded?;
        sink(&pos, rec).map_err(|e| (None, e))?;
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
