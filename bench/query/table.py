#!/usr/bin/env python3
"""Side-by-side table of two querybench.py results (Prometheus first, Flint second)."""
import json
import sys

p, f = (json.load(open(x)) for x in sys.argv[1:3])
print(f"{'query':<92} {'prom ms':>9} {'flint ms':>9} {'ratio':>6}  series p/f")
ratios = []
for a, b in zip(p["queries"], f["queries"]):
    r = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
    ratios.append(r)
    q = f"{a['kind']:<12} {a['query']}"
    ok = "" if a.get("result_series") == b.get("result_series") else "  MISMATCH"
    err = f"  ERR {b.get('error')}" if b.get("error") else ""
    print(f"{q[:92]:<92} {a['median_ms']:9.1f} {b['median_ms']:9.1f} {r:6.2f}  "
          f"{a.get('result_series')}/{b.get('result_series')}{ok}{err}")
sp = sum(a["median_ms"] for a in p["queries"]); sf = sum(b["median_ms"] for b in f["queries"])
print(f"{'sum of medians':<92} {sp:9.1f} {sf:9.1f} {sf / sp:6.2f}")
print(f"worst ratio {max(ratios):.2f}, queries at <= 0.5: {sum(r <= 0.5 for r in ratios)}/{len(ratios)}")
mib = lambda d, k: d.get(k, 0) / 1048576
print(f"peak RSS (VmHWM): prometheus {mib(p, 'server_vmhwm_bytes'):.0f} MiB, flint {mib(f, 'server_vmhwm_bytes'):.0f} MiB; "
      f"RSS after: prometheus {mib(p, 'server_vmrss_bytes_after'):.0f} MiB, flint {mib(f, 'server_vmrss_bytes_after'):.0f} MiB")
