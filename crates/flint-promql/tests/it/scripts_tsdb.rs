//! The test scripts against `flint_tsdb::Db` instead of the memory storage: the engine over
//! the real head (chunk encoding, counter-reset hints as its reader reports them).
//!
//! Slow in debug builds (~30 s), hence ignored by default:
//! `cargo test -p flint-promql --test it -- --ignored scripts_on_the_tsdb --nocapture`.
//! Besides the evaluations of `tests/skip.txt`, evaluations after native histograms were
//! loaded may fail: the head does not store them yet.

use flint_promql::promqltest::run_script_on;

use crate::tsdb_store::TsdbStore;

#[test]
#[ignore = "slow: run with --ignored"]
fn scripts_on_the_tsdb() {
    let skips = crate::scripts::skips();
    let (mut passed, mut skipped, mut exempt) = (0, 0, 0);
    let mut failures = Vec::new();
    for name in crate::scripts::FILES {
        let path = flint_testkit::testdata::testdata_path("promql").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let outcomes = run_script_on(&text, TsdbStore::new, false).unwrap();
        let file_skips = skips.get(*name);
        for o in outcomes {
            let skip = file_skips.is_some_and(|s| s.contains_key(&o.line) || s.contains_key(&0));
            match &o.result {
                Ok(()) => passed += 1,
                Err(_) if skip => skipped += 1,
                Err(_) if o.histograms_loaded => exempt += 1,
                Err(e) => failures.push(format!("{name}:{}: {}\n      {e}", o.line, o.expr)),
            }
        }
    }
    eprintln!(
        "PromQL test scripts on flint-tsdb: {passed} passed, {skipped} skipped, {exempt} exempt \
         (native histograms not stored by the head yet), {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
