#!/usr/bin/env python3
"""TSDB benchmarks: Flint beside the real Prometheus (Debian's 2.42) on the same data.

  bench.py replay [--series N] [--samples S]   head memory, append cost, WAL replay
  bench.py blocks [--series N] [--hours H]     bytes per sample in blocks
  bench.py select [--series N]                 select latency, head and blocks
  bench.py all                                 the three at the issue's sizes

Replay, fairly: Flint writes a data directory (WAL + m-mapped head chunks, Prometheus's
formats) by appending N series x S samples at 10 s in scrape-sized commits. Copies of that
directory are opened by Flint and by `prometheus` (empty scrape config); each reports its own
replay time (Flint: Db::open; Prometheus: its "WAL replay completed" log line and the time to
"Server is ready") and resident memory after replay holding the same head. Two states:
  - kill -9: the generator exits without closing (open chunks only in the WAL; both re-append
    the last ~120 samples of every series from the WAL);
  - clean shutdown: Flint closes (its close writes open chunks to chunks_head, which Prometheus
    also reads as m-mapped chunks: both then skip every WAL sample).
Blocks: the same samples backfilled by promtool (`create-blocks-from openmetrics`) and appended
through Flint's Db (head cut into 2 h blocks, compacted into 6 h), bytes per sample per level.
Select: N series over 2 h read whole through the querier, from the head and from blocks.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "examples", "tsdb_bench")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build():
    log("building the Flint side (release)...")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "flint-tsdb", "--example", "tsdb_bench"],
                   cwd=ROOT, check=True)


def flint(*args):
    """Runs the Flint side; its `key value` lines as a dict (repeated keys: a list)."""
    out = subprocess.run([BIN, *map(str, args)], check=True, capture_output=True, text=True).stdout
    vals = {}
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        if k in vals:
            vals[k] = (vals[k] if isinstance(vals[k], list) else [vals[k]]) + [v]
        else:
            vals[k] = v
    return vals


def vm_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) * 1024
    return None


def go_seconds(s):
    """Go duration string to seconds ("1m2.5s", "812.3ms")."""
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)(ms|µs|us|ns|h|m|s)", s):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[unit]
    return total


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prometheus_replay(data, work):
    cfg = os.path.join(work, "empty.yml")
    with open(cfg, "w") as f:
        f.write("scrape_configs: []\n")
    start = time.time()
    p = subprocess.Popen(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                          f"--web.listen-address=127.0.0.1:{free_port()}", "--storage.tsdb.retention.time=100y"],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    res = {}
    try:
        for line in p.stderr:
            if "level=error" in line:
                log("prometheus: " + line.strip())
            if "WAL replay completed" in line:
                m = re.search(r"total_replay_duration=(\S+)", line)
                res["replay_s"] = go_seconds(m.group(1)) if m else None
            if "Server is ready to receive web requests" in line:
                res["ready_s"] = time.time() - start
                time.sleep(1)
                res["rss"] = vm_rss(p.pid)
                break
    finally:
        p.kill()
        p.wait()
    return res


def replay(args):
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gen_dir = os.path.join(work, "gen")
    log(f"generating {args.series} series x {args.samples} samples through Flint's Db (kill -9 at the end)...")
    g = flint("gen", gen_dir, args.series, args.samples, 10000, "crash")
    res = {"gen": g}
    dirs = {k: os.path.join(work, k) for k in ("flint", "prom")}
    for d in dirs.values():
        subprocess.run(["cp", "-a", gen_dir, d], check=True)
    shutil.rmtree(gen_dir)
    log("replay after kill -9: Flint...")
    res["flint_crash"] = flint("replay", dirs["flint"])  # closes: open chunks written
    log("replay after kill -9: Prometheus...")
    res["prom_crash"] = prometheus_replay(dirs["prom"], work)
    shutil.rmtree(dirs["prom"])
    subprocess.run(["cp", "-a", dirs["flint"], dirs["prom"]], check=True)
    log("replay after a clean shutdown: Flint...")
    res["flint_clean"] = flint("replay", dirs["flint"])
    log("replay after a clean shutdown: Prometheus...")
    res["prom_clean"] = prometheus_replay(dirs["prom"], work)
    shutil.rmtree(work, ignore_errors=True)
    return res


def blocks(args):
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    om = os.path.join(work, "in.om")
    log(f"blocks: {args.series} series x {args.hours} h at 10 s...")
    f = flint("blocks", os.path.join(work, "flint"), om, args.series, args.hours)
    prom = {}
    for hours, flag in ((2, []), (6, ["--max-block-duration=6h"])):
        out = os.path.join(work, f"prom{hours}")
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", *flag, om, out],
                       check=True, capture_output=True)
        size = samples = 0
        for b in os.listdir(out):
            bd = os.path.join(out, b)
            for dp, _, fs in os.walk(bd):
                size += sum(os.path.getsize(os.path.join(dp, x)) for x in fs)
            with open(os.path.join(bd, "meta.json")) as mf:
                samples += int(re.search(r'"numSamples":\s*(\d+)', mf.read()).group(1))
        prom[hours] = (size, samples)
    shutil.rmtree(work, ignore_errors=True)
    return {"flint": f, "prom": prom}


def select(args):
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    res = flint("select", work, args.series)
    shutil.rmtree(work, ignore_errors=True)
    return res


def mib(b):
    return f"{b / 2**20:,.0f} MiB" if b else "n/a"


def report_replay(r, series):
    g = r["gen"]
    print(f"## Head and WAL replay: {series:,} series, {int(g['gen.samples']) // series} samples each (10 s)")
    print(f"append (steady state, 1000 samples per commit): {float(g['gen.append_cpu_ns_per_sample']):.0f} ns/sample CPU (target <= 100)")
    print(f"head RSS after appending: {int(g['gen.rss_bytes_per_series'])} B/series (target <= 1024)")
    print("| state | Flint replay s | Prometheus replay s (to ready) | ratio | Flint RSS | Prometheus RSS | B/series Flint / Prom |")
    print("|---|---|---|---|---|---|---|")
    for state in ("crash", "clean"):
        f, p = r[f"flint_{state}"], r[f"prom_{state}"]
        fs = float(f["replay.seconds"])
        ps = p.get("replay_s")
        ratio = f"{ps / fs:.1f}x" if ps else "n/a"
        frss = int(f["replay.rss_bytes"])
        prss = p.get("rss") or 0
        print(f"| after {'kill -9' if state == 'crash' else 'clean shutdown'} | {fs:.2f} | "
              f"{ps if ps is None else round(ps, 2)} ({p.get('ready_s', 0):.1f}) | {ratio} | {mib(frss)} | {mib(prss)} | "
              f"{frss // series} / {prss // series} |")


def report_blocks(r):
    print("## Bytes per sample in blocks (the same samples)")
    print("| producer | blocks | bytes/sample |")
    print("|---|---|---|")
    for h, (size, n) in sorted(r["prom"].items()):
        print(f"| promtool create-blocks-from | {h} h | {size / max(n, 1):.3f} |")
    lines = r["flint"].get("blocks.block", [])
    lines = lines if isinstance(lines, list) else [lines]
    by_len = {}
    for ln in lines:
        kv = dict(x.split("=") for x in ln.split())
        agg = by_len.setdefault(int(kv["hours"]), [0, 0])
        agg[0] += int(kv["bytes"])
        agg[1] += int(kv["samples"])
    for h, (size, n) in sorted(by_len.items()):
        print(f"| Flint Db (head cut{', compacted' if h > 2 else ''}) | {h} h | {size / max(n, 1):.3f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["replay", "blocks", "select", "all"])
    ap.add_argument("--series", type=int)
    ap.add_argument("--samples", type=int, default=720)
    ap.add_argument("--hours", type=int, default=10)
    ap.add_argument("--work", default="/tmp/flint-tsdb-bench")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        build()
    print(f"machine: {os.cpu_count()} CPUs, load {open('/proc/loadavg').read().split()[:3]}")
    if args.what in ("replay", "all"):
        a = argparse.Namespace(**vars(args))
        a.series = args.series or 1_000_000
        report_replay(replay(a), a.series)
    if args.what in ("blocks", "all"):
        a = argparse.Namespace(**vars(args))
        a.series = args.series if args.what == "blocks" and args.series else 2000
        report_blocks(blocks(a))
    if args.what in ("select", "all"):
        a = argparse.Namespace(**vars(args))
        a.series = args.series if args.what == "select" and args.series else 10_000
        s = select(a)
        print(f"## Select {a.series:,} series over 2 h (all samples read)")
        print(f"head: {s['select.head_ms']}")
        print(f"blocks: {s['select.blocks_ms']}")


if __name__ == "__main__":
    main()
