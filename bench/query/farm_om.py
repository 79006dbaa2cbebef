#!/usr/bin/env python3
"""Write targetfarm.py's series as one OpenMetrics file for backfilling (stdlib only).

The samples are exactly what K farm targets would serve on scrapes n = 0..N-1, taken
every INTERVAL seconds from START, with the job/instance labels a scrape adds
(job="farm", instance="127.0.0.1:<19100+i>"). Families are written in order, each series
with all its samples (histogram series by metric point: buckets, count, sum together).

  farm_om.py --targets 100 --series 3000 --scrapes 100 --interval 15 --start T > data.om
"""
import argparse
import os
import sys

sys.path.insert(0, os.environ.get("FARM_DIR", "/work/shared/tools"))
import targetfarm  # noqa: E402


def series_of(target):
    """(family line prefix without the trailing '} ', slot index) per series of a target."""
    target.build(0)
    prefixes = target.pieces[0:-1:2]
    out = []
    for p in prefixes:
        line = p.decode().rsplit("\n", 1)[-1]
        out.append(line[:-2])  # drop the closing "} "
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=100)
    ap.add_argument("--series", type=int, default=3000)
    ap.add_argument("--scrapes", type=int, default=100)
    ap.add_argument("--interval", type=int, default=15)
    ap.add_argument("--start", type=int, required=True, help="first scrape time (unix s)")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    ns = argparse.Namespace(seed=a.seed, series=a.series, hist_share=0.2, churn=0.0,
                            churn_minutes=10.0, targets=a.targets, gzip=0, gzip_level=1)
    farm = targetfarm.Farm(ns)
    pools = [farm.pools._compute(n) for n in range(a.scrapes)]
    times = [f" {a.start + n * a.interval}\n" for n in range(a.scrapes)]
    out = sys.stdout
    # Per family: (name, kind) in target order; every target has the same layout.
    first = farm.targets[0]
    layout = series_of(first)
    fam_of = [p.split("{", 1)[0] for p in layout]
    hist = targetfarm.HISTOGRAM[0]
    per = targetfarm.HIST_SERIES
    kinds = {n: "counter" for n, _, _ in targetfarm.COUNTERS}
    kinds.update({n: "gauge" for n, _, _ in targetfarm.GAUGES})
    order = []
    for f in fam_of:
        base = hist if f.startswith(hist) else f
        if base not in order:
            order.append(base)
    targets = []
    for i, t in enumerate(farm.targets):
        pre = series_of(t)
        inst = f',job="farm",instance="127.0.0.1:{19100 + i}"'
        rows = [t.getter(pools[n]) for n in range(a.scrapes)]
        targets.append((pre, inst, rows))
    for fam in order:
        kind = kinds.get(fam, "histogram")
        om_name = fam[:-len("_total")] if kind == "counter" else fam
        out.write(f"# TYPE {om_name} {kind}\n")
        for pre, inst, rows in targets:
            idx = [j for j, f in enumerate(fam_of) if (f == fam or (kind == "histogram" and f.startswith(hist)))]
            if kind != "histogram":
                for j in idx:
                    head = pre[j] + inst + "} "
                    out.write("".join(head + rows[n][j].decode().rstrip("\n") + times[n] for n in range(a.scrapes)))
                continue
            # Histogram instances: buckets, then _sum and _count, per scrape.
            for k in range(0, len(idx), per):
                group = idx[k:k + per]
                # Farm order is buckets..., _sum, _count; OpenMetrics wants _count before _sum.
                group = group[:-2] + [group[-1], group[-2]]
                heads = [pre[j] + inst + "} " for j in group]
                for n in range(a.scrapes):
                    out.write("".join(h + rows[n][j].decode().rstrip("\n") + times[n] for h, j in zip(heads, group)))
    out.write("# EOF\n")


if __name__ == "__main__":
    main()
